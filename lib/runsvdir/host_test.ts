/**
 * The runsvdir host against a fake supervisor: scanning, watching, removal, isolation of
 * a failing supervisor, restart after `sv x`, stop-all, Debian's forced rescan.
 */

import { assert, assertEquals, assertMatch } from "../../tests/_assert.ts";
import { tempDir, waitFor, writeTree } from "../../tests/_helpers.ts";
import { type HostedSupervisor, type HostOptions, RunsvdirHost } from "./host.ts";

class FakeFatal extends Error {}

interface FakeEvents {
  started: string[];
  terminated: string[];
  killed: string[];
  released: string[];
  lines: string[];
}

/** A supervisor whose behaviour each test decides through `plan`. */
class FakeSupervisor implements HostedSupervisor {
  readonly finished: Promise<void>;
  #end!: (err?: unknown) => void;
  constructor(
    readonly name: string,
    readonly events: FakeEvents,
    readonly plan: { startError?: unknown },
  ) {
    this.finished = new Promise((resolve, reject) => {
      this.#end = (err) => err === undefined ? resolve() : reject(err);
    });
  }
  start(): Promise<void> {
    this.events.started.push(this.name);
    if (this.plan.startError !== undefined) return Promise.reject(this.plan.startError);
    return Promise.resolve();
  }
  terminate(): Promise<void> {
    this.events.terminated.push(this.name);
    this.#end();
    return Promise.resolve();
  }
  kill(): void {
    this.events.killed.push(this.name);
  }
  readonly pids = { service: 0, log: 0 };
  /** As `sv x` (err undefined) or a crash (err given). */
  end(err?: unknown): void {
    this.#end(err);
  }
}

function makeHost(
  dir: string,
  overrides: Partial<HostOptions> & { plans?: Record<string, { startError?: unknown }> } = {},
): { host: RunsvdirHost; events: FakeEvents; live: Map<string, FakeSupervisor> } {
  const events: FakeEvents = { started: [], terminated: [], killed: [], released: [], lines: [] };
  const live = new Map<string, FakeSupervisor>();
  const host = new RunsvdirHost({
    dir,
    createSupervisor: ({ name, path }) => {
      assertEquals(path, `${dir}/${name}`);
      const supervisor = new FakeSupervisor(name, events, overrides.plans?.[name] ?? {});
      live.set(name, supervisor);
      return supervisor;
    },
    openServiceDir: (scanDir, name) => ({
      path: `${scanDir}/${name}`,
      release: () => events.released.push(name),
    }),
    warn: (text, err) =>
      events.lines.push(`runsvdir ${dir}: warning: ${text}${err ? `: ${String(err)}` : ""}`),
    fatal: (name, text) => events.lines.push(`runsv ${name}: fatal: ${text}`),
    isFatal: (err) => err instanceof FakeFatal,
    idleMs: 5000,
    checkMs: 100,
    restartMs: 50,
    ...overrides,
  });
  return { host, events, live };
}

const SERVICE = { "run!": "#!/bin/sh\nexec sleep 100\n" };

function service(name: string): Record<string, string> {
  return Object.fromEntries(Object.entries(SERVICE).map(([k, v]) => [`${name}/${k}`, v]));
}

Deno.test("host: first scan starts directories once each, skips dot entries and files", async () => {
  await using tmp = tempDir();
  const dir = `${tmp.path}/svc`;
  writeTree(tmp.path, { ...service("svc/a"), ...service("svc/.hidden"), "svc/file": "" });
  writeTree(tmp.path, service("ext/e"));
  Deno.symlinkSync("../ext/e", `${dir}/e1`);
  Deno.symlinkSync("../ext/e", `${dir}/e2`);
  Deno.symlinkSync("../nowhere", `${dir}/dangling`);
  const { host, events } = makeHost(dir, { watch: false });
  host.start();
  try {
    assertEquals(events.started.sort(), ["a", events.started.includes("e1") ? "e1" : "e2"]);
    assert(
      events.lines.some((l) => l.startsWith(`runsvdir ${dir}: warning: unable to stat dangling`)),
    );
  } finally {
    await host.stopAll();
  }
  assertEquals(events.terminated.length, 2);
  assertEquals(events.released.length, 2);
});

Deno.test("host: a new service starts at once through the watch; removal terminates", async () => {
  await using tmp = tempDir();
  const dir = tmp.path;
  writeTree(dir, service("a"));
  const { host, events } = makeHost(dir);
  host.start();
  try {
    assertEquals(events.started, ["a"]);
    const t0 = performance.now();
    writeTree(dir, service("c"));
    await waitFor(() => events.started.includes("c"), { timeoutMs: 3000, what: "c started" });
    assert(performance.now() - t0 < 2000, "picked up before the 5 s rescan");
    Deno.renameSync(`${dir}/a`, `${dir}/a-renamed`);
    Deno.removeSync(`${dir}/c`, { recursive: true });
    await waitFor(() => events.terminated.includes("c"), { timeoutMs: 3000, what: "c stopped" });
    assertEquals(events.terminated, ["c"]);
    assertEquals(events.started, ["a", "c"], "a rename restarts nothing");
  } finally {
    await host.stopAll();
  }
});

