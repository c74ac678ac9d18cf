import { assert, assertEquals } from "../../tests/_assert.ts";
import { pidReaper } from "../../tests/_pid_reaper.ts";
import { SvlogdEngine } from "./engine.ts";
import { parseSvlogdArgs } from "./options.ts";

const encoder = new TextEncoder();

/**
 * An engine with -v on `dir` (its `config` written first), its messages kept, and a clock
 * the test sets (`clock.micros`).
 */
async function verboseEngine(dir: string, config: string) {
  Deno.writeTextFileSync(`${dir}/config`, config);
  const clock = { micros: 1_800_000_000_000_000 };
  const messages: string[] = [];
  const engine = await SvlogdEngine.start(parseSvlogdArgs(["-v", dir], "svlogd"), {
    message: (line) => messages.push(line),
    copyToStderr: () => {},
    reaper: pidReaper(5),
    resolve: (d) => d,
    now: () => clock.micros,
  });
  return { engine, messages, clock };
}

/** The rotated names in the `rename:` lines of `messages`, in order. */
function renamedNames(messages: readonly string[]): string[] {
  return messages.filter((m) => m.includes("info: rename:")).map((m) => m.split(" ")[4]!);
}

Deno.test("SvlogdEngine: a clock stepping backwards never deletes the file in progress", async () => {
  const dir = Deno.makeTempDirSync();
  try {
    const { engine, messages, clock } = await verboseEngine(dir, "s100\nn2\n!sleep 0.05; cat\n");
    let expected = "";
    for (let i = 0; i < 8; i++) {
      const line = `${i} ${"z".repeat(97)}\n`; // 100 bytes: one rotation per line
      expected += line;
      await engine.write(encoder.encode(line));
      if (i === 3) clock.micros -= 3600 * 1_000_000; // the clock steps back an hour
    }
    await engine.close();
    const renamed = renamedNames(messages);
    assertEquals(renamed.length, 7);
    for (let i = 1; i < renamed.length; i++) assert(renamed[i - 1]! < renamed[i]!, "names sort");
    assertEquals(messages.filter((m) => /unable|failed/.test(m)), []);
    const kept = [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => n.startsWith("@"))
      .sort();
    // n .s files besides the .u being processed (a .u is not counted, as in Debian's
    // svlogd), so n + 1 once the last one is processed.
    assertEquals(kept, renamed.slice(-3).map((n) => n.slice(0, 26) + "s"));
    const tail = kept.map((n) => Deno.readTextFileSync(`${dir}/${n}`)).join("") +
      Deno.readTextFileSync(`${dir}/current`);
    assert(expected.endsWith(tail), "the newest lines are kept, in order");
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("SvlogdEngine: rotated names sort in rotation order across a SIGHUP's reopening", async () => {
  const dir = Deno.makeTempDirSync();
  try {
    const { engine, messages, clock } = await verboseEngine(dir, "s100\n");
    for (let i = 0; i < 6; i++) {
      await engine.write(encoder.encode(`${i} ${"z".repeat(97)}\n`)); // one rotation each
      if (i === 2) {
        await engine.reload(); // the directory is closed and opened again
        clock.micros -= 500; // and the clock reads earlier (as the real one may, a step back)
      }
    }
    await engine.close();
    const renamed = renamedNames(messages);
    assertEquals(renamed.length, 5);
    for (let i = 1; i < renamed.length; i++) assert(renamed[i - 1]! < renamed[i]!, "names sort");
    const names = [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => n[0] === "@");
    const text = names.sort().map((n) => Deno.readTextFileSync(`${dir}/${n}`)).join("");
    assertEquals(text.split("\n").map((line) => line[0]).join(""), "01234");
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("SvlogdEngine: -l long lines stream whole into the log, heads go to stderr", async () => {
  const dir = Deno.makeTempDirSync();
  try {
    Deno.writeTextFileSync(`${dir}/config`, "e*\n");
    const copies: string[] = [];
    const engine = await SvlogdEngine.start(parseSvlogdArgs(["-l", "3", "-b", "4", dir], "x"), {
      message: () => {},
      copyToStderr: (bytes) => copies.push(new TextDecoder().decode(bytes)),
      reaper: pidReaper(5),
      resolve: (d) => d,
    });
    for (const part of ["ab", "cdef\nxy", "\n", "abc", "\nq"]) {
      await engine.write(encoder.encode(part));
    }
    await engine.close();
    assertEquals(Deno.readTextFileSync(`${dir}/current`), "abcdef\nxy\nabc\nq\n");
    assertEquals(copies, ["abc...\n", "xy\n", "abc...\n", "q\n"]);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("SvlogdEngine: reload() in the middle of a line keeps the whole line", async () => {
  const dir = Deno.makeTempDirSync();
  try {
    const engine = await SvlogdEngine.start(parseSvlogdArgs(["-l", "3", "-b", "4", dir], "x"), {
      message: () => {},
      copyToStderr: () => {},
      reaper: pidReaper(5),
      resolve: (d) => d,
    });
    await engine.write(encoder.encode("one\nlong li"));
    await engine.reload();
    await engine.write(encoder.encode("ne\npart"));
    await engine.reload();
    await engine.write(encoder.encode("ial\n"));
    await engine.close();
    assertEquals(Deno.readTextFileSync(`${dir}/current`), "one\nlong line\npartial\n");
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("SvlogdEngine: after a reload that drops the e lines, nothing is copied", async () => {
  const dir = Deno.makeTempDirSync();
  try {
    Deno.writeTextFileSync(`${dir}/config`, "e*\n");
    const copies: string[] = [];
    const engine = await SvlogdEngine.start(parseSvlogdArgs([dir], "svlogd"), {
      message: () => {},
      copyToStderr: (bytes) => copies.push(new TextDecoder().decode(bytes)),
      reaper: pidReaper(5),
      resolve: (d) => d,
    });
    await engine.write(encoder.encode("one\n"));
    Deno.writeTextFileSync(`${dir}/config`, "");
    await engine.reload();
    await engine.write(encoder.encode("two\n"));
    await engine.close();
    assertEquals(copies, ["one\n"]);
    assertEquals(Deno.readTextFileSync(`${dir}/current`), "one\ntwo\n");
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("SvlogdEngine: `+c` at a line's end reads what earlier lines left in the line buffer", async () => {
  const dir = Deno.makeTempDirSync();
  try {
    // No patterns yet: the lines take the fast path, which must still leave runit's
    // line buffer as runit would ("qyz" after "abc", "xyz", "q").
    Deno.writeTextFileSync(`${dir}/config`, "pP:\n");
    const engine = await SvlogdEngine.start(parseSvlogdArgs([dir], "svlogd"), {
      message: () => {},
      copyToStderr: () => {},
      reaper: pidReaper(5),
      resolve: (d) => d,
    });
    await engine.write(encoder.encode("abc\nxyz\nq\n"));
    Deno.writeTextFileSync(`${dir}/config`, "-*\n+a+y\n++a\n");
    await engine.reload();
    // "a" matches "a+y" by the stale "y" of "xyz"; then "" matches "+a" by the "a" of
    // "a"; "b" matches neither, nor does "ab" (the "b" is no stale byte).
    await engine.write(encoder.encode("a\n\nb\nab\n"));
    await engine.close();
    assertEquals(Deno.readTextFileSync(`${dir}/current`), "P:abc\nP:xyz\nP:q\na\n\n");
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
