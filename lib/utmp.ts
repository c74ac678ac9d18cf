/**
 * glibc's `struct utmp` on Linux x86_64 (utmp.h with __WORDSIZE_TIME64_COMPAT32): the
 * record utmpset edits in utmp and appends to wtmp (spec utmpset.md §3, §4; runit
 * src/utmpset.c). Pure encode/decode and the record edits; cmd/utmpset.ts does the I/O.
 *
 * 384 bytes, little-endian, no header:
 *
 * | offset | size | field |
 * |---|---|---|
 * | 0 | 2 | ut_type (int16; 7 USER_PROCESS, 8 DEAD_PROCESS) + 2 padding |
 * | 4 | 4 | ut_pid (int32) |
 * | 8 | 32 | ut_line (NUL-padded) |
 * | 40 | 4 | ut_id |
 * | 44 | 32 | ut_user |
 * | 76 | 256 | ut_host |
 * | 332 | 4 | ut_exit (e_termination, e_exit: int16 each) |
 * | 336 | 4 | ut_session (int32) |
 * | 340 | 4 | ut_tv.tv_sec (int32: ut_time) |
 * | 344 | 4 | ut_tv.tv_usec (int32) |
 * | 348 | 16 | ut_addr_v6 (4 × int32) |
 * | 364 | 20 | reserved |
 */

import { FormatError } from "./sys_error.ts";

/** Size of one record. */
export const UTMP_SIZE = 384;
export const UT_LINESIZE = 32;
export const UT_NAMESIZE = 32;
export const UT_HOSTSIZE = 256;

const OFF_TYPE = 0;
const OFF_PID = 4;
const OFF_LINE = 8;
const OFF_ID = 40;
const OFF_USER = 44;
const OFF_HOST = 76;
const OFF_EXIT = 332;
const OFF_SESSION = 336;
const OFF_TV_SEC = 340;
const OFF_TV_USEC = 344;
const OFF_ADDR = 348;

export const BOOT_TIME = 2;
export const USER_PROCESS = 7;
export const DEAD_PROCESS = 8;

/** A decoded record; text fields are raw bytes up to the first NUL (at most the field). */
export interface UtmpRecord {
  type: number;
  pid: number;
  line: Uint8Array;
  id: Uint8Array;
  user: Uint8Array;
  host: Uint8Array;
  exitTermination: number;
  exitStatus: number;
  session: number;
  tvSec: number;
  tvUsec: number;
  /** 16 bytes. */
  addrV6: Uint8Array;
}

function cField(bytes: Uint8Array, offset: number, size: number): Uint8Array {
  const field = bytes.subarray(offset, offset + size);
  const nul = field.indexOf(0);
  return field.slice(0, nul === -1 ? size : nul);
}

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Decodes one 384-byte record.
 *
 * @example
 * ```ts
 * import { decodeUtmp, encodeUtmp, USER_PROCESS } from "./utmp.ts";
 * const bytes = encodeUtmp({ type: USER_PROCESS, line: "tty5", user: "alice" });
 * decodeUtmp(bytes).type; // 7
 * ```
 */
export function decodeUtmp(bytes: Uint8Array): UtmpRecord {
  if (bytes.length !== UTMP_SIZE) {
    throw new FormatError(
      `Cannot decode utmp record: expected ${UTMP_SIZE} bytes, got ${bytes.length}`,
    );
  }
  const v = view(bytes);
  return {
    type: v.getInt16(OFF_TYPE, true),
    pid: v.getInt32(OFF_PID, true),
    line: cField(bytes, OFF_LINE, UT_LINESIZE),
    id: cField(bytes, OFF_ID, 4),
    user: cField(bytes, OFF_USER, UT_NAMESIZE),
    host: cField(bytes, OFF_HOST, UT_HOSTSIZE),
    exitTermination: v.getInt16(OFF_EXIT, true),
    exitStatus: v.getInt16(OFF_EXIT + 2, true),
    session: v.getInt32(OFF_SESSION, true),
    tvSec: v.getInt32(OFF_TV_SEC, true),
    tvUsec: v.getInt32(OFF_TV_USEC, true),
    addrV6: bytes.slice(OFF_ADDR, OFF_ADDR + 16),
  };
}

