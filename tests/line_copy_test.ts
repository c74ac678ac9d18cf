/**
 * ffi/line_copy.ts (libdenit.so's denit_copy_lines, scripts/line_copy.c, built here as
 * install.sh builds it), and svlogd's engine with and without it: the same files for the
 * same input, whichever way its lines were copied.
 */

import { assert, assertEquals } from "./_assert.ts";
import { buildNativeLibrary, fileTempDir, haveCompiler, seededRandom } from "./_helpers.ts";
import { pidReaper } from "./_pid_reaper.ts";
import { useNativeLibrary } from "../ffi/native.ts";
import { lineCopier, LinesCopied, type LinesState } from "../ffi/line_copy.ts";
import { SvlogdEngine } from "../lib/svlogd/engine.ts";
import { parseSvlogdArgs } from "../lib/svlogd/options.ts";

const workDir = fileTempDir("denit-line-copy-");
let built: Promise<string> | undefined;
const ignore = !haveCompiler();
const bytes = (text: string) => new TextEncoder().encode(text);
const text = (data: Uint8Array) => new TextDecoder().decode(data);

/** Runs `use` with the library built and in use, then without it. */
async function withLibrary<T>(use: () => T | Promise<T>): Promise<T> {
  built ??= buildNativeLibrary(workDir);
  assert(useNativeLibrary(await built), "the library loads");
  try {
    return await use();
  } finally {
    useNativeLibrary(null);
  }
}

const freshState = (): LinesState => ({ outEnd: -1, inEnd: -1, startsEnd: -1 });

Deno.test({
  name: "line copy: whole lines behind their head, the unfinished one left",
  ignore,
  fn: () =>
    withLibrary(() => {
      const copier = lineCopier()!;
      assert(copier !== undefined, "a copier with the library");
      // A view into a larger buffer: the call must start at the view, not at its buffer.
      const backing = bytes("XXab\n\nc\ndeY");
      const input = backing.subarray(2, 10); // "ab\n\nc\nde"
      const out = new Uint8Array(64).fill(0x2e);
      const starts = new Int32Array(8);
      const state = freshState();
      const reason = copier.copy(input, 0, out, 3, bytes("> "), starts, 1, state);
      assertEquals(reason, LinesCopied.all);
      assertEquals(text(out.subarray(3, state.outEnd)), "> ab\n> \n> c\n");
      assertEquals(text(out.subarray(0, 3)), "...", "nothing before outAt");
      assertEquals(state, { outEnd: 3 + 12, inEnd: 6, startsEnd: 4 });
      assertEquals([...starts.subarray(1, 4)], [0, 3, 4]);
    }),
});

Deno.test({
  name: "line copy: stops before a line that does not fit, or when the starts are full",
  ignore,
  fn: () =>
    withLibrary(() => {
      const copier = lineCopier()!;
      const input = bytes("one\ntwo\nthree\n");
      const state = freshState();
      // Room for "> one\n> two\n" (12 bytes) and not for "> three\n".
      const small = new Uint8Array(15);
      assertEquals(
        copier.copy(input, 0, small, 0, bytes("> "), new Int32Array(8), 0, state),
        LinesCopied.needRoom,
      );
      assertEquals(state, { outEnd: 12, inEnd: 8, startsEnd: 2 });
      assertEquals(text(small.subarray(0, 12)), "> one\n> two\n");
      // Two starts of room: the third line waits for more.
      const starts = new Int32Array(2);
      assertEquals(
        copier.copy(input, 4, new Uint8Array(64), 0, bytes(""), starts, 0, state),
        LinesCopied.all,
      );
      assertEquals(state, { outEnd: 10, inEnd: 14, startsEnd: 2 });
      assertEquals(
        copier.copy(input, 0, new Uint8Array(64), 0, bytes(""), starts, 0, state),
        LinesCopied.needStarts,
      );
      assertEquals(state, { outEnd: 8, inEnd: 8, startsEnd: 2 });
      // Nothing whole: nothing copied.
      assertEquals(
        copier.copy(bytes("no newline"), 0, new Uint8Array(4), 0, bytes("> "), starts, 0, state),
        LinesCopied.all,
      );
      assertEquals(state, { outEnd: 0, inEnd: 0, startsEnd: 0 });
    }),
});

Deno.test("line copy: no copier without the library", () => {
  assert(useNativeLibrary(null));
  assertEquals(lineCopier(), undefined);
});

/**
 * The files svlogd's engine leaves in a fresh directory for `chunks` under `args`, in
 * name order, rotated ones by their place and suffix alone: the clock moves on between
 * chunks only, yet a rotation may read it while the next chunk is taken (its write runs
 * in the background), so the exact names may differ from run to run. The contents,
 * stamps included, may not.
 */
async function engineFiles(
  args: string[],
  config: string,
  chunks: Uint8Array[],
): Promise<string[]> {
  const dir = Deno.makeTempDirSync({ dir: workDir });
  Deno.writeTextFileSync(`${dir}/config`, config);
  let micros = 1_800_000_000_000_000;
  const engine = await SvlogdEngine.start(parseSvlogdArgs([...args, dir], "svlogd"), {
    message: () => {},
    copyToStderr: () => {},
    reaper: pidReaper(5),
    resolve: (d) => d,
    now: () => micros,
  });
  for (const chunk of chunks) {
    await engine.write(chunk);
    micros += 1_234_567;
  }
  await engine.close();
  const names = [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => n !== "lock");
  const files = names.sort().map((name, k) => {
    const shown = name.startsWith("@") ? `rotated ${k} .${name.slice(-1)}` : name;
    return `${shown}: ${Deno.readTextFileSync(`${dir}/${name}`)}`;
  });
  Deno.removeSync(dir, { recursive: true });
  return files;
}

/** Random input: lines of 0-300 bytes (some past `-l`), cut into chunks at random. */
function randomChunks(random: () => number): Uint8Array[] {
  let input = "";
  const lines = 50 + Math.floor(random() * 400);
  for (let k = 0; k < lines; k++) {
    const length = random() < 0.1 ? Math.floor(random() * 300) : Math.floor(random() * 60);
    input += String.fromCharCode(97 + (k % 26)).repeat(length) + "\n";
  }
  if (random() < 0.5) input += "unfinished";
  const data = bytes(input);
  const chunks: Uint8Array[] = [];
  for (let at = 0; at < data.length;) {
    const size = 1 + Math.floor(random() * (random() < 0.3 ? 20 : 4000));
    chunks.push(data.slice(at, at + size));
    at += size;
  }
  return chunks;
}

Deno.test({
  name: "line copy: svlogd's engine writes the same files with and without the library",
  ignore,
  fn: async () => {
    const random = seededRandom(20261127);
    for (let round = 0; round < 24; round++) {
      const chunks = randomChunks(random);
      const stamp = ["-t", "-tt", "-ttt", ""][round % 4]!;
      const args = [stamp, ...(round % 3 === 0 ? ["-l", "50"] : [])].filter((a) => a !== "");
      // A prefix on some rounds (a head without a stamp too); small files on others, so
      // that rotations fall inside the batches.
      const config = (round % 2 === 0 ? "pPRE: \n" : "") + (round % 5 === 0 ? "s2000\n" : "");
      if (stamp === "" && !config.startsWith("p")) continue; // no head: nothing to copy
      const withIt = await withLibrary(() => engineFiles(args, config, chunks));
      const without = await engineFiles(args, config, chunks);
      assertEquals(withIt, without, `round ${round}: ${args.join(" ")} ${JSON.stringify(config)}`);
      assert(withIt.length > 0);
    }
  },
});
