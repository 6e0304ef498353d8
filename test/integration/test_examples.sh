#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The examples under examples/ (what a user runs first, and what issues'
# "done means" point at) still do what they say: each runs against this
# build and its printed outcome is checked. The QEMU one (examples/guests)
# is left to the guests test, which boots the same guests.
set -o pipefail
. "$(dirname "$0")/lib.sh"
IT_TIMEOUT=${IT_TIMEOUT:-280}
it_init exa

ROOT=$(cd "$IT_DIR/../.." && pwd)
run_example() { # NAME SCRIPT: its output in $IT_TMP/NAME.out
	local rc=0
	BUILD=$BUILD timeout 150 "$ROOT/examples/$2" >"$IT_TMP/$1.out" 2>&1 || rc=$?
	assert_eq "example $2 exits 0" 0 "$rc"
	[ "$rc" = 0 ] || tail -20 "$IT_TMP/$1.out" >&2
}
line() { grep -F -- "$2" "$IT_TMP/$1.out" | head -1; }
count() { grep -c -E -- "$2" "$IT_TMP/$1.out" || true; }

# --- web tier behind security groups ---------------------------------------
run_example web web-tier-firewall/web-tier.sh
assert_match "web: lb reaches web1:80" ' ok$' "$(line web '== lb -> web1:80')"
assert_match "web: admin cannot reach web1:80" ' timeout$' "$(line web '== admin -> web1:80')"
assert_match "web: web1:22 rejects admin" ' refused$' "$(line web '== admin -> web1:22')"
assert_match "web: web1 reaches db:5432" ' ok$' "$(line web '== web1 -> db:5432')"
assert_match "web: lb cannot reach db:5432" ' timeout$' "$(line web '== lb -> db:5432')"
assert_match "web: admin pings web1" ' 0% packet loss' "$(line web 'packets transmitted')"

# --- three-backend load balancer -------------------------------------------
run_example lb three-backend-lb/three-backend-lb.sh
assert_eq "lb: no connection failed" 0 "$(count lb 'failed')"
# the first 40 connections: every backend answered some (weights 1:1:2)
first=$(sed -n '/== 40 connections/,/== per VIP/p' "$IT_TMP/lb.out")
for b in b1 b2 b3; do
	assert_match "lb: $b answered connections" "[0-9]+ $b" "$first"
done
assert_eq "lb: the 40 connections all answered" 40 \
	"$(echo "$first" | awk '$2 ~ /^b[123]$/ {s += $1} END {print s + 0}')"
drained=$(sed -n '/== b3 drained/,/== snat/p' "$IT_TMP/lb.out")
assert_eq "lb: 20 connections after draining b3, none to b3" "20 0" \
	"$(echo "$drained" | awk '$2 ~ /^b[12]$/ {s += $1} $2 == "b3" {t += $1} END {print s + 0, t + 0}')"
assert_match "lb: the VIP's stats count 40 connections" 'connections 40 ' "$(line lb 'web 10.0.100.10')"

# --- an encrypted logical switch across two hosts ---------------------------
run_example enc encrypted-overlay/encrypted-overlay.sh
assert_eq "enc: both pings (before and after the rekey) lose nothing" 2 "$(count enc ' 0% packet loss')"
assert_eq "enc: four rekeys answered" 4 "$(count enc '^draining: +1$')"
assert_eq "enc: no authentication failure" 0 "$(count enc 'drops\.auth: +[1-9]')"
assert_match "enc: the SA list hides the keys" '<set>' "$(line enc 'peer  out')"

# --- a two-tier tenant behind a logical router ------------------------------
run_example tier two-tier-tenant/two-tier.sh
assert_eq "tier: the gateway and db answer (2 + 3 pings)" 2 "$(count tier ' 0% packet loss')"
assert_match "tier: TTL 1 gets Time Exceeded" 'Time to live exceeded' "$(cat "$IT_TMP/tier.out")"

it_finish
