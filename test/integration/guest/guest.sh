# shellcheck shell=bash
# Real QEMU guests on vhost-user ports, for edgevs tests and examples.
# Source this file from bash, then:
#
#   guest_init [--dir DIR] [--no-trap]     build/reuse the initramfs, pick the
#                                          accelerator, make the run directory
#   guest_start NAME --vhost PATH [--mode server|client] [--mac M] [--ip A/P]
#               [--ip6 A/P] [--gw A] [--mtu N] [--queues N] [--mem 256M]
#               [--smp N] [--append "kernel args"] [--device-opts "k=v,..."]
#   guest_wait_ready NAME [SECS]           until the guest's command server answers
#   guest_exec NAME [--timeout SECS] CMD   run CMD (sh -c) in the guest: prints its
#                                          output, returns its exit status
#   guest_stop NAME [SECS]                 clean poweroff (QMP quit, then SIGKILL,
#                                          if the guest does not go in time)
#   guest_kill NAME                        SIGKILL the QEMU process
#   guest_restart NAME                     start NAME again with its last arguments
#   guest_cmdline NAME [--multiline]       the QEMU command line, shell-quoted
#   guest_qmp NAME COMMAND [JSON]          one QMP command (e.g. system_reset)
#   guest_pid NAME / guest_console NAME    QEMU's PID / console log path
#   guest_cleanup                          SIGKILL every guest, remove the run dir
#
# --mode is QEMU's side of the vhost-user socket: "server" (QEMU listens, the
# switch connects as a client and may restart freely) or "client" (the switch
# listens; QEMU reconnects every second if it goes away).
#
# Every QEMU is started by this shell and tracked by PID; guest_init installs
# an EXIT/INT/TERM trap that calls guest_cleanup (--no-trap: call it from your
# own trap). QEMU also gets SIGKILL if this shell dies without running traps.
# Environment: GUEST_ACCEL=tcg|kvm|auto (default auto: KVM only when it can
# really boot a kernel here), GUEST_QEMU (default qemu-system-x86_64),
# GUEST_MACHINE (default pc), GUEST_BIOS=auto|default|PATH (auto: qboot when
# installed, default: QEMU's SeaBIOS).

GUEST_TOOLS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
GUEST_QEMU=${GUEST_QEMU:-qemu-system-x86_64}
GUEST_RUN_DIR=${GUEST_RUN_DIR:-}
GUEST_KERNEL='' GUEST_INITRD='' GUEST_ACCEL_USED=''
_GUEST_OWN_DIR=0
declare -A _GUEST_PID=()

_guest_err() { echo "guest: $*" >&2; }

_guest_alive() { # PID: running and not a zombie
	local st
	[ -r "/proc/$1/stat" ] || return 1
	st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
	[ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

# Does KVM boot a real kernel here? /dev/kvm may open and run a toy vCPU yet
# hang on the switch to protected mode (nested setups), so boot our kernel
# with no root and wait for its panic. The answer is cached per QEMU, kernel
# and CPU model.
_guest_detect_accel() {
	local cache key log
	case ${GUEST_ACCEL:-auto} in
	tcg | kvm) echo "$GUEST_ACCEL"; return ;;
	auto) ;;
	*) _guest_err "GUEST_ACCEL must be tcg, kvm or auto"; return 1 ;;
	esac
	if [ ! -r /dev/kvm ] || [ ! -w /dev/kvm ]; then
		echo tcg
		return
	fi
	mkdir -p "$GUEST_TOOLS/out"
	cache=$GUEST_TOOLS/out/accel
	key="$("$GUEST_QEMU" --version | head -1)|$(sha256sum <"$GUEST_KERNEL" | cut -c1-16)"
	key+="|$(grep -m1 'model name' /proc/cpuinfo)|$(uname -r)"
	if [ -f "$cache" ] && [ "$(sed -n 2p "$cache")" = "$key" ]; then
		head -1 "$cache"
		return
	fi
	log=$(mktemp /tmp/evs-guest-kvmprobe.XXXXXX)
	timeout -s KILL 15 "$GUEST_QEMU" -accel kvm -cpu host -machine pc -nodefaults \
		-display none -no-reboot -m 128 -kernel "$GUEST_KERNEL" \
		-append "console=ttyS0 panic=-1 root=/dev/evs-none" \
		-serial "file:$log" >/dev/null 2>&1 </dev/null
	if grep -q 'Kernel panic' "$log"; then
		printf 'kvm\n%s\n' "$key" >"$cache"
	else
		printf 'tcg\n%s\n' "$key" >"$cache"
	fi
	rm -f "$log"
	head -1 "$cache"
}

