/**
 * chpst — run a program with a changed process state — and its personalities envdir,
 * envuidgid, pgrphack, setuidgid, setlock, softlimit (spec chpst.md; runit src/chpst.c).
 *
 * Parsing and the order of operations are pure (lib/chpst/); this file carries the steps
 * out through FFI and execs the program as its very last act, never yielding to Deno's
 * event loop on the way (so Deno arms none of its own signal handlers meanwhile).
 */

import type { AppletContext } from "../lib/applet.ts";
import { Messenger, usageText } from "../lib/msg.ts";
import { takeExactArguments } from "../lib/escaped_text.ts";
import { writeStderr } from "../lib/output.ts";
import { encodeText } from "../lib/text_encoding.ts";
import { SysError } from "../lib/sys_error.ts";
import { EBADF } from "../lib/errstr.ts";
import { callerLimits, closedAtStart } from "../lib/launch.ts";
import {
  type ChpstRequest,
  ChpstUsageError,
  FatalError,
  parseChpst,
  parsePersonality,
  personalityOf,
  planSteps,
  RLIMIT,
  softLimitFor,
  type Step,
  USAGE_ARGS,
} from "../lib/chpst/request.ts";
import {
  type Credentials,
  filesAccountDb,
  resolveAccount,
  resolveUserSpec,
} from "../lib/chpst/files.ts";
import type { EnvChange } from "../lib/chpst/inherit.ts";
import {
  envDirChanges,
  execFailure,
  EXIT_FATAL,
  type Inherited,
  prepareProgram,
  readInherited,
  reportFatal,
} from "../lib/chpst/process.ts";
import {
  chdirExact,
  close,
  flock,
  LOCK_EX,
  LOCK_NB,
  O_APPEND,
  O_CREAT,
  O_NONBLOCK,
  O_WRONLY,
  open,
  preferOneShotCalls,
  setsid,
  sysError,
} from "../ffi/libc.ts";
import {
  chroot,
  getrlimit,
  nice,
  type PreparedDeath,
  prepareDeath,
  type PreparedExec,
  prepareLimits,
  setgid,
  setgroups,
  setSoftLimit,
  setuid,
} from "../ffi/exec.ts";

export const meta = { name: "chpst", brokenPipeKills: true } as const;

const EXIT_USAGE = 100; // chpst and personalities: usage (chpst.8)

/** setlock -x: a lock or exec failure ends chpst quietly with 0. */
class QuietExit extends Error {
  override name = "QuietExit";
}

function lookUp(spec: string, extended: boolean): Credentials {
  const db = filesAccountDb();
  let result: Credentials | "invalid" | "unknown";
  try {
    result = extended ? resolveUserSpec(spec, db) : resolveAccount(spec, db);
  } catch (err) {
    const what = extended ? "password/group" : "password";
    throw new FatalError(`unable to get ${what} file entry`, err);
  }
  if (result === "invalid") throw new FatalError(`invalid uid/gids: ${spec.slice(1)}`);
  if (result === "unknown") {
    throw new FatalError(extended ? `unknown user/group: ${spec}` : `unknown account: ${spec}`);
  }
  return result;
}

function attempt(text: string, call: () => void): void {
  try {
    call();
  } catch (err) {
    throw new FatalError(text, err);
  }
}

const STDIO_NAMES = ["stdin", "stdout", "stderr"] as const;

/**
 * Allocates garbage until V8's young generation has just been collected (heap use drops),
 * so that the little JS that runs after the limits cannot set off a collection: under a
 * small RLIMIT_AS or RLIMIT_DATA, promoting objects would need new memory and abort Deno.
 * The garbage comes from JSON.parse (native code) in a short loop, so no JS function gets
 * hot enough for a background JIT compile, which could also run after the limits.
 * Costs ~2 ms, only when limits are set.
 */
function settleHeap(): void {
  const chunk = "[" + "[],".repeat(2047) + "[]]"; // 2048 empty arrays
  let before = Deno.memoryUsage().heapUsed;
  let junk: unknown = null;
  for (let round = 0; round < 64; round++) {
    junk = JSON.parse(chunk);
    const now = Deno.memoryUsage().heapUsed;
    if (now < before) break;
    before = now;
  }
  void junk;
}

