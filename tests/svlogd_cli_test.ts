/**
 * svlogd black-box, side by side with Debian's svlogd: the same input, config and
 * command line must give the same files, contents (timestamps normalised), messages and
 * exit codes (spec svlogd.md §14). Cases where we deliberately differ are checked
 * against the deviation instead.
 */

import { assert, assertEquals, assertMatch } from "./_assert.ts";
import { readByteText, SETPRIV_AS_NOBODY, tempDir, writeTree } from "./_helpers.ts";
import {
  DEBIAN_SVLOGD,
  haveDebianSvlogd,
  lines,
  normalise,
  ourSvlogd,
  runSvlogd,
  snapshot,
} from "./svlogd_helpers.ts";

const ignore = !haveDebianSvlogd();

interface Case {
  args: string[];
  files?: Record<string, string | null>;
  stdin?: string | Uint8Array;
  /** Directories to snapshot (default: "d"). */
  dirs?: string[];
  /** Prepare the tree further (modes). */
  prepare?: (root: string) => void;
}

interface Outcome {
  code: number;
  stderr: string;
  trees: Record<string, string[]>;
}

async function runCase(cmd: string, c: Case): Promise<Outcome> {
  await using tmp = tempDir("denit-svlogd-");
  writeTree(tmp.path, c.files ?? { "d/": null });
  c.prepare?.(tmp.path);
  const result = await runSvlogd(cmd, c.args, { cwd: tmp.path, stdin: c.stdin ?? "" });
  const trees: Record<string, string[]> = {};
  for (const dir of c.dirs ?? ["d"]) {
    try {
      trees[dir] = snapshot(`${tmp.path}/${dir}`);
    } catch {
      trees[dir] = ["(none)"];
    }
  }
  return {
    code: result.code,
    stderr: normalise(result.stderr.replaceAll(cmd, "ARGV0")),
    trees,
  };
}

/** Runs a case through both svlogds and returns both outcomes. */
async function sideBySide(c: Case): Promise<{ ours: Outcome; theirs: Outcome }> {
  const [ours, theirs] = await Promise.all([
    runCase(await ourSvlogd(), c),
    runCase(DEBIAN_SVLOGD, c),
  ]);
  return { ours, theirs };
}

async function same(c: Case): Promise<Outcome> {
  const { ours, theirs } = await sideBySide(c);
  assertEquals(ours, theirs);
  return ours;
}

Deno.test({
  name: "svlogd usage errors match Debian's (spec cases 1-5)",
  ignore,
  async fn() {
    for (
      const args of [
        [],
        ["-x", "d"],
        ["-l"],
        ["-l", "5", "-b", "5", "d"],
        ["-l", "1024", "d"],
        ["-r", "ab", "d"],
        ["-r", "", "d"],
        ["-V", "d"],
        // Options take effect in order: these end before the illegal -h is seen.
        ["-V", "-h", "d"],
        ["-r", "", "-h", "d"],
        ["-h", "-V", "d"],
      ]
    ) {
      const out = await same({ args, dirs: [] });
      assertEquals(out.code, 111, args.join(" "));
      assertMatch(
        out.stderr,
        /usage: ARGV0 \[-ttv\] \[-r c\] \[-R abc\] \[-l len\] \[-b buflen\] dir \.\.\.\n\n$/,
      );
    }
  },
});

Deno.test({
  name: "svlogd -v: a directory that opens but cannot be used prints runit's empty close line",
  ignore,
  async fn() {
    // runit closes the directory it opened before warning; its name is not set yet.
    const notDir = await same({
      args: ["-v", "f", "d"],
      files: { "f": "", "d/": null },
      stdin: "x\n",
    });
    assertEquals(
      notDir.stderr,
      "svlogd: info: close: \n" +
        "svlogd: warning: unable to change directory: f: not a directory\n" +
        "svlogd: info: new: d/current\n" +
        "svlogd: info: close: d\n",
    );
    const twice = await same({ args: ["-v", "d", "d"], stdin: "x\n" });
    assertMatch(twice.stderr, /new: d\/current\nsvlogd: info: close: \nsvlogd: warning: unable/);
  },
});

