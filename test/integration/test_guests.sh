#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Real QEMU guests (TCG here, KVM where it works) on edgevs vhost-user ports.
#
#   guest a --vhost-user--+                    +--net_tap-- ns h (a "host")
#                         +--[ edgevs sw0 ]----+
#   guest b --vhost-user--+
#
# Part 1, edgevs is the vhost-user server (QEMU connects, reconnect=1):
#   ping 56/1400 bytes and 1 MiB over TCP (sha256) between the guests; TCP
#   both ways between guest a and the namespace host on the tap port with the
#   guest's checksum offload on (partial checksums completed by the switch);
#   guest b SIGKILLed and restarted on the same socket; QEMU b shut down
#   cleanly and started again; port b removed while b sends, then added back.
# Part 2, edgevs is the client of QEMU's server sockets, 2 queue pairs:
#   the guests enable both pairs; ping/TCP; ethtool -L in the guest drops to
#   one pair and back at run time; edgevs restarted while the guests run:
#   they regain connectivity with no guest action.
# Every step checks the port counters and guest lifecycle counters through
# the control socket. Needs root, qemu-system-x86, the guest kernel packages
# (build-initramfs.sh installs them). Ends on its own (IT_TIMEOUT, 360 s).
set -o pipefail
: "${IT_TIMEOUT:=360}"
export IT_TIMEOUT
. "$(dirname "$0")/lib.sh"
it_init gu
it_require_cmd qemu-system-x86_64 sha256sum
# shellcheck source=guest/guest.sh
. "$IT_DIR/guest/guest.sh"
guest_init --no-trap --dir "$IT_TMP/guests" || it_die "guest tooling: cannot build or find the guest kernel/initramfs"
# Guests go first: their QEMUs hold our vhost sockets. it_cleanup needs the
# exit status as it was.
trap '_rc=$?; guest_cleanup; (exit $_rc); it_cleanup' EXIT
it_log "accelerator $GUEST_ACCEL_USED"

A_IP=10.77.0.1 B_IP=10.77.0.2 H_IP=10.77.0.3
H_MAC=02:77:00:00:00:03
SOCK_A=$IT_TMP/a.sock SOCK_B=$IT_TMP/b.sock

# ---------------------------------------------------------------- helpers

# gping GUEST DST SIZE: 5 pings, all answered.
gping() {
	local out
	out=$(guest_exec "$1" --timeout 30 "ping -c 5 -i 0.2 -W 3 -s $3 $2" 2>&1) &&
		grep -q ' 0% packet loss' <<<"$out" && return 0
	echo "$out" | tail -3 >&2
	return 1
}

# wait_gping GUEST DST SECS: until one ping gets through.
wait_gping() {
	guest_exec "$1" --timeout $(($3 + 5)) \
		"i=0; while [ \$i -lt $3 ]; do ping -c 1 -W 1 $2 >/dev/null && exit 0; i=\$((i+1)); done; exit 1" \
		>/dev/null
}

# g2g_tcp FROM TO TOIP: 1 MiB FROM -> TO with busybox nc; prints "tx rx" sums.
g2g_tcp() {
	local tx rx
	guest_exec "$2" 'rm -f /tmp/rx; (sleep 60 | nc -l -p 5001 >/tmp/rx 2>/dev/null &)' >/dev/null || return 1
	tx=$(guest_exec "$1" 'dd if=/dev/urandom of=/tmp/tx bs=64k count=16 2>/dev/null && sha256sum /tmp/tx') || return 1
	sleep 0.5
	guest_exec "$1" --timeout 40 "nc $3 5001 </tmp/tx" >/dev/null || return 1
	guest_exec "$2" --timeout 40 'i=0; while pidof nc >/dev/null && [ $i -lt 300 ]; do usleep 100000; i=$((i+1)); done' >/dev/null
	rx=$(guest_exec "$2" 'sha256sum /tmp/rx; killall sleep 2>/dev/null; true') || return 1
	echo "${tx%% *} ${rx%% *}"
}

