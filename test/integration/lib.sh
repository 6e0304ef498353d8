# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash
#
# Shared helpers of the edgevs integration tests. A test sources this file,
# calls it_init TAG, builds its topology with the helpers below and ends with
# it_finish. Exit status: 0 pass, 1 fail, 77 skip (a prerequisite that cannot
# exist here, e.g. not root).
#
# Everything a test creates carries a prefix unique to the run
# ("it<TAG><PID>"): namespaces, interfaces, sockets, DPDK file prefixes and
# the temporary directory. The EXIT/INT/TERM trap stops only the PIDs the
# test started and deletes only what it created, also when the test fails or
# is interrupted.
#
# Environment: BUILD (meson build root, default <repo>/build),
#              IT_KEEP_LOGS=1 keeps the temporary directory,
#              IT_TIMEOUT (seconds, default 150) for the whole test.

IT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
IT_ROOT=$(cd "$IT_DIR/../.." && pwd)
BUILD=${BUILD:-$IT_ROOT/build}
BUILD=$(cd "$BUILD" 2>/dev/null && pwd || echo "$BUILD")
EDGEVS=$BUILD/app/edgevs/edgevs
EDGEVSCTL=$BUILD/app/edgevsctl/edgevsctl
# Debian's python3 (python3-scapy is installed for it), not a pyenv shim.
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
RPC=("$PY" "$IT_DIR/evsrpc.py")

# EAL memory options of every DPDK process the tests start. DPDK 22.11
# rejects --in-memory together with --no-huge ("--legacy-mem is not
# compatible with --in-memory"), so --no-shconf keeps the runtime directory
# empty instead (removed by the clean-up). --no-pci: never touch the host's NICs.
read -r -a IT_EAL_MEM <<<"${IT_EAL_MEM:---no-huge -m 512 --no-shconf --no-pci}"

IT_NAME=$(basename "$0" .sh)
IT_FAILS=0
IT_CHECKS=0
IT_PIDS=()     # background processes we started (not daemons)
IT_NETNS=()    # namespaces we created
IT_LINKS=()    # root-namespace links we created
IT_DAEMONS=()  # daemon handles (see evs_start)
IT_MOUNTS=()   # file systems we mounted (unmounted before the temp dir goes)
IT_CLEANUP=()  # commands run at clean-up, after the daemons stopped (it_on_cleanup)
IT_FINISHED=0
IT_TMP=""

# --------------------------------------------------------------------------
# reporting

it_log() { echo "[$IT_NAME] $*"; }

# Record a failure and go on (the test's end result becomes FAIL).
it_fail() {
	IT_FAILS=$((IT_FAILS + 1))
	echo "[$IT_NAME] FAIL: $*" >&2
}

# A failure after which the test cannot go on: clean up and exit 1.
it_die() {
	it_fail "$*"
	exit 1
}

it_skip() {
	echo "[$IT_NAME] SKIP: $*"
	IT_FINISHED=1
	exit 77
}

it_pass() {
	IT_CHECKS=$((IT_CHECKS + 1))
	echo "[$IT_NAME] ok: $*"
}

# assert_eq WHAT EXPECTED GOT
assert_eq() {
	if [ "$2" == "$3" ]; then
		it_pass "$1"
	else
		it_fail "$1"$'\n'"    expected: $2"$'\n'"    got:      $3"
	fi
}

assert_ne() {
	if [ "$2" != "$3" ]; then
		it_pass "$1"
	else
		it_fail "$1"$'\n'"    expected anything but: $2"
	fi
}

# assert_ge WHAT MIN GOT (integers)
assert_ge() {
	if [[ "$3" =~ ^-?[0-9]+$ ]] && [ "$3" -ge "$2" ]; then
		it_pass "$1 ($3 >= $2)"
	else
		it_fail "$1"$'\n'"    expected: >= $2"$'\n'"    got:      $3"
	fi
}

