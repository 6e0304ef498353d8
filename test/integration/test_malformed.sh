#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Malformed frames are dropped, counted by reason in stats.get, and never
# disturb forwarding:
# - from namespace a (scapy over AF_PACKET, addressed to host b): truncated
#   VLAN tags and too many tags (bad_vlan), IPv4/IPv6/ARP headers cut short or
#   invalid (bad_l3), TCP/UDP/ICMP headers cut short (bad_l4), a multicast
#   source MAC (src_mac_mcast), the all-zero source (src_mac_zero), frames to
#   the 802.1D link-local group: STP BPDU, pause, LACP, LLDP (link_local),
#   type/length 0x05dd-0x05ff (bad_ethertype), an 802.3 length past the
#   frame (bad_length), frames longer than the port MTU (oversize); host b
#   must receive none of them;
# - priority-tagged frames (VID 0) a -> b: PCP 5 arrives with its priority
#   tag, PCP 0 arrives untagged (doc/l2.md);
# - runts (1-13 bytes, which a kernel interface cannot send) replayed by a
#   net_pcap port added for the purpose (runt).
# A ping a -> b running during the injection must lose nothing, and every
# ping after each part must be answered.
set -o pipefail
. "$(dirname "$0")/lib.sh"
it_init mf
"$PY" -c 'import scapy' 2>/dev/null || it_die "python3-scapy is not installed (for $PY)"

N=20
M_BAD=02:49:54:00:0b:ad
M_ZERO=00:00:00:00:00:00
M_PRIO5=02:49:54:00:05:05
M_PRIO0=02:49:54:00:05:00
MF=("$PY" "$IT_DIR/malformed.py")
two_hosts_start
ping_check "ping a -> b before" a "$IP_B"

s0=$(rpc_ok stats.get)

# The malformed frames go out while a pings b every 20 ms: not one echo may
# be lost. Host b counts what reaches it from the bad source MAC meanwhile.
plog=$IT_TMP/ping.txt
it_bg cpid nsx b "$PY" "$IT_DIR/malformed.py" count "$(ifname b)" "$M_BAD" 6 >"$IT_TMP/count.out"
it_bg zpid nsx b "$PY" "$IT_DIR/malformed.py" count "$(ifname b)" "$M_ZERO" 6 >"$IT_TMP/zero.out"
it_bg ppid nsx a ping -n -q -c 250 -i 0.02 -W 5 "$IP_B" >"$plog" 2>&1
sleep 0.5
sent=$(nsx a "${MF[@]}" send "$(ifname a)" "$MAC_B" "$M_BAD" "$N" 2>"$IT_TMP/scapy.err") ||
	{ cat "$IT_TMP/scapy.err" >&2; it_die "scapy could not send"; }
it_log "sent per expected drop reason: $(echo $sent)"
kill -0 "$ppid" 2>/dev/null ||
	it_fail "the ping ended before the injection did: the window proved nothing (make it longer)"
it_wait "$ppid"
read -r tx rx < <(ping_counts "$plog")
assert_ge "pings a -> b during the injection" 250 "$tx"
assert_eq "pings a -> b answered during the injection (no loss)" "$tx" "$rx"
it_wait "$cpid"
it_wait "$zpid"
assert_eq "host b received none of the malformed frames" 0 "$(cat "$IT_TMP/count.out")"
assert_eq "host b received none of the zero-source frames" 0 "$(cat "$IT_TMP/zero.out")"

# Priority tags: kept when they carry a priority, removed when PCP is 0.
# The listeners stop once they saw the 10 frames (scapy's import in the
# senders takes seconds on a loaded machine, so the window is long).
it_bg p5pid nsx b "$PY" "$IT_DIR/malformed.py" prio-count "$(ifname b)" "$M_PRIO5" 20 10 >"$IT_TMP/p5.out"
it_bg p0pid nsx b "$PY" "$IT_DIR/malformed.py" prio-count "$(ifname b)" "$M_PRIO0" 20 10 >"$IT_TMP/p0.out"
sleep 0.5
nsx a "${MF[@]}" prio-send "$(ifname a)" "$MAC_B" "$M_PRIO5" 5 10 || it_die "scapy could not send"
nsx a "${MF[@]}" prio-send "$(ifname a)" "$MAC_B" "$M_PRIO0" 0 10 || it_die "scapy could not send"
it_wait "$p5pid"
it_wait "$p0pid"
assert_eq "PCP 5 priority-tagged frames reach b with their tag (vid/pcp count)" "0/5 10" \
	"$(cat "$IT_TMP/p5.out")"
assert_eq "PCP 0 priority-tagged frames reach b untagged" "untagged 10" "$(cat "$IT_TMP/p0.out")"

# Frames longer than the port's MTU (1500): a's own MTU is raised to send them.
nsx a ip link set dev "$(ifname a)" mtu 2000
ping_none "1600-byte packets (over pa's MTU) get no answer" a "$IP_B" -s 1572 -M do
nsx a ip link set dev "$(ifname a)" mtu 1500
ping_check "ping a -> b after the oversize frames" a "$IP_B"

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
assert_ge "stats.get drops 'oversize' counted the 1600-byte frames" 3 "$(delta oversize)"
assert_ge "stats.get drops 'runt' counted the runts" 26 "$(delta runt)"

evs_alive || it_die "the daemon died"
ping_check "ping a -> b after" a "$IP_B"
ping_check "1400-byte ping a -> b after" a "$IP_B" -s 1400 -M do

it_finish
