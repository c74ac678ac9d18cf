/**
 * libc through Deno.dlopen: the loader, errno capture, and thin typed wrappers.
 *
 * This is the only module that calls `Deno.dlopen` (libc, and denit's own library through
 * {@linkcode bindLibrary}). Symbols are bound lazily, one at a time, on first use:
 * binding ~50 symbols up front costs ~20 ms of start-up, and `sv status` should pay only
 * for the two or three it calls (ARCHITECTURE.md §1).
 * Other `ffi/` modules declare their own symbol groups through {@linkcode bindLibc}.
 *
 * errno is read through `__errno_location()` in the same synchronous turn as the failing
 * call; no wrapper here uses `nonblocking: true`, because errno is per-thread.
 * `ffi/libc_test.ts` proves errno is reliable on the pinned Deno.
 */

import { EAGAIN, ECHILD, EINTR, ENOENT } from "../lib/errstr.ts";
import { encodeText } from "../lib/text_encoding.ts";
import { SysError } from "../lib/sys_error.ts";

export { SysError };

const LIBC_CANDIDATES = [
  "libc.so.6",
  "/lib/x86_64-linux-gnu/libc.so.6",
  "libc.musl-x86_64.so.1",
  "libc.so",
];

let libcPath: string | undefined;

// int *__errno_location(void): the calling thread's errno. JS runs on one thread, so the
// address is fixed for the life of the process and is read once.
// Bound under a name of its own, so it never collides with a group's own declaration, as
// a static (its address) called once through Deno.UnsafeFnPointer: no fast-call
// trampoline and no wrapper (see openGroup).
const ERRNO_DEF = { name: "__errno_location", type: "pointer" } as const;
const ERRNO_CALL = { parameters: [], result: "pointer" } as const;
let errnoView: Deno.UnsafePointerView | undefined;

function keepErrnoView(symbols: Record<string, unknown>): Record<string, unknown> {
  const address = symbols.__denit_errno_location as
    | Deno.PointerObject<typeof ERRNO_CALL>
    | null
    | undefined;
  if (errnoView === undefined && address) {
    const location = new Deno.UnsafeFnPointer(address, ERRNO_CALL).call();
    if (location !== null) errnoView = new Deno.UnsafePointerView(location);
  }
  return symbols;
}

/**
 * dlopen of libc with `defs`: `DENIT_LIBC` first, then the usual names, the first that
 * loads is kept. The first group bound is the probe (no separate probe symbol: each
 * symbol bound costs start-up time).
 */
function openLibc(defs: Deno.ForeignLibraryInterface, bindErrno = true): Record<string, unknown> {
  // The first group bound also binds the errno reader, so that errno never has to be
  // bound after a failing call: a dlopen at that moment can clobber errno (seen: ENOENT
  // read where open(2) had failed with ENXIO). See callWithErrno for the exception.
  const withErrno = errnoView === undefined && bindErrno
    ? { ...defs, __denit_errno_location: ERRNO_DEF }
    : defs;
  if (libcPath !== undefined) return keepErrnoView(Deno.dlopen(libcPath, withErrno).symbols);
  const override = Deno.env.get("DENIT_LIBC");
  const failures: string[] = [];
  for (const candidate of override ? [override] : LIBC_CANDIDATES) {
    try {
      const symbols = keepErrnoView(Deno.dlopen(candidate, withErrno).symbols);
      libcPath = candidate;
      return symbols;
    } catch (err) {
      failures.push(`${candidate}: ${(err as Error).message}`);
    }
  }
  throw new Error(`Cannot load libc, tried: ${failures.join("; ")}`);
}

/** Options for {@linkcode bindLibc} and {@linkcode bindLibcAll}. */
export interface BindOptions {
  /**
   * false: bind without Deno's fast-call trampoline. Deno compiles one per symbol at
   * dlopen: the first of a process ~0.8 ms, each later one ~0.1 ms more, ~0.2 ms in a
   * dlopen of its own (measured, fresh processes), which a symbol a short-lived applet
   * calls once or twice never earns back; each call then costs ~1 µs instead of ~0.3 µs
   * and allocates (so not for code that runs under chpst's memory limits). Default true,
   * or false after {@linkcode preferOneShotCalls}.
   */
  fastCalls?: boolean;
  /**
   * false: this group, even when it is the first, does not bind the errno reader; its
   * callers read errno through {@linkcode callWithErrno}. For calls that nearly always
   * succeed on a start-up-bound path (sv's FIFO open: a symbol fewer to bind). Default
   * true.
   */
  bindErrno?: boolean;
}

