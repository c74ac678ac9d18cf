import { assertEquals } from "../../tests/_assert.ts";
import type { StatusRecord } from "../status_record.ts";
import { bootSeconds, isLeftover, processStart, readProcessStart } from "./leftover.ts";

const SINCE = 1_800_000_000;
const record = (over: Partial<StatusRecord> = {}): StatusRecord => ({
  stamp: { seconds: BigInt(SINCE), nanoseconds: 500 },
  pid: 4242,
  paused: false,
  want: "up",
  term: false,
  state: "run",
  ...over,
});

Deno.test("isLeftover(): a live process that started when its record says", () => {
  assertEquals(isLeftover(record(), { startSeconds: SINCE - 0.3 }, 1), true);
  assertEquals(isLeftover(record({ state: "finish" }), { startSeconds: SINCE + 1.5 }, 1), true);
  // Reused pid: started long after (or before) the record's state began.
  assertEquals(isLeftover(record(), { startSeconds: SINCE + 60 }, 1), false);
  assertEquals(isLeftover(record(), { startSeconds: SINCE - 3 }, 1), false);
  // Nothing running by the record, nothing alive, or ourselves.
  assertEquals(isLeftover(record({ state: "down" }), { startSeconds: SINCE }, 1), false);
  assertEquals(isLeftover(record(), undefined, 1), false);
  assertEquals(isLeftover(undefined, { startSeconds: SINCE }, 1), false);
  assertEquals(isLeftover(record({ pid: 77 }), { startSeconds: SINCE }, 77), false);
  assertEquals(isLeftover(record({ pid: 1 }), { startSeconds: SINCE }, 5), false);
  assertEquals(isLeftover(record({ pid: 0 }), { startSeconds: SINCE }, 5), false);
});

Deno.test("processStart(): field 22 after the name, whatever the name holds; none for a zombie", () => {
  // tty_nr (7) … itrealvalue (21), then starttime (22) in clock ticks, vsize, rss.
  const tail = "0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 12345 1000 10";
  const stat = `4242 (a) b (c) S 1 4242 4242 ${tail}`;
  assertEquals(processStart(stat, 1_700_000_000), { startSeconds: 1_700_000_123.45 });
  assertEquals(processStart(`4242 (sleep) Z 1 4242 4242 ${tail}`, 1_700_000_000), undefined);
  assertEquals(processStart("garbage", 1_700_000_000), undefined);
  assertEquals(bootSeconds("cpu  1 2 3\nbtime 1700000000\nprocesses 9\n"), 1_700_000_000);
  assertEquals(bootSeconds("cpu  1 2 3\n"), undefined);
});

Deno.test("readProcessStart(): this process started a moment ago; a free pid has none", () => {
  const start = readProcessStart(Deno.pid);
  const age = Date.now() / 1000 - start!.startSeconds;
  assertEquals([age >= -2, age < 600], [true, true], `age ${age}`);
  assertEquals(readProcessStart(2 ** 22 + 1), undefined); // above pid_max's ceiling
});
