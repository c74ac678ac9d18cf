/**
 * svlogd on a full disk (spec svlogd.md §5.4, test case 41; DEVIATIONS.md 7): each run
 * happens in a private mount namespace on a small tmpfs (`unshare -m`), so nothing of
 * the host is touched. Checks: `N < n` deletes the oldest files and goes on, the lines
 * that remain are an unbroken run of the input; with nothing to delete svlogd pauses,
 * and ours still obeys SIGTERM (runit's does not).
 */

import { assert, assertEquals, assertMatch } from "./_assert.ts";
import { canMountTmpfs, tempDir } from "./_helpers.ts";
import { DEBIAN_SVLOGD, haveDebianSvlogd, ourSvlogd } from "./svlogd_helpers.ts";

const SCRIPT = `
set -u
root=$1; cmd=$2; shift 2
mount -t tmpfs -o size=\${FS_SIZE:-64k} none "$root/fs" || exit 99
mkdir "$root/fs/d"
cp "$root/config" "$root/fs/d/config"
cd "$root/fs"
"$cmd" "$@" d < "$root/input" 2> "$root/stderr" &
pid=$!
if [ -n "\${TERM_ON_PAUSE:-}" ]; then
  i=0
  while ! grep -q pausing "$root/stderr" && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done
  kill -TERM $pid
fi
wait $pid
echo $? > "$root/rc"
mkdir "$root/out"
cp -p d/* "$root/out/"
`;

const ignore = !canMountTmpfs();

interface DiskRun {
  code: number;
  stderr: string;
  /** Log contents, oldest first. */
  text: string;
  files: string[];
  seconds: number;
}

async function runOnTinyDisk(
  cmd: string,
  args: string[],
  config: string,
  input: string,
  env: Record<string, string> = {},
): Promise<DiskRun> {
  await using tmp = tempDir();
  Deno.mkdirSync(`${tmp.path}/fs`);
  Deno.writeTextFileSync(`${tmp.path}/config`, config);
  Deno.writeTextFileSync(`${tmp.path}/input`, input);
  const started = Date.now();
  const out = await new Deno.Command("timeout", {
    args: ["20", "unshare", "-m", "sh", "-c", SCRIPT, "sh", tmp.path, cmd, ...args],
    env,
    stdout: "null",
    stderr: "piped",
  }).output();
  const seconds = (Date.now() - started) / 1000;
  const rc = Number(Deno.readTextFileSync(`${tmp.path}/rc`).trim());
  const files = [...Deno.readDirSync(`${tmp.path}/out`)].map((e) => e.name).sort();
  let text = "";
  for (const name of files.filter((n) => n.startsWith("@"))) {
    text += Deno.readTextFileSync(`${tmp.path}/out/${name}`);
  }
  text += Deno.readTextFileSync(`${tmp.path}/out/current`);
  assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
  return { code: rc, stderr: Deno.readTextFileSync(`${tmp.path}/stderr`), text, files, seconds };
}

function numbered(count: number): string {
  let text = "";
  for (let i = 0; i < count; i++) text += `${String(i).padStart(6, "0")} ${"d".repeat(40)}\n`;
  return text;
}

Deno.test({
  name: "svlogd: full disk with N < n deletes the oldest and loses nothing after them",
  ignore,
  async fn() {
    const input = numbered(4000);
    const cmds = [await ourSvlogd(), ...(haveDebianSvlogd() ? [DEBIAN_SVLOGD] : [])];
    for (const cmd of cmds) {
      const run = await runOnTinyDisk(cmd, [], "s20000\nn10\nN1\n", input);
      assertEquals(run.code, 0, cmd);
      assertMatch(run.stderr, /^svlogd: warning: out of disk space, delete: d\/@[0-9a-f]{24}\.s$/m);
      assert(run.text.length > 0 && input.endsWith(run.text), `${cmd}: an unbroken tail`);
      assert(run.text.startsWith("0") || run.text.length % 48 === 0, `${cmd}: whole lines`);
    }
  },
});

Deno.test({
  name: "svlogd: what `n` deletes after a rotation makes room before `N` deletes more",
  ignore,
  async fn() {
    // Five old files and current fit in 2 MiB: `n` alone keeps the disk from filling, and
    // runit's svlogd, which unlinks before it writes on, never deletes for space here.
    // Ours unlinks while writing on (a 300 kB file's unlink can go to Deno's blocking
    // pool): a write that found the disk full before that unlink was done deleted another
    // file, ~300 kB of log (found by a soak).
    let input = "";
    for (let i = 0; i < 150_000; i++) {
      input += `${String(i).padStart(8, "0")} ${"x".repeat(i % 61)}\n`;
    }
    const cmds = [await ourSvlogd(), ...(haveDebianSvlogd() ? [DEBIAN_SVLOGD] : [])];
    for (const cmd of cmds) {
      const run = await runOnTinyDisk(cmd, ["-tt", "-v"], "s300000\nn5\nN2\n", input, {
        FS_SIZE: "2m",
      });
      assertEquals(run.code, 0, `${cmd}: ${run.stderr}`);
      const forSpace = run.stderr.split("\n").filter((l) => l.includes("out of disk space"));
      assertEquals(forSpace, [], `${cmd} deleted for space`);
      // Without the stamps (`-tt`: `YYYY-MM-DD_HH:MM:SS.xxxxx `, 26 characters).
      const lines = run.text.split("\n").slice(0, -1).map((line) => line.slice(26) + "\n");
      assert(lines.length > 0 && input.endsWith(lines.join("")), `${cmd}: an unbroken tail`);
    }
  },
});

Deno.test({
  name: "svlogd deviation: paused on a full disk, SIGTERM still stops it (case 41)",
  ignore,
  async fn() {
    const input = numbered(3000);
    const run = await runOnTinyDisk(await ourSvlogd(), [], "s0\n", input, { TERM_ON_PAUSE: "1" });
    assertEquals(run.code, 0);
    assertMatch(run.stderr, /^svlogd: pausing: unable to write to current: d: out of disk space$/m);
    assert(run.seconds < 10, `stopped in ${run.seconds} s`);
    assert(run.text.length > 0 && input.startsWith(run.text), "what was written is the head");
  },
});
