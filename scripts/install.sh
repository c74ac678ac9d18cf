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
  # 19.1 -> 18.5 ms, chpst -e 21.6 -> 21.2 ms (median of 60). Without --keep-names:
  # it adds an Object.defineProperty call per function and class at load (108 in chpst's
  # bundle, 2.3 kB): chpst -e 22.83 -> 22.42 ms wall, 21.74 -> 21.39 ms CPU (median of
  # 100). Nothing prints a function's or class's own name (error classes set `name`).
  # deno bundle fetches esbuild from the npm registry on first use; without it the
  # launcher runs the .ts entry.
  if DENO_NO_UPDATE_CHECK=1 "$lib/deno" bundle --quiet --no-config --no-lock --minify -o "$lib/src/entry/$name.js" "$lib/src/entry/$name.ts" >/dev/null 2>&1; then :; else
    rm -f "$lib/src/entry/$name.js"
    echo "install: warning: cannot bundle $name; it runs unbundled" >&2
  fi
done
# Process 1 loads runsvdir's tree only when it runs stage 2 itself (lib/runit/pid1.ts:
# its node:net import panics Deno without /proc): a bundle of its own, beside the entries.
DENO_NO_UPDATE_CHECK=1 "$lib/deno" bundle --quiet --no-config --no-lock --minify \
  -o "$lib/src/entry/runsvdir_tree.js" "$lib/src/lib/runsvdir/tree.ts" >/dev/null 2>&1 ||
  rm -f "$lib/src/entry/runsvdir_tree.js"
# chpst's quick entry (lib/chpst/quick.ts): `chpst -e DIR PROG` and `envdir DIR PROG`
# without the rest of chpst's code, which the C launcher runs for those command lines; it
# loads chpst's own entry for anything else.
full=chpst.ts
if [ -f "$lib/src/entry/chpst.js" ]; then full=chpst.js; fi
printf 'import { runQuick } from "../lib/chpst/quick.ts";\nrunQuick(import.meta.url, "%s");\n' "$full" >"$lib/src/entry/chpst-quick.ts"
DENO_NO_UPDATE_CHECK=1 "$lib/deno" bundle --quiet --no-config --no-lock --minify \
  -o "$lib/src/entry/chpst-quick.js" "$lib/src/entry/chpst-quick.ts" >/dev/null 2>&1 ||
  rm -f "$lib/src/entry/chpst-quick.js"