guest_init() {
	local dir='' trap_it=1 built
	while [ $# -gt 0 ]; do
		case $1 in
		--dir) dir=$2; shift ;;
		--no-trap) trap_it=0 ;;
		*) _guest_err "guest_init: unknown option $1"; return 2 ;;
		esac
		shift
	done
	command -v "$GUEST_QEMU" >/dev/null || { _guest_err "$GUEST_QEMU not found"; return 1; }
	built=$("$GUEST_TOOLS/build-initramfs.sh" --quiet | tail -1) || return 1
	GUEST_KERNEL=$(sed 's/^KERNEL=\([^ ]*\) .*/\1/' <<<"$built")
	GUEST_INITRD=$(sed 's/.* INITRD=//' <<<"$built")
	[ -r "$GUEST_KERNEL" ] && [ -r "$GUEST_INITRD" ] ||
		{ _guest_err "guest kernel/initramfs not built (build-initramfs.sh failed)"; return 1; }
	GUEST_ACCEL_USED=$(_guest_detect_accel) || return 1
	if [ -n "$dir" ]; then
		mkdir -p "$dir" && GUEST_RUN_DIR=$(cd "$dir" && pwd) || return 1
	elif [ -z "$GUEST_RUN_DIR" ]; then
		GUEST_RUN_DIR=$(mktemp -d /tmp/evs-guest.XXXXXX) || return 1
		_GUEST_OWN_DIR=1
	fi
	if [ "$trap_it" = 1 ]; then
		trap 'guest_cleanup' EXIT
		trap 'exit 130' INT
		trap 'exit 143' TERM
	fi
}

_guest_dir() { echo "$GUEST_RUN_DIR/$1"; }

