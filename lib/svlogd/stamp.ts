/**
 * svlogd's line stamps and rotated-file names (spec svlogd.md §7; runit src/svlogd.c
 * fmt_ptime / fmt_taia / fmt_tai64n). Pure: a time in unix microseconds in, bytes out.
 *
 * runit reads the clock in microseconds and stores nanoseconds = µs × 1000 + 500, so a
 * `-t` label's last three decimal digits are always 500 and `-tt`'s five fraction digits
 * are the µs value truncated to 10 µs. The human forms are UTC without leap seconds.
 * Every stamp is 25 bytes.
 */

import type { StampStyle } from "./options.ts";

/** Length of every stamp and of a TAI64N label. */
export const STAMP_LENGTH = 25;

const HEX = "0123456789abcdef";

function hex8(value: number): string {
  let text = "";
  for (let shift = 28; shift >= 0; shift -= 4) text += HEX[(value >>> shift) & 15]!;
  return text;
}

function pad(value: number, width: number): string {
  return String(value).padStart(width, "0");
}

/**
 * `@` + 24 hex digits: TAI64N of a unix time given in microseconds (valid until 2106).
 *
 * @example
 * ```ts
 * import { tai64nLabel } from "./stamp.ts";
 * tai64nLabel(1700000000_123456); // "@400000006553f10a075bcbf4"
 * ```
 */
export function tai64nLabel(micros: number): string {
  const seconds = Math.floor(micros / 1e6);
  const nanoseconds = (micros - seconds * 1e6) * 1000 + 500;
  return "@40000000" + hex8(seconds + 10) + hex8(nanoseconds);
}

/**
 * The 25-character stamp of one style (1, 2 or 3) for a unix time in microseconds.
 *
 * @example
 * ```ts
 * import { formatStamp } from "./stamp.ts";
 * formatStamp(2, 1700000000_123456); // "2023-11-14_22:13:20.12345"
 * ```
 */
export function formatStamp(style: Exclude<StampStyle, 0>, micros: number): string {
  if (style === 1) return tai64nLabel(micros);
  const seconds = Math.floor(micros / 1e6);
  const fraction = Math.floor((micros - seconds * 1e6) / 10);
  const date = new Date(seconds * 1000);
  return `${pad(date.getUTCFullYear(), 4)}-${pad(date.getUTCMonth() + 1, 2)}-${
    pad(date.getUTCDate(), 2)
  }${style === 2 ? "_" : "T"}${pad(date.getUTCHours(), 2)}:${pad(date.getUTCMinutes(), 2)}:${
    pad(date.getUTCSeconds(), 2)
  }.${pad(fraction, 5)}`;
}

/** A rotated file name: the label, `.`, and the suffix letter (27 characters). */
export function rotatedName(micros: number, suffix: "s" | "u" | "t"): string {
  return `${tai64nLabel(micros)}.${suffix}`;
}

/** Encodes stamps as bytes with a trailing space, re-encoding only when the time changes. */
export class StampCache {
  readonly #style: Exclude<StampStyle, 0>;
  #micros = -1;
  /** The stamp plus one space: 26 bytes. */
  bytes: Uint8Array = new Uint8Array(STAMP_LENGTH + 1);
  /** The stamp text without the space. */
  text = "";

  constructor(style: Exclude<StampStyle, 0>) {
    this.#style = style;
  }

  /** Makes `bytes`/`text` the stamp of `micros`. */
  set(micros: number): void {
    if (micros === this.#micros) return;
    this.#micros = micros;
    this.text = formatStamp(this.#style, micros);
    const bytes = new Uint8Array(STAMP_LENGTH + 1);
    for (let i = 0; i < STAMP_LENGTH; i++) bytes[i] = this.text.charCodeAt(i);
    bytes[STAMP_LENGTH] = 0x20;
    this.bytes = bytes;
  }
}
