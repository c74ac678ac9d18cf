import { assertEquals } from "../tests/_assert.ts";
import { errnoName, errnoValue, errstr } from "./errstr.ts";
import { errText, SysError } from "./sys_error.ts";
import { Messenger } from "./msg.ts";

Deno.test("errstr() gives runit's texts, not strerror's", () => {
  assertEquals(errstr(0), "no error");
  assertEquals(errstr(2), "file does not exist");
  assertEquals(errstr(13), "access denied");
  assertEquals(errstr(1), "permission denied");
  assertEquals(errstr(11), "temporary failure");
  assertEquals(errstr(6), "device not configured");
  assertEquals(errstr(9999), "unknown error");
});

Deno.test("errnoName() and errnoValue() agree", () => {
  assertEquals(errnoName(2), "ENOENT");
  assertEquals(errnoValue("ENOENT"), 2);
  assertEquals(errnoValue("EWOULDBLOCK"), 11);
});

Deno.test("errText() reads Deno's own errors", () => {
  let caught: unknown;
  try {
    Deno.readFileSync("/nonexistent/denit");
  } catch (err) {
    caught = err;
  }
  assertEquals(errText(caught), "file does not exist");
  assertEquals(errText(new SysError("open", 20)), "not a directory");
});

Deno.test("Messenger prints runit's message shapes", () => {
  const lines: string[] = [];
  const say = new Messenger("runsv x", (line) => lines.push(line));
  say.fatal("unable to lock supervise/lock", new SysError("flock", 11));
  say.warn("unable to open supervise/stat.new", new SysError("open", 2));
  say.info("done");
  assertEquals(lines, [
    "runsv x: fatal: unable to lock supervise/lock: temporary failure\n",
    "runsv x: warning: unable to open supervise/stat.new: file does not exist\n",
    "runsv x: done\n",
  ]);
});
