import { EACCES, EISDIR, ENOENT, EPERM } from "../errstr.ts";
import { SIGKILL, type SignalState, SIGPIPE, SIGSTOP } from "../signals.ts";
/**
 * What the exec'd program inherits, computed purely (spec chpst.md §5, §8): the signal
 * state chpst got, the environment it got (Deno changes its own), the environment changes
 * applied as runit's pathexec_env_run does, and runit's program search.
 *
 * One module on purpose: chpst's start-up budget pays ~0.25 ms per module loaded.
 */

/**
 * One change to the child's environment: set `name` to `value`, or unset it. Both are
 * byte strings (see {@linkcode byteString}).
 */
export interface EnvChange {
  name: string;
  /** undefined unsets the variable. */
  value: string | undefined;
}

// ---- Signal state ----

/*
 * The signal state chpst inherited, read from `/proc/self/status` (SigIgn, SigBlk) when
 * chpst starts, so that the program it execs inherits the same (see ffi/exec.ts
 * restoreSignals). Read at start: Deno replaces inherited SIG_IGN for HUP, INT and TERM
 * with its own handlers once its event loop has run ~500 ms, and `-/` may hide /proc.
 */

// Signal sets and their /proc parser live in lib/signals.ts (the daemons read them too).
export { parseSignalState, type SignalState } from "../signals.ts";

/** What has to change so the signal state matches the inherited one. */
export interface SignalRestore {
  /** Signals to set to SIG_IGN. */
  ignore: number[];
  /** Signals to set to SIG_DFL (caught ones need nothing: exec makes them default). */
  reset: number[];
  /** Whether the mask differs and must be set. */
  setMask: boolean;
}

/**
 * SIGKILL, SIGSTOP, and glibc's 32 (it refuses signal() for it, and leaves an inherited
 * disposition alone). Its 33 (SIGSETXID) it catches from start-up: that one is changed
 * through the kernel (ffi/exec.ts setDispositions).
 */
const UNSETTABLE = new Set([SIGKILL, SIGSTOP, 32]);

/** glibc's SIGSETXID: caught by glibc in every process from start-up. */
export const SIGSETXID = 33;

/**
 * The changes from the `current` state (undefined when unknown: change everything) to
 * the `inherited` one. Deno ignores SIGPIPE itself before any JS runs, so an ignored
 * SIGPIPE read from /proc cannot be told from the caller's and is never kept; `pipeKnown`
 * says the inherited state was read before Deno started (the C launcher's
 * `DENIT_SIGNALS`), and an ignored SIGPIPE there is the caller's and is kept, as C chpst
 * passes it on.
 *
 * @example
 * ```ts
 * import { signalRestore } from "./inherit.ts";
 * signalRestore({ ignored: 0x1000n, blocked: 0n }, { ignored: 0x1000n, blocked: 0n });
 * // { ignore: [], reset: [13], setMask: false }
 * ```
 */
export function signalRestore(
  inherited: SignalState,
  current: SignalState | undefined,
  pipeKnown = false,
): SignalRestore {
  const wanted = pipeKnown ? inherited.ignored : inherited.ignored & ~(1n << BigInt(SIGPIPE - 1));
  const ignore: number[] = [];
  const reset: number[] = [];
  for (let signal = 1; signal <= 64; signal++) {
    if (UNSETTABLE.has(signal)) continue;
    const bit = 1n << BigInt(signal - 1);
    const want = (wanted & bit) !== 0n;
    if (current === undefined) {
      (want ? ignore : reset).push(signal);
      continue;
    }
    const have = (current.ignored & bit) !== 0n;
    if (want && !have) ignore.push(signal);
    if (!want && have) reset.push(signal);
  }
  return { ignore, reset, setMask: current === undefined || current.blocked !== inherited.blocked };
}

// ---- Initial environment ----

/*
 * The environment chpst was started with, from `/proc/self/environ`. Deno changes its own
 * environment at start-up: with PATH unset or empty it sets PATH to its
 * `node_compat_bin` directory and adds DENO_NODE_SHIM_ACTIVE=1. runit's chpst passes on
 * (and searches) the environment it got, so the program's environment is rebuilt from the
 * initial one, keeping only variables still present (mod.ts removes the launcher's own).
 */

/**
 * Bytes as a byte string: one UTF-16 unit (0..255) per byte. Environment data travels
 * as byte strings, so values that are not UTF-8 reach the program unchanged, as with C.
 *
 * @example
 * ```ts
 * import { byteString } from "./inherit.ts";
 * byteString(new Uint8Array([0x41, 0xff])); // "A\xff"
 * ```
 */
export function byteString(bytes: Uint8Array): string {
  // `apply` with the typed array itself, not a spread: at start-up (cold) a 2 kB
  // environment took 0.04 ms this way, 0.155 ms spread (medians of 30).
  let text = "";
  for (let i = 0; i < bytes.length; i += 8192) {
    text += fromCharCodes.apply(null, bytes.subarray(i, i + 8192) as unknown as number[]);
  }
  return text;
}

const fromCharCodes: (...codes: number[]) => string = String.fromCharCode;

const utf8 = new TextEncoder();

/** A JS string as the byte string of its UTF-8 encoding. */
export function utf8ByteString(text: string): string {
  return byteString(utf8.encode(text));
}

/** The bytes of a byte string, with a terminating NUL (a C string). */
export function byteStringCstr(text: string): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(text.length + 1);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

/** A byte string decoded as UTF-8 (what Deno's own APIs see). */
export function byteStringText(text: string): string {
  // ASCII is the same either way (nearly every name): no decoding.
  let ascii = true;
  for (let i = 0; i < text.length && ascii; i++) ascii = text.charCodeAt(i) < 0x80;
  if (ascii) return text;
  return new TextDecoder().decode(byteStringCstr(text).subarray(0, text.length));
}

