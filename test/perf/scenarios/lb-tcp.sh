# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash disable=SC2034
# Load balancing of established TCP: lb.sh's VIP and backends, TCP.
# shellcheck source=lb.sh
. "$(dirname "${BASH_SOURCE[0]}")/lb.sh"
sc_title="Load balancing, established TCP"
sc_desc="lb's VIP and pipelines with TCP to 198.19.0.1:5001 (the VIP's TCP service): before each run every flow is opened by a handshake through the device (edgevs-gen --connect: the client port's SYN, the backend port's SYN-ACK, the client's ACK), then each flow is a one-way stream of in-window ACK|PSH segments (--proto tcp-ack), so every packet is an established TCP packet whose sequence numbers the device's connection tracking checks."
# matrix.sh: the handshake warm-up, then tcp-ack segments
sc_l4=tcp
