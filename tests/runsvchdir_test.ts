/**
 * runsvchdir: the spec's cases (spec/runsvchdir.md "Test cases"), each run in a private
 * mount namespace with a tmpfs over /etc/runit (never the host's real /etc), for our
 * applet and, side by side, for Debian's /usr/sbin/runsvchdir: exit code, stdout, stderr
 * (argv[0] normalised) and the resulting links must be identical.
 */

import { assertEquals } from "./_assert.ts";
import { bin, exists, run } from "./_helpers.ts";

const DEBIAN = "/usr/sbin/runsvchdir";

function canUnshare(): boolean {
  try {
    Deno.statSync("/usr/bin/unshare");
    Deno.statSync("/etc/runit");
    return Deno.uid() === 0;
  } catch {
    return false;
  }
}

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
  tree: string;
}

function shellQuote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/** Runs `setup` then `PROG args` inside a fresh tmpfs on /etc/runit; lists the result. */
async function inNamespace(
  program: string,
  setup: string,
  args: readonly string[],
): Promise<Outcome> {
  const script = [
    "set -e",
    "mount -t tmpfs tmpfs /etc/runit",
    "cd /etc/runit",
    setup,
    "set +e",
    `${shellQuote(program)} ${args.map(shellQuote).join(" ")} >/tmp/.o.$$ 2>/tmp/.e.$$`,
    "rc=$?",
    'cat /tmp/.o.$$; printf "\\036"; cat /tmp/.e.$$; printf "\\036%s\\036" "$rc"',
    "rm -f /tmp/.o.$$ /tmp/.e.$$",
    "cd /etc/runit && find . -mindepth 1 -printf '%p %y %l\\n' | sort",
  ].join("\n");
  const result = await run("unshare", ["--mount", "--propagation", "private", "sh", "-c", script]);
  const [stdout = "", stderr = "", rc = "", tree = ""] = result.stdout.split("\x1e");
  if (rc === "") throw new Error(`namespace script failed: ${result.stderr}`);
  return {
    code: Number(rc),
    stdout,
    stderr: stderr.replaceAll(program, "PROG"),
    tree,
  };
}

const RUNLEVELS = [
  "mkdir -p runsvdir/default runsvdir/other runsvdir/single /etc/runit/abs",
  "ln -s default runsvdir/current",
  "ln -s single runsvdir/previous",
].join("\n");

interface Case {
  name: string;
  setup: string;
  args: string[];
  code: number;
  stdout?: string;
  stderr?: string;
  tree?: string[];
}

const CASES: Case[] = [
  { name: "no argument prints usage", setup: "", args: [], code: 1 },
  {
    name: "a dot name is refused before anything else",
    setup: "",
    args: [".foo"],
    code: 111,
    stderr: "PROG: fatal: .foo: must not start with a dot.\n",
  },
  {
    name: "missing /etc/runit/runsvdir",
    setup: "",
    args: ["foo"],
    code: 111,
    stderr: "PROG: fatal: unable to chdir: /etc/runit/runsvdir: file does not exist\n",
  },
  {
    name: "missing target",
    setup: RUNLEVELS,
    args: ["foo"],
    code: 111,
    stderr: "PROG: fatal: foo: file does not exist\n",
  },
  {
    name: "target is a regular file",
    setup: `${RUNLEVELS}\n: >runsvdir/afile`,
    args: ["afile"],
    code: 111,
    stderr: "PROG: fatal: afilenot a directory.\n",
  },
  {
    name: "no current link",
    setup: "mkdir -p runsvdir/default runsvdir/other",
    args: ["other"],
    code: 111,
    stderr: "PROG: fatal: unable to stat: current: file does not exist\n",
  },
  {
    name: "already current",
    setup: RUNLEVELS,
    args: ["default"],
    code: 0,
    stdout: "runsvchdir: default: current.\n",
    tree: ["./runsvdir/current l default", "./runsvdir/previous l single"],
  },
  {
    name: "switch to other",
    setup: RUNLEVELS,
    args: ["other"],
    code: 0,
    stdout: "runsvchdir: other: now current.\n",
    tree: ["./runsvdir/current l other", "./runsvdir/previous l default"],
  },
  {
    name: "switch back",
    setup: `${RUNLEVELS}\nrm runsvdir/current runsvdir/previous\n` +
      "ln -s other runsvdir/current\nln -s default runsvdir/previous",
    args: ["default"],
    code: 0,
    stdout: "runsvchdir: default: now current.\n",
    tree: ["./runsvdir/current l default", "./runsvdir/previous l other"],
  },
  {
    name: "absolute target is linked verbatim",
    setup: RUNLEVELS,
    args: ["/etc/runit/abs"],
    code: 0,
    stdout: "runsvchdir: /etc/runit/abs: now current.\n",
    tree: ["./runsvdir/current l /etc/runit/abs"],
  },
  {
    name: "stale current.new directory",
    setup: `${RUNLEVELS}\nmkdir runsvdir/current.new`,
    args: ["other"],
    code: 111,
    stderr: "PROG: fatal: unable to unlink: current.new: is a directory\n",
    tree: ["./runsvdir/current l default"],
  },
  {
    name: "current is a real directory",
    setup: "mkdir -p runsvdir/current/x runsvdir/other",
    args: ["other"],
    code: 0,
    tree: ["./runsvdir/current l other", "./runsvdir/previous d ", "./runsvdir/previous/x d "],
  },
  {
    name: "previous is a non-empty directory",
    setup: "mkdir -p runsvdir/default runsvdir/other runsvdir/previous/x\n" +
      "ln -s default runsvdir/current",
    args: ["other"],
    code: 111,
    stderr: "PROG: fatal: unable to unlink: previous: is a directory\n",
    tree: ["./runsvdir/current l default", "./runsvdir/current.new l other"],
  },
  {
    name: "dangling symlink target",
    setup: `${RUNLEVELS}\nln -s nowhere runsvdir/dangling`,
    args: ["dangling"],
    code: 111,
    stderr: "PROG: fatal: dangling: file does not exist\n",
  },
];

