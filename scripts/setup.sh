#!/usr/bin/env bash
# Install every Debian package edgevs needs to build, run and test, then build.
# Usage: scripts/setup.sh [--run-deps-only] [BUILD_DIR]   (run as root on Debian 12)
# EDGEVS_SETUP=test adds the test tools, EDGEVS_SETUP=perf those and OVS-DPDK.
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD_PKGS=(build-essential pkg-config meson ninja-build python3
	libdpdk-dev dpdk dpdk-dev libnuma-dev libjansson-dev check libsubunit-dev
	libipsec-mb-dev libpcap-dev)
RUN_PKGS=(iproute2 kmod procps iputils-ping socat)
TEST_PKGS=(iperf3 tcpdump tshark python3-scapy python3-cryptography gnuplot-nox ethtool
	qemu-system-x86 busybox-static cpio zstd clang file nftables)

# The performance suite's peer: Open vSwitch built with DPDK (test/perf/ovs.sh
# runs its own private instance; the system service is never used).
PERF_PKGS=(openvswitch-switch-dpdk)

want=("${BUILD_PKGS[@]}" "${RUN_PKGS[@]}")
case "${EDGEVS_SETUP:-}" in
test) want+=("${TEST_PKGS[@]}") ;;
perf) want+=("${TEST_PKGS[@]}" "${PERF_PKGS[@]}") ;;
esac

missing=()
for p in "${want[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "setup: need root to install: ${missing[*]}" >&2
		exit 1
	fi
	echo "setup: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q >/dev/null
	apt-get install -y -q --no-install-recommends "${missing[@]}" >/tmp/edgevs-apt.log 2>&1 ||
		{ tail -20 /tmp/edgevs-apt.log >&2; exit 1; }
fi

build=${1:-build}
if [ ! -f "$build/build.ninja" ]; then
	meson setup "$build" ${EDGEVS_MESON_ARGS:-} >/dev/null
fi
ninja -C "$build" >/dev/null || ninja -C "$build"
echo "setup: built in $build"
