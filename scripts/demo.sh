#!/usr/bin/env bash
# Install, build and run edgevs on its built-in default config (switch sw0
# with two net_tap ports), put a host in a network namespace on each port and
# show them pinging through the switch. On a terminal it keeps running until
# Ctrl-C; otherwise it stops after the demonstration. Run as root.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "demo: run as root (it creates namespaces and taps)" >&2; exit 1; }
scripts/setup.sh build

SOCK=/run/edgevs/edgevs.sock
CTL="build/app/edgevsctl/edgevsctl -s $SOCK"
LOG=$(mktemp /tmp/edgevs-demo.XXXXXX.log)
PID=
cleanup() {
	set +e
	ip netns del evs-demo1 2>/dev/null
	ip netns del evs-demo2 2>/dev/null
	if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then
		kill -TERM "$PID"
		wait "$PID"
		echo "demo: edgevs stopped (exit code $?)"
	fi
	rm -f "$LOG"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

EAL=$(scripts/eal-args.sh 512)
# shellcheck disable=SC2086
build/app/edgevs/edgevs $EAL --file-prefix edgevs-demo \
	-- --socket "$SOCK" >"$LOG" 2>&1 &
PID=$!
for _ in $(seq 100); do
	grep -q 'ready' "$LOG" && break
	kill -0 "$PID" 2>/dev/null || { cat "$LOG"; echo "demo: edgevs failed to start" >&2; exit 1; }
	sleep 0.1
done
grep -q 'ready' "$LOG" || { cat "$LOG"; echo "demo: edgevs not ready" >&2; exit 1; }
echo "demo: edgevs running (pid $PID), control socket $SOCK"

for i in 1 2; do
	ip netns add evs-demo$i
	ip link set evs-tap$((i - 1)) netns evs-demo$i
	ip -n evs-demo$i addr add 10.99.0.$i/24 dev evs-tap$((i - 1))
	ip -n evs-demo$i link set evs-tap$((i - 1)) up
	ip -n evs-demo$i link set lo up
done
echo "demo: host evs-demo1 (10.99.0.1) on port tap0, host evs-demo2 (10.99.0.2) on port tap1"
echo "+ ip netns exec evs-demo1 ping -c 5 10.99.0.2"
ip netns exec evs-demo1 ping -c 5 -i 0.2 10.99.0.2
echo "+ edgevsctl port list"; $CTL port list
echo "+ edgevsctl mac list"; $CTL mac list
echo "+ edgevsctl port stats"; $CTL port stats

if [ -t 0 ]; then
	echo
	echo "demo: edgevs keeps running. Try: $CTL list"
	echo "      ip netns exec evs-demo1 ping 10.99.0.2   (Ctrl-C here stops everything)"
	wait "$PID" || true
	PID=
fi
