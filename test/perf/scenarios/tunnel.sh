# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash disable=SC2034
# Overlay: a logical switch carried over GENEVE to a remote host.
sc_title="GENEVE tunnel"
sc_desc="The vNIC's switch is carried over GENEVE (VNI 5001, IPv4 underlay) to one remote host: frames from port 1 (a vNIC) leave port 2 (the underlay) encapsulated, the outer UDP source port from the flow's hash. One way, the encap direction; the generator decodes the stamp inside the tunnel. edgevs: lib/overlay's underlay, vtep and tunnel objects; nothing comes back to teach the remote MAC, so the tunnel lists it as a static MAC behind the remote host (\`tunnel.vteps[].macs\`) and L2 forwards it as known unicast. OVS-DPDK: a netdev bridge with the vNIC and a \`geneve\` port, its underlay on a second bridge (userspace tunnelling: \`ovs/route/add\`, \`tnl/arp/set\`), the vNIC's frames sent to the tunnel port by an OpenFlow rule. Flows differ in the destination address."
# shellcheck source=../scenario-tunnel.sh
. "$(dirname "${BASH_SOURCE[0]}")/../scenario-tunnel.sh"
sc_flow_mix() { echo "--sport-range 1 --dip-range $1"; }
sc_ovs_tunnel=geneve
sc_edgevs_config() { printf '{\n%s }\n' "$(sc_tunnel_json "$1" "$2" false)"; }