/** The bytes of `chpst: fatal: TEXT: ERR` for an errno, ahead of time. */
function fatalLine(
  say: Messenger,
  text: string,
  syscall: string,
): (code: number) => Uint8Array<ArrayBuffer> {
  // encodeText: a name that is not UTF-8 is held escaped (lib/escaped_text.ts) and goes out
  // as its own bytes, as writeStderr would send it.
  return (code) => encodeText(say.format("fatal: ", text, new SysError(syscall, code)));
}

/**
 * The new soft and hard limits of every limit step, in order, as chpst.c's limit():
 * read the pair, clamp the value to the hard limit; a skipped value sets nothing. First
 * the soft limits chpst was started with where the launcher raised them for Deno
 * (lib/launch.ts callerLimits): the program gets what runit's chpst would have passed on.
 */
function limitPairs(steps: readonly Step[]): { resource: number; soft: bigint; hard: bigint }[] {
  const pairs: { resource: number; soft: bigint; hard: bigint }[] = [];
  for (const { resource, soft } of callerLimits()) {
    let limit = { soft: 0n, hard: 0n };
    attempt("unable to getrlimit()", () => limit = getrlimit(resource));
    pairs.push({ resource, soft: soft < limit.hard ? soft : limit.hard, hard: limit.hard });
  }
  for (const step of steps) {
    if (step.op !== "limit") continue;
    const resource = RLIMIT[step.name];
    let limit = { soft: 0n, hard: 0n };
    attempt("unable to getrlimit()", () => limit = getrlimit(resource));
    const soft = softLimitFor(step.value, limit.hard);
    if (soft !== undefined) pairs.push({ resource, soft, hard: limit.hard });
  }
  return pairs;
}

/**
 * Sets every limit step's limits in one go, after making ready all that may run after
 * them: once a limit is set only libc may run (see ffi/exec.ts prepareExec). Returns the
 * exit for a failed exec. (Out of runSteps, like takeLock: V8 compiles a function whole
 * on its first call, so code most runs skip stays out of the hot one.)
 */
function setLimits(
  steps: readonly Step[],
  exec: Extract<Step, { op: "exec" }>,
  say: Messenger,
): PreparedDeath {
  // setlock -x: an exec that fails ends chpst quietly with 0, under limits too.
  const death = exec.quiet
    ? prepareDeath(() => new Uint8Array(0), 0)
    : prepareDeath(fatalLine(say, `unable to run: ${exec.argv[0]}`, "execve"), EXIT_FATAL);
  const limits = prepareLimits(limitPairs(steps));
  const failed = prepareDeath(fatalLine(say, "unable to setrlimit()", "setrlimit"), EXIT_FATAL);
  settleHeap();
  const code = limits.apply();
  if (code !== 0) failed.die(code);
  return death;
}

/** A limit that bounds memory: once set, V8 may not map anything new (see setLimits). */
function isMemoryLimit({ resource }: { resource: number }): boolean {
  return resource === RLIMIT.as || resource === RLIMIT.data || resource === RLIMIT.stack;
}

/** chpst -l/-L and setlock: the lock the program holds. */
function takeLock(step: Extract<Step, { op: "lock" }>): void {
  let fd = -1;
  try {
    // Not close-on-exec: the program holds the lock (runit's open_append).
    fd = open(step.file, O_WRONLY | O_NONBLOCK | O_APPEND | O_CREAT, 0o600);
  } catch (err) {
    if (step.quiet) throw new QuietExit();
    throw new FatalError(`unable to open lock: ${step.file}`, err);
  }
  try {
    flock(fd, step.wait ? LOCK_EX : LOCK_EX | LOCK_NB);
  } catch (err) {
    if (step.quiet) throw new QuietExit();
    throw new FatalError(`unable to lock: ${step.file}`, err);
  }
}

