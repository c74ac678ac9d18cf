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

/** The real clock. runit derives nanoseconds from microseconds × 1000 + 500. */
export const systemClock: Clock = {
  now(): Tai64n {
    const micros = BigInt(Math.round((performance.timeOrigin + performance.now()) * 1000));
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
