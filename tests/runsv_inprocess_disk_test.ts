/**
 * The in-process log on a full disk (DEVIATIONS.md items 7 and 13): runsv's svlogd engine
 * pauses, and SIGTERM to runsv still ends everything. Runs in a private mount namespace on
 * a 64 KiB tmpfs (`unshare -m`), so nothing of the host is touched.
 */

import { assertEquals, assertMatch } from "./_assert.ts";
import { bin, canMountTmpfs, run, tempDir, writeTree } from "./_helpers.ts";

const SCRIPT = `
set -u
root=$1; runsv=$2
mount -t tmpfs -o size=64k none "$root/s/log/main" || exit 99
cd "$root"
"$runsv" s 2> "$root/stderr" &
pid=$!
i=0
while ! grep -q pausing "$root/stderr" && [ $i -lt 400 ]; do sleep 0.05; i=$((i+1)); done
if ! grep -q pausing "$root/stderr"; then kill -KILL $pid; echo nopause > "$root/rc"; exit 0; fi
kill -TERM $pid
i=0
while kill -0 $pid 2>/dev/null && [ $i -lt 300 ]; do sleep 0.05; i=$((i+1)); done
if kill -0 $pid 2>/dev/null; then kill -KILL $pid; wait $pid; echo hung > "$root/rc"; exit 0; fi
wait $pid
echo $? > "$root/rc"
`;

Deno.test({
  name: "in-process log: SIGTERM ends runsv while svlogd is paused on a full disk",
  ignore: !canMountTmpfs(),
  async fn() {
    await using tmp = tempDir();
    writeTree(tmp.path, {
      "s/run!": "#!/bin/sh\nwhile :; do echo 0123456789012345678901234567890123456789; done\n",
      "s/log/svlogd": "./main\n",
      "s/log/main": null,
    });
    Deno.writeTextFileSync(`${tmp.path}/script`, SCRIPT);
    const result = await run("unshare", [
      "-m",
      "sh",
      `${tmp.path}/script`,
      tmp.path,
      await bin("runsv"),
    ], {
      timeoutMs: 40_000,
    });
    assertEquals(result.code, 0, result.stderr);
    const stderr = Deno.readTextFileSync(`${tmp.path}/stderr`);
    assertMatch(stderr, /pausing/);
    assertEquals(Deno.readTextFileSync(`${tmp.path}/rc`).trim(), "0", stderr);
  },
});