# assert_match WHAT REGEX GOT
assert_match() {
	if [[ "$3" =~ $2 ]]; then
		it_pass "$1"
	else
		it_fail "$1"$'\n'"    expected to match: $2"$'\n'"    got:               $3"
	fi
}

# assert_ok WHAT CMD... : the command must exit 0 (its output shown if not).
assert_ok() {
	local what=$1 out rc
	shift
	out=$("$@" 2>&1)
	rc=$?
	if [ $rc -eq 0 ]; then
		it_pass "$what"
	else
		it_fail "$what"$'\n'"    command: $*"$'\n'"    exit $rc: ${out//$'\n'/$'\n'    }"
	fi
	return $rc
}

# assert_fails WHAT CMD... : the command must exit non-zero.
assert_fails() {
	local what=$1 out rc
	shift
	out=$("$@" 2>&1)
	rc=$?
	if [ $rc -ne 0 ]; then
		it_pass "$what"
	else
		it_fail "$what"$'\n'"    command: $*"$'\n'"    expected failure, exit 0: $out"
	fi
}

# --------------------------------------------------------------------------
# set-up and clean-up

# it_init TAG: TAG is two lowercase letters naming the test in every object.
it_init() {
	local tag=$1
	IT_ID="$tag$(($$ % 100000))"
	if [ "$(id -u)" -ne 0 ]; then
		it_skip "needs root (network namespaces, tap interfaces)"
	fi
	if ! ip netns list >/dev/null 2>&1; then
		it_skip "network namespaces are not available here"
	fi
	if [ ! -e /dev/net/tun ]; then
		it_skip "/dev/net/tun is missing (no tap interfaces)"
	fi
	IT_TMP=$(mktemp -d "/tmp/it-$IT_NAME.XXXXXX") || it_die "mktemp failed"
	trap it_cleanup EXIT
	trap 'it_fail "interrupted"; exit 1' INT TERM HUP
	it_require_cmd ip "$PY" timeout
	[ -x "$EDGEVS" ] || it_die "daemon not built: $EDGEVS (set BUILD to the meson build root)"
	# Whole-test watchdog: TERM makes the trap clean up and fail the test;
	# the test's other children (a long ping, say) are ended too so the trap
	# runs at once. Daemons are spared: the clean-up stops them and checks them.
	# Its sleep runs in the background with its output closed: killed with
	# the subshell (trap), and never holding meson's pipe even if orphaned.
	(
		sp=
		trap 'kill "$sp" 2>/dev/null; exit 0' TERM
		# shellcheck disable=SC2217 # closed on purpose, see above
		sleep "${IT_TIMEOUT:-150}" </dev/null >/dev/null 2>&1 &
		sp=$!
		wait "$sp" || exit 0
		trap - TERM
		echo "[$IT_NAME] FAIL: watchdog: test ran longer than ${IT_TIMEOUT:-150} s" >&2
		kill -TERM $$ 2>/dev/null || exit 0
		sleep 0.5
		for p in $(pgrep -P $$); do
			[ "$p" = "$BASHPID" ] && continue
			grep -qx "$p" "$IT_TMP/daemon.pids" 2>/dev/null || kill -TERM "$p" 2>/dev/null
		done
	) &
	IT_WATCHDOG=$!
	disown "$IT_WATCHDOG" # no "Terminated" job notice when the clean-up ends it
	it_log "id $IT_ID, build $BUILD, temp $IT_TMP"
}

# it_require_cmd CMD...: a tool the test needs. Missing tools are a failure
# of the machine's setup (scripts/setup.sh installs them), not a skip.
it_require_cmd() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || it_die "required tool '$c' is not installed"
	done
}