guest_start() {
	local name=$1 vhost='' mode=server mac='' ip='' ip6='' gw='' mtu='' queues=1 mem=256M smp=1
	local append='' devopts='' d pid tcg=0 cpu machine vectors
	shift || { _guest_err "guest_start NAME --vhost PATH ..."; return 2; }
	[ -n "$GUEST_KERNEL" ] || { _guest_err "call guest_init first"; return 1; }
	# QEMU dies with its parent shell (PDEATHSIG): a subshell would kill it
	# as soon as the subshell returns.
	[ "$BASHPID" = "$$" ] || { _guest_err "guest_start must run in the main shell, not in \$(...) or a pipe"; return 1; }
	[[ $name =~ ^[A-Za-z0-9_-]{1,32}$ ]] || { _guest_err "bad guest name '$name'"; return 2; }
	if [ -n "${_GUEST_PID[$name]:-}" ] && _guest_alive "${_GUEST_PID[$name]}"; then
		_guest_err "guest $name already running (pid ${_GUEST_PID[$name]})"
		return 1
	fi
	d=$(_guest_dir "$name")
	mkdir -p "$d"
	printf '%q ' "$@" >"$d/args.argv"
	while [ $# -gt 0 ]; do
		[ $# -ge 2 ] || { _guest_err "guest_start: $1 needs a value"; return 2; }
		case $1 in
		--vhost) vhost=$2 ;;
		--mode) mode=$2 ;;
		--mac) mac=$2 ;;
		--ip) ip=$2 ;;
		--ip6) ip6=$2 ;;
		--gw) gw=$2 ;;
		--mtu) mtu=$2 ;;
		--queues) queues=$2 ;;
		--mem) mem=$2 ;;
		--smp) smp=$2 ;;
		--append) append=$2 ;;
		--device-opts) devopts=$2 ;;
		*) _guest_err "guest_start: unknown option $1"; return 2 ;;
		esac
		shift 2
	done
	[ -n "$vhost" ] || { _guest_err "guest_start $name: --vhost PATH is required"; return 2; }
	[ "$mode" = server ] || [ "$mode" = client ] || { _guest_err "--mode must be server or client"; return 2; }
	[[ $queues =~ ^[1-9][0-9]*$ ]] || { _guest_err "bad --queues $queues"; return 2; }
	[[ $mem =~ ^[1-9][0-9]*[MG]$ ]] || { _guest_err "bad --mem $mem (e.g. 256M)"; return 2; }
	[[ $smp =~ ^[1-9][0-9]*$ ]] || { _guest_err "bad --smp $smp"; return 2; }
	if [ -z "$mac" ]; then # stable per name: 52:54:00 + 3 bytes of its hash
		mac=52:54:00:$(printf %s "$name" | sha256sum | sed 's/^\(..\)\(..\)\(..\).*/\1:\2:\3/')
	fi
	[[ $mac =~ ^([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}$ ]] || { _guest_err "bad --mac $mac"; return 2; }
	if [ "$mode" = client ] && [ ! -S "$vhost" ]; then
		_guest_err "guest_start $name: --mode client needs the switch's socket $vhost to exist"
		return 1
	fi

	[ "$GUEST_ACCEL_USED" = tcg ] && tcg=1
	# Under TCG, QEMU 7.2 crashes on vhost-user + MSI-X and loses interrupts
	# with event_idx: INTx (vectors=0) and no event_idx. With KVM, defaults,
	# plus one vector per queue and two for config/control when multi-queue.
	if [ $tcg = 1 ]; then
		cpu=max vectors=",vectors=0,event_idx=off"
	else
		cpu=host vectors=""
		[ "$queues" -gt 1 ] && vectors=",vectors=$((2 * queues + 2))"
	fi
	# pc + qboot boots about 2 s faster than q35 + SeaBIOS under TCG.
	machine=${GUEST_MACHINE:-pc}
	local bios=${GUEST_BIOS:-auto}
	if [ "$bios" = auto ]; then
		bios=
		[ -f /usr/share/qemu/qboot.rom ] && bios=/usr/share/qemu/qboot.rom
	elif [ "$bios" = default ]; then
		bios=
	fi
	local vu_chardev="socket,id=vu0,path=$vhost"
	if [ "$mode" = server ]; then
		vu_chardev+=",server=on,wait=off"
		[ -S "$vhost" ] && rm -f "$vhost" # stale socket of a killed QEMU
	else
		vu_chardev+=",reconnect=1"
	fi
	local kargs="console=ttyS0 panic=-1 loglevel=4 evs.name=$name"
	[ -n "$ip" ] && kargs+=" evs.ip=$ip"
	[ -n "$ip6" ] && kargs+=" evs.ip6=$ip6"
	[ -n "$gw" ] && kargs+=" evs.gw=$gw"
	[ -n "$mtu" ] && kargs+=" evs.mtu=$mtu"
	[ "$queues" -gt 1 ] && kargs+=" evs.queues=$queues"
	[ -n "$append" ] && kargs+=" $append"
	local dev="virtio-net-pci,netdev=net0,mac=$mac,romfile=$vectors"
	[ "$queues" -gt 1 ] && dev+=",mq=on"
	[ -n "$devopts" ] && dev+=",$devopts"

	# shellcheck disable=SC2054 # commas belong to QEMU's option syntax
	local argv=("$GUEST_QEMU" -name "$name" -nodefaults -no-user-config
		-display none -no-reboot -machine "$machine" -accel "$GUEST_ACCEL_USED"
		${bios:+-bios "$bios"}
		-cpu "$cpu" -smp "$smp" -m "$mem"
		-object "memory-backend-memfd,id=mem0,size=$mem,share=on"
		-numa node,memdev=mem0
		-kernel "$GUEST_KERNEL" -initrd "$GUEST_INITRD" -append "$kargs"
		-chardev "socket,id=con0,path=$d/console.sock,server=on,wait=off,logfile=$d/console.log"
		-serial chardev:con0
		-chardev "socket,id=ctl0,path=$d/ctl.sock,server=on,wait=off"
		-serial chardev:ctl0
		-qmp "unix:$d/qmp.sock,server=on,wait=off"
		-chardev "$vu_chardev"
		-netdev "vhost-user,id=net0,chardev=vu0,queues=$queues"
		-device "$dev")
	printf '%s\0' "${argv[@]}" >"$d/argv"
	[ -f "$d/console.log" ] && mv -f "$d/console.log" "$d/console.log.prev"
	rm -f "$d/boot-seconds"
	rm -f "$d/console.sock" "$d/ctl.sock" "$d/qmp.sock"
	python3 "$GUEST_TOOLS/guestctl.py" run --parent "$$" -- "${argv[@]}" \
		</dev/null >"$d/qemu.out" 2>&1 &
	pid=$!
	disown "$pid" # bash still reaps it, but won't print "Killed" later
	_GUEST_PID[$name]=$pid
	echo "$pid" >"$d/qemu.pid"
	date +%s.%N >"$d/started"
	# QEMU creates its sockets before running the guest, or fails early.
	local i
	for ((i = 0; i < 100; i++)); do
		[ -S "$d/ctl.sock" ] && [ -S "$d/qmp.sock" ] && return 0
		_guest_alive "$pid" || break
		sleep 0.05
	done
	_guest_err "QEMU for $name did not start:"
	sed 's/^/  /' "$d/qemu.out" >&2
	return 1
}

guest_restart() {
	local name=$1 d
	d=$(_guest_dir "$name")
	[ -f "$d/args.argv" ] || { _guest_err "guest $name was never started"; return 1; }
	eval "guest_start \"\$name\" $(cat "$d/args.argv")"
}

guest_pid() { echo "${_GUEST_PID[$1]:-}"; }
guest_console() { echo "$(_guest_dir "$1")/console.log"; }
_guest_quote() { # a word as a shell reads it; plain when it needs no quotes
	if [[ $1 =~ ^[A-Za-z0-9_./:=,@%+-]+$ ]]; then
		printf '%s' "$1"
	else
		printf "'%s'" "${1//\'/\'\\\'\'}"
	fi
}

