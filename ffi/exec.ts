/**
 * Process-state calls for chpst (spec chpst.md §6–§8): execve with runit's PATH search,
 * restoring the signal state the program must inherit, resource limits, chroot, nice,
 * credentials. One module on purpose: chpst's start-up pays ~0.3 ms per module loaded.
 *
 * chpst execs from Deno's main thread as its very last act. Deno ignores SIGPIPE, so
 * before execve every signal is set back to what chpst itself inherited (SIG_DFL, or
 * SIG_IGN where the caller had ignored it, as a C chpst passes on), and the mask to the
 * inherited one. Deno's own fds are all close-on-exec, so the program sees only the fds
 * chpst was given plus its lock.
 */

import { bindLibc, bindLibcAll, clearErrno, cstr, errno, sysError } from "./libc.ts";
import {
  byteStringCstr,
  execCandidates,
  rememberErrno,
  searchContinues,
  searchResult,
  type SignalRestore,
  SIGSETXID,
} from "../lib/chpst/inherit.ts";
import { ENOENT } from "../lib/errstr.ts";

// What may run after chpst's resource limits (see prepareExec), bound one by one with
// fast calls, which do not allocate. Read on first use: a function declaration is not
// parsed or built when chpst loads.
function underLimitsDefs() {
  return {
    // int execve(const char *path, char *const argv[], char *const envp[])
    execve: { parameters: ["buffer", "buffer", "buffer"], result: "i32" },
    // int setrlimit(int resource, const struct rlimit *rlim)
    setrlimit: { parameters: ["i32", "buffer"], result: "i32" },
    // ssize_t write(int fd, const void *buf, size_t count)
    write: { parameters: ["i32", "buffer", "usize"], result: "isize" },
    // void _exit(int status)
    _exit: { parameters: ["i32"], result: "void" },
    // int *__errno_location(void)
    __errno_location: { parameters: [], result: "pointer" },
    // int close(int fd)
    close: { parameters: ["i32"], result: "i32" },
  } as const;
}
const sym = /* @__PURE__ */ bindLibc(underLimitsDefs, { fastCalls: true });

// Called once each, before any limit: one dlopen on the first use of any, without
// fast-call trampolines (their cost: BindOptions in ffi/libc.ts; `chpst -u` used to
// compile three, each in a dlopen of its own).
function oneShotDefs() {
  return {
    // int sigprocmask(int how, const sigset_t *set, sigset_t *oldset)
    sigprocmask: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
    // int getrlimit(int resource, struct rlimit *rlim)
    getrlimit: { parameters: ["i32", "buffer"], result: "i32" },
    // int chroot(const char *path)
    chroot: { parameters: ["buffer"], result: "i32" },
    // int nice(int inc)
    nice: { parameters: ["i32"], result: "i32" },
    // int setgroups(size_t size, const gid_t *list)
    setgroups: { parameters: ["usize", "buffer"], result: "i32" },
    // int setgid(gid_t gid)
    setgid: { parameters: ["u32"], result: "i32" },
    // int setuid(uid_t uid)
    setuid: { parameters: ["u32"], result: "i32" },
  } as const;
}
const calls = /* @__PURE__ */ bindLibcAll(oneShotDefs, { fastCalls: false });

// The exec without resource limits calls these once, bound in one dlopen without fast-call
// trampolines (see oneShotDefs): ffi/libc.ts calls them through their addresses. Under
// limits `sym`'s are used: they do not allocate. errno comes from ffi/libc.ts, whose
// first dlopen (this one) binds its reader: a symbol fewer to bind (prepareExec 0.82 ->
// 0.71 ms, marks, median of 40).
const once = /* @__PURE__ */ bindLibcAll({
  // int execve(const char *path, char *const argv[], char *const envp[])
  execve: { parameters: ["buffer", "buffer", "buffer"], result: "i32" },
  // sighandler_t signal(int, sighandler_t): restoreSignals, after prepareExec (same dlopen)
  signal: { parameters: ["i32", "usize"], result: "usize" },
  // int close(int fd): ExecRequest.closeFirst
  close: { parameters: ["i32"], result: "i32" },
}, { fastCalls: false });

const utf8 = new TextEncoder();

