/**
 * svlogd reads at once while input waits in its pipe, without a turn of the event loop
 * per read (a thread hand-off each time, a third of its time on 1 M lines). Signals are
 * taken in those turns: under input that never pauses they must still come, and SIGTERM
 * must still end svlogd.
 */

import { assert, assertEquals, assertStringIncludes } from "./_assert.ts";
import { bin, sleep, spawn, type Spawned, tempDir, waitFor } from "./_helpers.ts";
import { bytesRead } from "./svlogd_helpers.ts";
import { close, mkfifo, O_CLOEXEC, O_NONBLOCK, O_RDWR, open, setPipeSize } from "../ffi/libc.ts";

/**
 * /dev/shm when it is a tmpfs: there a rotation's fsync and unlink are quick and made at
 * once, so nothing but svlogd's own turns lets a signal in. On a disk they go to Deno's
 * blocking pool, and waiting for them gives turns of their own.
 */
function quickFilesystem(): string | undefined {
  const mounts = Deno.readTextFileSync("/proc/mounts").split("\n");
  return mounts.some((line) => / \/dev\/shm tmpfs /.test(line)) ? "/dev/shm" : undefined;
}

/** `svlogd -v d` in `dir`, fed by `yes` through a 1 MB FIFO that never runs dry. */
interface Flood extends AsyncDisposable {
  svlogd: Spawned;
}

async function flood(dir: string, config: string): Promise<Flood> {
  Deno.mkdirSync(`${dir}/d`);
  Deno.writeTextFileSync(`${dir}/d/config`, config);
  mkfifo(`${dir}/in`, 0o600);
  // Held open, so that neither side's open of the FIFO waits for the other.
  const fifo = open(`${dir}/in`, O_RDWR | O_NONBLOCK | O_CLOEXEC);
  // svlogd reads 64 kB at a time: from a 1 MB pipe that `yes` refills, no read empties it.
  setPipeSize(fifo, 1 << 20);
  const svlogd = spawn("sh", ["-c", 'exec "$0" -v d <in', await bin("svlogd")], { cwd: dir });
  // Far faster than svlogd can log: its pipe stays full from now on.
  const writer = spawn("sh", ["-c", "exec yes 'a line of some length, for the log' >in"], {
    cwd: dir,
  });
  return {
    svlogd,
    async [Symbol.asyncDispose](): Promise<void> {
      await writer[Symbol.asyncDispose]();
      await svlogd[Symbol.asyncDispose]();
      close(fifo);
    },
  };
}

/** Sends SIGTERM; the exit status, or undefined after 10 s, and the seconds it took. */
async function terminate(svlogd: Spawned): Promise<[Deno.CommandStatus | undefined, number]> {
  const termAt = Date.now();
  svlogd.signal("SIGTERM");
  const status = await Promise.race([svlogd.status, sleep(10_000).then(() => undefined)]);
  return [status, (Date.now() - termAt) / 1000];
}

Deno.test("svlogd: SIGALRM and SIGTERM are taken while input never pauses", async () => {
  await using tmp = tempDir("denit-test-", quickFilesystem());
  // Every line deselected: nothing is written, so no rotation (whose unlink may go to
  // Deno's blocking pool and give a turn) and no disk use, however fast `yes` writes. The
  // patterns make each line cost svlogd enough that `yes` keeps its pipe full.
  const patterns = Array.from({ length: 40 }, (_, k) => `-*${k}*q*z\n`).join("");
  await using running = await flood(tmp.path, `${patterns}-*\n`);
  const { svlogd } = running;
  await waitFor(() => bytesRead(svlogd.pid) > 16 << 20, {
    timeoutMs: 15_000,
    what: "svlogd to read 16 MB",
  });
  svlogd.signal("SIGALRM");
  await waitFor(() => svlogd.stderrText().includes("sigalarm received."), {
    timeoutMs: 10_000,
    what: "SIGALRM taken while input flows",
  });
  const [status] = await terminate(svlogd);
  assertEquals(status?.code, 0, "svlogd did not end on SIGTERM under busy input");
  assertStringIncludes(svlogd.stderrText(), "sigterm received.");
});

Deno.test("svlogd: SIGTERM under a flood with a small s ends it within seconds", async () => {
  // On the disk: each rotation fsyncs. With `s1000` (and `-l` 1000) every line rotates;
  // svlogd used to hold up to 1 MiB of input in memory, and SIGTERM waited for all of it
  // to be written: 13-19 s here, past the 7 s a supervisor gives its log before SIGKILL
  // (found by a soak). Runit's svlogd leaves unread input in the pipe and exits at once.
  await using tmp = tempDir();
  await using running = await flood(tmp.path, "s1000\n");
  const { svlogd } = running;
  await waitFor(() => svlogd.stderrText().split("rename: d/current").length > 20, {
    timeoutMs: 15_000,
    what: "20 rotations",
  });
  const [status, seconds] = await terminate(svlogd);
  assertEquals(status?.code, 0, `no exit within 10 s of SIGTERM`);
  assert(seconds < 5, `${seconds} s from SIGTERM to exit`);
});
