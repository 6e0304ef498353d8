# shellcheck shell=bash
# dpdk-testpmd as a stand-in switch for guest tests: net_vhost ports paired
# by io forwarding (port 0 <-> 1, 2 <-> 3, ...), so frames pass unchanged.
# Source after guest.sh (it uses guestctl.py run for PDEATHSIG).
#
#   sw_testpmd_start DIR MODE QUEUES SOCK...
#       MODE is testpmd's side of the sockets: server (testpmd listens; start
#       QEMU with --mode client afterwards) or client (testpmd connects to
#       QEMU's sockets and reconnects whenever QEMU comes back; start QEMU
#       with --mode server first). Returns when the ports exist.
#   sw_testpmd_cmd CMD       run an interactive testpmd command, print output
#   sw_testpmd_stop          quit testpmd (SIGKILL if it hangs), remove files
#
# EAL runs without hugepages: --no-huge -m 512 --no-shconf and a unique
# --file-prefix (DPDK 22.11 rejects --in-memory together with --no-huge).

SW_TESTPMD_PID='' SW_TESTPMD_DIR='' SW_TESTPMD_FD='' SW_TESTPMD_PREFIX=''

sw_testpmd_start() {
	local dir=$1 mode=$2 queues=$3 i s client vdevs=() ready
	shift 3 || return 2
	[ $# -ge 2 ] && [ $(($# % 2)) = 0 ] || { echo "sw_testpmd: need an even number of sockets" >&2; return 2; }
	case $mode in server) client=0 ;; client) client=1 ;; *) return 2 ;; esac
	[ -z "$SW_TESTPMD_PID" ] || { echo "sw_testpmd: already running" >&2; return 1; }
	# testpmd dies with this shell (PDEATHSIG), so not from a subshell.
	[ "$BASHPID" = "$$" ] || { echo "sw_testpmd: start it from the main shell" >&2; return 1; }
	SW_TESTPMD_DIR=$dir
	SW_TESTPMD_PREFIX=evs-guest-tp$$
	mkdir -p "$dir"
	i=0
	for s in "$@"; do
		[ "$mode" = server ] && [ -S "$s" ] && rm -f "$s"
		vdevs+=(--vdev "net_vhost$i,iface=$s,client=$client,queues=$queues")
		i=$((i + 1))
	done
	rm -f "$dir/testpmd.in" "$dir/testpmd.log"
	mkfifo "$dir/testpmd.in"
	# Line-buffered stdout so sw_testpmd_cmd sees answers as they come.
	python3 "$GUEST_TOOLS/guestctl.py" run --parent "$$" -- \
		stdbuf -oL -eL dpdk-testpmd --lcores '0@(0-1),1@(0-1)' --no-huge -m 512 \
		--no-shconf --file-prefix "$SW_TESTPMD_PREFIX" --no-pci "${vdevs[@]}" \
		-- -i --forward-mode=io --auto-start --nb-cores=1 \
		--rxq="$queues" --txq="$queues" --total-num-mbufs=16384 \
		<"$dir/testpmd.in" >"$dir/testpmd.log" 2>&1 &
	SW_TESTPMD_PID=$!
	disown "$SW_TESTPMD_PID"
	exec {SW_TESTPMD_FD}>"$dir/testpmd.in"
	for ((i = 0; i < 200; i++)); do
		ready=1
		grep -q 'Start automatic packet forwarding' "$dir/testpmd.log" 2>/dev/null || ready=0
		if [ "$mode" = server ]; then
			for s in "$@"; do [ -S "$s" ] || ready=0; done
		fi
		[ $ready = 1 ] && return 0
		kill -0 "$SW_TESTPMD_PID" 2>/dev/null || break
		sleep 0.1
	done
	echo "sw_testpmd: testpmd did not start:" >&2
	tail -20 "$dir/testpmd.log" >&2
	sw_testpmd_stop
	return 1
}

sw_testpmd_cmd() {
	local size i
	[ -n "$SW_TESTPMD_PID" ] || return 1
	size=$(stat -c %s "$SW_TESTPMD_DIR/testpmd.log")
	echo "$*" 1>&"$SW_TESTPMD_FD"
	# The answer ends with the next prompt.
	for ((i = 0; i < 100; i++)); do
		sleep 0.1
		tail -c +$((size + 1)) "$SW_TESTPMD_DIR/testpmd.log" | grep -q 'testpmd> $' && break
	done
	tail -c +$((size + 1)) "$SW_TESTPMD_DIR/testpmd.log" | sed '/^testpmd> $/d'
}

sw_testpmd_stop() {
	local i
	[ -n "$SW_TESTPMD_PID" ] || return 0
	if [ -n "$SW_TESTPMD_FD" ]; then
		echo quit 1>&"$SW_TESTPMD_FD" 2>/dev/null
		exec {SW_TESTPMD_FD}>&-
		SW_TESTPMD_FD=
	fi
	for ((i = 0; i < 100; i++)); do
		kill -0 "$SW_TESTPMD_PID" 2>/dev/null || break
		[ "$(sed 's/.*) //' "/proc/$SW_TESTPMD_PID/stat" 2>/dev/null | cut -c1)" = Z ] && break
		sleep 0.1
	done
	kill -KILL "$SW_TESTPMD_PID" 2>/dev/null
	wait "$SW_TESTPMD_PID" 2>/dev/null
	SW_TESTPMD_PID=
	rm -f "$SW_TESTPMD_DIR/testpmd.in"
	rm -rf "/var/run/dpdk/$SW_TESTPMD_PREFIX"
	return 0
}