Deno.test({
  name: "svlogd as nobody: a directory it may read but not search cannot be changed into",
  ignore,
  async fn() {
    // Mode 0666: open(2) for reading works, fchdir(2) does not (root searches anyway).
    const prepare = (root: string) => {
      Deno.chmodSync(root, 0o755);
      Deno.chownSync(`${root}/d`, 65534, 65534);
      Deno.chmodSync(`${root}/d`, 0o666);
    };
    const [ours, theirs] = await Promise.all(
      [await ourSvlogd(), DEBIAN_SVLOGD].map(async (cmd) => {
        await using tmp = tempDir("denit-svlogd-");
        writeTree(tmp.path, { "d/": null });
        prepare(tmp.path);
        const out = await runSvlogd("setpriv", [...SETPRIV_AS_NOBODY, cmd, "d"], {
          cwd: tmp.path,
          stdin: "x\n",
        });
        return { code: out.code, stderr: out.stderr };
      }),
    );
    assertEquals(ours, theirs);
    assertEquals(ours, {
      code: 111,
      stderr: "svlogd: warning: unable to change directory: d: access denied\n" +
        "svlogd: fatal: no functional log directories.\n",
    });
  },
});

Deno.test({
  name: "svlogd: a missing directory is fatal with runit's messages (case 6)",
  ignore,
  async fn() {
    const out = await same({ args: ["nonexist"], stdin: "x\n", dirs: [] });
    assertEquals(out.code, 111);
    assertEquals(
      out.stderr,
      "svlogd: warning: unable to open log directory: nonexist: file does not exist\n" +
        "svlogd: fatal: no functional log directories.\n",
    );
  },
});

Deno.test({
  name: "svlogd: basic logging, modes, unclean and clean current (cases 7, 9, 10)",
  ignore,
  async fn() {
    const basic = await same({ args: ["d"], stdin: "foo\n" });
    assertEquals(basic.trees.d, ['current 744 "foo\\n"', 'lock 600 ""']);
    const unclean = await same({
      args: ["-v", "d"],
      files: { "d/current": "old\n" },
      prepare: (root) => Deno.chmodSync(`${root}/d/current`, 0o644),
      stdin: "x\n",
    });
    assertEquals(unclean.trees.d, ['@#1.u 644 "old\\n"', 'current 744 "x\\n"', 'lock 600 ""']);
    assertEquals(unclean.stderr, "svlogd: info: new: d/current\nsvlogd: info: close: d\n");
    const clean = await same({
      args: ["-v", "d"],
      files: { "d/current": "old\n" },
      prepare: (root) => Deno.chmodSync(`${root}/d/current`, 0o744),
      stdin: "x\n",
    });
    assertEquals(clean.trees.d, ['current 744 "old\\nx\\n"', 'lock 600 ""']);
    assertEquals(clean.stderr, "svlogd: info: append: d/current\nsvlogd: info: close: d\n");
  },
});

Deno.test({
  name: "svlogd: -t, -tt, -ttt stamps (cases 11, 12)",
  ignore,
  async fn() {
    for (
      const [flag, pattern] of [
        ["-t", /^@4000000[0-9a-f]{9}[0-9a-f]{8} a\n$/],
        ["-tt", /^\d{4}-\d\d-\d\d_\d\d:\d\d:\d\d\.\d{5} a\n$/],
        ["-ttt", /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{5} a\n$/],
        ["-tttt", /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{5} a\n$/],
      ] as const
    ) {
      await using tmp = tempDir();
      Deno.mkdirSync(`${tmp.path}/d`);
      const before = Date.now();
      await runSvlogd(await ourSvlogd(), [flag, "d"], { cwd: tmp.path, stdin: "a\n" });
      const text = Deno.readTextFileSync(`${tmp.path}/d/current`);
      assertMatch(text, pattern);
      if (flag === "-t") {
        const seconds = parseInt(text.slice(9, 17), 16) - 10;
        assert(Math.abs(seconds * 1000 - before) < 5000, "seconds near now");
        assertEquals(parseInt(text.slice(17, 25), 16) % 1000, 500);
      }
      await same({ args: [flag, "d"], stdin: "a\nb\n" });
    }
  },
});

Deno.test({
  name: "svlogd: replacement, long lines, prefix and stderr copies (cases 13, 14, 17, 18)",
  ignore,
  async fn() {
    const bytes = new Uint8Array([0x61, 9, 0x62, 1, 0x63, 0xff, 0x64, 10]);
    assertEquals(
      (await same({ args: ["-r", ".", "d"], stdin: bytes })).trees.d![0],
      'current 744 "a.b.c.d\\n"',
    );
    await same({ args: ["-R", "o", "d"], stdin: "foo bar\n" });
    await same({ args: ["-R", "o", "-r", "X", "d"], stdin: "foo bar\n" });
    await same({ args: ["-r", "X", "-R", "o", "d"], stdin: "foo bar\n" });
    await same({ args: ["d"], stdin: bytes });
    await same({ args: ["-l", "5", "-b", "6", "d"], stdin: "0123456789abcdef\n" });
    await same({
      args: ["-l", "5", "-b", "6", "-r", "_", "d"],
      stdin: "a\tb\tc\td\te\tf\tg\n\t\n",
    });
    const prefix = await same({
      args: ["-l", "4", "-b", "6", "d"],
      files: { "d/config": "pPFX: \ne*\n" },
      stdin: "0123456789\nab\nabcd\nabc\n",
    });
    assertEquals(prefix.stderr, "PFX: 0123...\nPFX: ab\nPFX: abcd...\nPFX: abc\n");
    const eE = await same({
      args: ["d"],
      files: { "d/config": "e*\nE*x*\n" },
      stdin: "abc\nxyz\naxb\n",
    });
    assertEquals(eE.stderr, "abc\n");
    await same({ args: ["-tt", "d"], files: { "d/config": "e*\npP \n" }, stdin: "z\n" });
  },
});

