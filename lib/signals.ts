/**
 * Signal numbers (Linux x86_64 and aarch64 numbering), named once for the modules that send
 * or mask a signal by number through FFI. `Deno.kill` and `Deno.addSignalListener` take
 * the names instead.
 */

/** Hangup. */
export const SIGHUP = 1;
/** Interrupt (Ctrl-C; Ctrl-Alt-Del to process 1). */
export const SIGINT = 2;
/** Quit. */
export const SIGQUIT = 3;
/** Kill; cannot be caught or ignored. */
export const SIGKILL = 9;
/** User signal 1 (Deno: opens the inspector once armed). */
export const SIGUSR1 = 10;
/** User signal 2. */
export const SIGUSR2 = 12;
/** Broken pipe. */
export const SIGPIPE = 13;
/** Alarm clock. */
export const SIGALRM = 14;
/** Termination. */
export const SIGTERM = 15;
/** A child stopped or ended. */
export const SIGCHLD = 17;
/** Continue a stopped process. */
export const SIGCONT = 18;
/** Stop; cannot be caught or ignored. */
export const SIGSTOP = 19;

const NUMBER_OF_NAME: Partial<Record<Deno.Signal, number>> = {
  SIGHUP,
  SIGINT,
  SIGQUIT,
  SIGKILL,
  SIGUSR1,
  SIGUSR2,
  SIGPIPE,
  SIGALRM,
  SIGTERM,
  SIGCONT,
  SIGSTOP,
};

/**
 * The number of a signal named above (every signal a supervisor sends), else undefined.
 *
 * @example
 * ```ts
 * import { signalNumber } from "./signals.ts";
 * signalNumber("SIGCONT"); // 18
 * ```
 */
export function signalNumber(name: Deno.Signal): number | undefined {
  return Object.hasOwn(NUMBER_OF_NAME, name) ? NUMBER_OF_NAME[name] : undefined;
}

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
 * import { parseSignalState } from "./signals.ts";
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

/** This process's signal state now, from /proc (undefined when /proc cannot be read). */
export function procSignalState(): SignalState | undefined {
  try {
    return parseSignalState(Deno.readTextFileSync("/proc/self/status"));
  } catch {
    return undefined;
  }
}
