/**
 * The signal state chpst inherited, read from `/proc/self/status` (SigIgn, SigBlk) when
 * chpst starts, so that the program it execs inherits the same (see ffi/exec.ts
 * restoreSignals). Read at start: Deno replaces inherited SIG_IGN for HUP, INT and TERM
 * with its own handlers once its event loop has run ~500 ms, and `-/` may hide /proc.
 */

/** Signal sets as kernel bit masks: bit n-1 stands for signal n. */
export interface SignalState {
  ignored: bigint;
  blocked: bigint;
}

/**
 * Parses the SigIgn and SigBlk lines of a `/proc/PID/status` text; a missing line is 0.
 *
 * @example
 * ```ts
 * import { parseSignalState } from "./signal_state.ts";
 * parseSignalState("SigBlk:\t0000000000000000\nSigIgn:\t0000000000001006\n").ignored; // 0x1006n
 * ```
 */
export function parseSignalState(status: string): SignalState {
  const field = (name: string): bigint => {
    const match = new RegExp(`^${name}:\\s*([0-9a-fA-F]+)$`, "m").exec(status);
    return match === null ? 0n : BigInt(`0x${match[1]}`);
  };
  return { ignored: field("SigIgn"), blocked: field("SigBlk") };
}
