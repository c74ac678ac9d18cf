/**
 * runit's stage logic as pure functions (spec runit.md §2.6, §2.7, §2.9, §6): what to
 * print and do when a stage ends, what a wake-up with pending signals asks for, and how
 * the machine goes down. `lib/runit/pid1.ts` is the I/O shell that carries the actions
 * out; the tables here are tested in `stages_test.ts` without a process in sight.
 *
 * Deliberate differences from 2.1.2 (spec DEVIATIONS.md 3 and 10): a stage killed by a
 * signal is reported as `child crashed`, and stage 2 killed by a signal is restarted
 * like one that exits 111. 2.1.2 took `status >> 8` (0 for a signal) as the exit code.
 */

import { STAGE_PATHS } from "./files.ts";

/** The stage being run. */
export type Stage = 1 | 2 | 3;

/** How a stage ended. */
export type StageEnd =
  /** The script exited with `code`. */
  | { kind: "exited"; code: number }
  /** The script was killed by `signal`. */
  | { kind: "signaled"; signal: number }
  /** The script could not be executed; runit treats that as exit 0 (its child exits 0). */
  | { kind: "unstartable" }
  /** Stage 2 was stopped by a shutdown request (§2.9 a); its status does not matter. */
  | { kind: "stopped" };

/** One line of runit's output: `- runit: TEXT`, `- runit: warning: TEXT`. */
export type Say = { do: "say"; level: "info" | "warning"; text: string };

/** What the shell does after a stage ends, in order. */
export type StageAction =
  | Say
  /** SIGKILL to the process group whose id is the stage 2 pid. */
  | { do: "killStageGroup" }
  /** Sleep; runit's own constants (§2.11). */
  | { do: "pause"; ms: number }
  /** Start a stage. */
  | { do: "start"; stage: Stage }
  /** Stage 3 is over: kill everything, sync, reboot (§2.9 b). */
  | { do: "final" };

/** Pause between killing stage 2's group and starting it again (§2.11). */
export const RESTART_PAUSE_MS = 5_000;
/** Longest wait in the main loop between passes (§2.11). */
export const WAKE_INTERVAL_MS = 14_000;
/** Grace after SIGTERM to stage 2 before SIGKILL (§2.9 a: five 1 s checks). */
export const STAGE2_TERM_GRACE_MS = 5_000;
/**
 * The same grace for a stage 2 that is runsvdir (`exec runsvdir …`, the usual /etc/runit/2):
 * denit's runsvdir stops every service itself before it exits, giving a service 7 s before
 * SIGKILL and its log as long again (docs/runsvdir.md). Killed at 5 s it would lose its
 * in-process logs and leave services unsupervised, their ./finish never run. A C runsvdir
 * exits at once on TERM, so it never waits this long.
 */
export const STAGE2_RUNSVDIR_TERM_GRACE_MS = 15_000;
/**
 * Whether a stage 2 process is runsvdir: by its name (comm), or, while denit's runsvdir
 * is still starting and its name is Deno's, by the entry it runs.
 *
 * @example
 * ```ts
 * import { looksLikeRunsvdir } from "./stages.ts";
 * looksLikeRunsvdir("runsvdir", []); // true
 * looksLikeRunsvdir("deno", ["deno", "run", "-A", "/usr/lib/denit/src/entry/runsvdir.js"]); // true
 * looksLikeRunsvdir("2", ["/bin/sh", "/etc/runit/2"]); // false
 * ```
 */
export function looksLikeRunsvdir(comm: string | undefined, argv: readonly string[]): boolean {
  if (comm === "runsvdir") return true;
  return comm === "deno" && argv.some((arg) => /\/entry\/runsvdir\.(js|ts)$/.test(arg));
}

/** Grace between SIGTERM to all processes and SIGKILL at the end (issue #7; not in 2.1.2). */
export const FINAL_TERM_GRACE_MS = 5_000;
/** Delay after a failed power-off before halting (§2.11). */
export const POWEROFF_TO_HALT_MS = 2_000;
/** Retry delay after a failed fork (§2.11). */
export const RETRY_PAUSE_MS = 5_000;

/** Stage 1 exit code that skips stage 2. */
const SKIP_STAGE_2 = 100;
/** Stage 2 exit code that restarts it. */
const RESTART_STAGE_2 = 111;