Deno.test({
  name: "svlogd: patterns select and copy lines (cases 15, 16, 42)",
  ignore,
  async fn() {
    const out = await same({
      args: ["d"],
      files: { "d/config": "-*\n+*ok*\ne*err*\n" },
      stdin: "hello ok world\nan error here\nplain\nok\nerr\nerror ok\n",
    });
    assert(out.trees.d!.includes('current 744 "ok\\n"'), out.trees.d!.join());
    assertEquals(out.stderr, "an error here\nerr\nerror ok\n");
    const table: [string, string[]][] = [
      ["*", ["", "x"]],
      ["a*", ["a", "abc", "ba"]],
      ["*a", ["ba", "a", "bab"]],
      ["*b*", ["abc", "bcd", "xyz"]],
      ["a+b", ["ab", "abbb", "abbbc", "ac", "a"]],
      ["+a", ["aaa", "a", "aab", "b"]],
      ["**", ["x*y", "*", "xy"]],
      ["a**c", ["ab*c", "a*c", "abc"]],
      ["*ok*", ["ok", "hello ok world", "error ok"]],
    ];
    for (const [pattern, inputs] of table) {
      await same({
        args: ["d"],
        files: { "d/config": `-*\n+${pattern}\n` },
        stdin: inputs.map((s) => `${s}\n`).join(""),
      });
    }
    const two = await same({
      args: ["a", "b"],
      files: { "a/": null, "b/config": "-*\n" },
      stdin: "one\ntwo\n",
      dirs: ["a", "b"],
    });
    assertEquals(two.trees.a![0], 'current 744 "one\\ntwo\\n"');
    await same({
      args: ["-tt", "-l", "20", "-b", "40", "a", "b"],
      files: { "a/config": "pX \ns200\n", "b/config": "pX \ns300\nn2\n" },
      stdin: lines(40, 30) + "w".repeat(100) + "\n" + lines(3, 10),
      dirs: ["a", "b"],
    });
    assertEquals(two.trees.b![1], 'current 744 ""');
  },
});

Deno.test({
  name: "svlogd: `+c` at a line's end reads the byte an earlier line left, as runit's pmatch",
  ignore,
  async fn() {
    // runit's pmatch compares c with the byte after the text before it checks the
    // length: the empty line after "abc" matches "+aao" (the line "++aao"), and only it.
    const empty = await same({
      args: ["-l", "40", "-b", "110", "-r", ".", "d"],
      files: { "d/config": "-*\ns1000\ne\n++aao\n++x" },
      stdin: "+ + +\n\n+x\nabc\n\nok\n",
    });
    assertEquals(empty.trees.d![1], 'current 744 "\\n"');
    await same({
      args: ["d"],
      files: { "d/config": "pP:\nEo+*e\nea\ne+o\n" },
      stdin: "ok\n\n\nko\n\n",
    });
    await same({
      args: ["-l", "40", "d"],
      files: { "d/config": "s1000\n-+xbb\nEke\np[x] \n" },
      stdin: "xbb\n\nab\n\nx\n",
    });
    // Past -l the byte is 0 (runit reads its buffer's padding).
    await same({
      args: ["-l", "3", "-b", "10", "d"],
      files: { "d/config": "-*\n+ab+\n++x\n" },
      stdin: "abcdef\nab\nxyz\n\nxyzw\n\n",
    });
    // A "+" that ends a pattern eats NULs and goes on into runit's next instruction.
    await same({
      args: ["d"],
      files: { "d/config": "-*\n+a+\0-b\n" },
      stdin: "a\0-b\na\0\na\nax\na\n",
    });
  },
});

