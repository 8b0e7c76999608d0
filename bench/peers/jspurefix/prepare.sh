#!/usr/bin/env bash
# Unpacks jspurefix's FIX repository data (node_modules/jspurefix/data/fix_repo/) when it is missing.
# jspurefix's own postinstall does this (`cd data && node ../src/util/unzip fix_repo.zip`), but npm
# skips install scripts here. The peers in this directory read the QuickFIX dictionary
# fixtures/dictionaries/FIX44.xml and do not need the repository; jspurefix's repo* dictionaries,
# its code generator and its tests do. Needs node and yauzl (a jspurefix dependency). Idempotent.
set -euo pipefail
root=$(cd "$(dirname "$0")/../../.." && pwd)
pkg="$root/node_modules/jspurefix"
[ -d "$pkg" ] || { echo "prepare.sh: $pkg is missing; run npm ci first" >&2; exit 1; }
data="$pkg/data"
# The last entries of the archive: present only when a previous unzip ran to completion.
if [ -f "$data/fix_repo/FIX.5.0SP2/Base/Messages.xml" ] && [ -f "$data/fix_repo/FIX.4.4/Base/Messages.xml" ] \
  && [ -d "$data/fix_repo/fixmlschema_FIX.5.0SP2_EP228" ]; then
  echo "prepare.sh: jspurefix repository data already unpacked"
  exit 0
fi
command -v node >/dev/null || { echo "prepare.sh: node not found (needed to run jspurefix's unzip)" >&2; exit 1; }
[ -f "$data/fix_repo.zip" ] || { echo "prepare.sh: $data/fix_repo.zip is missing" >&2; exit 1; }
echo "prepare.sh: unpacking $data/fix_repo.zip"
(cd "$data" && node ../src/util/unzip.js fix_repo.zip >/dev/null) || { echo "prepare.sh: unzip failed" >&2; exit 1; }
[ -f "$data/fix_repo/FIX.4.4/Base/Messages.xml" ] || { echo "prepare.sh: unzip finished but FIX.4.4 data is missing" >&2; exit 1; }
echo "prepare.sh: done"
