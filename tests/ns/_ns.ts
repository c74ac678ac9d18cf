/**
 * A throw-away machine for process-1 tests (spec runit.md §7): a new pid and mount
 * namespace whose init is the installed launcher, with a test `/etc/runit` bind-mounted
 * from a temp dir, a private tmpfs on `/run`, and a FIFO over `/dev/console` that a `cat`
 * outside the namespace reads, so the console text can be checked.
 *
 * `unshare --kill-child` ties the namespace to the unshare process: disposing kills
 * unshare, the kernel kills the namespace's init, and with it every process inside. The
 * final action shows in how unshare ends: it re-raises its child's death signal, SIGINT
 * for power off or halt, SIGHUP for reboot (DENO-NOTES.md §8).
 */

import { mkfifo } from "../../ffi/libc.ts";
import { bin, childrenOf, run, type RunResult, spawn, type Spawned, waitFor } from "../_helpers.ts";

/** unshare(1) options for a pid and mount namespace whose first child is process 1. */
export const PID_NAMESPACE: readonly string[] = [
  "--pid",
  "--fork",
  "--mount-proc",
  "--mount",
  "--kill-child",
];

/** A running namespace. */
export interface Machine extends AsyncDisposable {
  /** The temp dir mounted on /etc/runit (write stage scripts and flags here). */
  etc: string;
  /** The host pid of the namespace's init (our runit), once it runs. */
  initPid: number;
  /** unshare's exit status: `.signal` "SIGINT" = power off/halt, "SIGHUP" = reboot. */
  status: Promise<Deno.CommandStatus>;
  /** Resolves when the console reader has read everything (all writers gone). */
  consoleDone: Promise<void>;
  /** Everything written to the console so far. */
  console(): string;
  /** unshare's own stderr (runit's stderr when the console cannot be opened). */
  stderr(): string;
  /** Waits until the console shows `text` (a string or pattern). */
  waitConsole(text: string | RegExp, timeoutMs?: number): Promise<string>;
  /** Runs a command inside the namespace (pid and mount), e.g. `init 0`. */
  exec(args: readonly string[]): Promise<RunResult>;
  /** Sends a signal to the namespace's init from outside. */
  signal(sig: Deno.Signal): void;
}

/** Options for {@linkcode boot}. */
export interface BootOptions {
  /** The launcher to run as init: "runit" (default) or "init" / "runit-init". */
  applet?: string;
  /** Run this command as init instead (e.g. Debian's /sbin/runit, side by side). */
  command?: string;
  /** Call sync() at the end (default: no, a `nosync` flag is written). */
  sync?: boolean;
  /** Shell commands run just before init is exec'd (e.g. `export NAME=...`). */
  preExec?: string;
}

function matches(text: string, want: string | RegExp): boolean {
  return typeof want === "string" ? text.includes(want) : want.test(text);
}

/**
 * Boots a namespace whose /etc/runit holds `files` (see `writeTree`: `"1!"` is an
 * executable stage 1). Use with `await using`.
 */
export async function boot(
  files: Record<string, string | null>,
  options: BootOptions = {},
): Promise<Machine> {
  const root = Deno.makeTempDirSync({ prefix: "denit-ns-" });
  const etc = `${root}/runit`;
  Deno.mkdirSync(etc);
  for (const [rawName, content] of Object.entries(files)) {
    const executable = rawName.endsWith("!");
    const name = executable ? rawName.slice(0, -1) : rawName;
    if (content === null) {
      Deno.mkdirSync(`${etc}/${name}`, { recursive: true });
      continue;
    }
    Deno.writeTextFileSync(`${etc}/${name}`, content);
    Deno.chmodSync(`${etc}/${name}`, executable ? 0o755 : 0o644);
  }
  if (!options.sync) Deno.writeTextFileSync(`${etc}/nosync`, "");
  const fifo = `${root}/console`;
  mkfifo(fifo, 0o600);
  const init = options.command ?? (await bin(options.applet ?? "runit"));
  // cat's pending open counts as a reader, so runit's O_NONBLOCK open of the console works;
  // cat ends at EOF, when the last process in the namespace has closed it.
  const reader = spawn("cat", [fifo]);
  // Resolves once cat has seen EOF and all it read is in stdoutText().
  const consoleDone = reader.status.then(() => reader[Symbol.asyncDispose]());
  const script = [
    `mount --bind '${etc}' /etc/runit`,
    `mount --bind '${fifo}' /dev/console`,
    "mount -t tmpfs tmpfs /run",
    ...(options.preExec === undefined ? [] : [options.preExec]),
    `exec '${init}'`,
  ].join(" && ");
  let unshare: Spawned;
  try {
    unshare = spawn("unshare", [
      ...PID_NAMESPACE,
      "sh",
      "-c",
      script,
    ]);
  } catch (err) {
    await reader[Symbol.asyncDispose]();
    throw err;
  }
  let initPid = 0;
  let finished = false;
  unshare.status.then(() => (finished = true));
  const machine: Machine = {
    etc,
    get initPid(): number {
      return initPid;
    },
    status: unshare.status,
    consoleDone,
    console: () => reader.stdoutText(),
    stderr: () => unshare.stderrText(),
    waitConsole: (want, timeoutMs = 15_000) =>
      waitFor(() => (matches(reader.stdoutText(), want) ? reader.stdoutText() : ""), {
        timeoutMs,
        what: `console to show ${String(want)}; console so far:\n${reader.stdoutText()}\n` +
          `stderr: ${unshare.stderrText()}`,
      }),
    exec: (args) => run("nsenter", ["-t", String(initPid), "-p", "-m", "--", ...args]),
    signal(sig: Deno.Signal): void {
      if (initPid > 0) {
        try {
          Deno.kill(initPid, sig);
        } catch {
          // gone
        }
      }
    },
    async [Symbol.asyncDispose](): Promise<void> {
      await unshare[Symbol.asyncDispose]();
      // The namespace is gone with its init; cat sees EOF (or is killed after a while).
      const ended = await Promise.race([
        reader.status.then(() => true),
        new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 5_000)),
      ]);
      if (!ended) reader.signal("SIGKILL");
      await reader[Symbol.asyncDispose]();
      await Deno.remove(root, { recursive: true }).catch(() => {});
    },
  };
  try {
    // A machine whose stages need no help may be over before its init is seen.
    initPid = await waitFor(() => childrenOf(unshare.pid)[0] ?? (finished ? -1 : 0), {
      timeoutMs: 10_000,
      what: "the namespace's init",
    });
  } catch (err) {
    await machine[Symbol.asyncDispose]();
    throw err;
  }
  return machine;
}

/** The lines of console text that runit printed (`- runit: …`), in order. */
export function runitLines(text: string): string[] {
  return text.split("\n").filter((line) => line.startsWith("- runit: "));
}

/** Waits for unshare to end; throws after `timeoutMs`. */
export async function ended(
  machine: Machine,
  timeoutMs = 20_000,
): Promise<Deno.CommandStatus> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const settled = async () => {
    const status = await machine.status;
    await machine.consoleDone; // the namespace is gone: the reader sees EOF now
    return status;
  };
  try {
    return await Promise.race([
      settled(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new Error(
                `namespace still running after ${timeoutMs} ms; console:\n${machine.console()}`,
              ),
            ),
          timeoutMs,
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
