/**
 * The child's environment and the program search, as runit's pathexec does
 * (runit src/pathexec_env.c, pathexec_run.c; spec chpst.md §5, §8).
 */

import type { EnvChange } from "./env_dir.ts";

/**
 * Applies changes to an environment list exactly as `pathexec_env_run()`: for each
 * change in order, the first entry of that name is removed by moving the last entry into
 * its slot, then `NAME=VALUE` is appended unless the change is an unset.
 *
 * @example
 * ```ts
 * import { applyEnvChanges } from "./environ.ts";
 * applyEnvChanges(["A=1", "B=2", "C=3"], [{ name: "A", value: "x" }]); // ["C=3", "B=2", "A=x"]
 * ```
 */
export function applyEnvChanges(
  environ: readonly string[],
  changes: readonly EnvChange[],
): string[] {
  const env = [...environ];
  for (const { name, value } of changes) {
    // runit splits the change at its first `=`: a file `A=B` holding x is `A=B=x`,
    // which replaces variable A.
    const split = name.indexOf("=");
    const key = split === -1 ? name : name.slice(0, split);
    const index = env.findIndex((entry) => entry.startsWith(key + "="));
    if (index !== -1) {
      env[index] = env[env.length - 1]!;
      env.pop();
    }
    if (value !== undefined) env.push(`${name}=${value}`);
    else if (split !== -1) env.push(name);
  }
  return env;
}

/**
 * The paths pathexec_run tries for `file`: the file itself when it holds a `/`, else each
 * PATH element (empty means `.`) joined with it; PATH defaults to `/bin:/usr/bin`.
 *
 * @example
 * ```ts
 * import { execCandidates } from "./environ.ts";
 * execCandidates("true", ":/bin"); // ["./true", "/bin/true"]
 * ```
 */
export function execCandidates(file: string, path: string | undefined): string[] {
  if (file.includes("/")) return [file];
  return (path ?? "/bin:/usr/bin").split(":").map((dir) => `${dir === "" ? "." : dir}/${file}`);
}

const ENOENT = 2;
const EPERM = 1;
const EACCES = 13;
const EISDIR = 21;

/**
 * Whether the search goes on after an exec failure with `errno`: "does not exist",
 * "access denied", "permission denied" and "is a directory" go on; anything else stops.
 */
export function searchContinues(errno: number): boolean {
  return errno === ENOENT || errno === EACCES || errno === EPERM || errno === EISDIR;
}

/**
 * The errno reported when the search ends: the last one that was not ENOENT, or the last
 * one (runit's `savederrno`).
 */
export function searchErrno(errnos: readonly number[]): number {
  let saved = 0;
  for (const errno of errnos) if (errno !== ENOENT) saved = errno;
  return saved !== 0 ? saved : (errnos[errnos.length - 1] ?? ENOENT);
}
