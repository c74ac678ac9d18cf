/**
 * The process boundary shared by `mod.ts` (generic dispatch) and the per-applet entry
 * files that `make install` bundles: reading argv[0], clearing the launcher's variables,
 * and turning an applet's result into the exit code. With mod.ts, the only module that
 * calls `Deno.exit`.
 *
 * argv[0] comes from `DENIT_ARGV0` (set by the source launcher, scripts/launcher.c, which
 * execs Deno and so cannot leave argv[0] in place), else `/proc/self/cmdline`.
 */

import type { AppletMeta, AppletModule } from "./applet.ts";
import { close, fchdir, setSignalDisposition } from "../ffi/libc.ts";
import { envValue, splitAtNul } from "./env.ts";
import { decodeEscaped, takeExactEnv, useEscapedText } from "./escaped_text.ts";
import { baseName } from "./msg.ts";
import { onBrokenPipe, writeStderr } from "./output.ts";

/** argv[0] as the user gave it, or "" when it cannot be found. */
export function rawArgv0(): string {
  // argv[0] need not be UTF-8: its bytes are kept (lib/escaped_text.ts), and then printed
  // as they came (runApplet sets the process's text encoding).
  const fromLauncher = takeExactEnv("DENIT_ARGV0");
  if (fromLauncher !== undefined) return fromLauncher;
  try {
    const cmdline = Deno.readTextFileSync("/proc/self/cmdline");
    return cmdline.slice(0, cmdline.indexOf("\0"));
  } catch {
    return "";
  }
}

/**
 * The variables removed from the environment at start-up (the launcher's, Deno's PATH
 * shim), kept by {@linkcode takeArgv0} like the signal state below: chpst passes on its
 * initial environment minus exactly these (no Deno.env.toObject() on its hot path).
 */
const removedNames = new Set<string>();

function remove(name: string): void {
  Deno.env.delete(name);
  removedNames.add(name);
}

/** The names {@linkcode takeArgv0} removed from the environment. */
export function removedAtStart(): ReadonlySet<string> {
  return removedNames;
}

/**
 * The caller's DENO_* variables (a Deno program among the services may want DENO_DIR or
 * DENO_V8_FLAGS) must not steer the Deno that runs the applet: the launchers pass them as
 * DENIT_CALLER_NAME, in place, with DENIT_CALLERS=1, and they are given back here.
 */
export const CALLER_PREFIX = "DENIT_CALLER_";
/** What the C launcher adds (scripts/launcher.c), removed when DENIT_LAUNCHER is set. */
export const LAUNCHER_VARIABLES = [
  "DENIT_LAUNCHER",
  "DENO_DIR",
  "DENO_NO_UPDATE_CHECK",
  "DENIT_SELF",
  "DENIT_SIGNALS",
  "DENIT_CWD_FD",
  "DENIT_RLIMITS",
  "DENIT_CALLERS",
  "DENIT_TRIMMED_ARGS",
  "DENIT_CLOSED_FDS",
] as const;

/** The name a travelling caller variable (`DENIT_CALLER_DENO_X`) stands for, if it is one. */
export function callerVariableName(travelling: string): string | undefined {
  return travelling.startsWith(CALLER_PREFIX + "DENO_")
    ? travelling.slice(CALLER_PREFIX.length)
    : undefined;
}
/** What every launcher (the sh ones too) may add, always removed. */
export const ENTRY_VARIABLES = ["DENIT_APPLET", "DENIT_ARGV0"] as const;

/** What the caller's variables were given back as, keyed by the travelling name. */
const restoredNames = new Map<string, string>();

/** DENIT_CALLER_NAME → NAME for what {@linkcode takeArgv0} gave back to the caller. */
export function restoredAtStart(): ReadonlyMap<string, string> {
  return restoredNames;
}

function restoreCallers(): void {
  for (const travelling of Object.keys(Deno.env.toObject())) {
    const name = callerVariableName(travelling);
    const value = name === undefined ? undefined : envValue(travelling);
    if (name === undefined || value === undefined) continue;
    Deno.env.delete(travelling);
    Deno.env.set(name, value);
    restoredNames.set(travelling, name);
  }
}

