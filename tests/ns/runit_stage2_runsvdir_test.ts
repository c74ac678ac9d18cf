/**
 * Stage 2 as `/etc/runit/2` running `exec runsvdir -P DIR` (the usual runit setup, no
 * 2.runsvdir): on shutdown runsvdir stops every service itself, giving one that ignores
 * TERM 7 s before SIGKILL. Process 1 must not kill runsvdir before that (denit's runit
 * gives it the time), and under a runit that kills its stage 2 5 s after TERM (Debian's)
 * runsvdir shortens its stop to fit: either way ./finish runs and no logged line is lost.
 */

import { assert, assertEquals, assertMatch } from "../_assert.ts";
import { bin, readOrUndefined, waitFor } from "../_helpers.ts";
import { boot, ended } from "./_ns.ts";
import { request, STAGES } from "./_stages.ts";

/**
 * A scan directory with one service that ignores TERM and logs in-process; every line it
 * writes to stdout it then appends to `side`, so each line in `side` must be in the log.
 */
function scanDir(): { root: string; svdir: string; service: string } {
  const root = Deno.makeTempDirSync({ prefix: "denit-stage2-runsvdir-" });
  const svdir = `${root}/service`;
  const service = `${svdir}/stubborn`;
  Deno.mkdirSync(`${service}/log/main`, { recursive: true });
  Deno.writeTextFileSync(
    `${service}/run`,
    "#!/bin/sh\n" +
      "trap 'echo ignored TERM; echo ignored TERM >>side' TERM\n" +
      "i=0\n" +
      'while :; do i=$((i+1)); echo "line $i"; echo "line $i" >>side; sleep 0.05; done\n',
  );
  Deno.writeTextFileSync(`${service}/finish`, '#!/bin/sh\necho "finish $*" >finished\n');
  Deno.chmodSync(`${service}/run`, 0o755);
  Deno.chmodSync(`${service}/finish`, 0o755);
  Deno.writeTextFileSync(`${service}/log/svlogd`, "./main\n");
  return { root, svdir, service };
}

/** Every line the service recorded in `side` is in its log, in order. */
function assertAllLogged(service: string): void {
  const side = (readOrUndefined(`${service}/side`) ?? "").split("\n").filter((l) => l !== "");
  assert(side.includes("ignored TERM"), `the service saw TERM: ${side.slice(-3)}`);
  const logged = (readOrUndefined(`${service}/log/main/current`) ?? "").split("\n");
  const missing = side.filter((line) => !logged.includes(line));
  assertEquals(missing, [], `lines written but not logged (of ${side.length})`);
}

Deno.test("runit: a stage 2 that is runsvdir gets the time to stop a TERM-ignoring service", async () => {
  const { root, svdir, service } = scanDir();
  try {
    await using machine = await boot({
      ...STAGES,
      "2!": `#!/bin/sh\nexec '${await bin("runsvdir")}' -P '${svdir}'\n`,
    });
    await waitFor(() => (readOrUndefined(`${service}/side`) ?? "").includes("line 5\n"), {
      timeoutMs: 20_000,
      what: "the service's first lines",
    });
    await request(machine, "0");
    assertEquals((await ended(machine, 40_000)).signal, "SIGINT");
    const all = machine.console();
    assert(!all.includes("stage 2 not terminated"), all);
    assertMatch(readOrUndefined(`${service}/finished`) ?? "", /^finish -1 9\n$/);
    assertAllLogged(service);
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("runsvdir under a runit that kills its stage 2 5 s after TERM: stops within that", async () => {
  const { root, svdir, service } = scanDir();
  // Process 1 named runit (as /proc/1/comm shows Debian's), not denit's binary: it starts
  // runsvdir, sends it TERM, and SIGKILL 5 s later as runit 2.1.2's stage 2 handling does.
  const runit = `${root}/runit`;
  Deno.writeTextFileSync(
    runit,
    "#!/bin/sh\nexec >/dev/console 2>&1\n" +
      `'${await bin("runsvdir")}' -P '${svdir}' &\npid=$!\n` +
      `while ! grep -q 'line 5' '${service}/side' 2>/dev/null; do sleep 0.1; done\n` +
      "kill -TERM $pid\n(sleep 5; kill -KILL $pid) &\nkiller=$!\n" +
      'wait $pid\necho "runsvdir exit $?"\nkill $killer\n',
  );
  Deno.chmodSync(runit, 0o755);
  try {
    await using machine = await boot({}, { command: runit });
    await ended(machine, 40_000);
    assertMatch(machine.console(), /^runsvdir exit 0$/m);
    assertMatch(readOrUndefined(`${service}/finished`) ?? "", /^finish -1 9\n$/);
    assertAllLogged(service);
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});
