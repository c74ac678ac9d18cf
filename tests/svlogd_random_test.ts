/**
 * Differential test: random svlogd configs and command lines (seeded, so failures
 * reproduce) run by Debian's svlogd and ours on the same input must give the same exit
 * code, messages, files (names in order, modes, sizes) and log contents, stamps aside.
 * Two incompatibilities were found this way (pruning and `.u` files; options acting
 * where they stand), so the pool keeps the directives that interact: sizes, counts,
 * patterns, processors, prefixes, malformed lines.
 */

import { assertEquals } from "./_assert.ts";
import { seededRandom, tempDir, writeTree } from "./_helpers.ts";
import {
  DEBIAN_SVLOGD,
  haveDebianSvlogd,
  normalise,
  ourSvlogd,
  runSvlogd,
  shownNames,
} from "./svlogd_helpers.ts";

/** One of each group may be drawn (undefined: none), then a few extra lines, shuffled. */
const CONFIG_GROUPS: readonly (readonly (string | undefined)[])[] = [
  ["s0", "s100", "s100", "s250", "sx", "ss", "s 10", undefined],
  ["n0", "n1", "n2", "n2", "nx", undefined],
  ["N1", "N3", undefined, undefined],
  ["!cat", "!cat", "!", undefined],
  ["t0", undefined, undefined],
];
const EXTRA_LINES = [
  "u",
  "u1.2.3",
  "ux:y",
  "pPRE:",
  "p",
  "+*a*",
  "-*b*",
  "+l1*",
  "e*",
  "E*x*",
  "",
  " ",
  "zzz",
];

const ARGS: readonly (readonly string[])[] = [
  [],
  ["-t"],
  ["-tt"],
  ["-ttt"],
  ["-v"],
  ["-l", "20"],
  ["-l", "0"],
  ["-b", "64"],
  ["-r", "_"],
  ["-R", "ab"],
  ["-r", "", "-h"],
  ["-V", "-h"],
];

/** Files in name order with modes and sizes, and their contents joined, stamps normalised. */
function observe(dir: string): { files: string[]; text: string } {
  const files: string[] = [];
  let text = "";
  for (const { name, shown } of shownNames(dir)) {
    const stat = Deno.statSync(`${dir}/${name}`);
    files.push(`${shown} ${((stat.mode ?? 0) & 0o777).toString(8)} ${stat.size}`);
    if (name.startsWith("@") || name === "current") {
      text += new TextDecoder().decode(Deno.readFileSync(`${dir}/${name}`));
    }
  }
  // The oldest kept file may begin inside a stamp that a rotation split: from its first
  // line end on, every stamp is whole.
  return { files, text: normalise(text.slice(text.indexOf("\n") + 1)) };
}

Deno.test({
  name: "random svlogd configs and command lines: same files, contents and messages as Debian's",
  ignore: !haveDebianSvlogd(),
  async fn() {
    const random = seededRandom(20261126);
    const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
    const ours = await ourSvlogd();
    let input = "";
    for (let i = 0; i < 60; i++) input += `l${i} ${"ab x"[i % 4]!.repeat(i % 23)}\n`;
    for (let round = 0; round < 60; round++) {
      const config: string[] = [];
      for (const group of CONFIG_GROUPS) {
        const line = pick(group);
        if (line !== undefined) config.push(line);
      }
      const extras = Math.floor(random() * 3);
      for (let i = 0; i < extras; i++) config.push(pick(EXTRA_LINES));
      for (let i = config.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [config[i], config[j]] = [config[j]!, config[i]!];
      }
      let args = [...pick(ARGS)];
      // A processor's `processing:` line is printed by the C child, so its order among
      // svlogd's own -v lines is not fixed (docs/svlogd.md).
      if (config.includes("!cat") && args.includes("-v")) args = [];
      const outcomes = [];
      for (const cmd of [ours, DEBIAN_SVLOGD]) {
        await using tmp = tempDir("denit-svlogd-random-");
        writeTree(tmp.path, { "d/config": config.join("\n") + "\n" });
        const result = await runSvlogd(cmd, [...args, "d"], { cwd: tmp.path, stdin: input });
        outcomes.push({
          code: result.code,
          stderr: normalise(result.stderr.replaceAll(cmd, "ARGV0")),
          ...observe(`${tmp.path}/d`),
        });
      }
      const what = `round ${round}: svlogd ${JSON.stringify(args)}, config ${
        JSON.stringify(config)
      }`;
      assertEquals(outcomes[0], outcomes[1], what);
    }
  },
});
