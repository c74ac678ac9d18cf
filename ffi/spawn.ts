/**
 * posix_spawn(3) through FFI: the only way denit's supervisors start children
 * (ARCHITECTURE.md §2; DENO-NOTES.md §2, §4).
 *
 * Every child gets an empty signal mask and SIG_DFL for every signal (SETSIGDEF with a
 * full set): Deno ignores SIGPIPE and children must not inherit that (`ignored` names the
 * exceptions sv's `check` needs). Deno opens all of
 * its own fds close-on-exec, so a child sees only 0, 1, 2 and the fds named in `fds`.
 */

import { bindLibcAll, cstr, cStringBytes, signalBits } from "./libc.ts";
import { loadedNativeLibrary, type NativeLibrary, nativeLibrary } from "./native.ts";
import { SysError } from "../lib/sys_error.ts";
import { type CallerLimit, callerLimits, settleEnvironment } from "../lib/launch.ts";
import { decodeEscaped, useEscapedText } from "../lib/escaped_text.ts";

// One dlopen for the whole group, without fast-call trampolines: a spawn makes ~15 calls,
// while binding each symbol on its own with a trampoline cost the first spawn of every
// supervising process ~4 ms (12 dlopens and JIT compiles, measured with strace); each
// call now costs ~1 µs more.
// The declarations come from a function declaration, read on the first spawn: they are
// not parsed or built when the module loads (sv loads this module for `check` scripts).
function spawnDefs() {
  return {
    // int posix_spawn(pid_t *, const char *, const posix_spawn_file_actions_t *,
    //                 const posix_spawnattr_t *, char *const argv[], char *const envp[])
    posix_spawn: {
      parameters: ["buffer", "buffer", "buffer", "buffer", "buffer", "pointer"],
      result: "i32",
    },
    posix_spawnp: {
      parameters: ["buffer", "buffer", "buffer", "buffer", "buffer", "pointer"],
      result: "i32",
    },
    // char **environ: its address (a static read as a pointer is the symbol's address)
    environ: { name: "environ", type: "pointer" },
    posix_spawn_file_actions_init: { parameters: ["buffer"], result: "i32" },
    posix_spawn_file_actions_destroy: { parameters: ["buffer"], result: "i32" },
    posix_spawn_file_actions_adddup2: { parameters: ["buffer", "i32", "i32"], result: "i32" },
    posix_spawn_file_actions_addclose: { parameters: ["buffer", "i32"], result: "i32" },
    posix_spawn_file_actions_addopen: {
      parameters: ["buffer", "i32", "buffer", "i32", "u32"],
      result: "i32",
    },
    posix_spawn_file_actions_addchdir_np: { parameters: ["buffer", "buffer"], result: "i32" },
    posix_spawnattr_init: { parameters: ["buffer"], result: "i32" },
    posix_spawnattr_setflags: { parameters: ["buffer", "i16"], result: "i32" },
    posix_spawnattr_setsigmask: { parameters: ["buffer", "buffer"], result: "i32" },
    posix_spawnattr_setsigdefault: { parameters: ["buffer", "buffer"], result: "i32" },
    posix_spawnattr_setpgroup: { parameters: ["buffer", "i32"], result: "i32" },
    sigemptyset: { parameters: ["buffer"], result: "i32" },
  } as const;
}
const sym = /* @__PURE__ */ bindLibcAll(spawnDefs, { fastCalls: false });

// glibc x86_64: file actions 80 B, attributes 336 B, sigset 128 B; oversized on purpose.
const FILE_ACTIONS_SIZE = 256;
const ATTR_SIZE = 512;
const SIGSET_SIZE = 128;

const POSIX_SPAWN_SETPGROUP = 0x02;
const POSIX_SPAWN_SETSIGDEF = 0x04;
const POSIX_SPAWN_SETSIGMASK = 0x08;
const POSIX_SPAWN_SETSID = 0x80;

/** What to start and how. */
export interface SpawnOptions {
  /** argv; argv[0] is also the path unless `path` is given. */
  argv: readonly string[];
  /** The file to execute; defaults to argv[0]. */
  path?: string;
  /** Search PATH for `path` (posix_spawnp). */
  searchPath?: boolean;
  /** "NAME=value" strings; defaults to this process's environment. */
  env?: readonly string[];
  /** Working directory of the child. */
  cwd?: string;
  /** dup2(from, to) in order, before exec. */
  fds?: ReadonlyArray<readonly [from: number, to: number]>;
  /** open(path, flags, mode) onto fd, before exec (e.g. /dev/null onto 0). */
  opens?: ReadonlyArray<{ fd: number; path: string; flags: number; mode?: number }>;
  /** fds to close in the child. */
  closes?: readonly number[];
  /** New session (setsid): new session and process group. */
  setsid?: boolean;
  /** Process group to join; 0 makes a new group led by the child. */
  pgroup?: number;
  /**
   * Signals the child starts with ignored instead of SIG_DFL (runit's children inherit
   * their caller's SIG_IGN). Through posix_spawn they keep this process's disposition,
   * so the caller ignores them itself first.
   */
  ignored?: readonly number[];
}

