/**
 * How runsv waits when it runs alone in its process, as C runsv does: its thread blocked
 * in one poll(2) on the control FIFOs and on a signalfd for SIGCHLD and SIGTERM, which
 * the launcher blocked before Deno started (scripts/launcher.c, WAITS), so that every
 * thread of the process blocks them and they wait in the signalfd.
 *
 * Deno's own ways to learn that a FIFO became readable or a signal came each pass
 * through a thread of Deno's before the JavaScript thread wakes (SIGIO: the handler, a
 * socket, Deno's signal thread, an eventfd): ~0.25 ms more per control byte than a
 * poll(2) by the JavaScript thread itself (0.10 against 0.36 ms a round trip, medians
 * of 150; bench/results/startup-notes.md), which `sv up` → run pays (#3).
 *
 * While the thread is blocked nothing else of the process runs: no timer, no promise, no
 * signal listener. A supervisor uses this wait only when nothing else needs the event
 * loop (no in-process log); then it still takes SIGCHLD and SIGTERM from the signalfd,
 * polled on Deno's blocking pool ({@linkcode SignalWait.next}).
 */

import { openSignalFd, readableOffThread, readSignals } from "../../ffi/wait.ts";
import { close, waitReadable } from "../../ffi/libc.ts";
import { SIGCHLD, SIGTERM } from "../signals.ts";

/** What a wait found. */
export interface Arrivals {
  /** A child may have ended: reap. */
  child: boolean;
  /** SIGTERM came. */
  term: boolean;
}

/**
 * Whether each thread's status (the texts of /proc/self/task/N/status) shows every one
 * of `signals` in its blocked set (`SigBlk:`, hex, bit n-1 for signal n).
 */
export function blockedInEveryThread(
  statusTexts: readonly string[],
  signals: readonly number[],
): boolean {
  if (statusTexts.length === 0) return false;
  return statusTexts.every((text) => {
    const hex = /^SigBlk:\s*([0-9a-fA-F]+)$/m.exec(text)?.[1];
    if (hex === undefined) return false;
    const blocked = BigInt(`0x${hex}`);
    return signals.every((signal) => (blocked >> BigInt(signal - 1) & 1n) === 1n);
  });
}

function threadStatuses(): string[] {
  const texts: string[] = [];
  for (const entry of Deno.readDirSync("/proc/self/task")) {
    try {
      texts.push(Deno.readTextFileSync(`/proc/self/task/${entry.name}/status`));
    } catch {
      // a thread that ended meanwhile
    }
  }
  return texts;
}

const SIGNALS = [SIGCHLD, SIGTERM];
const NO_ARRIVALS: Readonly<Arrivals> = { child: false, term: false };

/** SIGCHLD and SIGTERM through a signalfd, and the blocking wait around it. */
export class SignalWait {
  readonly #fd: number;
  /** Work to do once the process has waited idle until `dueMs` (performance.now()). */
  #idleTask: { dueMs: number; run: () => void } | undefined;

  private constructor(fd: number) {
    this.#fd = fd;
  }

  /**
   * The wait, when every thread blocks SIGCHLD and SIGTERM (the launcher did that);
   * otherwise undefined, and the signals come to Deno's listeners as usual.
   */
  static open(): SignalWait | undefined {
    try {
      if (!blockedInEveryThread(threadStatuses(), SIGNALS)) return undefined;
      return new SignalWait(openSignalFd(SIGNALS));
    } catch {
      return undefined;
    }
  }

  /**
   * Blocks until one of `fds` is readable or a signal is pending: for each fd whether
   * it is readable, and the signals taken.
   */
  wait(fds: readonly number[]): { readable: boolean[] } & Arrivals {
    const polled = [...fds, this.#fd];
    for (;;) {
      const task = this.#idleTask;
      const timeoutMs = task === undefined
        ? -1
        : Math.max(0, Math.ceil(task.dueMs - performance.now()));
      const ready = waitReadable(polled, timeoutMs);
      // Only on a quiet return: a byte or signal that came is served first.
      if (task !== undefined && !ready.includes(true) && performance.now() >= task.dueMs) {
        this.#idleTask = undefined;
        task.run();
      }
      const { child, term } = ready[fds.length] ? this.take() : NO_ARRIVALS;
      ready.length = fds.length; // the rest says which of `fds` are readable
      if (child || term || ready.includes(true)) return { readable: ready, child, term };
    }
  }

  /**
   * Runs `task` in a wait, once `afterMs` have passed: between the poll's return and the
   * next poll, when the process has nothing else to do (its event loop does not run
   * while it waits here, so a timer could not).
   */
  whenIdle(afterMs: number, task: () => void): void {
    this.#idleTask = { dueMs: performance.now() + afterMs, run: task };
  }

  /** The signals pending now (none: both false). */
  take(): Arrivals {
    const arrivals = { child: false, term: false };
    for (const signal of readSignals(this.#fd)) {
      if (signal === SIGCHLD) arrivals.child = true;
      if (signal === SIGTERM) arrivals.term = true;
    }
    return arrivals;
  }

  /** Resolves with the next signals, the event loop running meanwhile. */
  async next(): Promise<Arrivals> {
    for (;;) {
      await readableOffThread(this.#fd);
      const arrivals = this.take();
      if (arrivals.child || arrivals.term) return arrivals;
    }
  }

  close(): void {
    close(this.#fd);
  }
}
