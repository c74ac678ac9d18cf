/** svlogd — the service logging daemon (spec svlogd.md). */

import type { AppletContext } from "../lib/applet.ts";
import { getopt } from "../lib/getopt.ts";
import { usageText } from "../lib/msg.ts";
import { writeStderr } from "../lib/output.ts";
import { UsageError } from "../lib/sys_error.ts";

export const meta = { name: "svlogd" } as const;

const EXIT_USAGE = 111; // svlogd: usage (runit src/svlogd.c)

export function main(args: readonly string[], ctx: AppletContext): number {
  const usage = (): number => {
    writeStderr(usageText(ctx.argv0, "[-ttv] [-r c] [-R abc] [-l len] [-b buflen] dir ..."));
    return EXIT_USAGE;
  };
  let operands: string[];
  try {
    operands = getopt(args, "R:r:l:b:tvV", ctx.name).operands;
  } catch (err) {
    if (err instanceof UsageError) {
      writeStderr(err.message + "\n");
      return usage();
    }
    throw err;
  }
  if (operands.length === 0) return usage();
  writeStderr("svlogd: fatal: not implemented yet\n");
  return 111;
}
