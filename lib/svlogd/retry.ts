/** svlogd's "pausing" retry, shared by log directories and their processors. */

import { errText } from "../sys_error.ts";

/**
 * Runs `step` until it succeeds; after each failure prints `pausing: WHAT: DIR: ERR` and
 * waits through `ctx.pause`, which throws when svlogd is being stopped.
 */
export async function retryPausing(
  ctx: { pause(text: string): Promise<void> },
  what: string,
  dirName: string,
  step: () => void,
): Promise<void> {
  for (;;) {
    try {
      step();
      return;
    } catch (err) {
      await ctx.pause(`${what}: ${dirName}: ${errText(err)}`);
    }
  }
}