it_cleanup() {
	local rc=$? i ns l
	trap - EXIT INT TERM HUP
	set +e
	# Daemons first (their exit code is part of the verdict), then helpers.
	for i in "${!IT_DAEMONS[@]}"; do
		evs_stop "${IT_DAEMONS[$i]}"
	done
	for i in "${IT_PIDS[@]}"; do
		kill -TERM "$i" 2>/dev/null
	done
	for i in "${IT_PIDS[@]}"; do
		timeout 5 tail --pid="$i" -f /dev/null 2>/dev/null || kill -KILL "$i" 2>/dev/null
	done
	# The watchdog's sleep first: once its subshell is gone the sleep is
	# reparented, keeps meson's output pipe open and the test "lasts" 150 s.
	[ -n "${IT_WATCHDOG:-}" ] && { pkill -TERM -P "$IT_WATCHDOG" 2>/dev/null; kill -TERM "$IT_WATCHDOG" 2>/dev/null; }
	for ns in "${IT_NETNS[@]}"; do
		# Anything still running inside one of our namespaces is ours.
		ip netns pids "$ns" 2>/dev/null | xargs -r kill -KILL 2>/dev/null
		ip netns del "$ns" 2>/dev/null
	done
	for l in "${IT_LINKS[@]}"; do
		ip link del "$l" 2>/dev/null
	done
	for l in "${IT_MOUNTS[@]}"; do
		umount -l "$l" 2>/dev/null
	done
	for l in "${IT_CLEANUP[@]}"; do
		eval "$l" >/dev/null 2>&1
	done
	[ -n "${IT_ID:-}" ] && rm -rf /var/run/dpdk/"$IT_ID"-*
	if [ -n "$IT_TMP" ] && [ -d "$IT_TMP" ]; then
		if [ "${IT_KEEP_LOGS:-0}" = 1 ]; then
			it_log "logs kept in $IT_TMP"
		else
			rm -rf "$IT_TMP"
		fi
	fi
	if [ $rc -eq 77 ] && [ $IT_FAILS -eq 0 ]; then
		exit 77
	fi
	if [ $IT_FAILS -gt 0 ] || { [ $rc -ne 0 ] && [ $rc -ne 77 ]; } || [ $IT_FINISHED -eq 0 ]; then
		[ $IT_FINISHED -eq 0 ] && [ $IT_FAILS -eq 0 ] && echo "[$IT_NAME] FAIL: ended early (exit $rc)" >&2
		echo "[$IT_NAME] FAIL ($IT_FAILS failed, $IT_CHECKS passed)"
		exit 1
	fi
	echo "[$IT_NAME] PASS ($IT_CHECKS checks)"
	exit 0
}

# The last line of every test.
it_finish() {
	IT_FINISHED=1
	exit 0
}

# Start a helper process in the background and track it: it_bg VAR CMD...
# (VAR receives the PID).
it_bg() {
	local __var=$1
	shift
	"$@" &
	IT_PIDS+=($!)
	printf -v "$__var" '%s' $!
}

# it_on_cleanup 'COMMAND': run COMMAND (a string, eval'd) at clean-up, after
# the daemons stopped: undo what the test created outside its temp dir.
it_on_cleanup() {
	IT_CLEANUP+=("$1")
}

# Wait for a tracked helper to end; its exit code is returned.
it_wait() {
	local pid=$1 rc
	wait "$pid"
	rc=$?
	local keep=() p
	for p in "${IT_PIDS[@]}"; do
		[ "$p" != "$pid" ] && keep+=("$p")
	done
	IT_PIDS=("${keep[@]}")
	return $rc
}

# wait_until SECONDS CMD...: poll CMD every 0.1 s until it succeeds.
wait_until() {
	local deadline=$((SECONDS + $1))
	shift
	while ! "$@" >/dev/null 2>&1; do
		[ $SECONDS -ge $deadline ] && return 1
		sleep 0.1
	done
	return 0
}

# --------------------------------------------------------------------------
# the daemon

