#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# doc/objects.md from a running daemon's `schema`: starts BUILD's edgevs
# without hugepages or ports on a private socket, runs scripts/schema-doc.py
# against it and stops it. With --check, compares instead of writing (exit 1
# and a diff when the page is stale; the smoke test objects_doc runs this).
#
# Usage: scripts/objects-doc.sh [--check] BUILD_DIR|EDGEVS_BINARY
set -u
check=""
if [ "${1:-}" = "--check" ]; then
	check=1
	shift
fi
evs=${1:?usage: $0 [--check] BUILD_DIR|EDGEVS_BINARY}
[ -d "$evs" ] && evs=$evs/app/edgevs/edgevs
root=$(cd "$(dirname "$0")/.." && pwd)
doc=$root/doc/objects.md
tmp=$(mktemp -d /tmp/evs-objdoc.XXXXXX)
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid"; rm -rf "$tmp" /var/run/dpdk/evs-objdoc-$$' EXIT
echo '{}' >"$tmp/config.json"
"$evs" --lcores 0@0,1@0 --no-huge -m 128 --no-shconf --no-pci --no-telemetry \
	--file-prefix "evs-objdoc-$$" -- --config "$tmp/config.json" --socket "$tmp/ctl.sock" \
	--state-dir "$tmp/state" --pmd-sleep-us 1000 >"$tmp/edgevs.log" 2>&1 </dev/null &
pid=$!
for _ in $(seq 200); do
	grep -q "edgevs: ready" "$tmp/edgevs.log" && break
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.1
done
if ! grep -q "edgevs: ready" "$tmp/edgevs.log"; then
	echo "objects-doc: the daemon did not start:" >&2
	tail -n 5 "$tmp/edgevs.log" >&2
	exit 2
fi
if [ -n "$check" ]; then
	python3 "$root/scripts/schema-doc.py" --check "$doc" "$tmp/ctl.sock"
	exit
fi
python3 "$root/scripts/schema-doc.py" "$tmp/ctl.sock" >"$tmp/objects.md" && mv "$tmp/objects.md" "$doc" &&
	echo "objects-doc: wrote $doc"
