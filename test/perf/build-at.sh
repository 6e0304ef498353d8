#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Build edgevs as it was at COMMIT, for before/after rows in the performance
# matrix (e.g. 63610e3: L2 before the pipeline v2 engine, issue 8). The tree
# is exported with `git archive` (no worktree, nothing in .git changes) and
# built release, without tests, in DIR/build; an existing build is reused.
#
# Usage: test/perf/build-at.sh COMMIT DIR     -> prints DIR/build/app/edgevs/edgevs
set -euo pipefail
[ $# = 2 ] || { echo "usage: $0 COMMIT DIR" >&2; exit 1; }
commit=$1
dir=$2
cd "$(dirname "$0")/../.."
bin=$dir/build/app/edgevs/edgevs
if [ ! -x "$bin" ] || [ "$(cat "$dir/COMMIT" 2>/dev/null)" != "$(git rev-parse "$commit")" ]; then
	rm -rf "$dir"
	mkdir -p "$dir"
	git archive "$commit" | tar -x -C "$dir"
	git rev-parse "$commit" >"$dir/COMMIT"
	(cd "$dir" && meson setup build -Dtests=disabled >/dev/null && ninja -C build app/edgevs/edgevs app/edgevsctl/edgevsctl >/dev/null) ||
		{ echo "build-at: $commit did not build in $dir" >&2; exit 1; }
fi
echo "$bin"
