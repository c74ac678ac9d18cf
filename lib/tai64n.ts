/**
 * TAI64N timestamps (djb's libtai, as runit uses it).
 *
 * Binary: 12 bytes | 0..7 seconds label, big-endian u64 = 2^62 + 10 + unix seconds |
 * 8..11 nanoseconds, big-endian u32 |. The +10 is libtai's fixed TAI−UTC offset; leap
 * seconds are not counted (spec supervise-protocol.md §4.1).
 * Text: `@` + 24 lowercase hex digits of the same 12 bytes (svlogd `-t`, file names).
 */

import { FormatError } from "./sys_error.ts";

/** Size of a binary TAI64N label. */
export const TAI64N_SIZE = 12;
/** 2^62: the TAI64 label of the epoch, before the +10 offset. */
export const TAI64_EPOCH = 1n << 62n;
/** libtai's fixed TAI−UTC offset in seconds. */
export const TAI_OFFSET = 10n;

/** A point in time as unix seconds and nanoseconds. */
export interface Tai64n {
  /** Unix seconds (UTC, no leap seconds). */
  seconds: bigint;
  /** 0…999 999 999. */
  nanoseconds: number;
}

/** The current time; runit derives nanoseconds from microseconds × 1000 + 500. */
export function tai64nNow(): Tai64n {
  const nowNs = BigInt(Date.now()) * 1_000_000n;
  return fromUnixNanoseconds(nowNs);
}

/** Converts unix nanoseconds to a {@linkcode Tai64n}. */
export function fromUnixNanoseconds(ns: bigint): Tai64n {
  return { seconds: ns / 1_000_000_000n, nanoseconds: Number(ns % 1_000_000_000n) };
}

/**
 * Encodes into 12 bytes (big-endian label, big-endian nanoseconds).
 *
 * @example
 * ```ts
 * import { encodeTai64n } from "./tai64n.ts";
 * encodeTai64n({ seconds: 0n, nanoseconds: 0 })[7]; // 10 (the +10 offset)
 * ```
 */
export function encodeTai64n(
  t: Tai64n,
  into = new Uint8Array(TAI64N_SIZE),
  offset = 0,
): Uint8Array {
  const view = new DataView(into.buffer, into.byteOffset + offset, TAI64N_SIZE);
  view.setBigUint64(0, TAI64_EPOCH + TAI_OFFSET + t.seconds, false); // big-endian
  view.setUint32(8, t.nanoseconds, false); // big-endian
  return into;
}

/** Decodes 12 bytes; throws FormatError on a short buffer or nanoseconds ≥ 10^9. */
export function decodeTai64n(bytes: Uint8Array): Tai64n {
  if (bytes.length < TAI64N_SIZE) {
    throw new FormatError(
      `Cannot decode TAI64N: expected ${TAI64N_SIZE} bytes, got ${bytes.length}`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, TAI64N_SIZE);
  const label = view.getBigUint64(0, false); // big-endian
  const nanoseconds = view.getUint32(8, false); // big-endian
  if (nanoseconds > 999_999_999) {
    throw new FormatError("Cannot decode TAI64N: nanoseconds out of range");
  }
  return { seconds: label - TAI64_EPOCH - TAI_OFFSET, nanoseconds };
}

const HEX = "0123456789abcdef";

/** `@` + 24 lowercase hex digits (svlogd `-t` prefix and rotated file names). */
export function formatTai64nText(t: Tai64n): string {
  const bytes = encodeTai64n(t);
  let text = "@";
  for (const byte of bytes) text += HEX[byte >> 4]! + HEX[byte & 15]!;
  return text;
}

/** Parses `@` + 24 hex digits; throws FormatError otherwise. */
export function parseTai64nText(text: string): Tai64n {
  if (!/^@[0-9a-fA-F]{24}$/.test(text)) throw new FormatError(`Cannot parse TAI64N text: ${text}`);
  const bytes = new Uint8Array(TAI64N_SIZE);
  for (let i = 0; i < TAI64N_SIZE; i++) bytes[i] = parseInt(text.slice(1 + 2 * i, 3 + 2 * i), 16);
  return decodeTai64n(bytes);
}
