/**
 * sv's wait conditions (runit src/sv.c check(); spec sv.md "Conditions"), with the
 * `check` fix of runit 2.3.0 (spec DEVIATIONS.md item 1). Pure: the check script is a
 * callback, run only where runit runs it.
 */

import type { RawStatus } from "./status_line.ts";

/** 1 = done (print ok), 0 = not yet, -1 = failed. */
export type WaitResult = 1 | 0 | -1;

/**
 * Evaluates every byte of `bytes` in order against a record; `status` undefined means
 * runsv is not running (done for `x`, failed otherwise).
 *
 * @example
 * ```ts
 * import { evaluateWait } from "./wait.ts";
 * const down = { label: 0n, pid: 0, paused: false, want: "d", term: false, state: 0 };
 * evaluateWait("d", down, { startLabel: 0n, check: () => true }); // 1
 * ```
 */
export function evaluateWait(
  bytes: string,
  status: RawStatus | undefined,
  options: { startLabel: bigint; check: () => boolean },
): WaitResult {
  for (const byte of bytes) {
    if (status === undefined) return byte === "x" ? 1 : -1;
    const pid = status.pid;
    switch (byte) {
      case "x":
        return 0;
      case "u":
        if (pid === 0 || status.state !== 1) return 0;
        if (!options.check()) return 0;
        break;
      case "d":
        if (pid !== 0 || status.state !== 0) return 0;
        break;
      case "C":
        // runit 2.3.0: want up waits for a running, checked service; want down for down.
        if (status.want === "u") {
          if (pid === 0 || status.state !== 1 || !options.check()) return 0;
        } else if (pid !== 0 || status.state !== 0) {
          return 0;
        }
        break;
      case "t":
      case "k":
        if (pid === 0 && status.want === "d") break;
        if (options.startLabel > status.label || pid === 0 || status.term || !options.check()) {
          return 0;
        }
        break;
      case "o":
        if (
          (pid === 0 && options.startLabel > status.label) || (pid !== 0 && status.want !== "d")
        ) {
          return 0;
        }
        break;
      case "p":
        if (pid !== 0 && !status.paused) return 0;
        break;
      case "c":
        if (pid !== 0 && status.paused) return 0;
        break;
    }
  }
  return 1;
}
