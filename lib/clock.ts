/**
 * Time as a parameter (STYLE.md §18): wall-clock TAI64N stamps for supervise/status, a
 * monotonic millisecond clock for delays and timeouts, and sleeping. Daemons take a
 * {@linkcode Clock}; tests pass a {@linkcode ManualClock}.
 */

import { monotonicMs, realTime } from "../ffi/libc.ts";
import type { Tai64n } from "./tai64n.ts";

/** The wall-clock and monotonic times of one moment. */
export interface ClockReading {
  now: Tai64n;
  monoMs: number;
}

/** The time sources a daemon needs. */
export interface Clock {
  /**
   * Wall-clock time as unix seconds + nanoseconds (runit's taia_now) and monotonic
   * milliseconds (never stepping backwards), both at once: what an event that changes a
   * status record carries.
   */
  reading(): ClockReading;
  /** Resolves after `ms` milliseconds. */
  sleep(ms: number): Promise<void>;
}

/** runit's stamp of a time: nanoseconds are microseconds × 1000 + 500. */
function stampOf(time: { seconds: number; micros: number }): Tai64n {
  return { seconds: BigInt(time.seconds), nanoseconds: time.micros * 1000 + 500 };
}

/**
 * The real clock, read through libc as runit reads it (gettimeofday): the real time to
 * the microsecond, and CLOCK_MONOTONIC. Not Date.now() (whole milliseconds) nor
 * performance.now(), a call into Deno: ~50-80 µs when it was the first after runsv woke
 * for a `u` (#3). A stamp taken from the real clock itself, not derived from a monotonic
 * one, is what `sv` compares with its own start.
 */
export const systemClock: Clock = {
  reading(): ClockReading {
    return { now: stampOf(realTime()), monoMs: monotonicMs() };
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

  reading(): ClockReading {
    const ms = BigInt(Math.floor(this.#ms));
    const now = {
      seconds: this.#wallBase + ms / 1000n,
      nanoseconds: Number(ms % 1000n) * 1_000_000 + 500,
    };
    return { now, monoMs: this.#ms };
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