/** Fields for {@linkcode encodeUtmp}; text may be a string (UTF-8) or bytes; all optional. */
export type UtmpFields = Partial<
  Omit<UtmpRecord, "line" | "id" | "user" | "host"> & {
    line: string | Uint8Array;
    id: string | Uint8Array;
    user: string | Uint8Array;
    host: string | Uint8Array;
  }
>;

const encoder = new TextEncoder();

function putText(
  bytes: Uint8Array,
  offset: number,
  size: number,
  text: string | Uint8Array | undefined,
): void {
  if (text === undefined) return;
  const raw = typeof text === "string" ? encoder.encode(text) : text;
  bytes.set(raw.subarray(0, size), offset);
}

/** Encodes a record; unset fields are zero. Text longer than its field is cut to it. */
export function encodeUtmp(fields: UtmpFields): Uint8Array {
  const bytes = new Uint8Array(UTMP_SIZE);
  const v = view(bytes);
  v.setInt16(OFF_TYPE, fields.type ?? 0, true);
  v.setInt32(OFF_PID, fields.pid ?? 0, true);
  putText(bytes, OFF_LINE, UT_LINESIZE, fields.line);
  putText(bytes, OFF_ID, 4, fields.id);
  putText(bytes, OFF_USER, UT_NAMESIZE, fields.user);
  putText(bytes, OFF_HOST, UT_HOSTSIZE, fields.host);
  v.setInt16(OFF_EXIT, fields.exitTermination ?? 0, true);
  v.setInt16(OFF_EXIT + 2, fields.exitStatus ?? 0, true);
  v.setInt32(OFF_SESSION, fields.session ?? 0, true);
  v.setInt32(OFF_TV_SEC, fields.tvSec ?? 0, true);
  v.setInt32(OFF_TV_USEC, fields.tvUsec ?? 0, true);
  if (fields.addrV6 !== undefined) bytes.set(fields.addrV6.subarray(0, 16), OFF_ADDR);
  return bytes;
}

/**
 * Whether utmpset logs this record out for `line`: its user is not empty and its
 * ut_line equals `line` as a C string, compared within the 32-byte field.
 */
export function isLoggedInOn(record: Uint8Array, line: string): boolean {
  if (record[OFF_USER] === 0) return false;
  const want = encoder.encode(line);
  const have = cField(record, OFF_LINE, UT_LINESIZE);
  return have.length === want.length && have.every((byte, i) => byte === want[i]);
}

/** utmpset's in-place edit: user and host zeroed, tv_sec = now, type DEAD_PROCESS. */
export function markLoggedOut(record: Uint8Array, nowSec: number): void {
  record.fill(0, OFF_USER, OFF_USER + UT_NAMESIZE);
  record.fill(0, OFF_HOST, OFF_HOST + UT_HOSTSIZE);
  const v = view(record);
  v.setInt32(OFF_TV_SEC, nowSec | 0, true);
  v.setInt16(OFF_TYPE, DEAD_PROCESS, true);
}

/**
 * The logout record utmpset appends to wtmp: all zero but ut_line (a LINE longer than
 * the field is cut to 30 bytes, runit's `sizeof ut_line - 2`), tv_sec and the type.
 *
 * @example
 * ```ts
 * import { decodeUtmp, wtmpLogoutRecord } from "./utmp.ts";
 * decodeUtmp(wtmpLogoutRecord("tty5", 2000)).type; // 8
 * ```
 */
export function wtmpLogoutRecord(line: string, nowSec: number): Uint8Array {
  let raw = encoder.encode(line);
  if (raw.length > UT_LINESIZE) raw = raw.subarray(0, UT_LINESIZE - 2);
  return encodeUtmp({ type: DEAD_PROCESS, line: raw, tvSec: nowSec | 0 });
}