Deno.test("host: a failing supervisor is reported and restarted; the others keep running", async () => {
  await using tmp = tempDir();
  const dir = tmp.path;
  writeTree(dir, { ...service("good"), ...service("bad") });
  const { host, events, live } = makeHost(dir);
  host.start();
  try {
    const good = live.get("good")!;
    live.get("bad")!.end(new TypeError("boom"));
    await waitFor(() => events.started.filter((n) => n === "bad").length === 2, {
      timeoutMs: 3000,
      what: "bad restarted",
    });
    assert(events.lines.includes(`runsvdir ${dir}: warning: runsv bad failed, restarting: boom`));
    assertEquals(events.killed, ["bad"]);
    assertEquals(events.started.filter((n) => n === "good").length, 1);
    assertEquals(live.get("good"), good);
    // `sv x`: the supervisor ends normally and is started again, as runsvdir restarts runsv.
    live.get("good")!.end();
    await waitFor(() => events.started.filter((n) => n === "good").length === 2, {
      timeoutMs: 3000,
      what: "good restarted",
    });
  } finally {
    await host.stopAll();
  }
});

Deno.test("host: a start-up fatal (lock held) is printed as runsv's and retried", async () => {
  await using tmp = tempDir();
  const dir = tmp.path;
  writeTree(dir, service("locked"));
  const fatal = new FakeFatal("unable to lock supervise/lock: temporary failure");
  const { host, events } = makeHost(dir, { plans: { locked: { startError: fatal } } });
  host.start();
  try {
    await waitFor(() => events.started.length >= 2, { timeoutMs: 3000, what: "retry" });
    assertEquals(
      events.lines[0],
      "runsv locked: fatal: unable to lock supervise/lock: temporary failure",
    );
  } finally {
    await host.stopAll();
  }
});

Deno.test("host: a missing directory warns and recovers when it appears", async () => {
  await using tmp = tempDir();
  const dir = `${tmp.path}/later`;
  const { host, events } = makeHost(dir);
  host.start();
  try {
    assertMatch(events.lines[0] ?? "", /warning: unable to stat .*later: .*/);
    writeTree(tmp.path, service("later/a"));
    await waitFor(() => events.started.includes("a"), { timeoutMs: 3000, what: "a started" });
  } finally {
    await host.stopAll();
  }
});

Deno.test("host: SIGALRM's forced rescan writes .forced-rescan", async () => {
  await using tmp = tempDir();
  const dir = tmp.path;
  const { host } = makeHost(dir, { watch: false });
  host.start();
  try {
    host.forceRescan();
    const text = await waitFor(() => {
      try {
        return Deno.readTextFileSync(`${dir}/.forced-rescan`);
      } catch {
        return "";
      }
    }, { timeoutMs: 3000, what: ".forced-rescan" });
    assertMatch(text, /^@[0-9a-f]{24}$/);
  } finally {
    await host.stopAll();
  }
});

Deno.test("host: a directory replaced under the same name is a new service", async () => {
  await using tmp = tempDir();
  const dir = `${tmp.path}/svc`;
  writeTree(dir, service("z"));
  const { host, events } = makeHost(dir);
  host.start();
  try {
    Deno.renameSync(`${dir}/z`, `${tmp.path}/z-old`);
    writeTree(dir, service("z"));
    await waitFor(() => events.started.length === 2, { timeoutMs: 3000, what: "new z" });
    await waitFor(() => events.terminated.length === 1, { timeoutMs: 3000, what: "old z" });
  } finally {
    await host.stopAll();
  }
});

Deno.test("host: repointing a symlinked scan directory is seen at once", async () => {
  await using tmp = tempDir();
  writeTree(tmp.path, { ...service("lv1/a"), ...service("lv2/b") });
  Deno.symlinkSync("lv1", `${tmp.path}/current`);
  const dir = `${tmp.path}/current`;
  const { host, events } = makeHost(dir, { checkMs: 1000, idleMs: 60_000 });
  host.start();
  try {
    assertEquals(events.started, ["a"]);
    await new Promise((r) => setTimeout(r, 1_200)); // past the 1 s recheck
    Deno.symlinkSync("lv2", `${tmp.path}/current.new`);
    Deno.renameSync(`${tmp.path}/current.new`, dir);
    await waitFor(() => events.started.includes("b") && events.terminated.includes("a"), {
      timeoutMs: 900,
      what: "switch seen before any rescan period",
    });
  } finally {
    await host.stopAll();
  }
});
