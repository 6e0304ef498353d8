# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash disable=SC2034
# Overlay, the decap direction: the tunnel scenario's topology, traffic
# arriving from the remote host.
sc_title="GENEVE tunnel, decap"
sc_desc="The tunnel scenario's topology (VNI 5001, IPv4 underlay, one remote host) the other way: the generator's port 1 is the remote host and sends GENEVE frames (outer UDP source port per flow) to this host's VTEP on the underlay port; the device checks and strips the outer headers and delivers the inner frames to the vNIC (port 0), where the generator reads its stamp. edgevs: lib/overlay's underlay, vtep and tunnel objects; the vNIC's MAC is a static MAC of its switch (nothing the generator sends teaches it). OVS-DPDK: the tunnel scenario's bridges (userspace tunnelling pops the header when the underlay bridge outputs a frame for its own address to LOCAL), the tunnel port's frames sent to the vNIC by an OpenFlow rule. Flows differ in the inner destination address."
# shellcheck source=../scenario-tunnel.sh
. "$(dirname "${BASH_SOURCE[0]}")/../scenario-tunnel.sh"
VMAC=02:45:56:47:00:01 # edgevs-gen's port 0: the vNIC
RMAC=02:45:56:47:01:01 # a VM on the remote host
sc_gen_args+=(--tx-port 1 --rx-port 0 --encap geneve --vni "$VNI" --outer-src-ip "$U2"
	--outer-dst-ip "$U1" --dst-mac "1,$UMAC" --inner-src-mac "$RMAC" --inner-dst-mac "$VMAC"
	--inner-size)
sc_flow_mix() { echo "--sport-range 1 --dip-range $1"; }
sc_ovs_tunnel=geneve
sc_edgevs_config() {
	printf '{\n%s,\n' "$(sc_tunnel_json "$1" "$2" false)"
	printf '  "macs": [ { "switch": "vn", "mac": "%s", "port": "p0" } ] }\n' "$VMAC"
}
