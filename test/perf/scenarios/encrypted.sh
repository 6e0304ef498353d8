# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash disable=SC2034
# Overlay with ESP: the tunnel scenario, every frame encrypted.
sc_title="GENEVE tunnel with ESP"
sc_desc="The tunnel scenario with the tunnel encrypted: ESP AES-GCM-128 (RFC 4106) in transport mode on the tunnel's UDP, one SA per direction, so every frame is encapsulated, then encrypted. The generator cannot read what leaves the underlay port and counts it by port (\`--rx-opaque\`: loss by count, no latency). edgevs: the tunnel's \`encrypt\` and an outbound and inbound \`sa\` (doc/overlay.md). OVS-DPDK: **not built**: its userspace datapath has no ESP (OVS encrypts tunnels only through the Linux kernel's IPsec, ovs-monitor-ipsec with the kernel datapath), so there is no OVS-DPDK pipeline to compare."
# shellcheck source=../scenario-tunnel.sh
. "$(dirname "${BASH_SOURCE[0]}")/../scenario-tunnel.sh"
sc_gen_args+=(--rx-opaque)
sc_flow_mix() { echo "--sport-range 1 --dip-range $1"; }
sc_ovs_not_built=1
# Test keys (the example's): a controller generates real ones.
sc_edgevs_config() {
	printf '{\n%s,\n' "$(sc_tunnel_json "$1" "$2" true)"
	cat <<JSON
  "sas": [ { "vtep": "h2", "dir": "out", "spi": 4096, "key": "000102030405060708090a0b0c0d0e0f", "salt": "0a0b0c0d" },
           { "vtep": "h2", "dir": "in", "spi": 8192, "key": "f0e0d0c0b0a090807060504030201000", "salt": "0a0b0c0d" } ] }
JSON
}
