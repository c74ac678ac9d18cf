/**
 * Signals a long-running applet inherited as ignored stay ignored, as with runit's tools:
 * Deno replaces an inherited SIG_IGN of HUP, INT and TERM with its own handler ~0.5 s
 * after start (DENO-NOTES.md §4), which re-raises the signal when no JS listener exists.
 * runsv (HUP, INT), svlogd (INT) and a waiting sv (HUP, INT, TERM) must outlive such a
 * signal sent after that moment, side by side with Debian's; without the ignore they die
 * of it, as Debian's do.
 */

import { assertEquals } from "./_assert.ts";
import {
  bin,
  haveDebianRunit,
  run,
  sleep,
  spawn,
  tempDir,
  waitFor,
  writeTree,
} from "./_helpers.ts";

/** Deno arms its handlers ~500-525 ms after start (later on a loaded machine). */
const AFTER_ARMING_MS = 1_500;

/** perl ignores `ignored` (signal names without SIG), then execs the rest of argv. */
function ignoring(ignored: readonly string[], argv: readonly string[]): [string, string[]] {
  const sets = ignored.map((name) => `$SIG{${name}} = "IGNORE";`).join(" ");
  return ["/usr/bin/perl", ["-e", `${sets} exec { $ARGV[0] } @ARGV or exit 127`, ...argv]];
}

/**
 * Starts `argv` with `ignored` ignored and sends `sig` after the arming: is it still alive
 * after `windowMs`? (A death is waited for at most that long: a loaded machine may be slow
 * to end a process, never to keep one alive.)
 */
async function survives(
  argv: readonly string[],
  ignored: readonly string[],
  sig: Deno.Signal,
  options: { cwd: string; windowMs: number },
): Promise<boolean> {
  const [cmd, args] = ignoring(ignored, argv);
  // A process group of its own (setsid execs in place): cleaning up kills the applet and
  // everything it started, also what a dead applet left behind.
  await using proc = spawn("setsid", [cmd, ...args], { cwd: options.cwd });
  try {
    await sleep(AFTER_ARMING_MS);
    proc.signal(sig);
    const ended = await Promise.race([
      proc.status.then(() => true),
      sleep(options.windowMs).then(() => false),
    ]);
    return !ended;
  } finally {
    try {
      Deno.kill(-proc.pid, "SIGKILL");
    } catch {
      // the group is gone
    }
  }
}

Deno.test({
  name: "runsv and svlogd keep an inherited SIG_IGN of HUP and INT, as Debian's",
  ignore: !haveDebianRunit(),
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await using t = tempDir();
    writeTree(t.path, { "svc/run": "#!/bin/sh\nexec sleep 100\n" });
    Deno.chmodSync(`${t.path}/svc/run`, 0o755);
    Deno.mkdirSync(`${t.path}/log`);
    const cases: [string, string, string[], Deno.Signal][] = [
      ["runsv", "/usr/bin/runsv", ["svc"], "SIGHUP"],
      ["runsv", "/usr/bin/runsv", ["svc"], "SIGINT"],
      // svlogd reads standard input: a pipe from sleep, open and silent (perl opens it and
      // execs svlogd in place, so the signal reaches svlogd, not a shell).
      ["svlogd", "/usr/bin/svlogd", ["log"], "SIGINT"],
    ];
    for (const [name, debian, args, sig] of cases) {
      for (const [label, path] of [["ours", await bin(name)], ["Debian's", debian]]) {
        const argv = name === "svlogd"
          ? [
            "/usr/bin/perl",
            "-e",
            'open(STDIN, "-|", "sleep", "100") or die; exec { $ARGV[0] } @ARGV',
            path!,
            ...args,
          ]
          : [path!, ...args];
        const what = `${label} ${name}, ${sig}`;
        const bare = sig.slice(3);
        const ignoredRun = await survives(argv, [bare], sig, { cwd: t.path, windowMs: 500 });
        assertEquals(ignoredRun, true, `${what} ignored`);
        const defaultRun = await survives(argv, [], sig, { cwd: t.path, windowMs: 5_000 });
        assertEquals(defaultRun, false, `${what} default`);
      }
    }
  },
});

Deno.test({
  name: "a waiting sv keeps an inherited SIG_IGN of HUP, INT and TERM, as Debian's",
  ignore: !haveDebianRunit(),
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await using t = tempDir();
    // A service that ignores TERM: `sv -w 3 down` waits for it the whole 3 s.
    writeTree(t.path, { "svc/run": "#!/bin/sh\ntrap '' TERM\nexec sleep 100\n" });
    Deno.chmodSync(`${t.path}/svc/run`, 0o755);
    await using runsv = spawn("setsid", ["/usr/bin/runsv", "svc"], { cwd: t.path });
    try {
      await waitFor(async () =>
        (await run("/usr/bin/sv", ["status", "./svc"], { cwd: t.path }))
          .stdout.startsWith("run:"), { what: "the service to run" });
      for (const sig of ["SIGHUP", "SIGINT", "SIGTERM"] as const) {
        for (const [label, path] of [["ours", await bin("sv")], ["Debian's", "/usr/bin/sv"]]) {
          await run("/usr/bin/sv", ["up", "./svc"], { cwd: t.path });
          const argv = [path!, "-w", "3", "down", "./svc"];
          assertEquals(
            await survives(argv, [sig.slice(3)], sig, { cwd: t.path, windowMs: 500 }),
            true,
            `${label} sv -w, ${sig} ignored`,
          );
        }
      }
    } finally {
      Deno.kill(-runsv.pid, "SIGKILL"); // runsv and the service it started
    }
  },
});