let fastCallsByDefault = true;

/**
 * For a process that calls each libc function once or twice and exits (chpst): groups
 * bound from now on that do not ask for fast calls get none. The wrappers here (open,
 * flock, setsid, ...) serve the daemons too, where fast calls pay.
 */
export function preferOneShotCalls(): void {
  fastCallsByDefault = false;
}

/**
 * dlopen of `defs`, honouring {@linkcode BindOptions}. Without fast calls each function
 * is bound as a static (its address: dlsym resolves IFUNCs) and called through
 * `Deno.UnsafeFnPointer`. Deno compiles no trampoline for that, nor, as for a struct
 * result, a wrapper with `new Function`: in a fresh process a group of three costs 0.34
 * ms against 0.63 ms declared with one-member struct results (the first struct symbol
 * alone ~0.38 ms; medians of 30, each with one call).
 */
function openGroup(
  defs: Deno.ForeignLibraryInterface,
  options: BindOptions,
  open: (defs: Deno.ForeignLibraryInterface) => Record<string, unknown> = (group) =>
    openLibc(group, options.bindErrno),
): Record<string, unknown> {
  if ((options.fastCalls ?? fastCallsByDefault) !== false) return open(defs);
  const declared: Record<string, Deno.ForeignFunction | Deno.ForeignStatic> = {};
  const functions: [string, Deno.ForeignFunction][] = [];
  for (const [name, def] of Object.entries(defs)) {
    if ("parameters" in def && !def.nonblocking) {
      declared[name] = { name: def.name ?? name, type: "pointer" };
      functions.push([name, def]);
    } else {
      declared[name] = def;
    }
  }
  // Deno's symbols object is read-only: a new one holds the callers' functions.
  const symbols = { ...open(declared) };
  for (const [name, def] of functions) {
    const pointer = new Deno.UnsafeFnPointer(
      symbols[name] as Deno.PointerObject<Omit<Deno.ForeignFunction, "nonblocking">>,
      def,
    );
    symbols[name] = (...args: unknown[]): unknown =>
      (pointer.call as (...args: unknown[]) => unknown)(...args);
  }
  return symbols;
}

/**
 * Returns an object whose properties are the libc functions in `defs`, each bound on its
 * first access. `defs` may be a function returning them, called on the first access (a
 * large group that most runs never use, see `coreDefs`). Used by every `ffi/` module;
 * nothing outside `ffi/` may call it.
 *
 * Nothing happens until a symbol is used: the groups bound at a module's top level are
 * marked `@__PURE__` for the bundler, which then drops a group (and its table) that a
 * bundle never uses (chpst's quick entry is compiled whole at load).
 */
export function bindLibc<const D extends Deno.ForeignLibraryInterface>(
  defs: D | (() => D),
  options: BindOptions = {},
): Deno.DynamicLibrary<D>["symbols"] {
  const bound: Record<string, unknown> = {};
  let table: D | undefined;
  return new Proxy(bound, {
    get(target, name: string): unknown {
      const have = target[name];
      if (have !== undefined) return have;
      table ??= typeof defs === "function" ? defs() : defs;
      const def = table[name];
      if (def === undefined) throw new Error(`Unknown libc symbol ${name}`);
      const symbol = openGroup({ [name]: def } as Deno.ForeignLibraryInterface, options)[name];
      target[name] = symbol;
      return symbol;
    },
  }) as Deno.DynamicLibrary<D>["symbols"];
}

/**
 * Like {@linkcode bindLibc} (`defs` may be a function too), but binds the whole group
 * with one `dlopen` on the first access. A short-lived applet that needs several symbols
 * at once saves ~0.3 ms per symbol (`sv status`: measured 1.3 ms → 0.7 ms).
 */
export function bindLibcAll<const D extends Deno.ForeignLibraryInterface>(
  defs: D | (() => D),
  options: BindOptions = {},
): Deno.DynamicLibrary<D>["symbols"] {
  let symbols: Record<string, unknown> | undefined;
  return new Proxy({}, {
    get(_target, name: string): unknown {
      symbols ??= openGroup(typeof defs === "function" ? defs() : defs, options);
      return symbols[name];
    },
  }) as Deno.DynamicLibrary<D>["symbols"];
}

