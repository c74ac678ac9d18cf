#!/bin/sh
# make bench: every bench/*.ts (not _helpers) in turn; each measures denit against
# Debian's C runit in the same run and prints ratios. Results go to bench/results/.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
deno=${DENO:-$(scripts/deno.sh)}
mkdir -p bench/results build
# Measure what a user installs: the current sources, installed into a private prefix.
prefix=$(mktemp -d "$top/build/prefix.XXXXXX")
chmod 755 "$prefix" # the tests also run applets as nobody
trap 'rm -rf "$prefix"' EXIT
DENO="$deno" PREFIX="$prefix" scripts/install.sh >/dev/null
# The install has just written ~100 MB (the deno binary among it): while the kernel writes
# that back, running the fresh copy measured ~1-3 ms slower per start than an older one
# of the same build, in the same rounds. Measure once it is on disk.
sync
export DENIT_TEST_PREFIX="$prefix"
for f in bench/*.ts; do
  case "$(basename "$f")" in _*) continue ;; esac
  if [ -n "${BENCH:-}" ] && ! echo "$f" | grep -q "$BENCH"; then continue; fi
  echo "== $f"
  "$deno" run -A --no-lock "$f"
done
