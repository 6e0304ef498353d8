#!/usr/bin/env bash
# Build the test-guest kernel + initramfs from Debian packages on this host.
#
# Usage: build-initramfs.sh [--force] [--out DIR] [--quiet]
#
# Output (default test/integration/guest/out/):
#   vmlinuz          the host's linux-image-cloud-amd64 kernel
#   initramfs.img    busybox-static, iperf3, ip (iproute2), ethtool with their
#                    shared libraries, the kernel's virtio/tunnel/xfrm modules
#                    and /init (see rootfs/)
#   inputs.sha256    hash of every input; when it matches nothing is rebuilt
# The last line on stdout is "KERNEL=<path> INITRD=<path>".
#
# Environment: GUEST_KVER (kernel release, default: newest *-cloud-amd64),
# GUEST_KERNEL_FROM_PKG=1 (use the downloaded package even if one is installed),
#              GUEST_EXTRA_MODULES, GUEST_EXTRA_BINS (space separated).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
out=$here/out
force=0
quiet=0
while [ $# -gt 0 ]; do
	case $1 in
	--force) force=1 ;;
	--out) out=$2; shift ;;
	--quiet) quiet=1 ;;
	*) echo "build-initramfs: unknown argument '$1'" >&2; exit 2 ;;
	esac
	shift
done
say() { [ "$quiet" = 1 ] || echo "build-initramfs: $*" >&2; }
die() { echo "build-initramfs: $*" >&2; exit 1; }

# Modules loaded by /init at boot (with their dependencies).
BOOT_MODULES=(virtio_pci virtio_net)
# Shipped too, loaded on demand by modprobe (or by the kernel through
# modules.alias): tunnels, VLANs, IPsec/ESP with AES-GCM, bridges.
EXTRA_MODULES=(8021q geneve vxlan veth bridge tun
	esp4 esp6 xfrm_user xfrm_interface af_key
	gcm ghash_generic ghash-clmulni-intel aesni_intel seqiv echainiv
	authenc ctr cbc sha256_generic crypto_null drbg jitterentropy_rng)
read -ra more <<<"${GUEST_EXTRA_MODULES:-}"
EXTRA_MODULES+=("${more[@]}")
# Dynamically linked tools copied with their libraries (ldd).
# tcpdump is left out by default (its libraries double the unpack time under
# TCG): GUEST_EXTRA_BINS=tcpdump adds it.
BINS=(iperf3 ip ethtool)
read -ra more <<<"${GUEST_EXTRA_BINS:-}"
BINS+=("${more[@]}")
PKGS=(busybox-static cpio iperf3 iproute2 ethtool kmod file)

# Install what is missing (needs root; Debian's archive only).
missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	[ "$(id -u)" = 0 ] || die "missing packages (need root): ${missing[*]}"
	say "installing ${missing[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
		"${missing[@]}" >&2 || die "apt-get install ${missing[*]} failed"
fi

# The guest kernel: the host's linux-image-cloud-amd64 if installed, else
# the package's files unpacked under out/ (apt-get download + dpkg-deb -x:
# no install, so it works where /boot is read-only, e.g. in a chroot).
kroot=
# (|| true: with pipefail, an empty or missing /boot must not end the script)
kver=${GUEST_KVER:-$(cd /boot 2>/dev/null && ls vmlinuz-*-cloud-amd64 2>/dev/null |
	sed 's/^vmlinuz-//' | sort -V | tail -1 || true)}
