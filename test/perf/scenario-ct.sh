# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash
#
# Connection-table sizing of the scenarios that commit every flow to
# conntrack (the firewall and the load balancer; sourced by
# test/perf/scenarios/*.sh). matrix.sh asks `sc_edgevs_sizing FLOWS CONN`
# for "CT_MAX MEM_MIB": the daemon's --ct-max and its EAL -m.
#
# Throughput runs: each flow is one connection and stays for the whole run
# (one-way UDP: 30 s unreplied), so the table holds the flows and half as
# many again, in 64k steps (the daemon's default, 65536, below 43k flows).
# Preallocated: about 380 bytes per connection (doc/conntrack.md).
#
# New-connection runs (CONN=1): every SYN opens a connection and nothing
# closes within the 3 s window. The 2M table of earlier runs filled
# (699051/s = 2^21 / 3 s: a capacity, not a rate); 4M connections hold
# 1.39M/s for 3 s, past the 1M/s target (a run whose table fills anyway
# reports ct.stats conns = CT_MAX: a lower bound). ~1.6 GB.
sc_ct_conn_rate_max=4194304

sc_edgevs_sizing() { # flows conn
	local n
	if [ "$2" = 1 ]; then
		echo "$sc_ct_conn_rate_max 2048"
		return
	fi
	n=$((($1 + $1 / 2 + 65535) / 65536 * 65536))
	[ "$n" -ge 65536 ] || n=65536
	# the default table fits the default 512 MiB; more adds ~380 B each
	[ "$n" = 65536 ] && echo "$n 512" && return
	echo "$n $((512 + (n * 380 / 1048576 + 127) / 128 * 128))"
}
