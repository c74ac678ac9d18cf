/** runit-init (also `init`) — ask process 1 to halt or reboot (spec runit.md §3). */

import type { AppletContext } from "../lib/applet.ts";
import { Messenger, usageText } from "../lib/msg.ts";
import { writeStderr } from "../lib/output.ts";
import { parseRequest, RequestError, sendRequest } from "../lib/runit/request.ts";
import { VERSION_ID } from "../lib/runit/version.ts";
import { becomeRunit } from "./runit.ts";

export const meta = { name: "runit-init", brokenPipeKills: true } as const;

const EXIT_FATAL = 111;

export function main(args: readonly string[], ctx: AppletContext): number | Promise<number> {
  // As process 1 it becomes runit in this very process (DEVIATIONS.md 12), arguments ignored.
  // Deno.pid, not getpid(2) through FFI: `init 0` binds no libc symbol (~0.5-1 ms).
  if (Deno.pid === 1) return becomeRunit();
  const first = args[0];
  const kind = parseRequest(first);
  if (kind === undefined) {
    if (first?.startsWith("-V")) writeStderr(`${VERSION_ID}\n\n`);
    writeStderr(usageText(ctx.argv0, "0|6"));
    return 0; // runit-init exits 0 after its usage line
  }
  try {
    sendRequest(kind);
  } catch (err) {
    const say = new Messenger("init");
    if (err instanceof RequestError) say.fatal(err.text, err.cause);
    else say.fatal("unable to send request", err);
    return EXIT_FATAL;
  }
  return 0;
}
