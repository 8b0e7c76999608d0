#!/usr/bin/env bash
# Builds fixg's QuickFIX peers (qf_acceptor, qf_initiator, qf_latency, qf_session, qf_validate) into bench/peers/quickfix/build/ with g++
# against Debian's libquickfix-dev. Rebuilds only what changed. Exit non-zero with a message on failure.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out="$here/build"
if [ ! -f /usr/include/quickfix/Application.h ]; then
  echo "build.sh: QuickFIX headers not found (/usr/include/quickfix); run scripts/install_quickfix.sh" >&2
  exit 1
fi
command -v g++ >/dev/null || { echo "build.sh: g++ not found; run scripts/install_quickfix.sh" >&2; exit 1; }
mkdir -p "$out"
# QuickFIX 1.15's headers use dynamic exception specifications, removed in C++17: build as C++14.
flags=(-std=c++14 -O2 -Wall -Wno-deprecated -Wno-deprecated-declarations -pthread)
for name in acceptor initiator latency session validate; do
  src="$here/$name.cpp"
  bin="$out/qf_$name"
  if [ -x "$bin" ] && [ "$bin" -nt "$src" ] && [ "$bin" -nt "$here/common.h" ] && [ "$bin" -nt "$0" ]; then
    echo "build.sh: $bin is up to date"
    continue
  fi
  echo "build.sh: g++ $name.cpp -> $bin"
  if ! g++ "${flags[@]}" -o "$bin.tmp" "$src" -lquickfix; then
    rm -f "$bin.tmp"
    echo "build.sh: compiling $name.cpp failed" >&2
    exit 1
  fi
  mv "$bin.tmp" "$bin"
done
