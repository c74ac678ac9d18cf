/**
 * runsvchdir — switch the runlevel symlink `/etc/runit/runsvdir/current` to another
 * services directory (spec runsvchdir.md; runit src/runsvchdir.c). The base directory is
 * compiled in, as in runit. The switch is `current.new -> DIR`, `current` renamed to
 * `previous`, `current.new` renamed to `current`: each step is one atomic rename.
 */

import type { AppletContext } from "../lib/applet.ts";
import { Messenger, usageText } from "../lib/msg.ts";
import { writeStderr, writeStdout } from "../lib/output.ts";
import { errnoOf, SysError } from "../lib/sys_error.ts";
import { EISDIR, ENOENT } from "../lib/errstr.ts";

export const meta = { name: "runsvchdir", brokenPipeKills: true } as const;

const EXIT_USAGE = 1; // runsvchdir: usage
const EXIT_FATAL = 111; // runsvchdir: every error

/** The runlevel directory (runit's compiled-in SVDIR of runsvchdir). */
export const RUNSVDIR_BASE = "/etc/runit/runsvdir";

class Fatal extends Error {
  readonly reason: unknown;
  constructor(text: string, reason?: unknown) {
    super(text);
    this.reason = reason;
  }
}

/** unlink(2) semantics: a directory is EISDIR (Deno.removeSync would rmdir it). */
function unlinkIfPresent(name: string): void {
  let info: Deno.FileInfo;
  try {
    info = Deno.lstatSync(name);
  } catch (err) {
    if (errnoOf(err) === ENOENT) return;
    throw err;
  }
  if (info.isDirectory) throw new SysError("unlink", EISDIR, name);
  try {
    Deno.removeSync(name);
  } catch (err) {
    if (errnoOf(err) !== ENOENT) throw err;
  }
}

function switchTo(dir: string, say: Messenger): number {
  if (dir.startsWith(".")) throw new Fatal(`${dir}: must not start with a dot.`);
  try {
    Deno.chdir(RUNSVDIR_BASE);
  } catch (err) {
    throw new Fatal(`unable to chdir: ${RUNSVDIR_BASE}`, err);
  }
  let target: Deno.FileInfo;
  try {
    target = Deno.statSync(dir);
  } catch (err) {
    // runit: ENOENT is reported as "DIR: file does not exist" (no "unable to stat").
    if (errnoOf(err) === ENOENT) throw new Fatal(dir, err);
    throw new Fatal(`unable to stat: ${dir}`, err);
  }
  // Sic: runit prints the name and the text with no separator.
  if (!target.isDirectory) throw new Fatal(`${dir}not a directory.`);
  let current: Deno.FileInfo;
  try {
    current = Deno.statSync("current");
  } catch (err) {
    throw new Fatal("unable to stat: current", err);
  }
  if (current.dev === target.dev && current.ino === target.ino) {
    writeStdout(`runsvchdir: ${dir}: current.\n`);
    return 0;
  }
  try {
    unlinkIfPresent("current.new");
  } catch (err) {
    throw new Fatal("unable to unlink: current.new", err);
  }
  try {
    Deno.symlinkSync(dir, "current.new");
  } catch (err) {
    throw new Fatal(`unable to create: current.new -> ${dir}`, err);
  }
  try {
    unlinkIfPresent("previous");
  } catch (err) {
    throw new Fatal("unable to unlink: previous", err);
  }
  try {
    Deno.renameSync("current", "previous");
  } catch (err) {
    throw new Fatal("unable to copy: current to previous", err);
  }
  try {
    Deno.renameSync("current.new", "current");
  } catch (err) {
    // runit labels this fatal yet goes on to put the old runlevel back.
    say.fatal("unable to move: current.new to current", err);
    try {
      Deno.renameSync("previous", "current");
    } catch (err2) {
      throw new Fatal("unable to move previous back to current", err2);
    }
    return EXIT_FATAL;
  }
  writeStdout(`runsvchdir: ${dir}: now current.\n`);
  return 0;
}

export function main(args: readonly string[], ctx: AppletContext): number {
  const dir = args[0];
  if (dir === undefined) {
    writeStderr(usageText(ctx.argv0, "dir"));
    return EXIT_USAGE;
  }
  // Fatal lines carry argv[0] as given; success lines always say "runsvchdir: ".
  const say = new Messenger(ctx.argv0);
  try {
    return switchTo(dir, say);
  } catch (err) {
    if (err instanceof Fatal) {
      say.fatal(err.message, err.reason);
      return EXIT_FATAL;
    }
    say.fatal(`unable to switch to ${dir}`, err);
    return EXIT_FATAL;
  }
}