/**
 * Undoes what Deno adds to the environment when PATH is unset or empty (as the kernel
 * starts init): PATH=<DENO_DIR>/node_compat_bin and DENO_NODE_SHIM_ACTIVE=1. Stage scripts
 * and services must see the environment runit would pass on, where sh then uses its own
 * default PATH.
 */
function restoreDenoShimmedPath(): void {
  if (Deno.env.get("DENO_NODE_SHIM_ACTIVE") === undefined) return;
  remove("DENO_NODE_SHIM_ACTIVE");
  const path = envValue("PATH") ?? "";
  const kept = path.split(":").filter((dir) => !dir.endsWith("/node_compat_bin"));
  if (kept.length > 0 && kept.some((dir) => dir !== "")) {
    Deno.env.set("PATH", kept.join(":"));
    return;
  }
  // Deno does this for an empty PATH as well as for none: the initial environment says
  // which it was (`env PATH= chpst prog` passes on PATH= as runit does).
  let hadPath = false;
  try {
    hadPath = ("\0" + Deno.readTextFileSync("/proc/self/environ")).includes("\0PATH=");
  } catch {
    // no /proc (process 1 before stage 1 mounts it): the kernel passes no PATH
  }
  if (hadPath) Deno.env.set("PATH", "");
  else remove("PATH");
}

/**
 * The signal state the C launcher inherited (`DENIT_SIGNALS`, "IGN:BLK" in hex), kept by
 * {@linkcode takeArgv0} for chpst. Set once per process, before any applet runs, like
 * Deno.args: the process boundary's one piece of state.
 */
let signalText: string | undefined;

/**
 * The ignored and blocked signal sets the launcher was started with, as kernel masks (bit
 * n-1 for signal n), or undefined when the launcher did not pass them (the sh launcher,
 * `deno run mod.ts`): then only /proc/self/status has them.
 */
export function launcherSignals(): { ignored: bigint; blocked: bigint } | undefined {
  // An applet that settles late (sv) still has the launcher's variable.
  if (!settled && Deno.env.get("DENIT_LAUNCHER") !== undefined) {
    return parseLauncherSignals(Deno.env.get("DENIT_SIGNALS"));
  }
  return parseLauncherSignals(signalText);
}

/** The sets in a `DENIT_SIGNALS` value ("IGN:BLK", hex), or undefined when malformed. */
export function parseLauncherSignals(
  text: string | undefined,
): { ignored: bigint; blocked: bigint } | undefined {
  if (text === undefined || text.length !== 33 || text[16] !== ":") return undefined;
  return { ignored: BigInt("0x" + text.slice(0, 16)), blocked: BigInt("0x" + text.slice(17)) };
}

/** A soft resource limit the process was given, which Deno runs above (see callerLimits). */
export interface CallerLimit {
  /** RLIMIT_* number. */
  resource: number;
  soft: bigint;
}

/**
 * Where {@linkcode settleEnvironment} keeps `DENIT_RLIMITS`: on the global object, not in
 * this module, because process 1 loads the supervision tree as a bundle of its own
 * (entry/runsvdir_tree.js), whose copy of this module never sees the launcher's variable.
 */
const LIMITS_KEY = Symbol.for("denit.callerLimits");
type LimitsHolder = { [LIMITS_KEY]?: string | undefined };

/**
 * The soft limits the process was given that Deno runs above (`DENIT_RLIMITS`,
 * scripts/launcher.c fit_limits: those the launcher raised because Deno cannot start under
 * them, and an open-files limit Deno raises itself), to be given back to every child and
 * to chpst's program; empty when there are none.
 */
export function callerLimits(): readonly CallerLimit[] {
  if (!settled && Deno.env.get("DENIT_LAUNCHER") !== undefined) {
    return parseCallerLimits(Deno.env.get("DENIT_RLIMITS"));
  }
  return parseCallerLimits((globalThis as LimitsHolder)[LIMITS_KEY]);
}

