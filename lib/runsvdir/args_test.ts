import { assertEquals } from "../../tests/_assert.ts";
import { parseRunsvdirArgs } from "./args.ts";

Deno.test("`parseRunsvdirArgs()` gives usage without a directory", () => {
  assertEquals(parseRunsvdirArgs([]), undefined);
  assertEquals(parseRunsvdirArgs(["-P"]), undefined);
  assertEquals(parseRunsvdirArgs(["--"]), undefined);
});

Deno.test("`parseRunsvdirArgs()` looks at the first argument only", () => {
  assertEquals(parseRunsvdirArgs(["-P", "d", "log: ..", "x"]), {
    newSession: true,
    dir: "d",
    log: "log: ..",
    logIndex: 2,
  });
  assertEquals(parseRunsvdirArgs(["-Pfoo", "d"])?.newSession, true);
  assertEquals(parseRunsvdirArgs(["--", "-P"]), {
    newSession: false,
    dir: "-P",
    log: undefined,
    logIndex: 2,
  });
  assertEquals(parseRunsvdirArgs(["-x", "svc"]), {
    newSession: false,
    dir: "-x",
    log: "svc",
    logIndex: 1,
  });
  assertEquals(parseRunsvdirArgs(["d", "-P"])?.log, "-P");
});
