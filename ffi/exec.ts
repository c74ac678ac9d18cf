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

import { bindLibc, cstr, errno, setSignalDisposition, sysError } from "./libc.ts";
import {
  byteStringCstr,
  execCandidates,
  searchContinues,
  searchErrno,
  type SignalRestore,
} from "../lib/chpst/inherit.ts";

const sym = bindLibc({
  // int execve(const char *path, char *const argv[], char *const envp[])
  execve: { parameters: ["buffer", "buffer", "buffer"], result: "i32" },
  // int sigprocmask(int how, const sigset_t *set, sigset_t *oldset)
  sigprocmask: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
  // int getrlimit(int resource, struct rlimit *rlim)
  getrlimit: { parameters: ["i32", "buffer"], result: "i32" },
  // int setrlimit(int resource, const struct rlimit *rlim)
  setrlimit: { parameters: ["i32", "buffer"], result: "i32" },
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
  // int fchdir(int fd)
  fchdir: { parameters: ["i32"], result: "i32" },
  // int *__errno_location(void)
  __errno_location: { parameters: [], result: "pointer" },
});

function pointerArray(
  items: readonly string[],
  encode: (item: string) => Uint8Array = cstr,
): { array: Uint8Array; keep: Uint8Array[] } {
  const keep = items.map(encode);
  const array = new BigUint64Array(items.length + 1);
  keep.forEach((bytes, i) => {
    array[i] = BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(bytes)));
  });
  return { array: new Uint8Array(array.buffer), keep };
}

/** An exec made ready: C strings built and symbols bound, so running it allocates little. */
export interface PreparedExec {
  /** Tries every candidate path; returns the errno to report if none could be run. */
  run(): number;
}

/**
 * Prepares runit's pathexec_run: `file` is execed directly when it has a `/`, else
 * searched in `path` (chpst's own PATH). Everything is a byte string
 * (lib/chpst/inherit.ts), passed on byte for byte. Done before chpst applies its resource limits:
 * binding an FFI symbol later could fail under a small RLIMIT_AS or RLIMIT_NOFILE, so
 * with `bindAll` every symbol the exec may need is bound now.
 */
export function prepareExec(
  file: string,
  argv: readonly string[],
  env: readonly string[],
  path: string | undefined,
  options: { bindAll?: boolean } = {},
): PreparedExec {
  const candidates = execCandidates(file, path).map(byteStringCstr);
  const args = pointerArray(argv, byteStringCstr);
  const envp = pointerArray(env, byteStringCstr);
  const call = sym.execve; // bound now
  if (options.bindAll) errno(); // binds __errno_location now, before limits apply
  return {
    run(): number {
      const errnos: number[] = [];
      for (const candidate of candidates) {
        call(candidate, args.array, envp.array);
        const code = errno();
        errnos.push(code);
        if (!searchContinues(code)) return code;
      }
      // The C strings stay referenced until here.
      void args.keep.length;
      void envp.keep.length;
      return searchErrno(errnos);
    },
  };
}

const SIG_SETMASK = 2;
const SIGSET_SIZE = 128; // glibc sigset_t

/**
 * Applies a {@linkcode SignalRestore}: SIG_IGN and SIG_DFL where listed, then the mask
 * `blocked` (bit n-1 for signal n) when it has to change. Handlers need nothing: exec
 * makes every caught signal default.
 */
export function restoreSignals(restore: SignalRestore, blocked: bigint): void {
  for (const signal of restore.ignore) setSignalDisposition(signal, "ignore");
  for (const signal of restore.reset) setSignalDisposition(signal, "default");
  if (!restore.setMask) return;
  const set = new Uint8Array(SIGSET_SIZE);
  new DataView(set.buffer).setBigUint64(0, blocked, true); // kernel sigset: bit n-1, LE
  if (sym.sigprocmask(SIG_SETMASK, set, null) === -1) throw sysError("sigprocmask");
}

/** A resource limit pair; RLIM_INFINITY is 2^64-1. */
export interface Rlimit {
  soft: bigint;
  hard: bigint;
}

/** getrlimit(2). */
export function getrlimit(resource: number): Rlimit {
  const pair = new BigUint64Array(2);
  if (sym.getrlimit(resource, new Uint8Array(pair.buffer)) === -1) throw sysError("getrlimit");
  return { soft: pair[0]!, hard: pair[1]! };
}

/** setrlimit(2). */
export function setrlimit(resource: number, limit: Rlimit): void {
  const pair = new BigUint64Array([limit.soft, limit.hard]);
  if (sym.setrlimit(resource, new Uint8Array(pair.buffer)) === -1) throw sysError("setrlimit");
}

/** chroot(2). */
export function chroot(path: string): void {
  if (sym.chroot(cstr(path)) === -1) throw sysError("chroot", path);
}

/**
 * nice(2): adds `increment` to the nice value. -1 is a valid result, so errno is cleared
 * first and only a set errno is an error (as chpst.c does).
 */
export function nice(increment: number): void {
  clearErrno();
  if (sym.nice(increment) === -1) {
    const code = errno();
    if (code !== 0) throw sysError("nice");
  }
}

function clearErrno(): void {
  const ptr = sym.__errno_location();
  if (ptr !== null) new DataView(Deno.UnsafePointerView.getArrayBuffer(ptr, 4)).setInt32(0, 0);
}

/** fchdir(2). */
export function fchdir(fd: number): void {
  if (sym.fchdir(fd) === -1) throw sysError("fchdir");
}

// Credentials for chpst -u and setuidgid (spec chpst.md §6), called in this order:
// setgroups, setgid, setuid. glibc's setxid broadcast applies each to every thread of the
// multi-threaded Deno process (tests/chpst_exec_test.ts checks /proc/self/task/*).

/** setgroups(2) with exactly `gids`. */
export function setgroups(gids: readonly number[]): void {
  const list = new Uint32Array(gids);
  if (sym.setgroups(BigInt(gids.length), new Uint8Array(list.buffer)) === -1) {
    throw sysError("setgroups");
  }
}

/** setgid(2). */
export function setgid(gid: number): void {
  if (sym.setgid(gid) === -1) throw sysError("setgid");
}

/** setuid(2). */
export function setuid(uid: number): void {
  if (sym.setuid(uid) === -1) throw sysError("setuid");
}
