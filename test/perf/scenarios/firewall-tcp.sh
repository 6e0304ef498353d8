# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash disable=SC2034
# The stateful firewall on established TCP: firewall.sh's rules, TCP.
# shellcheck source=firewall.sh
. "$(dirname "${BASH_SOURCE[0]}")/firewall.sh"
sc_title="Firewall with connection tracking, established TCP"
sc_desc="firewall's rules and pipelines with TCP to port 5001: before each run every flow is opened by a handshake through the device (edgevs-gen --connect: the client port's SYN, allowed and committed; the server port's SYN-ACK, passing by state; the client's ACK), then each flow is a one-way stream of in-window ACK|PSH segments (--proto tcp-ack) that pass on conntrack state, their sequence numbers checked."
# matrix.sh: the handshake warm-up, then tcp-ack segments
sc_l4=tcp
