import { assertEquals, assertThrows } from "../tests/_assert.ts";
import {
  DEAD_PROCESS,
  decodeUtmp,
  encodeUtmp,
  isLoggedInOn,
  markLoggedOut,
  USER_PROCESS,
  UTMP_SIZE,
  wtmpLogoutRecord,
} from "./utmp.ts";
import { FormatError } from "./sys_error.ts";

const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);

Deno.test("UTMP_SIZE is glibc x86_64's sizeof(struct utmp)", () => {
  assertEquals(UTMP_SIZE, 384);
  assertEquals(encodeUtmp({}).length, 384);
});

Deno.test("encodeUtmp() puts every field at glibc's offset, little-endian", () => {
  const bytes = encodeUtmp({
    type: USER_PROCESS,
    pid: 0x01020304,
    line: "tty5",
    id: "5",
    user: "alice",
    host: "host1",
    exitTermination: 1,
    exitStatus: 2,
    session: 77,
    tvSec: 2000,
    tvUsec: 7,
    addrV6: new Uint8Array(16).fill(9),
  });
  const v = new DataView(bytes.buffer);
  assertEquals(v.getInt16(0, true), 7);
  assertEquals([...bytes.subarray(4, 8)], [4, 3, 2, 1]);
  assertEquals(text(bytes.subarray(8, 12)), "tty5");
  assertEquals(text(bytes.subarray(40, 41)), "5");
  assertEquals(text(bytes.subarray(44, 49)), "alice");
  assertEquals(text(bytes.subarray(76, 81)), "host1");
  assertEquals([v.getInt16(332, true), v.getInt16(334, true)], [1, 2]);
  assertEquals(v.getInt32(336, true), 77);
  assertEquals(v.getInt32(340, true), 2000);
  assertEquals(v.getInt32(344, true), 7);
  assertEquals(bytes[348], 9);
  assertEquals(bytes[363], 9);
  assertEquals(bytes.subarray(364).every((b) => b === 0), true);
});

Deno.test("decodeUtmp() round-trips encodeUtmp()", () => {
  const r = decodeUtmp(encodeUtmp({ type: 8, pid: 333, line: "tty6", user: "bob", tvUsec: 9 }));
  assertEquals([r.type, r.pid, text(r.line), text(r.user), r.tvUsec], [8, 333, "tty6", "bob", 9]);
});

Deno.test("decodeUtmp() rejects 383-byte input", () => {
  assertThrows(() => decodeUtmp(new Uint8Array(383)), FormatError);
});

Deno.test("decodeUtmp() of random bytes only throws FormatError", () => {
  for (let i = 0; i < 50; i++) {
    const bytes = crypto.getRandomValues(new Uint8Array(i % 2 === 0 ? 384 : i * 7));
    try {
      decodeUtmp(bytes);
    } catch (err) {
      if (!(err instanceof FormatError)) throw err;
    }
  }
});

Deno.test("isLoggedInOn() needs a user and an equal line within 32 bytes", () => {
  assertEquals(isLoggedInOn(encodeUtmp({ line: "tty6", user: "bob" }), "tty6"), true);
  assertEquals(isLoggedInOn(encodeUtmp({ line: "tty6" }), "tty6"), false);
  assertEquals(isLoggedInOn(encodeUtmp({ line: "tty60", user: "bob" }), "tty6"), false);
  const full = "x".repeat(32);
  assertEquals(isLoggedInOn(encodeUtmp({ line: full, user: "u" }), full), true);
  assertEquals(isLoggedInOn(encodeUtmp({ line: full, user: "u" }), full + "y"), false);
});

Deno.test("markLoggedOut() clears user and host, sets time and type, keeps the rest", () => {
  const record = encodeUtmp({
    type: 7,
    pid: 111,
    line: "tty5",
    id: "5",
    user: "alice",
    host: "host1",
    tvSec: 2000,
    tvUsec: 7,
    session: 3,
  });
  markLoggedOut(record, 1_700_000_000);
  const r = decodeUtmp(record);
  assertEquals(
    [
      r.type,
      r.pid,
      text(r.line),
      text(r.id),
      r.user.length,
      r.host.length,
      r.tvSec,
      r.tvUsec,
      r.session,
    ],
    [DEAD_PROCESS, 111, "tty5", "5", 0, 0, 1_700_000_000, 7, 3],
  );
});

Deno.test("wtmpLogoutRecord() cuts a line over 32 bytes to 30, keeps exactly 32", () => {
  const record = wtmpLogoutRecord("tty5", 1234);
  assertEquals(record, encodeUtmp({ type: DEAD_PROCESS, line: "tty5", tvSec: 1234 }));
  assertEquals(decodeUtmp(wtmpLogoutRecord("a".repeat(40), 1)).line.length, 30);
  assertEquals(decodeUtmp(wtmpLogoutRecord("b".repeat(32), 1)).line.length, 32);
});
