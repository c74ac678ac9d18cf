/**
 * Shared helpers for the process-level tests: the installed applets, temp service trees,
 * running and spawning applets, polling with a deadline, and cleanup.
 *
 * Tests run denit through the launchers that `make install` writes (scripts/test.sh
 * installs into build/prefix and sets DENIT_TEST_PREFIX), so argv[0] dispatch, the
 * launcher and the module cache are exercised exactly as a user gets them.
 */

import { exists } from "../lib/fs_probe.ts";

/** True when `path` exists, of any type (links followed). */
export { exists };

const REPO = new URL("..", import.meta.url).pathname.replace(/\/$/, "");

/** The repository root. */
export const repoRoot: string = REPO;

let prefixPromise: Promise<string> | undefined;

/**
 * The install prefix holding bin/<applet>. scripts/test.sh sets DENIT_TEST_PREFIX; a test
 * file run on its own installs the current sources into a fresh temp prefix under build/
 * (never a shared one: concurrent runs would replace each other's launchers).
 */
export function testPrefix(): Promise<string> {
  const fromEnv = Deno.env.get("DENIT_TEST_PREFIX");
  if (fromEnv) return Promise.resolve(fromEnv);
  prefixPromise ??= (async () => {
    Deno.mkdirSync(`${REPO}/build`, { recursive: true });
    const prefix = Deno.makeTempDirSync({ dir: `${REPO}/build`, prefix: "prefix." });
    globalThis.addEventListener("unload", () => {
      try {
        Deno.removeSync(prefix, { recursive: true });
      } catch {
        // already gone
      }
    });
    const out = await new Deno.Command("sh", {
      args: [`${REPO}/scripts/install.sh`],
      env: { PREFIX: prefix, DENO: Deno.execPath() },
      stdout: "null",
      stderr: "inherit",
    }).output();
    if (!out.success) throw new Error(`install into ${prefix} failed`);
    return prefix;
  })();
  return prefixPromise;
}

/** The path of an installed applet launcher, e.g. `bin("sv")`. */
export async function bin(name: string): Promise<string> {
  return `${await testPrefix()}/bin/${name}`;
}

/**
 * True when the installed launchers are the static C one (scripts/launcher.c: argv[0] as
 * the caller gave it, no PWD added), false for the #!/bin/sh fallback (no C compiler).
 */
export async function cLaunchers(): Promise<boolean> {
  const head = new Uint8Array(4);
  const file = Deno.openSync(await bin("denit"));
  try {
    file.readSync(head);
  } finally {
    file.close();
  }
  return head[0] === 0x7f && head[1] === 0x45 && head[2] === 0x4c && head[3] === 0x46; // ELF
}

/**
 * Bytes as text of one character each (U+0000-U+00FF), so that output and files that are
 * not UTF-8 compare exactly.
 */
export function byteText(bytes: Uint8Array): string {
  let text = "";
  for (const byte of bytes) text += String.fromCharCode(byte);
  return text;
}

/** A file's bytes as {@linkcode byteText}; "" when it cannot be read. */
export function readByteText(path: string): string {
  try {
    return byteText(Deno.readFileSync(path));
  } catch {
    return "";
  }
}

/** True when Debian's C runit is installed (side-by-side tests need it). */
export function haveDebianRunit(): boolean {
  return exists("/usr/bin/runsv") && exists("/usr/bin/sv");
}

/** Ours, then Debian's when its runit is installed: `true` stands for Debian's. */
export function oursAndDebians(): readonly boolean[] {
  return haveDebianRunit() ? [false, true] : [false];
}

/** A temp dir removed (with everything in it) on dispose. */
export interface TempDir extends AsyncDisposable {
  path: string;
}

/** Makes a temp dir (in `dir`, else the system's); use with `await using`. */
export function tempDir(prefix = "denit-test-", dir?: string): TempDir {
  const path = Deno.makeTempDirSync(dir === undefined ? { prefix } : { prefix, dir });
  return {
    path,
    async [Symbol.asyncDispose](): Promise<void> {
      await Deno.remove(path, { recursive: true }).catch(() => {});
    },
  };
}

/** A temp dir for a whole test file, removed with everything in it when the file is done. */
export function fileTempDir(prefix: string): string {
  const path = Deno.makeTempDirSync({ prefix });
  globalThis.addEventListener("unload", () => {
    try {
      Deno.removeSync(path, { recursive: true });
    } catch {
      // removed already
    }
  });
  return path;
}

/**
 * Writes a file tree from a literal map. A name ending in `!` is made executable
 * (`"run!": "#!/bin/sh\nexec sleep 100\n"`); a value of `null` makes a directory.
 */
