import { assertEquals } from "../../tests/_assert.ts";
import { applyEnvChanges, execCandidates, searchContinues, searchErrno } from "./environ.ts";

Deno.test("applyEnvChanges() replaces like pathexec_env_run (last entry moves into the hole)", () => {
  assertEquals(
    applyEnvChanges(["A=1", "B=2", "C=3"], [{ name: "A", value: "x" }, {
      name: "B",
      value: undefined,
    }]),
    ["C=3", "A=x"],
  );
  assertEquals(applyEnvChanges(["A=1"], [{ name: "NEW", value: "" }]), ["A=1", "NEW="]);
  assertEquals(applyEnvChanges(["AB=1", "A=2"], [{ name: "A", value: "3" }]), ["AB=1", "A=3"]);
});

Deno.test("applyEnvChanges(): a name with = replaces the variable before the =", () => {
  assertEquals(applyEnvChanges(["A=1"], [{ name: "A=B", value: "x" }]), ["A=B=x"]);
  assertEquals(applyEnvChanges(["A=1"], [{ name: "A=B", value: undefined }]), ["A=B"]);
});

Deno.test("execCandidates() searches PATH, empty element is ., default /bin:/usr/bin", () => {
  assertEquals(execCandidates("/bin/true", "/x"), ["/bin/true"]);
  assertEquals(execCandidates("a/b", "/x"), ["a/b"]);
  assertEquals(execCandidates("true", undefined), ["/bin/true", "/usr/bin/true"]);
  assertEquals(execCandidates("true", ""), ["./true"]);
  assertEquals(execCandidates("true", "/a::/b"), ["/a/true", "./true", "/b/true"]);
});

Deno.test("the search goes on after ENOENT/EACCES/EPERM/EISDIR and reports the remembered error", () => {
  assertEquals([2, 13, 1, 21].map(searchContinues), [true, true, true, true]);
  assertEquals(searchContinues(8), false);
  assertEquals(searchErrno([2, 13, 2]), 13);
  assertEquals(searchErrno([2, 2]), 2);
});
