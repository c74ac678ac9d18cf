/**
 * runit as process 1 (spec runit.md §7, cases 3, 15 and 18): what the stages and the
 * ctrlaltdel script are given, and what ends the processes stage 2 leaves behind, side
 * by side with Debian's /sbin/runit where it is installed.
 */

import { assert, assertEquals, assertMatch } from "../_assert.ts";
import { readOrUndefined, spawn, waitFor } from "../_helpers.ts";
import { boot, ended } from "./_ns.ts";
import { request, sideBySide, STAGES } from "./_stages.ts";

/** The `NAME: value` line of a stage's report in `text`, or fails. */
function reported(text: string, name: string): string {
  const match = new RegExp(`^${name}: (.*)$`, "m").exec(text);
  assert(match !== null, `no "${name}:" line in:\n${text}`);
  return match[1]!;
}

Deno.test("runit side by side with Debian's: stage 1's fd 0 is the console, read-write (case 3)", async () => {
  // O_ACCMODE of fd 0's open flags (fdinfo's octal `flags:`): 2 is O_RDWR.
  const { ours, debian, ourStatus } = await sideBySide({
    ...STAGES,
    "1!": "#!/bin/sh\n" +
      'flags=$(sed -n "s/^flags:\\t//p" /proc/$$/fdinfo/0)\n' +
      'echo "fd 0 access: $(( 0$flags & 3 ))"\n' +
      'echo "fd 0 is: $(readlink /proc/$$/fd/0)"\n',
  }, async (machine) => {
    await machine.waitConsole("stage 2: pid=");
    await request(machine, "0");
  });
  assertEquals(ourStatus.signal, "SIGINT");
  assertEquals(reported(ours, "fd 0 access"), "2");
  assertEquals(reported(ours, "fd 0 is"), "/dev/console");
  if (debian !== undefined) {
    assertEquals(reported(debian, "fd 0 access"), "2");
    assertEquals(reported(debian, "fd 0 is"), "/dev/console");
  }
});

Deno.test("runit side by side with Debian's: ctrlaltdel runs in runit's session, nothing blocked (case 15, DEVIATIONS 4)", async () => {
  const { ours, debian, ourStatus } = await sideBySide({
    ...STAGES,
    "ctrlaltdel!": "#!/bin/sh\n" +
      "set -- $(cut -d' ' -f6 /proc/$$/stat)\n" +
      'echo "cad sid: $1"\n' +
      'echo "cad blocked: $(sed -n "s/^SigBlk:\\t//p" /proc/$$/status)"\n' +
      "install -m 100 /dev/null /run/runit.stopit\n" +
      "exit 5\n",
  }, async (machine) => {
    await machine.waitConsole("stage 2: pid=");
    machine.signal("SIGINT");
  });
  assertEquals(ourStatus.signal, "SIGINT");
  assertEquals(reported(ours, "cad sid"), "1");
  // DEVIATIONS.md 4: denit starts it with nothing blocked (the classic signals 1-31;
  // glibc's own 32 and 33 are not the question), where Debian's leaves runit's mask
  // (HUP, INT, PIPE, ALRM, TERM, CHLD, CONT, PWR), so that SIGTERM cannot stop it.
  const classic = (mask: string): bigint => BigInt("0x" + mask) & 0x7fffffffn;
  assertEquals(classic(reported(ours, "cad blocked")), 0n);
  if (debian !== undefined) {
    assertEquals(reported(debian, "cad sid"), "1");
    const bit = (signal: number): bigint => 1n << BigInt(signal - 1);
    const held = bit(1) | bit(2) | bit(15);
    assertEquals(classic(reported(debian, "cad blocked")) & held, held);
  }
});

Deno.test("runit: stage 2's leftovers live through stage 3 and end by the final kill(-1, SIGKILL) (case 18)", async () => {
  await using machine = await boot({
    ...STAGES,
    // A leftover that ignores TERM: only the final KILL ends it.
    "2!": "#!/bin/sh\n" +
      "sh -c 'trap \"\" TERM; while :; do sleep 0.05; done' &\n" +
      "echo $! >/run/leftover\n" +
      'echo "stage 2 up"\n' +
      "exec sleep 1000\n",
    "3!": "#!/bin/sh\n" +
      'kill -0 "$(cat /run/leftover)" && echo "leftover alive in stage 3"\n' +
      "exit 7\n",
  });
  await machine.waitConsole("stage 2 up");
  // init's kill(2) calls from here on.
  const trace = `${machine.etc}/../trace`;
  const strace = spawn("strace", ["-p", String(machine.initPid), "-e", "trace=kill", "-o", trace]);
  await waitFor(
    () => (readOrUndefined(`/proc/${machine.initPid}/status`) ?? "").match(/^TracerPid:\s*[1-9]/m),
    { what: "strace attached" },
  );
  await request(machine, "0");
  assertEquals((await ended(machine)).signal, "SIGINT");
  const text = await machine.waitConsole("power off...");
  await strace.status;
  const calls = readOrUndefined(trace) ?? "";
  await strace[Symbol.asyncDispose]();
  assertMatch(text, /^- runit: warning: child failed: \/etc\/runit\/3$/m);
  assertMatch(text, /^leftover alive in stage 3$/m);
  // The final phase: TERM to every process, then KILL to every process, in that order.
  const term = calls.indexOf("kill(-1, SIGTERM)");
  const kill = calls.indexOf("kill(-1, SIGKILL)");
  assert(term !== -1 && kill > term, `init's kill calls:\n${calls}`);
  const lines = text.split("\n");
  const order = [
    "- runit: leave stage: /etc/runit/3",
    "- runit: sending KILL signal to all processes...",
  ]
    .map((line) => lines.indexOf(line));
  assert(order[0]! !== -1 && order[1]! > order[0]!, text);
});
