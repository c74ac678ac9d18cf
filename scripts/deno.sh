#!/bin/sh
# Prints the path of the pinned Deno, installing it from the npm registry into .tools/
# when the deno on PATH is missing or not the pinned version. Nothing else is needed.
set -eu
version=2.9.6
top=$(cd "$(dirname "$0")/.." && pwd)
if command -v deno >/dev/null 2>&1 && deno --version 2>/dev/null | head -n 1 | grep -q "^deno $version "; then
  command -v deno
  exit 0
fi
bin="$top/.tools/bin/deno"
if [ ! -x "$bin" ] || ! "$bin" --version 2>/dev/null | head -n 1 | grep -q "^deno $version "; then
  echo "denit: installing deno@$version from the npm registry into .tools/" >&2
  mkdir -p "$top/.tools/bin"
  # The package's postinstall only links the binary; use the platform package directly.
  npm install --prefix "$top/.tools" --no-audit --no-fund --no-save --ignore-scripts "deno@$version" >&2
  ln -sf ../node_modules/@deno/linux-x64-glibc/deno "$bin"
fi
echo "$bin"