const encoder = new TextEncoder();

/**
 * A NULL-terminated `char *[]` for `items`. An all-ASCII list is one block of C strings
 * made by one native encode (35 environment strings: ~0.3 ms of every spawn as one
 * TextEncoder call, one BigInt and one pointer lookup per string, measured in runsv);
 * other lists take a C string each.
 */
function pointerArray(
  items: readonly string[],
): { array: BigUint64Array<ArrayBuffer>; keep: Uint8Array[] } {
  const array = new BigUint64Array(items.length + 1);
  const block = encoder.encode(items.join("\0") + "\0");
  let chars = 0;
  for (const item of items) chars += item.length;
  if (block.length === chars + items.length) {
    // One byte per character: each string starts right after the previous one's NUL.
    const base = Number(Deno.UnsafePointer.value(Deno.UnsafePointer.of(block)));
    let offset = 0;
    for (let i = 0; i < items.length; i++) {
      array[i] = BigInt(base + offset);
      offset += items[i]!.length + 1;
    }
    return { array, keep: [block] };
  }
  const keep = items.map(cstr);
  keep.forEach((bytes, i) => {
    array[i] = BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(bytes)));
  });
  return { array, keep };
}

/**
 * The C library's `environ` as it is now, the launcher's variables cleared (Deno.env
 * writes through to it): every variable with its exact bytes, also those that are not
 * UTF-8, which `Deno.env.toObject()` leaves out (control scripts, processors and `check`
 * get the environment runit's would).
 */
function currentEnviron(): Deno.PointerValue {
  settleEnvironment();
  return new Deno.UnsafePointerView(sym.environ as Deno.PointerObject).getPointer();
}

/**
 * This process's environment as "NAME=value" strings, the launcher's variables cleared,
 * read from the C library's `environ` in its order. An entry that is not UTF-8 keeps its
 * bytes in lib/escaped_text.ts's form, and the process's C strings are then encoded to
 * match: `Deno.env.toObject()` leaves such a variable out (process 1's stages started
 * without it). A kernel passes init the words of its command line it does not know as
 * variables, bytes as they are.
 */
export function currentEnv(): string[] {
  const list = currentEnviron();
  if (list === null) return [];
  const view = new Deno.UnsafePointerView(list);
  const entries: string[] = [];
  for (let at = 0;; at += 8) {
    const entry = view.getPointer(at);
    if (entry === null) return entries;
    const text = Deno.UnsafePointerView.getCString(entry);
    if (!text.includes("\uFFFD")) {
      entries.push(text);
      continue;
    }
    entries.push(decodeEscaped(cStringBytes(new Deno.UnsafePointerView(entry))));
    useEscapedText();
  }
}

function check(call: string, rc: number): void {
  if (rc !== 0) throw new SysError(call, rc);
}

/**
 * Spawn attributes (an empty signal mask, SIG_DFL for every signal but `ignored`, flags),
 * made once per flags value and ignored set and kept: posix_spawn only reads them, and making them took 6 FFI calls of
 * every spawn.
 */
const attrs = new Map<string, Uint8Array<ArrayBuffer>>();

function spawnAttr(
  flags: number,
  pgroup: number | undefined,
  ignored: bigint,
): Uint8Array<ArrayBuffer> {
  const key = pgroup === undefined ? `${flags}/${ignored}` : undefined;
  const kept = key === undefined ? undefined : attrs.get(key);
  if (kept !== undefined) return kept;
  const attr = new Uint8Array(ATTR_SIZE);
  check("posix_spawnattr_init", sym.posix_spawnattr_init(attr));
  const emptyMask = new Uint8Array(SIGSET_SIZE);
  sym.sigemptyset(emptyMask);
  sym.posix_spawnattr_setsigmask(attr, emptyMask);
  // Signals 1-64, set by hand: glibc's sigfillset leaves out its own 32 and 33, and its
  // posix_spawn then gives those SIG_IGN in the child, which keeps them past the exec
  // (C runit's fork and exec leave them at SIG_DFL).
  // Those to start ignored are left out: the child keeps this process's SIG_IGN.
  const defaulted = new Uint8Array(SIGSET_SIZE);
  new DataView(defaulted.buffer).setBigUint64(0, ~ignored & 0xffff_ffff_ffff_ffffn, true);
  sym.posix_spawnattr_setsigdefault(attr, defaulted);
  if (pgroup !== undefined) sym.posix_spawnattr_setpgroup(attr, pgroup);
  sym.posix_spawnattr_setflags(attr, flags);
  // glibc's posix_spawnattr_t holds no pointers: nothing to destroy.
  if (key !== undefined) attrs.set(key, attr);
  return attr;
}

