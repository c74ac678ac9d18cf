/**
 * Reading one environment variable without dying of it: `Deno.env.get` throws when the
 * value is not UTF-8 ("environment variable was not valid unicode"), and the caller
 * decides what an applet's argv[0] (DENIT_ARGV0), SVDIR or PATH hold. Such a value is
 * read from /proc/self/environ instead, decoded with U+FFFD as Deno decodes arguments
 * (lib/escaped_text.ts keeps the bytes where a name must be reached by them).
 */

/** Deno.env.get(`name`), with a value that is not UTF-8 decoded lossily. */
export function envValue(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    const bytes = environBytes(name);
    return bytes === undefined ? undefined : new TextDecoder().decode(bytes);
  }
}

/** The bytes of `name`'s value in /proc/self/environ (the initial environment). */
export function environBytes(name: string): Uint8Array | undefined {
  let environ: Uint8Array;
  try {
    environ = Deno.readFileSync("/proc/self/environ");
  } catch {
    return undefined;
  }
  const prefix = new TextEncoder().encode(name + "=");
  for (const entry of splitAtNul(environ)) {
    if (entry.length >= prefix.length && prefix.every((byte, i) => entry[i] === byte)) {
      return entry.subarray(prefix.length);
    }
  }
  return undefined;
}

/**
 * The NUL-terminated words of a /proc/self/cmdline or /proc/self/environ, as views.
 *
 * @example
 * ```ts
 * import { splitAtNul } from "./env.ts";
 * splitAtNul(new Uint8Array([0x61, 0, 0x62, 0])).length; // 2
 * ```
 */
export function splitAtNul(bytes: Uint8Array): Uint8Array[] {
  const words: Uint8Array[] = [];
  for (let start = 0, end = 0; start < bytes.length; start = end + 1) {
    end = bytes.indexOf(0, start);
    if (end === -1) end = bytes.length;
    words.push(bytes.subarray(start, end));
  }
  return words;
}