export function writeTree(dir: string, files: Record<string, string | null>): void {
  for (const [rawName, content] of Object.entries(files)) {
    const executable = rawName.endsWith("!");
    const name = executable ? rawName.slice(0, -1) : rawName;
    const path = `${dir}/${name}`;
    const parent = path.slice(0, path.lastIndexOf("/"));
    Deno.mkdirSync(parent, { recursive: true });
    if (content === null) {
      Deno.mkdirSync(path, { recursive: true });
      continue;
    }
    Deno.writeTextFileSync(path, content);
    if (executable) Deno.chmodSync(path, 0o755);
  }
}

/** What a finished process printed and how it ended. */
export interface RunResult {
  code: number;
  signal: Deno.Signal | null;
  stdout: string;
  stderr: string;
}

/** Options for running a command. */
export interface RunOptions {
  cwd?: string;
  env?: Record<string, string>;
  /** Replace the whole environment (runit's check-local uses `env -`). */
  clearEnv?: boolean;
  stdin?: string;
  timeoutMs?: number;
}

/** Runs a command to completion (killed after `timeoutMs`, default 20 s). */
export async function run(
  cmd: string,
  args: readonly string[],
  options: RunOptions = {},
): Promise<RunResult> {
  const child = new Deno.Command(cmd, {
    args: [...args],
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    ...(options.env === undefined ? {} : { env: options.env }),
    clearEnv: options.clearEnv ?? false,
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (options.stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(options.stdin));
    await writer.close();
  }
  const timer = killAfter(child, options.timeoutMs ?? 20_000);
  try {
    const out = await child.output();
    const decoder = new TextDecoder();
    return {
      code: out.code,
      signal: out.signal,
      stdout: decoder.decode(out.stdout),
      stderr: decoder.decode(out.stderr),
    };
  } finally {
    clearTimeout(timer);
  }
}

/** Runs an installed applet to completion. */
export async function runApplet(
  name: string,
  args: readonly string[],
  options: RunOptions = {},
): Promise<RunResult> {
  return run(await bin(name), args, options);
}

/** A long-running process started by a test, killed with its process group on dispose. */
export interface Spawned extends AsyncDisposable {
  pid: number;
  child: Deno.ChildProcess;
  /** Sends a signal to the process only. */
  signal(sig: Deno.Signal): void;
  /** Resolves with the exit status. */
  status: Promise<Deno.CommandStatus>;
  /** Everything written to stderr so far (when captured). */
  stderrText(): string;
  /** Everything written to stdout so far (when captured). */
  stdoutText(): string;
}

/**
 * Starts a long-running command with its output captured. Dispose kills it and its
 * descendants with SIGKILL.
 */
export function spawn(cmd: string, args: readonly string[], options: RunOptions = {}): Spawned {
  const child = new Deno.Command(cmd, {
    args: [...args],
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    ...(options.env === undefined ? {} : { env: options.env }),
    clearEnv: options.clearEnv ?? false,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let out = "";
  let err = "";
  const outReader = child.stdout.getReader();
  const errReader = child.stderr.getReader();
  const pump = async (
    reader: ReadableStreamDefaultReader<Uint8Array>,
    add: (s: string) => void,
  ): Promise<void> => {
    const decoder = new TextDecoder();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      add(decoder.decode(value, { stream: true }));
    }
  };
  const pumps = Promise.all([
    pump(outReader, (s) => (out += s)),
    pump(errReader, (s) => (err += s)),
  ]).catch(() => {});
  const status = child.status;
  let finished = false;
  status.then(() => (finished = true));
  return {
    pid: child.pid,
    child,
    status,
    signal(sig: Deno.Signal): void {
      try {
        child.kill(sig);
      } catch {
        // already gone
      }
    },
    stderrText: () => err,
    stdoutText: () => out,
    async [Symbol.asyncDispose](): Promise<void> {
      // The whole tree, taken while the child still holds it: a test that fails before its
      // own killTree() would otherwise leave a grandchild (a service's `sleep 1000`) holding
      // the output pipes, and the pumps below waiting for it to end.
      if (!finished) killTree(child.pid);
      await status;
      // A process that left the tree earlier may still hold a pipe: stop reading after a
      // grace period rather than wait for it.
      let timer: ReturnType<typeof setTimeout> | undefined;
      const grace = new Promise<void>((resolve) => (timer = setTimeout(resolve, 2_000)));
      await Promise.race([pumps, grace]);
      clearTimeout(timer);
      await Promise.all([outReader, errReader].map((reader) => reader.cancel().catch(() => {})));
      await pumps;
    },
  };
}

/** Spawns an installed applet. */
export async function spawnApplet(
  name: string,
  args: readonly string[],
  options: RunOptions = {},
): Promise<Spawned> {
  return spawn(await bin(name), args, options);
}

/** Polls `check` every `intervalMs` until it returns a truthy value; throws after the deadline. */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  options: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + (options.timeoutMs ?? 5_000);
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
      last = value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `Timed out waiting for ${options.what ?? "condition"} (last: ${String(last)})`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 20));
  }
}

/** Reads a file as text, or undefined when it cannot be read. */
export function readOrUndefined(path: string): string | undefined {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return undefined;
  }
}

