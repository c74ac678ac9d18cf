/**
 * chpst's numeric arguments (spec chpst.md §4), parsed as runit's C does: `scan_ulong`
 * into an unsigned long that wraps modulo 2^64, then stored in a signed long (limits) or
 * an int (nice). The wrap is observable and kept: `-o 18446744073709551617` is 1, and a
 * value from 2^63 to 2^64-2 is a negative long that chpst's `limit >= -1` test skips, so
 * the limit is left alone (observed with Debian's chpst).
 */

import { UsageError } from "../sys_error.ts";

const TWO_64 = 1n << 64n;

/** The value of a whole decimal string modulo 2^64 (empty is 0), or undefined if not all digits. */
export function scanUlong64(text: string): bigint | undefined {
  if (!/^[0-9]*$/.test(text)) return undefined;
  return text === "" ? 0n : BigInt(text) % TWO_64;
}

/**
 * A limit argument (`-m -d -o -p -f -c -r -t`) as chpst stores it: a signed 64-bit
 * value, -1 meaning "the hard limit". `allowEquals` is softlimit's `=` (also -1).
 * Throws UsageError on anything but digits.
 *
 * @example
 * ```ts
 * import { parseLimit } from "./numbers.ts";
 * parseLimit("100", false); // 100n
 * parseLimit("=", true); // -1n
 * ```
 */
export function parseLimit(text: string, allowEquals: boolean): bigint {
  if (allowEquals && text === "=") return -1n;
  const value = scanUlong64(text);
  if (value === undefined) throw new UsageError("");
  return BigInt.asIntN(64, value);
}

/**
 * `-n INC`: an optional `-` (negative) or `+`, then digits (empty is 0); the result is
 * an int, as in chpst.c. Throws UsageError otherwise.
 *
 * @example
 * ```ts
 * import { parseNice } from "./numbers.ts";
 * parseNice("-3"); // -3
 * parseNice("+2"); // 2
 * ```
 */
export function parseNice(text: string): number {
  const negative = text.startsWith("-");
  const digits = negative || text.startsWith("+") ? text.slice(1) : text;
  const value = scanUlong64(digits);
  if (value === undefined) throw new UsageError("");
  const level = Number(BigInt.asIntN(32, value));
  return negative ? Number(BigInt.asIntN(32, BigInt(-level))) : level;
}

/**
 * The soft limit chpst sets for a stored limit `value`, given the hard limit `max`
 * (unsigned; RLIM_INFINITY is 2^64-1), or undefined when chpst leaves it alone
 * (value below -1). -1 and anything above the hard limit give the hard limit.
 *
 * @example
 * ```ts
 * import { softLimitFor } from "./numbers.ts";
 * softLimitFor(100n, 20000n); // 100n
 * softLimitFor(99999999n, 20000n); // 20000n
 * ```
 */
export function softLimitFor(value: bigint, max: bigint): bigint | undefined {
  if (value < -1n) return undefined;
  if (value < 0n || value > max) return max;
  return value;
}
