#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Route changes under traffic (issue 10: 10k changes/s with zero loss on
# unaffected flows). a (198.18.1.2, sw0) and b (198.18.2.2, sw1) behind r1,
# neighbours and gateway MACs static; b also holds 10.77.0.1 (route
# 10.77.0.0/16 via b). Two steady ping streams from a, 500 echoes/s each, to
# b (connected route) and to 10.77.0.1 (static route), while route_churn.py
# adds and deletes CHURN_BATCH (10) /32s of 10.200.0.0/16 at a time through the socket
# (route.bulk) for CHURN_S seconds. Every change bumps r1's FIB dependency,
# so both streams' megaflows are re-translated again and again.
# Checks: thousands of changes happened while the streams ran, no echo of
# either stream is lost, and no churn route is left. The rate is logged, not
# asserted (a loaded CI machine is no benchmark): test/perf/route-churn.sh
# measures it (CHURN_MIN_RATE=N makes the rate a check).
set -o pipefail
. "$(dirname "$0")/lib.sh"
it_init l3ch # (a short tag: interface names are 15 characters at most)

CHURN_S=${CHURN_S:-5}
CHURN_BATCH=${CHURN_BATCH:-10}
FAR=10.77.0.1

. "$IT_DIR/l3_static.sh"
l3_static_up '[ { "router": "r1", "prefix": "10.77.0.0/16", "nexthops": [ { "port": "r1b", "via": "'"$HB"'" } ] } ]'
nsx b ip addr add "$FAR/32" dev lo

ping_check "ping a -> b (connected route)" a "$HB"
ping_check "ping a -> $FAR (static route)" a "$FAR"

n=$((CHURN_S * 500 + 500)) # the streams outlast the churn by about a second
it_bg p1 nsx a ping -n -q -i 0.002 -c "$n" -W 2 "$HB" >"$IT_TMP/p1.out" 2>&1
it_bg p2 nsx a ping -n -q -i 0.002 -c "$n" -W 2 "$FAR" >"$IT_TMP/p2.out" 2>&1
sleep 0.5
out=$("$PY" "$IT_DIR/route_churn.py" "$EVS_SOCK" r1 r1b "$HB" "$CHURN_S" "$CHURN_BATCH" 2>&1)
it_log "route churn: $out (route.bulk of $CHURN_BATCH /32s, add then del)"
read -r _ changes _ secs _ rate <<<"$out"
assert_ge "route changes under traffic (rate ${rate:-0}/s)" 2000 "${changes:-0}"
if [ -n "${CHURN_MIN_RATE:-}" ]; then
	assert_ge "at least $CHURN_MIN_RATE route changes per second" "$CHURN_MIN_RATE" "${rate:-0}"
fi
it_wait "$p1"
it_wait "$p2"
for s in "p1 $HB" "p2 $FAR"; do
	read -r f dst <<<"$s"
	read -r tx rx <<<"$(ping_counts "$IT_TMP/$f.out")"
	it_log "stream to $dst: $rx of $tx echoes answered"
	assert_ge "stream to $dst: $n echoes sent" "$n" "$tx"
	assert_eq "stream to $dst: no echo lost during $changes route changes" "$tx" "$rx"
done
r=$(rpc_ok route.get '{"router":"r1","address":"10.200.0.5"}')
assert_eq "no churn route is left (10.200.0.5 has no route)" "" "$(jget "$r" route.prefix 2>/dev/null)"
st=$(rpc_ok router.stats '{"router":"r1"}')
assert_ge "router.stats: both streams routed" $((4 * n)) "$(jget "$st" routed)"
assert_ok "the daemon is alive" evs_alive

it_finish
