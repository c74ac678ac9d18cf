/**
 * scripts/launcher.c on its own, built both ways install.sh can build it (freestanding,
 * with its own _start and system calls; hosted, over glibc), with a stand-in for Deno that
 * prints the arguments and the exact environment block it was given. Both builds must
 * give the same: the Deno command line, the environment (order kept, our names replaced,
 * the caller's DENO_* renamed in place), the applet found through a chain of relative
 * symlinks, the inherited signal state for the chpst family, and runit's message when
 * Deno cannot be run.
 */

import { assertEquals } from "./_assert.ts";
import { CC, haveCompiler, repoRoot, run, tempDir } from "./_helpers.ts";

/** The flags install.sh builds the freestanding launcher with (keep in step). */
const FREESTANDING = [
  "-nostdlib",
  "-ffreestanding",
  "-fno-stack-protector",
  "-fno-pie",
  "-no-pie",
  "-DDENIT_FREESTANDING",
];

const TABLE = [
  '{"sv", "entry/sv.js", SHORT_LIVED},',
  '{"runsv", "entry/runsv.js", 0},',
  '{"chpst", "entry/chpst.js", SHORT_LIVED | SIGNALS | QUICK_E, "entry/chpst-quick.js"},',
  '{"envdir", "entry/envdir.js", SHORT_LIVED | SIGNALS | QUICK_ARGS, "entry/chpst-quick.js"},',
].join("\n");

/** Stand-in for Deno: its arguments, a blank line, then its initial environment block. */
const STUB = "#!/bin/sh\nprintf '%s\\n' \"$0\" \"$@\" ''\ntr '\\0' '\\n' </proc/$$/environ\n";

interface Built {
  prefix: string;
  launcher: string;
}

/** Builds the launcher into `dir/kind`, with `deno` as the stand-in (none: false). */
async function build(dir: string, kind: "freestanding" | "hosted", deno: string | false = STUB) {
  const prefix = `${dir}/${kind}`;
  Deno.mkdirSync(`${prefix}/lib/denit`, { recursive: true });
  Deno.mkdirSync(`${prefix}/bin`);
  Deno.writeTextFileSync(`${dir}/table.h`, TABLE + "\n");
  if (deno !== false) {
    Deno.writeTextFileSync(`${prefix}/lib/denit/deno`, deno);
    Deno.chmodSync(`${prefix}/lib/denit/deno`, 0o755);
  }
  const launcher = `${prefix}/lib/denit/launcher`;
  const result = await run(CC, [
    "-static",
    "-Os",
    "-Wall",
    "-Werror",
    ...(kind === "freestanding" ? FREESTANDING : []),
    `-DDENIT_PREFIX="${prefix}"`,
    `-DDENIT_TABLE="${dir}/table.h"`,
    "-o",
    launcher,
    `${repoRoot}/scripts/launcher.c`,
  ]);
  assertEquals(result.stderr, "", `${kind} build`);
  assertEquals(result.code, 0);
  for (const name of ["sv", "runsv", "chpst", "envdir", "other"]) {
    Deno.linkSync(launcher, `${prefix}/bin/${name}`);
  }
  return { prefix, launcher } satisfies Built;
}

/**
 * Runs `path` as `argv0` with exactly the environment `env` (in that order) and SIGUSR1
 * ignored, which the launcher must report for the chpst family (bit 9 of the mask). perl
 * (essential on Debian) execs without touching the environment, unlike a shell.
 */
async function launch(path: string, args: string[], env: string[], argv0 = path) {
  const exec = `$SIG{USR1} = "IGNORE"; my $path = shift; exec { $path } @ARGV or exit 127`;
  return await run("env", ["-i", ...env, "/usr/bin/perl", "-e", exec, path, argv0, ...args]);
}

function parts(stdout: string): { args: string[]; env: string[] } {
  const [args = "", env = ""] = stdout.split("\n\n");
  return { args: args.split("\n"), env: env.split("\n").filter((line) => line !== "") };
}

