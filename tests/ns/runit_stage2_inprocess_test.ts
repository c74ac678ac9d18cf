/**
 * Stage 2 run by process 1 itself (`/etc/runit/2.runsvdir`, docs/runit.md): the scan
 * directory is supervised in runit's own process, with the environment the file gives,
 * each service in its own session; `sv` sees runsv's protocol; SIGALRM rescans; `init 0`
 * stops every service (log last) before stage 3, which gets process 1's environment.
 */

import { assert, assertEquals, assertMatch } from "../_assert.ts";
import { bin, exists, readOrUndefined, testPrefix, waitFor } from "../_helpers.ts";
import { boot, ended, runitLines } from "./_ns.ts";
import { request, STAGES } from "./_stages.ts";

/** A scan directory with one logged service (in-process svlogd) outside the namespace. */
function scanDir(): { root: string; svdir: string } {
  const root = Deno.makeTempDirSync({ prefix: "denit-stage2-" });
  const svdir = `${root}/service`;
  Deno.mkdirSync(`${svdir}/demo/log/main`, { recursive: true });
  Deno.writeTextFileSync(
    `${svdir}/demo/run`,
    "#!/bin/sh\n" +
      "set -- $(cut -d' ' -f1,5,6 /proc/$$/stat)\n" +
      'echo "demo: pid=$1 pgrp=$2 sid=$3 FOO=${FOO-unset} HOME=${HOME-unset}" >&2\n' +
      'echo "demo logged a line"\n' +
      "trap 'echo demo got TERM >&2; exit 0' TERM\n" +
      "while :; do sleep 0.05; done\n",
  );
  Deno.chmodSync(`${svdir}/demo/run`, 0o755);
  Deno.writeTextFileSync(`${svdir}/demo/log/svlogd`, "./main\n");
  return { root, svdir };
}

Deno.test("runit: 2.runsvdir runs stage 2 in process 1; init 0 stops it before stage 3", async () => {
  const { root, svdir } = scanDir();
  try {
    await using machine = await boot({
      ...STAGES,
      "2!": "#!/bin/sh\necho stage 2 script ran\nexec sleep 1000\n",
      "2.runsvdir": `# stage 2 in process 1\nPATH=/usr/bin:/bin FOO=bar\n${svdir} log:.......\n`,
      "3!": '#!/bin/sh\necho "stage 3: HOME=${HOME-unset} FOO=${FOO-unset}"\n',
    });
    const text = await machine.waitConsole(/demo: pid=\d+/);
    const demo = text.match(/^demo: pid=(\d+) pgrp=(\d+) sid=(\d+) FOO=(\S+) HOME=(\S+)$/m);
    assert(demo !== null, text);
    // Its own session and group (never process 1's), and only the file's environment.
    assertEquals(
      [demo[2], demo[3], demo[4], demo[5]],
      [demo[1], demo[1], "bar", "unset"],
    );
    const log = `${svdir}/demo/log/main/current`;
    await waitFor(() => readOrUndefined(log)?.includes("demo logged a line"), {
      what: "the demo's line in its log",
    });
    // sv speaks runsv's protocol with process 1's supervisors; the log's pid is runit's.
    const status = await machine.exec([await bin("sv"), "status", `${svdir}/demo`]);
    assertMatch(status.stdout, /^run: .*demo: \(pid \d+\) \d+s; run: log: \(pid 1\) \d+s\n$/);
    // SIGALRM to process 1 is runsvdir's "rescan now".
    machine.signal("SIGALRM");
    await waitFor(() => exists(`${svdir}/.forced-rescan`), {
      what: ".forced-rescan after SIGALRM",
    });

    await request(machine, "0");
    assertEquals((await ended(machine)).signal, "SIGINT");
    const all = machine.console();
    assert(!all.includes("stage 2 script ran"), all);
    assertEquals(runitLines(all).slice(1, 7), [
      "- runit: enter stage: /etc/runit/1",
      "- runit: leave stage: /etc/runit/1",
      "- runit: enter stage: /etc/runit/2",
      `- runit: stage 2: runsvdir ${svdir} in process 1 (/etc/runit/2.runsvdir)`,
      "- runit: leave stage: /etc/runit/2",
      "- runit: enter stage: /etc/runit/3",
    ]);
    // The service was stopped (TERM) before stage 3, which has process 1's environment.
    const stopped = all.indexOf("demo got TERM");
    const stage3 = all.indexOf("stage 3: HOME=");
    assert(stopped >= 0 && stopped < stage3, all);
    assertMatch(all, /^stage 3: HOME=(?!unset)\S+ FOO=unset$/m);
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("runit: a 2.runsvdir without a directory is reported; /etc/runit/2 runs", async () => {
  await using machine = await boot({ ...STAGES, "2.runsvdir": "PATH=/bin\n" });
  const text = await machine.waitConsole("stage 2: pid=");
  assertMatch(text, /^- runit: warning: \/etc\/runit\/2\.runsvdir: usage: runsvdir \[-P\] dir$/m);
  await request(machine, "0");
  assertEquals((await ended(machine)).signal, "SIGINT");
});

Deno.test("runit: without /proc at stage 2, 2.runsvdir is reported and /etc/runit/2 runs", async () => {
  await using machine = await boot({
    ...STAGES,
    "1!": "#!/bin/sh\nwhile umount -l /proc 2>/dev/null; do :; done\n",
    "2.runsvdir": "PATH=/bin /nonexistent\n",
  });
  const text = await machine.waitConsole("stage 2: pid=");
  assertMatch(
    text,
    /^- runit: warning: \/etc\/runit\/2\.runsvdir: \/proc is not mounted; running \/etc\/runit\/2$/m,
  );
  await request(machine, "0");
  assertEquals((await ended(machine)).signal, "SIGINT");
});

Deno.test("process 1's installed bundles load no node: module (Deno panics on it without /proc)", async () => {
  const entries = `${await testPrefix()}/lib/denit/src/entry`;
  for (const name of ["runit", "runit-init", "init"]) {
    const bundle = readOrUndefined(`${entries}/${name}.js`);
    // Not bundled (no esbuild): the sources load the tree lazily too.
    if (bundle === undefined) continue;
    assert(!/from\s*"node:|import\s*\(\s*"node:|require\("node:/.test(bundle), `${name}.js`);
  }
});

Deno.test("runit: services of the in-process stage 2 get the open-files limit process 1 was given", async () => {
  // A kernel starts init with 1024 (hard 4096); Deno raises its own to the hard limit, and
  // the supervision tree is a bundle of its own, which must still see what the launcher
  // passed on (it did not: services got 4096).
  const { root, svdir } = scanDir();
  Deno.writeTextFileSync(
    `${svdir}/demo/run`,
    '#!/bin/sh\necho "demo: files $(ulimit -n) $(ulimit -Hn)" >&2\nexec sleep 1000\n',
  );
  try {
    await using machine = await boot({
      ...STAGES,
      "2!": "#!/bin/sh\nexec sleep 1000\n",
      "2.runsvdir": `# stage 2 in process 1\nPATH=/usr/bin:/bin\n${svdir} log:.......\n`,
    }, { preExec: "ulimit -Sn 1024; ulimit -Hn 4096" });
    const text = await machine.waitConsole(/demo: files \d+ \d+/);
    assertMatch(text, /^demo: files 1024 4096$/m);
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});
