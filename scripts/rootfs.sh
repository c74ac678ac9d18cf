#!/bin/sh
# make rootfs: the initramfs (newc cpio, uncompressed) that `make boot-vm` and
# `make test-boot` boot. It holds Debian's static busybox, the init (denit, or Debian's
# C runit for comparison), the ELF libraries they need, and rootfs/.
#
# Settings (environment):
#   INIT=denit|runit   which init and supervision suite the image runs (default denit)
#   LOGFORM=svlogd|run how services log: a log/svlogd file (denit's in-process logger)
#                      or classic log/run scripts (`exec svlogd ...`, one process each).
#                      Debian's runit only understands `run` (default: svlogd for denit)
#   EXTRA=N            add N extra logged services bench-01..bench-N (default 0)
#   BENCH=1            add the boot benchmark's watcher (/etc/runit/1.d/bench-watch)
#   OUT=FILE           the image (default build/initramfs-$INIT.cpio)
#   SOURCE_DATE_EPOCH  timestamp given to every file (default: last commit), so the
#                      same inputs give the same image
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
init=${INIT:-denit}
case "$init" in
denit) logform=${LOGFORM:-svlogd} ;;
runit) logform=${LOGFORM:-run} ;;
*) echo "make rootfs: INIT must be denit or runit, not '$init'" >&2 && exit 100 ;;
esac
case "$logform" in
svlogd | run) ;;
*) echo "make rootfs: LOGFORM must be svlogd or run" >&2 && exit 100 ;;
esac
if [ "$init" = runit ] && [ "$logform" = svlogd ]; then
  echo "make rootfs: Debian's runit has no in-process logger (LOGFORM=svlogd)" >&2
  exit 100
fi
extra=${EXTRA:-0}
out=${OUT:-build/initramfs-$init.cpio}
epoch=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 0)}
busybox=${BUSYBOX:-/bin/busybox}

need() { # FILE PACKAGE
  [ -e "$1" ] && return 0
  echo "make rootfs: $1 is missing (apt-get install $2)" >&2
  exit 1
}
need "$busybox" busybox-static
need /usr/bin/cpio cpio
# The image has no libraries for busybox: it must be the static build.
if ldd "$busybox" >/dev/null 2>&1; then
  echo "make rootfs: $busybox is not static (apt-get install busybox-static)" >&2
  exit 1
fi
if [ "$(id -u)" != 0 ]; then
  echo "make rootfs: needs root (device nodes, chroot to fill Deno's cache)" >&2
  exit 1
fi

stage="$top/build/rootfs/$(basename "$out" .cpio)"
rm -rf "$stage"
mkdir -p "$stage"
cd "$stage"
mkdir -p bin sbin usr/bin usr/sbin lib lib64 etc dev proc sys run tmp root var/log
chmod 1777 tmp
chmod 700 root

# copy_libs ELF: the shared libraries ELF links, at the same paths in the image.
copy_libs() {
  ldd "$1" 2>/dev/null | sed -n 's|.*=> \(/[^ ]*\) .*|\1|p; s|^[[:space:]]*\(/[^ ]*\) (.*|\1|p' |
    while read -r lib; do
      [ -e ".$lib" ] && continue
      mkdir -p ".$(dirname "$lib")"
      cp -L "$lib" ".$lib"
    done
}
# copy_elf FILE: FILE itself (same path) and its libraries.
copy_elf() {
  mkdir -p ".$(dirname "$1")"
  cp -L "$1" ".$1"
  copy_libs "$1"
}

# prime_runsvdir: runs the staged denit's runsvdir on a throw-away service in /tmp until the
# service's first line is logged, runs sv status on it, stops runsvdir, cleans up.
prime_runsvdir() {
  mkdir -p tmp/denit-prime/svc/log/main
  printf '#!/bin/sh\necho primed\nexec sleep 30\n' >tmp/denit-prime/svc/run
  chmod 755 tmp/denit-prime/svc/run
  printf -- '-tt ./main\n' >tmp/denit-prime/svc/log/svlogd
  # shellcheck disable=SC2016
  env - PATH=/usr/sbin:/usr/bin:/sbin:/bin unshare --mount --propagation private sh -c '
    mount -t proc proc "$1/proc" || exit 1
    chroot "$1" /usr/bin/runsvdir /tmp/denit-prime </dev/null >/dev/null 2>&1 &
    pid=$!
    n=0
    while [ ! -s "$1/tmp/denit-prime/svc/log/main/current" ] && [ "$n" -lt 600 ]; do
      sleep 0.1
      n=$((n + 1))
    done
    chroot "$1" /usr/bin/sv status /tmp/denit-prime/svc >/dev/null 2>&1
    kill -TERM "$pid"
    wait "$pid"
    umount "$1/proc"
  ' sh "$stage" || echo "make rootfs: warning: could not prime runsvdir's code cache" >&2
  rm -rf tmp/denit-prime
}

# busybox: every applet except those that would stand in for init (runit is init here).
cp "$busybox" bin/busybox
"$busybox" --list-full | while read -r path; do
  case "$(basename "$path")" in init | linuxrc | halt | poweroff | reboot) continue ;; esac
  [ "$path" = bin/busybox ] && continue
  mkdir -p "$(dirname "$path")"
  rel=$(echo "$path" | sed 's|[^/]*/|../|g; s|[^/]*$||')
  ln -sfn "${rel}bin/busybox" "$path"
done

