/**
 * Bad input for runsv that needs a read-only file system: a private mount namespace
 * (`unshare -m`) bind-mounts `supervise/` read-only. Ours and Debian's C runsv must print
 * the same messages (one fewer from ours: it skips a state runit writes in between),
 * keep running and stop the service all the same.
 */

import { assertEquals } from "./_assert.ts";
import { bin, haveDebianRunit, run, tempDir, writeTree } from "./_helpers.ts";

async function canUnshare(): Promise<boolean> {
  try {
    return (await run("unshare", ["-m", "true"])).code === 0;
  } catch {
    return false;
  }
}

const DRIVE = `#!/bin/sh
# $1 = runsv; supervise/ goes read-only while the service runs, then writable again.
"$1" s 2>err.txt & pid=$!
i=0; while [ "$(cat s/supervise/stat 2>/dev/null)" != run ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done
mount --bind -o ro s/supervise s/supervise
printf d > s/supervise/control
sleep 1.5
umount s/supervise
printf x > s/supervise/control
wait $pid; echo "rc=$?" >>err.txt
`;

const STAT_WARNING = "runsv s: warning: unable to open supervise/stat.new: read-only file system\n";
// runit tries two writes for `d` ("run, want down", then "run, got TERM, want down"), so
// it warns twice; denit writes the last state only (docs/runsv.md), so it warns once.
// Both then warn for the pid file when the service has stopped.
const EXPECTED_TAIL =
  "runsv s: warning: unable to open supervise/pid.new: read-only file system\n" +
  "rc=0\n";
const EXPECTED_DENIT = STAT_WARNING + EXPECTED_TAIL;
const EXPECTED_RUNIT = STAT_WARNING + STAT_WARNING + EXPECTED_TAIL;

Deno.test({
  name: "runsv: read-only supervise/ at run time: runit's warnings, no crash, service stops",
  ignore: !(await canUnshare()),
  async fn() {
    await using tmp = tempDir();
    const impls = [await bin("runsv"), ...(haveDebianRunit() ? ["/usr/bin/runsv"] : [])];
    for (const [index, runsv] of impls.entries()) {
      const dir = `${tmp.path}/${index}`;
      writeTree(dir, { "s/run!": "#!/bin/sh\nexec sleep 1000\n", "drive.sh!": DRIVE });
      const result = await run("unshare", ["-m", "./drive.sh", runsv], { cwd: dir });
      assertEquals(result.code, 0, result.stderr);
      const expected = runsv === "/usr/bin/runsv" ? EXPECTED_RUNIT : EXPECTED_DENIT;
      assertEquals(Deno.readTextFileSync(`${dir}/err.txt`), expected, runsv);
      assertEquals(Deno.readTextFileSync(`${dir}/s/supervise/stat`), "down\n");
    }
  },
});

Deno.test({
  name: "runsv: read-only supervise/ at start-up is fatal: unable to open supervise/lock",
  ignore: !(await canUnshare()),
  async fn() {
    await using tmp = tempDir();
    writeTree(tmp.path, { "s/run!": "#!/bin/sh\nexec sleep 1000\n", "s/supervise": null });
    const script = `mount --bind -o ro s/supervise s/supervise && exec "$0" s`;
    const result = await run("unshare", ["-m", "sh", "-c", script, await bin("runsv")], {
      cwd: tmp.path,
    });
    assertEquals([result.code, result.stderr], [
      111,
      "runsv s: fatal: unable to open supervise/lock: read-only file system\n",
    ]);
  },
});
