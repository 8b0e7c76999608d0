#!/usr/bin/env bash
# Installs QuickFIX C++ from Debian (libquickfix-dev, g++, make) when its headers are missing, then
# builds fixg's QuickFIX peers (bench/peers/quickfix/build/qf_acceptor, qf_initiator, qf_latency, qf_session).
# Idempotent: a second run installs nothing and rebuilds only what changed. Needs root for apt-get.
# Debian's package ships no data dictionaries; the peers use fixtures/dictionaries/FIX44.xml.
set -euo pipefail
cd "$(dirname "$0")/.."

fail() {
  echo "install_quickfix: $*" >&2
  exit 1
}

if [ ! -f /usr/include/quickfix/Application.h ] || ! command -v g++ >/dev/null; then
  command -v apt-get >/dev/null || fail "QuickFIX headers missing and apt-get not available (install libquickfix-dev g++ make by hand)"
  sudo=""
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null || fail "QuickFIX headers missing; run as root or install libquickfix-dev g++ make"
    sudo="sudo"
  fi
  echo "install_quickfix: installing libquickfix-dev g++ make"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -q || fail "apt-get update failed"
  $sudo apt-get install -y -q libquickfix-dev g++ make || fail "apt-get install libquickfix-dev g++ make failed"
  [ -f /usr/include/quickfix/Application.h ] || fail "libquickfix-dev installed but /usr/include/quickfix/Application.h is missing"
fi

[ -f fixtures/dictionaries/FIX44.xml ] || fail "fixtures/dictionaries/FIX44.xml is missing (the peers' data dictionary)"
bash bench/peers/quickfix/build.sh || fail "building the QuickFIX peers failed"
for bin in qf_acceptor qf_initiator; do
  "bench/peers/quickfix/build/$bin" --help >/dev/null || fail "bench/peers/quickfix/build/$bin does not run"
done
echo "install_quickfix: ok (bench/peers/quickfix/build/qf_acceptor, qf_initiator)"