/**
 * A NULL-terminated `char *[]` of `items`. The C strings share one block, so that one
 * pointer is asked of Deno: asking one per string cost ~15 µs each, 0.5 ms of start-up
 * for a 35-variable environment (measured). An all-ASCII list (nearly always) is its own
 * UTF-8 and byte-string encoding: one native TextEncoder call then makes the block, where
 * `encode`'s per-character loop, run cold at start-up, is slow.
 */
function pointerArray(
  items: readonly string[],
  encode: (item: string) => Uint8Array = cstr,
): { array: Uint8Array; keep: Uint8Array[] } {
  const joined = items.join("\0") + "\0";
  let block = utf8.encode(joined);
  let lengths: number[];
  if (block.length === joined.length) {
    lengths = items.map((item) => item.length + 1);
  } else {
    const strings = items.map(encode);
    block = new Uint8Array(strings.reduce((size, bytes) => size + bytes.length, 0));
    let at = 0;
    for (const bytes of strings) {
      block.set(bytes, at);
      at += bytes.length;
    }
    lengths = strings.map((bytes) => bytes.length);
  }
  const array = new BigUint64Array(items.length + 1);
  const base = BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(block)));
  let offset = 0;
  lengths.forEach((length, i) => {
    array[i] = base + BigInt(offset);
    offset += length;
  });
  return { array: new Uint8Array(array.buffer), keep: [block] };
}

/** An exec made ready: C strings built and symbols bound, so running it allocates little. */
export interface PreparedExec {
  /**
   * Tries every candidate path; returns the errno to report if none could be run.
   * `dry` goes through the same code without calling execve (see `underLimits`).
   */
  run(dry?: boolean): number;
}

/** Reads the main thread's errno without allocating (a view made once). */
function errnoReader(): () => number {
  const view = new Deno.UnsafePointerView(sym.__errno_location()!);
  view.getInt32(0);
  return () => view.getInt32(0);
}

/** What {@linkcode prepareExec} runs; every string is a byte string. */
export interface ExecRequest {
  /** The name searched for (argv[0] before `-b`). */
  file: string;
  argv: readonly string[];
  env: readonly string[];
  /** chpst's own PATH; undefined means runit's default `/bin:/usr/bin`. */
  path: string | undefined;
  /** The exec runs after chpst's resource limits: bind and warm up everything now. */
  underLimits?: boolean;
  /**
   * Fds closed just before the first execve, errors ignored: those of 0-2 the caller had
   * left closed, which Deno's start opened on /dev/null (lib/launch.ts closedAtStart).
   */
  closeFirst?: readonly number[];
}

/**
 * Prepares runit's pathexec_run: `file` is execed directly when it has a `/`, else
 * searched in `path` (chpst's own PATH). Everything is a byte string
 * (lib/chpst/inherit.ts), passed on byte for byte.
 *
 * `underLimits`: the exec will run after chpst's resource limits. Deno has reserved far
 * more address space than a typical `-m` allows, so after `setrlimit` V8 cannot map new
 * memory: binding a symbol or even compiling a function on first call would abort the
 * process. Every symbol is bound and the code run once (dry) now, before the limits.
 */
export function prepareExec(request: ExecRequest): PreparedExec {
  if (!request.underLimits) return prepareExecNow(request);
  // close is bound only when there is something to close: each symbol bound with a
  // fast call compiles a trampoline at chpst's start.
  const closeCall = request.closeFirst?.length ? sym.close : noClose;
  const prepared = preparedRun(request, sym.execve, closeCall, errnoReader());
  prepared.run(true);
  return prepared;
}

/**
 * {@linkcode prepareExec} without resource limits, in a function of its own: a bundle
 * that never sets limits (chpst's quick entry) leaves out what limits need.
 */
export function prepareExecNow(request: ExecRequest): PreparedExec {
  return preparedRun(
    request,
    once.execve,
    request.closeFirst?.length ? once.close : noClose,
    errno,
  );
}

/** The close of a request with nothing to close (never called). */
const noClose = (_fd: number): number => 0;

function preparedRun(
  { file, argv, env, path, closeFirst = [] }: ExecRequest,
  call: (path: Uint8Array, argv: Uint8Array, envp: Uint8Array) => number,
  closeCall: (fd: number) => number,
  errnoNow: () => number,
): PreparedExec {
  const candidates = execCandidates(file, path).map(byteStringCstr);
  const args = pointerArray(argv, byteStringCstr);
  const envp = pointerArray(env, byteStringCstr);
  return {
    run(dry = false): number {
      // No allocation in here: it may run under chpst's memory limits.
      if (!dry) { for (let i = 0; i < closeFirst.length; i++) closeCall(closeFirst[i]!); }
      let saved = 0;
      for (let i = 0; i < candidates.length; i++) {
        if (!dry) call(candidates[i]!, args.array, envp.array);
        const code = dry ? ENOENT : errnoNow();
        if (!searchContinues(code)) return code;
        saved = rememberErrno(saved, code);
      }
      // The C strings stay referenced until here.
      void args.keep.length;
      void envp.keep.length;
      return searchResult(saved);
    },
  };
}

