/**
 * Errors from the system, carrying the errno, its name and runit's text for it.
 *
 * `SysError` comes from `ffi/` wrappers; {@linkcode errnoOf} also reads the errno out of
 * Deno's own errors (which carry `code: "ENOENT"`), so callers print runit's text
 * whichever API failed.
 */

import { errnoName, errnoValue, errstr } from "./errstr.ts";

/** A failed system call: syscall name, errno, optional path. */
export class SysError extends Error {
  override name = "SysError";
  readonly syscall: string;
  readonly errno: number;
  readonly path: string | undefined;

  constructor(syscall: string, errno: number, path?: string) {
    super(`${syscall}${path === undefined ? "" : ` ${path}`}: ${errstr(errno)}`);
    this.syscall = syscall;
    this.errno = errno;
    this.path = path;
  }

  /** The errno name, e.g. "ENOENT". */
  get code(): string {
    return errnoName(this.errno);
  }
}

/** A wrong command line; the applet prints its usage and exits with its usage code. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** Bytes that do not decode as the expected format. */
export class FormatError extends SyntaxError {
  override name = "FormatError";
}

const DENO_ERROR_ERRNO: Record<string, string> = {
  NotFound: "ENOENT",
  PermissionDenied: "EACCES",
  AlreadyExists: "EEXIST",
  NotADirectory: "ENOTDIR",
  IsADirectory: "EISDIR",
  BrokenPipe: "EPIPE",
  WouldBlock: "EAGAIN",
  Interrupted: "EINTR",
  InvalidData: "EINVAL",
  TimedOut: "ETIMEDOUT",
  Busy: "EBUSY",
  FilesystemLoop: "ELOOP",
};

/**
 * The errno behind any error: SysError's own, Deno's `code` ("ENOENT"), or a guess from
 * the Deno error class; 0 when there is none.
 */
export function errnoOf(err: unknown): number {
  if (err instanceof SysError) return err.errno;
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    if (typeof code === "string") {
      const value = errnoValue(code);
      if (value !== undefined) return value;
    }
    const raw = (err as { errno?: unknown }).errno;
    if (typeof raw === "number") return Math.abs(raw);
    const byClass = DENO_ERROR_ERRNO[err.name];
    if (byClass !== undefined) return errnoValue(byClass) ?? 0;
  }
  return 0;
}

/** runit's text for the errno behind `err` ("file does not exist"). */
export function errText(err: unknown): string {
  const code = errnoOf(err);
  return code === 0 && !(err instanceof SysError) ? "unknown error" : errstr(code);
}
