/**
 * How this process turns its text into bytes, for its output (lib/output.ts) and the C
 * strings it hands to libc (ffi/libc.ts `cstr`): UTF-8, until an applet that keeps names
 * that are not UTF-8 byte for byte (lib/escaped_text.ts: sv, runsv) sets that encoder.
 * The other bundles never hold it (chpst's quick entry compiles all it holds).
 */

const utf8 = new TextEncoder();
let encode = (text: string): Uint8Array<ArrayBuffer> => utf8.encode(text);

/** `text` as bytes, in the process's current encoding. */
export function encodeText(text: string): Uint8Array<ArrayBuffer> {
  return encode(text);
}

/**
 * The bytes of `text`, which is ASCII (a pid, a `stat` line), in JavaScript alone: a
 * TextEncoder is a call into Deno, which runs cold when runsv wakes for a `u` and made
 * part of its way to `stat` (#3).
 */
export function asciiBytes(text: string): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

/** Sets the encoding for everything written and passed to libc from now on. */
export function setTextEncoding(encoder: (text: string) => Uint8Array<ArrayBuffer>): void {
  encode = encoder;
}