/**
 * Starts a child and returns its pid. Throws SysError carrying the spawn errno (ENOENT,
 * EACCES, ENOEXEC, …): glibc reports exec failures to the parent.
 */
export function spawn(options: SpawnOptions): number {
  settleEnvironment(); // a child never sees the launcher's variables (lib/applet.ts)
  // Soft limits the launcher raised for Deno go back to the child, which posix_spawn
  // cannot do: libdenit.so's child sets them, and this waits for its exec as
  // posix_spawn would.
  const limits = callerLimits();
  const lib = limits.length > 0 && !options.searchPath && !options.opens?.length
    ? nativeLibrary()
    : null;
  if (lib !== null) {
    const pid = startWithoutWaiting(lib, options, () => limits);
    if (pid !== 0) {
      const failure = lib.denit_spawn_wait(pid);
      if (failure !== 0) {
        throw new SysError("posix_spawn", failure, options.path ?? options.argv[0]);
      }
      return pid;
    }
  }
  const actions = new Uint8Array(FILE_ACTIONS_SIZE);
  check("posix_spawn_file_actions_init", sym.posix_spawn_file_actions_init(actions));
  const keep: Uint8Array[] = [];
  try {
    for (const open of options.opens ?? []) {
      const path = cstr(open.path);
      keep.push(path);
      check(
        "posix_spawn_file_actions_addopen",
        sym.posix_spawn_file_actions_addopen(
          actions,
          open.fd,
          path,
          open.flags,
          open.mode ?? 0o644,
        ),
      );
    }
    for (const [from, to] of options.fds ?? []) {
      check(
        "posix_spawn_file_actions_adddup2",
        sym.posix_spawn_file_actions_adddup2(actions, from, to),
      );
    }
    for (const fd of options.closes ?? []) {
      check(
        "posix_spawn_file_actions_addclose",
        sym.posix_spawn_file_actions_addclose(actions, fd),
      );
    }
    if (options.cwd !== undefined) {
      const cwd = cstr(options.cwd);
      keep.push(cwd);
      check(
        "posix_spawn_file_actions_addchdir_np",
        sym.posix_spawn_file_actions_addchdir_np(actions, cwd),
      );
    }
    let flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
    if (options.setsid) flags |= POSIX_SPAWN_SETSID;
    if (options.pgroup !== undefined) flags |= POSIX_SPAWN_SETPGROUP;
    const attr = spawnAttr(flags, options.pgroup, signalBits(options.ignored));

    const argv = pointerArray(options.argv);
    const envp = options.env !== undefined ? pointerArray(options.env) : undefined;
    const path = cstr(options.path ?? options.argv[0] ?? "");
    const pid = new Int32Array(1);
    const call = options.searchPath ? sym.posix_spawnp : sym.posix_spawn;
    const rc = call(
      new Uint8Array(pid.buffer),
      path,
      actions,
      attr,
      new Uint8Array(argv.array.buffer),
      envp !== undefined ? Deno.UnsafePointer.of(envp.array) : currentEnviron(),
    );
    // Keep the C strings alive until after the call.
    void argv.keep.length;
    void envp?.keep.length;
    if (rc !== 0) throw new SysError("posix_spawn", rc, options.path ?? options.argv[0]);
    return pid[0]!;
  } finally {
    sym.posix_spawn_file_actions_destroy(actions);
    void keep.length;
  }
}

// ---- starting a service without waiting for its exec (scripts/spawn.c) ----

const NO_WAIT_SETSID = 1;
const NO_WAIT_SETPGROUP = 2;

/**
 * Starts a child like {@linkcode spawn} (`opens`, `closes` and `searchPath` aside, which
 * go to `spawn`), but returns its pid without waiting for its exec, as C runsv's fork
 * does: posix_spawn sleeps until the child has exec'd, 0.2 to 1.6 ms on this VM. A child
 * whose exec fails then exits 111 instead of making this call throw: ask
 * {@linkcode execFailure} when it is reaped. Throws SysError (EAGAIN, ENOMEM) when no
 * process could be made.
 */
export function spawnNoWait(options: SpawnOptions): number {
  const lib = options.searchPath || options.opens?.length || options.closes?.length
    ? null
    : nativeLibrary();
  if (lib === null) return spawn(options);
  settleEnvironment(); // a child never sees the launcher's variables (lib/applet.ts)
  const pid = startWithoutWaiting(lib, options, callerLimits);
  if (pid === 0) return spawn(options); // every slot in use
  return pid;
}

