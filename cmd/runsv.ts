/** runsv — supervise one service and its optional log service (spec runsv.md). */

import type { AppletContext } from "../lib/applet.ts";
import { usageText } from "../lib/msg.ts";
import { writeStderr } from "../lib/output.ts";

export const meta = { name: "runsv" } as const;

const EXIT_USAGE = 1; // runsv: usage (runit src/runsv.c)

export function main(args: readonly string[], ctx: AppletContext): number {
  if (args.length !== 1) {
    // runsv prints argv[0] as given, not its basename.
    writeStderr(usageText(ctx.argv0, "dir"));
    return EXIT_USAGE;
  }
  writeStderr(`runsv ${args[0]}: fatal: not implemented yet\n`);
  return 111;
}