case "$init" in
denit)
  deno=${DENO:-$("$top/scripts/deno.sh")}
  DENO="$deno" PREFIX=/usr DESTDIR="$stage" "$top/scripts/install.sh" >/dev/null
  # install.sh hard-links the pinned Deno: copy it, so the image's link count and times
  # are its own (and touching them below leaves the host's Deno alone).
  if [ -f usr/lib/denit/deno ]; then
    cp usr/lib/denit/deno usr/lib/denit/deno.tmp && mv usr/lib/denit/deno.tmp usr/lib/denit/deno
  fi
  if [ -x "$top/dist/denit" ]; then
    copy_libs "$top/dist/denit"
  else
    copy_libs "$(readlink -f "$deno")"
    # install.sh filled the module cache under the staging path; the cache is keyed by
    # the sources' paths, so fill it again as the VM will see them (/usr/lib/denit/src).
    rm -rf usr/lib/denit/cache
    mkdir -p usr/lib/denit/cache
    [ -e dev/null ] || mknod -m 666 dev/null c 1 3
    # The launchers run entry/NAME.js (bundled) when install.sh could bundle, else .ts.
    entries=$(cd usr/lib/denit/src && ls entry/*.ts entry/*.js 2>/dev/null |
      sed 's|^|/usr/lib/denit/src/|')
    chroot=$(command -v chroot)
    # shellcheck disable=SC2086
    env - DENO_DIR=/usr/lib/denit/cache DENO_NO_UPDATE_CHECK=1 HOME=/root \
      "$chroot" "$stage" /usr/lib/denit/deno cache --no-config --no-lock \
      /usr/lib/denit/src/mod.ts $entries >/dev/null
    # Run the applets a boot uses once (usage or "not process 1": harmless here). Those
    # that keep V8's code cache (the daemons; install.sh lists the ones that do not) write
    # it only when their module evaluation ends, which prime_runsvdir below makes happen.
    for applet in runit runit-init runsvdir sv svlogd runsv chpst; do
      env - "$chroot" "$stage" "/usr/bin/$applet" </dev/null >/dev/null 2>&1 || true
    done
    # Much of runsvdir and sv is compiled only when it supervises and reads status: run
    # them for real on a throw-away service logged in-process (runsvdir's first service
    # then starts ~3x sooner). Deno needs /proc: mount one in a private mount namespace.
    prime_runsvdir
    # Deno's SQLite caches, in a canonical form (reproducible image).
    "$deno" run -A --no-lock --no-config "$top/tests/boot/seal_cache.ts" usr/lib/denit/cache
  fi
  ln -sfn ../usr/bin/runit-init sbin/init
  ln -sfn ../usr/bin/runit sbin/runit
  ;;
runit)
  for f in /sbin/runit /lib/runit/runit-init /usr/bin/runsvdir /usr/bin/runsv /usr/bin/sv \
    /usr/bin/svlogd /usr/bin/chpst; do
    need "$f" runit
    copy_elf "$f"
  done
  ln -sfn ../lib/runit/runit-init sbin/init
  ln -sfn ../lib/runit/runit-init sbin/runit-init
  ;;
esac

# The configuration: rootfs/ as it is in git.
cp -a "$top/rootfs/." .
# Stage 2 in process 1 is denit's; Debian's runit would ignore the file anyway.
[ "$init" = denit ] || rm -f etc/runit/2.runsvdir

# Logging: log/svlogd (in-process) or log/run (a svlogd process per service).
make_log() { # LOGDIR ARGS
  mkdir -p "$1/main"
  if [ "$logform" = svlogd ]; then
    rm -f "$1/run"
    printf '%s\n' "$2" >"$1/svlogd"
  else
    rm -f "$1/svlogd"
    printf '#!/bin/sh\nexec svlogd %s\n' "$2" >"$1/run"
    chmod 755 "$1/run"
  fi
}
for log in etc/sv/*/log; do
  args="-tt ./main"
  [ -f "$log/svlogd" ] && args=$(cat "$log/svlogd")
  make_log "$log" "$args"
done

# Extra logged services for the boot benchmark.
i=1
while [ "$i" -le "$extra" ]; do
  name=$(printf 'bench-%02d' "$i")
  mkdir -p "etc/sv/$name/log"
  printf '#!/bin/sh\nexec 2>&1\necho "%s: up"\nexec sleep 2147483647\n' "$name" >"etc/sv/$name/run"
  chmod 755 "etc/sv/$name/run"
  make_log "etc/sv/$name/log" "-tt ./main"
  ln -sfn "/etc/sv/$name" "etc/service/$name"
  i=$((i + 1))
done

if [ "${BENCH:-0}" = 1 ]; then
  mkdir -p etc/runit/1.d
  cp "$top/tests/boot/bench-watch" etc/runit/1.d/bench-watch
  chmod 755 etc/runit/1.d/bench-watch
fi

# Nodes the kernel needs before stage 1 mounts devtmpfs.
[ -e dev/console ] || mknod -m 600 dev/console c 5 1
[ -e dev/null ] || mknod -m 666 dev/null c 1 3

# A reproducible archive: sorted names, fixed times and owners, no inode numbers.
find . -exec touch -h -d "@$epoch" {} +
mkdir -p "$(dirname "$top/$out")"
case "$out" in /*) dest=$out ;; *) dest=$top/$out ;; esac
find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --reproducible --quiet >"$dest.tmp"
mv "$dest.tmp" "$dest"
size=$(du -h --apparent-size "$dest" | cut -f1)
echo "make rootfs: $out ($size, INIT=$init LOGFORM=$logform EXTRA=$extra)"