/**
 * Options started again and again (a supervisor's `./run`): {@linkcode spawnNoWait} then
 * builds their C strings and arrays once and keeps them, where every start would build
 * them again (~0.1 ms of runsv's way from `u` to `stat` on this VM). The options and
 * their arrays are frozen, so what was built cannot go stale.
 */
export function reusableStart(options: SpawnOptions): Readonly<SpawnOptions> {
  const frozen = Object.freeze({
    ...options,
    argv: Object.freeze([...options.argv]),
    ...(options.env !== undefined ? { env: Object.freeze([...options.env]) } : {}),
    ...(options.fds !== undefined
      ? { fds: Object.freeze(options.fds.map((pair) => Object.freeze([...pair] as const))) }
      : {}),
    ...(options.closes !== undefined ? { closes: Object.freeze([...options.closes]) } : {}),
  });
  keptRequests.set(frozen, undefined); // built on its first start
  return frozen;
}

/** What libdenit.so's denit_spawn() is given for one start, in its C forms. */
interface NoWaitRequest {
  path: Uint8Array<ArrayBuffer>;
  argv: Uint8Array<ArrayBuffer>;
  envp: Uint8Array<ArrayBuffer> | null;
  cwd: Uint8Array<ArrayBuffer> | null;
  dups: Uint8Array<ArrayBuffer>;
  dupCount: number;
  flags: number;
  pgroup: number;
  limits: Uint8Array<ArrayBuffer>;
  limitCount: number;
  ignored: bigint;
  /**
   * The C strings that `argv` and `envp` point into: alive as long as the request. A
   * kept request outlives garbage collections: a buffer's address from
   * Deno.UnsafePointer.of stayed the same, and its bytes readable there, across forced
   * minor and major GCs (checked on Deno 2.9.6, a 6-byte encoded name and an 8-byte array).
   */
  keep: Uint8Array[];
}

/** Reusable starts ({@linkcode reusableStart}), with their request once built. */
const keptRequests = new WeakMap<SpawnOptions, NoWaitRequest | undefined>();

function noWaitRequest(options: SpawnOptions, limits: readonly CallerLimit[]): NoWaitRequest {
  const argv = pointerArray(options.argv);
  // No env: the library copies the C library's `environ`, which Deno.env writes through.
  const envp = options.env !== undefined ? pointerArray(options.env) : undefined;
  // A pair whose second is -1 closes the first.
  const dups = new Int32Array([
    ...(options.fds ?? []).flat(),
    ...(options.closes ?? []).flatMap((fd) => [fd, -1]),
  ]);
  const limitPairs = new BigInt64Array(limits.flatMap((l) => [BigInt(l.resource), l.soft]));
  let flags = 0;
  if (options.setsid) flags |= NO_WAIT_SETSID;
  else if (options.pgroup !== undefined) flags |= NO_WAIT_SETPGROUP;
  return {
    path: cstr(options.path ?? options.argv[0] ?? ""),
    argv: new Uint8Array(argv.array.buffer),
    envp: envp !== undefined ? new Uint8Array(envp.array.buffer) : null,
    cwd: options.cwd !== undefined ? cstr(options.cwd) : null,
    dups: new Uint8Array(dups.buffer),
    dupCount: dups.length / 2,
    flags,
    pgroup: options.pgroup ?? 0,
    limits: new Uint8Array(limitPairs.buffer),
    limitCount: limits.length,
    ignored: signalBits(options.ignored),
    keep: [...argv.keep, ...(envp?.keep ?? [])],
  };
}

/**
 * libdenit.so's start of `options` (no `opens` or `searchPath`), its child setting the
 * soft limits `limits()` names: the pid, or 0 when every slot is in use. Throws SysError
 * when no process could be made.
 */
function startWithoutWaiting(
  lib: NativeLibrary,
  options: SpawnOptions,
  limits: () => readonly CallerLimit[],
): number {
  // The caller's limits are settled with its environment, before the first start: a
  // request built once stays right.
  let request = keptRequests.get(options);
  if (request === undefined) {
    request = noWaitRequest(options, limits());
    if (keptRequests.has(options)) keptRequests.set(options, request);
  }
  const pid = lib.denit_spawn(
    request.path,
    request.argv,
    request.envp,
    request.cwd,
    request.dups,
    request.dupCount,
    request.flags,
    request.pgroup,
    request.limits,
    request.limitCount,
    request.ignored,
  );
  // The library copied every string before the clone: nothing here needs to outlive it.
  void request.keep.length;
  if (pid < 0) throw new SysError("clone", -pid, options.path ?? options.argv[0]);
  return pid;
}

/**
 * The errno with which a child of {@linkcode spawnNoWait} failed to exec (or to set up
 * before it), once it has exited: 0 when it exec'd or came from posix_spawn. Ask once,
 * when the pid is reaped.
 */
export function execFailure(pid: number): number {
  return loadedNativeLibrary()?.denit_spawn_failure(pid) ?? 0;
}
