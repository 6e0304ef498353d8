#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Runs one integration test script for meson: 0 pass, 77 skip, anything else
# (a signal, a crash of the script itself) becomes 1.
script=$1
shift
[ -n "${BUILD:-}" ] || BUILD=$(cd "$(dirname "$0")/../../build" 2>/dev/null && pwd)
export BUILD
bash "$script" "$@"
rc=$?
case $rc in
0 | 77) exit $rc ;;
*) exit 1 ;;
esac
