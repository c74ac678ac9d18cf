/**
 * svlogd throughput (issue #5): 1,000,000 lines of ~100 bytes piped in, config
 * `s1000000` + `n10`, with `-tt` and without stamps. Contenders: Debian's C svlogd,
 * s6-log (`T`, its ISO stamp, for the stamped run), denit's svlogd CLI and denit's
 * in-process form (the LogSink a supervisor uses, fed from the same pipe). Reports
 * lines/s and CPU seconds (user + sys, `cat` included alike for all). Goal: ≥ 4× C
 * svlogd and ≥ 2× s6-log.
 *
 * A keep-all run (`n1000`) of each denit form then checks that every line arrived,
 * whole and in order.
 *
 * Run with `--sink-child DIR ARGS…` this file is the in-process contender itself.
 */

import { benchPrefix, median, report, table } from "./_harness.ts";

const LINES = Number(Deno.env.get("SVLOGD_BENCH_LINES") ?? 1_000_000);
const ROUNDS = Number(Deno.env.get("SVLOGD_BENCH_ROUNDS") ?? 3);

async function sinkChild(args: string[]): Promise<void> {
  const { Reaper } = await import("../lib/reaper.ts");
  const { createSvlogdSink } = await import("../lib/svlogd/sink.ts");
  const reaper = new Reaper();
  reaper.start();
  const sink = await createSvlogdSink({
    reaper,
    logDir: Deno.cwd(),
    args,
    warn: (line) => Deno.stderr.writeSync(new TextEncoder().encode(line)),
  });
  const buffer = new Uint8Array(1 << 16);
  for (;;) {
    const n = await Deno.stdin.read(buffer);
    if (n === null) break;
    await sink.write(buffer.subarray(0, n));
  }
  await sink.close();
}

if (Deno.args[0] === "--sink-child") {
  await sinkChild(Deno.args.slice(1));
  Deno.exit(0);
}

const prefix = await benchPrefix();
const work = Deno.makeTempDirSync({ prefix: "denit-bench-svlogd-" });
const input = `${work}/input`;
{
  const filler = "x".repeat(85);
  const parts: string[] = [];
  for (let i = 0; i < LINES; i++) parts.push(`line ${String(i).padStart(7, "0")} ${filler}\n`);
  Deno.writeTextFileSync(input, parts.join(""));
}
const self = new URL(import.meta.url).pathname;
const deno = Deno.execPath();

interface Contender {
  label: string;
  /** argv; the log directory is `d` in the cwd. */
  argv: (stamp: boolean) => string[] | undefined;
}

const contenders: Contender[] = [
  { label: "C svlogd", argv: (t) => ["/usr/bin/svlogd", ...(t ? ["-tt"] : []), "d"] },
  {
    label: "s6-log",
    argv: (t) => ["/usr/bin/s6-log", "-b", "n10", "s1000000", ...(t ? ["T"] : []), "./d"],
  },
  { label: "denit svlogd", argv: (t) => [`${prefix}/bin/svlogd`, ...(t ? ["-tt"] : []), "d"] },
  {
    label: "denit in-process",
    argv: (t) => [deno, "run", "-A", "--no-lock", self, "--sink-child", ...(t ? ["-tt"] : []), "d"],
  },
];

interface Sample {
  seconds: number;
  cpu: number;
}

const quote = (word: string): string => `'${word.replaceAll("'", "'\\''")}'`;

/** Runs one contender on the input through a pipe in a fresh `d`; wall and CPU seconds. */
async function once(argv: string[], config: string): Promise<Sample> {
  const dir = `${work}/run`;
  try {
    Deno.removeSync(dir, { recursive: true });
  } catch {
    // first run
  }
  Deno.mkdirSync(`${dir}/d`, { recursive: true });
  Deno.writeTextFileSync(`${dir}/d/config`, config);
  const script = `cat ${quote(input)} | ${argv.map(quote).join(" ")}`;
  const out = await new Deno.Command("/usr/bin/time", {
    args: ["-f", "%e %U %S", "sh", "-c", script],
    cwd: dir,
    stdout: "null",
    stderr: "piped",
  }).output();
  const lines = new TextDecoder().decode(out.stderr).trim().split("\n");
  const [wall, user, sys] = lines[lines.length - 1]!.split(" ").map(Number);
  if (!out.success) throw new Error(`${argv[0]} failed: ${lines.join("\n")}`);
  return { seconds: wall!, cpu: user! + sys! };
}

try {
  Deno.mkdirSync(`${work}/run`);
} catch {
  // exists
}

const rows: string[][] = [];
for (const stamp of [true, false]) {
  const samples = new Map<string, Sample[]>(contenders.map((c) => [c.label, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const c of contenders) {
      const argv = c.argv(stamp);
      if (argv === undefined) continue;
      samples.get(c.label)!.push(await once(argv, "s1000000\nn10\n"));
    }
  }
  const rate = (label: string): number => LINES / median(samples.get(label)!.map((s) => s.seconds));
  const c = rate("C svlogd");
  const s6 = rate("s6-log");
  for (const contender of contenders) {
    const list = samples.get(contender.label)!;
    const r = rate(contender.label);
    rows.push([
      stamp ? "-tt" : "none",
      contender.label,
      `${Math.round(r / 1000)} k`,
      median(list.map((s) => s.cpu)).toFixed(2),
      (r / c).toFixed(2),
      (r / s6).toFixed(2),
    ]);
  }
}

/** Every line, whole and in order, after a keep-all run (stamps stripped). */
async function lossCheck(label: string, argv: string[]): Promise<string> {
  await once(argv, "s1000000\nn1000\n");
  const dir = `${work}/run/d`;
  const names = [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => n.startsWith("@"))
    .sort();
  const expected = Deno.readFileSync(input);
  let at = 0;
  let lines = 0;
  for (const name of [...names, "current"]) {
    const text = Deno.readFileSync(`${dir}/${name}`);
    let i = 0;
    while (i < text.length) {
      const end = text.indexOf(10, i);
      const line = text.subarray(i + 26, end + 1); // "YYYY-MM-DD_HH:MM:SS.xxxxx " stamp
      const want = expected.subarray(at, at + line.length);
      if (line.length !== want.length || !line.every((b, k) => b === want[k])) {
        return `${label}: line ${lines} differs`;
      }
      at += line.length;
      lines++;
      i = end + 1;
    }
  }
  return at === expected.length ? `${label}: all ${lines} lines intact` : `${label}: lost lines`;
}

const checks = [
  await lossCheck("denit svlogd", contenders[2]!.argv(true)!),
  await lossCheck("denit in-process", contenders[3]!.argv(true)!),
];
Deno.removeSync(work, { recursive: true });

report(
  "svlogd",
  `${LINES} lines of ~100 bytes through a pipe, config s1000000 n10, median of ${ROUNDS}.\n\n` +
    table(["stamps", "logger", "lines/s", "CPU s", "× C svlogd", "× s6-log"], rows) +
    `\nNo-loss check (keep-all, -tt, n1000): ${checks.join("; ")}.\n`,
);
