/**
 * Makes Deno's SQLite caches in a module cache directory (DENO_DIR) byte-reproducible for
 * the rootfs image: folds each write-ahead log into its database, rewrites every table in
 * sorted order (Deno fills them from parallel work, in no fixed order) and vacuums.
 * The WAL headers carry random salts, so without this two builds of one tree differ.
 *
 * Usage: deno run -A tests/boot/seal_cache.ts DENO_DIR
 */

import { DatabaseSync } from "node:sqlite";

/** Rewrites one database file in a canonical form. */
export function sealDatabase(path: string): void {
  const db = new DatabaseSync(path);
  try {
    db.exec("PRAGMA wal_checkpoint(TRUNCATE); PRAGMA journal_mode=DELETE;");
    const tables = db.prepare(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
    ).all() as { name: string }[];
    db.exec("BEGIN");
    for (const { name } of tables) {
      const q = `"${name.replaceAll('"', '""')}"`;
      const columns = db.prepare(`PRAGMA table_info(${q})`).all().length;
      const order = Array.from({ length: columns }, (_, i) => `${i + 1}`).join(", ");
      db.exec(`CREATE TEMP TABLE sealing AS SELECT * FROM ${q}`);
      db.exec(`DELETE FROM ${q}`);
      db.exec(`INSERT INTO ${q} SELECT * FROM sealing ORDER BY ${order}`);
      db.exec("DROP TABLE sealing");
    }
    db.exec("COMMIT");
    db.exec("VACUUM");
  } finally {
    db.close();
  }
}

if (import.meta.main) {
  const dir = Deno.args[0];
  if (dir === undefined) throw new Error("usage: seal_cache.ts DENO_DIR");
  for (const entry of Deno.readDirSync(dir)) {
    if (entry.isFile && /_v\d+$/.test(entry.name)) sealDatabase(`${dir}/${entry.name}`);
  }
  for (const entry of Deno.readDirSync(dir)) {
    if (/-(wal|shm)$/.test(entry.name)) Deno.removeSync(`${dir}/${entry.name}`);
  }
}
