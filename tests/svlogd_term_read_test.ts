/**
 * After SIGTERM svlogd stops reading, but it may run on for a while (it waits for a
 * running processor, as runit's does). Input written meanwhile is the next logger's: it
 * must stay in the pipe. A read left waiting on Deno's blocking pool took it, and it was
 * lost (found by a soak: the first lines of a service's next run, with `!cat`).
 */

import { assert, assertEquals } from "./_assert.ts";
import { bin, sleep, spawn, tempDir, waitFor } from "./_helpers.ts";
import { bytesRead } from "./svlogd_helpers.ts";
import {
  close,
  mkfifo,
  O_CLOEXEC,
  O_NONBLOCK,
  O_RDWR,
  open,
  readAvailable,
  write,
} from "../ffi/libc.ts";

const encoder = new TextEncoder();

Deno.test("svlogd: input that comes while it finishes after SIGTERM stays in the pipe", async () => {
  await using tmp = tempDir();
  Deno.mkdirSync(`${tmp.path}/d`);
  // A processor of 2 s: svlogd waits for it before it exits.
  Deno.writeTextFileSync(`${tmp.path}/d/config`, "s100\n!sleep 2; cat\n");
  mkfifo(`${tmp.path}/in`, 0o600);
  // Both ends, as runsv holds its log pipe: svlogd's input, and what is left in it after.
  const fifo = open(`${tmp.path}/in`, O_RDWR | O_NONBLOCK | O_CLOEXEC);
  try {
    await using svlogd = spawn("sh", ["-c", 'exec "$0" d <in', await bin("svlogd")], {
      cwd: tmp.path,
    });
    write(fifo, encoder.encode(`${"a".repeat(79)}\n${"b".repeat(79)}\n`));
    // The rotation has started the processor.
    await waitFor(() => [...Deno.readDirSync(`${tmp.path}/d`)].some((e) => e.name.endsWith(".u")));
    svlogd.signal("SIGTERM");
    await sleep(500); // past the grace for data already on its way (100 ms)
    write(fifo, encoder.encode("late\n"));
    const status = await Promise.race([svlogd.status, sleep(10_000).then(() => undefined)]);
    assertEquals(status?.code, 0, svlogd.stderrText());
    const left = new Uint8Array(64);
    const count = readAvailable(fifo, left);
    assert(count > 0, "nothing left in the pipe: svlogd took the late line");
    assertEquals(new TextDecoder().decode(left.subarray(0, count)), "late\n");
  } finally {
    close(fifo);
  }
});

Deno.test("svlogd: after SIGTERM only the begun line's rest is taken, not the lines after it", async () => {
  await using tmp = tempDir();
  Deno.mkdirSync(`${tmp.path}/d`);
  mkfifo(`${tmp.path}/in`, 0o600);
  const fifo = open(`${tmp.path}/in`, O_RDWR | O_NONBLOCK | O_CLOEXEC);
  try {
    await using svlogd = spawn("sh", ["-c", 'exec "$0" -v d <in', await bin("svlogd")], {
      cwd: tmp.path,
    });
    write(fifo, encoder.encode("start\n"));
    await waitFor(() => readCurrent(tmp.path) === "start\n", { what: "the first line logged" });
    const before = bytesRead(svlogd.pid);
    write(fifo, encoder.encode("begun"));
    await waitFor(() => bytesRead(svlogd.pid) === before + 5, { what: "the begun line read" });
    svlogd.signal("SIGTERM");
    await waitFor(() => svlogd.stderrText().includes("sigterm received."), { what: "SIGTERM" });
    // The rest of the line and two more in one write: a chunk read whole took all three.
    write(fifo, encoder.encode(" line\nlater 1\nlater 2\n"));
    const status = await Promise.race([svlogd.status, sleep(10_000).then(() => undefined)]);
    assertEquals(status?.code, 0, svlogd.stderrText());
    assertEquals(readCurrent(tmp.path), "start\nbegun line\n");
    const left = new Uint8Array(64);
    const count = readAvailable(fifo, left);
    assertEquals(
      new TextDecoder().decode(left.subarray(0, Math.max(0, count))),
      "later 1\nlater 2\n",
    );
  } finally {
    close(fifo);
  }
});

function readCurrent(dir: string): string {
  try {
    return Deno.readTextFileSync(`${dir}/d/current`);
  } catch {
    return "";
  }
}
