/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * For the Linux guest of test_overlay_linux.sh (which has no Python): the
 * kernel takes ESP-in-UDP (RFC 3948) only from a UDP socket marked
 * UDP_ENCAP_ESPINUDP, which an IKE daemon would hold; this binds one on
 * port 4500 for IPv4 and one for IPv6 (which takes zero UDP checksums,
 * UDP_NO_CHECK6_RX: RFC 6935/6936) and sleeps. No libc (x86-64 system calls): a few hundred bytes
 * to pass through the guest's console. Built by the test with
 * cc -Os -static -nostdlib.
 */
#define SYS_socket 41
#define SYS_bind 49
#define SYS_setsockopt 54
#define SYS_pause 34
#define SYS_exit 60
static long sc(long n, long a, long b, long c, long d, long e)
{
	long r;
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	__asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8)
			 : "rcx", "r11", "memory");
	return r;
}
void _start(void)
{
	unsigned char sin[16] = {2, 0, 4500 >> 8, 4500 & 0xff};
	int one = 2; /* UDP_ENCAP_ESPINUDP */
	long s = sc(SYS_socket, 2, 2, 0, 0, 0);
	if (s < 0 || sc(SYS_setsockopt, s, 17, 100, (long)&one, 4) < 0 ||
	    sc(SYS_bind, s, (long)sin, 16, 0, 0) < 0)
		sc(SYS_exit, 1, 0, 0, 0, 0);
	/* [::]:4500, IPv6 only (beside the IPv4 one); the IPv4 legs need no
	 * IPv6, so a failure here is only the IPv6 leg's */
	unsigned char sin6[28] = {10, 0, 4500 >> 8, 4500 & 0xff};
	int on = 1;
	long s6 = sc(SYS_socket, 10, 2, 0, 0, 0);
	if (s6 >= 0 && sc(SYS_setsockopt, s6, 41, 26, (long)&on, 4) == 0 && /* IPV6_V6ONLY */
	    sc(SYS_setsockopt, s6, 17, 100, (long)&one, 4) == 0 &&
	    sc(SYS_setsockopt, s6, 17, 102, (long)&on, 4) == 0) /* UDP_NO_CHECK6_RX */
		sc(SYS_bind, s6, (long)sin6, 28, 0, 0);
	for (;;)
		sc(SYS_pause, 0, 0, 0, 0, 0);
}
