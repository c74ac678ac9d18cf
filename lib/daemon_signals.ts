/**
 * Start-up hazards of a long-running Deno process (ARCHITECTURE.md §4, DENO-NOTES.md §8,
 * §11). Deno arms its own SIGUSR1 handler about 500 ms after start, and from then on
 * SIGUSR1 opens V8's inspector on 127.0.0.1:9229, a root shell for any local user. We set
 * SIGUSR1 to SIG_IGN at once (before the arming it would kill us) and again as soon as
 * Deno has replaced it (polled every 5 ms until then; measured arming at 500–525 ms).
 * A SIGUSR1 between the arming and the poll would still open the port: the C launcher
 * therefore starts the long-running applets with SIGUSR1 blocked in every thread
 * (scripts/launcher.c, block_inspector_signal); this is for the other ways of starting.
 */

import { close, setSignalDisposition, unblockSignals } from "../ffi/libc.ts";
import { openSignalFd, readSignals } from "../ffi/wait.ts";
import { launcherSignals } from "./launch.ts";
import { afterDelay } from "./light_timer.ts";
import { procSignalState, SIGHUP, SIGINT, SIGTERM, SIGUSR1 } from "./signals.ts";

const POLL_MS = 5;
const GIVE_UP_MS = 10_000;

/** Keeps SIGUSR1 ignored for the life of the process, so no inspector port can open. */
export function ignoreInspectorSignal(): void {
  setSignalDisposition(SIGUSR1, "ignore");
  const started = Date.now();
  const poll = (): void => {
    // "handler" means Deno armed its inspector trigger; we have just replaced it.
    if (setSignalDisposition(SIGUSR1, "ignore") === "handler") return;
    if (Date.now() - started <= GIVE_UP_MS) afterDelay(POLL_MS, poll);
  };
  // Not setInterval: the first setTimeout or setInterval costs 13-15 ms (lib/light_timer.ts).
  afterDelay(POLL_MS, poll);
}

/** Signals that crash Deno as pid 1 when no JS listener exists (DENO-NOTES.md §8). */
export const FATAL_WITHOUT_LISTENER = ["SIGHUP", "SIGINT", "SIGTERM"] as const;

/** The signals besides USR1 that Deno catches from ~500 ms after start (DENO-NOTES.md §4). */
const ARMED_BY_DENO = [["SIGHUP", SIGHUP], ["SIGINT", SIGINT], ["SIGTERM", SIGTERM]] as const;

/**
 * Keeps ignored what the process inherited as ignored among HUP, INT and TERM, unless the
 * applet handles it itself (`handled`). Deno replaces an inherited SIG_IGN with a handler
 * that re-raises the signal when no JS listener exists; runit's tools leave it alone
 * (`nohup runsv DIR`, a script's background job with INT ignored). A listener that does
 * nothing stops the re-raise. For a process that outlives Deno's arming.
 */
export function keepInheritedIgnores(handled: readonly Deno.Signal[]): void {
  const ignored = inheritedIgnored();
  if (ignored === 0n) return;
  for (const [name, number] of ARMED_BY_DENO) {
    if (handled.includes(name) || (ignored & (1n << BigInt(number - 1))) === 0n) continue;
    Deno.addSignalListener(name, stayIgnored);
  }
}

function stayIgnored(): void {}

/** The ignored set the process started with: the C launcher's, else /proc's (read early). */
function inheritedIgnored(): bigint {
  return (launcherSignals() ?? procSignalState())?.ignored ?? 0n;
}

/**
 * Unblocks those of `signals` that the C launcher blocked for this applet until its
 * listeners exist (scripts/launcher.c, block_listened_signals); one the caller had
 * blocked itself stays blocked, as a C daemon's sigaction leaves the mask alone. Returns
 * the held signals that came meanwhile, taken here, so that the applet acts on them in
 * order (a C daemon's handler would have run before its first read); their listeners do
 * not run for them.
 */
export function releaseHeldSignals(signals: readonly number[]): number[] {
  const callerBlocked = launcherSignals()?.blocked;
  if (callerBlocked === undefined) return []; // no launcher: nothing was blocked for us
  const held = signals.filter((signal) => (callerBlocked & (1n << BigInt(signal - 1))) === 0n);
  if (held.length === 0) return [];
  let came: number[] = [];
  try {
    const fd = openSignalFd(held);
    try {
      came = [...new Set(readSignals(fd))];
    } finally {
      close(fd);
    }
  } catch {
    // no signalfd: the listeners take them once unblocked
  }
  unblockSignals(held);
  return came;
}
