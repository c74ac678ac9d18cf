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
import { launcherSignals, removedAtStart, restoredAtStart } from "../lib/launch.ts";
import { writeStderr } from "../lib/output.ts";
import { SysError } from "../lib/sys_error.ts";
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
  type CwdKeeper,
  filesAccountDb,
  readEnvDir,
  resolveAccount,
  resolveUserSpec,
} from "../lib/chpst/files.ts";
import {
  applyEnvChanges,
  entryName,
  type EnvChange,
  keptEnviron,
  lookupEnv,
  parseEnviron,
  parseSignalState,
  rawArguments,
  signalRestore,
  type SignalState,
  utf8ByteString,
} from "../lib/chpst/inherit.ts";
import {
  close,
  flock,
  LOCK_EX,
  LOCK_NB,
  O_APPEND,
  O_CLOEXEC,
  O_CREAT,
  O_DIRECTORY,
  O_NONBLOCK,
  O_RDONLY,
  O_WRONLY,
  open,
  preferOneShotCalls,
  setsid,
} from "../ffi/libc.ts";
import {
  chroot,
  fchdir,
  getrlimit,
  nice,
  type PreparedDeath,
  prepareDeath,
  type PreparedExec,
  prepareExec,
  prepareLimits,
  restoreSignals,
  setgid,
  setgroups,
  setuid,
} from "../ffi/exec.ts";

export const meta = { name: "chpst" } as const;

const EXIT_USAGE = 100; // chpst and personalities: usage (chpst.8)
const EXIT_FATAL = 111; // chpst: any failure to change state or to exec (chpst.8)

/** setlock -x: a lock or exec failure ends chpst quietly with 0. */
class QuietExit extends Error {
  override name = "QuietExit";
}

/** What chpst inherited, read first thing: the program must inherit the same. */
interface Inherited {
  signals: SignalState;
  /** `signals` was read before Deno started (the C launcher): its SIGPIPE is the caller's. */
  pipeKnown: boolean;
  environ: string[] | undefined;
  /** The arguments as byte strings (see rawArguments). */
  args: string[];
}

/** The signal state now, from /proc (undefined when /proc cannot be read). */
function currentSignals(): SignalState | undefined {
  try {
    return parseSignalState(Deno.readTextFileSync("/proc/self/status"));
  } catch {
    return undefined;
  }
}

const SIGPIPE_BIT = 1n << 12n;
/** Deno arms its own HUP/INT/TERM/USR1 handlers ~500 ms after start (DENO-NOTES §4). */
const DENO_ARMING_MS = 400;

/**
 * The signal state just before the exec. Until Deno's event loop has run ~500 ms it has
 * only ignored SIGPIPE (caught handlers need nothing: exec resets them), so /proc is read
 * again only after that (chpst -l can wait that long, though without the event loop).
 */
function signalsNow(inherited: Inherited): SignalState | undefined {
  if (performance.now() < DENO_ARMING_MS) {
    return { ignored: inherited.signals.ignored | SIGPIPE_BIT, blocked: inherited.signals.blocked };
  }
  return currentSignals();
}

function readProc(path: string): Uint8Array | undefined {
  try {
    return Deno.readFileSync(path);
  } catch {
    return undefined;
  }
}

/** The environment chpst was started with (see lib/chpst/inherit.ts), if /proc has it. */
function initialEnviron(): string[] | undefined {
  const block = readProc("/proc/self/environ");
  return block === undefined ? undefined : parseEnviron(block);
}

/**
 * The environment to pass on (byte strings): the initial one minus what lib/launch.ts
 * removed at start-up (the launcher's variables, Deno's PATH shim). Nothing else changes
 * the environment before the exec (env dir changes apply to this list), so no
 * Deno.env.toObject() is needed (~0.1 ms). Without /proc, Deno's environment as it is.
 */
function environList(initial: readonly string[] | undefined): string[] {
  if (initial !== undefined) {
    const removed = removedAtStart();
    const kept = keptEnviron(initial, (name) => !removed.has(name));
    const restored = restoredAtStart();
    if (restored.size === 0) return kept;
    // The caller's DENO_DIR and the like, back under their names, where the caller had them.
    return kept.map((entry) => {
      const name = restored.get(entryName(entry));
      return name === undefined ? entry : name + entry.slice(entry.indexOf("="));
    });
  }
  return Object.entries(Deno.env.toObject()).map(([name, value]) =>
    utf8ByteString(`${name}=${value}`)
  );
}

