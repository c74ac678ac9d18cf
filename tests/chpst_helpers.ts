/**
 * Side-by-side helpers for the chpst tests: run our applet and Debian's C chpst (its
 * personalities through symlinks to /usr/bin/chpst: Debian ships no personality links)
 * with the same arguments, environment and directory, and compare.
 */

import { assertEquals } from "./_assert.ts";
import { bin, cLaunchers, run, type RunOptions, type RunResult } from "./_helpers.ts";

export const DEBIAN_CHPST = "/usr/bin/chpst";

/** True when Debian's chpst is installed. */
export const haveDebianChpst: boolean = (() => {
  try {
    return Deno.statSync(DEBIAN_CHPST).isFile;
  } catch {
    return false;
  }
})();

let linkDir: string | undefined;

/** Debian's chpst under a personality name (a symlink in a temp dir). */
export function debianAs(name: string): string {
  if (name === "chpst") return DEBIAN_CHPST;
  if (linkDir === undefined) {
    const dir = Deno.makeTempDirSync({ prefix: "denit-chpst-links-" });
    linkDir = dir;
    globalThis.addEventListener("unload", () => {
      try {
        Deno.removeSync(dir, { recursive: true });
      } catch {
        // already gone
      }
    });
  }
  const path = `${linkDir}/${name}`;
  try {
    Deno.symlinkSync(DEBIAN_CHPST, path);
  } catch (err) {
    if (!(err instanceof Deno.errors.AlreadyExists)) throw err;
  }
  return path;
}

/** Both results of one command line. */
export interface Pair {
  ours: RunResult;
  theirs: RunResult;
}

/** Runs `name args` with our applet and with Debian's binary. */
export async function runBoth(
  name: string,
  args: readonly string[],
  options: RunOptions = {},
): Promise<Pair> {
  const ours = await run(await bin(name), args, options);
  const theirs = await run(debianAs(name), args, options);
  return { ours, theirs };
}

/** Asserts both gave the same exit code, stdout and stderr (after `normalise`). */
export function assertSame(
  pair: Pair,
  what: string,
  normalise: (text: string) => string = (text) => text,
): void {
  assertEquals(pair.ours.code, pair.theirs.code, `${what}: exit code (stderr ${pair.ours.stderr})`);
  assertEquals(normalise(pair.ours.stderr), normalise(pair.theirs.stderr), `${what}: stderr`);
  assertEquals(normalise(pair.ours.stdout), normalise(pair.theirs.stdout), `${what}: stdout`);
}

/** Runs both and asserts they match. */
export async function assertBoth(
  name: string,
  args: readonly string[],
  options: RunOptions & { normalise?: (text: string) => string } = {},
): Promise<Pair> {
  const pair = await runBoth(name, args, options);
  assertSame(pair, `${name} ${args.join(" ")}`, options.normalise);
  return pair;
}

/** Lines sorted, for environment dumps (the #!/bin/sh launcher's shell reorders environ). */
export function sortedLines(text: string): string {
  return text.split("\n").sort().join("\n");
}

/**
 * Asserts two environment dumps are the same: byte for byte through the C launcher, which
 * keeps the caller's order; as sorted lines through the #!/bin/sh fallback launcher, whose
 * shell reorders environ.
 */
export async function assertSameEnv(ours: string, theirs: string, what?: string): Promise<void> {
  if (await cLaunchers()) assertEquals(ours, theirs, what);
  else assertEquals(sortedLines(ours), sortedLines(theirs), what);
}

/** Test options shared by the side-by-side tests. */
export const sideBySide = {
  ignore: !haveDebianChpst,
  sanitizeResources: false,
  sanitizeOps: false,
};

/** Whether the installed launchers are the C ones (which pass the signal state on). */
const viaCLaunchers = await cLaunchers();

/**
 * glibc catches signal 33 from start-up, so through the #!/bin/sh fallback launcher an
 * inherited SIG_IGN of it cannot be seen and is lost (the C launcher reads it before Deno
 * starts): there it is left out of a SigIgn line.
 */
export function withoutGlibcSignals(lines: string): string {
  if (viaCLaunchers) return lines;
  return lines.replace(
    /^(SigIgn:\s*)([0-9a-f]+)$/m,
    (_, label: string, hex: string) =>
      label + (BigInt(`0x${hex}`) & ~0x100000000n).toString(16).padStart(16, "0"),
  );
}
