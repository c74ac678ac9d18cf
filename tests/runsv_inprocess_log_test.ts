/**
 * The in-process log service (ARCHITECTURE.md §3, DEVIATIONS.md item 13): `log/` with no
 * `run` but a `log/svlogd` file is logged by runsv itself through svlogd's engine.
 */

import { assert, assertEquals, assertMatch } from "./_assert.ts";
import { tempDir, waitFor, writeTree } from "./_helpers.ts";
import { readPid, readStat, startRunsv, sv, waitRunning, waitStat } from "./supervise_fixture.ts";

function lines(path: string): string[] {
  try {
    return Deno.readTextFileSync(path).split("\n").filter((l) => l !== "");
  } catch {
    return [];
  }
}

const COUNTER = (n: number, pause: string) =>
  `#!/bin/sh\ni=0\nwhile [ $i -lt ${n} ]; do echo $i; i=$((i+1)); sleep ${pause}; done\n` +
  "exec sleep 1000\n";

/** Service `s` running `run`, logged by runsv itself into log/main. */
function inProcessLogged(run: string): Record<string, string | null> {
  return { "s/run!": run, "s/log/svlogd": "./main", "s/log/main": null };
}

Deno.test("in-process log: lines reach log/main/current; sv shows runsv's pid", async () => {
  await using tmp = tempDir();
  writeTree(tmp.path, {
    "s/run!": "#!/bin/sh\necho one\necho two\nexec sleep 1000\n",
    "s/log/svlogd": "./main\n",
    "s/log/main": null,
  });
  await using r = await startRunsv(tmp.path, "s");
  const dir = `${tmp.path}/s`;
  await waitFor(() => lines(`${dir}/log/main/current`).length === 2);
  assertEquals(lines(`${dir}/log/main/current`), ["one", "two"]);
  assertEquals(readPid(dir, "log/supervise"), r.proc.pid);
  const status = await sv(["status", "./s"], { cwd: tmp.path });
  assertMatch(status.stdout, new RegExp(`; run: log: \\(pid ${r.proc.pid}\\) \\d+s\\n$`));
});

Deno.test("in-process log: a directory named in bytes that are not UTF-8 is the one written", async () => {
  await using tmp = tempDir();
  writeTree(tmp.path, { "s/run!": "#!/bin/sh\necho one\nexec sleep 1000\n", "s/log": null });
  // Deno names files in UTF-8 only: the shell writes log/svlogd and makes the directory.
  const made = await new Deno.Command("sh", {
    args: ["-c", `N=$(printf 'm\\377') && printf './%s\\n' "$N" >s/log/svlogd && mkdir "s/log/$N"`],
    cwd: tmp.path,
  }).output();
  assertEquals(made.code, 0);
  await using r = await startRunsv(tmp.path, "s");
  const current = () =>
    new Deno.Command("sh", {
      args: ["-c", `cat "s/log/$(printf 'm\\377')/current"`],
      cwd: tmp.path,
      stderr: "null",
    }).outputSync();
  await waitFor(() => new TextDecoder().decode(current().stdout) === "one\n", {
    what: "one in log/m\\xff/current",
  });
  assertEquals(r.proc.stderrText(), "");
});

Deno.test("in-process log: d stops consuming, u resumes; nothing is lost or doubled", async () => {
  await using tmp = tempDir();
  writeTree(tmp.path, inProcessLogged(COUNTER(300, "0.005")));
  await using _r = await startRunsv(tmp.path, "s");
  const dir = `${tmp.path}/s`;
  const current = `${dir}/log/main/current`;
  await waitFor(() => lines(current).length > 20);
  await sv(["d", "./s/log"], { cwd: tmp.path });
  await waitStat(dir, "down", { sub: "log/supervise" });
  const stopped = lines(current).length;
  await new Promise((resolve) => setTimeout(resolve, 400));
  assertEquals(lines(current).length, stopped); // not consuming
  await sv(["u", "./s/log"], { cwd: tmp.path });
  await waitFor(() => lines(current).length === 300, { timeoutMs: 10000 });
  assertEquals(lines(current), Array.from({ length: 300 }, (_, i) => String(i)));
});

Deno.test("in-process log: t restarts the sink and a rotates, without loss", async () => {
  await using tmp = tempDir();
  writeTree(tmp.path, inProcessLogged(COUNTER(300, "0.005")));
  await using _r = await startRunsv(tmp.path, "s");
  const dir = `${tmp.path}/s`;
  const main = `${dir}/log/main`;
  await waitFor(() => lines(`${main}/current`).length > 20);
  await sv(["t", "./s/log"], { cwd: tmp.path });
  await waitFor(() => lines(`${main}/current`).length > 150, { timeoutMs: 10000 });
  await sv(["a", "./s/log"], { cwd: tmp.path });
  const all = (): string[] => {
    const rotated = [...Deno.readDirSync(main)].map((e) => e.name).filter((n) => n.startsWith("@"))
      .sort();
    return [...rotated.flatMap((n) => lines(`${main}/${n}`)), ...lines(`${main}/current`)];
  };
  await waitFor(() => all().length === 300, { timeoutMs: 10000 });
  assertEquals(all(), Array.from({ length: 300 }, (_, i) => String(i)));
  assert([...Deno.readDirSync(main)].some((e) => e.name.startsWith("@")), "no rotated file");
});

Deno.test("in-process log: SIGTERM writes the last lines, stops everything, exits 0", async () => {
  await using tmp = tempDir();
  writeTree(
    tmp.path,
    inProcessLogged(
      "#!/bin/sh\ntrap 'echo bye; exit 0' TERM\necho hello\nwhile :; do sleep 0.05; done\n",
    ),
  );
  await using r = await startRunsv(tmp.path, "s");
  const dir = `${tmp.path}/s`;
  await waitRunning(dir);
  await waitFor(() => lines(`${dir}/log/main/current`).length === 1);
  r.proc.signal("SIGTERM");
  assertEquals((await r.proc.status).code, 0);
  assertEquals(lines(`${dir}/log/main/current`), ["hello", "bye"]);
  assertEquals([readStat(dir), readStat(dir, "log/supervise")], ["down", "down"]);
});

Deno.test("in-process log: k then u at once leaves one consuming sink", async () => {
  await using tmp = tempDir();
  writeTree(tmp.path, inProcessLogged(COUNTER(200, "0.01")));
  await using _r = await startRunsv(tmp.path, "s");
  const dir = `${tmp.path}/s`;
  const current = `${dir}/log/main/current`;
  await waitFor(() => lines(current).length > 10);
  const control = Deno.openSync(`${dir}/log/supervise/control`, { write: true });
  control.writeSync(new TextEncoder().encode("ku"));
  control.close();
  await waitFor(() => lines(current).length === 200, { timeoutMs: 10000 });
  assertEquals(lines(current), Array.from({ length: 200 }, (_, i) => String(i)));
  await waitStat(dir, "run", { sub: "log/supervise" });
});
