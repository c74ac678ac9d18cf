/**
 * chpst's quick entry: `chpst -e DIR PROG...` and `envdir DIR PROG...`, the two forms run
 * scripts use most, bundled on their own (install.sh: entry/chpst-quick.js), which the C
 * launcher runs for command lines of that shape (scripts/launcher.c) and V8 compiles whole
 * at load. Deno compiles a bundle before it runs and each function on its first call:
 * chpst's whole bundle costs these forms ~1.5 ms that this path does not (#6,
 * bench/README.md).
 *
 * It carries out only the common case, with chpst's own steps (quickSteps, equal to what
 * parsing and planning give) and code (lib/chpst/process.ts, files.ts, ffi/exec.ts):
 * every env file readable, the program found. Anything else (another command line, an env
 * dir that needs runit's rules for subdirectories or vanished entries, any error, an exec
 * that failed) loads the full chpst (`full`, its entry module), which then runs as if
 * started itself and reports what it finds as runit would. Until the exec nothing has
 * changed but the signal dispositions and the limits that bound no memory the full chpst would set
 * the same way, and the environment is left as the launcher gave it: the full entry reads
 * it again. The launcher does not run this entry when it raised a memory limit.
 */

import { openStartDirectory } from "../fs_probe.ts";
import { baseName } from "../msg.ts";
import { callerLimits, internalError, parseLauncherSignals } from "../launch.ts";
import { preferOneShotCalls } from "../../ffi/libc.ts";
import { prepareExecNow, setDispositions, setSoftLimit } from "../../ffi/exec.ts";
import { quickSteps } from "./request.ts";
import { readEnvDirQuick } from "./files.ts";
import { applyEnvChanges, signalRestore } from "./inherit.ts";
import { execRequest, launcherCallerEnviron, readInherited, signalsNow } from "./process.ts";

/**
 * Runs chpst for Deno.args. `base` is the entry module's URL and `full` the name of chpst's
 * full entry beside it (a URL is made only when it is needed: the first costs ~0.1 ms).
 */
export function runQuick(base: string, full: string): void {
  // From a microtask, as lib/launch.ts runs every applet (see guardedMain).
  queueMicrotask(() => {
    try {
      execCommonCase();
    } catch {
      // Not the common case after all: the full chpst finds out what it is.
    }
    // The full entry runs chpst from its own top level and exits or execs.
    import(new URL(full, base).href).catch((err) => {
      internalError(err);
      Deno.exit(111);
    });
  });
}

/** Execs the program when everything is the common case; returns otherwise. */
function execCommonCase(): void {
  const signals = parseLauncherSignals(Deno.env.get("DENIT_SIGNALS"));
  // Deno's PATH shim (no PATH given) and a removed working directory (Deno started in "/")
  // are lib/launch.ts's to undo.
  if (signals === undefined) return;
  if (Deno.env.get("DENO_NODE_SHIM_ACTIVE") !== undefined) return;
  if (Deno.env.get("DENIT_CWD_FD") !== undefined) return;
  // The launcher's argv[0] (Deno throws for one that is not UTF-8: the full chpst's then).
  const steps = quickSteps(Deno.args, baseName(Deno.env.get("DENIT_ARGV0") || "chpst"));
  if (steps === undefined) return;
  const [envdir, exec] = steps;
  const changes = readEnvDirQuick(envdir.dir);
  if (changes === undefined || !canReturnHere()) return;
  const inherited = readInherited(Deno.args, signals);
  if (inherited.environ === undefined) return;
  preferOneShotCalls();
  const env = applyEnvChanges(launcherCallerEnviron(inherited.environ), changes);
  const prepared = prepareExecNow(execRequest(exec, inherited, env));
  const restore = signalRestore(inherited.signals, signalsNow(inherited), true);
  if (restore.setMask) return; // never with the launcher's state: the full chpst sets it
  if (!setDispositions(restore)) return;
  // Limits Deno runs above that bound no memory (open files, processes: the launcher runs
  // this entry with no other to give back): the program gets the caller's, as from runit's.
  for (const { resource, soft } of callerLimits()) if (!setSoftLimit(resource, soft)) return;
  prepared.run(); // returns only when no candidate could be run
}

/**
 * Whether chpst's way through the env dir (cwdKeeper, lib/chpst/process.ts) would come
 * back: it opens the starting directory, changes into the env dir and back by the start's
 * path, which can fail (not readable, not searchable, removed) where reading by path did
 * not.
 */
function canReturnHere(): boolean {
  try {
    openStartDirectory();
    Deno.chdir(Deno.cwd());
    return true;
  } catch {
    return false;
  }
}
