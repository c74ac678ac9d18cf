import { assertEquals } from "../../tests/_assert.ts";
import { parseSignalState } from "./signal_state.ts";

Deno.test("parseSignalState() reads SigIgn and SigBlk from /proc/PID/status text", () => {
  const status = "Name:\tx\nSigPnd:\t0000000000000000\nSigBlk:\t0000000008000800\n" +
    "SigIgn:\t0000000001005003\nSigCgt:\t0000000100000440\n";
  assertEquals(parseSignalState(status), { ignored: 0x1005003n, blocked: 0x8000800n });
  assertEquals(parseSignalState(""), { ignored: 0n, blocked: 0n });
});
