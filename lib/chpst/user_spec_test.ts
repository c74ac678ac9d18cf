import { assertEquals, assertThrows } from "../../tests/_assert.ts";
import {
  type AccountDb,
  findGroupEntry,
  findPasswdEntry,
  parseNumericSpec,
  resolveAccount,
  resolveUserSpec,
} from "./user_spec.ts";

const PASSWD = "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/bin/sh\n" +
  "bad:x:abc:1::/:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n";
const GROUP = "root:x:0:\ndaemon:x:1:\nnogroup:x:65534:\n";

const db: AccountDb = {
  user: (name) => findPasswdEntry(PASSWD, name),
  group: (name) => findGroupEntry(GROUP, name),
};

Deno.test("parseNumericSpec() follows runit's uidgids_set()", () => {
  assertEquals(parseNumericSpec(":1:2:3"), { uid: 1, gids: [2, 3] });
  assertEquals(parseNumericSpec(":1:"), { uid: 1, gids: [0] });
  assertEquals(parseNumericSpec(":1:2:"), { uid: 1, gids: [2, 0] });
  assertEquals(parseNumericSpec(":5:6:7"), { uid: 5, gids: [6, 7] });
  for (const bad of [":1", ":x", ":1:2:3x", ":1:a"]) assertEquals(parseNumericSpec(bad), "invalid");
});

Deno.test("parseNumericSpec() allows at most 60 groups", () => {
  const sixty = Array.from({ length: 60 }, (_, i) => i + 1);
  assertEquals(parseNumericSpec(`:1:${sixty.join(":")}`), { uid: 1, gids: sixty });
  assertEquals(parseNumericSpec(`:1:${sixty.join(":")}:61`), "invalid");
});

Deno.test("resolveUserSpec() looks up user and groups by name", () => {
  assertEquals(resolveUserSpec("daemon", db), { uid: 1, gids: [1] });
  assertEquals(resolveUserSpec("daemon:nogroup:daemon", db), { uid: 1, gids: [65534, 1] });
  assertEquals(resolveUserSpec("nouser", db), "unknown");
  assertEquals(resolveUserSpec("daemon:", db), "unknown");
  assertEquals(resolveUserSpec("daemon:nosuchgroup", db), "unknown");
  assertEquals(resolveUserSpec("bad", db), "unknown");
});

Deno.test("resolveAccount() takes the name whole, no colon forms", () => {
  assertEquals(resolveAccount("nobody", db), { uid: 65534, gids: [65534] });
  assertEquals(resolveAccount("nobody:nogroup", db), "unknown");
});

Deno.test("resolveUserSpec() lets a reader error through", () => {
  const broken: AccountDb = {
    user: () => {
      throw new Deno.errors.NotFound("no passwd");
    },
    group: () => undefined,
  };
  assertThrows(() => resolveUserSpec("nobody", broken), Deno.errors.NotFound);
  assertEquals(resolveUserSpec(":1:1", broken), { uid: 1, gids: [1] });
});
