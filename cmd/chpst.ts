/** chpst and its personalities envdir, envuidgid, pgrphack, setuidgid, setlock, softlimit (spec chpst.md). */

import type { AppletContext } from "../lib/applet.ts";
import { writeStderr } from "../lib/output.ts";

export const meta = { name: "chpst" } as const;

const EXIT_USAGE = 100; // chpst and personalities: usage

const PERSONALITY_USAGE: Record<string, string> = {
  envdir: "dir child",
  envuidgid: "account child",
  setuidgid: "account child",
  pgrphack: "child",
  setlock: "[ -nNxX ] file program [ arg ... ]",
  softlimit:
    "[-a allbytes] [-c corebytes] [-d databytes] [-f filebytes] [-l lockbytes] [-m membytes] [-o openfiles] [-p processes] [-r residentbytes] [-s stackbytes] [-t cpusecs] child",
};

const CHPST_USAGE =
  "[-vVP012] [-u user[:group]] [-U user[:group]] [-b argv0] [-e dir] [-/ root] [-n nice] [-l|-L lock] [-m n] [-d n] [-o n] [-p n] [-f n] [-c n] [-t n] prog";

/** The personality or chpst name: a leading `d` is removed (spec chpst.md §2). */
function programName(name: string): string {
  return name.startsWith("d") ? name.slice(1) : name;
}

export function main(args: readonly string[], ctx: AppletContext): number {
  const prog = programName(ctx.name);
  const personality = PERSONALITY_USAGE[prog];
  if (args.length === 0) {
    writeStderr(`usage: ${prog} ${personality ?? CHPST_USAGE}\n\n`);
    return EXIT_USAGE;
  }
  writeStderr("chpst: fatal: not implemented yet\n");
  return 111;
}
