/**
 * The client side of the supervise FIFOs, as sv uses them (spec supervise-protocol.md
 * §12): open write-only non-blocking (ENXIO = no supervisor), write, close. Symbols are
 * bound in groups, each with a single dlopen: `sv status` is start-up bound.
 */

import {
  bindLibcAll,
  callWithErrno,
  cstr,
  errno,
  O_CLOEXEC,
  O_NONBLOCK,
  O_WRONLY,
} from "./libc.ts";
import { SysError } from "../lib/sys_error.ts";
import { EINTR } from "../lib/errstr.ts";

// Each symbol bound costs start-up time (measured): `sv status` binds only the two it
// always needs, and the errno reader only if the open fails (callWithErrno); write is
// bound when a command needs it. sv calls each a few times, so without fast-call
// trampolines (0.78 → ~0.3 ms for open and close).
const sym = /* @__PURE__ */ bindLibcAll({
  open: { parameters: ["buffer", "i32", "u32"], result: "i32" }, // int open(const char *, int, mode_t)
  close: { parameters: ["i32"], result: "i32" }, // int close(int)
}, { fastCalls: false, bindErrno: false });
const more = /* @__PURE__ */ bindLibcAll({
  write: { parameters: ["i32", "buffer", "usize"], result: "isize" }, // ssize_t write(int, const void *, size_t)
}, { fastCalls: false });

/** open(path, O_WRONLY|O_NONBLOCK|O_CLOEXEC): throws SysError (ENXIO: no reader). */
export function openFifoForWriting(path: string): number {
  const cpath = cstr(path);
  const open = () => sym.open(cpath, O_WRONLY | O_NONBLOCK | O_CLOEXEC, 0);
  for (;;) {
    const { result: fd, errno: code } = callWithErrno(open);
    if (fd >= 0) return fd;
    if (code !== EINTR) throw new SysError("open", code, path);
  }
}

/** One write(2); returns the count. Throws SysError. */
export function writeFd(fd: number, bytes: Uint8Array<ArrayBuffer>): number {
  for (;;) {
    const n = Number(more.write(fd, bytes, BigInt(bytes.length)));
    if (n >= 0) return n;
    const code = errno();
    if (code !== EINTR) throw new SysError("write", code);
  }
}

/** close(2), errors ignored (the descriptor is gone either way on Linux). */
export function closeFd(fd: number): void {
  sym.close(fd);
}
