/**
 * The control bytes a supervisor accepts on `supervise/control` (runit src/runsv.c ctrl();
 * spec supervise-protocol.md §7). Unknown bytes (newlines included) are ignored.
 */

/** Every byte that means something to runsv. */
export type ControlByte =
  | "u"
  | "d"
  | "o"
  | "x"
  | "t"
  | "k"
  | "p"
  | "c"
  | "h"
  | "a"
  | "i"
  | "q"
  | "1"
  | "2";

const CONTROL_BYTES = new Set<string>([
  "u",
  "d",
  "o",
  "x",
  "t",
  "k",
  "p",
  "c",
  "h",
  "a",
  "i",
  "q",
  "1",
  "2",
]);

/**
 * Whether `byte` (one character) is a control byte.
 *
 * @example
 * ```ts
 * import { isControlByte } from "./control.ts";
 * isControlByte("d"); // true
 * isControlByte("\n"); // false
 * ```
 */
export function isControlByte(byte: string): byte is ControlByte {
  return CONTROL_BYTES.has(byte);
}

/** The signal a plain signalling byte sends to the running process. */
export const SIGNAL_OF: Readonly<
  Record<"p" | "c" | "h" | "a" | "i" | "q" | "1" | "2" | "k", Deno.Signal>
> = {
  p: "SIGSTOP",
  c: "SIGCONT",
  h: "SIGHUP",
  a: "SIGALRM",
  i: "SIGINT",
  q: "SIGQUIT",
  "1": "SIGUSR1",
  "2": "SIGUSR2",
  k: "SIGKILL",
};

/** Splits bytes read from a control FIFO into the control bytes they hold, in order. */
export function parseControlBytes(bytes: Uint8Array): ControlByte[] {
  const out: ControlByte[] = [];
  for (const byte of bytes) {
    const ch = String.fromCharCode(byte);
    if (isControlByte(ch)) out.push(ch);
  }
  return out;
}
