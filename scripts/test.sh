#!/usr/bin/env bash
# The project's test command (README: `./deno task test`). Runs every test under test/ with the
# permissions the integration tests need, and ends with a plain "N passed, M failed" line.
# --trace-leaks: every test runs with the op and resource sanitizers on (none turns them off), and a
# leaked timer, op or resource is reported with the stack that created it (the whole suite was checked
# leak-clean file by file; the tracing costs no measurable time here).
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
out=$(mktemp)
trap 'rm -f "$out"' EXIT
NO_COLOR=1 ./deno test --allow-all --permit-no-files --trace-leaks "$@" test/ 2>&1 | tee "$out"
rc=${PIPESTATUS[0]}
line=$(grep -E '^(ok|FAILED) \| [0-9]+ passed' "$out" | tail -1)
passed=$(echo "$line" | sed -E 's/.*\| ([0-9]+) passed.*/\1/')
failed=$(echo "$line" | sed -E 's/.*\| ([0-9]+) failed.*/\1/')
[ -n "$passed" ] || passed=0
[ -n "$failed" ] || failed=0
if [ "$rc" != 0 ] && [ "$failed" = 0 ]; then failed=1; fi
echo "${passed} passed, ${failed} failed"
exit "$rc"