/**
 * Binds `defs` in a library of denit's own (`path`, built by install.sh from scripts/),
 * honouring {@linkcode BindOptions}; undefined when it cannot be loaded (not installed,
 * another architecture). Nothing outside `ffi/` may call it.
 */
export function bindLibrary<const D extends Deno.ForeignLibraryInterface>(
  path: string,
  defs: D,
  options: BindOptions = {},
): Deno.DynamicLibrary<D>["symbols"] | undefined {
  try {
    const open = (group: Deno.ForeignLibraryInterface) => Deno.dlopen(path, group).symbols;
    return openGroup(defs, options, open) as Deno.DynamicLibrary<D>["symbols"];
  } catch {
    return undefined;
  }
}

// The core group's declarations come from a function declaration, read on first use:
// most short-lived applets never touch `core`, and the ~1 kB of declarations are then
// neither built nor fully parsed at load (sv status: ~0.05 ms, marks; see lib/errstr.ts).
function coreDefs() {
  return {
    getpid: { parameters: [], result: "i32" }, // pid_t getpid(void)
    getppid: { parameters: [], result: "i32" }, // pid_t getppid(void)
    kill: { parameters: ["i32", "i32"], result: "i32" }, // int kill(pid_t, int)
    open: { parameters: ["buffer", "i32", "u32"], result: "i32" }, // int open(const char *, int, mode_t)
    openat: { parameters: ["i32", "buffer", "i32", "u32"], result: "i32" }, // int openat(int, const char *, int, mode_t)
    renameat: { parameters: ["i32", "buffer", "i32", "buffer"], result: "i32" }, // int renameat(int, const char *, int, const char *)
    unlinkat: { parameters: ["i32", "buffer", "i32"], result: "i32" }, // int unlinkat(int, const char *, int)
    // Existence probes of the supervisors (`control/<c>` and `finish` around every start
    // and stop): one system call, where listing the service directory took five and a
    // failing stat a thrown error. A fast call: called through its address, the probe
    // was ~5% of runsv's CPU per control command (perf, 400 commands).
    faccessat: { parameters: ["i32", "buffer", "i32", "i32"], result: "i32" }, // int faccessat(int, const char *, int, int)
    close: { parameters: ["i32"], result: "i32" }, // int close(int)
    fchdir: { parameters: ["i32"], result: "i32" }, // int fchdir(int)
    chdir: { parameters: ["buffer"], result: "i32" }, // int chdir(const char *)
    read: { parameters: ["i32", "buffer", "usize"], result: "isize" }, // ssize_t read(int, void *, size_t)
    write: { parameters: ["i32", "buffer", "usize"], result: "isize" }, // ssize_t write(int, const void *, size_t)
    mkfifo: { parameters: ["buffer", "u32"], result: "i32" }, // int mkfifo(const char *, mode_t)
    flock: { parameters: ["i32", "i32"], result: "i32" }, // int flock(int, int)
    umask: { parameters: ["u32"], result: "u32" }, // mode_t umask(mode_t)
    dup2: { parameters: ["i32", "i32"], result: "i32" }, // int dup2(int, int)
    pipe2: { parameters: ["buffer", "i32"], result: "i32" }, // int pipe2(int[2], int)
    fcntl: { parameters: ["i32", "i32", "i32"], result: "i32" }, // int fcntl(int, int, int)
    waitpid: { parameters: ["i32", "buffer", "i32"], result: "i32" }, // pid_t waitpid(pid_t, int *, int)
    setsid: { parameters: [], result: "i32" }, // pid_t setsid(void)
    setpgid: { parameters: ["i32", "i32"], result: "i32" }, // int setpgid(pid_t, pid_t)
    prctl: { parameters: ["i32", "buffer", "usize", "usize", "usize"], result: "i32" }, // int prctl(int, ...)
    program_invocation_short_name: { type: "pointer" }, // extern char *program_invocation_short_name
    sync: { parameters: [], result: "void" }, // void sync(void)
    isatty: { parameters: ["i32"], result: "i32" }, // int isatty(int)
    waitid: { parameters: ["i32", "i32", "buffer", "i32"], result: "i32" }, // int waitid(idtype_t, id_t, siginfo_t *, int)
    poll: { parameters: ["buffer", "usize", "i32"], result: "i32" }, // int poll(struct pollfd *, nfds_t, int)
    clock_gettime: { parameters: ["i32", "buffer"], result: "i32" }, // int clock_gettime(clockid_t, struct timespec *)
  } as const;
}