# evs_start H CONFIG|- [daemon args...]: start a daemon; H is a short handle
# (a1, b, ...). CONFIG '-' runs the built-in default. Sets EVS_SOCK_<H>,
# EVS_PID_<H>, EVS_LOG_<H>; the latest daemon's are also EVS_SOCK/EVS_PID/EVS_LOG.
# Waits (30 s) for the ready line; fails the test with the log if it exits
# or never gets ready.
evs_start() {
	local h=$1 conf=$2 sock log pid args=()
	shift 2
	sock=$IT_TMP/$h.sock
	log=$IT_TMP/edgevs-$h.log
	[ "$conf" != "-" ] && args+=(--config "$conf")
	# Emptied here, not by the background redirection below (which may run
	# after the ready-wait has read an old run's "ready" line).
	: >"$log"
	"$EDGEVS" -l 0,1 "${IT_EAL_MEM[@]}" --file-prefix "$IT_ID-$h" \
		--log-level='edgevs*:info' -- "${args[@]}" --socket "$sock" --pmd-sleep-us 20 \
		--state-dir "$IT_TMP/state-$h" "$@" \
		>>"$log" 2>&1 </dev/null &
	pid=$!
	echo "$pid" >>"$IT_TMP/daemon.pids"
	IT_DAEMONS+=("$h")
	printf -v "EVS_SOCK_$h" '%s' "$sock"
	printf -v "EVS_PID_$h" '%s' "$pid"
	printf -v "EVS_LOG_$h" '%s' "$log"
	printf -v "EVS_STOPPED_$h" '%s' 0
	EVS_H=$h EVS_SOCK=$sock EVS_PID=$pid EVS_LOG=$log
	local deadline=$((SECONDS + 30))
	while ! grep -q "edgevs: ready, control socket $sock" "$log" 2>/dev/null; do
		if ! kill -0 "$pid" 2>/dev/null; then
			wait "$pid"
			local rc=$?
			printf -v "EVS_STOPPED_$h" '%s' 1
			evs_dump_log "$h"
			it_die "daemon $h exited during start-up (exit $rc)"
		fi
		if [ $SECONDS -ge $deadline ]; then
			evs_dump_log "$h"
			it_die "daemon $h not ready after 30 s"
		fi
		sleep 0.1
	done
	[ -S "$sock" ] || it_die "daemon $h says ready but $sock is not a socket"
	it_log "daemon $h running (pid $pid, socket $sock)"
}

evs_dump_log() {
	local log_var="EVS_LOG_$1"
	echo "----- edgevs $1 log (${!log_var}) -----" >&2
	tail -n 80 "${!log_var}" >&2 2>/dev/null
	echo "----- end of log -----" >&2
}

# evs_stop H: SIGTERM, wait 20 s, assert exit code 0 and the socket removed.
evs_stop() {
	local h=$1 pid_var="EVS_PID_$1" sock_var="EVS_SOCK_$1" st_var="EVS_STOPPED_$1" rc
	local pid=${!pid_var} sock=${!sock_var}
	[ "${!st_var}" = 1 ] && return 0
	printf -v "$st_var" '%s' 1
	if ! kill -0 "$pid" 2>/dev/null; then
		wait "$pid"
		rc=$?
		evs_dump_log "$h"
		it_fail "daemon $h died before the end of the test (exit $rc)"
		rm -f "$sock"
		return 1
	fi
	kill -TERM "$pid"
	if ! timeout 20 tail --pid="$pid" -f /dev/null; then
		evs_dump_log "$h"
		it_fail "daemon $h did not stop within 20 s of SIGTERM; killed"
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		rm -f "$sock"
		return 1
	fi
	wait "$pid"
	rc=$?
	if [ $rc -ne 0 ]; then
		evs_dump_log "$h"
		it_fail "daemon $h exit code after SIGTERM"$'\n'"    expected: 0"$'\n'"    got:      $rc"
	else
		it_pass "daemon $h stopped on SIGTERM with exit code 0"
	fi
	if [ -e "$sock" ]; then
		it_fail "daemon $h left its socket $sock behind"
		rm -f "$sock"
	fi
	if grep -qiE 'AddressSanitizer|runtime error:|Segmentation fault|PANIC in' "${IT_TMP}/edgevs-$h.log"; then
		evs_dump_log "$h"
		it_fail "daemon $h log reports a crash or sanitizer error"
	fi
}

