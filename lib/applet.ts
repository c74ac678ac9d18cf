/**
 * The contract between `mod.ts` and an applet module in `cmd/`: each exports `meta` and
 * `main`. `main` returns the exit code; only `mod.ts` calls `Deno.exit`.
 */

/** How the applet was invoked. */
export interface AppletContext {
  /** argv[0] exactly as given (runit prints it in some usage lines: `/usr/bin/runsv`). */
  argv0: string;
  /** The basename of argv[0] (`sv`, or `cron` for an LSB-mode symlink). */
  name: string;
}

/** Static facts about an applet. */
export interface AppletMeta {
  /** The applet's canonical name. */
  name: string;
  /**
   * Leave the launcher's variables in the environment until the first child is spawned
   * (lib/launch.ts settleEnvironment, called by ffi/spawn.ts), not clear them at start:
   * for an applet that seldom starts children and reads no environment it passes on.
   * Clearing them is ~10 environment calls, ~0.1 ms of `sv status`.
   */
  settleEnvironmentLate?: boolean;
  /**
   * A write to a broken pipe kills it with SIGPIPE, as it kills runit's tools (they leave
   * SIGPIPE at its default; Deno ignores it): for the short-lived applets, whose callers
   * may see the signal (`sv status ... | head -1` under `set -o pipefail`). The daemons
   * drop such a write instead of dying of a closed stderr.
   */
  brokenPipeKills?: boolean;
}

/** What every `cmd/<applet>.ts` exports. */
export interface AppletModule {
  meta: AppletMeta;
  main(args: readonly string[], ctx: AppletContext): number | Promise<number>;
}

/** Every name denit answers to, and the module that implements it (loaded lazily). */
export const APPLETS: Readonly<Record<string, () => Promise<AppletModule>>> = {
  runit: () => import("../cmd/runit.ts"),
  "runit-init": () => import("../cmd/runit_init.ts"),
  init: () => import("../cmd/runit_init.ts"),
  runsvdir: () => import("../cmd/runsvdir.ts"),
  runsvchdir: () => import("../cmd/runsvchdir.ts"),
  runsv: () => import("../cmd/runsv.ts"),
  sv: () => import("../cmd/sv.ts"),
  svlogd: () => import("../cmd/svlogd.ts"),
  chpst: () => import("../cmd/chpst.ts"),
  utmpset: () => import("../cmd/utmpset.ts"),
  envdir: () => import("../cmd/chpst.ts"),
  envuidgid: () => import("../cmd/chpst.ts"),
  pgrphack: () => import("../cmd/chpst.ts"),
  setuidgid: () => import("../cmd/chpst.ts"),
  setlock: () => import("../cmd/chpst.ts"),
  softlimit: () => import("../cmd/chpst.ts"),
};

/** The applet names, in the order `denit --list` prints them. */
export const APPLET_NAMES: readonly string[] = Object.keys(APPLETS);

/** Whether `name` is an applet (not `in`: "toString" and "constructor" are no applets). */
export function isApplet(name: string): boolean {
  return Object.hasOwn(APPLETS, name);
}
