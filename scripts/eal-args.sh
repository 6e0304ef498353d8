#!/usr/bin/env bash
# Print the EAL arguments the scripts run edgevs with: lcores (management +
# one PMD), memory (hugepages if we can reserve them, else --no-huge), and
# --no-pci unless EDGEVS_PCI=1 (the default config uses virtual ports only;
# never grab this machine's own NIC by accident).
# Usage: scripts/eal-args.sh [MB]
here=$(dirname "$0")
args="$("$here/lcores.sh") $("$here/eal-mem.sh" "${1:-512}")"
[ "${EDGEVS_PCI:-0}" = 1 ] || args="$args --no-pci"
echo "$args"
