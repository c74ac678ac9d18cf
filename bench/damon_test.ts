import { assertEquals, assertRejects } from "../tests/_assert.ts";
import { runningKdamonds, withDamonPaused } from "./damon.ts";

/** A stand-in for /sys/kernel/mm/damon/admin/kdamonds: kdamond number → state. */
function fakeKdamonds(states: Record<string, string>): string {
  const root = Deno.makeTempDirSync({ prefix: "denit-damon-" });
  Deno.writeTextFileSync(`${root}/nr_kdamonds`, `${Object.keys(states).length}\n`);
  for (const [name, state] of Object.entries(states)) {
    Deno.mkdirSync(`${root}/${name}`);
    Deno.writeTextFileSync(`${root}/${name}/state`, `${state}\n`);
  }
  return root;
}

function states(root: string, names: string[]): string[] {
  return names.map((name) => Deno.readTextFileSync(`${root}/${name}/state`).trim());
}

Deno.test("runningKdamonds: only the numbered kdamonds that are on", () => {
  const root = fakeKdamonds({ "0": "on", "1": "off", "2": "on" });
  try {
    assertEquals(runningKdamonds(root), [`${root}/0/state`, `${root}/2/state`]);
    assertEquals(runningKdamonds(`${root}/absent`), []);
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("withDamonPaused: off while measuring, on again after; an idle one stays off", async () => {
  const root = fakeKdamonds({ "0": "on", "1": "off", "2": "on" });
  try {
    const during = await withDamonPaused(
      () => Promise.resolve(states(root, ["0", "1", "2"])),
      root,
    );
    assertEquals(during, ["off", "off", "off"]);
    assertEquals(states(root, ["0", "1", "2"]), ["on", "off", "on"]);
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("withDamonPaused: on again after the measurement throws", async () => {
  const root = fakeKdamonds({ "0": "on" });
  try {
    await assertRejects(() =>
      withDamonPaused(() => {
        throw new Error("measurement failed");
      }, root), Error);
    assertEquals(states(root, ["0"]), ["on"]);
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("withDamonPaused: nothing running, nothing measured", async () => {
  const root = fakeKdamonds({ "0": "off" });
  try {
    let ran = false;
    const result = await withDamonPaused(() => {
      ran = true;
      return Promise.resolve(1);
    }, root);
    assertEquals([result, ran], [undefined, false]);
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});