const core = /* @__PURE__ */ bindLibc(coreDefs);

// Set once at start-up (and by chpst for a few signals): not worth a fast-call trampoline.
const once = /* @__PURE__ */ bindLibc({
  signal: { parameters: ["i32", "usize"], result: "usize" }, // sighandler_t signal(int, sighandler_t)
  // int sigprocmask(int how, const sigset_t *set, sigset_t *oldset): the calling thread's
  sigprocmask: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
}, { fastCalls: false });

/** A NUL-terminated C string (UTF-8, or as lib/text_encoding.ts has been set). */
export function cstr(text: string): Uint8Array<ArrayBuffer> {
  return encodeText(text + "\0");
}

/**
 * A name encoded once, for a call made with it again and again (runsv's status files,
 * written on every change of state): the `*At` calls take it where they take a string.
 * For ASCII names, whose bytes lib/text_encoding.ts's choice of encoder does not change.
 */
export class CName {
  readonly bytes: Uint8Array<ArrayBuffer>;
  constructor(readonly text: string) {
    this.bytes = cstr(text);
  }
}

function cName(name: string | CName): Uint8Array<ArrayBuffer> {
  return typeof name === "string" ? cstr(name) : name.bytes;
}

function nameText(name: string | CName): string {
  return typeof name === "string" ? name : name.text;
}

/**
 * A copy of the bytes of the C string at `offset` in `view` (its NUL left out), at most
 * `max` of them: for names and values that must keep their exact bytes
 * (lib/escaped_text.ts), where `getCString` would decode them.
 */
export function cStringBytes(
  view: Deno.UnsafePointerView,
  offset = 0,
  max = Infinity,
): Uint8Array<ArrayBuffer> {
  let length = 0;
  while (length < max && view.getUint8(offset + length) !== 0) length++;
  const bytes = new Uint8Array(length);
  view.copyInto(bytes, offset);
  return bytes;
}

/**
 * Runs `call` (a libc call returning -1 on failure) and returns its result with errno (0
 * on success). Where the errno reader is not bound yet (groups bound with `bindErrno:
 * false`), a failure binds it and makes the call again: the dlopen that binds it can
 * itself change errno, so only the second call's errno is trusted.
 */
export function callWithErrno(call: () => number): { result: number; errno: number } {
  let result = call();
  if (result !== -1) return { result, errno: 0 };
  if (errnoView === undefined) {
    openLibc({});
    result = call();
    if (result !== -1) return { result, errno: 0 };
  }
  return { result, errno: errno() };
}

/** The calling thread's errno, read immediately after a failed call. */
export function errno(): number {
  return errnoView?.getInt32(0) ?? 0;
}

/** Sets the calling thread's errno to 0, for calls where -1 is also a valid result. */
export function clearErrno(): void {
  if (errnoView === undefined) return;
  new DataView(Deno.UnsafePointerView.getArrayBuffer(errnoView.pointer, 4)).setInt32(0, 0, true);
}

/** Builds a {@linkcode SysError} from the current errno. Call right after the failure. */
export function sysError(syscall: string, path?: string): SysError {
  return new SysError(syscall, errno(), path);
}

/** Runs `call` again while it fails with EINTR; throws a SysError on any other failure. */
export function retryEintr(syscall: string, call: () => number, path?: string): number {
  for (;;) {
    const result = call();
    if (result !== -1) return result;
    const code = errno();
    if (code !== EINTR) throw new SysError(syscall, code, path);
  }
}

// open(2) flags (Linux, x86_64 and most others).
export const O_RDONLY = 0;
export const O_WRONLY = 1;
export const O_RDWR = 2;
export const O_CREAT = 0o100;
export const O_EXCL = 0o200;
export const O_NOCTTY = 0o400;
export const O_TRUNC = 0o1000;
export const O_APPEND = 0o2000;
export const O_NONBLOCK = 0o4000;
export const O_DIRECTORY = 0o200000;
export const O_NOFOLLOW = 0o400000;
export const O_CLOEXEC = 0o2000000;

const CLOCK_REALTIME = 0;
const CLOCK_MONOTONIC = 1;
// struct timespec { time_t tv_sec; long tv_nsec; } on 64-bit Linux, read as 32-bit halves
// (little-endian: the low one first).
let timespec: Uint32Array<ArrayBuffer> | undefined;

