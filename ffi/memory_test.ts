/**
 * ffi/memory.ts: fault-around stopped on a file mapping (Linux 6.7+), and the errors a
 * range it cannot register gives.
 */

import { assert, assertEquals } from "../tests/_assert.ts";
import { SysError } from "../lib/sys_error.ts";
import { deviceText, parseSmaps } from "../lib/proc_maps.ts";
import { stopFaultAround } from "./memory.ts";
import { kernelStopsFaultAround, vmFlagsAt } from "../tests/_helpers.ts";

const KERNEL_HAS_WP_ASYNC = kernelStopsFaultAround();

Deno.test({
  name: "stopFaultAround() registers a read-only file mapping: `uw` in its VmFlags",
  ignore: !KERNEL_HAS_WP_ASYNC,
  fn() {
    const exe = Deno.statSync("/proc/self/exe");
    const file = { device: deviceText(exe.dev!), inode: exe.ino! };
    const smapsBefore = Deno.readTextFileSync("/proc/self/smaps");
    // This test process's own read-only data: registering it changes nothing it runs.
    const data = parseSmaps(smapsBefore, file).find((m) => m.perms === "r--p");
    assert(data !== undefined, "Deno's read-only data mapping");
    stopFaultAround([data]);
    const smaps = Deno.readTextFileSync("/proc/self/smaps");
    const flags = vmFlagsAt(smaps, data.start);
    assert(flags.includes("uw"), `VmFlags: ${flags.join(" ")}`);
  },
});

Deno.test("stopFaultAround() on a range with nothing mapped throws SysError naming the call", () => {
  let caught: unknown;
  try {
    stopFaultAround([{ start: 4096n, end: 8192n }]);
  } catch (err) {
    caught = err;
  }
  assert(caught instanceof SysError, `${caught}`);
  assertEquals(caught.syscall, "userfaultfd");
  // 6.7+: the register fails; older kernels refuse the asynchronous mode itself.
  if (KERNEL_HAS_WP_ASYNC) assertEquals(caught.code, "EINVAL");
});