/**
 * Splits an environ block (NUL-terminated `NAME=value` strings) into byte-string entries.
 *
 * @example
 * ```ts
 * import { parseEnviron } from "./inherit.ts";
 * parseEnviron(new TextEncoder().encode("A=1\0B=2\0")); // ["A=1", "B=2"]
 * ```
 */
export function parseEnviron(block: Uint8Array): string[] {
  // Straight to a byte string: a TextDecoder's first decode costs chpst ~0.2 ms at
  // start-up, this 0.04 ms for a 2 kB environment (medians of 30).
  return byteString(block).split("\0").filter((entry) => entry !== "");
}

/**
 * The program's arguments as byte strings: the last `args.length` words of
 * `/proc/self/cmdline` (Deno's own argv decodes bytes that are not UTF-8 lossily), when
 * they match `args`; otherwise `args` re-encoded.
 *
 * @example
 * ```ts
 * import { rawArguments } from "./inherit.ts";
 * rawArguments(new TextEncoder().encode("deno\0run\0x.ts\0-e\0\0"), ["-e", ""]); // ["-e", ""]
 * ```
 */
export function rawArguments(cmdline: Uint8Array | undefined, args: readonly string[]): string[] {
  if (cmdline !== undefined) {
    const words = byteString(cmdline).split("\0");
    words.pop(); // after the last NUL
    const tail = words.slice(Math.max(0, words.length - args.length));
    if (tail.length === args.length && tail.every((raw, i) => byteStringText(raw) === args[i])) {
      return tail;
    }
  }
  // ASCII (nearly always) is its own encoding: one native encode tells.
  const joined = args.join("\0");
  if (utf8.encode(joined).length === joined.length) return [...args];
  return args.map(utf8ByteString);
}

/** The name part of a `NAME=value` entry (the whole entry when it has no `=`). */
export function entryName(entry: string): string {
  const split = entry.indexOf("=");
  return split === -1 ? entry : entry.slice(0, split);
}

/**
 * The initial entries whose variable still exists now (in their original order and
 * with their original values), dropping what was removed since start.
 *
 * @example
 * ```ts
 * import { keptEnviron } from "./inherit.ts";
 * keptEnviron(["A=1", "DENIT_ARGV0=x"], (name) => name === "A"); // ["A=1"]
 * ```
 */
export function keptEnviron(
  initial: readonly string[],
  present: (name: string) => boolean,
): string[] {
  return initial.filter((entry) => present(entryName(entry)));
}

/** The value of `name` in an entry list, or undefined. */
export function lookupEnv(entries: readonly string[], name: string): string | undefined {
  const entry = entries.find((e) => entryName(e) === name && e.length > name.length);
  return entry === undefined ? undefined : entry.slice(name.length + 1);
}

// ---- Environment changes and program search ----

/*
 * The child's environment and the program search, as runit's pathexec does
 * (runit src/pathexec_env.c, pathexec_run.c; spec chpst.md §5, §8).
 */

/**
 * Applies changes to an environment list exactly as `pathexec_env_run()`: for each
 * change in order, the first entry of that name is removed by moving the last entry into
 * its slot, then `NAME=VALUE` is appended unless the change is an unset.
 *
 * @example
 * ```ts
 * import { applyEnvChanges } from "./inherit.ts";
 * applyEnvChanges(["A=1", "B=2", "C=3"], [{ name: "A", value: "x" }]); // ["C=3", "B=2", "A=x"]
 * ```
 */
export function applyEnvChanges(
  environ: readonly string[],
  changes: readonly EnvChange[],
): string[] {
  const env = [...environ];
  for (const { name, value } of changes) {
    // runit splits the change at its first `=`: a file `A=B` holding x is `A=B=x`,
    // which replaces variable A.
    const split = name.indexOf("=");
    const key = split === -1 ? name : name.slice(0, split);
    const index = env.findIndex((entry) => entry.startsWith(key + "="));
    if (index !== -1) {
      env[index] = env[env.length - 1]!;
      env.pop();
    }
    if (value !== undefined) env.push(`${name}=${value}`);
    else if (split !== -1) env.push(name);
  }
  return env;
}

/**
 * The paths pathexec_run tries for `file` (all byte strings): the file itself when it holds a `/`, else each
 * PATH element (empty means `.`) joined with it; PATH defaults to `/bin:/usr/bin`.
 *
 * @example
 * ```ts
 * import { execCandidates } from "./inherit.ts";
 * execCandidates("true", ":/bin"); // ["./true", "/bin/true"]
 * ```
 */
export function execCandidates(file: string, path: string | undefined): string[] {
  if (file.includes("/")) return [file];
  return (path ?? "/bin:/usr/bin").split(":").map((dir) => `${dir === "" ? "." : dir}/${file}`);
}

/**
 * Whether the search goes on after an exec failure with `errno`: "does not exist",
 * "access denied", "permission denied" and "is a directory" go on; anything else stops.
 */
export function searchContinues(errno: number): boolean {
  return errno === ENOENT || errno === EACCES || errno === EPERM || errno === EISDIR;
}

/**
 * runit's `savederrno` after one more failed candidate: the latest errno that was not
 * ENOENT. Start from 0; when the search ends, {@linkcode searchResult} gives the errno to
 * report. Numbers only: the exec loop may run under chpst's memory limits.
 */
export function rememberErrno(saved: number, errno: number): number {
  return errno !== ENOENT ? errno : saved;
}

/** The errno reported when nothing could be run: the remembered one, or ENOENT. */
export function searchResult(saved: number): number {
  return saved !== 0 ? saved : ENOENT;
}
