/**
 * runsvdir with many services: 200 services crash-looping at once keep to runit's 1 s
 * restart rule each, runsvdir's CPU stays bounded, and a healthy service next to them
 * still answers `sv` at once.
 */

import { assert, assertEquals, assertStringIncludes } from "./_assert.ts";
import { bin, cpuTicks, run, spawn, tempDir, writeTree } from "./_helpers.ts";
import { writeStderr } from "../lib/output.ts";
import { sleeper, startRunsvdir, waitRunning, wrapSpawned } from "./runsvdir_fixture.ts";

const CRASHERS = 200;

Deno.test("runsvdir: 200 crash-looping services keep the 1 s rule; the rest stays responsive", async () => {
  await using tmp = tempDir();
  const tree: Record<string, string> = { "good/run!": sleeper() };
  for (let i = 0; i < CRASHERS; i++) {
    tree[`crash${i}/run!`] = "#!/bin/sh\necho >>../../runs\nexit 1\n";
  }
  writeTree(`${tmp.path}/svc`, tree);
  await using rd = await startRunsvdir(["-P", `${tmp.path}/svc`]);
  await waitRunning(`${tmp.path}/svc/good`, 20_000);
  await new Promise((r) => setTimeout(r, 1_500)); // all 200 are looping by now

  const runsBefore = Deno.readTextFileSync(`${tmp.path}/runs`).length;
  const ticksBefore = cpuTicks(rd.pid);
  const t0 = performance.now();
  // Meanwhile: the healthy service answers and restarts promptly.
  const sv = await bin("sv");
  const s0 = performance.now();
  const status = await run(sv, ["status", `${tmp.path}/svc/good`]);
  const statusMs = performance.now() - s0;
  assertStringIncludes(status.stdout, "run: ");
  const r0 = performance.now();
  const restart = await run(sv, ["-w", "30", "restart", `${tmp.path}/svc/good`], {
    timeoutMs: 40_000,
  });
  const restartMs = performance.now() - r0;
  assertStringIncludes(restart.stdout, "ok: run: ");
  await new Promise((r) => setTimeout(r, Math.max(0, 4_000 - (performance.now() - t0))));
  const seconds = (performance.now() - t0) / 1000;
  const runs = Deno.readTextFileSync(`${tmp.path}/runs`).length - runsBefore;
  const cpu = (cpuTicks(rd.pid) - ticksBefore) / 100 / seconds;

  // The 1 s rule: at most one start per service per second (plus one for the edges).
  assert(runs <= CRASHERS * (seconds + 1), `${runs} runs in ${seconds.toFixed(1)} s`);
  assert(runs >= CRASHERS, `they do keep restarting (${runs} runs)`);
  // Bounded: well under the 2 cores, even on a loaded machine.
  assert(cpu < 1.5, `runsvdir used ${(cpu * 100).toFixed(0)}% CPU`);
  assert(statusMs < 3_000, `sv status took ${statusMs.toFixed(0)} ms`);
  // Loose bounds: CI shares 2 cores with a QEMU boot (measured idle: tens of ms, ~0.5 s).
  assert(restartMs < 20_000, `sv restart took ${restartMs.toFixed(0)} ms`);
  writeStderr(
    `200 crashers: ${(runs / seconds).toFixed(0)} starts/s, runsvdir CPU ${
      (cpu * 100).toFixed(0)
    }%, sv status ${statusMs.toFixed(0)} ms, sv restart ${restartMs.toFixed(0)} ms\n`,
  );
  const stopped = await rd.stop("SIGTERM", 30_000);
  assert(stopped.code === 0);
});

Deno.test("runsvdir: raises its soft limit on open files when the services need it", async () => {
  await using tmp = tempDir();
  const tree: Record<string, string> = {};
  for (let i = 0; i < 60; i++) tree[`s${i}/run!`] = sleeper();
  writeTree(`${tmp.path}/svc`, tree);
  const runsvdir = await bin("runsvdir");
  // A soft limit of 256 would run out of fds at about 20 services.
  await using rd = wrapSpawned(
    spawn("sh", ["-c", `ulimit -Sn 256 && exec ${runsvdir} -P ${tmp.path}/svc`]),
  );
  for (let i = 0; i < 60; i++) await waitRunning(`${tmp.path}/svc/s${i}`, 20_000);
  const limits = Deno.readTextFileSync(`/proc/${rd.pid}/limits`);
  const soft = Number(/^Max open files\s+(\d+)/m.exec(limits)?.[1]);
  assert(soft > 256, `soft limit ${soft}`);
  assertEquals(rd.stderr(), "");
});
