/**
 * The automated boot test (`make test-boot`): boots the rootfs image three times under QEMU and
 * checks from the serial console that
 *   boot 1: runit runs stage 1 then stage 2, the login prompt comes, every sample service
 *           and its log service is `run:` per `sv status` inside the VM, the services' log
 *           lines were written, and `init 6` reboots (QEMU exits with "Restarting system");
 *   boot 2: `init 0` powers off ("Power down");
 *   boot 3: Ctrl-Alt-Del (QEMU's sendkey) runs /etc/runit/ctrlaltdel, which reboots;
 * and that the kernel never panics. Prints timings. Exits 0 on success, 1 on failure.
 *
 * Usage: deno run -A tests/boot/boot_check.ts IMAGE   (TEST_BOOT_VERBOSE=1 echoes the console)
 */

import { bootSetup, ConsoleTimeout, Vm } from "./vm.ts";

const enc = new TextEncoder();
const REPO = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");

/** The sample services of rootfs/ (each with an in-process or classic log service). */
export const SAMPLE_SERVICES = ["demo", "getty-ttyS0"] as const;

/** Log lines each sample service writes when it starts. */
export const SAMPLE_LOG_LINES: Readonly<Record<string, RegExp>> = {
  demo: /demo: started as pid \d+/,
  "getty-ttyS0": /getty: starting on ttyS0/,
};

function say(text: string): void {
  Deno.stdout.writeSync(enc.encode(`test-boot: ${text}\n`));
}

/** Splits `sv status` output into one entry per service path. */
export function parseSvStatus(out: string): Map<string, string> {
  const byService = new Map<string, string>();
  for (const line of out.split("\n")) {
    const m = /^(\w+): ([^:]+): /.exec(line.trim());
    if (m !== null) byService.set(m[2]!, line.trim());
  }
  return byService;
}

/** True when an `sv status` line says the service and its log service both run. */
export function runningWithLog(line: string): boolean {
  return /^run: [^;]+; run: log: /.test(line);
}

const s = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

/** Stage and prompt checks common to both boots; returns host times of the milestones. */
async function untilLogin(vm: Vm, budgetMs: number): Promise<Record<string, number>> {
  const t: Record<string, number> = {};
  await vm.expect(/rootfs: stage 1 at ([\d.]+)s/, budgetMs);
  t.stage1 = vm.now();
  await vm.expect(/rootfs: stage 1 done at/, budgetMs);
  // /etc/runit/2 announces itself; stage 2 in process 1 (2.runsvdir) is announced by runit.
  await vm.expect(/rootfs: stage 2 at ([\d.]+)s|- runit: stage 2: runsvdir /, budgetMs);
  t.stage2 = vm.now();
  await vm.expect(/login: $/m, budgetMs);
  t.login = vm.now();
  return t;
}