# assert_tcp WHAT "TX RX": both sums present and equal.
assert_tcp() {
	local tx=${2%% *} rx=${2##* }
	if [ ${#tx} = 64 ] && [ "$tx" = "$rx" ]; then
		it_pass "$1"
	else
		it_fail "$1"$'\n'"    expected equal sha256 sums"$'\n'"    got:      '$2'"
	fi
}

# pstat PORT FIELD: a counter of port.stats PORT (drops.X for a drop reason).
pstat() { jget "$(rpc_ok port.stats "{\"name\":\"$1\"}")" "$2"; }
# vstat PORT FIELD: the vhost part of port.list for PORT (events.X, ...).
vstat() {
	"$PY" - "$(rpc_ok port.list)" "$1" "$2" <<'PY'
import json, sys
ports, name, path = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3]
for p in ports:
    if p["name"] == name:
        v = p.get("vhost", {})
        for k in path.split("."):
            v = v[k]
        print(json.dumps(v) if isinstance(v, (list, dict, bool)) else v)
PY
}
vhost_sane() { # PORT: counters make sense (each stop follows a start, ...)
	local st
	st=$(rpc_ok port.list) || return 1
	"$PY" - "$st" "$1" <<'PY'
import json, sys
p = [x for x in json.loads(sys.argv[1]) if x["name"] == sys.argv[2]][0]["vhost"]
e = p["events"]
ok = (e["connects"] - e["disconnects"] in (0, 1) and
      e["guest_starts"] - e["guest_stops"] in (0, 1) and
      e["guest_starts"] <= e["connects"] and
      p["connected"] == (e["connects"] > e["disconnects"]) and
      (not p["running"] or p["connected"]))
sys.exit(0 if ok else 1)
PY
}

start_daemon() { # H CONF
	evs_start "$1" "$2"
	it_log "daemon up; ports: $(rpc_ok port.list | head -c 300)"
}

# ---------------------------------------------------------------- part 1
it_log "part 1: edgevs is the vhost-user server, QEMU the client"
ns_add h
CONF=$IT_TMP/config.json
cat >"$CONF" <<JSON
{
  "switches": [ { "name": "sw0" } ],
  "ports": [
    { "name": "pt", "type": "ethdev", "devargs": "net_tap0,iface=$(ifname t)", "switch": "sw0" },
    { "name": "a", "type": "vhost-user", "path": "$SOCK_A", "mode": "server", "switch": "sw0" },
    { "name": "b", "type": "vhost-user", "path": "$SOCK_B", "mode": "server", "switch": "sw0" }
  ]
}
JSON
start_daemon d "$CONF"
link_to_ns "$(ifname t)" h "$H_IP/24" "$H_MAC"
wait_until 10 test -S "$SOCK_A" || it_die "edgevs did not create $SOCK_A"
assert_eq "vhost port a before any guest: not connected" false "$(vstat a connected)"

guest_start a --vhost "$SOCK_A" --mode client --ip $A_IP/24 || it_die "QEMU a did not start"
guest_start b --vhost "$SOCK_B" --mode client --ip $B_IP/24 || it_die "QEMU b did not start"
guest_wait_ready a || it_die "guest a did not boot: $(tail -5 "$(guest_console a)")"
guest_wait_ready b || it_die "guest b did not boot: $(tail -5 "$(guest_console b)")"
it_log "booted: a $(guest_boot_seconds a) s, b $(guest_boot_seconds b) s"
assert_eq "port a: guest running" true "$(vstat a running)"
assert_match "port a: negotiated checksum offload both ways, mergeable buffers" \
	'"csum".*"guest_csum".*"mrg_rxbuf"' "$(vstat a feature_names)"
if [[ $(vstat a feature_names) == *tso* ]]; then
	it_fail "port a: a segmentation offload was negotiated: $(vstat a feature_names)"
else
	it_pass "port a: no segmentation offload negotiated"
fi
assert_eq "port a: partial checksums go to the guest as they are" true "$(vstat a guest_csum)"
assert_match "guest a: tx checksum offload on (ethtool -k)" 'tx-checksumming: on' \
	"$(guest_exec a 'ethtool -k eth0')"

wait_gping a $B_IP 30 || it_fail "server mode: link between the guests never came up"
assert_ok "server mode: ping a -> b, 56 bytes" gping a $B_IP 56
assert_ok "server mode: ping a -> b, 1400 bytes" gping a $B_IP 1400
assert_tcp "server mode: 1 MiB a -> b over TCP, sha256" "$(g2g_tcp a b $B_IP)"
assert_ge "port a: partial checksums handed to guest a" 1 "$(pstat a tx_csum_passed)"

# Guest <-> namespace host on the tap port: the guest's partial checksums are
# completed by the switch on the way to the tap.
assert_ok "guest a reaches the namespace host on the tap port" gping a $H_IP 1400
src=$IT_TMP/h.src
head -c $((1 << 20)) /dev/urandom >"$src"
want="$((1 << 20)) $(sha256sum "$src" | cut -d' ' -f1)"
it_bg rpid nsx h timeout 60 "$PY" "$IT_DIR/tcpxfer.py" recv "$H_IP" 5002 "$IT_TMP/h.dst" >"$IT_TMP/h.recv" 2>&1
sleep 0.3
guest_exec a 'dd if=/dev/urandom of=/tmp/th bs=64k count=16 2>/dev/null' >/dev/null
gsum=$(guest_exec a 'sha256sum /tmp/th') || true
guest_exec a --timeout 60 "nc $H_IP 5002 </tmp/th" >/dev/null || it_fail "nc from guest a to the host failed"
it_wait "$rpid"
assert_eq "1 MiB guest a -> tap host over TCP, checksum offload on, sha256" \
	"$((1 << 20)) ${gsum%% *}" "$(cat "$IT_TMP/h.recv")"
assert_ge "tap port: partial checksums completed in software" 100 "$(pstat pt tx_csum_sw)"
assert_eq "tap port: no checksum errors" 0 "$(pstat pt drops.tx_csum_error)"
guest_exec a 'rm -f /tmp/hx; (sleep 60 | nc -l -p 5003 >/tmp/hx 2>/dev/null &)' >/dev/null
sleep 0.5
sent=$(nsx h timeout 60 "$PY" "$IT_DIR/tcpxfer.py" send "$A_IP" 5003 "$src" 2>&1)
assert_eq "1 MiB tap host -> guest a over TCP: sender's count and sha256" "$want" "$sent"
guest_exec a --timeout 40 'i=0; while pidof nc >/dev/null && [ $i -lt 300 ]; do usleep 100000; i=$((i+1)); done' >/dev/null
got=$(guest_exec a 'wc -c </tmp/hx; sha256sum /tmp/hx; killall sleep 2>/dev/null; true' | tr '\n' ' ')
assert_eq "1 MiB tap host -> guest a: what guest a stored" "$want" "$(awk '{print $1, $2}' <<<"$got")"

# Lifecycle 1: QEMU b SIGKILLed, then started again on the same socket.
disc0=$(vstat b events.disconnects)
guest_kill b
wait_until 10 test "$(vstat b connected)" = false || it_fail "port b still connected after QEMU was killed"
assert_eq "SIGKILL: port b counted the disconnect" $((disc0 + 1)) "$(vstat b events.disconnects)"
assert_ok "SIGKILL: edgevs still answers" rpc_ok port.list
for i in 1 2 3 4 5; do guest_exec a "ping -c 1 -W 1 $B_IP" >/dev/null; done
assert_ge "guest b gone: traffic to it dropped as guest_not_ready" 1 "$(pstat b drops.guest_not_ready)"
if guest_restart b && guest_wait_ready b; then
	it_pass "QEMU b restarted on the same socket"
	assert_ok "restarted guest b reachable" wait_gping a $B_IP 30
else
	it_fail "QEMU b did not restart"
fi
assert_ge "port b: second connection counted" 2 "$(vstat b events.connects)"
assert_ok "port b: lifecycle counters consistent" vhost_sane b

# Lifecycle 2: guest b shut down cleanly, QEMU started again.
stops0=$(vstat b events.guest_stops)
guest_stop b 30
wait_until 10 test "$(vstat b running)" = false || it_fail "port b still running after the guest powered off"
assert_ge "clean shutdown: guest stop counted" $((stops0 + 1)) "$(vstat b events.guest_stops)"
if guest_restart b && guest_wait_ready b; then
	assert_ok "after a clean restart of QEMU b, a reaches b" wait_gping a $B_IP 30
else
	it_fail "QEMU b did not start again after shutdown"
fi
assert_ok "port b: lifecycle counters consistent after restarts" vhost_sane b

# Lifecycle 3: port b removed while b sends; a keeps reaching the host.
guest_exec b "(ping -i 0.05 -c 400 $H_IP >/dev/null 2>&1 &)" >/dev/null
sleep 1
r=$(rpc port.del '{"name":"b"}')
assert_match "port.del b while guest b sends" '"result"' "$r"
assert_ok "edgevs alive after removing a busy vhost port" evs_alive
assert_ok "guest a still reaches the host after port b left" gping a $H_IP 56
assert_hasnt "port b is gone" "$(rpc_ok port.list)" name=b
r=$(rpc port.add "{\"name\":\"b\",\"type\":\"vhost-user\",\"path\":\"$SOCK_B\",\"mode\":\"server\",\"switch\":\"sw0\"}")
assert_match "port b added back" '"result"' "$r"
assert_ok "QEMU b reconnects to the new port and b is reachable" wait_gping a $B_IP 40
tx_a=$(pstat a tx_packets)
assert_ge "port a forwarded traffic" 100 "$tx_a"
guest_kill a
guest_kill b
evs_stop d
ip -n "$(nsname h)" link del "$(ifname t)" 2>/dev/null

# ---------------------------------------------------------------- part 2
it_log "part 2: QEMU is the vhost-user server, edgevs the client, 2 queue pairs"
rm -f "$SOCK_A" "$SOCK_B"
CONF2=$IT_TMP/config2.json
cat >"$CONF2" <<JSON
{
  "switches": [ { "name": "sw0" } ],
  "ports": [
    { "name": "a", "type": "vhost-user", "path": "$SOCK_A", "mode": "client", "queues": 2, "switch": "sw0" },
    { "name": "b", "type": "vhost-user", "path": "$SOCK_B", "mode": "client", "queues": 2, "switch": "sw0" }
  ]
}
JSON
# QEMU server first (it waits for the switch before it boots the guest).
guest_start a --vhost "$SOCK_A" --mode server --ip $A_IP/24 --queues 2 || it_die "QEMU a did not start"
guest_start b --vhost "$SOCK_B" --mode server --ip $B_IP/24 --queues 2 || it_die "QEMU b did not start"
start_daemon c "$CONF2"
guest_wait_ready a || it_die "guest a did not boot: $(tail -5 "$(guest_console a)")"
guest_wait_ready b || it_die "guest b did not boot: $(tail -5 "$(guest_console b)")"
assert_eq "client mode: port a is the client" true "$(vstat a connected)"
assert_match "client mode: multi-queue negotiated" '"mq"' "$(vstat a feature_names)"
wait_until 10 test "$(vstat a vrings_enabled)" = 4 || true
assert_eq "guest a enabled both queue pairs (4 vrings)" 4 "$(vstat a vrings_enabled)"
assert_match "guest a: 2 combined channels" 'Combined:[[:space:]]*2' \
	"$(guest_exec a 'ethtool -l eth0' | sed -n '/Current/,$p')"
wait_gping a $B_IP 30 || it_fail "client mode: link between the guests never came up"
assert_ok "client mode: ping a -> b, 56 bytes" gping a $B_IP 56
assert_ok "client mode: ping a -> b, 1400 bytes" gping a $B_IP 1400
assert_tcp "client mode: 1 MiB a -> b over TCP, sha256" "$(g2g_tcp a b $B_IP)"
st=$(rpc_ok port.stats '{"name":"b"}')
assert_eq "port b has 2 rx queues" 2 "$("$PY" -c 'import json,sys; print(len(json.loads(sys.argv[1])["rx_queues"]))' "$st")"

# ethtool -L in the guests: one pair, traffic still flows, then two again.
dis0=$(vstat b events.vring_disables)
guest_exec a 'ethtool -L eth0 combined 1' >/dev/null
guest_exec b 'ethtool -L eth0 combined 1' >/dev/null
wait_until 10 test "$(vstat b vrings_enabled)" = 2 || true
assert_eq "ethtool -L combined 1: port b sees 2 vrings enabled" 2 "$(vstat b vrings_enabled)"
assert_ge "ethtool -L combined 1: vring disables counted" $((dis0 + 2)) "$(vstat b events.vring_disables)"
assert_ok "one queue pair: ping a -> b" gping a $B_IP 1400
assert_tcp "one queue pair: 1 MiB a -> b over TCP, sha256" "$(g2g_tcp a b $B_IP)"
guest_exec a 'ethtool -L eth0 combined 2' >/dev/null
guest_exec b 'ethtool -L eth0 combined 2' >/dev/null
wait_until 10 test "$(vstat b vrings_enabled)" = 4 || true
assert_eq "ethtool -L combined 2: 4 vrings enabled again" 4 "$(vstat b vrings_enabled)"
assert_ok "two queue pairs again: ping a -> b" gping a $B_IP 56
assert_eq "no vring_disabled drops on port b" 0 "$(pstat b drops.vring_disabled)"

# QEMU b killed and restarted (QEMU server): edgevs reconnects by itself.
guest_kill b
wait_until 10 test "$(vstat b connected)" = false || it_fail "port b still connected after QEMU was killed"
if guest_restart b && guest_wait_ready b; then
	assert_ok "client mode: edgevs reconnected to the restarted QEMU b" wait_gping a $B_IP 40
else
	it_fail "client mode: QEMU b did not restart"
fi
assert_ge "client mode: port b counted its reconnect" 2 "$(vstat b events.connects)"

# edgevs restarted while the guests run: no guest action.
evs_stop c
for i in 1 2 3; do guest_exec a "ping -c 1 -W 1 $B_IP" >/dev/null; done
start_daemon c2 "$CONF2"
assert_ok "edgevs restarted: the guests talk again without doing anything" wait_gping a $B_IP 40
assert_ok "edgevs restarted: 1400-byte ping" gping a $B_IP 1400
assert_ge "edgevs restarted: the new port a connected" 1 "$(vstat a events.connects)"
assert_ok "port a: lifecycle counters consistent" vhost_sane a
guest_kill a
guest_kill b
it_finish