const info = (text: string): Say => ({ do: "say", level: "info", text });
const warning = (text: string): Say => ({ do: "say", level: "warning", text });

/** The actions after stage `stage` ended as `end` (spec §2.6 table). */
export function afterStage(stage: Stage, end: StageEnd): StageAction[] {
  const path = STAGE_PATHS[stage];
  const leave = info(`leave stage: ${path}`);
  if (end.kind === "stopped") return [leave, { do: "start", stage: 3 }];
  const after: StageAction = stage === 3
    ? { do: "final" }
    : { do: "start", stage: stage + 1 as Stage };
  if (end.kind === "unstartable" || (end.kind === "exited" && end.code === 0)) {
    return [leave, after];
  }
  const complaint = end.kind === "signaled"
    ? warning(`child crashed: ${path}`)
    : warning(`child failed: ${path}`);
  if (stage === 2 && (end.kind === "signaled" || end.code === RESTART_STAGE_2)) {
    return [
      complaint,
      warning("killing all processes in stage 2..."),
      { do: "killStageGroup" },
      { do: "pause", ms: RESTART_PAUSE_MS },
      warning("restarting."),
      { do: "start", stage: 2 },
    ];
  }
  if (stage === 1 && end.kind === "exited" && end.code === SKIP_STAGE_2) {
    return [complaint, leave, warning("skipping stage 2..."), { do: "start", stage: 3 }];
  }
  return [complaint, leave, after];
}

/** Signals received and not yet acted on (runit's counters; PWR and ALRM are Debian's). */
export interface Pending {
  cont: number;
  int: number;
  pwr: number;
  alrm: number;
}

/** No signal pending. */
export const NO_PENDING: Readonly<Pending> = { cont: 0, int: 0, pwr: 0, alrm: 0 };

/** What a wake-up with no stage exit asks for. */
export type Request =
  /** Nothing (a timeout, or a request thrown away). */
  | "none"
  /** `warning: signals only work in stage 2.` */
  | "notStage2"
  /** Run /etc/runit/ctrlaltdel, then decide again with {@linkcode decideShutdown}. */
  | "ctrlaltdel"
  /** Stop stage 2 because stopit is set (§2.9 a). */
  | "shutdown"
  /** Stop stage 2 because of SIGPWR, whatever stopit says (Debian). */
  | "forcedShutdown"
  /** Pass SIGALRM on to stage 2 (Debian). */
  | "forwardAlarm";

/** A decision and the counters that remain after it. */
export interface Decision {
  request: Request;
  pending: Pending;
}

function anyPending(p: Pending): boolean {
  return p.cont > 0 || p.int > 0 || p.pwr > 0 || p.alrm > 0;
}

/**
 * The first decision of a wake-up (spec §2.7, Debian's order in §6). Outside stage 2 any
 * pending signal gives the warning; INT and CONT are dropped, PWR and ALRM stay pending.
 */
export function decideRequest(
  stage: Stage,
  pending: Pending,
  flags: { ctrlaltdel: boolean; stopit: boolean },
): Decision {
  if (stage !== 2) {
    if (!anyPending(pending)) return { request: "none", pending };
    return { request: "notStage2", pending: { ...pending, cont: 0, int: 0 } };
  }
  if (pending.int > 0 && flags.ctrlaltdel) {
    return { request: "ctrlaltdel", pending: { ...pending, int: 0, cont: pending.cont + 1 } };
  }
  return decideShutdown(pending, flags.stopit);
}

/** The rest of a stage 2 wake-up: PWR, then CONT with stopit, then ALRM; else drop all. */
export function decideShutdown(pending: Pending, stopit: boolean): Decision {
  if (pending.pwr > 0) return { request: "forcedShutdown", pending };
  if (pending.cont > 0 && stopit) return { request: "shutdown", pending };
  const request: Request = pending.alrm > 0 ? "forwardAlarm" : "none";
  return { request, pending: { ...NO_PENDING } };
}

/** How the machine goes down after stage 3. */
export type FinalMode = "reboot" | "poweroff";

/**
 * Reboot when the reboot flag is set after stage 3, else power off (then halt if that
 * fails). A SIGPWR ever received forces power off (Debian never clears it).
 */
export function finalMode(rebootFlag: boolean, pending: Pending): FinalMode {
  return rebootFlag && pending.pwr === 0 ? "reboot" : "poweroff";
}
