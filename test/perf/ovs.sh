# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash
#
# A private Open vSwitch with DPDK for the performance suite, sourced by
# test/perf/gen/matrix.sh. Its own ovsdb-server and ovs-vswitchd (the DPDK
# build, invoked directly: no update-alternatives, no system OVS touched),
# run/db/log directories under $1, the PMD pinned to the device core, two
# ports of the kind the generator attaches to:
#   vhost  dpdkvhostuser (OVS is the vhost-user server, the generator's
#          virtio_user the guest)
#   memif  a dpdk port with net_memif server devargs
#
# ovs_start DIR CORE_PMD CORE_CTL PORTKIND EAL_PREFIX   -> sockets ready
#   With sc_ovs_tunnel=geneve|vxlan (the sourced scenario's, see
#   test/perf/scenario-tunnel.sh), port 1 is the underlay on a bridge of its
#   own and br0's ofport 2 is the tunnel to $U2 (key $VNI).
# ovs_flows                install the OpenFlow pipeline of the sourced scenario
# ovs_clear_stats / ovs_pmd_stats   PMD busy/idle cycles (pmd-stats-show)
# ovs_stop

# shellcheck source=huge.sh
. "$(dirname "${BASH_SOURCE[0]}")/huge.sh"

ovs_bin=${OVS_VSWITCHD:-/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk}
ovs_dir=""
ovs_br=br0
ovs_phy_br=evsphy$$ # the underlay's bridge (tunnel scenarios): its tap is named so
ovs_mem=1024 # MiB of hugepages

ovs_available() {
	[ -x "$ovs_bin" ] && command -v ovsdb-server >/dev/null && command -v ovs-vsctl >/dev/null &&
		command -v ovs-ofctl >/dev/null
}

ovs_vsctl() { ovs-vsctl --db="unix:$ovs_dir/db.sock" --timeout=20 "$@"; }
ovs_appctl() { ovs-appctl -t "$ovs_dir/vswitchd.ctl" "$@"; }

# Socket the generator's port N connects to.
ovs_sock() { echo "$ovs_dir/vhu$1"; }

ovs_start() { # dir pmd_core ctl_core portkind prefix
	local pmd=$2 ctl=$3 kind=$4 prefix=$5 i
	ovs_dir=$1
	mkdir -p "$ovs_dir"
	export OVS_RUNDIR=$ovs_dir OVS_LOGDIR=$ovs_dir OVS_DBDIR=$ovs_dir OVS_SYSCONFDIR=$ovs_dir
	ovsdb-tool create "$ovs_dir/conf.db" /usr/share/openvswitch/vswitch.ovsschema || return 1
	ovsdb-server "$ovs_dir/conf.db" --remote="punix:$ovs_dir/db.sock" \
		--pidfile="$ovs_dir/ovsdb-server.pid" --unixctl="$ovs_dir/ovsdb-server.ctl" \
		--log-file="$ovs_dir/ovsdb-server.log" --detach || return 1
	ovs_vsctl --no-wait init
	# Hugepages: OVS runs DPDK --in-memory, which --no-huge cannot join;
	# the caller reserves them (ovs_hugepages_reserve).
	local extra="--file-prefix $prefix --no-pci --no-telemetry --log-level=lib.eal:warning"
	# Memory for OVS's shared mbuf pool at its first size (262144 mbufs of
	# MTU 1500, ~660 MiB): with 512 MiB it fails, halves and retries while
	# the first vhost-user guest connects, and the vhost thread's
	# allocations for the second port fail in that window ("failed to
	# allocate memory for vring"): the port never comes up (17 of 32 runs).
	ovs_vsctl --no-wait set Open_vSwitch . other_config:dpdk-socket-mem="$ovs_mem" \
		other_config:dpdk-socket-limit="$ovs_mem"
	ovs_vsctl --no-wait set Open_vSwitch . other_config:dpdk-init=true \
		other_config:dpdk-lcore-mask="$(printf 0x%x $((1 << ctl)))" \
		other_config:pmd-cpu-mask="$(printf 0x%x $((1 << pmd)))" \
		other_config:dpdk-extra="$extra" other_config:vhost-sock-dir=.
	# Non-PMD threads (handlers, revalidators) on the control core, like
	# the other devices' management lcores; the PMD pins itself.
	taskset -c "$ctl" "$ovs_bin" "unix:$ovs_dir/db.sock" --pidfile="$ovs_dir/ovs-vswitchd.pid" \
		--unixctl="$ovs_dir/vswitchd.ctl" --log-file="$ovs_dir/ovs-vswitchd.log" --detach \
		>/dev/null 2>&1 || { tail -5 "$ovs_dir/ovs-vswitchd.log" >&2; return 1; }
	ovs_vsctl add-br "$ovs_br" -- set bridge "$ovs_br" datapath_type=netdev \
		protocols=OpenFlow10,OpenFlow13,OpenFlow15 || return 1
	local br ofp
	if [ -n "${sc_ovs_tunnel:-}" ]; then
		ovs_vsctl add-br "$ovs_phy_br" -- set bridge "$ovs_phy_br" datapath_type=netdev \
			other-config:hwaddr="$UMAC" || return 1
		ovs_vsctl add-port "$ovs_br" tun0 -- set Interface tun0 type="$sc_ovs_tunnel" \
			options:remote_ip="$U2" options:key="$VNI" ofport_request=2 || return 1
	fi
	for i in 0 1; do
		br=$ovs_br ofp=$((i + 1))
		[ -n "${sc_ovs_tunnel:-}" ] && [ $i = 1 ] && br=$ovs_phy_br ofp=1
		if [ "$kind" = vhost ]; then
			ovs_vsctl add-port "$br" "vhu$i" -- set Interface "vhu$i" type=dpdkvhostuser \
				ofport_request=$ofp || return 1
		else
			ovs_vsctl add-port "$br" "mif$i" -- set Interface "mif$i" type=dpdk \
				"options:dpdk-devargs=net_memif$i,role=server,socket=$ovs_dir/vhu$i,socket-abstract=no,id=0" \
				ofport_request=$ofp || return 1
		fi
	done
	if [ -n "${sc_ovs_tunnel:-}" ]; then
		# The route's source must be an address of the bridge's own port
		# in the remote's subnet: a tap that lives as long as this OVS,
		# its /30 (and the kernel's route for it) gone with it.
		ip addr add "$U1/30" dev "$ovs_phy_br" || return 1
		ip link set "$ovs_phy_br" up || return 1
		ovs_appctl ovs/route/add "$U2/32" "$ovs_phy_br" >/dev/null || return 1
		ovs_appctl tnl/arp/set "$ovs_phy_br" "$U2" "$H2" >/dev/null || return 1
		ovs-ofctl replace-flows "$ovs_phy_br" - <<<"priority=10,in_port=LOCAL,actions=output:1
priority=10,in_port=1,actions=LOCAL
priority=0,actions=drop" || return 1
	fi
	for _ in $(seq 100); do
		if [ -S "$(ovs_sock 0)" ] && [ -S "$(ovs_sock 1)" ]; then
			# The PMD's port assignment may re-create a socket just after
			# it appears: give it a moment, then check again.
			sleep 0.5
			[ -S "$(ovs_sock 0)" ] && [ -S "$(ovs_sock 1)" ] && return 0
		fi
		sleep 0.1
	done
	echo "ovs: ports did not come up" >&2
	tail -5 "$ovs_dir/ovs-vswitchd.log" >&2
	return 1
}

