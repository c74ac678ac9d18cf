/**
 * The boot benchmark (`make bench-boot`): the rootfs image with N extra logged services,
 * denit against Debian's C runit as init (same kernel, same busybox), boots alternating
 * between the images, medians. Per boot, from guest uptimes printed on the console:
 *   up       = "rootfs: stage 1 at T1" → "bench: all-up T2" (every service's first log line
 *              is on disk; tests/boot/bench-watch polls for it)
 *   shutdown = "bench: halt T3" (just before `init 0`) → the kernel's "[ T4] reboot: Power
 *              down" line.
 * Writes bench/results/boot.md.
 *
 * Usage: deno run -A tests/boot/bench_boot.ts   (BOOTS=3 NS=10,50 FORMS=svlogd,run)
 */

import { median, report, table } from "../../bench/_harness.ts";
import { bootSetup, Vm } from "./vm.ts";

const REPO = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");
const enc = new TextEncoder();

/** One image to boot. */
export interface Variant {
  init: "denit" | "runit";
  logform: "svlogd" | "run";
  n: number;
}

/** What one boot measured (seconds of guest uptime). */
export interface BootSample {
  /** Kernel start → stage 1 (process 1's own start-up, and the image's unpacking). */
  stage1AtS: number;
  upS: number;
  shutdownS: number;
  /** The part of the shutdown after stage 3 began. */
  stage3ToOffS: number;
}

/** Reads the milestones out of a console transcript; undefined when one is missing. */
export function parseBootTimes(text: string): BootSample | undefined {
  const stage1 = /rootfs: stage 1 at ([\d.]+)s/.exec(text);
  const allUp = /bench: all-up ([\d.]+)/.exec(text);
  const halt = /bench: halt ([\d.]+)/.exec(text);
  const stage3 = /rootfs: stage 3 at ([\d.]+)s/.exec(text);
  const off = /\[\s*([\d.]+)\] reboot: Power down/.exec(text);
  if (!stage1 || !allUp || !halt || !stage3 || !off) return undefined;
  return {
    stage1AtS: Number(stage1[1]),
    upS: Number(allUp[1]) - Number(stage1[1]),
    shutdownS: Number(off[1]) - Number(halt[1]),
    stage3ToOffS: Number(off[1]) - Number(stage3[1]),
  };
}

function say(text: string): void {
  Deno.stdout.writeSync(enc.encode(`bench-boot: ${text}\n`));
}

function label(v: Variant): string {
  return `${v.init === "denit" ? "denit" : "C runit"}, log/${v.logform}, N=${v.n}`;
}

function imagePath(v: Variant): string {
  return `${REPO}/build/bench-${v.init}-${v.logform}-${v.n}.cpio`;
}

async function buildImage(v: Variant): Promise<void> {
  const out = await new Deno.Command("sh", {
    args: [`${REPO}/scripts/rootfs.sh`],
    env: {
      INIT: v.init,
      LOGFORM: v.logform,
      EXTRA: `${v.n}`,
      BENCH: "1",
      OUT: imagePath(v),
    },
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (!out.success) throw new Error(`make rootfs failed for ${label(v)}`);
}

async function bootOnce(
  v: Variant,
  setup: { kernel: string; accel: "kvm" | "tcg" },
  timeoutMs: number,
): Promise<BootSample | undefined> {
  const transcript = `${REPO}/build/bench-boot-${v.init}-${v.logform}-${v.n}.log`;
  // Classic log/run under denit starts a Deno svlogd per service: give them memory.
  const vm = Vm.start({ ...setup, initrd: imagePath(v), memory: "4G" }, { transcript });
  try {
    await vm.expect(/reboot: Power down/, timeoutMs);
    await vm.waitExit(10_000);
  } catch (err) {
    say(`${label(v)}: boot failed: ${err instanceof Error ? err.message : err}`);
    return undefined;
  } finally {
    await vm.kill();
  }
  if (/Kernel panic/.test(vm.text)) {
    say(`${label(v)}: kernel panic (see ${transcript})`);
    return undefined;
  }
  return parseBootTimes(vm.text);
}

const fmt = (s: number | undefined): string => s === undefined ? "–" : `${s.toFixed(2)} s`;
const ratio = (a: number | undefined, b: number | undefined): string =>
  a === undefined || b === undefined || b === 0 ? "–" : `${(a / b).toFixed(2)}×`;

async function main(): Promise<number> {
  const boots = Number(Deno.env.get("BOOTS") ?? "3");
  const ns = (Deno.env.get("NS") ?? "10,50").split(",").map(Number);
  const forms = (Deno.env.get("FORMS") ?? "svlogd,run").split(",") as Variant["logform"][];
  const timeoutMs = Number(Deno.env.get("BENCH_BOOT_TIMEOUT") ?? "400") * 1000;
  const variants: Variant[] = [];
  for (const n of ns) {
    variants.push({ init: "runit", logform: "run", n });
    for (const logform of forms) variants.push({ init: "denit", logform, n });
  }
  for (const v of variants) await buildImage(v);
  const setup = await bootSetup();
  say(`kernel ${setup.kernel}, accelerator ${setup.accel}, ${boots} boots per image`);
  const samples = new Map<Variant, BootSample[]>(variants.map((v) => [v, []]));
  for (let round = 1; round <= boots; round++) {
    for (const v of variants) {
      const sample = await bootOnce(v, setup, timeoutMs);
      if (sample !== undefined) samples.get(v)!.push(sample);
      say(
        `round ${round}: ${label(v)}: ${
          sample === undefined
            ? "no result"
            : `up ${fmt(sample.upS)}, shutdown ${fmt(sample.shutdownS)}`
        }`,
      );
    }
  }
  const med = (v: Variant, key: keyof BootSample): number | undefined => {
    const values = samples.get(v)!.map((s) => s[key]);
    return values.length === 0 ? undefined : median(values);
  };
  const rows: string[][] = [];
  for (const v of variants) {
    const c = variants.find((x) => x.init === "runit" && x.n === v.n)!;
    rows.push([
      label(v),
      `${samples.get(v)!.length}/${boots}`,
      fmt(med(v, "stage1AtS")),
      fmt(med(v, "upS")),
      v === c ? "1.00×" : ratio(med(v, "upS"), med(c, "upS")),
      fmt(med(v, "shutdownS")),
      v === c ? "1.00×" : ratio(med(v, "shutdownS"), med(c, "shutdownS")),
      fmt(med(v, "stage3ToOffS")),
    ]);
  }
  const md = `Boot to all services up and shutdown under QEMU (${setup.accel}, 1 vCPU), ` +
    `Debian kernel ${setup.kernel.split("/").pop()}, busybox-static; N extra services, ` +
    `each logged (log/svlogd = denit's in-process svlogd, log/run = \`exec svlogd\` per ` +
    `service). Medians of the boots that completed, images booted alternately. ` +
    `"stage 1 at" = kernel start → stage 1 (process 1 starting, image unpacking); ` +
    `"up" = stage 1 start → every service's first log line on disk; "shutdown" = ` +
    `\`init 0\` typed → the kernel's power-down line, "stage 3 → off" its part after ` +
    `stage 3 began (all guest uptime). Ratios against C runit with the same N.\n\n` +
    table([
      "image",
      "boots",
      "stage 1 at",
      "up",
      "up vs C",
      "shutdown",
      "shutdown vs C",
      "stage 3 → off",
    ], rows);
  report("boot", md);
  return 0;
}

if (import.meta.main) Deno.exit(await main());