Deno.test({
  name: "svlogd: size rotation splits and rotates exactly as runit (cases 19-22)",
  ignore,
  async fn() {
    const split = await same({
      args: ["-v", "d"],
      files: { "d/config": "s100\nn0\n" },
      stdin: "y".repeat(250) + "\nshort\n",
    });
    assertEquals(split.trees.d!.length, 5);
    assertMatch(
      split.stderr,
      /rename: d\/current @STAMP\.s 100\n[^]*rename: d\/current @STAMP\.s 100\n/,
    );
    const s300 = await same({
      args: ["-l", "100", "-b", "200", "d"],
      files: { "d/config": "s300\n" },
      stdin: lines(9, 50),
    });
    assertEquals(s300.trees.d!.length, 5);
    await same({
      args: ["-l", "100", "-b", "200", "d"],
      files: { "d/config": "s1k\n" },
      stdin: lines(30, 50),
    });
    await same({ args: ["d"], files: { "d/config": "s0\n" }, stdin: lines(300, 40) });
    await same({ args: ["-tt", "d"], files: { "d/config": "s1000\nn3\n" }, stdin: lines(200, 37) });
    await same({
      args: ["-t", "-l", "20", "-b", "40", "d"],
      files: { "d/config": "s333\nn0\n" },
      stdin: lines(40, 9) + "z".repeat(900) + "\n" + lines(5, 60),
    });
  },
});

Deno.test({
  name: "svlogd: pruning keeps n files, removes .t leftovers and 27-char @ names (case 23)",
  ignore,
  async fn() {
    const out = await same({
      args: ["-v", "-l", "10", "-b", "20", "d"],
      files: {
        "d/config": "s100\nn2\n",
        "d/@zzzzzzzzzzzzzzzzzzzzzzzz.t": "",
        "d/@000000000000000000000000.x": "",
        "d/@short": "",
      },
      stdin: lines(10, 50),
    });
    assertEquals(out.trees.d!.filter((l) => l.startsWith("@#")).length, 2);
    assert(out.trees.d!.some((l) => l.startsWith("@short")));
    assertMatch(out.stderr, /delete: d\/@000000000000000000000000\.x/);
  },
});

Deno.test({
  name: "svlogd: pruning neither counts nor deletes .u files, as Debian's svlogd (not §5.3)",
  ignore,
  async fn() {
    // Two leftover .u files older than everything: Debian's svlogd keeps them and keeps n
    // .s files besides them.
    const leftovers = await same({
      args: ["-v", "-l", "10", "-b", "20", "d"],
      files: {
        "d/config": "s100\nn2\n",
        "d/@000000000000000000000001.u": "one\n",
        "d/@000000000000000000000002.u": "two\n",
        "d/@000000000000000000000003.s": "three\n",
      },
      stdin: lines(10, 50),
    });
    // Names are normalised (@#N, in order); contents are not.
    const files = leftovers.trees.d!.filter((line) => line.startsWith("@#"));
    const kept = (suffix: string) => files.filter((line) => line.split(" ")[0]!.endsWith(suffix));
    assertEquals(kept(".u").map((line) => line.split(" ")[2]), ['"one\\n"', '"two\\n"']);
    assertEquals(kept(".s").length, 2, files.join("\n"));
    assert(!files.some((line) => line.includes("three")), files.join("\n"));
    // With a processor the .u being processed is not counted either: n .s files, then
    // n + 1 once the last one is processed.
    const processed = await same({
      args: ["d"],
      files: { "d/config": "s100\nn3\n!cat\n" },
      stdin: lines(20, 50),
    });
    const rotated = processed.trees.d!.filter((line) => line.startsWith("@#"));
    assertEquals(rotated.length, 4, processed.trees.d!.join("\n"));
  },
});

Deno.test({
  name: "svlogd: lock, not-a-directory and config-as-directory messages (cases 32, 33, 36)",
  ignore,
  async fn() {
    const dup = await same({ args: ["d", "d"], stdin: "x\n" });
    assertEquals(dup.stderr, "svlogd: warning: unable to lock directory: d: temporary failure\n");
    const file = await same({ args: ["f"], files: { f: "" }, stdin: "x\n", dirs: [] });
    assertEquals(
      file.stderr,
      "svlogd: warning: unable to change directory: f: not a directory\n" +
        "svlogd: fatal: no functional log directories.\n",
    );
    const cfg = await same({ args: ["d"], files: { "d/config/": null }, stdin: "x\n" });
    assertEquals(cfg.stderr, "svlogd: warning: unable to read config: d: is a directory\n");
  },
});

