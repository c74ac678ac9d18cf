import { assertEquals } from "../../tests/_assert.ts";
import { type KnownService, planScan, type ScanEntry, serviceId } from "./scan.ts";

function dir(name: string, ino: number, dev = 1): ScanEntry {
  return { name, kind: "directory", dev, ino };
}

function known(...ids: [string, boolean][]): Map<string, KnownService> {
  return new Map(ids.map(([id, running]) => [id, { running }]));
}

Deno.test("`planScan()` adds every new directory in readdir order", () => {
  const plan = planScan(new Map(), [dir("b", 2), dir("a", 1)]);
  assertEquals(plan.add, [{ id: "1:2", name: "b" }, { id: "1:1", name: "a" }]);
  assertEquals(plan.remove, []);
});

Deno.test("`planScan()` skips dot entries, plain files and second names", () => {
  const plan = planScan(new Map(), [
    dir(".hidden", 5),
    { name: "file", kind: "other" },
    dir("e1", 7),
    dir("e2", 7),
  ]);
  assertEquals(plan.add, [{ id: "1:7", name: "e1" }]);
});

Deno.test("`planScan()` keeps a renamed service: identity is dev+ino", () => {
  const plan = planScan(known(["1:1", true]), [dir("a-renamed", 1)]);
  assertEquals(plan, { add: [], restart: [], remove: [], statErrors: [], tooMany: [] });
});

Deno.test("`planScan()` tells dev apart", () => {
  const plan = planScan(known([serviceId(1, 1), true]), [dir("a", 1, 2)]);
  assertEquals(plan.add, [{ id: "2:1", name: "a" }]);
  assertEquals(plan.remove, ["1:1"]);
});

Deno.test("`planScan()` replaces a directory replaced under the same name", () => {
  const plan = planScan(known(["1:1", true]), [dir("z", 9)]);
  assertEquals(plan.add, [{ id: "1:9", name: "z" }]);
  assertEquals(plan.remove, ["1:1"]);
});

Deno.test("`planScan()` restarts a known service whose supervisor ended", () => {
  const plan = planScan(known(["1:1", false], ["1:2", true]), [dir("a", 1), dir("b", 2)]);
  assertEquals(plan.restart, [{ id: "1:1", name: "a" }]);
  assertEquals(plan.add, []);
});

Deno.test("`planScan()` removes what is gone, but not after a readdir error", () => {
  assertEquals(planScan(known(["1:1", true]), []).remove, ["1:1"]);
  assertEquals(planScan(known(["1:1", true]), [], { complete: false }).remove, []);
});

Deno.test("`planScan()` reports stat errors on every scan and skips them", () => {
  const error = new Error("x");
  const plan = planScan(new Map(), [{ name: "dangling", kind: "error", error }]);
  assertEquals(plan.statErrors, [{ name: "dangling", error }]);
  assertEquals(plan.add, []);
  // dot entries are skipped before stat, as runit does
  assertEquals(planScan(new Map(), [{ name: ".d", kind: "error", error }]).statErrors, []);
});

Deno.test("`planScan()` refuses services over the limit", () => {
  const plan = planScan(known(["1:1", true]), [dir("a", 1), dir("b", 2), dir("c", 3)], {
    maxServices: 2,
  });
  assertEquals(plan.add, [{ id: "1:2", name: "b" }]);
  assertEquals(plan.tooMany, ["c"]);
});
