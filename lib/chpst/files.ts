/**
 * The files chpst reads, as runit does (spec chpst.md §5, §6): an environment directory
 * (chpst.c `edir()`), and the account database for `-u`/`-U` and the setuidgid/envuidgid
 * personalities (runit's `uidgids_get()`/`uidgid_get()` over `/etc/passwd` and
 * `/etc/group`, read after `-/` so lookups happen inside the new root).
 *
 * One module on purpose: chpst's start-up budget pays ~0.3 ms per module loaded.
 */

import { readDirectoryExact, readFileNoWait } from "../../ffi/dir.ts";
import { chdirExact } from "../../ffi/libc.ts";
import { useEscapedText } from "../escaped_text.ts";
import { ENOENT } from "../errstr.ts";
import { errnoOf } from "../sys_error.ts";
import { encodeText } from "../text_encoding.ts";
import { FatalError } from "./request.ts";
import { byteString, type EnvChange } from "./inherit.ts";

export type { EnvChange };

// ---- Environment directory ----

/*
 * Reading an environment directory, as chpst.c's `edir()` does (spec chpst.md §5): for
 * each entry not starting with `.`, the first line of the file with trailing blanks cut
 * and NUL bytes turned into newlines sets the variable; an empty file unsets it.
 *
 * The quirk of a vanished entry is kept: runit's `openreadclose` leaves its buffer
 * untouched when the file does not exist, so the entry reuses the previous entry's
 * processed value plus its terminating NUL (which becomes a newline).
 */

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
 * import { envValueFromBuffer } from "./files.ts";
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

/**
 * The env dir's changes when reading it is the common case, for chpst's quick entry
 * (lib/chpst/quick.ts): read by path, without changing directory; every entry not starting
 * with `.` a plain file that can be read, and at least one (so the directory can be searched,
 * as chdir into it needs). Undefined for anything else, having changed nothing: then
 * {@linkcode readEnvDir} is the one to run, and reports it as runit does.
 */
export function readEnvDirQuick(dir: string): EnvChange[] | undefined {
  const changes: EnvChange[] = [];
  try {
    for (const entry of Deno.readDirSync(dir)) {
      if (entry.name.startsWith(".")) continue;
      // Anything but a plain file (a FIFO would block the read) goes the full way.
      if (!entry.isFile) return undefined;
      const { value } = envValueFromBuffer(Deno.readFileSync(`${dir}/${entry.name}`));
      changes.push(envChange(entry.name, value));
    }
  } catch {
    return undefined;
  }
  return changes.length === 0 ? undefined : changes;
}

function envChange(name: string, value: Uint8Array | undefined): EnvChange {
  // encodeText: UTF-8, or a name's own bytes where it was not UTF-8 (readEntries).
  return {
    name: byteString(encodeText(name)),
    value: value === undefined ? undefined : byteString(value),
  };
}