# Fill the module cache (transpiled sources, applets included).
DENO_DIR="$lib/cache" DENO_NO_UPDATE_CHECK=1 "$lib/deno" cache --no-config --no-lock "$lib/src/mod.ts" "$lib/src"/entry/*.ts $(ls "$lib/src"/entry/*.js 2>/dev/null) >/dev/null

# Short-lived applets run without V8's code cache: opening its SQLite store costs more than
# compiling their bundle (measured against a primed cache, median of 100: sv status 20.9 ->
# 19.1 ms, chpst -e 22.8 -> 21.8 ms). The daemons keep it: their cache is written on their
# first run and their bundles are bigger. V8 without background threads (--single-threaded)
# saves these short runs another ~0.4-0.7 ms of CPU.
# runit and runit-init (init) too: `init 0` is short-lived, and process 1's cache is never
# useful (its bundle's code cache is written after evaluation, before the stages run, and
# the tree it loads at stage 2 is only compiled then). Under QEMU/TCG (3 boots each, same
# afternoon) shutdown of 50 services fell from 2.5-2.6 s to 2.15 s and boot "up" by ~7%.
short_lived() {
  case $1 in
  sv | chpst | envdir | envuidgid | pgrphack | setuidgid | setlock | softlimit | utmpset | runsvchdir) return 0 ;;
  runit | runit-init | init) return 0 ;;
  esac
  return 1
}
# The entry a launcher runs, under lib/denit/src: the bundle when install could make one.
entry_of() {
  if [ -f "$lib/src/entry/$1.js" ]; then echo "entry/$1.js"; else echo "entry/$1.ts"; fi
}

# The launchers: one static C binary (scripts/launcher.c) hard-linked under every name when
# a C compiler can build it (probed once; CC overrides cc), else a #!/bin/sh script per
# name. Freestanding (no C library, x86-64 and arm64) it execs Deno ~0.06 ms after its own
# exec, over a static glibc ~0.35 ms, where sh costs ~0.6 ms; it passes argv[0] as the
# caller gave it and adds no PWD. Its paths are compiled in as a C string: a prefix with
# other characters than these gets the sh launchers.
cc=${CC:-cc}
build=$(mktemp -d)
trap 'rm -rf "$build"' EXIT
freestanding="-nostdlib -ffreestanding -fno-stack-protector -fno-pie -no-pie -DDENIT_FREESTANDING"
use_c=no
# The probe is the launcher itself built with DENIT_PROBE: it finds its applet, exits 42.
probe() { # CFLAGS...
  "$cc" -static -Os "$@" -DDENIT_PROBE -o "$build/probe" "$top/scripts/launcher.c" \
    >/dev/null 2>&1 || return 1
  status=0
  "$build/probe" || status=$?
  [ "$status" = 42 ]
}
# The supervisors' C helpers (ffi/native.ts loads them from here): the no-wait spawn
# (scripts/spawn.c), without which every service starts through posix_spawn, which waits
# for the child's exec; the status files' one-call replace (scripts/replace_file.c); and
# svlogd's stamped lines copied in one call per input chunk (scripts/line_copy.c).
rm -f "$lib/libdenit_spawn.so" "$lib/libdenit.so"
if "$cc" -shared -fPIC -O2 -fno-stack-protector -o "$build/libdenit.so" \
  "$top/scripts/spawn.c" "$top/scripts/replace_file.c" "$top/scripts/line_copy.c" \
  >/dev/null 2>&1; then
  cp "$build/libdenit.so" "$lib/libdenit.so"
else
  echo "install: warning: cannot build libdenit.so; services start through posix_spawn" >&2
fi

case $prefix in
*[!A-Za-z0-9/._+-]*) ;;
*)
  # word splitting of $freestanding is meant
  # shellcheck disable=SC2086
  if probe $freestanding; then
    use_c=yes
  elif probe; then
    use_c=yes
    freestanding=""
  fi
  ;;
esac

if [ "$use_c" = yes ]; then
  # The applet table launcher.c includes: name, entry, flags.
  for name in $names; do
    flags=0
    if short_lived "$name"; then flags="$flags | SHORT_LIVED"; fi
    # Every applet learns the signal state it inherited (Deno changes its own before JS
    # runs): chpst passes it on, the others keep an inherited SIG_IGN of HUP, INT, TERM.
    flags="$flags | SIGNALS"
    quick=
    case $name in
    chpst) flags="$flags | QUICK_E" quick=", \"$(entry_of chpst-quick)\"" ;;
    envdir) flags="$flags | QUICK_ARGS" quick=", \"$(entry_of chpst-quick)\"" ;;
    # The applets that become runit as process 1 start with its signals blocked.
    runit | runit-init | init) flags="$flags | PID1" ;;
    # runsv waits for its FIFOs, CHLD and TERM in one poll (lib/supervise/signal_wait.ts).
    runsv) flags="$flags | WAITS" ;;
    # svlogd's HUP, ALRM and TERM wait until its listeners exist (cmd/svlogd.ts).
    svlogd) flags="$flags | LISTENS" ;;
    esac
    printf '{"%s", "%s", %s%s},\n' "$name" "$(entry_of "$name")" "$flags" "$quick"
  done >"$build/table.h"
  # -s: no symbols, and nothing of the build directory in the binary (the rootfs image is
  # reproducible).
  # shellcheck disable=SC2086
  "$cc" -static -Os -s $freestanding -o "$build/launcher" -DDENIT_PREFIX="\"$prefix\"" \
    -DDENIT_TABLE="\"$build/table.h\"" "$top/scripts/launcher.c"
  rm -f "$lib/launcher"
  cp "$build/launcher" "$lib/launcher"
  for name in denit $names; do
    rm -f "$root/bin/$name"
    ln "$lib/launcher" "$root/bin/$name" 2>/dev/null || cp "$lib/launcher" "$root/bin/$name"
  done
  echo "installed denit sources in $lib and $(echo $names | wc -w) applet launchers (C${freestanding:+, freestanding}) in $root/bin"
  exit 0
fi

write_launcher() { # NAME APPLET-OR-EMPTY
  file="$root/bin/$1"
  rm -f "$file"
  {
    echo '#!/bin/sh'
    echo "# denit launcher: runs the '$1' applet from source with the pinned Deno."
    # The caller's own DENO_* travel renamed past the Deno that runs the applet, which they
    # would steer (lib/launch.ts gives them back). The C launcher takes every DENO_*; here
    # the ones that matter most, without a subprocess to list them.
    # shellcheck disable=SC2016
    echo 'for denit_v in DENO_DIR DENO_NO_UPDATE_CHECK DENO_V8_FLAGS DENO_LOG; do'
    # shellcheck disable=SC2016
    echo '  if eval "[ \"\${$denit_v+set}\" = set ]"; then eval "export DENIT_CALLER_$denit_v=\"\$$denit_v\"; unset $denit_v"; export DENIT_CALLERS=1; fi'
    echo 'done; unset denit_v'
    if [ -n "$2" ]; then printf 'DENIT_APPLET=%s ' "$2"; fi
    printf 'DENIT_ARGV0="$0" DENIT_LAUNCHER=1 DENO_DIR=%s/lib/denit/cache DENO_NO_UPDATE_CHECK=1 ' "$prefix"
    entry=mod.ts
    nocache=
    if [ -n "$2" ] && short_lived "$2"; then nocache=' --no-code-cache --v8-flags=--single-threaded'; fi
    if [ -n "$2" ]; then entry=$(entry_of "$2"); fi
    printf 'exec %s/lib/denit/deno run -A --cached-only%s --no-config --no-lock %s/lib/denit/src/%s "$@"\n' "$prefix" "$nocache" "$prefix" "$entry"
  } >"$file"
  chmod 755 "$file"
}
rm -f "$lib/launcher"
write_launcher denit ""
for name in $names; do write_launcher "$name" "$name"; done
echo "installed denit sources in $lib and $(echo $names | wc -w) applet launchers in $root/bin"