[ "${GUEST_KERNEL_FROM_PKG:-0}" = 1 ] && kver=
if [ -z "$kver" ]; then
	kpkg=$(apt-cache depends linux-image-cloud-amd64 2>/dev/null |
		awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
	[ -n "$kpkg" ] || die "no cloud kernel package known to apt (apt-get update?)"
	kroot=$out/kernel/$kpkg
	if [ ! -d "$kroot/boot" ]; then
		say "unpacking $kpkg (not installed on the host)"
		mkdir -p "$out/kernel/dl"
		(cd "$out/kernel/dl" && apt-get download -q "$kpkg" >&2) ||
			die "apt-get download $kpkg failed"
		rm -rf "$kroot.tmp" && mkdir -p "$kroot.tmp"
		dpkg-deb -x "$out/kernel/dl/${kpkg}"_*.deb "$kroot.tmp" || die "unpacking $kpkg failed"
		kv=$(cd "$kroot.tmp/boot" && ls vmlinuz-* | sed 's/^vmlinuz-//' | head -1)
		depmod -b "$kroot.tmp" "$kv" || die "depmod for $kv failed"
		mv "$kroot.tmp" "$kroot"
	fi
	kver=$(cd "$kroot/boot" && ls vmlinuz-* | sed 's/^vmlinuz-//' | head -1)
fi
kernel=$kroot/boot/vmlinuz-$kver
moddir=$kroot/lib/modules/$kver
[ -r "$kernel" ] || die "$kernel not readable"
[ -r "$moddir/modules.dep" ] || die "$moddir/modules.dep missing"
busybox=$(command -v busybox) || die "busybox not found"
file "$busybox" 2>/dev/null | grep -q 'dynamically linked' &&
	die "$busybox is dynamically linked; install busybox-static"

# Resolve modules to files with modules.dep, dependencies first.
declare -A dep_of=() seen=()
while IFS=: read -r mod deps; do
	dep_of[$mod]=$deps
done <"$moddir/modules.dep"
mod_path() { # module name -> path relative to $moddir
	local p
	p=$(modinfo ${kroot:+-b "$kroot"} -k "$kver" -n "$1" 2>/dev/null) || return 1
	[ "$p" != "(builtin)" ] || return 2
	echo "${p#"$moddir"/}"
}
ordered=()
add_mod() { # relative path, dependencies first
	local d
	[ -z "${seen[$1]:-}" ] || return 0
	seen[$1]=1
	[ -n "${dep_of[$1]+x}" ] || die "$1 not in modules.dep"
	for d in ${dep_of[$1]}; do add_mod "$d"; done
	ordered+=("$1")
}
boot_names=()
for m in "${BOOT_MODULES[@]}" "${EXTRA_MODULES[@]}"; do
	rc=0
	p=$(mod_path "$m") || rc=$?
	if [ $rc = 2 ]; then continue; fi # built into this kernel
	[ $rc = 0 ] || die "module $m not found for $kver"
	add_mod "$p"
done
for m in "${BOOT_MODULES[@]}"; do
	rc=0
	mod_path "$m" >/dev/null || rc=$?
	[ $rc = 0 ] && boot_names+=("$m")
done

# Binaries and the shared libraries they need.
bin_paths=()
for b in "${BINS[@]}"; do
	p=$(command -v "$b") || die "$b not found (install its package)"
	bin_paths+=("$(readlink -f "$p")")
done
lib_paths=()
while read -r l; do
	[ -n "$l" ] && lib_paths+=("$l")
done < <(for b in "${bin_paths[@]}"; do
	ldd "$b" | awk '/=> \// {print $3} /^[[:space:]]*\/[^ ]*ld-linux/ {print $1}'
done | sort -u)

# Hash of every input: our files, kernel, modules, binaries, libraries.
inputs=("$0" "$here"/rootfs/init "$here"/rootfs/etc/inittab "$here"/rootfs/sbin/*
	"$kernel" "$busybox" "${bin_paths[@]}" "${lib_paths[@]}")
for p in "${ordered[@]}"; do inputs+=("$moddir/$p"); done
hash=$({
	printf '%s\n' "$kver" "${BOOT_MODULES[*]}" "${ordered[*]}" "${BINS[*]}"
	sha256sum "${inputs[@]}"
} | sha256sum | cut -d' ' -f1)

mkdir -p "$out"
exec 9>"$out/.lock"
flock 9 # one builder at a time; the others reuse its result
if [ "$force" = 0 ] && [ -f "$out/initramfs.img" ] && [ -f "$out/vmlinuz" ] &&
	[ "$(cat "$out/inputs.sha256" 2>/dev/null)" = "$hash" ]; then
	say "up to date ($kver, ${hash:0:12})"
	echo "KERNEL=$out/vmlinuz INITRD=$out/initramfs.img"
	exit 0
fi

say "building for $kver"
stage=$(mktemp -d "$out/.stage.XXXXXX")
trap 'rm -rf "$stage"' EXIT
r=$stage/root
mkdir -p "$r"/{bin,sbin,etc,proc,sys,dev,tmp,run,root,var/run,usr/bin,usr/sbin,lib64}
mkdir -p "$r"/lib/modules/"$kver" "$r"/usr/share/udhcpc
cp "$busybox" "$r/bin/busybox"
for a in $("$busybox" --list); do
	[ -e "$r/bin/$a" ] || ln -s busybox "$r/bin/$a"
done
# Merged /usr, like the host: /lib -> usr/lib would complicate ldd paths,
# so copy libraries to the exact paths ldd printed.
# busybox sh runs its own applets before searching $PATH, so a tool that
# is also an applet (ip) is reached through a function in /etc/evs-shrc,
# which the command server, /init and login shells source.
echo "# generated by build-initramfs.sh: full tools over busybox applets" >"$r/etc/evs-shrc"
for f in "${bin_paths[@]}"; do
	b=$(basename "$f")
	install -m 0755 "$f" "$r/usr/bin/$b"
	if [ -L "$r/bin/$b" ]; then
		rm -f "$r/bin/$b"
		echo "$b() { /usr/bin/$b \"\$@\"; }" >>"$r/etc/evs-shrc"
	fi
done
echo ". /etc/evs-shrc" >"$r/etc/profile"
for f in "${lib_paths[@]}"; do
	mkdir -p "$r$(dirname "$f")"
	cp -L "$f" "$r$f"
done
for p in "${ordered[@]}"; do
	mkdir -p "$r/lib/modules/$kver/$(dirname "$p")"
	cp "$moddir/$p" "$r/lib/modules/$kver/$p"
done
# modules.dep/alias limited to what we ship, so busybox modprobe and the
# kernel's request_module (e.g. "ip link add type geneve") find them.
awk -F: 'NR == FNR {keep[$1] = 1; next} keep[$1]' \
	<(printf '%s\n' "${ordered[@]}") "$moddir/modules.dep" \
	>"$r/lib/modules/$kver/modules.dep"
names=$(for p in "${ordered[@]}"; do basename "$p" .ko | tr - _; done)
awk 'NR == FNR {keep[$1] = 1; next} {m = $3; gsub("-", "_", m)} keep[m]' \
	<(echo "$names") "$moddir/modules.alias" >"$r/lib/modules/$kver/modules.alias"
cp "$moddir/modules.builtin" "$r/lib/modules/$kver/" 2>/dev/null || true
printf '%s\n' "${boot_names[@]}" >"$r/etc/evs-boot-modules"

install -m 0755 "$here/rootfs/init" "$r/init"
install -m 0644 "$here/rootfs/etc/inittab" "$r/etc/inittab"
for f in "$here"/rootfs/sbin/*; do install -m 0755 "$f" "$r/sbin/"; done
echo "root:x:0:0:root:/root:/bin/sh" >"$r/etc/passwd"
echo "root:x:0:" >"$r/etc/group"
printf '127.0.0.1 localhost\n::1 localhost\n' >"$r/etc/hosts"
printf 'tcp 6 TCP\nudp 17 UDP\nicmp 1 ICMP\n' >"$r/etc/protocols"
echo "$hash" >"$r/etc/evs-initramfs-id"

if command -v zstd >/dev/null; then
	compress=(zstd -q -10 -T0)
else
	compress=(gzip -6)
fi
(cd "$r" && find . -print0 | LC_ALL=C sort -z |
	cpio --null -o -H newc -R 0:0 --quiet) | "${compress[@]}" >"$stage/initramfs.img"
cp "$kernel" "$stage/vmlinuz"
mv -f "$stage/initramfs.img" "$out/initramfs.img"
mv -f "$stage/vmlinuz" "$out/vmlinuz"
echo "$hash" >"$out/inputs.sha256"
say "built $(du -h "$out/initramfs.img" | cut -f1) initramfs," \
	"${#ordered[@]} modules, ${#lib_paths[@]} libraries (${hash:0:12})"
echo "KERNEL=$out/vmlinuz INITRD=$out/initramfs.img"
