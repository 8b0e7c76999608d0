#!/usr/bin/env bash
# Fetches QuickFIX's own acceptance-test definitions (test/definitions/server/fix42, fix44, ...) from the
# Debian source package `quickfix`, for test/conformance/reference_defs_test.ts. They are the
# reference's files, not ours: they are unpacked into a cache OUTSIDE the repository and never committed.
#
#   cache: ${FIXG_QUICKFIX_SRC:-${XDG_CACHE_HOME:-$HOME/.cache}/fixg/quickfix-src}
#   result: $cache/source (the unpacked source tree), printed on the last line of stdout
#
# Source lists: when apt has no deb-src entry for Debian, one is written to
# /etc/apt/sources.list.d/fixg-src.list from the machine's own `deb` entries (same mirror, same suites,
# same signing key), and only that list is refreshed. Idempotent: a second run with the cache in place
# does nothing. Needs root (or sudo) the first time. Exit 1 with one line on stderr when it cannot.
set -euo pipefail

home="${HOME:-$(cd ~ 2>/dev/null && pwd || echo /tmp)}"
cache="${FIXG_QUICKFIX_SRC:-${XDG_CACHE_HOME:-$home/.cache}/fixg/quickfix-src}"
fail() {
  echo "fetch_quickfix_defs: $*" >&2
  exit 1
}

if [ -d "$cache/source/test/definitions/server/fix42" ] && [ -d "$cache/source/test/definitions/server/fix44" ]; then
  echo "fetch_quickfix_defs: cached in $cache/source"
  echo "$cache/source"
  exit 0
fi

command -v apt-get >/dev/null || fail "apt-get not available (not a Debian-based machine)"
sudo=""
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null || fail "needs root to enable source lists (or sudo)"
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
if ! command -v dpkg-source >/dev/null; then
  echo "fetch_quickfix_defs: installing dpkg-dev (dpkg-source unpacks the source package)" >&2
  $sudo apt-get install -y -q dpkg-dev >&2 ||
    { $sudo apt-get update -q >&2 && $sudo apt-get install -y -q dpkg-dev >&2; } ||
    fail "dpkg-source not available and apt-get install dpkg-dev failed"
fi

# Does apt already know a source package `quickfix`?
have_source() {
  apt-get source --print-uris -qq quickfix 2>/dev/null | grep -q "quickfix.*\.dsc"
}

if ! have_source; then
  list=/etc/apt/sources.list.d/fixg-src.list
  tmp="$(mktemp)"
  # deb822 files (*.sources): every stanza with Types: deb gives deb-src lines for its URIs and suites.
  for f in /etc/apt/sources.list.d/*.sources /etc/apt/sources.list; do
    [ -f "$f" ] || continue
    case "$f" in
      *.sources)
        awk '
          function flush() {
            if (types ~ /(^| )deb( |$)/ && uris != "" && suites != "") {
              n = split(uris, u, " "); m = split(suites, s, " ")
              for (i = 1; i <= n; i++) for (j = 1; j <= m; j++) {
                opt = signed != "" ? "[signed-by=" signed "] " : ""
                print "deb-src " opt u[i] " " s[j] " " (comps != "" ? comps : "main")
              }
            }
            types = ""; uris = ""; suites = ""; comps = ""; signed = ""
          }
          /^[ \t]*#/ { next }
          /^[ \t]*$/ { flush(); next }
          /^Types:/ { sub(/^Types:[ \t]*/, ""); types = $0 }
          /^URIs:/ { sub(/^URIs:[ \t]*/, ""); uris = $0 }
          /^Suites:/ { sub(/^Suites:[ \t]*/, ""); suites = $0 }
          /^Components:/ { sub(/^Components:[ \t]*/, ""); comps = $0 }
          /^Signed-By:/ { sub(/^Signed-By:[ \t]*/, ""); signed = $0 }
          END { flush() }
        ' "$f" >>"$tmp"
        ;;
      *)
        sed -n 's/^[ \t]*deb[ \t]\+/deb-src /p' "$f" >>"$tmp"
        ;;
    esac
  done
  # Only Debian's own archive (the package is there); security updates carry no quickfix.
  grep -E 'debian(/| |$)' "$tmp" | grep -v -- '-security' | sort -u >"$tmp.debian" || true
  if [ ! -s "$tmp.debian" ]; then
    # No Debian entry found in the machine's lists: fall back to the release the machine runs.
    codename="$(. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-bookworm}")"
    printf 'deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian %s main\n' \
      "$codename" "$codename-updates" >"$tmp.debian"
  fi
  $sudo cp "$tmp.debian" "$list"
  rm -f "$tmp" "$tmp.debian"
  echo "fetch_quickfix_defs: wrote $list:" >&2
  sed 's/^/  /' "$list" >&2
  # Refresh this list only (the machine's other indexes are left as they are).
  $sudo apt-get update -q -o Dir::Etc::sourcelist="$list" -o Dir::Etc::sourceparts=- \
    -o APT::Get::List-Cleanup=0 >&2 || fail "apt-get update of $list failed"
  have_source || fail "no source package quickfix in $(tr '\n' ' ' <"$list")"
fi

mkdir -p "$cache" 2>/dev/null || fail "cannot create the cache directory $cache"
work="$(mktemp -d "$cache/download.XXXXXX")"
trap 'rm -rf "$work"' EXIT
# apt downloads as the unprivileged _apt user when it can: let it write there.
chmod 755 "$work"
(cd "$work" && apt-get source -q --download-only quickfix >&2) || fail "apt-get source quickfix failed"
dsc="$(ls "$work"/quickfix_*.dsc 2>/dev/null | head -1)"
[ -n "$dsc" ] || fail "apt-get source quickfix downloaded no .dsc"
(cd "$work" && dpkg-source --no-check -x "$(basename "$dsc")" unpacked >&2) || fail "dpkg-source -x $dsc failed"
for d in fix42 fix44; do
  [ -d "$work/unpacked/test/definitions/server/$d" ] || fail "$(basename "$dsc") has no test/definitions/server/$d"
done
rm -rf "$cache/source"
mv "$work/unpacked" "$cache/source"
basename "$dsc" >"$cache/source/.fixg-dsc"
echo "fetch_quickfix_defs: unpacked $(basename "$dsc") into $cache/source" >&2
echo "$cache/source"
