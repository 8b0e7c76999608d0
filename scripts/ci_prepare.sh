#!/usr/bin/env bash
# Installs what the interop tests need beyond npm (QuickFIX C++ from Debian) and builds our
# QuickFIX peers. Safe to run again; a missing apt is reported, not fatal (those tests then skip).
set -uo pipefail
cd "$(dirname "$0")/.."
if [ -f scripts/install_quickfix.sh ]; then bash scripts/install_quickfix.sh || echo "ci_prepare: QuickFIX peer unavailable; interop tests will be skipped"; fi
exit 0
