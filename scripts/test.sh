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
# deno test --parallel runs test files as workers of one process, which share its cwd.
# Unit tests that chdir (runit-style code does, in a one-shot process) run on their own
# afterwards, or a child spawned meanwhile by another file starts in their temp dir.
SERIAL="lib/chpst/files_test.ts"
# sh has no pipefail: a pipeline's status is tee's, so deno test's own goes to a file.
deno_test() { # TEE-ARGS -- DENO-TEST-ARGS...
  tee_args=$1
  shift
  # shellcheck disable=SC2086 # $tee_args is empty or -a
  { NO_COLOR=1 "$deno" test -A --no-lock "$@" 2>&1; echo $? >"$log.rc"; } | tee $tee_args "$log"
  [ "$(cat "$log.rc")" = 0 ] || status=1
}
if [ $# -eq 0 ]; then
  ignore=$(echo $SERIAL | tr ' ' ',')
  deno_test "" --parallel --ignore="$ignore"
  deno_test -a $SERIAL
else
  deno_test "" --parallel "$@"
fi
summaries=$(grep -E '^(ok|FAILED) \| [0-9]+ passed' "$log")
passed=0
failed=0
for n in $(echo "$summaries" | sed -nE 's/.*\| ([0-9]+) passed.*/\1/p'); do passed=$((passed + n)); done
for n in $(echo "$summaries" | sed -nE 's/.*\| ([0-9]+) failed.*/\1/p'); do failed=$((failed + n)); done
rm -f "$log" "$log.rc"
echo "deno tests: $passed passed, $failed failed"
[ -n "$summaries" ] || status=1
[ "$failed" = 0 ] || status=1
exit $status
