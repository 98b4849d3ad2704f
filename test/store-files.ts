import { closeSync, openSync, writeSync } from 'node:fs';
import Database from 'better-sqlite3';

/**
 * Overwrites every page of `table` in the SQLite file at `path` with 0xFF bytes, as a bad disk
 * sector would. A second connection first checkpoints the WAL into the main file (so the pages hold
 * the latest rows and no newer copy of them waits in the WAL); a running server that has the file
 * open sees that checkpoint and drops its page cache, so its next read goes to the damaged pages.
 * The checkpoint is tried again while the server's own checkpoint worker holds the checkpoint lock
 * (SQLite answers busy at once then, without waiting). Returns the page numbers overwritten.
 */
export function corruptTable(path: string, table: string): number[] {
  const db = new Database(path);
  let pages: number[];
  let pageSize: number;
  try {
    checkpointAll(db);
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

/**
 * Makes every turn row written to the SQLite file at `path` fail with `reason`, as a full disk would
 * (only those whose user message is `content`, when given): a trigger, installed through a second
 * connection.
 */
export function refuseTurns(path: string, reason: string, content?: string): void {
  const db = new Database(path);
  try {
    const when = content === undefined ? '' : `WHEN NEW.content = '${content}'`;
    db.exec(`CREATE TRIGGER refuse_turns BEFORE INSERT ON turns ${when} BEGIN SELECT RAISE(ABORT, '${reason}'); END`);
  } finally {
    db.close();
  }
}

const CHECKPOINT_ATTEMPTS = 500;

/** Checkpoints the whole WAL and truncates it, trying again (10 ms apart, 5 s at most) while another checkpoint runs. */
function checkpointAll(db: Database.Database): void {
  db.pragma('busy_timeout = 5000');
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (let attempt = 0; attempt < CHECKPOINT_ATTEMPTS; attempt++) {
    const [result] = db.pragma('wal_checkpoint(TRUNCATE)') as Array<{ busy: number }>;
    if (result?.busy === 0) return;
    Atomics.wait(pause, 0, 0, 10);
  }
  throw new Error('the WAL could not be checkpointed: another checkpoint held it for 5 s');
}
