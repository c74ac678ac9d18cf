/**
 * The environment chpst was started with, from `/proc/self/environ`. Deno changes its own
 * environment at start-up: with PATH unset or empty it sets PATH to its
 * `node_compat_bin` directory and adds DENO_NODE_SHIM_ACTIVE=1. runit's chpst passes on
 * (and searches) the environment it got, so the program's environment is rebuilt from the
 * initial one, keeping only variables still present (mod.ts removes the launcher's own).
 */

/**
 * Splits an environ block (NUL-terminated `NAME=value` strings) into entries.
 *
 * @example
 * ```ts
 * import { parseEnviron } from "./initial_env.ts";
 * parseEnviron(new TextEncoder().encode("A=1\0B=2\0")); // ["A=1", "B=2"]
 * ```
 */
export function parseEnviron(block: Uint8Array): string[] {
  const text = new TextDecoder().decode(block);
  return text.split("\0").filter((entry) => entry !== "");
}

/** The name part of a `NAME=value` entry (the whole entry when it has no `=`). */
export function entryName(entry: string): string {
  const split = entry.indexOf("=");
  return split === -1 ? entry : entry.slice(0, split);
}

/**
 * The initial entries whose variable still exists now (in their original order and
 * with their original values), dropping what was removed since start.
 *
 * @example
 * ```ts
 * import { keptEnviron } from "./initial_env.ts";
 * keptEnviron(["A=1", "DENIT_ARGV0=x"], (name) => name === "A"); // ["A=1"]
 * ```
 */
export function keptEnviron(
  initial: readonly string[],
  present: (name: string) => boolean,
): string[] {
  return initial.filter((entry) => present(entryName(entry)));
}

/** The value of `name` in an entry list, or undefined. */
export function lookupEnv(entries: readonly string[], name: string): string | undefined {
  const entry = entries.find((e) => entryName(e) === name && e.length > name.length);
  return entry === undefined ? undefined : entry.slice(name.length + 1);
}
