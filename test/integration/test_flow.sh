#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The engine's control seam (doc/pipeline.md) on the real daemon: after
# traffic between two namespace hosts, flow.dump shows the L2 module's
# programs, flow.trace explains a packet (by fields and by frame, with the
# stage, the megaflow, the program and what executing it did), a static MAC
# moved onto the input port re-translates the cached flow (hairpin drop,
# counted by its owner), and stats.get reports drops by owner and the
# module's counters.
set -o pipefail
. "$(dirname "$0")/lib.sh"
it_init fl

two_hosts_start

ping_check "ping a -> b" a "$IP_B"

dump=$(rpc_ok flow.dump)
assert_has "flow.dump: a megaflow a -> b runs output(port=pb)" "$dump" actions="output(port=pb)"
assert_has "flow.dump: a megaflow b -> a runs output(port=pa)" "$dump" actions="output(port=pa)"

tr=$(rpc_ok flow.trace "{\"in_port\":\"pa\",\"dst_mac\":\"$MAC_B\",\"src_mac\":\"$MAC_A\"}")
assert_eq "flow.trace (fields): the program" "output(port=pb)" "$(jget "$tr" actions)"
assert_has "flow.trace (fields): the L2 stage decided" "$tr" module=l2 stage=switch pass=0
assert_match "flow.trace (fields): the megaflow consults the destination MAC" \
	"dst_mac=$MAC_B" "$(jget "$tr" megaflow)"

# A broadcast frame from a, as hex: flooded; the pass says where copies went.
bhex="ffffffffffff${MAC_A//:/}88b5$(printf '00%.0s' $(seq 1 46))"
tr=$(rpc_ok flow.trace "{\"in_port\":\"pa\",\"packet\":\"$bhex\"}")
assert_eq "flow.trace (frame): the program floods switch 0" "flood(switch=0)" \
	"$(jget "$tr" passes.0.actions)"
assert_match "flow.trace (frame): executing it outputs a copy" "output port=" \
	"$(jget "$tr" passes.0.result)"
assert_eq "flow.trace (frame): one pass (no recirculation)" "" "$(jget "$tr" passes.1 2>/dev/null)"

# B's MAC, made static on pa: the cached a -> b megaflow depends on sw0's MAC
# table, so it is re-translated: frames from pa to B are now hairpin drops.
s0=$(rpc_ok stats.get)
rpc_ok mac.add "{\"switch\":\"sw0\",\"mac\":\"$MAC_B\",\"port\":\"pa\"}" >/dev/null
nsx a ping -n -q -c 3 -i 0.2 -W 1 "$IP_B" >/dev/null 2>&1
s1=$(rpc_ok stats.get)
d=$(($(jget "$s1" drops_by_owner.l2.hairpin) - $(jget "$s0" drops_by_owner.l2.hairpin)))
assert_ge "MAC moved onto the input port: a -> b frames dropped as l2 hairpin" 1 "$d"
assert_eq "stats.get: the flat drops agree with the owner's" \
	"$(jget "$s1" drops_by_owner.l2.hairpin)" "$(jget "$s1" drops.hairpin)"
tr=$(rpc_ok flow.trace "{\"in_port\":\"pa\",\"dst_mac\":\"$MAC_B\",\"src_mac\":\"$MAC_A\"}")
assert_eq "flow.trace: the new program" "drop(hairpin)" "$(jget "$tr" actions)"
fs=$(rpc_ok flow.stats)
assert_ge "flow.stats: the stale megaflow was re-translated" 1 "$("${RPC[@]}" sum "$fs" revalidated)"
rpc_ok mac.del "{\"switch\":\"sw0\",\"mac\":\"$MAC_B\"}" >/dev/null
ping_check "ping a -> b once B's MAC is learned again" a "$IP_B"

assert_ge "stats.get: L2 counted floods (ARP)" 1 "$(jget "$s1" pmds.0.modules.l2.flooded)"
assert_eq "stats.get: the engine owns its drops" "0" "$(jget "$s1" drops_by_owner.engine.recirc_depth)"
assert_eq "stats.get: the parser owns its drops" "0" "$(jget "$s1" drops_by_owner.packet.bad_length)"

it_finish
