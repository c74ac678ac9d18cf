/**
 * A timer for start-up paths. Deno 2.9.6 loads its node:timers module on a process's
 * first setTimeout or setInterval: 13-15 ms here (an empty script's first setTimeout,
 * three runs), which runsv paid before it started its first `./run` and svlogd before its
 * first read, for a poll of 5 ms (lib/daemon_signals.ts). AbortSignal.timeout runs on
 * Deno's own web timers and costs ~0.7 ms the first time.
 *
 * Unlike a timer given to Deno.unrefTimer, it keeps the event loop alive until it fires.
 * Every applet ends through Deno.exit (lib/launch.ts), so only a caller that waits for the
 * event loop to empty would notice.
 */

/** Runs `task` once after `ms` milliseconds; the function returned cancels it. */
export function afterDelay(ms: number, task: () => void): () => void {
  let cancelled = false;
  AbortSignal.timeout(ms).addEventListener("abort", () => {
    if (!cancelled) task();
  }, { once: true });
  return () => void (cancelled = true);
}
