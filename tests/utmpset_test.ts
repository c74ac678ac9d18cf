/**
 * utmpset side by side with Debian's, on scratch utmp/wtmp files: each run happens in a
 * private mount namespace with tmpfs over /run and /var/log, so the real databases are
 * never touched (spec utmpset.md §6).
 */

import { assert, assertEquals } from "./_assert.ts";
import { bin, run, tempDir } from "./_helpers.ts";
import { decodeUtmp, encodeUtmp, UTMP_SIZE } from "../lib/utmp.ts";

const DEBIAN = "/usr/sbin/utmpset";

function canUnshare(): boolean {
  try {
    const out = new Deno.Command("unshare", {
      args: ["--mount", "sh", "-c", "mount -t tmpfs tmpfs /run"],
      stdout: "null",
      stderr: "null",
    }).outputSync();
    return out.success;
  } catch {
    return false;
  }
}

const haveDebian = (() => {
  try {
    return Deno.statSync(DEBIAN).isFile;
  } catch {
    return false;
  }
})();
const ready = canUnshare();

interface Outcome {
  code: number;
  stderr: string;
  utmp: Uint8Array | undefined;
  wtmp: Uint8Array | undefined;
  wtmpMode: string;
}

const SCRIPT = `
set -u
mount -t tmpfs tmpfs /run || exit 97
mount -t tmpfs tmpfs /var/log || exit 97
mkdir -p /run
[ -f "$T/utmp.in" ] && cp "$T/utmp.in" /run/utmp
[ -f "$T/wtmp.in" ] && cp "$T/wtmp.in" /var/log/wtmp
umask 022
"$@"
rc=$?
[ -f /run/utmp ] && cp /run/utmp "$T/utmp.out"
[ -f /var/log/wtmp ] && cp /var/log/wtmp "$T/wtmp.out" && stat -c %a /var/log/wtmp >"$T/wtmp.mode"
exit $rc
`;

function readMaybe(path: string): Uint8Array | undefined {
  try {
    return Deno.readFileSync(path);
  } catch {
    return undefined;
  }
}

async function inNamespace(
  prog: string,
  args: string[],
  files: { utmp?: Uint8Array; wtmp?: Uint8Array },
): Promise<Outcome> {
  await using t = tempDir("denit-utmpset-");
  if (files.utmp) Deno.writeFileSync(`${t.path}/utmp.in`, files.utmp);
  if (files.wtmp) Deno.writeFileSync(`${t.path}/wtmp.in`, files.wtmp);
  const result = await run("unshare", ["--mount", "sh", "-c", SCRIPT, "sh", prog, ...args], {
    env: { T: t.path },
  });
  return {
    code: result.code,
    stderr: result.stderr,
    utmp: readMaybe(`${t.path}/utmp.out`),
    wtmp: readMaybe(`${t.path}/wtmp.out`),
    wtmpMode: (readMaybe(`${t.path}/wtmp.mode`) ?? new Uint8Array()).length > 0
      ? new TextDecoder().decode(readMaybe(`${t.path}/wtmp.mode`)).trim()
      : "",
  };
}

function sampleUtmp(): Uint8Array {
  const records = [
    encodeUtmp({ type: 2, line: "~", user: "reboot", tvSec: 1000 }),
    encodeUtmp({
      type: 7,
      pid: 111,
      line: "tty5",
      id: "5",
      user: "alice",
      host: "host1",
      tvSec: 2000,
      tvUsec: 7,
    }),
    encodeUtmp({ type: 7, pid: 222, line: "tty6", id: "6" }),
    encodeUtmp({ type: 7, pid: 333, line: "tty6", id: "6", user: "bob", host: "host2", tvUsec: 9 }),
    encodeUtmp({ type: 7, pid: 444, line: "tty6", id: "6", user: "carol", host: "host3" }),
  ];
  const bytes = new Uint8Array(records.length * UTMP_SIZE);
  records.forEach((r, i) => bytes.set(r, i * UTMP_SIZE));
  return bytes;
}

function record(bytes: Uint8Array | undefined, index: number): Uint8Array {
  assert(bytes !== undefined, "file exists");
  return bytes.subarray(index * UTMP_SIZE, (index + 1) * UTMP_SIZE);
}

