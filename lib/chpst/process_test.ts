import { assertEquals } from "../../tests/_assert.ts";
import { launcherCallerEnviron } from "./process.ts";

Deno.test("launcherCallerEnviron() drops the launcher's variables and renames the caller's back", () => {
  const initial = [
    "A=1",
    "DENIT_CALLER_DENO_DIR=/caller",
    "DENIT_CALLER_OTHER=x",
    "B=2",
    "DENIT_ARGV0=chpst",
    "DENIT_APPLET=chpst",
    "DENIT_LAUNCHER=1",
    "DENO_DIR=/usr/lib/denit/cache",
    "DENO_NO_UPDATE_CHECK=1",
    "DENIT_SIGNALS=0000000000000000:0000000000000000",
    "DENIT_SELFISH=kept",
  ];
  assertEquals(launcherCallerEnviron(initial), [
    "A=1",
    "DENO_DIR=/caller",
    "DENIT_CALLER_OTHER=x",
    "B=2",
    "DENIT_SELFISH=kept",
  ]);
});
