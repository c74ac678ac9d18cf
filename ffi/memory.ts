/** The process's own memory: giving pages back to the kernel (madvise(2)). */

import { bindLibc, errno } from "./libc.ts";
import { SysError } from "../lib/sys_error.ts";

const sym = /* @__PURE__ */ bindLibc({
  // int madvise(void *addr, size_t length, int advice): the address as a number, since
  // the range comes from /proc/self/smaps, not from a pointer JavaScript holds.
  madvise: { parameters: ["usize", "usize", "i32"], result: "i32" },
});

const MADV_DONTNEED = 4;

/**
 * Drops the page mappings of `[start, end)`: the next access maps each page again, from
 * the file for a file mapping, zero-filled for anonymous memory. Only for pages whose
 * contents the file still holds (lib/proc_maps.ts chooses them). Throws SysError.
 */
export function dropMappedPages(start: bigint, end: bigint): void {
  if (sym.madvise(start, end - start, MADV_DONTNEED) !== 0) {
    throw new SysError("madvise", errno());
  }
}
