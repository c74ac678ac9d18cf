import { assertEquals } from "../../tests/_assert.ts";
import { parseStage2File } from "./stage2_inprocess.ts";

Deno.test("2.runsvdir: environment words, then runsvdir's arguments", () => {
  const parsed = parseStage2File(
    "# stage 2 in process 1\nPATH=/usr/bin:/bin  LANG=C\n-P /etc/service log:.........\n",
  );
  assertEquals(parsed, {
    env: ["PATH=/usr/bin:/bin", "LANG=C"],
    args: { newSession: true, dir: "/etc/service", log: "log:.........", logIndex: 2 },
  });
});

Deno.test("2.runsvdir: no environment words gives an empty environment", () => {
  assertEquals(parseStage2File("/etc/service\n"), {
    env: [],
    args: { newSession: false, dir: "/etc/service", log: undefined, logIndex: 1 },
  });
});

Deno.test("2.runsvdir: an assignment after the arguments is an argument", () => {
  assertEquals(parseStage2File("A=1 /svc X=2")?.env, ["A=1"]);
  assertEquals(parseStage2File("A=1 /svc X=2")?.args.log, "X=2");
});

Deno.test("2.runsvdir: no directory is runsvdir's usage", () => {
  assertEquals(parseStage2File(""), undefined);
  assertEquals(parseStage2File("# only a comment\nPATH=/bin\n"), undefined);
  assertEquals(parseStage2File("-P\n"), undefined);
});

Deno.test("2.runsvdir: tabs, CRLF and indented comments", () => {
  assertEquals(parseStage2File("  # note\r\nA=b\t/svc\r\n")?.env, ["A=b"]);
  assertEquals(parseStage2File("  # note\r\nA=b\t/svc\r\n")?.args.dir, "/svc");
});