/** Ends the process with a message chosen by errno, through libc only (no new memory). */
export interface PreparedDeath {
  die(errno: number): never;
}

/**
 * Prepares the exit after a failed exec under resource limits (see prepareExec): the
 * message for every errno is built now, and `write` and `_exit` are bound and called once
 * (on fd -1; no exit). Ending with `_exit` skips Deno's shutdown, which could need
 * memory the limits no longer allow; runit's chpst ends the same way.
 */
export function prepareDeath(
  message: (errno: number) => Uint8Array<ArrayBuffer>,
  exitCode: number,
): PreparedDeath {
  const lines: Uint8Array<ArrayBuffer>[] = [];
  for (let code = 0; code <= MAX_ERRNO; code++) lines.push(message(code));
  const unknown = message(MAX_ERRNO + 1);
  // BigInts made now: after the limits nothing may be allocated.
  const lengths = lines.map((line) => BigInt(line.length));
  const unknownLength = BigInt(unknown.length);
  const none = 0n;
  const write = sym.write;
  const exit = sym._exit;
  const death = {
    die(code: number, dry = false): never {
      const index = code >= 0 && code <= MAX_ERRNO ? code : -1;
      const line = index === -1 ? unknown : lines[index]!;
      const length = index === -1 ? unknownLength : lengths[index]!;
      write(dry ? -1 : 2, line, dry ? none : length); // dry: fd -1, no side effect
      if (!dry) exit(exitCode);
      return undefined as never;
    },
  };
  death.die(0, true);
  return death;
}

/** Resource limits to set, each prepared before the first is set (see prepareExec). */
export interface PreparedLimits {
  /** Sets them in order; returns 0, or the errno of the setrlimit that failed. */
  apply(dry?: boolean): number;
}

/** Prepares setrlimit calls: `limits` holds RLIMIT_* numbers and the new pairs. */
export function prepareLimits(
  limits: readonly ({ resource: number } & Rlimit)[],
): PreparedLimits {
  const buffers = limits.map(({ soft, hard }) =>
    new Uint8Array(new BigUint64Array([soft, hard]).buffer)
  );
  const resources = limits.map(({ resource }) => resource);
  const set = sym.setrlimit;
  const errnoNow = errnoReader();
  const prepared = {
    apply(dry = false): number {
      if (dry) return errnoNow() * 0;
      for (let i = 0; i < buffers.length; i++) {
        if (set(resources[i]!, buffers[i]!) === -1) return errnoNow();
      }
      return 0;
    },
  };
  prepared.apply(true);
  return prepared;
}

const MAX_ERRNO = 133; // Linux: EHWPOISON

const SIG_SETMASK = 2;
const SIGSET_SIZE = 128; // glibc sigset_t

/**
 * Applies a {@linkcode SignalRestore}: SIG_IGN and SIG_DFL where listed, then the mask
 * `blocked` (bit n-1 for signal n) when it has to change. Handlers need nothing: exec
 * makes every caught signal default.
 */
export function restoreSignals(restore: SignalRestore, blocked: bigint): void {
  if (!setDispositions(restore)) throw sysError("rt_sigaction");
  if (!restore.setMask) return;
  const set = new Uint8Array(SIGSET_SIZE);
  new DataView(set.buffer).setBigUint64(0, blocked, true); // kernel sigset: bit n-1, LE
  if (calls.sigprocmask(SIG_SETMASK, set, null) === -1) throw sysError("sigprocmask");
}

/**
 * The SIG_IGN and SIG_DFL of a {@linkcode SignalRestore}, not its mask. False when the
 * kernel refused one (errno says why; only signal 33's can fail). No error is built here:
 * chpst's quick entry leaves that to the full chpst.
 */
