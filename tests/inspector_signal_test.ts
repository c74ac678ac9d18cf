/**
 * Deno arms a SIGUSR1 handler ~500 ms after start that opens V8's inspector on
 * 127.0.0.1:9229. A long-running applet started without the C launcher (which blocks the
 * signal) ignores SIGUSR1 at once and again once Deno has armed its handler
 * (lib/daemon_signals.ts): past that point SIGUSR1 must neither open the port nor end it.
 */

import { assert, assertEquals } from "./_assert.ts";
import { sleep, tempDir, waitFor, writeTree } from "./_helpers.ts";
import { SLEEP_RUN, startRunsvWithoutLauncher, waitRunning } from "./supervise_fixture.ts";

const USR1_BIT = 1n << 9n;

/** The SigIgn and SigCgt masks of `pid`. */
function dispositions(pid: number): { ignored: bigint; caught: bigint } {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  const mask = (name: string): bigint =>
    BigInt("0x" + new RegExp(`^${name}:\\s*([0-9a-f]+)$`, "m").exec(status)![1]);
  return { ignored: mask("SigIgn"), caught: mask("SigCgt") };
}

/** Whether anything listens on TCP port 9229 (/proc/net/tcp, state 0A). */
function inspectorListening(): boolean {
  const rows = Deno.readTextFileSync("/proc/net/tcp").split("\n").slice(1);
  return rows.some((row) => {
    const fields = row.trim().split(/\s+/);
    return fields[1]?.endsWith(":240D") === true && fields[3] === "0A";
  });
}

Deno.test("runsv without the launcher: SIGUSR1 after Deno arms its inspector trigger is ignored", async () => {
  assert(!inspectorListening(), "something already listens on port 9229");
  await using tmp = tempDir();
  writeTree(tmp.path, { "s/run!": SLEEP_RUN });
  const started = Date.now();
  await using runsv = await startRunsvWithoutLauncher(tmp.path, "s");
  await waitRunning(`${tmp.path}/s`);
  // Past Deno's arming (500-525 ms measured), SIGUSR1 must be ignored again, not caught.
  await waitFor(() => {
    const { ignored, caught } = dispositions(runsv.pid);
    return Date.now() - started > 1500 && (ignored & USR1_BIT) !== 0n && (caught & USR1_BIT) === 0n;
  }, { timeoutMs: 10_000, what: "SIGUSR1 ignored once Deno armed its handler" });
  runsv.signal("SIGUSR1");
  await sleep(500); // checking that nothing happens
  assert(!inspectorListening(), "SIGUSR1 opened the inspector port");
  runsv.signal("SIGTERM");
  assertEquals((await runsv.status).code, 0, runsv.stderrText());
});
