/** runsvdir — supervise every service directory of a scan directory (spec runsvdir.md). */

import type { AppletContext } from "../lib/applet.ts";
import { usageText } from "../lib/msg.ts";
import { writeStderr } from "../lib/output.ts";

export const meta = { name: "runsvdir" } as const;

const EXIT_USAGE = 1; // runsvdir: usage (runit src/runsvdir.c)

export function main(args: readonly string[], ctx: AppletContext): number {
  let rest = args;
  // Only the first argument is examined as an option (spec runsvdir.md "Usage").
  const first = rest[0];
  if (first !== undefined && first.startsWith("-") && (first[1] === "P" || first[1] === "-")) {
    rest = rest.slice(1);
  }
  if (rest.length === 0) {
    writeStderr(usageText(ctx.argv0, "[-P] dir"));
    return EXIT_USAGE;
  }
  writeStderr(`runsvdir ${rest[0]}: fatal: not implemented yet\n`);
  return 111;
}
