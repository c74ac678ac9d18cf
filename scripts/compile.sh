#!/bin/sh
# make compile: the release binary dist/denit. deno compile needs Deno's denort runtime,
# which it downloads; where that cannot be reached, DENORT_BIN must name a denort binary.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
deno=${DENO:-$(scripts/deno.sh)}
mkdir -p dist
include=""
for f in cmd/*.ts; do include="$include --include $f"; done
if ! "$deno" compile -A --no-config --no-lock $include -o dist/denit mod.ts; then
  echo "make compile: deno compile failed. It needs Deno's denort runtime: set DENORT_BIN=/path/to/denort" >&2
  echo "(Deno downloads denort from its own server, which this machine cannot reach.)" >&2
  exit 1
fi
# A denort that is really the deno CLI ignores the embedded program: check the result.
if ! out=$(./dist/denit --list 2>&1) || ! echo "$out" | grep -qx sv; then
  echo "make compile: dist/denit does not run the embedded program (is DENORT_BIN a real denort?)" >&2
  rm -f dist/denit
  exit 1
fi
echo "compiled dist/denit ($(du -h dist/denit | cut -f1))"
