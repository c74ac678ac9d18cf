/**
 * supervise/status: the 20-byte record runsv writes and sv reads (runit src/runsv.c
 * update_status; spec supervise-protocol.md §4).
 *
 * | offset | size | field                                    | encoding              |
 * |--------|------|------------------------------------------|-----------------------|
 * | 0      | 12   | TAI64N stamp                             | big-endian            |
 * | 12     | 4    | pid, 0 = none                            | **little-endian** u32 |
 * | 16     | 1    | paused flag                              | 0 / 1                 |
 * | 17     | 1    | want: 'u' (0x75) or 'd' (0x64, also exit) | ASCII                 |
 * | 18     | 1    | got TERM flag                            | 0 / 1                 |
 * | 19     | 1    | state: 0 down, 1 run, 2 finish           | u8                    |
 *
 * Readers need the full 20 bytes (an 18-byte daemontools record is "bad format"); longer
 * files are accepted and only the first 20 bytes are used.
 */

import { decodeTai64n, encodeTai64n, type Tai64n } from "./tai64n.ts";
import { FormatError } from "./sys_error.ts";
import { writeFileAtomic } from "./fs_atomic.ts";

/** Size of the record. */
export const STATUS_SIZE = 20;

/** The three states runsv reports. */
export type ServiceState = "down" | "run" | "finish";
/** What the supervisor wants; "exit" is written as 'd' on disk. */
export type Want = "up" | "down" | "exit";

const STATE_CODES: readonly ServiceState[] = ["down", "run", "finish"];

/** A decoded supervise/status record. */
export interface StatusRecord {
  stamp: Tai64n;
  pid: number;
  paused: boolean;
  /** On disk only 'u' or 'd'; decoding never yields "exit". */
  want: Want;
  term: boolean;
  state: ServiceState;
}

/**
 * Encodes a record into 20 bytes.
 *
 * @example
 * ```ts
 * import { encodeStatus } from "./status_record.ts";
 * const bytes = encodeStatus({
 *   stamp: { seconds: 1700000000n, nanoseconds: 123456500 },
 *   pid: 4242, paused: false, want: "up", term: false, state: "run",
 * });
 * bytes[12]; // 0x92 (pid low byte first)
 * ```
 */
export function encodeStatus(record: StatusRecord): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(STATUS_SIZE);
  encodeTai64n(record.stamp, bytes, 0);
  const view = new DataView(bytes.buffer);
  view.setUint32(12, record.pid, true); // little-endian, unlike the stamp
  bytes[16] = record.paused ? 1 : 0;
  bytes[17] = record.want === "up" ? 0x75 : 0x64;
  bytes[18] = record.term ? 1 : 0;
  bytes[19] = STATE_CODES.indexOf(record.state);
  return bytes;
}

/** Decodes the first 20 bytes; throws FormatError when fewer are given. */
export function decodeStatus(bytes: Uint8Array): StatusRecord {
  if (bytes.length < STATUS_SIZE) {
    throw new FormatError(
      `Cannot decode status: expected ${STATUS_SIZE} bytes, got ${bytes.length}`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, STATUS_SIZE);
  const stateCode = bytes[19]!;
  return {
    stamp: decodeTai64n(bytes.subarray(0, 12)),
    pid: view.getUint32(12, true), // little-endian
    paused: bytes[16] !== 0,
    want: bytes[17] === 0x75 ? "up" : "down",
    term: bytes[18] !== 0,
    // runit's sv prints any state byte other than 1 and 2 as down.
    state: stateCode === 1 ? "run" : stateCode === 2 ? "finish" : "down",
  };
}

/** Reads and decodes `supervise/status` under a service directory's supervise path. */
export function readStatus(path: string): StatusRecord {
  return decodeStatus(Deno.readFileSync(path));
}

/** Encodes and writes the record atomically (path + ".new", then rename). */
export function writeStatus(path: string, record: StatusRecord): void {
  writeFileAtomic(path, encodeStatus(record));
}

/** The `stat` text: `STATE[, paused][, got TERM][, want down|, want exit]\n` (§6). */
export function formatStat(record: Omit<StatusRecord, "stamp" | "pid">): string {
  let text = record.state;
  if (record.paused) text += ", paused";
  if (record.term) text += ", got TERM";
  if (record.state !== "down") {
    if (record.want === "down") text += ", want down";
    if (record.want === "exit") text += ", want exit";
  }
  return text + "\n";
}