/** The limits in a `DENIT_RLIMITS` value ("RESOURCE:SOFT,...", decimal); malformed: none. */
export function parseCallerLimits(text: string | undefined): readonly CallerLimit[] {
  if (text === undefined || text === "") return [];
  const limits: CallerLimit[] = [];
  for (const item of text.split(",")) {
    const match = /^(\d{1,2}):(\d{1,20})$/.exec(item);
    if (match === null) return [];
    limits.push({ resource: Number(match[1]), soft: BigInt(match[2]!) });
  }
  return limits;
}

/** Where {@linkcode settleEnvironment} keeps `DENIT_CLOSED_FDS` (see LIMITS_KEY for why). */
const CLOSED_KEY = Symbol.for("denit.closedAtStart");
type ClosedHolder = { [CLOSED_KEY]?: string | undefined };

/**
 * Which of fds 0-2 the caller left closed (`DENIT_CLOSED_FDS`, scripts/launcher.c
 * closed_stdio): Deno's start opened /dev/null on them before any JavaScript ran.
 */
export function closedAtStart(): readonly number[] {
  const text = !settled && Deno.env.get("DENIT_LAUNCHER") !== undefined
    ? Deno.env.get("DENIT_CLOSED_FDS")
    : (globalThis as ClosedHolder)[CLOSED_KEY];
  return parseClosedFds(text);
}

/** The fds in a `DENIT_CLOSED_FDS` value ("02"); anything but digits 0-2: none. */
export function parseClosedFds(text: string | undefined): readonly number[] {
  if (text === undefined || !/^[012]{1,3}$/.test(text)) return [];
  return [...new Set([...text].map(Number))];
}

/** Reads argv[0] and clears the launcher's variables so services do not inherit them. */
export function takeArgv0(): string {
  const argv0 = rawArgv0();
  settleEnvironment();
  return argv0;
}

let settled = false;

/**
 * Clears the launcher's variables and gives the caller's own back, once: at start-up for
 * most applets, before the first child for one whose meta says `settleEnvironmentLate`
 * (ffi/spawn.ts calls this before every spawn).
 */
export function settleEnvironment(): void {
  if (settled) return;
  settled = true;
  restoreDenoShimmedPath();
  if (Deno.env.get("DENIT_LAUNCHER") !== undefined) {
    // The launcher's own settings must not leak into services and their children.
    signalText = Deno.env.get("DENIT_SIGNALS");
    (globalThis as LimitsHolder)[LIMITS_KEY] = Deno.env.get("DENIT_RLIMITS");
    (globalThis as ClosedHolder)[CLOSED_KEY] = Deno.env.get("DENIT_CLOSED_FDS");
    const callers = envValue("DENIT_CALLERS") !== undefined;
    for (const name of LAUNCHER_VARIABLES) remove(name);
    if (callers) restoreCallers(); // after: the launcher's DENO_DIR is gone by then
  }
  for (const name of ENTRY_VARIABLES) remove(name);
}

/**
 * Goes back into the caller's working directory when it had been removed: Deno cannot
 * start in one, so the C launcher started it in "/" and kept the directory as an fd
 * (`DENIT_CWD_FD`). Relative names then fail as they would for C runit's tools, and
 * children start there. FFI only in that case.
 */
export function returnToRemovedCwd(): void {
  const text = Deno.env.get("DENIT_CWD_FD");
  if (text === undefined) return;
  remove("DENIT_CWD_FD");
  const fd = Number(text);
  if (!Number.isInteger(fd) || fd < 0) return;
  try {
    fchdir(fd);
    close(fd);
  } catch {
    // Not the launcher's fd after all: stay in "/".
  }
}
const SIGPIPE = 13;

/**
 * Dies of SIGPIPE, as a process that had left it at its default would have; when the
 * caller had it ignored (as the launcher saw it), runit's tool would get EPIPE and go on:
 * so does the applet, the message lost.
 */
function dieOfBrokenPipe(): void {
  const ignored = launcherSignals()?.ignored ?? 0n;
  if ((ignored >> BigInt(SIGPIPE - 1) & 1n) === 1n) return;
  try {
    setSignalDisposition(SIGPIPE, "default");
    Deno.kill(Deno.pid, "SIGPIPE");
  } catch {
    // No libc: the shell's code for it instead.
  }
  Deno.exit(128 + SIGPIPE);
}

