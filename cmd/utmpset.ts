/** utmpset — mark a utmp/wtmp line as logged out (spec utmpset.md). */

import type { AppletContext } from "../lib/applet.ts";
import { usageText } from "../lib/msg.ts";
import { writeStderr } from "../lib/output.ts";

export const meta = { name: "utmpset" } as const;

const EXIT_USAGE = 1; // utmpset: usage

export function main(args: readonly string[], ctx: AppletContext): number {
  if (args.length === 0) {
    writeStderr(usageText(ctx.argv0, "[-w] line"));
    return EXIT_USAGE;
  }
  writeStderr("utmpset: fatal: not implemented yet\n");
  return 111;
}
