# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash
#
# 2 MiB hugepages for the performance scripts: reserve what is missing for
# a run, give back exactly what was added (sourced).
#
# huge_reserve MIB   at least MIB free in 2 MiB pages; 1 if the kernel will not
# huge_release       give back the pages huge_reserve added
# huge_eal           EAL options for a process on them (memfd, no files):
#                    one memfd per memory list, as vhost-user maps at most
#                    8 regions of a guest's memory

huge_added=0
huge_free_mib() { awk '/HugePages_Free/ {print $2 * 2}' /proc/meminfo; }
huge_reserve() {
	local want=$1 total
	[ "$(huge_free_mib)" -ge "$want" ] && return 0
	total=$(cat /proc/sys/vm/nr_hugepages)
	echo $((total + (want - $(huge_free_mib)) / 2)) >/proc/sys/vm/nr_hugepages 2>/dev/null
	huge_added=$((huge_added + $(cat /proc/sys/vm/nr_hugepages) - total))
	[ "$(huge_free_mib)" -ge "$want" ]
}
huge_release() {
	[ "$huge_added" -gt 0 ] || return 0
	echo $(($(cat /proc/sys/vm/nr_hugepages) - huge_added)) >/proc/sys/vm/nr_hugepages
	huge_added=0
}
huge_eal() { echo "--in-memory --single-file-segments"; }
