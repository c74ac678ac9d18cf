/**
 * reboot(2) through FFI, for runit as process 1 (spec runit.md §2.3 step 6, §2.9 b).
 *
 * Guard: every call is refused unless getpid() is 1. On the host that means only the
 * real init can reach the syscall; inside `unshare --pid` the kernel turns a reboot into
 * the death of the namespace's init (SIGHUP for restart, SIGINT for power off and halt),
 * which is how the tests see it. A test process or a stray `runit` run by hand can never
 * reboot the machine through this module.
 */

import { bindLibc, getpid, sysError } from "./libc.ts";

const sym = /* @__PURE__ */ bindLibc({
  reboot: { parameters: ["i32"], result: "i32" }, // int reboot(int howto) (glibc adds the magic)
});

/** glibc's RB_* values (= LINUX_REBOOT_CMD_*), <sys/reboot.h>. */
export const RB_AUTOBOOT = 0x01234567; // LINUX_REBOOT_CMD_RESTART
export const RB_HALT_SYSTEM = 0xcdef0123 | 0; // LINUX_REBOOT_CMD_HALT (as a signed int)
export const RB_POWER_OFF = 0x4321fedc; // LINUX_REBOOT_CMD_POWER_OFF
export const RB_ENABLE_CAD = 0x89abcdef | 0; // LINUX_REBOOT_CMD_CAD_ON
export const RB_DISABLE_CAD = 0; // LINUX_REBOOT_CMD_CAD_OFF: Ctrl-Alt-Del sends SIGINT to pid 1

/** Thrown instead of calling reboot(2) when this process is not process 1. */
export class NotProcessOneError extends Error {
  override name = "NotProcessOneError";
}

/**
 * reboot(2). Returns only when the kernel refuses (or for the CAD commands); throws
 * SysError with the errno then, and NotProcessOneError when getpid() !== 1.
 */
export function reboot(command: number): void {
  if (getpid() !== 1) throw new NotProcessOneError("reboot(2) refused: not process 1");
  if (sym.reboot(command) === -1) throw sysError("reboot");
}
