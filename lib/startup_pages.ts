/**
 * Gives back the pages of Deno's binary that start-up mapped and a waiting daemon does
 * not use (runsv, runsvdir, svlogd; lib/proc_maps.ts says which pages are safe to drop).
 * Process 1 keeps them: nothing of it is worth a risk there.
 *
 * Why: on the virtual machines the tests run on, a process that wakes after a second or
 * so asleep pays ~20 µs per MB resident before its first instruction runs (measured with
 * a C program: 0.1 ms at 1 MB, 1.2 ms at 50 MB, 9 ms at 1000 MB, file pages as anonymous
 * ones; bench/results/startup-notes.md). runsv has ~40 MB resident after start-up, ~29
 * MB of it Deno's binary, and pays that on every control byte after a pause, where C
 * runsv has ~1 MB. After the drop a runsv has ~15 MB of the binary resident again once
 * its control path has run a few times.
 */

import { dropMappedPages, stopFaultAround } from "../ffi/memory.ts";
import { afterDelay } from "./light_timer.ts";
import { deviceText, parseSmaps, unmodifiedFileMappings } from "./proc_maps.ts";

/** Drops them now; where there is no /proc or no madvise, nothing happens. */
export function releaseStartupPages(): void {
  try {
    const exe = Deno.statSync("/proc/self/exe");
    if (exe.dev === null || exe.ino === null) return;
    const file = { device: deviceText(exe.dev), inode: exe.ino };
    const mappings = parseSmaps(Deno.readTextFileSync("/proc/self/smaps"), file);
    const unmodified = unmodifiedFileMappings(mappings, file);
    for (const mapping of unmodified) dropMappedPages(mapping.start, mapping.end);
    // What maps again is then only what the process uses: runsv 28.5 MB resident after
    // 20 `u`/`d` cycles, 34.4 MB with fault-around (11-27).
    stopFaultAround(unmodified);
  } catch {
    // Only memory: a kernel without /proc, madvise or userfaultfd keeps more mapped.
  }
}

/** By then start-up has settled and the first services are started. */
const STARTUP_SETTLED_MS = 1000;

/** A wait that blocks the event loop and can do a task in a quiet moment (SignalWait). */
export interface IdleWait {
  whenIdle(afterMs: number, task: () => void): void;
}

/**
 * Gives back the start-up pages once, in the first quiet moment after
 * STARTUP_SETTLED_MS: in `idleWait` when the process blocks there (its event loop does
 * not run then), else from a timer.
 */
export function scheduleStartupRelease(idleWait?: IdleWait): void {
  let done = false;
  const release = (): void => {
    if (done) return;
    done = true;
    releaseStartupPages();
  };
  idleWait?.whenIdle(STARTUP_SETTLED_MS, release);
  afterDelay(STARTUP_SETTLED_MS, release); // not setTimeout: lib/light_timer.ts
}
