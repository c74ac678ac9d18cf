/**
 * A service left running by a supervisor that died (SIGKILL, the OOM killer): found from
 * the `status` that supervisor left, and stopped before the new supervisor starts the
 * service again, so that it never runs twice.
 *
 * runit's runsv starts a second instance then (its lock is close-on-exec, so a killed
 * runsv leaves the service running and unlocked). With runit that mostly stays hidden,
 * because a runsvdir killed alone leaves its runsv processes alive. denit's runsvdir
 * hosts every supervisor: when it dies, every service outlives it (in its own session
 * with `-P`), and a restarted stage 2 started them all a second time (found by a pid-1
 * soak: two instances of each service, the second one's logger failing to lock its
 * directory).
 *
 * A pid is only taken for the leftover when the process started within a few seconds
 * of the time the record says the state began (pids are reused).
 */

import { type StatusRecord } from "../status_record.ts";

/** How far a process's start may lie from its record's stamp (status is written after). */
export const START_SLACK_SECONDS = 2;

/** What /proc says of a process: its start, in unix seconds. */
export interface ProcessStart {
  startSeconds: number;
}

/**
 * Whether `record` (the status a previous supervisor left) names a process that still
 * runs: state run or finish, a pid that is not ours, alive, and started when the record
 * says.
 *
 * @example
 * ```ts
 * import { isLeftover } from "./leftover.ts";
 * const record = {
 *   stamp: { seconds: 1_800_000_000n, nanoseconds: 0 }, pid: 4242, paused: false,
 *   want: "up" as const, term: false, state: "run" as const,
 * };
 * isLeftover(record, { startSeconds: 1_800_000_000 }, 99); // true
 * isLeftover(record, { startSeconds: 1_800_000_900 }, 99); // false: the pid was reused
 * isLeftover(record, undefined, 99); // false: not running
 * ```
 */
export function isLeftover(
  record: StatusRecord | undefined,
  process: ProcessStart | undefined,
  selfPid: number,
): boolean {
  if (record === undefined || process === undefined) return false;
  if (record.state === "down" || record.pid <= 1 || record.pid === selfPid) return false;
  const since = Number(record.stamp.seconds);
  return Math.abs(process.startSeconds - since) <= START_SLACK_SECONDS;
}

/**
 * Parses `/proc/PID/stat` (the text after the last `)`: the name may hold anything) and
 * `/proc/stat`'s `btime` into the process's start, in unix seconds; undefined for a
 * zombie (it has ended) or text that does not parse.
 */
export function processStart(
  statText: string,
  bootSeconds: number,
  ticksPerSecond = 100,
): ProcessStart | undefined {
  const fields = statText.slice(statText.lastIndexOf(")") + 2).split(" ");
  // fields[0] is field 3 (state); field 22 (starttime) is fields[19].
  if (fields[0] === "Z" || fields[0] === "X") return undefined;
  const ticks = Number(fields[19]);
  if (!Number.isFinite(ticks)) return undefined;
  return { startSeconds: bootSeconds + ticks / ticksPerSecond };
}

/** `btime` of /proc/stat: when the machine booted, in unix seconds. */
export function bootSeconds(procStatText: string): number | undefined {
  const match = /^btime (\d+)$/m.exec(procStatText);
  return match === null ? undefined : Number(match[1]);
}

/** The start of process `pid` as /proc shows it now; undefined when it is gone. */
export function readProcessStart(pid: number): ProcessStart | undefined {
  try {
    const boot = bootSeconds(Deno.readTextFileSync("/proc/stat"));
    if (boot === undefined) return undefined;
    return processStart(Deno.readTextFileSync(`/proc/${pid}/stat`), boot);
  } catch {
    return undefined;
  }
}
