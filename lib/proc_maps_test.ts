import { assertEquals } from "../tests/_assert.ts";
import { deviceText, parseSmaps, unmodifiedFileMappings } from "./proc_maps.ts";

/** Shortened from a runsv's /proc/PID/smaps on this machine (fields trimmed). */
const SMAPS =
  `55810d5b8000-55810f146000 r--p 00000000 fe:00 5308759                    /opt/denit/lib/deno
Size:              28216 kB
Rss:               12184 kB
Anonymous:             0 kB
VmFlags: rd mr mw me sd
55810f3bc000-5581130b0000 r-xp 01b8e000 fe:00 5308759                    /opt/denit/lib/deno
Size:              62416 kB
Rss:               15896 kB
Anonymous:             0 kB
VmFlags: rd ex mr mw me sd
5581130b0000-558113322000 rw-p 05881000 fe:00 5308759                    /opt/denit/lib/deno
Rss:                2504 kB
Anonymous:          2504 kB
558113332000-558113333000 r--p 05b02000 fe:00 5308759                    /opt/denit/lib/deno
Rss:                   4 kB
Anonymous:             4 kB
560b94dfe000-560b95032000 rw-p 00000000 00:00 0                          [heap]
Rss:                2108 kB
Anonymous:          2108 kB
7f5cb7dc0000-7f5cb7fe6000 r-xp 035cf000 fe:00 5308759                    /opt/denit/lib/deno
Rss:                1024 kB
Anonymous:             0 kB
7f5cb8000000-7f5cb8010000 r--p 035cf000 fe:00 5308759                    /opt/denit/lib/deno
Rss:                   0 kB
Anonymous:             0 kB
7f5cd672a000-7f5cd6880000 r-xp 00026000 fe:00 339380                     /usr/lib/x86_64-linux-gnu/libc.so.6
Rss:                1112 kB
Anonymous:             0 kB
7f5cd6900000-7f5cd6908000 r--s 00000000 fe:00 5308759                    /opt/denit/lib/deno
Rss:                  32 kB
Anonymous:             0 kB
7f5cd6a00000-7f5cd6a08000 r--p 00000000 fe:01 5308759                    /other/disk/same-inode
Rss:                  32 kB
Anonymous:             0 kB
7f5cd6b00000-7f5cd6b08000 r--p 00000000 fe:00 5308759                    /opt/denit/lib/deno (deleted)
Rss:                  32 kB
`;

const DENO = { device: "fe:00", inode: 5308759 };

Deno.test("parseSmaps() reads each mapping's range, permissions, file and sizes", () => {
  const mappings = parseSmaps(SMAPS);
  assertEquals(mappings.length, 11);
  assertEquals(mappings[0], {
    start: 0x55810d5b8000n,
    end: 0x55810f146000n,
    perms: "r--p",
    device: "fe:00",
    inode: 5308759,
    path: "/opt/denit/lib/deno",
    rssKb: 12184,
    anonymousKb: 0,
  });
  assertEquals(mappings[4]!.path, "[heap]");
  assertEquals(mappings[4]!.inode, 0);
});

Deno.test("unmodifiedFileMappings() keeps only the file's private, read-only, unwritten pages", () => {
  const chosen = unmodifiedFileMappings(parseSmaps(SMAPS), DENO).map((m) => m.start);
  assertEquals(chosen, [
    0x55810d5b8000n, // r--p, nothing written
    0x55810f3bc000n, // the text
    0x7f5cb7dc0000n, // V8's builtins, mapped again from the same file
  ]);
  // Not chosen: rw-p (data), r--p with a written page (relocations), [heap], a mapping
  // with nothing resident, another file (libc), a shared mapping, the same inode on
  // another device, and a mapping whose Anonymous line is missing.
});

Deno.test("parseSmaps() with a file reads only that file's mappings", () => {
  const mappings = parseSmaps(SMAPS, DENO);
  assertEquals(mappings.map((m) => m.perms), [
    "r--p",
    "r-xp",
    "rw-p",
    "r--p",
    "r-xp",
    "r--p",
    "r--s",
    "r--p",
  ]);
  assertEquals(mappings.at(-1)!.anonymousKb, Number.POSITIVE_INFINITY);
  assertEquals(unmodifiedFileMappings(mappings, DENO).length, 3);
});

Deno.test("unmodifiedFileMappings() chooses nothing for a file not mapped", () => {
  assertEquals(unmodifiedFileMappings(parseSmaps(SMAPS), { device: "08:01", inode: 1 }), []);
  assertEquals(unmodifiedFileMappings(parseSmaps(""), DENO), []);
});

Deno.test("deviceText() prints a dev_t as smaps does", () => {
  assertEquals(deviceText(0xfe00), "fe:00");
  assertEquals(deviceText(0x801), "08:01");
  // Large minor numbers spill into the high bits (Linux's new_encode_dev).
  assertEquals(deviceText(259 << 8 | 0x12 | (0x3 << 20)), "103:312");
});
