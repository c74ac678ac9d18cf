#!/bin/sh
# make boot-vm: boots the rootfs image (make rootfs) with Debian's kernel under QEMU, the
# serial console on this terminal. Log in as root (no password); `init 0` powers off,
# `init 6` reboots (QEMU exits either way: -no-reboot). Ctrl-A X quits QEMU at once.
# INIT=runit boots the Debian C runit image instead; ACCEL=kvm|tcg skips the KVM probe.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
deno=${DENO:-$(scripts/deno.sh)}
init=${INIT:-denit}
image=${IMAGE:-build/initramfs-$init.cpio}
if [ -z "${IMAGE:-}" ]; then
  INIT=$init OUT=$image scripts/rootfs.sh
fi
command -v qemu-system-x86_64 >/dev/null || {
  echo "make boot-vm: qemu-system-x86_64 is missing (apt-get install qemu-system-x86)" >&2
  exit 1
}
args=$("$deno" run -A --no-lock --no-config tests/boot/vm.ts command "$image")
set --
while IFS= read -r arg; do set -- "$@" "$arg"; done <<EOF2
$args
EOF2
echo "make boot-vm: qemu-system-x86_64 $*" >&2
exec qemu-system-x86_64 "$@"