Deno.test({
  name: "svlogd: malformed UDP lines give runit's warnings and log nothing (case 30)",
  ignore,
  async fn() {
    const bogus = await same({ args: ["d"], files: { "d/config": "Ubogus\n" }, stdin: "x\n" });
    assertEquals(bogus.stderr, "svlogd: warning: unable to scan ip address: bogus\n");
    const zero = await same({ args: ["d"], files: { "d/config": "U127.0.0.1:0\n" }, stdin: "x\n" });
    assertEquals(zero.stderr, "svlogd: warning: unable to scan port number: 0\n");
    const junk = await same({ args: ["d"], files: { "d/config": "u127.0.0.1x\n" }, stdin: "x\n" });
    assertEquals(junk.stderr, "");
    assertEquals(junk.trees.d![1], 'current 744 "x\\n"');
  },
});

Deno.test({
  name: "svlogd deviation: an unterminated last line is logged with a newline (case 8)",
  ignore,
  async fn() {
    const { ours, theirs } = await sideBySide({ args: ["d"], stdin: "abc\ndef" });
    assertEquals(theirs.trees.d![0], 'current 744 "abc\\n"');
    assertEquals(ours.trees.d![0], 'current 744 "abc\\ndef\\n"');
    const long = await sideBySide({ args: ["-l", "4", "-b", "6", "d"], stdin: "abc\nxyzxyzxyz" });
    assertEquals(long.ours.trees.d![0], 'current 744 "abc\\nxyzxyzxyz\\n"');
  },
});

Deno.test({
  name: "svlogd survives arbitrary bytes and a 1 MB line",
  async fn() {
    await using tmp = tempDir();
    Deno.mkdirSync(`${tmp.path}/d`);
    const junk = new Uint8Array(200_000);
    for (let at = 0; at < junk.length; at += 50_000) {
      crypto.getRandomValues(junk.subarray(at, at + 50_000));
    }
    const big = new Uint8Array(1 << 20).fill(0x41);
    const input = new Uint8Array(junk.length + big.length + 1);
    input.set(junk);
    input.set(big, junk.length);
    input[input.length - 1] = 10;
    const result = await runSvlogd(await ourSvlogd(), ["-tt", "-r", "_", "d"], {
      cwd: tmp.path,
      stdin: input,
    });
    assertEquals(result.code, 0);
    assertEquals(result.stderr, "");
    let logged = 0;
    for (const entry of Deno.readDirSync(`${tmp.path}/d`)) {
      if (entry.name === "lock") continue;
      logged += Deno.readFileSync(`${tmp.path}/d/${entry.name}`).filter((b) => b === 10).length;
    }
    assertEquals(logged, input.filter((b) => b === 10).length);
  },
});

Deno.test("svlogd: a log directory whose name is not UTF-8 is logged to and named byte for byte", async () => {
  const programs = [await ourSvlogd(), ...(haveDebianSvlogd() ? [DEBIAN_SVLOGD] : [])];
  const results: string[][] = [];
  for (const program of programs) {
    await using tmp = tempDir();
    // Deno names files in UTF-8 only: the shell makes "loég" with a lone 0xff, gives it a
    // config (rotation at 100 bytes, a processor), runs svlogd on it and copies out.
    const script = `D=$(printf 'lo\\303\\251g\\377') && mkdir "$D" && ` +
      `printf 's100\\n!tr a-z A-Z\\n' >"$D/config" && ` +
      `seq -f 'line %g abcdefghij' 1 12 | "$0" -v "$D" 2>err; echo $? >rc; ` +
      `cat "$D/current" >current; cat "$D"/@*.s >rotated`;
    const done = await new Deno.Command("sh", { args: ["-c", script, program], cwd: tmp.path })
      .output();
    assertEquals(done.code, 0, program);
    const read = (name: string): string => readByteText(`${tmp.path}/${name}`);
    // The lines that name the directory (when SIGCHLD comes is the machine's business).
    const err = read("err").replace(/@[0-9a-f]{24}/g, "@X").split("\n")
      .filter((line) => !line.endsWith("sigchild received.")).join("\n");
    results.push([read("rc"), err, read("current"), read("rotated")]);
  }
  const name = "lo\xc3\xa9g\xff";
  const [rc, err = "", current, rotated = ""] = results[0]!;
  assertEquals(rc, "0\n");
  assert(err.includes(`svlogd: info: read: ${name}/config\n`), err);
  assert(err.endsWith(`svlogd: info: close: ${name}\n`), err);
  assertEquals(current, "line 12 abcdefghij\n");
  assertMatch(rotated, /^LINE 1 ABCDEFGHIJ\n(LINE \d+ ABCDEFGHIJ\n)+$/);
  if (results.length > 1) assertEquals(results[0], results[1], "ours and Debian's");
});
