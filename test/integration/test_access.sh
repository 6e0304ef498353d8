#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Access control on the control socket, with a real non-root user: a
# temporary user in a temporary group (both removed at the end) that the
# config's "access" section makes read-only:
# - it can read (switch.list, config.get, list) but every change is refused
#   with -32004 naming the role needed, and nothing changes;
# - refusals and every mutation (with uid and pid) are in the daemon log and
#   counted by ctl.stats; root is always admin;
# - the socket's group/mode (--socket-group, --socket-mode) are the outer gate;
# - 70 idle connections of the non-root user do not lock root out: admins
#   have reserved slots and evict the longest idle non-admin when all are taken;
# - a config.apply that makes the group admin lets the same user change things.
set -o pipefail
. "$(dirname "$0")/lib.sh"
it_init ac
it_require_cmd setpriv
it_require_cmd useradd

U=itac$$
groupadd "$U" || it_skip "cannot create a group"
it_on_cleanup "groupdel $U"
useradd -M -N -g "$U" -s /usr/sbin/nologin "$U" || it_die "cannot create user $U"
it_on_cleanup "userdel $U"
UID_U=$(id -u "$U")
GID_U=$(getent group "$U" | cut -d: -f3)
chmod 0711 "$IT_TMP" # the user reaches the socket, nothing else
# The checkout may sit where the user cannot read (/root is 0700 on a fresh
# machine): the user runs its own copy of the client.
mkdir -m 0755 "$IT_TMP/client"
install -m 0644 "$IT_DIR/evsrpc.py" "$IT_TMP/client/evsrpc.py"
U_RPC=("$PY" "$IT_TMP/client/evsrpc.py")

CONF=$IT_TMP/config.json
cat >"$CONF" <<JSON
{ "switches": [ { "name": "sw0", "mac_aging": 300, "max_macs": 100 } ], "ports": [],
  "access": { "default": "none", "roles": [ { "role": "read-only", "gids": [ $GID_U ] } ] } }
JSON
evs_start d "$CONF" --socket-group "$U" --socket-mode 0660
assert_eq "the socket's group is set" "$U 660" "$(stat -c '%G %a' "$EVS_SOCK")"

as_user() { setpriv --reuid="$UID_U" --regid="$GID_U" --init-groups "${U_RPC[@]}" call "$EVS_SOCK" "$@"; }

# --- read-only: reads pass ------------------------------------------------
h=$(setpriv --reuid="$UID_U" --regid="$GID_U" --init-groups "${U_RPC[@]}" hello "$EVS_SOCK")
assert_eq "the hello tells the client its role" "read-only $UID_U" \
	"$(jget "$h" params.role) $(jget "$h" params.uid)"
doc0=$(jcanon "$(rpc_ok config.get)")
r=$(as_user switch.list)
assert_ok "the read-only user lists switches" "${RPC[@]}" has "$r" name=sw0
r=$(as_user config.get)
assert_eq "the read-only user reads the config" "$doc0" "$(jcanon "$(jget "$r" result)")"
r=$(as_user list)
assert_match "the read-only user lists the methods" '"result"' "$r"

# --- ... changes do not ------------------------------------------------
r=$(as_user switch.add '{"name":"evil"}')
expect_error "switch.add is refused" -32004 /method "$r"
assert_match "the refusal names the role needed" "needs the admin role" "$(jget "$r" error.message)"
expect_error "config.apply is refused" -32004 /method \
	"$(as_user config.apply "{\"config\":{\"switches\":[],\"ports\":[]}}")"
expect_error "config.save is refused" -32004 /method "$(as_user config.save '{"path":"x.json"}')"
expect_error "flow.flush is refused" -32004 /method "$(as_user flow.flush)"
assert_eq "nothing changed" "$doc0" "$(jcanon "$(rpc_ok config.get)")"
assert_fails "no file was written in the state dir" test -e "$IT_TMP/state-d/x.json"
r=$(setpriv --reuid="$UID_U" --regid="$GID_U" --init-groups "${U_RPC[@]}" oversize "$EVS_SOCK" $((1536 * 1024)))
expect_error "a 1.5 MiB line from a non-admin is refused" -32600 "" "$(echo "$r" | head -n 1)"
assert_match "the refusal says large lines are for admins" "larger ones are for admins" \
	"$(jget "$(echo "$r" | head -n 1)" error.message)"
