/**
 * svlogd as a running daemon: signals, the `t` timeout, the processor and UDP (spec
 * svlogd.md §5, §9, §10, test cases 24-31, 37-40). Where timing allows, Debian's svlogd
 * runs the same script and must leave the same files.
 */

import dgram from "node:dgram";
import { assert, assertEquals, assertMatch, assertStringIncludes } from "./_assert.ts";
import { SETPRIV_AS_NOBODY, tempDir, waitFor, writeTree } from "./_helpers.ts";
import {
  DEBIAN_SVLOGD,
  haveDebianSvlogd,
  lines,
  namesIn,
  ourSvlogd,
  snapshot,
  startSvlogd,
} from "./svlogd_helpers.ts";

const haveDebian = haveDebianSvlogd();
const ROTATED = /^@[0-9a-f]{24}\.[su]$/;

function read(path: string): string {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return "";
  }
}

/** Both svlogds, or ours alone when Debian's is missing. */
async function contenders(): Promise<string[]> {
  return haveDebian ? [await ourSvlogd(), DEBIAN_SVLOGD] : [await ourSvlogd()];
}

/**
 * Waits for the one rotated file SIGALRM makes in `dir`. 15 s, as for SIGHUP below: a
 * rotation fsyncs `current`, which took longer than 5 s once in a clean-clone CI run with
 * the whole suite beside it; the message says which svlogd, should a signal be lost.
 */
async function rotated(dir: string, cmd: string, svlogd: { stderr(): string }): Promise<void> {
  await waitFor(() => namesIn(dir, ROTATED).length === 1, {
    timeoutMs: 15_000,
    what: `${cmd} to rotate after SIGALRM`,
  }).catch((err) => {
    throw new Error(`${err.message}; stderr: ${JSON.stringify(svlogd.stderr())}`);
  });
}

Deno.test("svlogd: SIGALRM rotates a non-empty current once (case 37)", async () => {
  const trees: string[][] = [];
  for (const cmd of await contenders()) {
    await using tmp = tempDir();
    Deno.mkdirSync(`${tmp.path}/d`);
    await using svlogd = startSvlogd(cmd, ["d"], tmp.path);
    await svlogd.write("a\n");
    await waitFor(() => read(`${tmp.path}/d/current`) === "a\n", { what: "a logged" });
    svlogd.signal("SIGALRM");
    await rotated(`${tmp.path}/d`, cmd, svlogd);
    svlogd.signal("SIGALRM");
    // Signals and input are separate events for a Deno process: let the signal land first.
    await new Promise((r) => setTimeout(r, 300));
    await svlogd.write("b\n");
    await waitFor(() => read(`${tmp.path}/d/current`) === "b\n", { what: "b logged" });
    await svlogd.closeInput();
    assertEquals(await svlogd.exit(), 0, svlogd.stderr());
    trees.push(snapshot(`${tmp.path}/d`));
  }
  assertEquals(trees[0], ['@#1.s 744 "a\\n"', 'current 744 "b\\n"', 'lock 600 ""']);
  if (trees.length === 2) assertEquals(trees[0], trees[1]);
});

Deno.test("svlogd: HUP and ALRM right after start do not kill it; each is taken", async () => {
  // Deno runs svlogd's listeners ~100-200 ms after the exec; before them HUP and ALRM had
  // their default action. 20 ms: the launcher (a few µs) has blocked them by then.
  for (const [signal, info] of [["SIGHUP", "sighangup"], ["SIGALRM", "sigalarm"]] as const) {
    await using tmp = tempDir();
    Deno.mkdirSync(`${tmp.path}/d`);
    await using svlogd = startSvlogd(await ourSvlogd(), ["-v", "d"], tmp.path);
    await new Promise((r) => setTimeout(r, 20));
    svlogd.signal(signal);
    await svlogd.write("a\n");
    await waitFor(() => read(`${tmp.path}/d/current`) === "a\n", {
      what: `a logged after an early ${signal}`,
    });
    await waitFor(() => svlogd.stderr().includes(`svlogd: info: ${info} received.\n`), {
      what: `${signal} taken`,
    });
    await svlogd.closeInput();
    assertEquals(await svlogd.exit(), 0, svlogd.stderr());
  }
});

