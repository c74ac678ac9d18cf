/** runsvchdir — switch the runlevel symlink (spec runsvchdir.md). */

import type { AppletContext } from "../lib/applet.ts";
import { usageText } from "../lib/msg.ts";
import { writeStderr } from "../lib/output.ts";

export const meta = { name: "runsvchdir" } as const;

const EXIT_USAGE = 1; // runsvchdir: usage

export function main(args: readonly string[], ctx: AppletContext): number {
  if (args.length === 0) {
    writeStderr(usageText(ctx.argv0, "dir"));
    return EXIT_USAGE;
  }
  writeStderr(`${ctx.argv0}: fatal: not implemented yet\n`);
  return 111;
}
