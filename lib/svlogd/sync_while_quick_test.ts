import { assertEquals } from "../../tests/_assert.ts";
import { SyncWhileQuick } from "./sync_while_quick.ts";

Deno.test("SyncWhileQuick blocks while runs are quick, and goes back once they are again", async () => {
  let now = 0;
  const chooser = new SyncWhileQuick({ quickMs: 1, now: () => now });
  const used: string[] = [];
  const run = (ms: number): Promise<void> =>
    chooser.run(() => {
      used.push("blocking");
      now += ms;
    }, () => {
      used.push("background");
      now += ms;
      return Promise.resolve();
    });
  await run(0.5); // quick: stays blocking
  await run(5); // slow: the next one goes to the background
  await run(0.2); // quick again in the background: back to blocking
  await run(0.1);
  assertEquals(used, ["blocking", "blocking", "background", "blocking"]);
});

Deno.test("SyncWhileQuick counts a failing run's time too, and rethrows", async () => {
  let now = 0;
  const chooser = new SyncWhileQuick({ quickMs: 1, now: () => now });
  let failed = false;
  await chooser.run(() => {
    now += 10;
    throw new Error("EIO");
  }, () => Promise.resolve()).catch(() => (failed = true));
  assertEquals([failed, chooser.quick], [true, false]);
});
