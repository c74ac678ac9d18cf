/**
 * The supervision core as a pure state machine: `step(record, event) → { record, actions }`
 * (STYLE.md §17). It is a transcription of runit 2.1.2 src/runsv.c (ctrl(), stopservice(),
 * startservice(), the reaping loop); the I/O shell (supervisor.ts) turns OS events into
 * {@linkcode Event}s and carries out the {@linkcode Action}s in order.
 *
 * Control scripts (`control/<c>`) that *decide* whether a signal is sent are run by the
 * shell before the event is stepped; their outcome travels in `handled`. Which script to
 * consult is itself pure: {@linkcode decisionScript}.
 */

import type { ServiceState, Want } from "../status_record.ts";
import type { Tai64n } from "../tai64n.ts";
import { type ControlByte, SIGNAL_OF } from "./control.ts";

/** One supervised process slot: the main service or its log service (runsv's svdir). */
export interface ServiceRecord {
  readonly isLog: boolean;
  /** Current child (0 = none). */
  pid: number;
  state: ServiceState;
  want: Want;
  paused: boolean;
  /** runsv sent SIGTERM and the process has not exited since. */
  term: boolean;
  /** The status stamp: last `./run` start or last time the service went down. */
  stamp: Tai64n;
  /** Monotonic ms of the same moment: the 1-second restart rule uses it. */
  startMs: number;
  /** Raw wait status of the last `./run` (main only): `./finish`'s arguments. */
  wstat: number;
}

/** What the shell must do, in order. */
export type Action =
  /** Write pid (if the shared "pid changed" flag is set), stat and status. */
  | { kind: "update"; record: ServiceRecord }
  /** The shared "pid changed" flag is set. */
  | { kind: "pidChanged" }
  /** kill(pid, signal) */
  | { kind: "signal"; pid: number; signal: Deno.Signal }
  /** Run `control/<letter>` synchronously; its exit status is ignored. */
  | { kind: "script"; letter: "u" | "d" | "x" }
  /**
   * Run `control/t` synchronously and report back with a `stopBeforeStart` event: a start
   * that finds a process still there stops it first, consulting control/t as any stop.
   */
  | { kind: "consult"; letter: "t" }
  /** Start a process; report back with a `spawned` or `spawnFailed` event. */
  | { kind: "spawn"; argv: readonly string[] }
  /** Block this supervisor (no commands, no reaping) for `ms`: runit's sleep(1). */
  | { kind: "delay"; ms: number };

/** Something that happened to a service. */
export type Event =
  /**
   * A control byte; `handled` = the decision script exited 0; `wantWritten` = the shell
   * already wrote the new want (runit writes it before running control/t for d and x).
   */
  | {
    kind: "control";
    byte: ControlByte;
    handled: boolean;
    wantWritten?: boolean;
  }
  /** The top of the main loop: start the process if it should run. */
  | { kind: "tick" }
  /** The `consult` action ran control/t; `handled` = it exited 0 (no SIGTERM then). */
  | { kind: "stopBeforeStart"; handled: boolean }
  /** The spawn action succeeded. */
  | { kind: "spawned"; pid: number; now: Tai64n; monoMs: number }
  /** The spawn action failed (exec error): the child would have exited 111. */
  | { kind: "spawnFailed"; finishExists: boolean; now: Tai64n; monoMs: number }
  /** A child was reaped; `finishExists` = `finish` can be opened for reading now. */
  | {
    kind: "exited";
    pid: number;
    wstat: number;
    finishExists: boolean;
    now: Tai64n;
    monoMs: number;
  };

/** The result of one step. */
export interface StepResult {
  record: ServiceRecord;
  actions: Action[];
}

/** Minimum run time before an immediate restart, and the fixed delay otherwise. */
export const RESTART_DELAY_MS = 1000;
/** Exit status of a child whose exec failed. */
export const EXEC_FAILED_WSTAT = 111 << 8;