async function login(vm: Vm, budgetMs: number): Promise<void> {
  await vm.send("root\n");
  await vm.expect(/denit:[^\n]*# /, budgetMs);
  // A prompt that cannot be confused with service output; no line editing surprises.
  await vm.run("stty -echo 2>/dev/null; PS1='$ '", budgetMs);
}

function assert(ok: boolean, what: string): void {
  if (!ok) throw new Error(what);
}

async function bootOne(
  image: string,
  n: number,
  budgetMs: number,
  body: (vm: Vm, deadline: number) => Promise<void>,
): Promise<void> {
  const { kernel, accel } = await bootSetup();
  const verbose = Deno.env.get("TEST_BOOT_VERBOSE") === "1";
  Deno.mkdirSync(`${REPO}/build`, { recursive: true });
  const transcript = `${REPO}/build/test-boot-${n}.log`;
  say(`boot ${n}: ${image} (${accel}), console in ${transcript}`);
  const vm = Vm.start(
    { kernel, initrd: image, accel },
    {
      transcript,
      ...(verbose ? { echo: (t: string) => Deno.stderr.writeSync(enc.encode(t)) } : {}),
    },
  );
  const deadline = performance.now() + budgetMs;
  try {
    await body(vm, deadline);
    assert(!/Kernel panic/.test(vm.text), "the kernel panicked");
  } finally {
    await vm.kill();
  }
}

const left = (deadline: number): number => Math.max(1, deadline - performance.now());

async function main(): Promise<number> {
  const image = Deno.args[0];
  if (image === undefined) {
    Deno.stderr.writeSync(enc.encode("usage: boot_check.ts IMAGE\n"));
    return 100;
  }
  const budgetMs = Number(Deno.env.get("TEST_BOOT_BOOT_SECONDS") ?? "170") * 1000;
  try {
    await bootOne(image, 1, budgetMs, async (vm, deadline) => {
      const t = await untilLogin(vm, left(deadline));
      say(
        `boot 1: stage 1 at ${s(t.stage1!)}, stage 2 at ${s(t.stage2!)}, login prompt at ${
          s(t.login!)
        } (host time since QEMU start)`,
      );
      await login(vm, left(deadline));
      // Services may still be starting: poll sv status until all run (or the deadline).
      let status = new Map<string, string>();
      let last = "";
      while (true) {
        const r = await vm.run("sv status /etc/service/*", left(deadline));
        last = r.out;
        status = parseSvStatus(r.out);
        const all = SAMPLE_SERVICES.every((name) => {
          const line = status.get(`/etc/service/${name}`);
          return line !== undefined && runningWithLog(line);
        });
        if (all && r.status === 0) break;
        if (left(deadline) <= 1) throw new Error(`services not all up:\n${last}`);
        await vm.run("sleep 1", left(deadline));
      }
      say(`boot 1: every service run (with its log) at ${s(vm.now())}:\n${last}`);
      const logs = await vm.run(
        'for f in /etc/service/*/log/main/current; do echo "== $f"; cat $f; done',
        left(deadline),
      );
      for (const [name, line] of Object.entries(SAMPLE_LOG_LINES)) {
        const section = logs.out.split("== ").find((x) =>
          x.startsWith(`/etc/service/${name}/log/main/current`)
        );
        assert(
          section !== undefined && line.test(section),
          `no log line ${line} for ${name}; logs:\n${logs.out}`,
        );
        // -tt: every line carries a human-readable UTC stamp.
        assert(
          /^\d{4}-\d\d-\d\d_\d\d:\d\d:\d\d\.\d+ /m.test(section!),
          `log of ${name} lacks -tt stamps:\n${section}`,
        );
      }
      say(`boot 1: log lines written`);
      // The kernel starts process 1 with an open-files limit of 1024 (hard 4096), which
      // runit passes on unchanged; Deno raises its own to the hard limit at start-up.
      const limits = await vm.run(
        'grep "open files" /proc/$(cat /etc/service/demo/supervise/pid)/limits',
        left(deadline),
      );
      assert(
        /^Max open files +1024 +4096 /.test(limits.out),
        `the demo service's open-files limit is not the kernel's:\n${limits.out}`,
      );
      say(`boot 1: the demo service has the kernel's open-files limit`);
      const t6 = vm.now();
      await vm.send("init 6\n");
      await vm.expect(/rootfs: stage 3 at/, left(deadline));
      await vm.expect(/reboot: Restarting system/, left(deadline));
      assert(await vm.waitExit(left(deadline)), "QEMU did not exit after the reboot");
      say(`boot 1: init 6 rebooted in ${s(vm.now() - t6)}`);
    });
    await bootOne(image, 2, budgetMs, async (vm, deadline) => {
      const t = await untilLogin(vm, left(deadline));
      say(`boot 2: login prompt at ${s(t.login!)}`);
      await login(vm, left(deadline));
      const t0 = vm.now();
      await vm.send("init 0\n");
      await vm.expect(/rootfs: stage 3 at/, left(deadline));
      await vm.expect(/reboot: Power down/, left(deadline));
      assert(await vm.waitExit(left(deadline)), "QEMU did not exit after the power-off");
      say(`boot 2: init 0 powered off in ${s(vm.now() - t0)}`);
    });
    await bootOne(image, 3, budgetMs, async (vm, deadline) => {
      const t = await untilLogin(vm, left(deadline));
      say(`boot 3: login prompt at ${s(t.login!)}`);
      // Ctrl-Alt-Del on the keyboard, through QEMU's monitor (Ctrl-A c toggles to it):
      // the kernel sends SIGINT to process 1, which runs /etc/runit/ctrlaltdel.
      const t0 = vm.now();
      await vm.send("\x01c");
      await vm.expect(/\(qemu\) /, left(deadline));
      await vm.send("sendkey ctrl-alt-delete\n");
      await vm.send("\x01c");
      await vm.expect(/rootfs: ctrl-alt-del: rebooting/, left(deadline));
      await vm.expect(/rootfs: stage 3 at/, left(deadline));
      await vm.expect(/reboot: Restarting system/, left(deadline));
      assert(await vm.waitExit(left(deadline)), "QEMU did not exit after ctrl-alt-del");
      say(`boot 3: ctrl-alt-del rebooted in ${s(vm.now() - t0)}`);
    });
  } catch (err) {
    const text = err instanceof ConsoleTimeout || err instanceof Error ? err.message : `${err}`;
    say(`FAILED: ${text}`);
    return 1;
  }
  say("ok");
  return 0;
}

if (import.meta.main) Deno.exit(await main());
