#!/bin/sh
# Runs every deno test (unit tests beside the code, tests/ black-box and namespace tests)
# and ends with the plain "N passed, N failed" line CI reads.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
deno=${DENO:-$(scripts/deno.sh)}
# Tests run the applets through the launchers a user gets: install them once.
# A private prefix per run, so that concurrent runs do not replace each other's install.
mkdir -p "$top/build"
prefix=$(mktemp -d "$top/build/prefix.XXXXXX")
chmod 755 "$prefix" # the tests also run applets as nobody
trap 'rm -rf "$prefix"' EXIT
DENO="$deno" PREFIX="$prefix" scripts/install.sh >/dev/null
export DENIT_TEST_PREFIX="$prefix"
log=$(mktemp)
status=0
NO_COLOR=1 "$deno" test -A --no-lock --parallel "$@" 2>&1 | tee "$log" || status=1
summary=$(grep -E '^(ok|FAILED) \| [0-9]+ passed' "$log" | tail -n 1)
passed=$(echo "$summary" | sed -nE 's/.*\| ([0-9]+) passed.*/\1/p')
failed=$(echo "$summary" | sed -nE 's/.*\| ([0-9]+) failed.*/\1/p')
rm -f "$log"
echo "deno tests: ${passed:-0} passed, ${failed:-0} failed"
[ -n "$summary" ] || status=1
exit $status