/** Sets up what an applet's meta asks of the process before its main runs. */
export function applyMeta(meta: AppletMeta): void {
  if (meta.brokenPipeKills) onBrokenPipe(dieOfBrokenPipe);
}

/** Reports a bug without a stack trace, in runit's warning shape. */
export function internalError(err: unknown): void {
  const text = err instanceof Error ? err.message : String(err);
  writeStderr(`denit: warning: internal error: ${text}\n`);
}

/** Ends the process with the applet's code, or 111 after an uncaught error. */
function finish(result: number | Promise<number>): void {
  // No top-level await anywhere on this path: it costs ~1.3 ms of start-up (measured).
  if (typeof result === "number") Deno.exit(result);
  result.then((code) => Deno.exit(code), (err) => {
    internalError(err);
    Deno.exit(111);
  });
}

/**
 * Runs `main` as the process: rejections are reported, never fatal; the result exits.
 *
 * `main` runs from a microtask, not from the module's own top-level code: the first
 * exception thrown while a module's top-level function is on the stack makes V8 reparse
 * the whole module for its source positions — ~1 ms for a 28 kB bundle (chpst's usage
 * path: 0.85-1.0 ms from the throw to the catch, 0.1 ms from a microtask; marks, median of
 * 5). Errors thrown and caught on the way (Deno's NotFound, a usage error) are normal.
 */
export function guardedMain(main: () => number | Promise<number>): void {
  queueMicrotask(() => runGuarded(main));
}

function runGuarded(main: () => number | Promise<number>): void {
  let result: number | Promise<number>;
  try {
    result = main();
  } catch (err) {
    internalError(err);
    result = 111;
  }
  // A daemon must survive a bug in one of its parts: report it and keep going (an
  // unhandled rejection would otherwise end the process). Added only for a main that
  // returns a promise, before any microtask runs: a number exits at once (chpst execs or
  // exits without turning the event loop), and the first event listener costs ~0.1 ms of
  // start-up (marks, median of 40).
  if (typeof result !== "number") {
    globalThis.addEventListener("unhandledrejection", (event) => {
      event.preventDefault();
      internalError(event.reason);
    });
  }
  finish(result);
}

/**
 * Runs one applet that is already imported: the per-applet entry files that
 * `make install` writes (`src/entry/NAME.ts`, bundled to `NAME.js`) call this, which
 * saves the dynamic import and the dispatch table.
 */
/**
 * Deno.args, with the carriage returns Deno drops from the end of a word given back: runit's
 * tools keep it (`chpst -u daemon\r` is an unknown user there). The launcher says when
 * one did (DENIT_TRIMMED_ARGS); the words are then read from /proc/self/cmdline.
 */
export function launchArguments(): readonly string[] {
  const args = Deno.args;
  if (envValue("DENIT_TRIMMED_ARGS") === undefined) return args;
  try {
    const words = splitAtNul(Deno.readFileSync("/proc/self/cmdline"));
    const tail = words.slice(words.length - args.length);
    // Deno may drop more than one: the word is the same but for its trailing returns.
    const withoutReturns = (text: string) => text.replace(/\r+$/, "");
    return args.map((arg, i) => {
      const word = tail[i] === undefined ? arg : decodeEscaped(tail[i]!);
      if (word === arg || withoutReturns(word) !== withoutReturns(arg)) return arg;
      if (!word.isWellFormed()) useEscapedText();
      return word;
    });
  } catch {
    return args; // no /proc
  }
}

export function runApplet(module: AppletModule): void {
  guardedMain(() => {
    returnToRemovedCwd();
    applyMeta(module.meta);
    // An empty argv[0] from a launcher is the caller's (`exec -a ''`): runit's tools print
    // it as it is. Without a launcher or /proc, the applet's own name stands in.
    const args = launchArguments(); // before the launcher's variables are removed
    const given = envValue("DENIT_ARGV0") !== undefined;
    const raw = module.meta.settleEnvironmentLate ? rawArgv0() : takeArgv0();
    const argv0 = raw === "" && !given ? module.meta.name : raw;
    return module.main(args, { argv0, name: baseName(argv0) });
  });
}