guest_cmdline() { # NAME [--multiline]: QEMU's command line, ready to paste
	local a sep=' ' first=1
	[ "${2:-}" = --multiline ] && sep=$' \\\n    '
	while IFS= read -r -d '' a; do
		if [ $first = 1 ]; then
			first=0
		elif [ "${a:0:1}" = - ]; then
			printf '%s' "$sep"
		else
			printf ' '
		fi
		_guest_quote "$a"
	done <"$(_guest_dir "$1")/argv"
	echo
}

guest_wait_ready() {
	local name=$1 secs=${2:-} d
	d=$(_guest_dir "$name")
	if [ -z "$secs" ]; then
		secs=120
		[ "$GUEST_ACCEL_USED" = kvm ] && secs=30
	fi
	python3 "$GUEST_TOOLS/guestctl.py" wait --sock "$d/ctl.sock" --timeout "$secs" \
		--pid "${_GUEST_PID[$name]:-0}" --log "$d/console.log" || return 1
	# Boot time: QEMU start to the command server's first answer.
	awk -v s="$(cat "$d/started")" -v e="$(date +%s.%N)" \
		'BEGIN {printf "%.2f\n", e - s}' >"$d/boot-seconds"
}

guest_boot_seconds() { cat "$(_guest_dir "$1")/boot-seconds" 2>/dev/null; }

guest_exec() {
	local name=$1 timeout=60
	shift
	if [ "${1:-}" = --timeout ]; then
		timeout=$2
		shift 2
	fi
	[ $# -gt 0 ] || { _guest_err "guest_exec NAME [--timeout S] CMD"; return 2; }
	python3 "$GUEST_TOOLS/guestctl.py" exec --sock "$(_guest_dir "$name")/ctl.sock" \
		--timeout "$timeout" -- "$*"
}

guest_qmp() {
	local name=$1
	shift
	python3 "$GUEST_TOOLS/guestctl.py" qmp --sock "$(_guest_dir "$name")/qmp.sock" "$@"
}

_guest_reap() { # NAME: wait for an exited QEMU and forget it
	local pid=${_GUEST_PID[$1]:-}
	[ -n "$pid" ] && wait "$pid" 2>/dev/null
	unset "_GUEST_PID[$1]"
	return 0
}

_guest_wait_exit() { # PID SECS
	local end=$((SECONDS + $2))
	while _guest_alive "$1"; do
		[ $SECONDS -lt "$end" ] || return 1
		sleep 0.1
	done
}

guest_stop() {
	local name=$1 secs=${2:-30} pid
	pid=${_GUEST_PID[$name]:-}
	[ -n "$pid" ] || { _guest_err "guest $name is not running"; return 1; }
	if _guest_alive "$pid" && [ ! -f "$(_guest_dir "$name")/boot-seconds" ]; then
		# Never answered (e.g. QEMU still waits for the switch to connect):
		# nothing inside to shut down cleanly.
		kill -KILL "$pid" 2>/dev/null
		_guest_wait_exit "$pid" 10
	elif _guest_alive "$pid"; then
		# Power off from inside (busybox init stops everything, syncs, and
		# ACPI makes QEMU exit); the command returns before the guest goes.
		guest_exec "$name" --timeout 5 '(sleep 0.2; poweroff) >/dev/null 2>&1 &' >/dev/null 2>&1
		if ! _guest_wait_exit "$pid" "$secs"; then
			_guest_err "guest $name did not power off in ${secs}s, asking QEMU to quit"
			guest_qmp "$name" quit >/dev/null 2>&1
			_guest_wait_exit "$pid" 5 || kill -KILL "$pid" 2>/dev/null
		fi
	fi
	_guest_reap "$name"
}

guest_kill() {
	local name=$1 pid
	pid=${_GUEST_PID[$name]:-}
	[ -n "$pid" ] || { _guest_err "guest $name is not running"; return 1; }
	kill -KILL "$pid" 2>/dev/null
	_guest_wait_exit "$pid" 10
	_guest_reap "$name"
}

guest_cleanup() {
	local name pid
	for name in "${!_GUEST_PID[@]}"; do
		pid=${_GUEST_PID[$name]}
		kill -KILL "$pid" 2>/dev/null
	done
	for name in "${!_GUEST_PID[@]}"; do
		_guest_wait_exit "${_GUEST_PID[$name]}" 10
		_guest_reap "$name"
	done
	if [ "$_GUEST_OWN_DIR" = 1 ] && [ -d "$GUEST_RUN_DIR" ]; then
		rm -rf "$GUEST_RUN_DIR"
		GUEST_RUN_DIR=
		_GUEST_OWN_DIR=0
	fi
	return 0
}