/** Carries out the steps; returns only when exec failed (the errno) or never. */
function runSteps(steps: readonly Step[], inherited: Inherited, say: Messenger): number {
  const changes: EnvChange[] = [];
  let prepared: PreparedExec | undefined;
  let death: PreparedDeath | undefined;
  for (const step of steps) {
    if ((step.op === "limit" || step.op === "exec") && prepared === undefined) {
      const exec = steps[steps.length - 1] as Extract<Step, { op: "exec" }>;
      // Memory limits the launcher raised are given back as chpst's own are set.
      const limits = step.op === "limit" || callerLimits().some(isMemoryLimit);
      prepared = prepareProgram(exec, inherited, changes, limits);
      if (limits) death = setLimits(steps, exec, say);
    }
    switch (step.op) {
      case "setsid":
        try {
          setsid();
        } catch {
          // runit ignores it: chpst may already lead a process group.
        }
        break;
      case "envdir":
        changes.push(...envDirChanges(step, say));
        break;
      case "chroot":
        attempt(`unable to change directory: ${step.root}`, () => chdirExact(step.root));
        attempt("unable to change root directory", () => chroot("."));
        break;
      case "chdir":
        attempt(`unable to change directory: ${step.dir}`, () => chdirExact(step.dir));
        break;
      case "nice":
        attempt("unable to set nice level", () => nice(step.increment));
        break;
      case "envuser": {
        const { uid, gids } = lookUp(step.spec, step.extended);
        changes.push({ name: "GID", value: String(gids[0]) }, { name: "UID", value: String(uid) });
        break;
      }
      case "setuser": {
        const { uid, gids } = lookUp(step.spec, step.extended);
        attempt("unable to setgroups", () => setgroups(gids));
        attempt("unable to setgid", () => setgid(gids[0]!));
        attempt("unable to setuid", () => setuid(uid));
        break;
      }
      case "lock":
        takeLock(step);
        break;
      case "close":
        attempt(`unable to close ${STDIO_NAMES[step.fd]}`, () => {
          // Closed by the caller (Deno's start opened /dev/null there): runit's close fails.
          if (closedAtStart().includes(step.fd)) throw new SysError("close", EBADF);
          close(step.fd);
        });
        break;
      case "limit":
        break; // all set together above
      case "exec": {
        // Limits that bound no memory (open files, processes), when no limit step set them.
        if (death === undefined) {
          for (const { resource, soft } of callerLimits()) {
            attempt("unable to setrlimit()", () => {
              if (!setSoftLimit(resource, soft)) throw sysError("setrlimit");
            });
          }
        }
        const code = prepared!.run();
        death?.die(code);
        if (step.quiet) throw new QuietExit();
        throw execFailure(step, code);
      }
    }
  }
  return EXIT_FATAL;
}

function parse(args: readonly string[], ctx: AppletContext): ChpstRequest | string {
  const { prog, personality } = personalityOf(ctx.name);
  try {
    return personality === "chpst"
      ? parseChpst(args, ctx.name)
      : parsePersonality(personality, args, ctx.name);
  } catch (err) {
    if (!(err instanceof ChpstUsageError)) throw err;
    const line = err.message === "" ? "" : `${err.message}\n`;
    return line + usageText(prog, USAGE_ARGS[err.usage]);
  }
}

export function main(args: readonly string[], ctx: AppletContext): number {
  // chpst calls each libc function once: binding without fast-call trampolines is cheaper.
  preferOneShotCalls();
  // The signal state from the C launcher, else /proc (the sh launcher, mod.ts dispatch).
  const inherited = readInherited(args); // the program's words: their bytes, from Deno.args
  // Paths that are not UTF-8 (-e, -/, -C, -l) are kept byte for byte, and printed so.
  const exact = takeExactArguments(args);
  const request = parse(exact, ctx);
  if (typeof request === "string") {
    writeStderr(request);
    return EXIT_USAGE;
  }
  const say = new Messenger("chpst");
  try {
    return runSteps(planSteps(request), inherited, say);
  } catch (err) {
    if (err instanceof QuietExit) return 0;
    if (!(err instanceof FatalError)) throw err;
    return reportFatal(err, say);
  }
}
