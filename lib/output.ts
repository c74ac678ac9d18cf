/**
 * The only place that writes to the process's stdout and stderr (lint: no-console).
 *
 * Writes are synchronous and complete: un-awaited async writes are lost on exit
 * (DENO-NOTES.md §11), and console.log swallows EPIPE. A closed stdout or stderr is not
 * an error worth dying for: the write is dropped, as runit's buffer_flush would fail.
 * A broken pipe is, for the short-lived applets: runit's leave SIGPIPE at its default
 * and die of it (lib/launch.ts sets that up through {@linkcode onBrokenPipe}); Deno
 * ignores SIGPIPE, so the write only fails here.
 */

import { encodeText } from "./text_encoding.ts";

let brokenPipe: (() => void) | undefined;

/** What to do when a write finds a broken pipe (default: drop the write). */
export function onBrokenPipe(action: () => void): void {
  brokenPipe = action;
}

function writeAll(file: { writeSync(p: Uint8Array): number }, bytes: Uint8Array): void {
  let offset = 0;
  try {
    while (offset < bytes.length) offset += file.writeSync(bytes.subarray(offset));
  } catch (err) {
    // EPIPE/EBADF on stdio: nothing sensible left to report to.
    if (err instanceof Deno.errors.BrokenPipe) brokenPipe?.();
  }
}

/** Writes text (or bytes) to stdout, completely (text as lib/text_encoding.ts says). */
export function writeStdout(text: string | Uint8Array): void {
  writeAll(Deno.stdout, typeof text === "string" ? encodeText(text) : text);
}

/** Writes text (or bytes) to stderr, completely. */
export function writeStderr(text: string | Uint8Array): void {
  writeAll(Deno.stderr, typeof text === "string" ? encodeText(text) : text);
}