function readEntries(dir: string, options: EnvDirOptions): EnvChange[] {
  try {
    chdirExact(dir); // a name that was not UTF-8 is reached by its bytes
  } catch (err) {
    throw new FatalError(`unable to switch to directory: ${dir}`, err);
  }
  let entries: Iterable<Deno.DirEntry>;
  try {
    entries = Deno.readDirSync(".");
  } catch (err) {
    throw new FatalError(`unable to open directory: ${dir}`, err);
  }
  let names: string[] = [];
  try {
    for (const entry of entries) names.push(entry.name);
    // A name Deno could not decode is listed again by its bytes (ffi/dir.ts): runit sets
    // the variable of that very name.
    if (names.some((name) => name.includes("\ufffd"))) {
      useEscapedText();
      names = readDirectoryExact(".");
    }
  } catch (err) {
    throw new FatalError(`unable to read directory: ${dir}`, err);
  }
  const changes: EnvChange[] = [];
  let buffer: Uint8Array = new Uint8Array(0);
  for (const name of names) {
    if (name.startsWith(".")) continue;
    try {
      buffer = readFileNoWait(name); // a FIFO without a writer is empty, as in runit
    } catch (err) {
      if (err instanceof Deno.errors.NotFound || errnoOf(err) === ENOENT) {
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
    changes.push(envChange(name, processed.value));
  }
  return changes;
}

// ---- Accounts ----

/*
 * User specifications for `-u`/`-U` and the setuidgid/envuidgid personalities (spec
 * chpst.md §6), as runit's `uidgids_get()` and `uidgid_get()` resolve them, with readers
 * for the files database (`/etc/passwd`, `/etc/group`). The files are read by the caller
 * after `-/`, so lookups happen inside the new root, as getpwnam(3) does for runit.
 */

/** The result of a lookup: the uid and the group list (the first is the primary gid). */
export interface Credentials {
  uid: number;
  gids: number[];
}

/** The account database the lookups read; a reader throws when its file is unreadable. */
export interface AccountDb {
  /** The uid and primary gid of a user, or undefined when there is none. */
  user(name: string): { uid: number; gid: number } | undefined;
  /** The gid of a group, or undefined when there is none. */
  group(name: string): number | undefined;
}

/** Why a spec did not resolve: a malformed `:uid:gid` spec, or an unknown name. */
export type SpecFailure = "invalid" | "unknown";

const MAX_GROUPS = 60; // runit's uidgid.h: gid[61]
const TWO_32 = 1n << 32n;

function scanDigits(text: string, from: number): { value: number; end: number } {
  let end = from;
  while (end < text.length && text.charCodeAt(end) >= 48 && text.charCodeAt(end) <= 57) end++;
  const digits = text.slice(from, end);
  // scan_ulong wraps modulo 2^64; uid_t and gid_t keep the low 32 bits.
  return { value: digits === "" ? 0 : Number(BigInt(digits) % TWO_32), end };
}

/**
 * A numeric spec `:UID:GID[:GID...]` (runit's `uidgids_set()`); `spec` includes the
 * leading colon. Returns "invalid" for anything runit rejects.
 *
 * @example
 * ```ts
 * import { parseNumericSpec } from "./files.ts";
 * parseNumericSpec(":1:2:3"); // { uid: 1, gids: [2, 3] }
 * parseNumericSpec(":1"); // "invalid"
 * ```
 */
export function parseNumericSpec(spec: string): Credentials | "invalid" {
  let pos = 1;
  const uid = scanDigits(spec, pos);
  pos = uid.end;
  if (spec[pos++] !== ":") return "invalid";
  const gids: number[] = [];
  for (let i = 0; i < MAX_GROUPS; i++, pos++) {
    const gid = scanDigits(spec, pos);
    pos = gid.end;
    gids.push(gid.value);
    if (spec[pos] !== ":") break;
  }
  if (pos < spec.length) return "invalid";
  return { uid: uid.value, gids };
}

/**
 * `-u`/`-U` SPEC: `:UID:GID...`, `USER`, or `USER:GROUP[:GROUP...]` (runit's
 * `uidgids_get()`). Reader errors propagate (runit: "unable to get password/group file
 * entry").
 */
export function resolveUserSpec(spec: string, db: AccountDb): Credentials | SpecFailure {
  if (spec.startsWith(":")) return parseNumericSpec(spec);
  const colon = spec.indexOf(":");
  const userName = colon === -1 ? spec : spec.slice(0, colon);
  const user = db.user(userName);
  if (user === undefined) return "unknown";
  if (colon === -1) return { uid: user.uid, gids: [user.gid] };
  const groupNames = spec.slice(colon + 1).split(":").slice(0, MAX_GROUPS);
  const gids: number[] = [];
  for (const name of groupNames) {
    const gid = db.group(name);
    if (gid === undefined) return "unknown";
    gids.push(gid);
  }
  return { uid: user.uid, gids };
}

/** An account name looked up whole, no colon forms (runit's `uidgid_get()`). */
export function resolveAccount(account: string, db: AccountDb): Credentials | "unknown" {
  const user = db.user(account);
  return user === undefined ? "unknown" : { uid: user.uid, gids: [user.gid] };
}

/**
 * A uid or gid field as glibc's files backend reads it (strtoul): leading blanks and a sign
 * allowed, at least one digit, nothing after them; past 32 bits (`-1` too) no entry.
 */
function numericField(text: string | undefined): number | undefined {
  const match = text === undefined ? null : /^[ \t\n\v\f\r]*([+-]?)([0-9]+)$/.exec(text);
  if (match === null) return undefined;
  let value = BigInt(match[2]!);
  if (match[1] === "-") value = BigInt.asUintN(64, -value);
  return value > 0xffffffffn ? undefined : Number(value); // as Debian's chpst finds them
}

/**
 * The lines glibc's files backend reads entries from: leading blanks skipped, empty and
 * `#` comment lines left out.
 */
function entryLines(text: string): string[] {
  return text.split("\n").map((line) => line.replace(/^[ \t\v\f\r]+/, ""))
    .filter((line) => line !== "" && !line.startsWith("#"));
}

/**
 * The first `/etc/passwd` line for `name` (`name:pw:uid:gid:gecos:dir:shell`), read as
 * glibc's files backend reads it (leading blanks, `#` comments, numbers as strtoul takes
 * them); lines it would reject (bad numbers, NIS `+`/`-` entries) are skipped.
 *
 * @example
 * ```ts
 * import { findPasswdEntry } from "./files.ts";
 * findPasswdEntry("daemon:x:1:1::/:/bin/sh\n", "daemon"); // { uid: 1, gid: 1 }
 * ```
 */
export function findPasswdEntry(
  text: string,
  name: string,
): { uid: number; gid: number } | undefined {
  if (name === "" || name.startsWith("+") || name.startsWith("-")) return undefined;
  for (const line of entryLines(text)) {
    const fields = line.split(":");
    if (fields[0] !== name || fields.length < 4) continue;
    const uid = numericField(fields[2]);
    const gid = numericField(fields[3]);
    if (uid === undefined || gid === undefined) continue;
    return { uid, gid };
  }
  return undefined;
}

/** The gid of the first `/etc/group` line for `name` (`name:pw:gid:members`). */
export function findGroupEntry(text: string, name: string): number | undefined {
  if (name === "" || name.startsWith("+") || name.startsWith("-")) return undefined;
  for (const line of entryLines(text)) {
    const fields = line.split(":");
    if (fields[0] !== name || fields.length < 3) continue;
    const gid = numericField(fields[2]);
    if (gid !== undefined) return gid;
  }
  return undefined;
}

/**
 * The files database under the current root: `/etc/passwd` and `/etc/group`, each read
 * at most once, when first needed. A read error is thrown (Deno's error, with its code).
 */
export function filesAccountDb(root = ""): AccountDb {
  let passwd: string | undefined;
  let group: string | undefined;
  return {
    user(name: string) {
      passwd ??= Deno.readTextFileSync(`${root}/etc/passwd`);
      return findPasswdEntry(passwd, name);
    },
    group(name: string) {
      group ??= Deno.readTextFileSync(`${root}/etc/group`);
      return findGroupEntry(group, name);
    },
  };
}