const ignore = !canUnshare();

for (const testCase of CASES) {
  Deno.test({
    name: `runsvchdir: ${testCase.name}`,
    ignore,
    async fn(): Promise<void> {
      const ours = await inNamespace(await bin("runsvchdir"), testCase.setup, testCase.args);
      assertEquals(ours.code, testCase.code, `exit code; stderr: ${ours.stderr}`);
      if (testCase.stdout !== undefined) assertEquals(ours.stdout, testCase.stdout);
      if (testCase.stderr !== undefined) assertEquals(ours.stderr, testCase.stderr);
      if (testCase.args.length === 0) assertEquals(ours.stderr, "usage: PROG dir\n\n");
      for (const line of testCase.tree ?? []) {
        assertEquals(ours.tree.split("\n").includes(line), true, `${line} in\n${ours.tree}`);
      }
      if (exists(DEBIAN)) {
        const theirs = await inNamespace(DEBIAN, testCase.setup, testCase.args);
        assertEquals(ours, theirs, "same as Debian's runsvchdir");
      }
    },
  });
}

Deno.test({
  name: "runsvchdir: success lines say runsvchdir whatever argv[0] is",
  ignore,
  async fn(): Promise<void> {
    const program = await bin("runsvchdir");
    const ours = await inNamespace(program, RUNLEVELS, ["other"]);
    assertEquals(ours.stdout, "runsvchdir: other: now current.\n");
    const refused = await inNamespace(program, "", [".x"]);
    assertEquals(refused.stderr, "PROG: fatal: .x: must not start with a dot.\n");
  },
});

Deno.test({
  name: "runsvchdir: our runsvdir follows a switch; a service in both runlevels keeps its pid",
  ignore,
  async fn(): Promise<void> {
    const runsvdir = await bin("runsvdir");
    const runsvchdir = await bin("runsvchdir");
    const script = `
set -e
mount -t tmpfs tmpfs /etc/runit
cd /etc/runit
for s in common onlydefault onlyother; do
  mkdir -p sv/$s; printf '#!/bin/sh\\nexec sleep 1000\\n' >sv/$s/run; chmod 755 sv/$s/run
done
mkdir -p runsvdir/default runsvdir/other
ln -s ../../sv/common runsvdir/default/common
ln -s ../../sv/onlydefault runsvdir/default/onlydefault
ln -s ../../sv/common runsvdir/other/common
ln -s ../../sv/onlyother runsvdir/other/onlyother
ln -s default runsvdir/current
${shellQuote(runsvdir)} -P /etc/runit/runsvdir/current 2>/dev/null &
rd=$!
trap 'kill -TERM $rd 2>/dev/null; wait $rd' EXIT
until_ok() { i=0; until eval "$1"; do i=$((i+1)); [ $i -lt 100 ] || { echo "timeout: $1"; exit 1; }; sleep 0.1; done; }
running() { [ "$(cat sv/$1/supervise/stat 2>/dev/null)" = run ]; }
until_ok "running common && running onlydefault"
c1=$(cat sv/common/supervise/pid)
${shellQuote(runsvchdir)} other
until_ok "running onlyother"
until_ok '[ "$(cat sv/onlydefault/supervise/stat)" = down ]'
c2=$(cat sv/common/supervise/pid)
echo "same=$([ "$c1" = "$c2" ] && echo yes || echo no) current=$(readlink runsvdir/current) previous=$(readlink runsvdir/previous)"
`;
    const result = await run(
      "unshare",
      ["--mount", "--propagation", "private", "sh", "-c", script],
      { timeoutMs: 40_000 },
    );
    assertEquals(
      result.stdout,
      "runsvchdir: other: now current.\nsame=yes current=other previous=default\n",
      result.stderr,
    );
  },
});