for (const kind of ["freestanding", "hosted"] as const) {
  // The freestanding build has its own start-up code for x86-64 and arm64 only.
  const cannotBuild = !haveCompiler() ||
    (kind === "freestanding" && Deno.build.arch !== "x86_64" && Deno.build.arch !== "aarch64");
  Deno.test({
    name: `launcher (${kind}): Deno's command line and the environment it is given`,
    ignore: cannotBuild,
    async fn() {
      await using dir = tempDir();
      const { prefix } = await build(dir.path, kind);
      const caller = ["A=1", "DENO_DIR=/caller/dir", "DENIT_ARGV0=stale", "B=2"];
      const sv = await launch(`${prefix}/bin/sv`, ["status", "x y"], caller, "my-sv");
      assertEquals(sv.stderr, "");
      const got = parts(sv.stdout);
      const deno = `${prefix}/lib/denit/deno`;
      assertEquals(got.args, [
        deno,
        "run",
        "-A",
        "--cached-only",
        "--no-code-cache",
        "--v8-flags=--single-threaded",
        "--no-config",
        "--no-lock",
        `${prefix}/lib/denit/src/entry/sv.js`,
        "status",
        "x y",
      ]);
      assertEquals(got.env, [
        "A=1",
        "DENIT_CALLER_DENO_DIR=/caller/dir",
        "B=2",
        "DENIT_CALLERS=1",
        "DENIT_ARGV0=my-sv",
        "DENIT_APPLET=sv",
        "DENIT_LAUNCHER=1",
        `DENO_DIR=${prefix}/lib/denit/cache`,
        "DENO_NO_UPDATE_CHECK=1",
      ]);

      // A daemon: no short-lived flags. chpst: the signal state it inherited.
      const runsv = parts((await launch(`${prefix}/bin/runsv`, ["d"], [])).stdout);
      assertEquals(runsv.args.slice(1, 6), [
        "run",
        "-A",
        "--cached-only",
        "--no-config",
        "--no-lock",
      ]);
      const chpst = parts((await launch(`${prefix}/bin/chpst`, [], [])).stdout);
      const signals = chpst.env.find((line) => line.startsWith("DENIT_SIGNALS="));
      assertEquals(signals?.length, "DENIT_SIGNALS=".length + 33);
      const ignored = BigInt("0x" + signals!.slice(14, 30));
      assertEquals((ignored >> 9n) & 1n, 1n, "SIGUSR1 reported ignored");
      assertEquals(signals!.slice(30), ":0000000000000000");
    },
  });

  Deno.test({
    name: `launcher (${kind}): the applet is the end of the link chain, else the dispatcher`,
    ignore: cannotBuild,
    async fn() {
      await using dir = tempDir();
      const { prefix } = await build(dir.path, kind);
      // links/sv -> sv2 -> ../hop/next -> ../KIND/bin/chpst, every link relative to its
      // own directory: chpst, not sv. Then an absolute link to that chain.
      Deno.mkdirSync(`${dir.path}/links`);
      Deno.mkdirSync(`${dir.path}/hop`);
      Deno.symlinkSync(`../${kind}/bin/chpst`, `${dir.path}/hop/next`);
      Deno.symlinkSync("../hop/next", `${dir.path}/links/sv2`);
      Deno.symlinkSync("sv2", `${dir.path}/links/sv`);
      Deno.symlinkSync(`${dir.path}/links/sv`, `${dir.path}/hop/runsv`);
      const absolute = parts((await launch(`${dir.path}/hop/runsv`, [], [])).stdout);
      assertEquals(absolute.args[8], `${prefix}/lib/denit/src/entry/chpst.js`);
      const chained = parts((await launch(`${dir.path}/links/sv`, [], [])).stdout);
      assertEquals(chained.args[8], `${prefix}/lib/denit/src/entry/chpst.js`);
      assertEquals(chained.env.includes("DENIT_APPLET=chpst"), true);
      // Run by a relative path from its own directory.
      const relative = await run("./sv", ["s"], { cwd: `${dir.path}/links` });
      assertEquals(parts(relative.stdout).args[8], `${prefix}/lib/denit/src/entry/chpst.js`);

      // A name that is no applet: mod.ts, the launcher's own path, the signal state.
      const other = parts((await launch(`${prefix}/bin/other`, ["x"], [])).stdout);
      assertEquals(other.args.slice(-2), [`${prefix}/lib/denit/src/mod.ts`, "x"]);
      assertEquals(other.env.includes(`DENIT_SELF=${prefix}/bin/other`), true);
      assertEquals(other.env.some((line) => line.startsWith("DENIT_APPLET=")), false);
      assertEquals(other.env.some((line) => line.startsWith("DENIT_SIGNALS=")), true);
    },
  });

  Deno.test({
    name: `launcher (${kind}): chpst -e DIR PROG and envdir DIR PROG run the quick entry`,
    ignore: cannotBuild,
    async fn() {
      await using dir = tempDir();
      const { prefix } = await build(dir.path, kind);
      const src = `${prefix}/lib/denit/src`;
      const ran = async (name: string, args: string[]) => {
        const got = parts((await launch(`${prefix}/bin/${name}`, args, [])).stdout).args;
        const entry = got.findIndex((arg) => arg.startsWith(`${src}/`));
        return { flags: got.slice(4, entry), entry: got[entry], args: got.slice(entry + 1) };
      };
      const quick = {
        flags: [
          "--no-code-cache",
          "--v8-flags=--single-threaded,--no-lazy,--jitless",
          "--no-config",
          "--no-lock",
        ],
        entry: `${src}/entry/chpst-quick.js`,
      };
      const full = (name: string) => ({
        flags: ["--no-code-cache", "--v8-flags=--single-threaded", "--no-config", "--no-lock"],
        entry: `${src}/entry/${name}.js`,
      });
      for (const args of [["-e", "d", "p"], ["-e", "-v", "p", "-x"], ["-e", "d d", "p q"]]) {
        assertEquals(await ran("chpst", args), { ...quick, args }, JSON.stringify(args));
      }
      // getopt would take these differently: the full chpst parses them.
      for (
        const args of [["-e", "d"], ["-e", "d", "-v", "p"], ["-v", "-e", "d", "p"], ["-ed", "p"]]
      ) {
        assertEquals(await ran("chpst", args), { ...full("chpst"), args }, JSON.stringify(args));
      }
      for (const args of [["d", "p"], ["-e", "d", "p"]]) {
        assertEquals(await ran("envdir", args), { ...quick, args }, JSON.stringify(args));
      }
      assertEquals(await ran("envdir", ["d"]), { ...full("envdir"), args: ["d"] });
      assertEquals(await ran("envdir", []), { ...full("envdir"), args: [] });
    },
  });

  Deno.test({
    name: `launcher (${kind}): a removed working directory is handed over as an fd, Deno in /`,
    ignore: cannotBuild,
    async fn() {
      await using dir = tempDir();
      // This stand-in prints where it runs and what DENIT_CWD_FD names.
      const { prefix } = await build(
        dir.path,
        kind,
        '#!/bin/sh\nreadlink /proc/$$/cwd\necho "fd=$DENIT_CWD_FD"\n' +
          'readlink "/proc/$$/fd/$DENIT_CWD_FD"\n',
      );
      const gone = `${dir.path}/gone`;
      Deno.mkdirSync(gone);
      // The shell's own getcwd fails there too; it only has to exec the launcher.
      const script = `cd ${gone} && rmdir ${gone} && exec ${prefix}/bin/sv status x`;
      const removed = await run("/bin/sh", ["-c", script]);
      const [cwd, fd, target] = removed.stdout.split("\n");
      assertEquals(cwd, "/");
      assertEquals(/^fd=[0-9]+$/.test(fd ?? ""), true, removed.stdout);
      assertEquals(target, `${gone} (deleted)`);
      // A directory that is there: no fd, the caller's stale value dropped.
      const there = await run(`${prefix}/bin/sv`, ["status", "x"], {
        cwd: dir.path,
        env: { DENIT_CWD_FD: "7" },
      });
      assertEquals(there.stdout.split("\n").slice(0, 2), [dir.path, "fd="]);
    },
  });

  Deno.test({
    name: `launcher (${kind}): soft limits Deno cannot start under are raised and passed on`,
    ignore: cannotBuild,
    async fn() {
      await using dir = tempDir();
      // This stand-in prints its own soft limits, its entry and DENIT_RLIMITS.
      const { prefix } = await build(
        dir.path,
        kind,
        "#!/bin/sh\nulimit -v; ulimit -d; ulimit -s; ulimit -n\n" +
          'for a; do case $a in */src/*) echo "$a";; esac; done\necho "$DENIT_RLIMITS"\n',
      );
      const under = (limits: string[], args: string[]) =>
        run("prlimit", [...limits, `${prefix}/bin/chpst`, ...args]);
      const src = `${prefix}/lib/denit/src/entry`;
      // Memory: raised to the hard limit, stack to 8 MiB; the full chpst gives them back.
      const memory = await under(
        ["--as=50000000:unlimited", "--data=40000000:unlimited", "--stack=65536:unlimited"],
        ["-e", "d", "p"],
      );
      assertEquals(memory.stdout.split("\n"), [
        "unlimited",
        "unlimited",
        "8192",
        ...memory.stdout.split("\n").slice(3, 4),
        `${src}/chpst.js`,
        "9:50000000,2:40000000,3:65536",
        "",
      ]);
      // Open files below the hard limit: passed on (Deno raises it itself), quick entry kept.
      const files = await under(["--nofile=256:4096"], ["-e", "d", "p"]);
      assertEquals(files.stdout, `unlimited\nunlimited\n8192\n256\n${src}/chpst-quick.js\n7:256\n`);
      // A hard limit below what Deno needs: runit's shape, 111, nothing run.
      const hard = await under(["--as=50000000"], []);
      assertEquals([hard.code, hard.stdout], [111, ""]);
      assertEquals(
        hard.stderr,
        "chpst: fatal: unable to run Deno: hard limit of address space too low: 50000000, " +
          "it needs 68719476736\n",
      );
    },
  });

  Deno.test({
    name: `launcher (${kind}): Deno missing is runit's fatal message and 111`,
    ignore: cannotBuild,
    async fn() {
      await using dir = tempDir();
      const { prefix } = await build(dir.path, kind, false);
      const result = await run(`${prefix}/bin/sv`, ["status"]);
      assertEquals(result.stdout, "");
      assertEquals(
        result.stderr,
        `sv: fatal: unable to run: ${prefix}/lib/denit/deno: file does not exist\n`,
      );
      assertEquals(result.code, 111);
    },
  });
}
