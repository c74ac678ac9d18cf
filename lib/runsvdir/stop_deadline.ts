/**
 * How long runsvdir may take to stop its services when SIGTERM comes, given who will kill
 * it if it takes longer.
 *
 * runsvdir stops every service itself (ARCHITECTURE.md §2): TERM, SIGKILL after 7 s for a
 * service that ignores TERM, then as long again for its log. Debian's runit (C) as process
 * 1 sends its stage 2 SIGKILL 5 s after SIGTERM, which a C runsvdir never needs (it exits
 * at once and its runsv processes live on); a runsvdir killed there loses its in-process
 * logs and leaves services unsupervised, their ./finish never run. So under that runit
 * the stop is shortened to fit. denit's runit gives a runsvdir stage 2 the time it takes
 * (lib/runit/stages.ts), and any other parent has no such deadline.
 */

/** Services get SIGKILL 2 s after TERM, their logs as long again: done within 4 s of 5. */
export const STOP_TIMEOUT_UNDER_C_RUNIT_MS = 2_000;

/** What runsvdir can see of its parent and of process 1. */
export interface Process1View {
  /** getppid(). */
  parentPid: number;
  /** /proc/1/comm without its newline; undefined when unreadable. */
  process1Name: string | undefined;
  /** readlink /proc/1/exe; undefined when unreadable. */
  process1Exe: string | undefined;
  /** readlink /proc/self/exe. */
  selfExe: string | undefined;
}

/**
 * The stop timeout to use instead of the default, or undefined to keep it: shortened only
 * when runsvdir is the child of a process 1 named runit that is not this same binary.
 *
 * @example
 * ```ts
 * import { stopTimeoutUnder } from "./stop_deadline.ts";
 * const c = { process1Name: "runit", process1Exe: "/sbin/runit", selfExe: "/usr/lib/deno" };
 * stopTimeoutUnder({ parentPid: 1, ...c }); // 2000
 * stopTimeoutUnder({ parentPid: 4242, ...c }); // undefined
 * ```
 */
export function stopTimeoutUnder(view: Process1View): number | undefined {
  if (view.parentPid !== 1 || view.process1Name !== "runit") return undefined;
  // denit's runit (the same Deno or compiled binary) waits for its runsvdir.
  if (view.process1Exe !== undefined && view.process1Exe === view.selfExe) return undefined;
  return STOP_TIMEOUT_UNDER_C_RUNIT_MS;
}

function readOrUndefined(read: () => string): string | undefined {
  try {
    return read();
  } catch {
    return undefined;
  }
}

/** This process's view, read now (at SIGTERM: the parent may have changed since start). */
export function currentProcess1View(parentPid: number): Process1View {
  return {
    parentPid,
    process1Name: readOrUndefined(() => Deno.readTextFileSync("/proc/1/comm").trimEnd()),
    process1Exe: readOrUndefined(() => Deno.readLinkSync("/proc/1/exe")),
    selfExe: readOrUndefined(() => Deno.readLinkSync("/proc/self/exe")),
  };
}
