#!/usr/bin/env bash
# Install everything, build (warnings are errors), run the unit tests, run
# them again under AddressSanitizer/UBSan, then the integration tests.
# Ends with "N passed, N failed"; exit status 0 only when nothing failed.
# Run as root (integration tests use namespaces, taps and QEMU).
set -uo pipefail
cd "$(dirname "$0")/.."

EDGEVS_SETUP=test EDGEVS_MESON_ARGS="-Dwerror=true" scripts/setup.sh build || exit 1
EDGEVS_SETUP=test EDGEVS_MESON_ARGS="-Dwerror=true -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug" \
	scripts/setup.sh build-asan || exit 1

results=$(mktemp)
trap 'rm -f "$results"' EXIT
run() { # run BUILD_DIR LABEL meson-test-args...
	local dir=$1 label=$2
	shift 2
	echo "=== $label"
	meson test -C "$dir" --print-errorlogs "$@"
	python3 - "$dir/meson-logs/testlog.json" "$label" >>"$results" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    t = json.loads(line)
    print(t["result"], sys.argv[2] + ":" + t["name"])
PY
}
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
run build unit --suite unit
run build-asan unit-asan --suite unit
run build smoke --suite smoke
run build integration --suite integration

echo
echo "=== summary"
grep -v '^OK ' "$results" | sed 's/^/  /'
passed=$(grep -c '^OK ' "$results")
skipped=$(grep -c '^SKIP ' "$results")
failed=$(grep -vc -e '^OK ' -e '^SKIP ' "$results")
[ "$skipped" -gt 0 ] && echo "$skipped skipped"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