# evs_alive: the daemon is still running (checked after abuse).
evs_alive() {
	local pid_var="EVS_PID_${1:-$EVS_H}"
	kill -0 "${!pid_var}" 2>/dev/null
}

# --------------------------------------------------------------------------
# control socket

# rpc METHOD [PARAMS_JSON]: prints the reply object (compact JSON). Uses the
# daemon of RPC_SOCK or EVS_SOCK.
rpc() {
	"${RPC[@]}" call "${RPC_SOCK:-$EVS_SOCK}" "$@"
}

# rpc_ok METHOD [PARAMS]: prints .result; fails the test if an error came back.
rpc_ok() {
	local r
	r=$(rpc "$@") || { it_fail "rpc $1 ${2:-}: no reply"; return 1; }
	if ! jget "$r" result >/dev/null; then
		it_fail "rpc $1 ${2:-}"$'\n'"    expected: a result"$'\n'"    got:      $r"
		return 1
	fi
	jget "$r" result
}

# jget JSON PATH: value at a.b.0.c (strings raw); empty + status 1 if absent.
jget() { "${RPC[@]}" get "$1" "$2"; }
# jcanon JSON: canonical form for comparisons.
jcanon() { "${RPC[@]}" canon "$1"; }

# jhas JSON K=V...: some object in JSON has all these fields.
jhas() { "${RPC[@]}" has "$@"; }

# assert_has WHAT JSON K=V... / assert_hasnt WHAT JSON K=V...
assert_has() {
	local what=$1 j=$2
	shift 2
	if jhas "$j" "$@"; then
		it_pass "$what"
	else
		it_fail "$what"$'\n'"    expected an entry with: $*"$'\n'"    got:      $j"
	fi
}
assert_hasnt() {
	local what=$1 j=$2
	shift 2
	if ! jhas "$j" "$@"; then
		it_pass "$what"
	else
		it_fail "$what"$'\n'"    expected no entry with: $*"$'\n'"    got:      $j"
	fi
}

# expect_error WHAT CODE PATH REPLY: the reply is an error with that code
# (or one of "C1|C2") and data.path (PATH '-' skips the path check).
expect_error() {
	local what=$1 code=$2 path=$3 reply=$4 got_code got_path got_msg
	got_code=$(jget "$reply" error.code)
	got_path=$(jget "$reply" error.data.path)
	got_msg=$(jget "$reply" error.message)
	if ! [[ "$got_code" =~ ^($code)$ ]]; then
		it_fail "$what: error code"$'\n'"    expected: $code"$'\n'"    got:      $reply"
		return 1
	fi
	if [ "$path" != "-" ] && [ "$got_path" != "$path" ]; then
		it_fail "$what: error path"$'\n'"    expected: $path"$'\n'"    got:      $reply"
		return 1
	fi
	if [ -z "$got_msg" ]; then
		it_fail "$what: error without a message: $reply"
		return 1
	fi
	it_pass "$what -> $code ${path/#-/} ($got_msg)"
}

# ctl ARGS...: edgevsctl against our daemon.
ctl() { "$EDGEVSCTL" -s "${RPC_SOCK:-$EVS_SOCK}" "$@"; }

# --------------------------------------------------------------------------
# namespaces and interfaces

# nsname N: the full name of our namespace N.
nsname() { echo "$IT_ID-$1"; }
# ifname X: an interface name of ours (at most 15 characters).
# DPDK 22.11's af_packet driver puts a port's socket in the fanout group
# (pid ^ ifindex) & 0xffff, one name space per network namespace: two
# daemons whose af_packet ports land on one id cannot both attach (the
# second gets "driver rejected the device"). af_packet_gid PID IFNAME
# prints that id, for tests with several daemons to avoid a clash.
af_packet_gid() {
	echo $((($1 ^ $(cat "/sys/class/net/$2/ifindex")) & 0xffff))
}

ifname() { echo "it$IT_ID$1"; }

