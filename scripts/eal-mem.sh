#!/usr/bin/env bash
# Print EAL memory arguments: hugepages when we can reserve them, --no-huge
# when we can't. Says which on stderr. Usage: scripts/eal-mem.sh [MB]
set -u
need_mb=${1:-512}
pages=$((need_mb / 2))
meminfo() { awk -v k="$1:" '$1 == k {print $2}' /proc/meminfo; }

if [ "${EDGEVS_NO_HUGE:-0}" != 1 ] && [ -w /proc/sys/vm/nr_hugepages ]; then
	free=$(meminfo HugePages_Free)
	if [ "${free:-0}" -lt "$pages" ]; then
		total=$(meminfo HugePages_Total)
		echo $((total + pages - free)) >/proc/sys/vm/nr_hugepages 2>/dev/null
	fi
	if ! grep -q '^[^ ]* [^ ]* hugetlbfs ' /proc/mounts; then
		mkdir -p /dev/hugepages && mount -t hugetlbfs nodev /dev/hugepages 2>/dev/null
	fi
	free=$(meminfo HugePages_Free)
	if [ "${free:-0}" -ge "$pages" ] && grep -q ' hugetlbfs ' /proc/mounts; then
		echo "edgevs: using hugepages ($free x 2 MiB free)" >&2
		echo "--in-memory -m $need_mb"
		exit 0
	fi
fi
echo "edgevs: hugepages unavailable, running with --no-huge" >&2
echo "--no-huge --no-shconf -m $need_mb"
