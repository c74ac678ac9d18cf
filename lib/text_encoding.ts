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

/** Sets the encoding for everything written and passed to libc from now on. */
export function setTextEncoding(encoder: (text: string) => Uint8Array<ArrayBuffer>): void {
  encode = encoder;
}
