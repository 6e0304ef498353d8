#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Malformed frames are dropped, counted by reason in stats.get, and never
# disturb forwarding:
# - from namespace a (scapy over AF_PACKET, addressed to host b): truncated
#   VLAN tags and too many tags (bad_vlan), IPv4/IPv6/ARP headers cut short or
#   invalid (bad_l3), TCP/UDP/ICMP headers cut short (bad_l4), a multicast
#   source MAC (src_mac_mcast), frames longer than the port MTU (oversize);
#   host b must receive none of them;
# - runts (1-13 bytes, which a kernel interface cannot send) replayed by a
#   net_pcap port added for the purpose (runt).
# A ping a -> b must work before, during and after.
set -o pipefail
. "$(dirname "$0")/lib.sh"
it_init mf
"$PY" -c 'import scapy' 2>/dev/null || it_die "python3-scapy is not installed (for $PY)"

N=20
M_BAD=02:49:54:00:0b:ad
MF=("$PY" "$IT_DIR/malformed.py")
two_hosts_start
ping_check "ping a -> b before" a "$IP_B"

plog=$IT_TMP/ping.txt
it_bg ppid nsx a ping -n -q -c 300 -i 0.02 -W 2 "$IP_B" >"$plog" 2>&1
s0=$(rpc_ok stats.get)

# Host b counts what reaches it from the bad source MAC while a sends.
it_bg cpid nsx b "$PY" "$IT_DIR/malformed.py" count "$(ifname b)" "$M_BAD" 6 >"$IT_TMP/count.out"
sleep 1
sent=$(nsx a "${MF[@]}" send "$(ifname a)" "$MAC_B" "$M_BAD" "$N" 2>"$IT_TMP/scapy.err") ||
	{ cat "$IT_TMP/scapy.err" >&2; it_die "scapy could not send"; }
it_log "sent per expected drop reason: $(echo $sent)"
# Frames longer than the port's MTU (1500): a's own MTU is raised to send them.
nsx a ip link set dev "$(ifname a)" mtu 2000
nsx a ping -q -c 5 -i 0.05 -W 1 -s 1572 -M do "$IP_B" >/dev/null 2>&1
nsx a ip link set dev "$(ifname a)" mtu 1500
it_wait "$cpid"
assert_eq "host b received none of the malformed frames" 0 "$(cat "$IT_TMP/count.out")"

# Runts through a pcap port.
"${MF[@]}" runts "$IT_TMP/runts.pcap" 26 2>/dev/null || it_die "cannot write the runt pcap"
r=$(rpc port.add "{\"name\":\"pr\",\"type\":\"ethdev\",\"devargs\":\"net_pcap0,rx_pcap=$IT_TMP/runts.pcap,tx_pcap=$IT_TMP/pr-out.pcap\",\"switch\":\"sw0\"}")
assert_match "port.add of a net_pcap port replaying runts" '"result"' "$r"
sleep 1
r=$(rpc port.del '{"name":"pr"}')
assert_match "port.del of the pcap port" '"result"' "$r"

sleep 0.5
s1=$(rpc_ok stats.get)
delta() { echo $(("$("${RPC[@]}" find "$s1" "$1")" - "$("${RPC[@]}" find "$s0" "$1")")); }
while read -r kind n; do
	[ -n "$kind" ] && assert_ge "stats.get drops '$kind' counted the malformed frames" "$n" "$(delta "$kind")"
done <<<"$sent"
assert_ge "stats.get drops 'oversize' counted the 1600-byte frames" 5 "$(delta oversize)"
assert_ge "stats.get drops 'runt' counted the runts" 26 "$(delta runt)"

evs_alive || it_die "the daemon died"
it_wait "$ppid"
read -r tx rx < <(ping_counts "$plog")
assert_ge "pings a -> b during the injection" 300 "$tx"
# Forwarding goes on during the injection (which also hot-adds and removes a
# port and changes a's MTU): on a loaded 2-core machine a few echoes may miss
# their 2 s deadline, so at least 95 % must come back; after it, every one.
assert_ge "pings a -> b answered during the injection (>= 95%)" "$((tx * 95 / 100))" "$rx"
ping_check "ping a -> b after" a "$IP_B"
ping_check "1400-byte ping a -> b after" a "$IP_B" -s 1400 -M do

it_finish
