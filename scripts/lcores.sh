#!/usr/bin/env bash
# Print EAL lcore arguments: lcore 0 = management, lcore 1 = PMD, pinned to
# the last two CPUs we may run on (both on one CPU if there is only one).
cpus=($(python3 -c 'import os; print(" ".join(map(str, sorted(os.sched_getaffinity(0)))))'))
n=${#cpus[@]}
if [ "$n" -ge 2 ]; then
	echo "--lcores 0@${cpus[$((n - 2))]},1@${cpus[$((n - 1))]}"
else
	echo "--lcores 0@${cpus[0]},1@${cpus[0]}"
fi
