import { Worker } from 'node:worker_threads';
import type { Logger } from './logger.ts';

/**
 * The worker's whole program (CommonJS, run with `eval`, so no file has to be found next to this one
 * in either lib/ or dist/): a connection of its own to the database, one PASSIVE checkpoint per
 * message. PASSIVE never waits for the store's connection and never makes it wait. A file that is no
 * longer the one the store opened (same device and inode) is never checkpointed: its WAL would be the
 * store's.
 */
const WORKER_SOURCE = `
const { statSync } = require('node:fs');
const { parentPort, workerData } = require('node:worker_threads');
const { file, dev, ino } = workerData;
const db = new (require(workerData.driver))(file, { timeout: 0 });
parentPort.on('message', () => {
  try {
    const now = statSync(file);
    if (now.dev !== dev || now.ino !== ino) throw Object.assign(new Error('database file replaced'), { code: 'MOVED' });
    const [result] = db.pragma('wal_checkpoint(PASSIVE)');
    parentPort.postMessage({ ok: true, frames: result.log, checkpointed: result.checkpointed });
  } catch (err) {
    parentPort.postMessage({ ok: false, code: String(err && err.code), message: String(err && err.message) });
  }
});
`;

type CheckpointResult =
  { ok: true; frames: number; checkpointed: number } | { ok: false; code: string; message: string };

export interface WalCheckpointerOptions {
  /** The database file (WAL mode). */
  file: string;
  /** The file's device and inode when the store opened it. */
  identity: { dev: number; ino: number };
  /** Where better-sqlite3 is installed (require.resolve), for the worker to load. */
  driver: string;
  logger: Logger;
  /** Least milliseconds from one checkpoint's start to the next. */
  intervalMs: number;
  /** Called once if the worker fails: checkpoints are then the store connection's own again. */
  onFailure(): void;
}

/**
 * Checkpoints the WAL from a worker thread. With `synchronous = NORMAL` a commit writes the WAL without
 * an fsync; the checkpoint, which copies the WAL into the database file, syncs both, and on the store's
 * own connection those fsyncs held up the event loop for milliseconds several times a second under
 * load. The worker is started at the first checkpoint, so a store that writes little never starts one.
 */
export class WalCheckpointer {
  readonly #options: WalCheckpointerOptions;
  #worker: Worker | undefined;
  #running = false;
  #stopped = false;
  /** A commit has not been checkpointed yet. */
  #dirty = false;
  #lastStart = performance.now();
  /** The checkpoint due intervalMs after the last one; armed by a commit that came sooner. */
  #due: NodeJS.Timeout | undefined;

  constructor(options: WalCheckpointerOptions) {
    this.#options = options;
  }

  /**
   * After a commit: checkpoints now, or once intervalMs have passed since the last checkpoint started,
   * so every commit reaches a synced WAL within about intervalMs, traffic or not.
   */
  afterCommit(): void {
    if (this.#stopped) return;
    this.#dirty = true;
    if (this.#running || this.#due) return;
    const waitMs = this.#lastStart + this.#options.intervalMs - performance.now();
    if (waitMs <= 0) return this.#checkpoint();
    this.#due = setTimeout(() => {
      this.#due = undefined;
      this.#checkpoint();
    }, waitMs).unref();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#due);
    await this.#worker?.terminate();
  }

  #checkpoint(): void {
    if (this.#stopped || this.#running) return;
    this.#dirty = false;
    this.#lastStart = performance.now();
    this.#running = true;
    (this.#worker ??= this.#start()).postMessage(0);
  }

  #finished(result: CheckpointResult): void {
    this.#running = false;
    if (!result.ok) return this.#fail(result);
    this.#options.logger.debug('wal checkpointed', {
      path: this.#options.file,
      frames: result.frames,
      copied: result.checkpointed,
    });
    // Commits made while it ran are in the WAL past what it copied.
    if (this.#dirty) this.afterCommit();
  }

  #start(): Worker {
    const { file, driver, identity } = this.#options;
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { file, driver, ...identity } });
    worker.unref();
    worker.on('message', (result: CheckpointResult) => this.#finished(result));
    worker.on('error', (err) => this.#fail(err));
    worker.on('exit', (code) => {
      if (!this.#stopped) this.#fail(new Error(`checkpoint worker exited with code ${code}`));
    });
    return worker;
  }

  #fail(err: unknown): void {
    if (this.#stopped) return;
    this.#stopped = true;
    clearTimeout(this.#due);
    this.#options.logger.warn('wal checkpoints moved back to the store connection', { path: this.#options.file, err });
    void this.#worker?.terminate();
    this.#options.onFailure();
  }
}
