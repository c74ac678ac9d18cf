import { assertEquals } from "../tests/_assert.ts";
import {
  close,
  mkfifo,
  O_CLOEXEC,
  O_NONBLOCK,
  O_RDONLY,
  O_WRONLY,
  open,
  pipe,
  write,
} from "../ffi/libc.ts";
import { watchPipe } from "./pipe_input.ts";

const decoder = new TextDecoder();

/** A FIFO in a temp dir: its non-blocking read end, and a write end standing for sv. */
function makeFifo(dir: string, name: string): { read: number; write: number } {
  const path = `${dir}/${name}`;
  mkfifo(path, 0o600);
  const read = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  return { read, write: open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC) };
}

function send(fd: number, text: string): void {
  const bytes = new TextEncoder().encode(text);
  assertEquals(write(fd, bytes), bytes.length);
}

/** Runs `body` with a fresh FIFO, then closes its write end and removes it. */
async function withFifo(body: (fifo: { read: number; write: number }) => Promise<void>) {
  const dir = Deno.makeTempDirSync();
  const fifo = makeFifo(dir, "control");
  try {
    await body(fifo);
  } finally {
    close(fifo.write);
    Deno.removeSync(dir, { recursive: true });
  }
}

async function until(done: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

Deno.test("watchPipe() delivers what was written before and after, in order", async () => {
  await withFifo(async (fifo) => {
    let got = "";
    send(fifo.write, "ud");
    const input = watchPipe(fifo.read, { onData: (bytes) => (got += decoder.decode(bytes)) });
    await until(() => got === "ud", "bytes written before the watch");
    send(fifo.write, "x");
    await until(() => got === "udx", "a byte written after");
    send(fifo.write, "t");
    send(fifo.write, "k");
    await until(() => got === "udxtk", "two writes");
    input.close();
  });
});

Deno.test("watchPipe(): paused bytes stay in the FIFO until resume; a full FIFO arrives whole", async () => {
  await withFifo(async (fifo) => {
    let got = 0;
    const input = watchPipe(fifo.read, { onData: (bytes) => (got += bytes.length) });
    send(fifo.write, "u");
    await until(() => got === 1, "first byte");
    input.pause();
    assertEquals(input.isPaused(), true);
    // 64 KiB: the FIFO is full (a further non-blocking write would fail) and needs 16 reads.
    const full = new Uint8Array(65536).fill(0x75);
    assertEquals(write(fifo.write, full), full.length);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assertEquals(got, 1);
    input.resume();
    await until(() => got === 1 + full.length, "all 64 KiB after resume");
    input.close();
  });
});

Deno.test("watchPipe(): 100 FIFOs each get their own bytes; closed ones get nothing more", async () => {
  const dir = Deno.makeTempDirSync();
  const fifos = Array.from({ length: 100 }, (_, i) => makeFifo(dir, `c${i}`));
  const got = fifos.map(() => "");
  try {
    const inputs = fifos.map((fifo, i) =>
      watchPipe(fifo.read, { onData: (bytes) => (got[i] += decoder.decode(bytes)) })
    );
    fifos.forEach((fifo, i) => send(fifo.write, `${i},`));
    await until(() => got.every((text, i) => text === `${i},`), "one write into each");
    for (let i = 0; i < 50; i++) inputs[i]!.close();
    fifos.slice(50).forEach((fifo, i) => send(fifo.write, `${i + 50};`));
    await until(
      () => got.slice(50).every((text, i) => text === `${i + 50},${i + 50};`),
      "a second write into the open half",
    );
    assertEquals(got.slice(0, 50), got.slice(0, 50).map((_, i) => `${i},`));
    for (const input of inputs.slice(50)) input.close();
  } finally {
    for (const fifo of fifos) close(fifo.write);
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("watchPipe(): a blocking pipe, watched paused, reads nothing until resume and never blocks", async () => {
  const [read, writeEnd] = pipe(O_CLOEXEC); // blocking, as the log pipe is
  let got = "";
  let ended = false;
  const input = watchPipe(read, {
    paused: true,
    onData: (bytes) => (got += decoder.decode(bytes)),
    onEnd: () => (ended = true),
  });
  try {
    send(writeEnd, "a\n");
    await new Promise((resolve) => setTimeout(resolve, 30));
    assertEquals(got, "");
    input.resume(); // reads "a\n", then finds the pipe empty: must not block
    assertEquals(got, "a\n");
    send(writeEnd, "b\n");
    await until(() => got === "a\nb\n", "a write after resume");
    close(writeEnd);
    await until(() => ended, "end of file once the last writer is gone");
  } finally {
    input.close();
  }
});
