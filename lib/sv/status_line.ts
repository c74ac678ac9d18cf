/**
 * sv's reading of a 20-byte supervise/status record and its status line
 * (runit 2.1.2 src/sv.c svstatus_print(); spec sv.md "Status line format"):
 * `STATE: NAME: [(pid PID) ]SECSs[, normally down|, normally up][, paused][, want up|, want down][, got TERM]`
 *
 * sv works on the raw bytes: a state byte other than 0, 1, 2 prints no state at all, and
 * seconds are TAI labels compared as runit does (a zeroed record gives a huge age).
 */

/** The fields of a raw record that sv looks at. */
export interface RawStatus {
  /** TAI64 seconds label (2^62 + 10 + unix seconds). */
  label: bigint;
  /** Bytes 12–15, little-endian. */
  pid: number;
  paused: boolean;
  /** Byte 17 as a character ('u', 'd', or anything). */
  want: string;
  term: boolean;
  /** Byte 19, raw. */
  state: number;
}

/** Reads the first 20 bytes (the caller has checked there are 20). */
export function decodeRawStatus(bytes: Uint8Array): RawStatus {
  const view = new DataView(bytes.buffer, bytes.byteOffset, 20);
  return {
    label: view.getBigUint64(0, false), // big-endian TAI64 label
    pid: view.getUint32(12, true), // little-endian
    paused: bytes[16] !== 0,
    want: String.fromCharCode(bytes[17]!),
    term: bytes[18] !== 0,
    state: bytes[19]!,
  };
}

/** The TAI64 label of a unix time in seconds. */
export function taiLabel(unixSeconds: bigint): bigint {
  return (1n << 62n) + 10n + unixSeconds;
}

/** runit stores the pid in an int and prints it with fmt_ulong: high values wrap. */
function formatPid(pid: number): string {
  return pid >= 0x80000000 ? String((1n << 64n) - BigInt(0x100000000 - pid)) : String(pid);
}

/**
 * The status line without newline.
 *
 * @example
 * ```ts
 * import { formatStatusLine } from "./status_line.ts";
 * formatStatusLine(
 *   { label: 100n, pid: 0, paused: false, want: "u", term: false, state: 0 },
 *   { name: "./", nowLabel: 105n, normallyUp: true },
 * ); // "down: ./: 5s, normally up, want up"
 * ```
 */
export function formatStatusLine(
  status: RawStatus,
  options: { name: string; nowLabel: bigint; normallyUp: boolean },
): string {
  let line = "";
  if (status.state === 0) line += "down: ";
  else if (status.state === 1) line += "run: ";
  else if (status.state === 2) line += "finish: ";
  line += `${options.name}: `;
  if (status.state !== 0) line += `(pid ${formatPid(status.pid)}) `;
  const age = options.nowLabel < status.label ? 0n : options.nowLabel - status.label;
  line += `${age}s`;
  const pid = status.pid;
  if (pid !== 0 && !options.normallyUp) line += ", normally down";
  if (pid === 0 && options.normallyUp) line += ", normally up";
  if (pid !== 0 && status.paused) line += ", paused";
  if (pid === 0 && status.want === "u") line += ", want up";
  if (pid !== 0 && status.want === "d") line += ", want down";
  if (pid !== 0 && status.term) line += ", got TERM";
  return line;
}
