/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * For the Linux guest of test_overlay_linux.sh: its underlay is a vhost-user
 * link, invisible to the host's tshark, and the guest has no tcpdump. This
 * captures, on an AF_PACKET socket, IPv6 frames carrying UDP (both
 * directions: outgoing frames reach only ETH_P_ALL sockets) and writes them
 * to stdout as a pcap (Ethernet): at most 16 frames, or what came before 10 s
 * passed without one. No libc (x86-64 system calls), built by the test with
 * cc -Os -static -nostdlib, passed through the console.
 */
#define SYS_write 1
#define SYS_socket 41
#define SYS_recvfrom 45
#define SYS_setsockopt 54
#define SYS_exit 60
#define MAX_FRAMES 16
static long sc(long n, long a, long b, long c, long d, long e, long f)
{
	long r;
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	__asm__ volatile("syscall"
			 : "=a"(r)
			 : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return r;
}
static void put32(unsigned char *p, unsigned int v)
{
	p[0] = v & 0xff;
	p[1] = (v >> 8) & 0xff;
	p[2] = (v >> 16) & 0xff;
	p[3] = v >> 24;
}
void _start(void)
{
	/* pcap global header: magic, 2.4, zone 0, sigfigs 0, snaplen, Ethernet */
	unsigned char gh[24] = {0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0};
	unsigned char rec[16 + 2048];
	long tv[2] = {10, 0};
	long s, n;
	int got = 0;

	put32(gh + 16, 2048);
	put32(gh + 20, 1);
	/* AF_PACKET, SOCK_RAW, htons(ETH_P_ALL) */
	s = sc(SYS_socket, 17, 3, 0x0300, 0, 0, 0);
	if (s < 0 || sc(SYS_setsockopt, s, 1, 20 /* SO_RCVTIMEO */, (long)tv, 16, 0) < 0)
		sc(SYS_exit, 1, 0, 0, 0, 0, 0);
	sc(SYS_write, 1, (long)gh, 24, 0, 0, 0);
	while (got < MAX_FRAMES) {
		n = sc(SYS_recvfrom, s, (long)(rec + 16), 2048, 0, 0, 0);
		if (n < 0)
			break;
		/* IPv6, next header UDP */
		if (n < 62 || rec[16 + 12] != 0x86 || rec[16 + 13] != 0xdd || rec[16 + 20] != 17)
			continue;
		put32(rec, 0);
		put32(rec + 4, 0);
		put32(rec + 8, (unsigned int)n);
		put32(rec + 12, (unsigned int)n);
		sc(SYS_write, 1, (long)rec, 16 + n, 0, 0, 0);
		got++;
	}
	sc(SYS_exit, got > 0 ? 0 : 2, 0, 0, 0, 0, 0);
}
