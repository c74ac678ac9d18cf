/**
 * runit's message shapes (skalibs strerr grammar): `PREFIX: fatal: TEXT: ERR`,
 * `PREFIX: warning: TEXT`, and plain `PREFIX: TEXT`. The prefix is fixed per process
 * (`runsv DIR`, `- runit`, `init`, `chpst`), so an applet makes one {@linkcode Messenger}.
 * Parts are joined with nothing added; the errno text (runit's, lib/errstr.ts) comes
 * last; one newline ends the line (spec chpst.md Appendix A).
 */

import { errText } from "./sys_error.ts";
import { writeStderr } from "./output.ts";

/** Prints messages with a fixed prefix to a sink (stderr by default). */
export class Messenger {
  readonly prefix: string;
  readonly #sink: (line: string) => void;

  constructor(prefix: string, sink: (line: string) => void = writeStderr) {
    this.prefix = prefix;
    this.#sink = sink;
  }

  /** `PREFIX: fatal: TEXT[: ERR]` — the caller decides the exit code. */
  fatal(text: string, err?: unknown): void {
    this.#sink(this.format("fatal: ", text, err));
  }

  /** `PREFIX: warning: TEXT[: ERR]`. */
  warn(text: string, err?: unknown): void {
    this.#sink(this.format("warning: ", text, err));
  }

  /** `PREFIX: TEXT[: ERR]`. */
  info(text: string, err?: unknown): void {
    this.#sink(this.format("", text, err));
  }

  /** The line a message would print, newline included. */
  format(level: string, text: string, err?: unknown): string {
    const suffix = err === undefined ? "" : `: ${errText(err)}`;
    return `${this.prefix}: ${level}${text}${suffix}\n`;
  }
}

/** `usage: NAME ARGS\n\n` — runit's usage shape: the line and an empty line. */
export function usageText(name: string, args: string): string {
  return `usage: ${name} ${args}\n\n`;
}

/** The basename of a path, after the last `/` (runit's program-name rule). */
export function baseName(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash === -1 ? path : path.slice(slash + 1);
}
