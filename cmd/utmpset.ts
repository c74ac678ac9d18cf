/**
 * utmpset — mark a terminal line as logged out in utmp, and with `-w` in wtmp (spec
 * utmpset.md; runit src/utmpset.c). Both files are locked with flock(2), as runit's
 * lock_ex does; the record edits are pure (lib/utmp.ts).
 */

import type { AppletContext } from "../lib/applet.ts";
import { getopt } from "../lib/getopt.ts";
import { Messenger, usageText } from "../lib/msg.ts";
import { writeStderr } from "../lib/output.ts";
import { UsageError } from "../lib/sys_error.ts";
import { isLoggedInOn, markLoggedOut, UTMP_SIZE, wtmpLogoutRecord } from "../lib/utmp.ts";

export const meta = { name: "utmpset", brokenPipeKills: true } as const;

const EXIT_USAGE = 1; // utmpset: usage (utmpset.8)
const EXIT_FATAL = 111; // utmpset: open or lock error, no entry, wtmp write failure

const UTMP_FILE = "/var/run/utmp"; // glibc _PATH_UTMP
const WTMP_FILE = "/var/log/wtmp"; // glibc _PATH_WTMP

/** runit 2.1.2's `$Id$` line for utmpset.c (Debian's build), printed by `-V`. */
const VERSION_LINE = "$Id: cb399098f794012a7f5e6a3a7090b2d53b86c08c $";

class Fatal extends Error {
  constructor(text: string, readonly reason: unknown) {
    super(text);
  }
}

function nowSec(): number {
  return Math.floor(Date.now() / 1000);
}

/** Logs the first matching utmp record out; false when there is none (or it failed). */
export function utmpLogout(path: string, line: string): boolean {
  let file: Deno.FsFile;
  try {
    file = Deno.openSync(path, { read: true, write: true });
  } catch (err) {
    throw new Fatal(`unable to open ${path}`, err);
  }
  try {
    try {
      file.lockSync(true);
    } catch (err) {
      throw new Fatal(`unable to lock: ${path}`, err);
    }
    const record = new Uint8Array(UTMP_SIZE);
    for (let offset = 0;; offset += UTMP_SIZE) {
      if (!readRecord(file, record)) return false;
      if (!isLoggedInOn(record, line)) continue;
      markLoggedOut(record, nowSec());
      try {
        file.seekSync(offset, Deno.SeekMode.Start);
        return file.writeSync(record) === UTMP_SIZE;
      } catch {
        return false;
      }
    }
  } finally {
    file.close();
  }
}

/** Reads one whole record; false at end of file, on a short read or an error. */
function readRecord(file: Deno.FsFile, record: Uint8Array): boolean {
  let filled = 0;
  try {
    while (filled < UTMP_SIZE) {
      const n = file.readSync(record.subarray(filled));
      if (n === null || n === 0) return false;
      filled += n;
    }
  } catch {
    return false;
  }
  return true;
}

/** Appends a logout record for `line`; throws the error to report on failure. */
export function wtmpLogout(path: string, line: string): void {
  let file: Deno.FsFile;
  try {
    file = Deno.openSync(path, { append: true, create: true, mode: 0o600 });
  } catch (err) {
    throw new Fatal(`unable to open ${path}`, err);
  }
  try {
    try {
      file.lockSync(true);
    } catch (err) {
      throw new Fatal(`unable to lock ${path}`, err);
    }
    const size = file.statSync().size;
    const record = wtmpLogoutRecord(line, nowSec());
    let written = 0;
    try {
      written = file.writeSync(record);
    } catch (err) {
      file.truncateSync(size);
      throw err;
    }
    if (written !== UTMP_SIZE) {
      file.truncateSync(size);
      throw new Error("short write");
    }
  } finally {
    file.close();
  }
}

export function main(args: readonly string[], ctx: AppletContext): number {
  const usage = usageText(ctx.argv0, "[-w] line");
  let withWtmp = false;
  let operands: string[];
  try {
    const parsed = getopt(args, "wV", ctx.name);
    for (const { letter } of parsed.options) {
      if (letter === "V") throw new UsageError(VERSION_LINE);
      withWtmp = true;
    }
    operands = parsed.operands;
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    writeStderr(`${err.message}\n${usage}`);
    return EXIT_USAGE;
  }
  const line = operands[0];
  if (line === undefined) {
    writeStderr(usage);
    return EXIT_USAGE;
  }
  const say = new Messenger("utmpset");
  try {
    if (!utmpLogout(UTMP_FILE, line)) {
      say.warn(`unable to logout line ${line} in utmp: no such entry`);
      return EXIT_FATAL;
    }
    if (withWtmp) {
      try {
        wtmpLogout(WTMP_FILE, line);
      } catch (err) {
        if (err instanceof Fatal) throw err;
        say.warn(`unable to logout line ${line} in wtmp`, err);
        return EXIT_FATAL;
      }
    }
  } catch (err) {
    if (!(err instanceof Fatal)) throw err;
    say.fatal(err.message, err.reason);
    return EXIT_FATAL;
  }
  return 0;
}