/** Sends `child` SIGKILL after `ms` unless the returned timer is cleared first. */
export function killAfter(child: Deno.ChildProcess, ms: number): ReturnType<typeof setTimeout> {
  return setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch {
      // already gone
    }
  }, ms);
}

/** Reads a file as text, or "" when it cannot be read. */
export function readText(path: string): string {
  return readOrUndefined(path) ?? "";
}

/**
 * Promise.all for runs that start processes: waits for every one to end (each stops its
 * own processes as it ends) before it throws the first failure. With Promise.all a failed
 * run ended the test while the others went on, and their services outlived it.
 */
export async function allSettledOrThrow<T>(runs: readonly Promise<T>[]): Promise<T[]> {
  const outcomes = await Promise.allSettled(runs);
  return outcomes.map((outcome) => {
    if (outcome.status === "rejected") throw outcome.reason;
    return outcome.value;
  });
}

/** Resolves after `ms` milliseconds: only for checking that something does not happen. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** utime + stime of a process, in clock ticks (/proc/PID/stat fields 14 and 15). */
export function cpuTicks(pid: number): number {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return Number(fields[11]) + Number(fields[12]);
}

/** True when `unshare -m` works here and a tmpfs can be mounted in the new namespace. */
export function canMountTmpfs(): boolean {
  try {
    return new Deno.Command("unshare", {
      args: ["-m", "sh", "-c", "mount -t tmpfs -o size=4k none /mnt && umount /mnt"],
      stdout: "null",
      stderr: "null",
    }).outputSync().success;
  } catch {
    return false;
  }
}

/** Kills every process whose pid is in `pids` and that is still alive (SIGKILL). */
export function killAll(pids: Iterable<number>): void {
  for (const pid of pids) {
    try {
      Deno.kill(pid, "SIGKILL");
    } catch {
      // gone
    }
  }
}

/** The pids of every process whose parent is `ppid` (from /proc). */
export function childrenOf(ppid: number): number[] {
  const children: number[] = [];
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${entry.name}/stat`);
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[1]) === ppid) children.push(Number(entry.name));
    } catch {
      // exited meanwhile
    }
  }
  return children;
}

/** Every descendant of `pid` (children, grandchildren, …). */
export function descendantsOf(pid: number): number[] {
  const all: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const next = queue.shift()!;
    for (const child of childrenOf(next)) {
      all.push(child);
      queue.push(child);
    }
  }
  return all;
}

/** Kills a process tree: descendants first, then the root (SIGKILL), for test cleanup. */
export function killTree(pid: number): void {
  const pids = descendantsOf(pid);
  killAll([pid, ...pids]);
}

/** The C compiler install.sh uses (`CC`, else `cc`), for tests that build its C parts. */
export const CC: string = Deno.env.get("CC") ?? "cc";

/** Whether {@linkcode CC} runs: tests of the C parts are ignored without one. */
export function haveCompiler(): boolean {
  try {
    return new Deno.Command(CC, { args: ["--version"], stdout: "null", stderr: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
}

/**
 * Builds libdenit.so into `dir` as install.sh does (same sources and flags: keep in
 * step) and returns its path; the test fails on any compiler output.
 */
export async function buildNativeLibrary(dir: string): Promise<string> {
  const path = `${dir}/libdenit.so`;
  const result = await run(CC, [
    "-shared",
    "-fPIC",
    "-O2",
    "-fno-stack-protector",
    "-o",
    path,
    `${REPO}/scripts/spawn.c`,
    `${REPO}/scripts/replace_file.c`,
    `${REPO}/scripts/line_copy.c`,
  ]);
  if (result.code !== 0 || result.stderr !== "") {
    throw new Error(`${CC} failed (${result.code}): ${result.stderr}`);
  }
  return path;
}

/**
 * A seeded generator of numbers in [0, 1) (mulberry32), for randomized differential tests
 * whose failures must reproduce.
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Whether this kernel can stop fault-around on a file mapping: userfaultfd's asynchronous
 * write-protect mode came with Linux 6.7 (ffi/memory.ts).
 */
export function kernelStopsFaultAround(): boolean {
  const [major, minor] = Deno.osRelease().split(".").map(Number);
  return major! > 6 || (major === 6 && minor! >= 7);
}

/** The `VmFlags:` of the mapping starting at `start` in an smaps text (`uw`, `rd`, …). */
export function vmFlagsAt(smaps: string, start: bigint): string[] {
  const header = smaps.indexOf(`${start.toString(16).padStart(8, "0")}-`);
  if (header < 0) return [];
  return (/^VmFlags:(.*)$/m.exec(smaps.slice(header))?.[1] ?? "").trim().split(" ");
}

/** setpriv(1)'s arguments that run the rest of its command line as nobody, no groups. */
export const SETPRIV_AS_NOBODY = ["--reuid=nobody", "--regid=nogroup", "--clear-groups"] as const;
