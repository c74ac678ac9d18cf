#!/bin/sh
# make test-boot: builds the rootfs image and boots it under QEMU (headless, KVM if a probe
# proves it works, else TCG), checking from the serial console: stages 1 and 2, every
# sample service and its log service up per `sv status` in the VM, log lines written,
# `init 6` reboots; in a second boot `init 0` powers off; in a third Ctrl-Alt-Del reboots
# through /etc/runit/ctrlaltdel; no kernel panic.
# INIT=runit tests Debian's C runit image instead (the reference). A hard timeout
# (TEST_BOOT_TIMEOUT seconds, default 420) bounds the whole run.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
deno=${DENO:-$(scripts/deno.sh)}
init=${INIT:-denit}
image=build/initramfs-$init.cpio
for tool in qemu-system-x86_64 cpio; do
  command -v "$tool" >/dev/null || {
    echo "make test-boot: $tool is missing (apt-get install qemu-system-x86 cpio)" >&2
    exit 1
  }
done
start=$(date +%s)
INIT=$init OUT=$image scripts/rootfs.sh
status=0
timeout -k 10 "${TEST_BOOT_TIMEOUT:-420}" \
  "$deno" run -A --no-lock --no-config tests/boot/boot_check.ts "$image" || status=$?
if [ "$status" = 124 ]; then
  echo "test-boot: FAILED: hard timeout (${TEST_BOOT_TIMEOUT:-420} s)" >&2
fi
verdict=failed
[ "$status" = 0 ] && verdict=passed
echo "test-boot: INIT=$init: $verdict in $(($(date +%s) - start)) s"
exit "$status"