function clockTime(clock: number): Uint32Array<ArrayBuffer> {
  timespec ??= new Uint32Array(4);
  if (core.clock_gettime(clock, timespec) !== 0) throw sysError("clock_gettime");
  return timespec;
}

/**
 * The real time as runit's gettimeofday(2) gives it: unix seconds and microseconds.
 * Through libc, as {@linkcode monotonicMs}: see there.
 */
export function realTime(): { seconds: number; micros: number } {
  const time = clockTime(CLOCK_REALTIME);
  return { seconds: time[0]! + time[1]! * 2 ** 32, micros: Math.floor(time[2]! / 1000) };
}

/**
 * CLOCK_MONOTONIC in milliseconds, with a fraction. Through libc, where
 * `performance.now()` is a call into Deno: the first of those after runsv wakes for a
 * `u` cost ~50-80 µs on the slower VM (#3), while libc's calls share the path its poll
 * and read have just run.
 */
export function monotonicMs(): number {
  const time = clockTime(CLOCK_MONOTONIC);
  return (time[0]! + time[1]! * 2 ** 32) * 1000 + time[2]! / 1_000_000;
}

/** The process id, from libc (equals Deno.pid; also right as pid 1 in a namespace). */
export function getpid(): number {
  return core.getpid();
}

/** The parent process id. */
export function getppid(): number {
  return core.getppid();
}

/** kill(2). Throws SysError (ESRCH, EPERM, …) on failure. */
export function kill(pid: number, signal: number): void {
  if (core.kill(pid, signal) === -1) throw sysError("kill");
}

/** kill(2) that returns the errno of a failure instead of throwing (0 on success). */
export function tryKill(pid: number, signal: number): number {
  return core.kill(pid, signal) === -1 ? errno() : 0;
}

/** open(2); returns the fd. Retries on EINTR. */
export function open(path: string, flags: number, mode = 0o666): number {
  const cpath = cstr(path);
  return retryEintr("open", () => core.open(cpath, flags, mode), path);
}

/**
 * openat(2): `path` relative to the directory open as `dirFd`; returns the fd. Retries on
 * EINTR. The error names `path`.
 */
export function openAt(
  dirFd: number,
  path: string | CName,
  flags: number,
  mode = 0o666,
): number {
  const cpath = cName(path);
  return retryEintr("openat", () => core.openat(dirFd, cpath, flags, mode), nameText(path));
}

/** renameat(2) of `from` to `to`, both relative to the directory open as `dirFd`. */
export function renameAt(dirFd: number, from: string | CName, to: string | CName): void {
  if (core.renameat(dirFd, cName(from), dirFd, cName(to)) === -1) {
    throw sysError("renameat", nameText(from));
  }
}

/** unlinkat(2) of the file `path`, relative to the directory open as `dirFd`. */
export function unlinkAt(dirFd: number, path: string | CName): void {
  if (core.unlinkat(dirFd, cName(path), 0) === -1) throw sysError("unlinkat", nameText(path));
}

/** close(2); errors other than EINTR are thrown. */
export function close(fd: number): void {
  if (core.close(fd) === -1 && errno() !== EINTR) throw sysError("close");
}

/** fchdir(2). */
export function fchdir(fd: number): void {
  if (core.fchdir(fd) === -1) throw sysError("fchdir");
}

/**
 * chdir(2). With lib/text_encoding.ts set to lib/escaped_text.ts's encoder, a name that is
 * not UTF-8 is reached by its bytes (Deno.chdir takes UTF-8 only).
 */
function chdir(path: string): void {
  if (core.chdir(cstr(path)) === -1) throw sysError("chdir", path);
}

/**
 * `Deno.chdir(path)`, except that a path holding bytes that are not UTF-8 (in
 * lib/escaped_text.ts's form, with lib/text_encoding.ts set to match) is reached by them.
 */
export function chdirExact(path: string): void {
  if (path.isWellFormed()) Deno.chdir(path);
  else chdir(path);
}

/** read(2) into `buf`; returns the count (0 at end of file). Retries on EINTR. */
export function read(fd: number, buf: Uint8Array<ArrayBuffer>): number {
  return retryEintr("read", () => Number(core.read(fd, buf, BigInt(buf.length))));
}

/** write(2) of `buf`; returns the count written. Retries on EINTR. */
export function write(fd: number, buf: Uint8Array<ArrayBuffer>): number {
  return retryEintr("write", () => Number(core.write(fd, buf, BigInt(buf.length))));
}

