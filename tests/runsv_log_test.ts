/**
 * The classic log service (spec runsv.md test cases 6, 25, 27; supervise-protocol.md
 * test cases 9, 20, 23, 24): what reaches log/run's stdin, its restart rules, and the
 * commands it ignores.
 */

import { assert, assertEquals, assertMatch } from "./_assert.ts";
import { readText, sleep, tempDir, waitFor, writeTree } from "./_helpers.ts";
import {
  readPid,
  readStat,
  startRunsv,
  sv,
  waitRunning,
  waitStat,
  writeControl,
} from "./supervise_fixture.ts";

Deno.test("log: stdout of run, finish and control/u all reach log/run", async () => {
  await using tmp = tempDir();
  writeTree(tmp.path, {
    "s/run!": "#!/bin/sh\necho run\nexit 0\n",
    "s/finish!": "#!/bin/sh\necho finish $1\n",
    "s/control/u!": "#!/bin/sh\necho control-u\n",
    "s/log/run!": "#!/bin/sh\nexec cat >>out\n",
    "s/log/finish!": "#!/bin/sh\necho log-finish >>log-finish-ran\n",
  });
  await using _r = await startRunsv(tmp.path, "s");
  const dir = `${tmp.path}/s`;
  await waitFor(() => readText(`${dir}/log/out`).startsWith("control-u\nrun\nfinish 0\n"));
  // log/finish is never run (Debian's runsv(8)), also when the logger is killed.
  Deno.kill(await waitRunning(dir, "log/supervise"), "SIGKILL");
  await sleep(300);
  assertEquals(readText(`${dir}/log/log-finish-ran`), "");
});

Deno.test("log: stopped logger, data written meanwhile arrives after sv u (< 64 KiB)", async () => {
  await using tmp = tempDir();
  writeTree(tmp.path, {
    "s/run!": "#!/bin/sh\nwhile [ ! -f go ]; do sleep 0.05; done\n" +
      "i=0; while [ $i -lt 500 ]; do echo line-$i; i=$((i+1)); done\nexec sleep 1000\n",
    "s/log/run!": "#!/bin/sh\nexec cat >>out\n",
  });
  await using _r = await startRunsv(tmp.path, "s");
  const dir = `${tmp.path}/s`;
  await waitRunning(dir, "log/supervise");
  await sv(["-v", "down", "./s/log"], { cwd: tmp.path });
  assertEquals(readStat(dir, "log/supervise"), "down");
  Deno.writeTextFileSync(`${dir}/go`, "");
  await sleep(500);
  assertEquals(readText(`${dir}/log/out`), "");
  await sv(["up", "./s/log"], { cwd: tmp.path });
  await waitFor(() => readText(`${dir}/log/out`).endsWith("line-499\n"));
  assertEquals(
    readText(`${dir}/log/out`),
    Array.from({ length: 500 }, (_, i) => `line-${i}\n`).join(""),
  );
});

Deno.test("log: a logger that exits at once is restarted about once per second", async () => {
  await using tmp = tempDir();
  writeTree(tmp.path, {
    "s/run!": "#!/bin/sh\nexec sleep 1000\n",
    "s/log/run!": "#!/bin/sh\ndate +%s%N >>starts\nexit 0\n",
  });
  await using _r = await startRunsv(tmp.path, "s");
  const dir = `${tmp.path}/s`;
  await waitFor(() => readText(`${dir}/log/starts`).trim().split("\n").length >= 3, {
    timeoutMs: 8000,
  });
  const starts = readText(`${dir}/log/starts`).trim().split("\n").map((n) => Number(n) / 1e6);
  assert(starts[2]! - starts[1]! >= 900, `log restarts ${starts[2]! - starts[1]!} ms apart`);
  // The third logger may not have exited yet: ask until runsv has recorded it down.
  const status = await waitFor(async () => {
    const out = await sv(["status", "./s"], { cwd: tmp.path });
    return out.stdout.includes("; down: log: ") ? out : undefined;
  }, { what: "sv status saying the log is down" });
  assertMatch(status.stdout, /; down: log: \ds, normally up, want up\n$/);
});

Deno.test("log: x on the log's control FIFO is ignored", async () => {
  await using tmp = tempDir();
  writeTree(tmp.path, {
    "s/run!": "#!/bin/sh\nexec sleep 1000\n",
    "s/log/run!": "#!/bin/sh\nexec cat >/dev/null\n",
  });
  await using r = await startRunsv(tmp.path, "s");
  const dir = `${tmp.path}/s`;
  const logPid = await waitRunning(dir, "log/supervise");
  writeControl(dir, "x", "log/supervise");
  await sleep(500);
  assertEquals([readStat(dir, "log/supervise"), readPid(dir, "log/supervise")], ["run", logPid]);
  assertEquals(r.proc.stderrText(), "");
});

Deno.test("pause on a down service: stat says down, paused; sv status hides it", async () => {
  await using tmp = tempDir();
  writeTree(tmp.path, { "s/run!": "#!/bin/sh\nexec sleep 1000\n", "s/down": "" });
  await using _r = await startRunsv(tmp.path, "s");
  const dir = `${tmp.path}/s`;
  await waitStat(dir, "down");
  writeControl(dir, "p");
  await waitStat(dir, "down, paused");
  const status = await sv(["status", "./s"], { cwd: tmp.path });
  assertMatch(status.stdout, /^down: \.\/s: \ds\n$/);
});