/** A fresh record as runsv builds it at startup. */
export function initialRecord(
  isLog: boolean,
  wantDown: boolean,
  now: Tai64n,
  monoMs: number,
): ServiceRecord {
  return {
    isLog,
    pid: 0,
    state: "down",
    want: wantDown ? "down" : "up",
    paused: false,
    term: false,
    stamp: now,
    startMs: monoMs,
    wstat: 0,
  };
}

/**
 * The `control/<c>` script whose exit status decides a control byte, or undefined when
 * none is consulted (runit custom(): main service only, only while running).
 */
export function decisionScript(record: ServiceRecord, byte: ControlByte): string | undefined {
  if (record.isLog || record.state !== "run" || record.pid === 0) return undefined;
  switch (byte) {
    case "d":
    case "x":
    case "t":
      return "t";
    case "u":
    case "o":
      return undefined;
    default:
      return byte;
  }
}

/** Whether the top of the loop starts a process for this record. */
export function wantsStart(record: ServiceRecord): boolean {
  if (record.pid !== 0) return false;
  return record.want === "up" || record.state === "finish";
}

/** The argv runit uses: `./finish CODE WSTAT&0xff` after ./run, else `./run`. */
export function programArgv(record: ServiceRecord): string[] {
  if (record.state !== "finish") return ["./run"];
  const wstat = record.wstat;
  const signaled = (wstat & 0x7f) !== 0; // wait_crashed
  const code = signaled ? "-1" : String((wstat >> 8) & 0xff);
  return ["./finish", code, String(wstat & 0xff)];
}

/** Advances one record by one event. Never mutates its input. */
export function step(input: ServiceRecord, event: Event): StepResult {
  const record = { ...input };
  const actions: Action[] = [];
  switch (event.kind) {
    case "tick":
      if (wantsStart(record)) start(record, actions);
      break;
    case "stopBeforeStart":
      stop(record, event.handled, actions);
      actions.push({ kind: "spawn", argv: programArgv(record) });
      break;
    case "spawned":
      spawned(record, event.pid, event.now, event.monoMs, actions, true);
      break;
    case "spawnFailed":
      // The C child would have started, failed exec and exited 111: same bookkeeping,
      // without the transient "run" record nobody could observe reliably.
      spawned(record, 0, event.now, event.monoMs, actions, false);
      exited(record, EXEC_FAILED_WSTAT, event.finishExists, event.now, event.monoMs, actions);
      break;
    case "exited":
      if (event.pid === 0 || event.pid !== record.pid) break; // leftovers are ignored
      exited(record, event.wstat, event.finishExists, event.now, event.monoMs, actions);
      break;
    case "control":
      control(record, event.byte, event.handled, event.wantWritten ?? false, actions);
      break;
  }
  return { record, actions };
}

function update(record: ServiceRecord): Action {
  return { kind: "update", record: { ...record } };
}

function start(record: ServiceRecord, actions: Action[]): void {
  if (record.state !== "finish" && !record.isLog) actions.push({ kind: "script", letter: "u" });
  // "should never happen" in runit: a start while the process is still there (`k` made
  // the state down: control/k exited 0, or the process is not yet reaped). runit applies
  // its stop sequence, control/t first, then starts: the rest waits for control/t's word.
  if (record.pid !== 0 && !record.isLog) {
    actions.push({ kind: "consult", letter: "t" });
    return;
  }
  if (record.pid !== 0) stop(record, false, actions);
  actions.push({ kind: "spawn", argv: programArgv(record) });
}

function spawned(
  record: ServiceRecord,
  pid: number,
  now: ServiceRecord["stamp"],
  monoMs: number,
  actions: Action[],
  writeStatus: boolean,
): void {
  if (record.state !== "finish") {
    record.stamp = now;
    record.startMs = monoMs;
    record.state = "run";
  }
  record.pid = pid;
  record.paused = false;
  record.term = false;
  if (writeStatus) actions.push({ kind: "pidChanged" }, update(record));
}

