/**
 * Bytes that are not UTF-8 carried through JavaScript strings, as Python's
 * "surrogateescape" carries them: each byte that is not part of a valid UTF-8 sequence
 * becomes the lone surrogate U+DC80 + (byte - 0x80). Valid UTF-8 never decodes to those
 * (surrogates are not UTF-8), so {@linkcode encodeEscaped} gives back the very bytes.
 *
 * Deno decodes arguments with U+FFFD for such bytes and its file APIs take UTF-8 only; an
 * applet that must name such a file (sv's service names) reads its arguments' bytes from
 * /proc, keeps them in this form, prints them as they were (lib/output.ts) and reaches
 * the file through FFI.
 */

import { environBytes, envValue, splitAtNul } from "./env.ts";
import { setTextEncoding } from "./text_encoding.ts";

const REPLACEMENT = "\ufffd";
const utf8 = new TextEncoder();

/** Length of a valid UTF-8 sequence at `at`, or 0 when the byte there starts none. */
function sequenceLength(bytes: Uint8Array, at: number): number {
  const lead = bytes[at]!;
  if (lead < 0x80) return 1;
  let length: number;
  let low = 0x80; // bounds of the second byte (overlong forms, surrogates, > U+10FFFF)
  let high = 0xbf;
  if (lead >= 0xc2 && lead <= 0xdf) length = 2;
  else if (lead >= 0xe0 && lead <= 0xef) {
    length = 3;
    if (lead === 0xe0) low = 0xa0;
    if (lead === 0xed) high = 0x9f;
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    length = 4;
    if (lead === 0xf0) low = 0x90;
    if (lead === 0xf4) high = 0x8f;
  } else return 0;
  if (at + length > bytes.length) return 0;
  const second = bytes[at + 1]!;
  if (second < low || second > high) return 0;
  for (let k = 2; k < length; k++) {
    const next = bytes[at + k]!;
    if (next < 0x80 || next > 0xbf) return 0;
  }
  return length;
}

/**
 * Decodes UTF-8, each byte outside a valid sequence as U+DC80 + (byte - 0x80).
 *
 * @example
 * ```ts
 * import { decodeEscaped } from "./escaped_text.ts";
 * decodeEscaped(new Uint8Array([0x73, 0xff])); // "s\udcff"
 * ```
 */
export function decodeEscaped(bytes: Uint8Array): string {
  const decoder = new TextDecoder();
  let out = "";
  let start = 0; // of the valid run not yet decoded
  for (let at = 0; at < bytes.length;) {
    const length = sequenceLength(bytes, at);
    if (length > 0) {
      at += length;
      continue;
    }
    out += decoder.decode(bytes.subarray(start, at)) + String.fromCharCode(0xdc00 + bytes[at]!);
    start = ++at;
  }
  return out + decoder.decode(bytes.subarray(start));
}

/**
 * Encodes as UTF-8, each lone U+DC80..U+DCFF as the byte it stands for (other lone
 * surrogates as U+FFFD, as TextEncoder does).
 *
 * @example
 * ```ts
 * import { encodeEscaped } from "./escaped_text.ts";
 * encodeEscaped("s\udcff"); // Uint8Array [0x73, 0xff]
 * ```
 */
export function encodeEscaped(text: string): Uint8Array<ArrayBuffer> {
  if (text.isWellFormed()) return utf8.encode(text);
  const parts: Uint8Array[] = [];
  let start = 0;
  for (let at = 0; at < text.length; at++) {
    const unit = text.charCodeAt(at);
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = text.charCodeAt(at + 1);
      if (next >= 0xdc00 && next <= 0xdfff) at++; // a pair: UTF-8 as it is
      continue;
    }
    if (unit < 0xdc00 || unit > 0xdfff) continue;
    parts.push(utf8.encode(text.slice(start, at)));
    parts.push(
      unit >= 0xdc80 && unit <= 0xdcff ? new Uint8Array([unit - 0xdc00]) : utf8.encode(REPLACEMENT),
    );
    start = at + 1;
  }
  parts.push(utf8.encode(text.slice(start)));
  const out = new Uint8Array(parts.reduce((size, part) => size + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/**
 * `args` (as Deno decoded them) with the exact bytes of each one Deno could not decode,
 * in the escaped form; `cmdline` is /proc/self/cmdline, whose last words are the
 * arguments. An argument whose bytes there do not decode to what Deno gave stays as it is.
 */
export function escapedArguments(args: readonly string[], cmdline: Uint8Array): string[] {
  const words = splitAtNul(cmdline);
  const tail = words.slice(words.length - args.length);
  const lossy = new TextDecoder(); // as Deno decodes: one U+FFFD per bad sequence
  return args.map((arg, i) => {
    const word = tail[i];
    if (!arg.includes(REPLACEMENT) || word === undefined) return arg;
    return lossy.decode(word) === arg ? decodeEscaped(word) : arg;
  });
}

/**
 * The process's arguments (`args`, as Deno gave them) with the exact bytes of any that
 * Deno could not decode, read from /proc/self/cmdline only then (~0.1 ms), and
 * {@linkcode useEscapedText} then.
 */
export function takeExactArguments(args: readonly string[]): readonly string[] {
  if (!args.join("\0").includes(REPLACEMENT)) return args;
  useEscapedText();
  try {
    return escapedArguments(args, Deno.readFileSync("/proc/self/cmdline"));
  } catch {
    return args;
  }
}

/**
 * From now on the process's text carries bytes that are not UTF-8 in this form: its
 * output and the C strings it hands to libc give them back (lib/text_encoding.ts).
 */
export function useEscapedText(): void {
  setTextEncoding(encodeEscaped);
}

/**
 * Environment variable `name` with its exact bytes where Deno could not decode them (read
 * from /proc/self/environ only then; {@linkcode useEscapedText} then); undefined when it
 * is not set.
 */
export function takeExactEnv(name: string): string | undefined {
  try {
    const value = Deno.env.get(name);
    if (value === undefined || !value.includes(REPLACEMENT)) return value;
  } catch {
    // not UTF-8: Deno refuses to give it (lib/env.ts)
  }
  const bytes = environBytes(name);
  if (bytes === undefined) return envValue(name);
  const exact = decodeEscaped(bytes);
  if (!exact.isWellFormed()) useEscapedText();
  return exact;
}
