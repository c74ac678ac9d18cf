/**
 * The client side of the supervise FIFOs, as sv uses them (spec supervise-protocol.md
 * §12): open write-only non-blocking (ENXIO = no supervisor), write, close; and the two
 * path probes sv makes per service (`down` exists? `log` enterable?) as errno returns.
 * One symbol group bound with a single dlopen: `sv status` is start-up bound and pays
 * ~0.3 ms per separately bound symbol, and ~0.5 ms for the first exception thrown.
 */

import { bindLibcAll, cstr, O_CLOEXEC, O_NONBLOCK, O_WRONLY } from "./libc.ts";
import { SysError } from "../lib/sys_error.ts";

const sym = bindLibcAll({
  open: { parameters: ["buffer", "i32", "u32"], result: "i32" }, // int open(const char *, int, mode_t)
  close: { parameters: ["i32"], result: "i32" }, // int close(int)
  write: { parameters: ["i32", "buffer", "usize"], result: "isize" }, // ssize_t write(int, const void *, size_t)
  __errno_location: { parameters: [], result: "pointer" }, // int *__errno_location(void)
  access: { parameters: ["buffer", "i32"], result: "i32" }, // int access(const char *, int)
  chdir: { parameters: ["buffer"], result: "i32" }, // int chdir(const char *)
});

const EINTR = 4;

function errno(): number {
  const ptr = sym.__errno_location();
  return ptr === null ? 0 : new Deno.UnsafePointerView(ptr).getInt32(0);
}

/** open(path, O_WRONLY|O_NONBLOCK|O_CLOEXEC): throws SysError (ENXIO: no reader). */
export function openFifoForWriting(path: string): number {
  const cpath = cstr(path);
  for (;;) {
    const fd = sym.open(cpath, O_WRONLY | O_NONBLOCK | O_CLOEXEC, 0);
    if (fd >= 0) return fd;
    const code = errno();
    if (code !== EINTR) throw new SysError("open", code, path);
  }
}

/** One write(2); returns the count. Throws SysError. */
export function writeFd(fd: number, bytes: Uint8Array<ArrayBuffer>): number {
  for (;;) {
    const n = Number(sym.write(fd, bytes, BigInt(bytes.length)));
    if (n >= 0) return n;
    const code = errno();
    if (code !== EINTR) throw new SysError("write", code);
  }
}

/** close(2), errors ignored (the descriptor is gone either way on Linux). */
export function closeFd(fd: number): void {
  sym.close(fd);
}

const F_OK = 0;

/** access(path, F_OK): 0 when it exists, else the errno (ENOENT, ELOOP, …). */
export function existsErrno(path: string): number {
  return sym.access(cstr(path), F_OK) === 0 ? 0 : errno();
}

/** chdir(2): 0 on success, else the errno. */
export function chdirErrno(path: string): number {
  return sym.chdir(cstr(path)) === 0 ? 0 : errno();
}
