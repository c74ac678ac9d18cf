#!/bin/sh
# make install PREFIX=DIR [DESTDIR=STAGE]: every applet at PREFIX/bin/NAME.
# With dist/denit (make compile) the names are symlinks to PREFIX/bin/denit. Otherwise the
# sources go to PREFIX/lib/denit/ with the pinned Deno beside them, and each name is a
# small launcher that execs Deno on them (same pid), with the module cache filled now so
# the installed tree runs offline with --cached-only.
set -eu
prefix=${PREFIX:?PREFIX is required}
destdir=${DESTDIR:-}
deno=${DENO:?DENO is required}
top=$(cd "$(dirname "$0")/.." && pwd)
root="$destdir$prefix"
names=$("$deno" run -A --no-config --no-lock "$top/mod.ts" --list)
mkdir -p "$root/bin"

if [ -x "$top/dist/denit" ]; then
  cp -f "$top/dist/denit" "$root/bin/denit"
  for name in $names; do ln -sfn denit "$root/bin/$name"; done
  echo "installed compiled denit and $(echo $names | wc -w) applet links in $root/bin"
  exit 0
fi

lib="$root/lib/denit"
rm -rf "$lib/src"
mkdir -p "$lib/src" "$lib/cache"
(cd "$top" && cp -R mod.ts cmd lib ffi "$lib/src/")
find "$lib/src" -name '*_test.ts' -delete
find "$lib/src" -name 'testdata' -type d -prune -exec rm -rf {} +
# The pinned Deno travels with the install (hard link when possible: it is ~95 MB).
rm -f "$lib/deno"
ln "$(readlink -f "$deno")" "$lib/deno" 2>/dev/null || cp "$(readlink -f "$deno")" "$lib/deno"
# One entry file per applet imports it statically: a dynamic import costs ~1.5 ms.
mkdir -p "$lib/src/entry"
for name in $names; do
  module=$(sed -n "s|^  \"\{0,1\}$name\"\{0,1\}: () => import(\"../cmd/\(.*\)\"),|\1|p" "$lib/src/lib/applet.ts")
  printf 'import * as applet from "../cmd/%s";\nimport { runApplet } from "../lib/launch.ts";\nrunApplet(applet);\n' "$module" >"$lib/src/entry/$name.ts"
  # One bundled file loads faster than its ~10 modules (measured 19.4 vs 23.0 ms against
  # an 18.6 ms floor), and minified (half the bytes to parse) faster still: sv status
  # 19.1 -> 18.5 ms, chpst -e 21.6 -> 21.2 ms (median of 60). Names are kept: error
  # classes and messages stay as written. deno bundle fetches esbuild from the npm
  # registry on first use; without it the launcher runs the .ts entry.
  if DENO_NO_UPDATE_CHECK=1 "$lib/deno" bundle --quiet --no-config --no-lock --minify --keep-names -o "$lib/src/entry/$name.js" "$lib/src/entry/$name.ts" >/dev/null 2>&1; then :; else
    rm -f "$lib/src/entry/$name.js"
    echo "install: warning: cannot bundle $name; it runs unbundled" >&2
  fi
done
# Fill the module cache (transpiled sources, applets included).
DENO_DIR="$lib/cache" DENO_NO_UPDATE_CHECK=1 "$lib/deno" cache --no-config --no-lock "$lib/src/mod.ts" "$lib/src"/entry/*.ts $(ls "$lib/src"/entry/*.js 2>/dev/null) >/dev/null

write_launcher() { # NAME APPLET-OR-EMPTY
  file="$root/bin/$1"
  rm -f "$file"
  {
    echo '#!/bin/sh'
    echo "# denit launcher: runs the '$1' applet from source with the pinned Deno."
    if [ -n "$2" ]; then printf 'DENIT_APPLET=%s ' "$2"; fi
    printf 'DENIT_ARGV0="$0" DENIT_LAUNCHER=1 DENO_DIR=%s/lib/denit/cache DENO_NO_UPDATE_CHECK=1 ' "$prefix"
    entry=mod.ts
    # Short-lived applets run without V8's code cache: opening its SQLite store costs more
    # than compiling their bundle (measured against a primed cache, median of 100: sv
    # status 20.9 -> 19.1 ms, chpst -e 22.8 -> 21.8 ms). The daemons keep it: their cache
    # is written on their first run and their bundles are bigger. V8 without background
    # threads (--single-threaded) saves these short runs another ~0.4-0.7 ms of CPU.
    nocache=
    case $2 in
    sv | chpst | envdir | envuidgid | pgrphack | setuidgid | setlock | softlimit | utmpset | runsvchdir)
      nocache=' --no-code-cache --v8-flags=--single-threaded'
      ;;
    esac
    if [ -n "$2" ]; then
      entry="entry/$2.ts"
      if [ -f "$lib/src/entry/$2.js" ]; then entry="entry/$2.js"; fi
    fi
    printf 'exec %s/lib/denit/deno run -A --cached-only%s --no-config --no-lock %s/lib/denit/src/%s "$@"\n' "$prefix" "$nocache" "$prefix" "$entry"
  } >"$file"
  chmod 755 "$file"
}
write_launcher denit ""
for name in $names; do write_launcher "$name" "$name"; done
echo "installed denit sources in $lib and $(echo $names | wc -w) applet launchers in $root/bin"
