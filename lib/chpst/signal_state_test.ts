import { assertEquals } from "../../tests/_assert.ts";
import { parseSignalState, signalRestore } from "./signal_state.ts";

Deno.test("parseSignalState() reads SigIgn and SigBlk from /proc/PID/status text", () => {
  const status = "Name:\tx\nSigPnd:\t0000000000000000\nSigBlk:\t0000000008000800\n" +
    "SigIgn:\t0000000001005003\nSigCgt:\t0000000100000440\n";
  assertEquals(parseSignalState(status), { ignored: 0x1005003n, blocked: 0x8000800n });
  assertEquals(parseSignalState(""), { ignored: 0n, blocked: 0n });
});

Deno.test("signalRestore() resets Deno's ignored SIGPIPE and keeps the caller's ignores", () => {
  const inherited = { ignored: 0x1006n, blocked: 0n }; // INT, QUIT, PIPE
  assertEquals(signalRestore(inherited, { ignored: 0x1006n, blocked: 0n }), {
    ignore: [],
    reset: [13],
    setMask: false,
  });
  // Deno replaced the ignored INT with a handler: it is ignored again.
  assertEquals(signalRestore(inherited, { ignored: 0x1004n, blocked: 0n }).ignore, [2]);
  assertEquals(signalRestore(inherited, { ignored: 0x1006n, blocked: 1n }).setMask, true);
});

Deno.test("signalRestore() without the current state sets every settable signal", () => {
  const all = signalRestore({ ignored: 0x2n, blocked: 0n }, undefined);
  assertEquals(all.ignore, [2]);
  assertEquals(all.reset.length, 64 - 4 - 1);
  assertEquals(all.reset.includes(9) || all.reset.includes(33), false);
  assertEquals(all.setMask, true);
});
