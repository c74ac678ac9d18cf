/**
 * A {@linkcode Reaper} stand-in for tests that run svlogd processors in the test process.
 * `deno test --parallel` runs test files as workers of one process, so a real Reaper's
 * waitpid(-1) would steal the children of every other test file. This one reaps only the
 * pids it is given (DENO-NOTES.md §3: per-pid waits coexist with Deno.Command).
 */

import { waitpid, WNOHANG } from "../ffi/libc.ts";
import type { ExitHandler, Reaper } from "../lib/reaper.ts";

/** A Reaper that reaps only the pids given to watch(), polling each every `pollMs`. */
export function pidReaper(pollMs: number): Reaper {
  return new PidReaper(pollMs) as unknown as Reaper;
}

class PidReaper {
  readonly #pollMs: number;

  constructor(pollMs: number) {
    this.#pollMs = pollMs;
  }

  /** Polls `pid` with waitpid(WNOHANG) until it has exited, then calls `handler`. */
  watch(pid: number, handler: ExitHandler): void {
    const timer = setInterval(() => {
      const result = waitpid(pid, WNOHANG);
      if (result === null) return;
      clearInterval(timer);
      handler(pid, result.status);
    }, this.#pollMs);
  }

  /** Nothing to forget: each watch ends by itself. */
  forget(): void {}
}
