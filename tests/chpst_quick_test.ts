/**
 * chpst's quick entry (lib/chpst/quick.ts): `chpst -e DIR PROG` and `envdir DIR PROG`
 * through the C launcher. For each env dir and program below, the quick form, the same
 * request through the full chpst (`-e DIR -- PROG`, which the launcher does not take as
 * quick; `envdir` through the chpst launcher under argv[0] envdir) and Debian's chpst
 * must give the same exit code, output and messages. strace shows which entries ran: the
 * common case only the quick one, everything else the quick one and then the full one.
 */

import { assertEquals } from "./_assert.ts";
import {
  bin,
  cLaunchers,
  run,
  type RunResult,
  SETPRIV_AS_NOBODY,
  tempDir,
  writeTree,
} from "./_helpers.ts";
import { assertSameEnv, debianAs, sideBySide, withoutGlibcSignals } from "./chpst_helpers.ts";

interface Ran {
  result: RunResult;
  /** The entry modules Deno opened, by file name. */
  entries: string[];
}

/**
 * Runs `path` as `argv0` under strace (open and exec calls), perl setting SIGPIPE as asked
 * and then exec'ing without touching the environment.
 */
async function traced(
  path: string,
  argv0: string,
  args: readonly string[],
  options: { cwd: string; env: Record<string, string>; pipeIgnored: boolean; trace: string },
): Promise<Ran> {
  const perl = `$SIG{PIPE} = "${options.pipeIgnored ? "IGNORE" : "DEFAULT"}"; ` +
    `my $path = shift; exec { $path } @ARGV or exit 127`;
  const result = await run("strace", [
    "-f",
    "-qq",
    "-e",
    "trace=openat,execve",
    "-o",
    options.trace,
    "/usr/bin/perl",
    "-e",
    perl,
    path,
    argv0,
    ...args,
  ], { cwd: options.cwd, env: options.env });
  const entries = [...Deno.readTextFileSync(options.trace).matchAll(/\/entry\/([\w-]+\.[jt]s)"/g)]
    .map((match) => match[1]!);
  Deno.removeSync(options.trace);
  return { result, entries: [...new Set(entries)] };
}

/** The program every case runs: its environment, SIGPIPE's disposition and argv. */
const DUMP = ["sh", "-c", 'grep SigIgn /proc/$$/status; env; echo "$0" "$@"', "zero", "a b"];

interface Case {
  name: string;
  /** The env dir's files (null: a subdirectory); symlinks separately. */
  files: Record<string, string | null>;
  links?: Record<string, string>;
  program?: string[];
  env?: Record<string, string>;
  pipeIgnored?: boolean;
  /** Whether the quick entry carries it out alone. */
  quick: boolean;
  /** Debian's chpst can differ in readdir order only (the vanished-entry quirk). */
  notDebian?: boolean;
}

const CASES: Case[] = [
  {
    name: "plain",
    files: { A: "val1  \t \nsecond\n", EMPTY: "", NL: "\n", NUL: "a\0b\n", ".hid": "x" },
    env: { EMPTY: "set", A: "old" },
    quick: true,
  },
  {
    name: "the caller's DENO_DIR, SIGPIPE ignored",
    files: { B: "2" },
    env: { DENO_DIR: "/caller/deno", DENO_NO_UPDATE_CHECK: "caller" },
    pipeIgnored: true,
    quick: true,
  },
  { name: "PATH from the env dir is not searched", files: { PATH: "/nowhere" }, quick: true },
  { name: "a subdirectory", files: { A: "1", SUB: null }, quick: false },
  { name: "only dot files", files: { ".a": "1" }, quick: false },
  { name: "empty", files: {}, quick: false },
  {
    name: "a dangling symlink (runit's vanished-entry quirk)",
    files: { A: "x" },
    links: { ZZ: "nowhere" },
    quick: false,
    notDebian: true,
  },
  {
    name: "a program that is not found",
    files: { A: "1" },
    program: ["nonexistprog"],
    quick: false,
  },
  { name: "a directory as the program", files: { A: "1" }, program: ["/tmp"], quick: false },
];

Deno.test({
  name: "chpst quick entry: same results as the full chpst and Debian's, quick only when common",
  ...sideBySide,
  ignore: sideBySide.ignore || !(await cLaunchers()),
  async fn() {
    await using t = tempDir();
    const chpst = await bin("chpst");
    const envdir = await bin("envdir");
    for (const [index, c] of CASES.entries()) {
      const dir = `e${index}`;
      Deno.mkdirSync(`${t.path}/${dir}`);
      writeTree(
        t.path,
        Object.fromEntries(Object.entries(c.files).map(([name, body]) => [`${dir}/${name}`, body])),
      );
      for (const [name, target] of Object.entries(c.links ?? {})) {
        Deno.symlinkSync(target, `${t.path}/${dir}/${name}`);
      }
      const program = c.program ?? DUMP;
      const options = {
        cwd: t.path,
        env: c.env ?? {},
        pipeIgnored: c.pipeIgnored ?? false,
        trace: `${t.path}/trace`,
      };
      const forms = [
        { name: "chpst", quick: [chpst, "chpst", ["-e", dir, ...program]] as const },
        { name: "envdir", quick: [envdir, "envdir", [dir, ...program]] as const },
      ];
      for (const form of forms) {
        const what = `${c.name}, ${form.name}`;
        const [path, argv0, args] = form.quick;
        const quick = await traced(path, argv0, args, options);
        const full = form.name === "chpst"
          ? await traced(chpst, "chpst", ["-e", dir, "--", ...program], options)
          : await traced(chpst, "envdir", [dir, ...program], options);
        const theirs = await traced(debianAs(form.name), form.name, args, options);
        assertEquals(
          quick.entries,
          c.quick ? ["chpst-quick.js"] : ["chpst-quick.js", "chpst.js"],
          what,
        );
        assertEquals(full.entries, [`chpst.js`], `${what}: the full entry`);
        for (const [other, label] of [[full, "full"], [theirs, "Debian's"]] as const) {
          if (label === "Debian's" && c.notDebian) continue;
          assertEquals(quick.result.code, other.result.code, `${what}: code against ${label}`);
          assertEquals(
            quick.result.stderr,
            other.result.stderr,
            `${what}: stderr against ${label}`,
          );
          await assertSameEnv(
            withoutGlibcSignals(quick.result.stdout),
            withoutGlibcSignals(other.result.stdout),
            `${what}: output against ${label}`,
          );
        }
      }
    }
  },
});

Deno.test({
  name: "chpst quick entry: a starting directory the user cannot read or search, as Debian's",
  ...sideBySide,
  ignore: sideBySide.ignore || Deno.uid() !== 0,
  async fn() {
    await using t = tempDir();
    writeTree(t.path, { "env/A": "1", "noread/.keep": "", "nosearch/.keep": "" });
    Deno.chmodSync(t.path, 0o711);
    Deno.chmodSync(`${t.path}/env`, 0o755);
    Deno.chmodSync(`${t.path}/noread`, 0o311);
    Deno.chmodSync(`${t.path}/nosearch`, 0o744);
    const chpst = await bin("chpst");
    for (const start of ["noread", "nosearch"]) {
      for (const args of [["-e", `${t.path}/env`, "true"], ["-e", `${t.path}/env`, "--", "true"]]) {
        const as = (path: string) =>
          run("setpriv", [...SETPRIV_AS_NOBODY, path, ...args], {
            cwd: `${t.path}/${start}`,
          });
        const ours = await as(chpst);
        const theirs = await as(debianAs("chpst"));
        const what = `${start}: ${args.join(" ")}`;
        assertEquals(ours.stderr, theirs.stderr, what);
        assertEquals(
          ours.stderr,
          "chpst: fatal: unable to open current working directory: access denied\n",
        );
        assertEquals([ours.code, theirs.code], [111, 111], what);
      }
    }
  },
});
