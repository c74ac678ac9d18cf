/** The process's own memory: giving pages back to the kernel (madvise(2), userfaultfd(2)). */

import { bindLibc, errno } from "./libc.ts";
import { ENOSYS } from "../lib/errstr.ts";
import { SysError } from "../lib/sys_error.ts";

const sym = /* @__PURE__ */ bindLibc({
  // int madvise(void *addr, size_t length, int advice): the address as a number, since
  // the range comes from /proc/self/smaps, not from a pointer JavaScript holds.
  madvise: { parameters: ["usize", "usize", "i32"], result: "i32" },
  // long syscall(long number, ...): userfaultfd(2), which glibc before 2.36 does not wrap
  // (variadic: bound with the one integer argument it is called with).
  syscall: { parameters: ["i64", "i64"], result: "i64" },
  // int ioctl(int fd, unsigned long request, ...): the userfaultfd's requests.
  ioctl: { parameters: ["i32", "u64", "buffer"], result: "i32" },
  close: { parameters: ["i32"], result: "i32" },
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

// userfaultfd(2)'s number where denit runs (the ioctl numbers are the same on both).
const SYS_USERFAULTFD: Record<string, bigint> = { x86_64: 323n, aarch64: 282n };
const O_CLOEXEC = 0o2000000;
const O_NONBLOCK = 0o4000;
// Only faults in user mode are asked for: allowed without privilege (Linux 5.11+).
const UFFD_USER_MODE_ONLY = 1;
const UFFD_API = 0xaan;
const UFFD_FEATURE_WP_ASYNC = 1n << 15n;
const UFFDIO_API = 0xc018aa3fn; // _IOWR(0xAA, 0x3F, struct uffdio_api)
const UFFDIO_REGISTER = 0xc020aa00n; // _IOWR(0xAA, 0x00, struct uffdio_register)
const UFFDIO_REGISTER_MODE_WP = 2n;

/** The userfaultfd whose registrations keep fault-around off; open for the process's life. */
let faultAroundFd: number | undefined;

/**
 * Stops the kernel from mapping a faulted page's neighbours in each of `ranges` (file
 * mappings, read-only): a read fault in a file mapping maps up to 16 pages of the page
 * cache around the page that faulted ("fault-around"), and those stay resident though
 * nothing uses them. A mapping registered for write-protect tracking with a userfaultfd
 * in asynchronous mode is never faulted around (Linux 6.7+, any kind of memory); in that
 * mode the kernel itself resolves a write-protect fault, with no handler and no message,
 * and the ranges here are never written anyway. The userfaultfd stays open (close-on-exec):
 * closing it would end the registrations. Throws SysError where the kernel has no
 * userfaultfd or no asynchronous mode (ENOSYS, EINVAL) or a policy forbids it (EPERM).
 */
export function stopFaultAround(ranges: readonly { start: bigint; end: bigint }[]): void {
  if (faultAroundFd === undefined) {
    const number = SYS_USERFAULTFD[Deno.build.arch];
    if (number === undefined) throw new SysError("userfaultfd", ENOSYS);
    const fd = Number(sym.syscall(number, BigInt(O_CLOEXEC | O_NONBLOCK | UFFD_USER_MODE_ONLY)));
    if (fd < 0) throw new SysError("userfaultfd", errno());
    // struct uffdio_api { u64 api, features, ioctls }
    const api = new BigUint64Array([UFFD_API, UFFD_FEATURE_WP_ASYNC, 0n]);
    if (sym.ioctl(fd, UFFDIO_API, new Uint8Array(api.buffer)) !== 0) {
      const code = errno();
      sym.close(fd);
      throw new SysError("userfaultfd", code);
    }
    faultAroundFd = fd;
  }
  for (const { start, end } of ranges) {
    // struct uffdio_register { struct { u64 start, len } range; u64 mode, ioctls }
    const request = new BigUint64Array([start, end - start, UFFDIO_REGISTER_MODE_WP, 0n]);
    if (sym.ioctl(faultAroundFd, UFFDIO_REGISTER, new Uint8Array(request.buffer)) !== 0) {
      throw new SysError("userfaultfd", errno());
    }
  }
}