/**
 * The way back from the env dir: by path, or, when the current directory has no path
 * (removed), by an fd on "." and fchdir as runit does (FFI only then: start-up cost).
 */
function cwdKeeper(): CwdKeeper {
  let path: string | undefined;
  let fd = -1;
  return {
    save: () => {
      try {
        path = Deno.cwd();
      } catch {
        fd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      }
    },
    restore: () => {
      if (path !== undefined) return Deno.chdir(path);
      fchdir(fd);
      close(fd);
    },
  };
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

const encoder = new TextEncoder();

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
  return (code) => encoder.encode(say.format("fatal: ", text, new SysError(syscall, code)));
}

/**
 * The new soft and hard limits of every limit step, in order, as chpst.c's limit():
 * read the pair, clamp the value to the hard limit; a skipped value sets nothing.
 */
function limitPairs(steps: readonly Step[]): { resource: number; soft: bigint; hard: bigint }[] {
  const pairs: { resource: number; soft: bigint; hard: bigint }[] = [];
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
function setLimits(steps: readonly Step[], program: string, say: Messenger): PreparedDeath {
  const death = prepareDeath(fatalLine(say, `unable to run: ${program}`, "execve"), EXIT_FATAL);
  const limits = prepareLimits(limitPairs(steps));
  const failed = prepareDeath(fatalLine(say, "unable to setrlimit()", "setrlimit"), EXIT_FATAL);
  settleHeap();
  const code = limits.apply();
  if (code !== 0) failed.die(code);
  return death;
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
      // Everything the exec needs is built now, and the signal state restored, before
      // the limits can get in the way (a small RLIMIT_AS or RLIMIT_NOFILE).
      const exec = steps[steps.length - 1] as Extract<Step, { op: "exec" }>;
      const env = applyEnvChanges(environList(inherited.environ), changes);
      const fallbackPath = Deno.env.get("PATH");
      const path = inherited.environ !== undefined
        ? lookupEnv(inherited.environ, "PATH")
        : fallbackPath === undefined
        ? undefined
        : utf8ByteString(fallbackPath);
      const limits = step.op === "limit";
      // The program's words are a suffix of chpst's arguments: take their exact bytes.
      const argv = inherited.args.slice(inherited.args.length - exec.argv.length);
      const file = argv[0]!;
      if (exec.argv[0] !== exec.file) argv[0] = utf8ByteString(exec.argv[0]!); // -b
      prepared = prepareExec({ file, argv, env, path, underLimits: limits });
      // Only what differs is changed: each libc symbol bound costs start-up time.
      const restore = signalRestore(
        inherited.signals,
        limits ? undefined : signalsNow(inherited),
        inherited.pipeKnown,
      );
      restoreSignals(restore, inherited.signals.blocked);
      if (limits) death = setLimits(steps, exec.argv[0]!, say);
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
        changes.push(...readEnvDir(step.dir, {
          strict: step.strict,
          verbose: step.verbose,
          warn: (text, err) => say.warn(text, err),
          cwd: cwdKeeper(),
        }));
        break;
      case "chroot":
        attempt(`unable to change directory: ${step.root}`, () => Deno.chdir(step.root));
        attempt("unable to change root directory", () => chroot("."));
        break;
      case "chdir":
        attempt(`unable to change directory: ${step.dir}`, () => Deno.chdir(step.dir));
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
        attempt(`unable to close ${STDIO_NAMES[step.fd]}`, () => close(step.fd));
        break;
      case "limit":
        break; // all set together above
      case "exec": {
        const code = prepared!.run();
        death?.die(code);
        if (step.quiet) throw new QuietExit();
        throw new FatalError(`unable to run: ${step.argv[0]}`, new SysError("execve", code));
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
  const fromLauncher = launcherSignals();
  const inherited = {
    signals: fromLauncher ?? currentSignals() ?? { ignored: 0n, blocked: 0n },
    pipeKnown: fromLauncher !== undefined,
    environ: initialEnviron(),
    // Deno decodes arguments that are not UTF-8 lossily (U+FFFD): only then are their
    // bytes needed from /proc (~0.1 ms).
    args: rawArguments(
      args.join("\0").includes("\ufffd") ? readProc("/proc/self/cmdline") : undefined,
      args,
    ),
  };
  const request = parse(args, ctx);
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
    if (err.hasReason) say.fatal(err.message, err.reason);
    else say.fatal(err.message);
    return EXIT_FATAL;
  }
}
