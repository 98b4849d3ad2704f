import { closeSync, openSync, writeSync } from 'node:fs';
import Database from 'better-sqlite3';

/**
 * Overwrites every page of `table` in the SQLite file at `path` with 0xFF bytes, as a bad disk
 * sector would. A second connection first checkpoints the WAL into the main file (so the pages hold
 * the latest rows and no newer copy of them waits in the WAL); a running server that has the file
 * open sees that checkpoint and drops its page cache, so its next read goes to the damaged pages.
 * Returns the page numbers overwritten.
 */
export function corruptTable(path: string, table: string): number[] {
  const db = new Database(path);
  let pages: number[];
  let pageSize: number;
  try {
    db.pragma('wal_checkpoint(TRUNCATE)');
    pages = db
      .prepare<[string], { pageno: number }>('SELECT pageno FROM dbstat WHERE name = ?')
      .all(table)
      .map((row) => row.pageno);
    pageSize = db.pragma('page_size', { simple: true }) as number;
  } finally {
    db.close();
  }
  const fd = openSync(path, 'r+');
  try {
    for (const page of pages) writeSync(fd, Buffer.alloc(pageSize, 0xff), 0, pageSize, (page - 1) * pageSize);
  } finally {
    closeSync(fd);
  }
  return pages;
}
