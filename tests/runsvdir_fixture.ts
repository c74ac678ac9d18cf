/**
 * Shared pieces of the runsvdir tests: starting a runsvdir (ours or Debian's) that is
 * always cleaned up with everything it started, and reading a service's state.
 */

import {
  descendantsOf,
  killAll,
  readOrUndefined,
  type RunOptions,
  spawn,
  spawnApplet,
  type Spawned,
  waitFor,
} from "./_helpers.ts";

/** A running runsvdir; dispose stops it (TERM, then SIGKILL of its whole tree). */
export interface RunningRunsvdir extends AsyncDisposable {
  proc: Spawned;
  pid: number;
  stderr(): string;
  /** Sends `signal` and waits for the exit status (SIGKILLs the tree after `timeoutMs`). */
  stop(signal: Deno.Signal, timeoutMs?: number): Promise<Deno.CommandStatus>;
}

/** Wraps a spawned runsvdir (e.g. behind `sh -c '… exec runsvdir'`) for cleanup. */
export function wrapSpawned(proc: Spawned): RunningRunsvdir {
  let exited = false;
  proc.status.then(() => (exited = true));
  const stop = async (signal: Deno.Signal, timeoutMs = 10_000): Promise<Deno.CommandStatus> => {
    // Remember the tree now: once runsvdir is gone its children are reparented.
    const tree = descendantsOf(proc.pid);
    proc.signal(signal);
    const timer = setTimeout(() => {
      killAll([proc.pid, ...descendantsOf(proc.pid), ...tree]);
    }, timeoutMs);
    try {
      return await proc.status;
    } finally {
      clearTimeout(timer);
    }
  };
  return {
    proc,
    pid: proc.pid,
    stderr: () => proc.stderrText(),
    stop,
    async [Symbol.asyncDispose](): Promise<void> {
      // Frozen before its tree is listed: a TERM ends Debian's runsvdir's first-second
      // sleep, and it scans and starts runsv processes before it exits, after the list
      // was taken; they outlived the test (seen when a test failed early). Cleanup only:
      // a test that stops runsvdir in a given way calls stop() itself.
      if (!exited) {
        try {
          Deno.kill(proc.pid, "SIGSTOP");
        } catch {
          // gone meanwhile
        }
      }
      killAll([proc.pid, ...descendantsOf(proc.pid)]);
      await proc[Symbol.asyncDispose]();
    },
  };
}

/** Starts our runsvdir through the installed launcher. */
export async function startRunsvdir(
  args: readonly string[],
  options: RunOptions = {},
): Promise<RunningRunsvdir> {
  return wrapSpawned(await spawnApplet("runsvdir", args, options));
}

/** Starts Debian's runsvdir (its runsv from PATH). */
export function startDebianRunsvdir(
  args: readonly string[],
  options: RunOptions = {},
): RunningRunsvdir {
  return wrapSpawned(spawn("/usr/bin/runsvdir", args, options));
}

/** The pid in `DIR/supervise/pid`, 0 when none or unreadable. */
export function servicePid(dir: string): number {
  const text = readOrUndefined(`${dir}/supervise/pid`);
  return text === undefined ? 0 : Number.parseInt(text, 10) || 0;
}

/** `DIR/supervise/stat` without its newline, "" when unreadable. */
export function serviceStat(dir: string): string {
  return (readOrUndefined(`${dir}/supervise/stat`) ?? "").trim();
}

/** Waits until the service runs and returns its pid. */
export function waitRunning(dir: string, timeoutMs = 5_000): Promise<number> {
  return waitFor(() => {
    const pid = servicePid(dir);
    return pid > 0 && serviceStat(dir) === "run" && alive(pid) ? pid : 0;
  }, { timeoutMs, what: `${dir} running` });
}

/** True when process `pid` exists and is not a zombie. */
export function alive(pid: number): boolean {
  const stat = readOrUndefined(`/proc/${pid}/stat`);
  if (stat === undefined) return false;
  return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
}

/** Fields of /proc/PID/stat after the command: [state, ppid, pgrp, session, …]. */
export function procStat(pid: number): string[] {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
}

/** The arguments in /proc/PID/cmdline, NUL padding dropped. */
export function cmdline(pid: number): string[] {
  const text = Deno.readTextFileSync(`/proc/${pid}/cmdline`);
  const parts = text.split("\0");
  while (parts.length > 0 && parts[parts.length - 1] === "") parts.pop();
  return parts;
}

/** A service directory whose `run` is `exec sleep SECONDS`. */
export function sleeper(seconds = 1000): string {
  return `#!/bin/sh\nexec sleep ${seconds}\n`;
}
