/**
 * Atomic file replacement, the one way supervise files are written (runit update_status):
 * write `PATH.new` (created 0644 before umask, truncated), then rename it over `PATH`.
 * Readers always see a whole old or a whole new file.
 */

/** Writes `bytes` to `path + ".new"` in one write, then renames it to `path`. */
export function writeFileAtomic(path: string, bytes: Uint8Array, mode = 0o644): void {
  const temp = path + ".new";
  Deno.writeFileSync(temp, bytes, { mode });
  Deno.renameSync(temp, path);
}