# ns_add N...: create namespaces with lo up and IPv6 off (no stray frames).
ns_add() {
	local n ns
	for n in "$@"; do
		ns=$(nsname "$n")
		ip netns add "$ns" || it_die "cannot create namespace $ns"
		IT_NETNS+=("$ns")
		ip -n "$ns" link set lo up
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
			net.ipv6.conf.default.disable_ipv6=1 >/dev/null 2>&1
	done
}

# nsx N CMD...: run CMD inside our namespace N.
nsx() {
	local ns
	ns=$(nsname "$1")
	shift
	ip netns exec "$ns" "$@"
}

# link_to_ns IFACE N ADDR/LEN [MAC]: wait for IFACE in the root namespace
# (a tap the daemon creates), move it into namespace N, set MAC and address,
# bring it up.
link_to_ns() {
	local ifc=$1 n=$2 addr=$3 mac=${4:-} ns
	ns=$(nsname "$n")
	wait_until 10 ip link show dev "$ifc" || it_die "interface $ifc did not appear"
	ip link set dev "$ifc" netns "$ns" || it_die "cannot move $ifc into $ns"
	ip -n "$ns" link set dev "$ifc" down
	[ -n "$mac" ] && ip -n "$ns" link set dev "$ifc" address "$mac"
	[ -n "$addr" ] && ip -n "$ns" addr add "$addr" dev "$ifc"
	ip -n "$ns" link set dev "$ifc" up || it_die "cannot bring $ifc up in $ns"
}

# rx_packets N IFACE: the interface's received-packet counter.
rx_packets() {
	cat "/sys/class/net/$2/statistics/rx_packets" 2>/dev/null ||
		nsx "$1" cat "/sys/class/net/$2/statistics/rx_packets"
}

# --------------------------------------------------------------------------
# traffic

# ping_check WHAT N DST [ping args...]: ping from namespace N; all replies
# must come back (default: 5 pings, 0.2 s apart, 2 s wait).
ping_check() {
	local what=$1 n=$2 dst=$3 out
	shift 3
	out=$(nsx "$n" ping -n -q -c 5 -i 0.2 -W 2 "$@" "$dst" 2>&1)
	if [[ "$out" =~ ([0-9]+)\ packets\ transmitted,\ ([0-9]+)\ received ]] &&
		[ "${BASH_REMATCH[1]}" = "${BASH_REMATCH[2]}" ] && [ "${BASH_REMATCH[1]}" != 0 ]; then
		it_pass "$what"
		return 0
	fi
	it_fail "$what: ping from $n to $dst $*"$'\n'"    expected: every echo answered"$'\n'"    got:      $(echo "$out" | tail -n 2 | tr '\n' ' ')"
	return 1
}

# tcp_xfer_check WHAT FROM TO IP MIB: MIB MiB of random data over TCP from
# namespace FROM to tcpxfer.py listening on IP port 5001 in namespace TO;
# both ends must finish and report the byte count and sha256, and the file
# received must be the file sent.
tcp_xfer_check() {
	local what=$1 from=$2 to=$3 ip=$4 bytes=$(($5 << 20)) rpid sent src_rc recv_rc want
	local src=$IT_TMP/xfer.src dst=$IT_TMP/xfer.dst
	head -c "$bytes" /dev/urandom >"$src"
	want="$bytes $(sha256sum "$src" | cut -d' ' -f1)"
	it_bg rpid nsx "$to" timeout 60 "$PY" "$IT_DIR/tcpxfer.py" recv "$ip" 5001 "$dst" \
		>"$IT_TMP/recv.out" 2>&1
	sent=$(nsx "$from" timeout 60 "$PY" "$IT_DIR/tcpxfer.py" send "$ip" 5001 "$src" 2>&1)
	src_rc=$?
	it_wait "$rpid"
	recv_rc=$?
	assert_eq "$what: TCP sender finished" 0 "$src_rc"
	assert_eq "$what: TCP receiver finished" 0 "$recv_rc"
	assert_eq "$what: bytes and sha256 seen by the sender" "$want" "$sent"
	assert_eq "$what: bytes and sha256 seen by the receiver" "$want" "$(cat "$IT_TMP/recv.out")"
	assert_eq "$what: sha256 of the received file" "${want#* }" \
		"$(sha256sum "$dst" 2>/dev/null | cut -d' ' -f1)"
}

