/**
 * Shared pieces of the runsv and sv black-box tests: a supervisor started on a temp
 * service tree (ours or Debian's C runsv), reading supervise/ files, and cleanup that
 * kills the whole process tree even when a test fails.
 */

import {
  bin,
  exists,
  killTree,
  readOrUndefined,
  run,
  type RunResult,
  spawn,
  type Spawned,
  testPrefix,
  waitFor,
} from "./_helpers.ts";
import { readStatus } from "../lib/status_record.ts";

/** A run script that stays up until killed. */
export const SLEEP_RUN = "#!/bin/sh\nexec sleep 1000\n";

/** A running runsv (ours or Debian's) whose tree is killed on dispose. */
export interface RunningSupervisor extends AsyncDisposable {
  proc: Spawned;
  dir: string;
}

/** Each sv with each runsv, ours and Debian's: [name, Debian's sv?, Debian's runsv?]. */
export const SV_RUNSV_PAIRINGS = [
  ["ours-sv/ours-runsv", false, false],
  ["debian-sv/ours-runsv", true, false],
  ["ours-sv/debian-runsv", false, true],
  ["debian-sv/debian-runsv", true, true],
] as const;

/**
 * Starts `runsv DIR` (ours unless `debian`), cwd = parent of DIR, DIR given relative.
 * Every signal at its default first (`env --default-signal`, which execs: same pid):
 * Debian's runsv passes the signals it found ignored on to its services, ours does not
 * (docs/runsv.md), and a test run as a background job inherits SIGINT and SIGQUIT
 * ignored from its shell. Side by side, both must start from the same state.
 */
export async function startRunsv(
  parent: string,
  name: string,
  options: { debian?: boolean; env?: Record<string, string>; clearEnv?: boolean } = {},
): Promise<RunningSupervisor> {
  const cmd = options.debian ? "/usr/bin/runsv" : await bin("runsv");
  // `clearEnv`: exactly `env` (no PATH, hence env's full path).
  const proc = spawn("/usr/bin/env", ["--default-signal", cmd, name], {
    cwd: parent,
    ...(options.env ? { env: options.env } : {}),
    ...(options.clearEnv ? { clearEnv: true } : {}),
  });
  return {
    proc,
    dir: `${parent}/${name}`,
    async [Symbol.asyncDispose](): Promise<void> {
      killTree(proc.pid);
      await proc[Symbol.asyncDispose]();
    },
  };
}

/**
 * Starts our runsv's entry with Deno itself, as the launcher would but for the signals it
 * blocks: runsv then waits on the event loop (lib/supervise/signal_wait.ts).
 */
export async function startRunsvWithoutLauncher(parent: string, name: string): Promise<Spawned> {
  const prefix = await testPrefix();
  return spawn("env", [
    "--default-signal",
    `${prefix}/lib/denit/deno`,
    "run",
    "-A",
    "--cached-only",
    "--no-config",
    "--no-lock",
    `${prefix}/lib/denit/src/entry/runsv.js`,
    name,
  ], {
    cwd: parent,
    env: { DENO_DIR: `${prefix}/lib/denit/cache`, DENIT_ARGV0: "runsv" },
  });
}

/** Reads `supervise/stat` (or undefined). */
export function readStat(dir: string, sub = "supervise"): string | undefined {
  try {
    return Deno.readTextFileSync(`${dir}/${sub}/stat`).trimEnd();
  } catch {
    return undefined;
  }
}

/** Reads the pid from `supervise/pid` (0 when empty or missing). */
export function readPid(dir: string, sub = "supervise"): number {
  try {
    return Number(Deno.readTextFileSync(`${dir}/${sub}/pid`).trim() || "0");
  } catch {
    return 0;
  }
}

/** The pid in `supervise/status` (0 when it cannot be read or decoded). */
function statusPid(dir: string, sub: string): number {
  try {
    return readStatus(`${dir}/${sub}/status`).pid;
  } catch {
    return 0;
  }
}

/** Waits until `supervise/stat` equals `want`. */
export async function waitStat(
  dir: string,
  want: string,
  options: { sub?: string; timeoutMs?: number } = {},
): Promise<void> {
  try {
    await waitFor(() => readStat(dir, options.sub) === want, {
      timeoutMs: options.timeoutMs ?? 8000,
      what: `stat "${want}" in ${dir}/${options.sub ?? "supervise"}`,
    });
  } catch (err) {
    // What stat said when the wait gave up, not when it began.
    throw new Error(`${(err as Error).message}; stat then "${readStat(dir, options.sub)}"`);
  }
}