Deno.test("svlogd: SIGHUP re-reads config and reopens (case 38)", async () => {
  for (const cmd of await contenders()) {
    await using tmp = tempDir();
    writeTree(tmp.path, { "d/config": "" });
    await using svlogd = startSvlogd(cmd, ["-v", "d"], tmp.path);
    await svlogd.write("a\n");
    await waitFor(() => read(`${tmp.path}/d/current`) === "a\n", { what: "a logged" });
    Deno.writeTextFileSync(`${tmp.path}/d/config`, "pX \n");
    svlogd.signal("SIGHUP");
    // 15 s: it once took longer than 5 s with the whole suite beside four busy loops; the
    // message says which svlogd and what it printed, should it ever be a lost signal.
    await waitFor(() => svlogd.stderr().includes("append: d/current"), {
      timeoutMs: 15_000,
      what: `${cmd} to reopen after SIGHUP`,
    }).catch((err) => {
      throw new Error(`${err.message}; stderr: ${JSON.stringify(svlogd.stderr())}`);
    });
    await svlogd.write("b\n");
    await waitFor(() => read(`${tmp.path}/d/current`) === "a\nX b\n", { what: "prefix" });
    await svlogd.closeInput();
    assertEquals(await svlogd.exit(), 0, svlogd.stderr());
    assertStringIncludes(
      svlogd.stderr(),
      "svlogd: info: sighangup received.\nsvlogd: info: close: d\n" +
        "svlogd: info: read: d/config\nsvlogd: info: append: d/current\n",
    );
  }
});

Deno.test("svlogd: SIGTERM while idle exits 0 with current closed cleanly (case 39)", async () => {
  for (const cmd of await contenders()) {
    await using tmp = tempDir();
    Deno.mkdirSync(`${tmp.path}/d`);
    await using svlogd = startSvlogd(cmd, ["d"], tmp.path);
    await svlogd.write("a\n");
    await waitFor(() => read(`${tmp.path}/d/current`) === "a\n", { what: "a logged" });
    svlogd.signal("SIGTERM");
    assertEquals(await svlogd.exit(), 0, svlogd.stderr());
    assertEquals((Deno.statSync(`${tmp.path}/d/current`).mode ?? 0) & 0o777, 0o744);
  }
});

Deno.test("svlogd deviation: lines arriving with SIGTERM are all logged (case 40)", async () => {
  await using tmp = tempDir();
  Deno.mkdirSync(`${tmp.path}/d`);
  await using svlogd = startSvlogd(await ourSvlogd(), ["d"], tmp.path);
  await svlogd.write("start\n");
  await waitFor(() => read(`${tmp.path}/d/current`) === "start\n", { what: "started" });
  svlogd.signal("SIGSTOP");
  await svlogd.write("abc\ndef\nghi\nhalf");
  svlogd.signal("SIGTERM");
  svlogd.signal("SIGCONT");
  await svlogd.write(" line\n");
  assertEquals(await svlogd.exit(), 0, svlogd.stderr());
  assertEquals(read(`${tmp.path}/d/current`), "start\nabc\ndef\nghi\nhalf line\n");
});

