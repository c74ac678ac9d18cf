/**
 * The time bound of spec runit.md test case 9, as process 1 in a namespace, ours beside
 * Debian's /sbin/runit: after `init 0` from stage 2, how long after stage 2's exit
 * `leave stage: /etc/runit/2` comes.
 *
 * Debian's runit looks for stage 2's exit at once after the SIGTERM, then only after
 * each 1 s sleep (spec runit.md §2.9 (a) 3), so a stage 2 that is not gone at the first
 * look is left about 1 s after the TERM. Ours waits for the exit itself and leaves at
 * once (docs/runit.md, "Deviations from runit": "Stage 2's end is noticed at once during a
 * shutdown request"). Each gets its own bound.
 */

import { assert, assertEquals } from "../_assert.ts";
import { allSettledOrThrow, exists, waitFor } from "../_helpers.ts";
import { writeStderr } from "../../lib/output.ts";
import { boot, ended } from "./_ns.ts";
import { comparable, HALT_LINES, request, STAGES } from "./_stages.ts";

/**
 * Stage 2 takes TERM, stops its child and exits 0.1 s later: past runit's first, immediate
 * look, so Debian's runit notices the exit only after its 1 s sleep.
 */
const STAGE_2 = `#!/bin/sh
trap 'echo "stage 2: TERM"; kill $!; sleep 0.1; echo "stage 2: exits"; exit 0' TERM
sleep 1000 &
echo "stage 2: up"
wait
`;

const LEAVE = "- runit: leave stage: /etc/runit/2\n";

/** From stage 2's exit to `leave stage`: Debian's ≈0.9 s (1 s after the TERM), ours at once. */
const BOUNDS = {
  debian: { least: 600, most: 2_000 },
  ours: { least: 0, most: 500 },
};

/** When one machine showed each line, in ms from the start of `init 0`. */
interface Timeline {
  term: number;
  exits: number;
  leave: number;
}

/** Boots (ours, or Debian's runit as `command`), asks for a halt and times the console. */
async function timeline(command?: string): Promise<Timeline> {
  await using machine = await boot(
    { ...STAGES, "2!": STAGE_2 },
    command === undefined ? {} : { command },
  );
  await machine.waitConsole("stage 2: up");
  const requested = performance.now();
  await request(machine, "0");
  // When each line first shows on the console, polled every 10 ms.
  const seen: Record<string, number> = {};
  const lines = { term: "stage 2: TERM\n", exits: "stage 2: exits\n", leave: LEAVE };
  await waitFor(() => {
    const text = machine.console();
    for (const [key, line] of Object.entries(lines)) {
      if (seen[key] === undefined && text.includes(line)) {
        seen[key] = Math.round(performance.now() - requested);
      }
    }
    return seen.leave !== undefined;
  }, { timeoutMs: 10_000, intervalMs: 10, what: `${command ?? "ours"}: leave stage 2` });
  assertEquals((await ended(machine)).signal, "SIGINT", "power off");
  await machine.waitConsole("power off...");
  const text = machine.console();
  assertEquals(comparable(text), HALT_LINES);
  assert(text.includes("stage 3: stopit=0\n"), text);
  assert(seen.term !== undefined && seen.exits !== undefined, text);
  return { term: seen.term, exits: seen.exits, leave: seen.leave! };
}

Deno.test("runit: leave stage 2 after init 0 comes at once; Debian's about 1 s after its exit (case 9)", async () => {
  const debian = exists("/sbin/runit");
  const [ours, theirs] = await allSettledOrThrow([
    timeline(),
    ...(debian ? [timeline("/sbin/runit")] : []),
  ]);
  const measured = { ours, ...(theirs === undefined ? {} : { "Debian's": theirs }) };
  writeStderr(`runit case 9, ms from the request: ${JSON.stringify(measured)}\n`);
  const check = (name: string, t: Timeline, bound: { least: number; most: number }) => {
    const gap = t.leave - t.exits;
    assert(
      gap >= bound.least && gap <= bound.most,
      `${name}: leave stage ${gap} ms after stage 2's exit (${JSON.stringify(t)})`,
    );
  };
  check("ours", ours!, BOUNDS.ours);
  if (theirs !== undefined) check("Debian's", theirs, BOUNDS.debian);
});
