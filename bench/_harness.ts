/**
 * The bench harness: runs commands interleaved (A B C A B C …) so that machine noise hits
 * every contender alike, and reports medians and ratios. Results are printed and written
 * to bench/results/<name>.md; bench/README.md keeps the latest figures.
 */

import { testPrefix } from "../tests/_helpers.ts";

/** A command to time. */
export interface Contender {
  label: string;
  cmd: string;
  args: readonly string[];
  env?: Record<string, string>;
}

/** Median of numbers. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Wall time of one run in milliseconds. */
export async function timeOnce(c: Contender): Promise<number> {
  const start = performance.now();
  await new Deno.Command(c.cmd, {
    args: [...c.args],
    ...(c.env === undefined ? {} : { env: c.env }),
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).output();
  return performance.now() - start;
}

/** How {@linkcode sampleInterleaved} and {@linkcode interleave} run. */
export interface InterleaveOptions {
  /** Measured rounds (default 30). */
  rounds?: number;
  /** Unmeasured rounds first (default 3). */
  warmup?: number;
  /** Start each round one contender later, so none always runs right after the same one. */
  rotate?: boolean;
}

/** Runs every contender `rounds` times, interleaved, after `warmup` rounds; samples in ms. */
export async function sampleInterleaved(
  contenders: readonly Contender[],
  options: InterleaveOptions = {},
): Promise<Map<string, number[]>> {
  const warmup = options.warmup ?? 3;
  const samples = new Map<string, number[]>(contenders.map((c) => [c.label, []]));
  for (let round = 0; round < warmup + (options.rounds ?? 30); round++) {
    for (let k = 0; k < contenders.length; k++) {
      const c = contenders[options.rotate ? (round + k) % contenders.length : k]!;
      const ms = await timeOnce(c);
      if (round >= warmup) samples.get(c.label)!.push(ms);
    }
  }
  return samples;
}

/** {@linkcode sampleInterleaved}'s medians, in ms. */
export async function interleave(
  contenders: readonly Contender[],
  options: InterleaveOptions = {},
): Promise<Map<string, number>> {
  const samples = await sampleInterleaved(contenders, options);
  return new Map([...samples].map(([label, values]) => [label, median(values)]));
}

/**
 * Other builds to measure in the same rounds (before/after comparisons), from an
 * environment variable holding "label=/path/to/program,…".
 */
export function extraPrograms(variable: string): { label: string; path: string }[] {
  const spec = Deno.env.get(variable) ?? "";
  return spec.split(",").filter((item) => item.includes("=")).map((item) => {
    const at = item.indexOf("=");
    return { label: item.slice(0, at), path: item.slice(at + 1) };
  });
}

/** The label of the empty `deno run` floor. */
export const FLOOR = "empty deno run (floor)";

/**
 * The start-up floor: an empty script run by the launcher's Deno with its cache dir and
 * flags, written into `dir` and cached first so that a run measures start-up alone.
 */
export async function floorContender(prefix: string, dir: string): Promise<Contender> {
  const empty = `${dir}/empty.ts`;
  Deno.writeTextFileSync(empty, "Deno.exit(0);\n");
  const env = { DENO_DIR: `${prefix}/lib/denit/cache`, DENO_NO_UPDATE_CHECK: "1" };
  const deno = `${prefix}/lib/denit/deno`;
  await new Deno.Command(deno, { args: ["cache", "--no-config", "--no-lock", empty], env })
    .output();
  return {
    label: FLOOR,
    cmd: deno,
    args: ["run", "-A", "--no-config", "--no-lock", "--cached-only", empty],
    env,
  };
}

/**
 * The floor run with the flags the short-lived applets' launchers add
 * (`--no-code-cache --v8-flags=--single-threaded`, scripts/install.sh), for comparison.
 */
export function shortLivedFloor(floor: Contender): Contender {
  return {
    ...floor,
    label: "empty deno run, short-lived applets' flags",
    args: [
      ...floor.args.slice(0, -1),
      "--no-code-cache",
      "--v8-flags=--single-threaded",
      ...floor.args.slice(-1),
    ],
  };
}

/** A table of medians with each one's ratio to the floor and to the C program `c.label`. */
export function ratioTable(
  medians: ReadonlyMap<string, number>,
  c: { label: string; column: string },
): string {
  const floor = medians.get(FLOOR)!;
  const cMs = medians.get(c.label)!;
  return table(
    ["command", "median ms", "× floor", c.column],
    [...medians].map((
      [label, ms],
    ) => [label, ms.toFixed(1), (ms / floor).toFixed(2), (ms / cMs).toFixed(1)]),
  );
}

/** Formats a markdown table from rows of cells. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]): string => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n") + "\n";
}

/** Prints a result block and writes it to bench/results/NAME.md. */
export function report(name: string, markdown: string): void {
  const stamp = new Date().toISOString().slice(0, 16).replace("T", " ");
  const text =
    `### ${name} (${stamp} UTC, ${Deno.build.os}, ${navigator.hardwareConcurrency} cores)\n\n${markdown}`;
  const dir = new URL("./results/", import.meta.url).pathname;
  Deno.mkdirSync(dir, { recursive: true });
  Deno.writeTextFileSync(`${dir}${name}.md`, text);
  Deno.stdout.writeSync(new TextEncoder().encode(text + "\n"));
}

/** The installed denit prefix (installs into build/prefix when needed). */
export function benchPrefix(): Promise<string> {
  return testPrefix();
}
