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
# huge_sort TOOL MIB at least MIB free in pages the hypervisor backs with huge
#                    pages of its own; the others are held by TOOL
#                    (hugepage-sort, test/perf/hugepage_sort.c) until
#                    huge_release; the sort's summary is in $huge_sort_line

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
huge_sort_pid=""
huge_sort_line=""
huge_sort() {
	local tool=$1 want=$2 out
	[ -x "$tool" ] || { echo "huge: $tool not built: pages not sorted" >&2; return 1; }
	out=$(mktemp)
	"$tool" --want-mib "$want" >"$out" 2>&1 &
	huge_sort_pid=$!
	for _ in $(seq 1200); do
		grep -q '^ready' "$out" && break
		kill -0 "$huge_sort_pid" 2>/dev/null || break
		sleep 0.1
	done
	huge_sort_line=$(head -n 1 "$out")
	rm -f "$out"
	case "$huge_sort_line" in ready*) return 0 ;; esac
	echo "huge: ${huge_sort_line:-hugepage-sort gave no answer}: pages not sorted" >&2
	huge_sort_stop
	return 1
}
huge_sort_stop() {
	[ -n "$huge_sort_pid" ] || return 0
	kill -TERM "$huge_sort_pid" 2>/dev/null
	wait "$huge_sort_pid" 2>/dev/null
	huge_sort_pid=""
}
huge_release() {
	huge_sort_stop
	[ "$huge_added" -gt 0 ] || return 0
	echo $(($(cat /proc/sys/vm/nr_hugepages) - huge_added)) >/proc/sys/vm/nr_hugepages
	huge_added=0
}
huge_eal() { echo "--in-memory --single-file-segments"; }
