/**
 * runit-init's side of the request protocol (spec runit.md §3.3, §4): set the stopit and
 * reboot flags and send SIGCONT to process 1. Errors are thrown as {@linkcode RequestError}
 * carrying runit-init's message text; the applet prints them and exits 111.
 */

import { errnoOf, SysError } from "../sys_error.ts";
import { REBOOT, STOPIT } from "./files.ts";
import { EBADF, ENOENT } from "../errstr.ts";

/** A failed step: `unable to create PATH`, with the underlying error. */
export class RequestError extends Error {
  override name = "RequestError";
  readonly text: string;
  constructor(text: string, cause: unknown) {
    super(text, { cause });
    this.text = text;
  }
}

/** What the first argument asks for: `0` halt, `6` reboot (only its first character). */
export type RequestKind = "halt" | "reboot";

/** Reads runit-init's argument; undefined means "print the usage". */
export function parseRequest(arg: string | undefined): RequestKind | undefined {
  if (arg?.[0] === "0") return "halt";
  if (arg?.[0] === "6") return "reboot";
  return undefined;
}

/** Paths used by {@linkcode sendRequest}; tests point them elsewhere. */
export interface RequestFiles {
  stopit: string;
  reboot: string;
}

/**
 * Creates or truncates a flag file (mode 0644 before umask) and makes it 0100. Debian's
 * runit-init closes the new file at once and checks that close, so a failed create is
 * reported with the close error, "file descriptor not open" (spec §3.4, observed).
 */
function setFlag(path: string): void {
  try {
    Deno.openSync(path, { write: true, create: true, truncate: true, mode: 0o644 }).close();
  } catch {
    throw new RequestError(`unable to create ${path}`, new SysError("close", EBADF, path));
  }
  try {
    Deno.chmodSync(path, 0o100);
  } catch (err) {
    throw new RequestError(`unable to chmod ${path}`, err);
  }
}

/**
 * Sends SIGCONT to process 1; the result is ignored, as runit-init does. Deno.kill, not
 * kill(2) through FFI: binding a libc symbol costs `init 0` ~0.5-1 ms.
 */
function signalProcessOne(): void {
  try {
    Deno.kill(1, "SIGCONT");
  } catch {
    // ignored, as runit-init ignores kill()'s result
  }
}

/** Sets the flags for `kind` and tells process 1 (SIGCONT). */
export function sendRequest(
  kind: RequestKind,
  files: RequestFiles = { stopit: STOPIT, reboot: REBOOT },
  notify: () => void = signalProcessOne,
): void {
  setFlag(files.stopit);
  if (kind === "reboot") {
    setFlag(files.reboot);
  } else {
    try {
      Deno.chmodSync(files.reboot, 0);
    } catch (err) {
      if (errnoOf(err) !== ENOENT) throw new RequestError(`unable to chmod ${files.reboot}`, err);
    }
  }
  notify();
}
