/**
 * Reading an environment directory, as chpst.c's `edir()` does (spec chpst.md §5): for
 * each entry not starting with `.`, the first line of the file with trailing blanks cut
 * and NUL bytes turned into newlines sets the variable; an empty file unsets it.
 *
 * The quirk of a vanished entry is kept: runit's `openreadclose` leaves its buffer
 * untouched when the file does not exist, so the entry reuses the previous entry's
 * processed value plus its terminating NUL (which becomes a newline).
 */

import { FatalError } from "./fatal.ts";

/** One change to the child's environment: set `name` to `value`, or unset it. */
export interface EnvChange {
  name: string;
  /** undefined unsets the variable. */
  value: string | undefined;
}

const NL = 0x0a;
const NUL = 0x00;
const SPACE = 0x20;
const TAB = 0x09;

/**
 * Processes runit's read buffer for one entry: returns the value bytes (undefined means
 * unset) and the buffer as edir leaves it for the next entry (value plus a NUL).
 *
 * @example
 * ```ts
 * import { envValueFromBuffer } from "./env_dir.ts";
 * const { value } = envValueFromBuffer(new TextEncoder().encode("val1  \t \nsecond\n"));
 * new TextDecoder().decode(value); // "val1"
 * ```
 */
export function envValueFromBuffer(
  buffer: Uint8Array,
): { value: Uint8Array | undefined; buffer: Uint8Array } {
  if (buffer.length === 0) return { value: undefined, buffer };
  let end = buffer.indexOf(NL);
  if (end === -1) end = buffer.length;
  while (end > 0 && (buffer[end - 1] === SPACE || buffer[end - 1] === TAB)) end--;
  const next = new Uint8Array(end + 1);
  next.set(buffer.subarray(0, end));
  for (let i = 0; i < end; i++) if (next[i] === NUL) next[i] = NL;
  next[end] = NUL;
  return { value: next.subarray(0, end), buffer: next };
}

/** Remembers the working directory and goes back to it (runit: open(".") and fchdir). */
export interface CwdKeeper {
  /** Throws when the current directory cannot be remembered. */
  save(): void;
  /** Throws when it cannot go back. */
  restore(): void;
}

/** A {@linkcode CwdKeeper} by path (Deno.cwd); cmd/chpst.ts uses an fd-based one. */
export function cwdByPath(): CwdKeeper {
  let saved = "";
  return {
    save: () => saved = Deno.cwd(),
    restore: () => Deno.chdir(saved),
  };
}

/** How edir treats a subdirectory: chpst -e skips it (warning with -v), envdir fails. */
export interface EnvDirOptions {
  /** true for the envdir personality: any read error, EISDIR included, is fatal. */
  strict: boolean;
  /** chpst -v: warn about skipped subdirectories. */
  verbose: boolean;
  /** Prints a warning line's text (without the `chpst: warning: ` prefix). */
  warn(text: string, err: unknown): void;
  /** How to come back to the start directory; by path when not given. */
  cwd?: CwdKeeper;
}

function isDirectoryError(err: unknown): boolean {
  return err instanceof Deno.errors.IsADirectory ||
    (err as { code?: string }).code === "EISDIR";
}

/**
 * Reads `dir` (relative to the current directory) into a list of changes, in directory
 * order. Changes directory into `dir` and back, as runit does, so the error texts match.
 * Throws {@linkcode FatalError} with runit's message.
 */
export function readEnvDir(dir: string, options: EnvDirOptions): EnvChange[] {
  const cwd = options.cwd ?? cwdByPath();
  try {
    cwd.save();
  } catch (err) {
    throw new FatalError("unable to open current working directory", err);
  }
  let changes: EnvChange[];
  try {
    changes = readEntries(dir, options);
  } catch (err) {
    try {
      cwd.restore(); // only for callers that go on; chpst exits
    } catch {
      // the fatal error is the one to report
    }
    throw err;
  }
  try {
    cwd.restore();
  } catch (err) {
    throw new FatalError("unable to switch to starting directory", err);
  }
  return changes;
}

function readEntries(dir: string, options: EnvDirOptions): EnvChange[] {
  try {
    Deno.chdir(dir);
  } catch (err) {
    throw new FatalError(`unable to switch to directory: ${dir}`, err);
  }
  let entries: Iterable<Deno.DirEntry>;
  try {
    entries = Deno.readDirSync(".");
  } catch (err) {
    throw new FatalError(`unable to open directory: ${dir}`, err);
  }
  const changes: EnvChange[] = [];
  const decoder = new TextDecoder();
  let buffer: Uint8Array = new Uint8Array(0);
  const iterator = entries[Symbol.iterator]();
  for (;;) {
    let step: IteratorResult<Deno.DirEntry>;
    try {
      step = iterator.next();
    } catch (err) {
      throw new FatalError(`unable to read directory: ${dir}`, err);
    }
    if (step.done) break;
    const name = step.value.name;
    if (name.startsWith(".")) continue;
    try {
      buffer = Deno.readFileSync(name);
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) {
        // runit's openreadclose: a missing file leaves the buffer as it was (quirk).
      } else if (isDirectoryError(err) && !options.strict) {
        if (options.verbose) options.warn(`unable to read ${dir}/${name}`, err);
        buffer = new Uint8Array(0); // readclose emptied it before the read failed
        continue;
      } else {
        throw new FatalError(`unable to read ${dir}/${name}`, err);
      }
    }
    const processed = envValueFromBuffer(buffer);
    buffer = processed.buffer;
    changes.push({
      name,
      value: processed.value === undefined ? undefined : decoder.decode(processed.value),
    });
  }
  return changes;
}