/** mkfifo(3). Throws SysError (EEXIST when the path exists). */
export function mkfifo(path: string, mode: number): void {
  if (core.mkfifo(cstr(path), mode) === -1) throw sysError("mkfifo", path);
}

export const LOCK_SH = 1;
export const LOCK_EX = 2;
export const LOCK_NB = 4;
export const LOCK_UN = 8;

/** flock(2) with `operation` (LOCK_* bits). Retries on EINTR. */
export function flock(fd: number, operation: number): void {
  retryEintr("flock", () => core.flock(fd, operation));
}

/** Signal dispositions for {@linkcode setSignalDisposition}. */
export type Disposition = "default" | "ignore";

/**
 * Sets a signal to SIG_DFL or SIG_IGN and returns whether the previous disposition was
 * a handler (neither SIG_DFL nor SIG_IGN): used to see when Deno has armed SIGUSR1.
 */
export function setSignalDisposition(
  signal: number,
  disposition: Disposition,
): "default" | "ignore" | "handler" {
  const previous = once.signal(signal, disposition === "default" ? 0n : 1n);
  if (previous === 0n) return "default";
  if (previous === 1n) return "ignore";
  return "handler";
}

const SIG_UNBLOCK = 1;
const SIGSET_BYTES = 128; // glibc's sigset_t

/** `signals` as a sigset's first 64 bits: bit n-1 for signal n. */
export function signalBits(signals: readonly number[] = []): bigint {
  let bits = 0n;
  for (const signal of signals) bits |= 1n << BigInt(signal - 1);
  return bits;
}

/**
 * Unblocks `signals` for the calling thread (JavaScript's), which then takes them;
 * returns the signals (bit n-1 for signal n) that were blocked before.
 */
export function unblockSignals(signals: readonly number[]): bigint {
  const set = new Uint8Array(SIGSET_BYTES);
  const view = new DataView(set.buffer);
  // the kernel's sigset: bit n-1 for signal n, little-endian
  view.setBigUint64(0, signalBits(signals), true);
  const before = new Uint8Array(SIGSET_BYTES);
  if (once.sigprocmask(SIG_UNBLOCK, set, before) === -1) throw sysError("sigprocmask");
  return new DataView(before.buffer).getBigUint64(0, true);
}

/** umask(2): sets the mask, returns the previous one. */
export function umask(mask: number): number {
  return core.umask(mask);
}

/** dup2(2). */
export function dup2(from: number, to: number): void {
  retryEintr("dup2", () => core.dup2(from, to));
}

/** pipe2(2) with O_CLOEXEC; returns [readFd, writeFd]. */
export function pipe(flags = O_CLOEXEC): [number, number] {
  const fds = new Int32Array(2);
  if (core.pipe2(new Uint8Array(fds.buffer), flags) === -1) throw sysError("pipe");
  return [fds[0]!, fds[1]!];
}

const F_GETFD = 1;
const F_SETFD = 2;
const F_GETFL = 3;
const F_SETFL = 4;
const FD_CLOEXEC = 1;

/** Sets or clears O_NONBLOCK on the open file description of `fd`. */
export function setNonblocking(fd: number, on: boolean): void {
  changeStatusFlags(fd, on ? O_NONBLOCK : 0, on ? 0 : O_NONBLOCK);
}

/** Sets `set` and clears `clear` in `fd`'s file status flags; returns the new flags. */
function changeStatusFlags(fd: number, set: number, clear: number): number {
  const flags = retryEintr("fcntl", () => core.fcntl(fd, F_GETFL, 0));
  const next = (flags | set) & ~clear;
  if (next !== flags) retryEintr("fcntl", () => core.fcntl(fd, F_SETFL, next));
  return next;
}

const F_SETPIPE_SZ = 1031; // Linux

/**
 * Sets the capacity of the pipe `fd` is an end of (F_SETPIPE_SZ; the kernel rounds it up
 * to a power-of-two number of pages) and returns it. Unprivileged, at most
 * /proc/sys/fs/pipe-max-size.
 */
export function setPipeSize(fd: number, bytes: number): number {
  return retryEintr("fcntl", () => core.fcntl(fd, F_SETPIPE_SZ, bytes));
}

const F_SETOWN = 8;
const O_ASYNC = 0o20000;