# Hugepages for OVS (huge.sh; given back by huge_release).
ovs_hugepages_reserve() { huge_reserve $((ovs_mem + 64)); }

ovs_stop() {
	local f p
	[ -n "$ovs_dir" ] || return 0
	# A netdev bridge's tap outlives OVS (persistent): the underlay
	# bridge's goes with it, and its address and route with the tap.
	if ip link show "$ovs_phy_br" >/dev/null 2>&1; then
		ovs_vsctl --if-exists del-br "$ovs_phy_br" >/dev/null 2>&1
		ip link del "$ovs_phy_br" 2>/dev/null
	fi
	for f in ovs-vswitchd ovsdb-server; do
		p=$(cat "$ovs_dir/$f.pid" 2>/dev/null) || continue
		kill -TERM "$p" 2>/dev/null
		for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$p" 2>/dev/null
	done
	ovs_dir=""
}

ovs_clear_stats() { ovs_appctl dpif-netdev/pmd-stats-clear >/dev/null; }

# Prints "busy_cycles idle_cycles packets" of the PMD since the last clear.
ovs_pmd_stats() {
	ovs_appctl dpif-netdev/pmd-stats-show | awk '
		/packets received:/ {p += $3}
		/idle cycles:/ {i += $3}
		/processing cycles:/ {b += $3}
		END {printf "%.0f %.0f %.0f\n", b, i, p}'
}

# Install a scenario's OpenFlow pipeline (sc_ovs_groups, sc_ovs_flows from
# test/perf/scenarios/NAME.sh, sourced by the caller).
ovs_flows() {
	if [ -n "$sc_ovs_groups" ]; then
		echo "$sc_ovs_groups" >"$ovs_dir/groups.txt"
		ovs-ofctl -O OpenFlow15 add-groups "$ovs_br" "$ovs_dir/groups.txt" || return 1
	fi
	echo "$sc_ovs_flows" >"$ovs_dir/flows.txt"
	ovs-ofctl -O OpenFlow15 replace-flows "$ovs_br" "$ovs_dir/flows.txt"
}

# Connections in the conntrack table (all zones).
ovs_ct_conns() { ovs_appctl dpctl/ct-get-nconns 2>/dev/null || echo 0; }
