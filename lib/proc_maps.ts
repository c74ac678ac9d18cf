/**
 * /proc/self/smaps: the process's mappings, and which pages of its own executable a
 * long-running applet can give back once start-up is over (lib/startup_pages.ts).
 *
 * Deno's binary is ~95 MB; a runsv has ~29 MB of it resident after start-up (V8's
 * snapshot, the module loader, the compilers), of which a supervisor waiting for its
 * next control byte uses a few. Dropping the page mappings of an unmodified, read-only,
 * private file mapping loses nothing: a later access maps the same page again from the
 * page cache (madvise(2), MADV_DONTNEED). A mapping with any page the process wrote to
 * (`Anonymous:` above 0, e.g. the part relocated at load) would lose that write, so it
 * is never chosen; nor is anything writable or shared.
 */

/** One mapping of /proc/self/smaps, the fields this module needs. */
export interface Mapping {
  start: bigint;
  end: bigint;
  /** `r-xp`, `rw-p`, `r--s`, … */
  perms: string;
  /** Device as smaps prints it, `major:minor` in hex (`fe:00`). */
  device: string;
  inode: number;
  /** The path, or `[heap]`, `[stack]`…, or "" (anonymous). */
  path: string;
  /** Resident, in kB. */
  rssKb: number;
  /** Pages of this mapping that are private copies (written, or anonymous), in kB. */
  anonymousKb: number;
}

/** A file's identity as smaps prints it. */
export interface FileIdentity {
  device: string;
  inode: number;
}

const HEADER =
  /^([0-9a-f]+)-([0-9a-f]+) (\S{4}) [0-9a-f]+ ([0-9a-f]+:[0-9a-f]+) (\d+)[ \t]*(.*)$/gm;

/**
 * The mappings of an smaps text (only those of `file` when given: a Deno process has
 * ~300, and runsv reads this once, in its first quiet moment). A field missing from a
 * mapping's block reads as 0 for `Rss:`, as written (never dropped) for `Anonymous:`.
 */
export function parseSmaps(text: string, file?: FileIdentity): Mapping[] {
  const headers = [...text.matchAll(HEADER)];
  const mappings: Mapping[] = [];
  headers.forEach((header, i) => {
    const device = header[4]!;
    const inode = Number(header[5]);
    if (file !== undefined && (inode !== file.inode || device !== file.device)) return;
    const block = text.slice(header.index + header[0].length, headers[i + 1]?.index);
    mappings.push({
      start: BigInt(`0x${header[1]}`),
      end: BigInt(`0x${header[2]}`),
      perms: header[3]!,
      device,
      inode,
      path: header[6]!,
      rssKb: kbField(block, "Rss") ?? 0,
      anonymousKb: kbField(block, "Anonymous") ?? Number.POSITIVE_INFINITY,
    });
  });
  return mappings;
}

/** `NAME:   123 kB` in a mapping's block, in kB (undefined: no such line). */
function kbField(block: string, name: string): number | undefined {
  const at = block.indexOf(`\n${name}:`);
  if (at < 0) return undefined;
  const value = /^\s+(\d+) kB$/m.exec(block.slice(at + name.length + 2, at + name.length + 40));
  return value === null ? undefined : Number(value[1]);
}

/**
 * The mappings of the file `file` whose resident pages can be dropped and mapped again
 * unchanged: private, not writable, nothing written (`Anonymous: 0 kB`), some resident.
 */
export function unmodifiedFileMappings(
  mappings: readonly Mapping[],
  file: FileIdentity,
): Mapping[] {
  return mappings.filter((m) =>
    m.inode === file.inode && m.device === file.device && m.inode !== 0 &&
    m.perms[0] === "r" && m.perms[1] !== "w" && m.perms[3] === "p" &&
    m.anonymousKb === 0 && m.rssKb > 0
  );
}

/**
 * A device number (Deno.FileInfo.dev, Linux's encoding of dev_t) as smaps prints it:
 * `major:minor`, hex, two digits at least each.
 */
export function deviceText(dev: number): string {
  const value = BigInt(dev);
  const major = ((value >> 8n) & 0xfffn) | ((value >> 32n) & ~0xfffn);
  const minor = (value & 0xffn) | ((value >> 12n) & ~0xffn);
  const hex = (n: bigint) => n.toString(16).padStart(2, "0");
  return `${hex(major)}:${hex(minor)}`;
}
