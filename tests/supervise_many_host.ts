/**
 * Test host for tests/supervise_many_test.ts (run as its own process: a Reaper's
 * waitpid(-1) must not share a process with the test runner's Deno.Command children).
 * Hosts one Supervisor per service directory under ROOT, like runsvdir does, prints one
 * JSON line once every service runs, then terminates them all on SIGTERM (or kill()s them
 * on SIGINT) and prints a second JSON line.
 *
 * usage: deno run -A supervise_many_host.ts ROOT
 */

import { Reaper } from "../lib/reaper.ts";
import { Supervisor, SupervisorFatal } from "../lib/supervise/supervisor.ts";
import { createSvlogdSink } from "../lib/svlogd/sink.ts";
import { Messenger } from "../lib/msg.ts";

const root = Deno.args[0]!;
const cwdBefore = Deno.cwd();
const reaper = new Reaper();
reaper.start(() => {});
const names = [...Deno.readDirSync(root)].filter((e) => e.isDirectory).map((e) => e.name).sort();
const supervisors = new Map<string, Supervisor>();
const fatal: string[] = [];
const out = (value: unknown) =>
  Deno.stdout.writeSync(new TextEncoder().encode(JSON.stringify(value) + "\n"));

await Promise.all(names.map(async (name) => {
  const supervisor = new Supervisor({
    dir: `${root}/${name}`,
    reaper,
    messenger: new Messenger(`runsv ${name}`),
    logSinkFactory: createSvlogdSink,
  });
  try {
    await supervisor.start();
    supervisors.set(name, supervisor);
  } catch (err) {
    if (!(err instanceof SupervisorFatal)) throw err;
    fatal.push(`${name}: ${err.message}`);
  }
}));

// Listening before the first report: the test signals as soon as it has read it, and a
// loaded machine can let it do so before this process runs its next statement.
const told = new Promise<"terminate" | "kill">((resolve) => {
  Deno.addSignalListener("SIGTERM", () => resolve("terminate"));
  Deno.addSignalListener("SIGINT", () => resolve("kill"));
});

const stat = (name: string) => {
  try {
    return Deno.readTextFileSync(`${root}/${name}/supervise/stat`);
  } catch {
    return "";
  }
};
for (let i = 0; i < 400 && [...supervisors.keys()].some((n) => stat(n) !== "run\n"); i++) {
  await new Promise((resolve) => setTimeout(resolve, 50));
}
const threads = Number(/Threads:\s+(\d+)/.exec(Deno.readTextFileSync("/proc/self/status"))![1]);
out({
  running: [...supervisors.keys()].filter((n) => stat(n) === "run\n").length,
  supervisors: supervisors.size,
  fatal,
  threads,
  cwdUnchanged: Deno.cwd() === cwdBefore,
  pids: Object.fromEntries([...supervisors].map(([n, s]) => [n, s.pids])),
});

const how = await told;
if (how === "terminate") {
  await Promise.all([...supervisors.values()].map((s) => s.terminate()));
} else {
  for (const s of supervisors.values()) s.kill();
  await Promise.all([...supervisors.values()].map((s) => s.finished));
}
const fds = [...Deno.readDirSync("/proc/self/fd")].length;
out({ done: how, fds });
Deno.exit(0);