function exited(
  record: ServiceRecord,
  wstat: number,
  finishExists: boolean,
  now: ServiceRecord["stamp"],
  monoMs: number,
  actions: Action[],
): void {
  record.pid = 0;
  actions.push({ kind: "pidChanged" });
  record.term = false;
  if (!record.isLog) {
    record.wstat = wstat;
    if (record.state !== "finish" && finishExists) {
      record.state = "finish";
      actions.push(update(record));
      return;
    }
  }
  record.state = "down";
  const deadline = record.startMs + RESTART_DELAY_MS;
  record.stamp = now;
  record.startMs = monoMs;
  actions.push(update(record));
  if (monoMs < deadline) actions.push({ kind: "delay", ms: RESTART_DELAY_MS });
}

/** runit stopservice(): TERM (unless control/t handled it), then CONT and control/d|x. */
function stop(record: ServiceRecord, handledT: boolean, actions: Action[]): void {
  if (record.pid !== 0 && !handledT) {
    actions.push({ kind: "signal", pid: record.pid, signal: "SIGTERM" });
    record.term = true;
    actions.push(update(record));
  }
  if (record.want === "down") {
    if (record.pid !== 0) actions.push({ kind: "signal", pid: record.pid, signal: "SIGCONT" });
    if (!record.isLog) actions.push({ kind: "script", letter: "d" });
  } else if (record.want === "exit") {
    if (record.pid !== 0) actions.push({ kind: "signal", pid: record.pid, signal: "SIGCONT" });
    if (!record.isLog) actions.push({ kind: "script", letter: "x" });
  }
}

function control(
  record: ServiceRecord,
  byte: ControlByte,
  handled: boolean,
  wantWritten: boolean,
  actions: Action[],
): void {
  const running = record.state === "run" && record.pid !== 0;
  switch (byte) {
    case "d":
      record.want = "down";
      if (!wantWritten) actions.push(update(record));
      if (running) stop(record, handled, actions);
      break;
    case "u":
      record.want = "up";
      actions.push(update(record));
      if (record.state === "down") start(record, actions);
      break;
    case "o":
      record.want = "down";
      actions.push(update(record));
      if (record.state === "down") start(record, actions);
      break;
    case "x":
      if (record.isLog) break; // the log service ignores x
      record.want = "exit";
      if (!wantWritten) actions.push(update(record));
      if (running) stop(record, handled, actions);
      break;
    case "t":
      if (running) stop(record, handled, actions);
      break;
    case "k":
      if (running && !handled) actions.push({ kind: "signal", pid: record.pid, signal: "SIGKILL" });
      // Quirks Q1/Q2: internal state down in every state, and no status update.
      record.state = "down";
      break;
    case "p":
      if (running && !handled) actions.push({ kind: "signal", pid: record.pid, signal: "SIGSTOP" });
      record.paused = true;
      actions.push(update(record));
      break;
    case "c":
      if (running && !handled) actions.push({ kind: "signal", pid: record.pid, signal: "SIGCONT" });
      record.paused = false;
      actions.push(update(record));
      break;
    default:
      if (running && !handled) {
        actions.push({ kind: "signal", pid: record.pid, signal: SIGNAL_OF[byte] });
      }
      break;
  }
}

/** What the supervisor does after an iteration (runsv's exit check). */
export type ExitDecision = "continue" | "exit" | "closeLog";

/**
 * runsv's exit rule: once main wants exit and is down, exit when the log is gone,
 * otherwise (first time) mark the log "want exit" and close the log pipe.
 */
export function exitDecision(
  main: ServiceRecord,
  log: ServiceRecord | undefined,
): ExitDecision {
  if (main.want !== "exit" || main.state !== "down") return "continue";
  if (log === undefined || log.pid === 0) return "exit";
  return log.want === "exit" ? "continue" : "closeLog";
}