/**
 * Signal-driven input on `fd`, step one: this process becomes the owner that the kernel
 * sends SIGIO to (see lib/pipe_input.ts), and O_NONBLOCK is set (O_ASYNC cleared) on its
 * open file description. Returns those file status flags, for
 * {@linkcode setSignalDrivenInput}.
 */
export function prepareSignalDrivenInput(fd: number): number {
  retryEintr("fcntl", () => core.fcntl(fd, F_SETOWN, core.getpid()));
  return changeStatusFlags(fd, O_NONBLOCK, O_ASYNC);
}

/**
 * Sets the file status flags `flags` (from {@linkcode prepareSignalDrivenInput}) with
 * O_ASYNC when `on`: one fcntl. A listener for SIGIO must be in place before O_ASYNC is:
 * its default action ends the process.
 */
export function setSignalDrivenInput(fd: number, flags: number, on: boolean): void {
  retryEintr("fcntl", () => core.fcntl(fd, F_SETFL, on ? flags | O_ASYNC : flags));
}

/**
 * read(2) on a non-blocking descriptor: the count, 0 at end of file, or -1 when nothing is
 * there now (EAGAIN). Retries on EINTR; other failures are thrown.
 */
export function readAvailable(fd: number, buf: Uint8Array<ArrayBuffer>): number {
  for (;;) {
    const count = Number(core.read(fd, buf, BigInt(buf.length)));
    if (count >= 0) return count;
    const code = errno();
    if (code === EAGAIN) return -1;
    if (code !== EINTR) throw new SysError("read", code);
  }
}

const POLLIN = 1;
const POLLFD_SIZE = 8; // struct pollfd { int fd; short events; short revents; }

/** A poll(2) table asking POLLIN for each of `fds` (`into` when given), and its view. */
export function pollTable(
  fds: readonly number[],
  into = new Uint8Array(fds.length * POLLFD_SIZE),
): [Uint8Array<ArrayBuffer>, DataView] {
  const view = new DataView(into.buffer, 0, fds.length * POLLFD_SIZE);
  fds.forEach((fd, i) => {
    view.setInt32(i * POLLFD_SIZE, fd, true);
    view.setInt16(i * POLLFD_SIZE + 4, POLLIN, true);
  });
  return [into, view];
}

/** For each of the `count` entries of a polled table, whether its fd was ready. */
export function readyIn(view: DataView, count: number): boolean[] {
  const ready: boolean[] = [];
  for (let i = 0; i < count; i++) ready.push(view.getInt16(i * POLLFD_SIZE + 6, true) !== 0);
  return ready;
}

/**
 * poll(2) with a zero timeout: for each of `fds`, whether a read would not block now (data,
 * end of file or an error to collect).
 */
export function readableNow(fds: readonly number[]): boolean[] {
  const [table, view] = pollTable(fds);
  retryEintr("poll", () => core.poll(table, BigInt(fds.length), 0));
  return readyIn(view, fds.length);
}

// Reused, made on first use: runsv waits after every control byte (a typed array made per
// call showed in its profile).
let waitTable: Uint8Array<ArrayBuffer> | undefined;

/**
 * poll(2) for reading on `fds`, blocking the JavaScript thread (no timer, no promise,
 * no signal listener runs meanwhile) until one is ready or `timeoutMs` passes (-1:
 * none): lib/supervise/signal_wait.ts. For each fd whether a read would not block; all
 * false on a timeout or when a signal handler interrupted the wait. Throws SysError.
 */
export function waitReadable(fds: readonly number[], timeoutMs: number): boolean[] {
  if (waitTable === undefined || fds.length * POLLFD_SIZE > waitTable.length) {
    waitTable = new Uint8Array(Math.max(4, fds.length) * POLLFD_SIZE);
  }
  const [table, view] = pollTable(fds, waitTable);
  if (core.poll(table, BigInt(fds.length), timeoutMs) < 0) {
    const code = errno();
    if (code !== EINTR) throw new SysError("poll", code);
    return fds.map(() => false);
  }
  return readyIn(view, fds.length);
}

/** Sets or clears FD_CLOEXEC on `fd`. */
export function setCloexec(fd: number, on: boolean): void {
  const flags = retryEintr("fcntl", () => core.fcntl(fd, F_GETFD, 0));
  const next = on ? flags | FD_CLOEXEC : flags & ~FD_CLOEXEC;
  if (next !== flags) retryEintr("fcntl", () => core.fcntl(fd, F_SETFD, next));
}

export const WNOHANG = 1;

