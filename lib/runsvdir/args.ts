/**
 * runsvdir's command line (spec runsvdir.md "Usage"; runit src/runsvdir.c): only the
 * first argument is looked at as an option. `-P…` sets process-group mode and `--…` is
 * consumed; any other dash argument is the directory (`runsvdir -x svc` scans `-x`).
 * Arguments after `dir [log]` are ignored.
 */

/** What runsvdir was asked to do. */
export interface RunsvdirArgs {
  /** `-P`: each service in a new session and process group. */
  newSession: boolean;
  /** The scan directory, as given. */
  dir: string;
  /** The readproctitle log argument, as given. */
  log: string | undefined;
  /** Index of `log` in the argument list (its bytes are rewritten in place). */
  logIndex: number;
}

/**
 * Parses runsvdir's arguments; undefined means usage.
 *
 * @example
 * ```ts
 * parseRunsvdirArgs(["-P", "/etc/service", "log: ......."]);
 * // → { newSession: true, dir: "/etc/service", log: "log: .......", logIndex: 2 }
 * ```
 */
export function parseRunsvdirArgs(args: readonly string[]): RunsvdirArgs | undefined {
  let index = 0;
  let newSession = false;
  const first = args[0];
  if (first !== undefined && first.startsWith("-")) {
    if (first[1] === "P") {
      newSession = true;
      index = 1;
    } else if (first[1] === "-") {
      index = 1;
    }
  }
  const dir = args[index];
  if (dir === undefined) return undefined;
  return { newSession, dir, log: args[index + 1], logIndex: index + 1 };
}
