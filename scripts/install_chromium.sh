#!/usr/bin/env bash
# Installs Debian's chromium (for scripts/render_html_check.sh) when it is not there yet.
# Needs root and Debian's package mirror; prints why and exits 1 when it cannot install.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
  echo "install_chromium: $(chromium --version 2>/dev/null || echo chromium) already installed"
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install_chromium: apt-get not found (not Debian/Ubuntu): install chromium yourself" >&2
  exit 1
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "install_chromium: need root (or sudo) to apt-get install chromium" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends chromium fonts-dejavu-core
echo "install_chromium: $(chromium --version 2>/dev/null) installed"
