/**
 * Stage 2 run by process 1 itself (a denit extension, docs/runit.md): when
 * `/etc/runit/2.runsvdir` exists, runit supervises the scan directory in its own process,
 * as `runsvdir` would, instead of executing `/etc/runit/2`, whose usual last line is
 * `exec env - PATH=… runsvdir -P /etc/service 'log: …'`. That saves one Deno start on
 * the way to the first service (about 2 s under QEMU's TCG emulation).
 *
 * The file holds what that line says, as words split on blanks: `NAME=value` words
 * first (the services' whole environment, as `env -` gives), then runsvdir's arguments.
 * Lines whose first non-blank character is `#` are comments.
 *
 * @example
 * ```ts
 * import { parseStage2File } from "./stage2_inprocess.ts";
 * parseStage2File("# services\nPATH=/usr/bin:/bin -P /etc/service log:.......\n");
 * // → { env: ["PATH=/usr/bin:/bin"], args: { newSession: true, dir: "/etc/service", … } }
 * ```
 */

import { parseRunsvdirArgs, type RunsvdirArgs } from "../runsvdir/args.ts";

/** What `/etc/runit/2.runsvdir` asks for. */
export interface InProcessStage2 {
  /** The services' environment, "NAME=value" strings in the file's order. */
  env: string[];
  /** runsvdir's arguments. */
  args: RunsvdirArgs;
}

const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*=/;

/** Parses the file's text; undefined when it names no scan directory (runsvdir's usage). */
export function parseStage2File(text: string): InProcessStage2 | undefined {
  const words = text.split("\n")
    .filter((line) => !line.trimStart().startsWith("#"))
    .join(" ")
    .split(/[ \t\r]+/)
    .filter((word) => word !== "");
  let first = 0;
  while (first < words.length && ASSIGNMENT.test(words[first]!)) first++;
  const args = parseRunsvdirArgs(words.slice(first));
  if (args === undefined) return undefined;
  return { env: words.slice(0, first), args };
}
