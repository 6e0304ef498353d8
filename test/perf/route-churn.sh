#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Route changes per second through the socket under traffic, with the loss on
# the unaffected flows (issue 10's 10k changes/s target): runs the l3_churn
# integration scenario with the rate as a check.
# Usage: test/perf/route-churn.sh BUILD_DIR [MIN_RATE] (CHURN_S, CHURN_BATCH as there)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:?usage: $0 BUILD_DIR [MIN_RATE]}" && pwd)
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
BUILD=$build CHURN_MIN_RATE=${2:-10000} "$root/test/integration/run.sh" \
	"$root/test/integration/test_l3_churn.sh"