assert_match "refusals are logged with uid and method" "refused: uid $UID_U pid [0-9]+ .*switch.add" \
	"$(cat "$EVS_LOG")"
assert_ge "ctl.stats counts the refusals" 4 "$(jget "$(rpc_ok ctl.stats)" calls_refused)"

# --- root is always admin; mutations are audited ---------------------------
rpc_ok switch.add '{"name":"sw1"}' >/dev/null
assert_match "a mutation is logged with uid, pid and method" "audit: uid 0 pid [0-9]+ .*switch.add" \
	"$(cat "$EVS_LOG")"
assert_ge "ctl.stats counts mutations" 1 "$(jget "$(rpc_ok ctl.stats)" mutations)"
assert_match "its outcome is logged once durable" "audit: uid 0 pid [0-9]+: switch.add done" \
	"$(cat "$EVS_LOG")"
expect_error "adding the same switch again fails" -32000 - "$(rpc switch.add '{"name":"sw1"}')"
assert_match "a failed mutation's outcome is logged with its code" \
	"audit: uid 0 pid [0-9]+: switch.add failed \(-32000 exists\)" "$(cat "$EVS_LOG")"

# --- the socket is the outer gate: a user outside its group cannot connect --
if setpriv --reuid=65534 --regid=65534 --clear-groups "${U_RPC[@]}" call "$EVS_SOCK" list >/dev/null 2>&1; then
	it_fail "a user outside the socket's group connected"
else
	it_pass "a user outside the socket's group cannot connect"
fi

# --- idle connections never lock the administrator out ----------------------
hold='import socket,sys,time
s=[]
for i in range(int(sys.argv[2])):
    c=socket.socket(socket.AF_UNIX); c.connect(sys.argv[1]); s.append(c)
time.sleep(120)'
it_bg holder setpriv --reuid="$UID_U" --regid="$GID_U" --init-groups "$PY" -c "$hold" "$EVS_SOCK" 70
stat_of() { jget "$(rpc_ok ctl.stats)" "$1"; }
# stat_at_least COUNTER N: wait (20 s at most) until ctl.stats COUNTER >= N.
stat_at_least() {
	local i
	for i in $(seq 100); do
		[ "$(stat_of "$1")" -ge "$2" ] && return 0
		sleep 0.2
	done
	return 1
}
stat_at_least clients_rejected 10
assert_ge "non-admins get at most 60 of the 64 slots (the rest is refused)" 10 "$(stat_of clients_rejected)"
assert_match "root is still served" '"result"' "$(rpc version)"
# Root fills the reserved slots and one more: that one evicts an idle non-admin.
it_bg roots "$PY" -c "$hold" "$EVS_SOCK" 5
stat_at_least clients_evicted 1
assert_ge "an admin evicts the longest idle non-admin when every slot is taken" 1 \
	"$(stat_of clients_evicted)"
assert_match "and root is still served" '"result"' "$(rpc version)"
kill "$holder" "$roots" 2>/dev/null


# --- the policy is config: make the group admin ---------------------------
doc1=$("$PY" -c 'import json,sys; d=json.loads(sys.argv[1]); d["access"]["roles"][0]["role"]="admin"; print(json.dumps(d))' "$(rpc_ok config.get)")
rpc_ok config.apply "{\"config\":$doc1}" >/dev/null
r=$(as_user switch.add '{"name":"byuser"}')
assert_match "once admin, the user can change things" '"result"' "$r"
assert_ok "and the change is there" "${RPC[@]}" has "$(rpc_ok switch.list)" name=byuser
assert_match "the user's mutation is audited with its uid" "audit: uid $UID_U pid [0-9]+ .*switch.add" \
	"$(cat "$EVS_LOG")"
expect_error "a bad access section is refused with its path" -32602 /params/config/access/default \
	"$(rpc config.apply '{"config":{"switches":[],"ports":[],"access":{"default":"all"}}}')"

it_finish
