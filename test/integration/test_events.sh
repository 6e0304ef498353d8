#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Change events on the control socket: a subscriber connection receives
# - config.change when a change is applied and durable (with its method);
# - port.link when a port's link goes down and up again;
# - counter.threshold when a watched stats.get counter rises above its
#   threshold (counter.watch), once per crossing;
# and nothing for topics it did not subscribe to. With --ctl-idle-ms 1500 an
# idle connection is closed (told why) while the subscriber, silent but
# subscribed, keeps its connection and its events. Events are notifications
# on the same connection; requests on other connections go on as usual.
set -o pipefail
. "$(dirname "$0")/lib.sh"
it_init ev

two_hosts_start --ctl-idle-ms 1500
EV=$IT_TMP/events.txt
: >"$EV"
it_bg sub "$PY" "$IT_DIR/events.py" "$EVS_SOCK" "$EV" config.change port.link counter.threshold
wait_until 10 grep -q subscribed "$EV" || it_die "the subscriber did not subscribe"
assert_match "subscribe answers the topics" '"topics": \["port.link", "config.change", "counter.threshold"\]' \
	"$(head -1 "$EV")"
expect_error "an unknown topic is refused" -32001 /params/topics/0 \
	"$(rpc subscribe '{"topics":["nope"]}')"
assert_has "events.topics lists port.link" "$(rpc_ok events.topics)" topic=port.link

# --- config.change ----------------------------------------------------------
rpc_ok switch.add '{"name":"swe"}' >/dev/null
wait_until 10 grep -q '"topic": "config.change"' "$EV" || true
assert_match "config.change after switch.add" '"topic": "config.change".*"method": "switch.add"' \
	"$(grep config.change "$EV")"

# --- port.link --------------------------------------------------------------
# A tap port left in our namespace: its link follows the interface's state.
T=$(ifname t)
rpc_ok port.add "{\"name\":\"pt\",\"type\":\"ethdev\",\"devargs\":\"net_tap9,iface=$T\",\"switch\":\"sw0\"}" >/dev/null
wait_until 10 ip link show dev "$T" || it_fail "tap $T did not appear"
sleep 0.5
ip link set "$T" down
wait_until 10 grep -q '"port": "pt", "up": false' "$EV" || true
assert_match "port.link when the link goes down" '"topic": "port.link".*"port": "pt", "up": false' \
	"$(grep '"topic": "port.link"' "$EV")"
ip link set "$T" up
wait_until 10 grep -q '"port": "pt", "up": true' "$EV" || true
assert_match "port.link when it comes up again" '"port": "pt", "up": true' \
	"$(grep '"topic": "port.link"' "$EV")"

# --- counter.threshold ------------------------------------------------------
rx=$(jget "$(rpc_ok stats.get)" ports.rx_packets)
expect_error "a counter that is not in stats.get is refused" -32001 /params/counter \
	"$(rpc counter.watch '{"counter":"ports.nope","above":1}')"
w=$(rpc_ok counter.watch "{\"counter\":\"ports.rx_packets\",\"above\":$((rx + 20))}")
assert_eq "counter.watch returns the watch" "ports.rx_packets" "$(jget "$w" counter)"
ping_check "ping a -> b (traffic to pass the threshold)" a "$IP_B"
nsx a ping -c 30 -i 0.02 -q "$IP_B" >/dev/null 2>&1
wait_until 10 grep -q '"topic": "counter.threshold"' "$EV" || true
assert_match "counter.threshold when rx passes the threshold" \
	'"topic": "counter.threshold".*"counter": "ports.rx_packets"' "$(grep counter.threshold "$EV")"
sleep 2
assert_eq "one event per crossing" 1 "$(grep -c '"topic": "counter.threshold"' "$EV")"
rpc_ok counter.unwatch "{\"id\":$(jget "$w" id)}" >/dev/null
assert_eq "counter.watches is empty again" "[]" "$(rpc_ok counter.watches)"
assert_ge "ctl.stats counts the events sent" 4 "$(jget "$(rpc_ok ctl.stats)" events_sent)"

# --- idle clients go, subscribers stay ---------------------------------------
idle=$("$PY" -c 'import socket,sys
s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.settimeout(10)
f=s.makefile("rb"); f.readline(); print(f.readline().decode().strip())' "$EVS_SOCK")
assert_match "an idle connection is closed and told why" '"connection closed: idle timeout"' "$idle"
rpc_ok switch.add '{"name":"swlate"}' >/dev/null
wait_until 10 grep -q '"method": "switch.add".*' "$EV" || true
assert_eq "the subscriber (idle for seconds) still gets events" 2 \
	"$(grep -c '"method": "switch.add"' "$EV")"
assert_ge "ctl.stats counts idle closes" 1 "$(jget "$(rpc_ok ctl.stats)" clients_idle_closed)"

# --- topics not subscribed are not sent --------------------------------------
assert_eq "every event is of a subscribed topic" 0 \
	"$(grep -v subscribed "$EV" | grep -vc -e config.change -e port.link -e counter.threshold)"

it_finish
