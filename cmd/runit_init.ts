/** runit-init (also `init`) — ask process 1 to halt or reboot (spec runit.md §3). */

import type { AppletContext } from "../lib/applet.ts";
import { usageText } from "../lib/msg.ts";
import { writeStderr } from "../lib/output.ts";

export const meta = { name: "runit-init" } as const;

export function main(args: readonly string[], ctx: AppletContext): number {
  const first = args[0] ?? "";
  if (first[0] !== "0" && first[0] !== "6") {
    writeStderr(usageText(ctx.argv0, "0|6"));
    return 0; // runit-init exits 0 after its usage line
  }
  writeStderr("init: fatal: not implemented yet\n");
  return 111;
}
