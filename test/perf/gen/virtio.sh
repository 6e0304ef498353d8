# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash
#
# The virtio_user options of the generator's ports on every vhost-user port
# of the performance suite (matrix.sh, vs-flowgen.sh, check-scenarios.sh,
# the callgrind scripts), edgevs-gen and testpmd flowgen alike, so every
# device sees the same guest. Split ring, as a QEMU guest has, without
# IN_ORDER (a Linux guest's virtio-net does not negotiate it; DPDK's
# virtio_user and vhost would) and without mergeable receive buffers (one
# 2 KiB buffer per frame, as mergeable buffers also give every frame up to
# 1518 B): that lets the guest receive on the vector path. What each side
# does per frame, doc/performance.md ("How to read the tables") and
# doc/edgevs-gen.md.
GEN_VIRTIO=",in_order=0,mrg_rxbuf=0,vectorized=1"
