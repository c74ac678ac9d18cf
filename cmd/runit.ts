/** runit — process 1: stages 1, 2, 3 (spec runit.md §2). */

import type { AppletContext } from "../lib/applet.ts";
import { getpid } from "../ffi/libc.ts";
import { writeStderr } from "../lib/output.ts";

export const meta = { name: "runit" } as const;

const EXIT_FATAL = 111; // runit: not process 1

export function main(_args: readonly string[], _ctx: AppletContext): number {
  if (getpid() !== 1) {
    writeStderr("- runit: fatal: must be run as process no 1.\n");
    return EXIT_FATAL;
  }
  writeStderr("- runit: fatal: not implemented yet\n");
  return EXIT_FATAL;
}