# static_mac_check WHAT MAC: a pings 198.18.1.94, which the test pointed at
# MAC in a's neighbour table, 10 times: every frame must reach b's port and
# none c's (a MAC known on pb is not flooded; two_hosts_start + host c).
static_mac_check() {
	local what=$1 mac=$2 cb cc
	it_bg cb nsx b "$PY" "$IT_DIR/malformed.py" count "$(ifname b)" "$mac" 3 dst \
		>"$IT_TMP/count-b.out"
	it_bg cc nsx c "$PY" "$IT_DIR/malformed.py" count "$(ifname c)" "$mac" 3 dst \
		>"$IT_TMP/count-c.out"
	sleep 0.5
	nsx a ping -q -c 10 -i 0.05 -W 1 198.18.1.94 >/dev/null 2>&1
	it_wait "$cb"
	it_wait "$cc"
	assert_eq "$what: frames to the static MAC reach pb" 10 "$(cat "$IT_TMP/count-b.out")"
	assert_eq "$what: and none reach pc (not flooded)" 0 "$(cat "$IT_TMP/count-c.out")"
}

# ping_none WHAT N DST: no reply may come back.
ping_none() {
	local what=$1 n=$2 dst=$3 out
	shift 3
	out=$(nsx "$n" ping -n -q -c 3 -i 0.2 -W 1 "$@" "$dst" 2>&1)
	if [[ "$out" =~ ([0-9]+)\ received ]] && [ "${BASH_REMATCH[1]}" = 0 ]; then
		it_pass "$what"
		return 0
	fi
	it_fail "$what: ping from $n to $dst"$'\n'"    expected: no reply"$'\n'"    got:      $(echo "$out" | tail -n 2 | tr '\n' ' ')"
	return 1
}

# ping_loss_of FILE: "transmitted received" from a finished ping's output.
ping_counts() {
	local out
	out=$(cat "$1")
	if [[ "$out" =~ ([0-9]+)\ packets\ transmitted,\ ([0-9]+)\ received ]]; then
		echo "${BASH_REMATCH[1]} ${BASH_REMATCH[2]}"
	else
		echo "0 0"
	fi
}

# neigh_mac N IP: the MAC namespace N resolved IP to (after a ping).
neigh_mac() {
	nsx "$1" ip neigh show "$2" | awk '{for (i = 1; i < NF; i++) if ($i == "lladdr") print $(i + 1)}'
}

# --------------------------------------------------------------------------
# the common topology: two hosts on one switch

IP_A=198.18.1.1
IP_B=198.18.1.2
MAC_A=02:49:54:00:00:0a
MAC_B=02:49:54:00:00:0b

# two_hosts_config FILE: switch sw0 with ports pa and pb, net_tap devices whose
# kernel sides are $(ifname a) and $(ifname b) (like config/default.json).
two_hosts_config() {
	cat >"$1" <<JSON
{
  "switches": [ { "name": "sw0", "mac_aging": 300, "max_macs": 8192 } ],
  "ports": [
    { "name": "pa", "type": "ethdev", "devargs": "net_tap0,iface=$(ifname a)", "switch": "sw0" },
    { "name": "pb", "type": "ethdev", "devargs": "net_tap1,iface=$(ifname b)", "switch": "sw0" }
  ]
}
JSON
}

# two_hosts_start [daemon args...]: the config above in $IT_TMP/config.json,
# the daemon, namespaces a and b holding the taps with $IP_A/$IP_B.
two_hosts_start() {
	CONF=$IT_TMP/config.json
	two_hosts_config "$CONF"
	ns_add a b
	evs_start d "$CONF" "$@"
	link_to_ns "$(ifname a)" a "$IP_A/24" "$MAC_A"
	link_to_ns "$(ifname b)" b "$IP_B/24" "$MAC_B"
}
