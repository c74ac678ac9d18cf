/**
 * No applet loads a Node compatibility module at start-up. Importing one costs a Deno
 * process 17 ms (node:net) to 36 ms (node:fs) before its first statement natively, and
 * seconds under QEMU's emulation: runsv went from 59 to 39 ms to "run" when the pipes
 * stopped being read through node:net (lib/pipe_input.ts). A module that needs one only
 * on a rare path imports it dynamically there (lib/svlogd/logdir.ts: node:dgram for a UDP
 * log target); a type-only import costs nothing.
 */

import { assertEquals } from "./_assert.ts";
import { repoRoot } from "./_helpers.ts";

const STATIC_NODE_IMPORT = /^\s*import\s+(?!type\b)[^;]*?\bfrom\s+["']node:[^"']+["']/gm;
const BARE_NODE_IMPORT = /^\s*import\s+["']node:[^"']+["']/gm;

function sources(dir: string): string[] {
  const found: string[] = [];
  for (const entry of Deno.readDirSync(dir)) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory && entry.name !== "testdata") found.push(...sources(path));
    else if (entry.isFile && entry.name.endsWith(".ts") && !entry.name.endsWith("_test.ts")) {
      found.push(path);
    }
  }
  return found;
}

Deno.test("no applet module imports a node: module statically", () => {
  const offenders: string[] = [];
  const files = [
    "mod.ts",
    ...["cmd", "lib", "ffi"].flatMap((dir) => sources(`${repoRoot}/${dir}`)),
  ];
  for (const file of files) {
    const text = Deno.readTextFileSync(file.startsWith("/") ? file : `${repoRoot}/${file}`);
    for (
      const match of [...text.matchAll(STATIC_NODE_IMPORT), ...text.matchAll(BARE_NODE_IMPORT)]
    ) {
      offenders.push(`${file.replace(`${repoRoot}/`, "")}: ${match[0].trim()}`);
    }
  }
  assertEquals(offenders, []);
});

Deno.test("the node: import check sees static imports and lets type-only and dynamic ones by", () => {
  const text = [
    'import net from "node:net";',
    'import { readFileSync } from "node:fs";',
    'import "node:process";',
    'import type dgram from "node:dgram";',
    'const m = await import("node:dgram");',
  ].join("\n");
  const found = [...text.matchAll(STATIC_NODE_IMPORT), ...text.matchAll(BARE_NODE_IMPORT)]
    .map((match) => match[0].trim());
  assertEquals(found, [
    'import net from "node:net"',
    'import { readFileSync } from "node:fs"',
    'import "node:process"',
  ]);
});
