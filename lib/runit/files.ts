/**
 * The files runit and runit-init share (spec runit.md §1, with Debian's paths,
 * ARCHITECTURE.md §5), and runit's "flag is set" test.
 */

/** The stage scripts, by stage number. */
export const STAGE_PATHS = {
  1: "/etc/runit/1",
  2: "/etc/runit/2",
  3: "/etc/runit/3",
} as const;

/** When it exists, process 1 runs stage 2 itself (lib/runit/stage2_inprocess.ts). */
export const STAGE2_RUNSVDIR = "/etc/runit/2.runsvdir";

/** Run on Ctrl-Alt-Del (SIGINT to process 1) when its flag is set. */
export const CTRLALTDEL = "/etc/runit/ctrlaltdel";
/** Stop request flag (Debian: /run, so /etc may be read-only). */
export const STOPIT = "/run/runit.stopit";
/** Reboot request flag, read after stage 3. */
export const REBOOT = "/run/runit.reboot";
/** Debian: when this exists (any type, any mode), the final sync() calls are skipped. */
export const NOSYNC = "/etc/runit/nosync";
/** runit's console. */
export const CONSOLE = "/dev/console";

/**
 * A flag is set when stat() works and the owner-execute bit is on; nothing else counts
 * (not the type, the owner, nor whether it can really be executed).
 */
export function flagIsSet(path: string): boolean {
  try {
    return ((Deno.statSync(path).mode ?? 0) & 0o100) !== 0;
  } catch {
    return false;
  }
}
