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

/** What has to change so the signal state matches the inherited one. */
export interface SignalRestore {
  /** Signals to set to SIG_IGN. */
  ignore: number[];
  /** Signals to set to SIG_DFL (caught ones need nothing: exec makes them default). */
  reset: number[];
  /** Whether the mask differs and must be set. */
  setMask: boolean;
}

const SIGPIPE = 13;
/** SIGKILL, SIGSTOP, and glibc's own 32 and 33 (it refuses signal() for them). */
const UNSETTABLE = new Set([9, 19, 32, 33]);

/**
 * The changes from the `current` state (undefined when unknown: change everything) to
 * the `inherited` one. SIGPIPE is never kept ignored: Deno ignores it itself at start-up,
 * so whether the caller had ignored it cannot be known.
 *
 * @example
 * ```ts
 * import { signalRestore } from "./signal_state.ts";
 * signalRestore({ ignored: 0x1000n, blocked: 0n }, { ignored: 0x1000n, blocked: 0n });
 * // { ignore: [], reset: [13], setMask: false }
 * ```
 */
export function signalRestore(
  inherited: SignalState,
  current: SignalState | undefined,
): SignalRestore {
  const wanted = inherited.ignored & ~(1n << BigInt(SIGPIPE - 1));
  const ignore: number[] = [];
  const reset: number[] = [];
  for (let signal = 1; signal <= 64; signal++) {
    if (UNSETTABLE.has(signal)) continue;
    const bit = 1n << BigInt(signal - 1);
    const want = (wanted & bit) !== 0n;
    if (current === undefined) {
      (want ? ignore : reset).push(signal);
      continue;
    }
    const have = (current.ignored & bit) !== 0n;
    if (want && !have) ignore.push(signal);
    if (!want && have) reset.push(signal);
  }
  return { ignore, reset, setMask: current === undefined || current.blocked !== inherited.blocked };
}
