/**
 * Bad options and non-options: every applet answers like Debian's binary (same stderr,
 * same exit code), argv[0] normalised where runit prints it as given.
 */

import { assertEquals } from "./_assert.ts";
import { bin, cLaunchers, haveDebianRunit, run, tempDir, testPrefix } from "./_helpers.ts";

interface Case {
  applet: string;
  debian: string;
  args: string[];
}

const CASES: Case[] = [
  { applet: "sv", debian: "/usr/bin/sv", args: ["-x"] },
  { applet: "sv", debian: "/usr/bin/sv", args: ["-w"] },
  { applet: "sv", debian: "/usr/bin/sv", args: ["-v", "status"] },
  { applet: "svlogd", debian: "/usr/bin/svlogd", args: ["-x"] },
  { applet: "svlogd", debian: "/usr/bin/svlogd", args: ["-l"] },
  { applet: "svlogd", debian: "/usr/bin/svlogd", args: ["-r", "ab", "d"] },
  { applet: "chpst", debian: "/usr/bin/chpst", args: ["-x"] },
  { applet: "chpst", debian: "/usr/bin/chpst", args: ["-u"] },
  { applet: "setlock", debian: "setlock", args: ["-x"] },
  { applet: "softlimit", debian: "softlimit", args: ["-x"] },
  { applet: "envdir", debian: "envdir", args: ["-x"] },
  { applet: "utmpset", debian: "/usr/sbin/utmpset", args: ["-x"] },
  { applet: "runsv", debian: "/usr/bin/runsv", args: ["-x"] },
  { applet: "runsv", debian: "/usr/bin/runsv", args: ["a", "b"] },
  { applet: "runsvchdir", debian: "/usr/sbin/runsvchdir", args: ["-x"] },
  { applet: "runit-init", debian: "/lib/runit/runit-init", args: ["-x"] },
];

Deno.test({
  name: "bad options give Debian's messages and exit codes",
  ignore: !haveDebianRunit(),
  async fn() {
    await using links = tempDir();
    await using cwd = tempDir();
    for (const name of ["setlock", "softlimit", "envdir"]) {
      Deno.symlinkSync("/usr/bin/chpst", `${links.path}/${name}`);
    }
    for (const c of CASES) {
      const debianPath = c.debian.startsWith("/") ? c.debian : `${links.path}/${c.debian}`;
      const oursPath = await bin(c.applet);
      const ours = await run(oursPath, c.args, { cwd: cwd.path });
      const theirs = await run(debianPath, c.args, { cwd: cwd.path });
      const label = `${c.applet} ${c.args.join(" ")}`;
      assertEquals(
        ours.stderr.replaceAll(oursPath, "ARGV0"),
        theirs.stderr.replaceAll(debianPath, "ARGV0"),
        label,
      );
      assertEquals(ours.code, theirs.code, `${label}: exit code`);
    }
  },
});

Deno.test({
  name: "called by a bare name through PATH, messages are Debian's byte for byte",
  // The #!/bin/sh fallback launcher sees the path the kernel ran, not argv[0] (docs/denit.md).
  ignore: !haveDebianRunit(),
  async fn() {
    if (!(await cLaunchers())) return;
    const prefix = await testPrefix();
    await using links = tempDir();
    await using cwd = tempDir();
    for (const c of CASES) {
      const target = c.debian.startsWith("/") ? c.debian : "/usr/bin/chpst";
      try {
        Deno.symlinkSync(target, `${links.path}/${c.applet}`);
      } catch (err) {
        if (!(err instanceof Deno.errors.AlreadyExists)) throw err;
      }
    }
    for (const c of CASES) {
      const script = `exec ${c.applet} "$@"`;
      const args = ["-c", script, c.applet, ...c.args];
      const ours = await run("/bin/sh", args, { cwd: cwd.path, env: { PATH: `${prefix}/bin` } });
      const theirs = await run("/bin/sh", args, { cwd: cwd.path, env: { PATH: links.path } });
      const label = `${c.applet} ${c.args.join(" ")}`;
      assertEquals([ours.code, ours.stderr], [theirs.code, theirs.stderr], label);
    }
  },
});