/** Zeroes tv_sec of every record after checking it is `now` (±60 s), for comparisons. */
function withoutTimes(
  bytes: Uint8Array | undefined,
  now: number,
  changed: number[],
): Uint8Array | undefined {
  if (bytes === undefined) return undefined;
  const copy = bytes.slice();
  const v = new DataView(copy.buffer);
  for (const index of changed) {
    const sec = v.getInt32(index * UTMP_SIZE + 340, true);
    assert(Math.abs(sec - now) < 60, `record ${index} time ${sec} is now`);
    v.setInt32(index * UTMP_SIZE + 340, 0, true);
  }
  return copy;
}

const options = { ignore: !ready, sanitizeResources: false, sanitizeOps: false };

Deno.test({
  name: "utmpset usage errors: no line, -V, unknown option (exit 1)",
  ...options,
  ignore: !haveDebian,
  async fn() {
    const ours = await bin("utmpset");
    for (const args of [[], ["-V"], ["-x"], ["-w"]]) {
      const a = await run(ours, args);
      const b = await run(DEBIAN, args);
      assertEquals(a.code, 1, `code for ${args}`);
      assertEquals(a.code, b.code);
      assertEquals(
        a.stderr.replaceAll(ours, "ARGV0"),
        b.stderr.replaceAll(DEBIAN, "ARGV0"),
        `${args}`,
      );
    }
  },
});

const CASES: {
  args: string[];
  utmp?: boolean;
  wtmp?: boolean;
  changedUtmp: number[];
  wtmpAppended: boolean;
}[] = [
  { args: ["tty9"], utmp: true, wtmp: true, changedUtmp: [], wtmpAppended: false },
  { args: ["tty6"], utmp: true, wtmp: true, changedUtmp: [3], wtmpAppended: false },
  { args: ["-w", "tty5"], utmp: true, wtmp: true, changedUtmp: [1], wtmpAppended: true },
  { args: ["-w", "tty5"], utmp: true, changedUtmp: [1], wtmpAppended: true },
  { args: ["-w", "tty5"], changedUtmp: [], wtmpAppended: false },
  { args: ["-w", "x".repeat(40)], utmp: true, changedUtmp: [], wtmpAppended: false },
];

for (const c of CASES) {
  Deno.test({
    name: `utmpset ${c.args.join(" ").slice(0, 20)} (utmp ${c.utmp ? "present" : "missing"}, wtmp ${
      c.wtmp ? "present" : "missing"
    }) matches Debian's`,
    ...options,
    ignore: !ready || !haveDebian,
    async fn() {
      const files = {
        ...(c.utmp ? { utmp: sampleUtmp() } : {}),
        ...(c.wtmp ? { wtmp: encodeUtmp({ type: 8, line: "old" }) } : {}),
      };
      const now = Math.floor(Date.now() / 1000);
      const ours = await inNamespace(await bin("utmpset"), c.args, files);
      const theirs = await inNamespace(DEBIAN, c.args, files);
      assert(ours.code !== 97 && theirs.code !== 97, "scratch mounts work");
      assertEquals(ours.code, theirs.code, "exit code");
      assertEquals(ours.stderr, theirs.stderr, "stderr");
      assertEquals(ours.wtmpMode, theirs.wtmpMode, "wtmp mode");
      assertEquals(
        withoutTimes(ours.utmp, now, c.changedUtmp),
        withoutTimes(theirs.utmp, now, c.changedUtmp),
      );
      const appended = (o: Outcome): number[] => {
        const count = (o.wtmp?.length ?? 0) / UTMP_SIZE;
        return c.wtmpAppended ? [count - 1] : [];
      };
      assertEquals(
        withoutTimes(ours.wtmp, now, appended(ours)),
        withoutTimes(theirs.wtmp, now, appended(theirs)),
      );
      if (c.wtmpAppended) {
        const last = decodeUtmp(record(ours.wtmp, (ours.wtmp!.length / UTMP_SIZE) - 1));
        assertEquals([last.type, last.pid, last.tvUsec, new TextDecoder().decode(last.line)], [
          8,
          0,
          0,
          "tty5",
        ]);
      }
    },
  });
}

Deno.test({
  name: "utmpset: a second logout of the same line finds no entry",
  ...options,
  async fn() {
    const first = await inNamespace(await bin("utmpset"), ["tty5"], { utmp: sampleUtmp() });
    assertEquals(first.code, 0);
    const again = await inNamespace(await bin("utmpset"), ["tty5"], { utmp: first.utmp! });
    assertEquals(again.code, 111);
    assertEquals(
      again.stderr,
      "utmpset: warning: unable to logout line tty5 in utmp: no such entry\n",
    );
  },
});
