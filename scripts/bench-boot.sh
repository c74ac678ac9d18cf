#!/bin/sh
# make bench-boot: boots the rootfs image with N = 10 and N = 50 extra logged services,
# denit (in-process log/svlogd and classic log/run forms) against Debian's C runit as init,
# alternating, 3 boots each; medians of stage 1 -> all services up and of shutdown go to
# bench/results/boot.md. BOOTS=, NS=10,50 and FORMS=svlogd,run narrow the run.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
deno=${DENO:-$(scripts/deno.sh)}
command -v qemu-system-x86_64 >/dev/null || {
  echo "make bench-boot: qemu-system-x86_64 is missing (apt-get install qemu-system-x86)" >&2
  exit 1
}
exec "$deno" run -A --no-lock --no-config tests/boot/bench_boot.ts