export function setDispositions(restore: SignalRestore): boolean {
  let done = true;
  for (const signal of restore.ignore) done = setDisposition(signal, 1n) && done; // SIG_IGN
  for (const signal of restore.reset) done = setDisposition(signal, 0n) && done; // SIG_DFL
  return done;
}

// rt_sigaction(2)'s number; glibc refuses signal() and sigaction() for its own signals.
const RT_SIGACTION = Deno.build.arch === "aarch64" ? 134n : 13n;

// long syscall(long number, ...): only for glibc's SIGSETXID, which few callers ignore.
const kernel = /* @__PURE__ */ bindLibcAll({
  syscall: { parameters: ["i64", "i64", "buffer", "pointer", "u64"], result: "i64" },
}, { fastCalls: false });

function setDisposition(signal: number, handler: bigint): boolean {
  if (signal !== SIGSETXID) {
    once.signal(signal, handler);
    return true;
  }
  // struct kernel_sigaction: the handler first, then flags, (restorer,) mask: all 0.
  const action = new BigUint64Array(4);
  action[0] = handler;
  return kernel.syscall(RT_SIGACTION, BigInt(signal), new Uint8Array(action.buffer), null, 8n) ===
    0n;
}

/** A resource limit pair; RLIM_INFINITY is 2^64-1. */
export interface Rlimit {
  soft: bigint;
  hard: bigint;
}

/** getrlimit(2). */
export function getrlimit(resource: number): Rlimit {
  const pair = new BigUint64Array(2);
  if (calls.getrlimit(resource, new Uint8Array(pair.buffer)) === -1) throw sysError("getrlimit");
  return { soft: pair[0]!, hard: pair[1]! };
}

// The open-files and process limits a program gets back (lib/launch.ts callerLimits): chpst's quick
// entry calls these once, in a group of their own that its bundle can carry alone.
const fileLimitCalls = /* @__PURE__ */ bindLibcAll({
  // int getrlimit(int resource, struct rlimit *rlim)
  getrlimit: { parameters: ["i32", "buffer"], result: "i32" },
  // int setrlimit(int resource, const struct rlimit *rlim)
  setrlimit: { parameters: ["i32", "buffer"], result: "i32" },
}, { fastCalls: false });

/**
 * Sets the soft limit of `resource` to `soft`, or to the hard limit when that is lower,
 * for a limit that does not bound memory (open files, processes), right before an exec. False when
 * getrlimit or setrlimit failed (errno tells why).
 */
export function setSoftLimit(resource: number, soft: bigint): boolean {
  const pair = new BigUint64Array(2);
  const bytes = new Uint8Array(pair.buffer);
  if (fileLimitCalls.getrlimit(resource, bytes) === -1) return false;
  pair[0] = soft < pair[1]! ? soft : pair[1]!;
  return fileLimitCalls.setrlimit(resource, bytes) !== -1;
}

/** setrlimit(2). */
export function setrlimit(resource: number, limit: Rlimit): void {
  const pair = new BigUint64Array([limit.soft, limit.hard]);
  if (sym.setrlimit(resource, new Uint8Array(pair.buffer)) === -1) throw sysError("setrlimit");
}

/** chroot(2). */
export function chroot(path: string): void {
  if (calls.chroot(cstr(path)) === -1) throw sysError("chroot", path);
}

/**
 * nice(2): adds `increment` to the nice value. -1 is a valid result, so errno is cleared
 * first and only a set errno is an error (as chpst.c does).
 */
export function nice(increment: number): void {
  const call = calls.nice; // bound first: binding may change errno
  clearErrno();
  if (call(increment) === -1) {
    const code = errno();
    if (code !== 0) throw sysError("nice");
  }
}

// Credentials for chpst -u and setuidgid (spec chpst.md §6), called in this order:
// setgroups, setgid, setuid. glibc's setxid broadcast applies each to every thread of the
// multi-threaded Deno process (tests/chpst_exec_test.ts checks /proc/self/task/*).

/** setgroups(2) with exactly `gids`. */
export function setgroups(gids: readonly number[]): void {
  const list = new Uint32Array(gids);
  if (calls.setgroups(BigInt(gids.length), new Uint8Array(list.buffer)) === -1) {
    throw sysError("setgroups");
  }
}

/** setgid(2). */
export function setgid(gid: number): void {
  if (calls.setgid(gid) === -1) throw sysError("setgid");
}

/** setuid(2). */
export function setuid(uid: number): void {
  if (calls.setuid(uid) === -1) throw sysError("setuid");
}
