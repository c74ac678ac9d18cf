/**
 * Time as a parameter (STYLE.md §18): wall-clock TAI64N stamps for supervise/status, a
 * monotonic millisecond clock for delays and timeouts, and sleeping. Daemons take a
 * {@linkcode Clock}; tests pass a {@linkcode ManualClock}.
 */

import type { Tai64n } from "./tai64n.ts";

/** The time sources a daemon needs. */
export interface Clock {
  /** Wall-clock time as unix seconds + nanoseconds (runit's taia_now). */
  now(): Tai64n;
  /** Monotonic milliseconds (never steps backwards). */
  monoMs(): number;
  /** Resolves after `ms` milliseconds. */
  sleep(ms: number): Promise<void>;
}

/**
 * Wall-clock milliseconds with a fraction, from `wallMs` (Date.now(): the system's real
 * time, whole milliseconds) and `monoMs` (performance.now(): monotonic, fractional).
 * The monotonic clock gives the fraction; the real time decides where it is: when the
 * two disagree by a millisecond or more (the real clock was stepped or slewed since, or
 * the process was stopped), the monotonic one is set again. Status records then carry the
 * time `sv` compares with its own start, as runit's gettimeofday() does: a record stamped
 * from the monotonic clock alone was seen 0.6 s off the real time in a long-running
 * process, which makes `sv -w` take a record written before it started for a new one.
 */
export function wallClock(
  wallMs: () => number,
  monoMs: () => number,
  origin: number,
): () => number {
  let offset = origin; // real time = offset + monotonic time
  return () => {
    const mono = monoMs();
    const coarse = wallMs();
    let precise = offset + mono;
    if (precise < coarse || precise >= coarse + 1) {
      offset = coarse + 0.5 - mono;
      precise = offset + mono;
    }
    return precise;
  };
}

const wallNowMs = wallClock(() => Date.now(), () => performance.now(), performance.timeOrigin);

/** The real clock. runit derives nanoseconds from microseconds × 1000 + 500. */
export const systemClock: Clock = {
  now(): Tai64n {
    const micros = BigInt(Math.floor(wallNowMs() * 1000));
    return {
      seconds: micros / 1_000_000n,
      nanoseconds: Number(micros % 1_000_000n) * 1000 + 500,
    };
  },
  monoMs(): number {
    return performance.now();
  },
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
  },
};

/** A clock that moves only when told to; sleeps resolve as time is advanced. */
export class ManualClock implements Clock {
  #ms: number;
  #wallBase: bigint;
  #sleepers: { until: number; resolve: () => void }[] = [];

  constructor(unixSeconds = 1_700_000_000n) {
    this.#ms = 0;
    this.#wallBase = unixSeconds;
  }

  now(): Tai64n {
    const ms = BigInt(Math.floor(this.#ms));
    return {
      seconds: this.#wallBase + ms / 1000n,
      nanoseconds: Number(ms % 1000n) * 1_000_000 + 500,
    };
  }

  monoMs(): number {
    return this.#ms;
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.#sleepers.push({ until: this.#ms + ms, resolve }));
  }

  /** Moves time forward and wakes every sleeper whose time has come. */
  advance(ms: number): void {
    this.#ms += ms;
    const due = this.#sleepers.filter((s) => s.until <= this.#ms);
    this.#sleepers = this.#sleepers.filter((s) => s.until > this.#ms);
    for (const sleeper of due) sleeper.resolve();
  }
}