/** Waits until the service runs with a pid and returns that pid. */
export async function waitRunning(dir: string, sub = "supervise"): Promise<number> {
  // runsv writes pid, then stat, then status: running means all three say so (a test that
  // reads status the moment stat says run could otherwise see the record before).
  const running = () => {
    if (!readStat(dir, sub)?.startsWith("run")) return 0;
    const pid = readPid(dir, sub);
    return pid !== 0 && statusPid(dir, sub) === pid ? pid : 0;
  };
  return await waitFor(running, {
    timeoutMs: 8000,
    what: `${dir}/${sub} running`,
  });
}

/** Every sv command word (spec sv.md) but `check`, which differs by design (DEVIATIONS.md 1). */
export const SV_WORDS: readonly string[] = [
  "status",
  "up",
  "down",
  "once",
  "pause",
  "cont",
  "hup",
  "alarm",
  "interrupt",
  "quit",
  "1",
  "2",
  "term",
  "kill",
  "exit",
  "start",
  "stop",
  "reload",
  "restart",
  "shutdown",
  "force-stop",
  "force-reload",
  "force-restart",
  "force-shutdown",
  "try-restart",
];

/** The status record minus stamp and pid: paused, want, term, state (and pid set or not). */
export function recordShape(dir: string, sub = "supervise"): string {
  try {
    const b = Deno.readFileSync(`${dir}/${sub}/status`);
    const pid = new DataView(b.buffer).getUint32(12, true);
    return `pid ${pid ? "set" : "0"} ${[...b.subarray(16, 20)].join(",")}`;
  } catch {
    return "none";
  }
}

/** The lines a test service's scripts appended to `PARENT/events`, on one line. */
export function eventsLine(parent: string): string {
  return (readOrUndefined(`${parent}/events`) ?? "").trimEnd().split("\n").join(", ");
}

/** Runs an sv (ours unless `debian`), cwd = `cwd`. */
export async function sv(
  args: readonly string[],
  options: { cwd: string; debian?: boolean; env?: Record<string, string> },
): Promise<RunResult> {
  const cmd = options.debian ? "/usr/bin/sv" : await bin("sv");
  return await run(cmd, args, {
    cwd: options.cwd,
    ...(options.env ? { env: options.env } : {}),
  });
}

/** Writes control bytes the way sv does (non-blocking open would need FFI; runsv is up). */
export function writeControl(dir: string, bytes: string, sub = "supervise"): void {
  const file = Deno.openSync(`${dir}/${sub}/control`, { write: true });
  try {
    file.writeSync(new TextEncoder().encode(bytes));
  } finally {
    file.close();
  }
}

/** The process state letter from /proc (R, S, T, Z…), or undefined when gone. */
export function procState(pid: number): string | undefined {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0];
  } catch {
    return undefined;
  }
}

/** Whether a pid is alive (not a zombie). */
export function alive(pid: number): boolean {
  const state = procState(pid);
  return state !== undefined && state !== "Z";
}

/** Replaces pids and ages in sv output so lines from different runs compare. */
export function normalizeSv(text: string): string {
  return text.replace(/\(pid \d+\)/g, "(pid N)").replace(/ \d+s/g, " Ns");
}

/** Waits for a run script's `: >ready`, written once its traps are set (a fixed sleep
 * was not always enough on a loaded machine). */
export function trapsSet(dir: string): Promise<unknown> {
  return waitFor(() => exists(`${dir}/ready`));
}

/**
 * Waits until `pid` runs `comm` (its exec is done). runsv publishes a child's pid at the
 * clone, as C runsv's fork does: until the exec the child is still runsv, with the spawn
 * helper's blocked signals and runsv's cwd.
 */
export function waitExeced(pid: number, comm = "sleep"): Promise<unknown> {
  // The kernel sets comm early in execve and the new arguments only once the image is set
  // up: in between, /proc/PID/cmdline reads empty (a test failed on that under load).
  return waitFor(() =>
    readOrUndefined(`/proc/${pid}/comm`) === `${comm}\n` &&
    (readOrUndefined(`/proc/${pid}/cmdline`) ?? "") !== ""
  );
}