/** How a child ended (or stopped), decoded from a wait status. */
export type WaitStatus =
  | { kind: "exited"; code: number; raw: number }
  | { kind: "signaled"; signal: number; core: boolean; raw: number }
  | { kind: "stopped"; signal: number; raw: number };

/** Decodes a raw wait status (WIFEXITED, WTERMSIG, …). */
export function decodeWaitStatus(raw: number): WaitStatus {
  if ((raw & 0x7f) === 0) return { kind: "exited", code: (raw >> 8) & 0xff, raw };
  if ((raw & 0xff) === 0x7f) return { kind: "stopped", signal: (raw >> 8) & 0xff, raw };
  return { kind: "signaled", signal: raw & 0x7f, core: (raw & 0x80) !== 0, raw };
}

// Made once, on the first call (not at load: the short-lived applets bundle this module):
// the supervisors reap after every control byte, and a typed array made per call showed
// in runsv's profile.
let waitStatus: Int32Array<ArrayBuffer> | undefined;
let waitStatusBytes: Uint8Array<ArrayBuffer> | undefined;

/**
 * waitpid(2). Returns null when WNOHANG found nothing, or when there are no children
 * (ECHILD); otherwise the pid and its status. Retries on EINTR.
 */
export function waitpid(pid: number, flags: number): { pid: number; status: WaitStatus } | null {
  waitStatus ??= new Int32Array(1);
  waitStatusBytes ??= new Uint8Array(waitStatus.buffer);
  for (;;) {
    const result = core.waitpid(pid, waitStatusBytes, flags);
    if (result > 0) return { pid: result, status: decodeWaitStatus(waitStatus[0]!) };
    if (result === 0) return null;
    const code = errno();
    if (code === EINTR) continue;
    if (code === ECHILD) return null;
    throw new SysError("waitpid", code);
  }
}

/** setsid(2); returns the new session id. */
export function setsid(): number {
  const sid = core.setsid();
  if (sid === -1) throw sysError("setsid");
  return sid;
}

const AT_FDCWD = -100;
const AT_EACCESS = 0x200; // the effective ids, as stat(2) uses
const F_OK = 0;

/**
 * Whether `path` (relative to the directory open as `dirFd`, or to the working directory)
 * is certainly missing (ENOENT, links followed), as a failing stat(2) would say, without
 * an exception; false when it exists or cannot be told (a caller then stats it and reports
 * why, as runit does).
 */
export function pathMissing(path: string | CName, dirFd = AT_FDCWD): boolean {
  const cpath = cName(path);
  const { errno: code } = callWithErrno(() => core.faccessat(dirFd, cpath, F_OK, AT_EACCESS));
  return code === ENOENT;
}

/** setpgid(2). */
export function setpgid(pid: number, pgid: number): void {
  if (core.setpgid(pid, pgid) === -1) throw sysError("setpgid");
}

const PR_SET_NAME = 15;

/** prctl(PR_SET_NAME): the 15-byte comm name that `ps -o comm` and `top` show. */
export function setProcessName(name: string): void {
  const bytes = cstr(name.slice(0, 15));
  if (core.prctl(PR_SET_NAME, bytes, 0n, 0n, 0n) === -1) throw sysError("prctl");
}

/** libc's `program_invocation_short_name`: the basename of argv[0] as exec'd. */
export function programShortName(): string {
  const variable = core.program_invocation_short_name;
  if (variable === null) return "";
  const value = new Deno.UnsafePointerView(variable).getPointer(0);
  return value === null ? "" : new Deno.UnsafePointerView(value).getCString();
}

/** sync(2). */
export function sync(): void {
  core.sync();
}

/** isatty(3). */
export function isatty(fd: number): boolean {
  return core.isatty(fd) === 1;
}

const P_ALL = 0;
const WEXITED = 4;
const WNOWAIT = 0x01000000;

/**
 * True while this process has any child, running or not yet reaped: waitid(P_ALL) with
 * WNOHANG|WNOWAIT, which reaps nothing. Process 1 uses it to see that every process is gone.
 */
export function hasChildren(): boolean {
  const info = new Uint8Array(128); // siginfo_t
  for (;;) {
    if (core.waitid(P_ALL, 0, info, WEXITED | WNOHANG | WNOWAIT) === 0) return true;
    const code = errno();
    if (code === EINTR) continue;
    if (code === ECHILD) return false;
    throw new SysError("waitid", code);
  }
}
