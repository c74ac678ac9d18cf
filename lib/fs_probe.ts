/**
 * stat(2) probes that answer yes or no: a path that cannot be stat'ed (missing, a dangling
 * link, no search permission) is simply "no", as runit's and runsv's stat() tests treat it.
 * And the one probe runit's tools make to fail by: opening the starting directory.
 */

/**
 * `path` made absolute against the current directory; as it is where it is absolute, or
 * where the current directory has no path Deno can give (removed, or not UTF-8:
 * Deno.cwd throws), and so stays relative to it.
 *
 * @example
 * ```ts
 * import { underCurrentDirectory } from "./fs_probe.ts";
 * underCurrentDirectory("/etc/service"); // "/etc/service"
 * ```
 */
export function underCurrentDirectory(path: string): string {
  // An empty name names nothing (open("") is ENOENT, as runsv's chdir("") is), not ".".
  if (path.startsWith("/") || path === "") return path;
  try {
    return `${Deno.cwd()}/${path}`;
  } catch {
    return path;
  }
}

/**
 * True when `path` exists at all, of any type (links followed).
 *
 * @example
 * ```ts
 * import { exists } from "./fs_probe.ts";
 * exists("/"); // true
 * ```
 */
export function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * The names in directory `dir`, or undefined when it cannot be listed. A listing answers
 * "is X there?" for the usual case (no `down`, no `control/`) without the exception a
 * failing stat costs (the first one Deno throws costs ~0.5 ms of a short-lived applet).
 *
 * @example
 * ```ts
 * import { listNames } from "./fs_probe.ts";
 * listNames("/nonexistent"); // undefined
 * ```
 */
export function listNames(dir: string): string[] | undefined {
  try {
    const names: string[] = [];
    for (const entry of Deno.readDirSync(dir)) names.push(entry.name);
    return names;
  } catch {
    return undefined;
  }
}

/**
 * True when `path` is a regular file (links followed).
 *
 * @example
 * ```ts
 * import { isFile } from "./fs_probe.ts";
 * isFile("/"); // false
 * ```
 */
export function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/**
 * Opens and closes ".", as runit's chpst, sv, svlogd and runsvdir open it at start to come
 * back to it: throws as that open fails (a directory the user cannot read or search), and
 * works in a removed directory, where getcwd would not.
 */
export function openStartDirectory(): void {
  Deno.openSync(".").close();
}
