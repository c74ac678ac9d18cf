import { assert, assertEquals, assertThrows } from "../../tests/_assert.ts";
import { errText } from "../sys_error.ts";
import { parseRequest, RequestError, sendRequest } from "./request.ts";

function mode(path: string): number {
  return (Deno.statSync(path).mode ?? 0) & 0o7777;
}

Deno.test("parseRequest() looks at the first character only", () => {
  assertEquals(parseRequest("0"), "halt");
  assertEquals(parseRequest("0xyz"), "halt");
  assertEquals(parseRequest("6"), "reboot");
  assertEquals(parseRequest("61"), "reboot");
  for (const arg of [undefined, "", "5", "-V", " 0"]) assertEquals(parseRequest(arg), undefined);
});

Deno.test("sendRequest() halt: stopit 0100 and empty, reboot 0, one notification", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const files = { stopit: `${dir}/stopit`, reboot: `${dir}/reboot` };
    Deno.writeTextFileSync(files.stopit, "old");
    Deno.writeTextFileSync(files.reboot, "");
    Deno.chmodSync(files.reboot, 0o100);
    let notified = 0;
    sendRequest("halt", files, () => notified++);
    assertEquals([mode(files.stopit), mode(files.reboot), notified], [0o100, 0, 1]);
    assertEquals(Deno.statSync(files.stopit).size, 0);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("sendRequest() halt without a reboot file is fine; reboot sets both", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const files = { stopit: `${dir}/stopit`, reboot: `${dir}/reboot` };
    sendRequest("halt", files, () => {});
    assertThrows(() => Deno.statSync(files.reboot), Deno.errors.NotFound);
    sendRequest("reboot", files, () => {});
    assertEquals([mode(files.stopit), mode(files.reboot)], [0o100, 0o100]);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("sendRequest() reports a failed create as Debian does: file descriptor not open", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const files = { stopit: `${dir}/stopit`, reboot: `${dir}/reboot` };
    Deno.mkdirSync(files.stopit);
    let notified = 0;
    const err = assertThrows(() => sendRequest("halt", files, () => notified++), RequestError);
    assertEquals(err.text, `unable to create ${files.stopit}`);
    assertEquals(errText(err.cause), "file descriptor not open");
    assert(notified === 0, "no SIGCONT after a failure");
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