// An empty current left past t: tests/svlogd_spec_cases_test.ts (case 24, with Debian's).
Deno.test("svlogd: t rotates an old non-empty current; the next line starts a new one (case 24)", async () => {
  await using tmp = tempDir();
  writeTree(tmp.path, { "d/config": "t1\n" });
  await using svlogd = startSvlogd(await ourSvlogd(), ["d"], tmp.path);
  await svlogd.write("foo\n");
  await waitFor(() => namesIn(`${tmp.path}/d`, ROTATED).length === 1, {
    what: "timeout rotation",
    timeoutMs: 5000,
  });
  await svlogd.write("bar\n");
  await waitFor(() => read(`${tmp.path}/d/current`) === "bar\n", { what: "bar" });
  await new Promise((r) => setTimeout(r, 100));
  assertEquals(namesIn(`${tmp.path}/d`, ROTATED).length, 1);
  const [old] = namesIn(`${tmp.path}/d`, ROTATED);
  assertEquals(read(`${tmp.path}/d/${old}`), "foo\n");
  await svlogd.closeInput();
  assertEquals(await svlogd.exit(), 0, svlogd.stderr());
});

Deno.test("svlogd: the processor protocol, side by side (case 26)", async () => {
  const trees: string[][] = [];
  for (const cmd of await contenders()) {
    await using tmp = tempDir();
    writeTree(tmp.path, {
      "d/config": "s100\n!n=$(cat <&4); echo $((n+1)) >&5; pwd >&2; tr a-z A-Z\n",
    });
    await using svlogd = startSvlogd(cmd, ["-v", "d"], tmp.path);
    await svlogd.write(lines(9, 30, "line"));
    await svlogd.closeInput();
    assertEquals(await svlogd.exit(), 0, svlogd.stderr());
    const stderr = svlogd.stderr();
    assertMatch(stderr, /svlogd: info: processing: d\/@[0-9a-f]{24}\.u\n/);
    assertMatch(stderr, /svlogd: info: processed: d\/@[0-9a-f]{24}\.s\n/);
    assertStringIncludes(stderr, `${Deno.realPathSync(tmp.path)}/d\n`);
    trees.push(snapshot(`${tmp.path}/d`).filter((l) => !l.startsWith("newstate")));
  }
  const tree = trees[0]!;
  assertEquals(tree.filter((l) => /^@#\d\.s 744 "[A-Z0-9:]+\\n/.test(l)).length, 2);
  assert(tree.includes('state 644 "2\\n"'), tree.join("\n"));
  assert(!tree.some((l) => /\.[ut] /.test(l)), tree.join("\n"));
  if (trees.length === 2) assertEquals(trees[0], trees[1]);
});

Deno.test("svlogd: a failing processor is restarted on the same input (case 27)", async () => {
  for (const cmd of await contenders()) {
    await using tmp = tempDir();
    writeTree(tmp.path, {
      "d/config": "s60\n!if [ -e flag ]; then cat; else touch flag; exit 3; fi\n",
    });
    await using svlogd = startSvlogd(cmd, ["d"], tmp.path);
    await svlogd.write(lines(3, 30, "p"));
    await svlogd.closeInput();
    assertEquals(await svlogd.exit(), 0, svlogd.stderr());
    assertStringIncludes(svlogd.stderr(), "svlogd: warning: processor failed, restart: d\n");
    const done = namesIn(`${tmp.path}/d`, /^@.*\.s$/);
    assertEquals(done.length, 1);
    assertEquals(read(`${tmp.path}/d/${done[0]}`), lines(2, 30, "p"));
    assertEquals(namesIn(`${tmp.path}/d`, /^@.*\.[ut]$/), []);
  }
});

async function udpListener(): Promise<
  { port: number; received: string[]; close(): void }
> {
  const socket = dgram.createSocket("udp4");
  const received: string[] = [];
  socket.on("message", (msg) => received.push(new TextDecoder().decode(msg)));
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", () => resolve()));
  return { port: socket.address().port, received, close: () => socket.close() };
}

Deno.test("svlogd: UDP copies to 127.0.0.1, u and U (cases 28, 29)", async () => {
  const listener = await udpListener();
  try {
    await using tmp = tempDir();
    writeTree(tmp.path, {
      "d/config": `u127.0.0.1:${listener.port}\npPX \n`,
      "e/config": `U127.0.0.1:${listener.port}\n-*\n+keep*\n`,
    });
    await using svlogd = startSvlogd(await ourSvlogd(), ["-tt", "-l", "10", "d", "e"], tmp.path);
    await svlogd.write("hello\n0123456789abc\nkeep me\n");
    await svlogd.closeInput();
    assertEquals(await svlogd.exit(), 0, svlogd.stderr());
    await waitFor(() => listener.received.length === 4, { what: "datagrams" });
    const got = listener.received.map((d) => d.replace(/^\S+ /, "STAMP "));
    assertEquals(got.sort(), [
      "STAMP PX 0123456789...\n",
      "STAMP PX hello\n",
      "STAMP PX keep me\n",
      "STAMP keep me\n",
    ]);
    assertMatch(
      read(`${tmp.path}/d/current`),
      /^\S+ PX hello\n\S+ PX 0123456789abc\n\S+ PX keep me\n$/,
    );
    assertEquals(read(`${tmp.path}/e/current`), "");
  } finally {
    listener.close();
  }
});

Deno.test("svlogd: a refused UDP send is logged as runit does (case 31)", async () => {
  await using tmp = tempDir();
  writeTree(tmp.path, { "d/config": "u255.255.255.255:9\n" });
  await using svlogd = startSvlogd(await ourSvlogd(), ["-t", "d"], tmp.path);
  await svlogd.write("bcast\n");
  await svlogd.closeInput();
  assertEquals(await svlogd.exit(), 0, svlogd.stderr());
  assertMatch(
    read(`${tmp.path}/d/current`),
    /^warning: failure sending through udp: (@[0-9a-f]{24}) bcast\n\1 bcast\n$/,
  );
});

const haveChpst = (() => {
  try {
    Deno.statSync("/usr/bin/chpst");
    return Deno.uid() === 0;
  } catch {
    return false;
  }
})();

/** Whether user nobody can reach `path` (every parent directory searchable by others). */
function othersCanReach(path: string): boolean {
  for (let dir = path; dir.lastIndexOf("/") > 0; dir = dir.slice(0, dir.lastIndexOf("/"))) {
    const parent = dir.slice(0, dir.lastIndexOf("/"));
    if (((Deno.statSync(parent).mode ?? 0) & 0o001) === 0) return false;
  }
  return true;
}

Deno.test({
  name: "svlogd as nobody: an unwritable directory cannot be locked (case 34)",
  ignore: !haveChpst,
  async fn() {
    await using tmp = tempDir();
    Deno.chmodSync(tmp.path, 0o755);
    writeTree(tmp.path, { "u/": null });
    // The test prefix may be private to root (mktemp -d): then only Debian's runs.
    const cmds = (await contenders()).filter(othersCanReach);
    for (const cmd of cmds) {
      await using locked = startSvlogd("/usr/bin/chpst", ["-u", "nobody", cmd, "u"], tmp.path);
      await locked.closeInput();
      assertEquals(await locked.exit(), 111);
      assertEquals(
        locked.stderr(),
        "svlogd: warning: unable to lock directory: u: access denied\n" +
          "svlogd: fatal: no functional log directories.\n",
      );
    }
  },
});

/** Whether `chattr +i` works on a temp dir here (root, on a file system that has it). */
function canChattr(): boolean {
  const dir = Deno.makeTempDirSync();
  const chattr = (flag: string): boolean => {
    try {
      return new Deno.Command("chattr", { args: [flag, dir], stderr: "null" }).outputSync()
        .success;
    } catch {
      return false; // no chattr
    }
  };
  try {
    return chattr("+i") && chattr("-i");
  } finally {
    try {
      Deno.removeSync(dir, { recursive: true });
    } catch {
      // left immutable: a stray temp dir, not a reason to fail every test here
    }
  }
}

Deno.test({
  name: "svlogd deviation: SIGTERM ends a pause on an uncreatable current (35)",
  // Without the immutable flag the pause cannot be provoked this way; the EACCES way is in
  // tests/svlogd_spec_cases_test.ts.
  ignore: !canChattr(),
  async fn() {
    await using tmp = tempDir();
    writeTree(tmp.path, { "w/lock": "" });
    const chattr = (flag: string): boolean =>
      new Deno.Command("chattr", { args: [flag, `${tmp.path}/w`], stderr: "null" }).outputSync()
        .success;
    assert(chattr("+i"), "chattr +i failed");
    try {
      await using svlogd = startSvlogd(await ourSvlogd(), ["w"], tmp.path);
      await waitFor(() => svlogd.stderr().includes("pausing"), { what: "pause" });
      assertEquals(
        svlogd.stderr(),
        "svlogd: pausing: unable to open current: w: permission denied\n",
      );
      svlogd.signal("SIGTERM");
      assertEquals(await svlogd.exit(), 0);
    } finally {
      chattr("-i");
    }
  },
});

Deno.test("svlogd: SIGHUP with no usable directory left is fatal, exit 111", async () => {
  for (const cmd of await contenders()) {
    await using tmp = tempDir();
    Deno.mkdirSync(`${tmp.path}/d`);
    await using svlogd = startSvlogd(cmd, ["d"], tmp.path);
    await svlogd.write("a\n");
    await waitFor(() => read(`${tmp.path}/d/current`) === "a\n", { what: "a logged" });
    Deno.renameSync(`${tmp.path}/d`, `${tmp.path}/gone`);
    svlogd.signal("SIGHUP");
    assertEquals(await svlogd.exit(), 111, cmd);
    assertEquals(
      svlogd.stderr(),
      "svlogd: warning: unable to open log directory: d: file does not exist\n" +
        "svlogd: fatal: no functional log directories.\n",
    );
  }
});

Deno.test("svlogd: SIGTERM waits for a running processor, whose .s is made", async () => {
  const trees: string[][] = [];
  for (const cmd of await contenders()) {
    await using tmp = tempDir();
    writeTree(tmp.path, { "d/config": "!sleep 1; cat\n" });
    await using svlogd = startSvlogd(cmd, ["d"], tmp.path);
    await svlogd.write("a\n");
    await waitFor(() => read(`${tmp.path}/d/current`) === "a\n", { what: "a logged" });
    svlogd.signal("SIGALRM");
    await waitFor(() => namesIn(`${tmp.path}/d`, /\.u$/).length === 1, { what: "processing" });
    svlogd.signal("SIGTERM");
    assertEquals(await svlogd.exit(), 0, svlogd.stderr());
    // Nothing may run on: had the processor been left behind, its .t would still change.
    await new Promise((r) => setTimeout(r, 1200));
    trees.push(snapshot(`${tmp.path}/d`));
  }
  assertEquals(trees[0], [
    '@#1.s 744 "a\\n"',
    'config 644 "!sleep 1; cat\\n"',
    'current 744 ""',
    'lock 600 ""',
    'state 644 ""',
  ]);
  if (trees.length === 2) assertEquals(trees[0], trees[1]);
});

Deno.test("svlogd: a log directory renamed while in use is still written to and rotated", async () => {
  const trees: string[][] = [];
  for (const cmd of await contenders()) {
    await using tmp = tempDir();
    writeTree(tmp.path, { "d/config": "s30\n" });
    await using svlogd = startSvlogd(cmd, ["d"], tmp.path);
    await svlogd.write("a\n");
    await waitFor(() => read(`${tmp.path}/d/current`) === "a\n", { what: "a logged" });
    Deno.renameSync(`${tmp.path}/d`, `${tmp.path}/gone`);
    await svlogd.write("b".repeat(40) + "\nc\n");
    await svlogd.closeInput();
    // A build that reached it by name paused for good here, end of input or not.
    let code: number | undefined;
    void svlogd.exit().then((c) => (code = c));
    await waitFor(() => code !== undefined, { timeoutMs: 10_000, what: "svlogd ends" });
    assertEquals(code, 0, svlogd.stderr());
    assertEquals(svlogd.stderr(), "");
    trees.push(snapshot(`${tmp.path}/gone`));
  }
  assertEquals(trees[0]!.length, 4, trees[0]!.join("; ")); // @….s, config, current, lock
  if (trees.length === 2) assertEquals(trees[0], trees[1]);
});

Deno.test("svlogd -v: SIGHUP closes and reopens each directory in turn", async () => {
  const messages: string[] = [];
  for (const cmd of await contenders()) {
    await using tmp = tempDir();
    Deno.mkdirSync(`${tmp.path}/d`);
    Deno.mkdirSync(`${tmp.path}/e`);
    await using svlogd = startSvlogd(cmd, ["-v", "d", "e"], tmp.path);
    await svlogd.write("a\n");
    await waitFor(() => read(`${tmp.path}/e/current`) === "a\n", { what: "a logged" });
    svlogd.signal("SIGHUP");
    await waitFor(() => svlogd.stderr().includes("append: e/current"), { what: "reopened" });
    await svlogd.closeInput();
    assertEquals(await svlogd.exit(), 0, svlogd.stderr());
    messages.push(svlogd.stderr());
  }
  assertStringIncludes(
    messages[0]!,
    "close: d\nsvlogd: info: append: d/current\nsvlogd: info: close: e\n",
  );
  if (messages.length === 2) assertEquals(messages[0], messages[1]);
});

Deno.test("svlogd: an unfinished line waits for its newline, so a rotation cannot split it", async () => {
  const trees: string[][] = [];
  for (const cmd of await contenders()) {
    await using tmp = tempDir();
    Deno.mkdirSync(`${tmp.path}/d`);
    await using svlogd = startSvlogd(cmd, ["d"], tmp.path);
    await svlogd.write("ab");
    await new Promise((r) => setTimeout(r, 300));
    assertEquals(read(`${tmp.path}/d/current`), ""); // held, as runit holds it
    svlogd.signal("SIGALRM"); // current is empty: nothing to rotate
    await new Promise((r) => setTimeout(r, 300));
    await svlogd.write("cd\nef\n");
    await waitFor(() => read(`${tmp.path}/d/current`) === "abcd\nef\n", { what: "lines" });
    svlogd.signal("SIGALRM");
    await rotated(`${tmp.path}/d`, cmd, svlogd);
    await svlogd.closeInput();
    assertEquals(await svlogd.exit(), 0, svlogd.stderr());
    trees.push(snapshot(`${tmp.path}/d`));
  }
  assertEquals(trees[0], ['@#1.s 744 "abcd\\nef\\n"', 'current 744 ""', 'lock 600 ""']);
  if (trees.length === 2) assertEquals(trees[0], trees[1]);
});

Deno.test("svlogd deviation: a line begun when SIGTERM comes gets 1 s for its end", async () => {
  await using tmp = tempDir();
  Deno.mkdirSync(`${tmp.path}/d`);
  await using svlogd = startSvlogd(await ourSvlogd(), ["d"], tmp.path);
  await svlogd.write("a\npartial");
  await waitFor(() => read(`${tmp.path}/d/current`) === "a\n", { what: "a logged" });
  // The read under way when the signal comes waits for the line's end as later ones do.
  svlogd.signal("SIGTERM");
  await new Promise((r) => setTimeout(r, 300));
  await svlogd.write("more\nnext\n").catch(() => {});
  assertEquals(await svlogd.exit(), 0, svlogd.stderr());
  // Only the line's rest: `next`, written after the signal, stays in the pipe for the
  // next reader (tests/svlogd_term_read_test.ts finds it there).
  assertEquals(read(`${tmp.path}/d/current`), "a\npartialmore\n");
});

Deno.test("svlogd: a state the processor may only read is read, not created again", async () => {
  const trees: string[][] = [];
  for (const cmd of await contenders()) {
    await using tmp = tempDir();
    Deno.chmodSync(tmp.path, 0o755);
    writeTree(tmp.path, { "d/config": "s10\n!tr a-z A-Z\n", "d/state": "st\n" });
    Deno.chmodSync(`${tmp.path}/d`, 0o777);
    Deno.chmodSync(`${tmp.path}/d/state`, 0o444);
    const asNobody = [...SETPRIV_AS_NOBODY, cmd];
    await using svlogd = startSvlogd("setpriv", [...asNobody, "d"], tmp.path);
    await svlogd.write("aaaaaaaaaaaaaaaaaaa\n");
    await svlogd.closeInput();
    // runit's reads `state`; opening it to write failed and paused for good.
    assertEquals(await svlogd.exit(10_000), 0, svlogd.stderr());
    assertEquals(svlogd.stderr(), "");
    trees.push(snapshot(`${tmp.path}/d`));
  }
  const tree = trees[0]!;
  assert(tree.some((l) => /^@#\d\.s 744 "A+"/.test(l)), tree.join("\n"));
  if (trees.length === 2) assertEquals(trees[0], trees[1]);
});

Deno.test("svlogd: a t of months sets one timer: no warning, no busy loop", async () => {
  await using tmp = tempDir();
  writeTree(tmp.path, { "d/config": "t597h\n" });
  await using svlogd = startSvlogd(await ourSvlogd(), ["d"], tmp.path);
  await svlogd.write("x\n");
  await waitFor(() => read(`${tmp.path}/d/current`) === "x\n", { what: "x logged" });
  // setTimeout fires at once past 2^31-1 ms: a timer armed again each time spun and
  // printed TimeoutOverflowWarning ~800 times a second.
  await new Promise((r) => setTimeout(r, 500));
  assertEquals(svlogd.stderr(), "");
  await svlogd.closeInput();
  assertEquals(await svlogd.exit(), 0, svlogd.stderr());
  assertEquals(namesIn(`${tmp.path}/d`, ROTATED), []);
});

Deno.test("svlogd -v: sigchild received. as runit: later for a processor a rotation waited for, never at exit", async () => {
  const results: string[] = [];
  for (const cmd of await contenders()) {
    await using tmp = tempDir();
    writeTree(tmp.path, { "d/config": "s100\n!sleep 0.2; cat\n" });
    await using svlogd = startSvlogd(cmd, ["-v", "d"], tmp.path);
    const line = (n: number): string => `${String(n).padStart(99, "0")}\n`;
    const processed = (): number => svlogd.stderr().split("info: processed:").length - 1;
    // The second rotation waits for the first processor (runit: in wait_pid, SIGCHLD
    // blocked; reported when it next waits for input). The second processor ends while
    // svlogd waits for input: reported at once.
    await svlogd.write(line(1) + line(2) + line(3));
    await waitFor(() => processed() === 2, { what: `${cmd}: two processed`, timeoutMs: 10_000 });
    // The fourth rotation waits for the third processor: reported before the last read;
    // the exit waits for the fourth: never reported.
    await svlogd.write(line(4) + line(5));
    await svlogd.closeInput();
    assertEquals(await svlogd.exit(), 0);
    const err = svlogd.stderr().replace(/@[0-9a-f]{24}/g, "@X");
    assertEquals(err.split("sigchild received.").length - 1, 3, `${cmd}: ${err}`);
    // Where runit's forked child prints `processing:` is a race; ours prints it before
    // the spawn (docs/svlogd.md).
    results.push(err.split("\n").filter((l) => !l.includes("info: processing:")).join("\n"));
  }
  if (results.length > 1) assertEquals(results[0], results[1], "ours and Debian's");
});
