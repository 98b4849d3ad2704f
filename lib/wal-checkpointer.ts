import type Database from 'better-sqlite3';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * Checkpoints a SQLite file's WAL from a worker thread with a connection of its own, so that neither
 * the copy of pages into the file nor the two fsyncs of a checkpoint hold up the event loop: inside a
 * commit they took 10–50 ms under load, a stall for every reply of the tick. In WAL mode with
 * synchronous = NORMAL a checkpoint is also the only time the WAL is synced, so its cadence bounds
 * what an OS crash can take. The event loop only counts its commits in shared memory; the worker
 * sleeps until the count moves, checkpoints (PASSIVE: it never waits for a writer or a reader), then
 * rests `intervalMs` so that a checkpoint copies each page once for many commits.
 */

/** Slots of the shared Int32Array (checkpointUntilStopped has them as literals): commits counted, stop request. */
const COMMITS = 0;
const STOP = 1;

interface CheckpointerData {
  file: string;
  /** Where better-sqlite3 resolves from the main thread, so the worker loads the same addon. */
  driver: string;
  intervalMs: number;
  state: SharedArrayBuffer;
}

/** A failed checkpoint as the worker reports it: what the store's health judges it by. */
export interface CheckpointFailure {
  code: string;
  message: string;
}

export class WalCheckpointer {
  readonly #state = new Int32Array(new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT));
  readonly #worker: Worker;
  readonly #exited: Promise<void>;

  /** `onFailure` hears of each checkpoint that failed, and of a worker that died. */
  constructor(file: string, intervalMs: number, onFailure: (failure: CheckpointFailure) => void) {
    const data: CheckpointerData = {
      file,
      driver: createRequire(import.meta.url).resolve('better-sqlite3'),
      intervalMs,
      state: this.#state.buffer as SharedArrayBuffer,
    };
    this.#worker = new Worker(WORKER_SOURCE, { eval: true, workerData: data });
    this.#worker.on('message', onFailure);
    this.#worker.on('error', (err) => onFailure({ code: 'ERR_CHECKPOINT_WORKER', message: err.message }));
    this.#exited = new Promise((resolve) => this.#worker.once('exit', () => resolve()));
    // The store's close() stops it; it must not keep the process alive by itself.
    this.#worker.unref();
  }

  /** After a commit: wakes the worker unless it is resting. */
  committed(): void {
    Atomics.add(this.#state, COMMITS, 1);
    Atomics.notify(this.#state, COMMITS);
  }

  /** Lets the worker finish its checkpoint and close its connection; resolves once it has exited. */
  stop(): Promise<void> {
    // Held open until the worker has closed its connection: the file must not be closed under it.
    this.#worker.ref();
    Atomics.store(this.#state, STOP, 1);
    Atomics.notify(this.#state, COMMITS);
    Atomics.notify(this.#state, STOP);
    return this.#exited;
  }
}

/**
 * The worker: sleep until a commit, checkpoint, rest, again, until asked to stop. It runs from its
 * source text (`eval`), not from this module's file, which under tsx is TypeScript that a worker
 * cannot load; so it must not use anything from around it (a CommonJS script: `require` is there),
 * and defines no functions of its own, whose names transpilers wrap in helpers it would not have.
 * The slots of `state`: commits counted by the event loop (0), the stop request (1).
 */
function checkpointUntilStopped({ file, driver, intervalMs, state: buffer }: CheckpointerData): void {
  const { parentPort } = require('node:worker_threads') as typeof import('node:worker_threads');
  const state = new Int32Array(buffer);
  const open = require(driver) as typeof Database;
  const db = new open(file, { fileMustExist: true });
  try {
    // From zero, not the count at start: the worker takes a while to start, and commits made meanwhile need a checkpoint too.
    let checkpointed = 0;
    while (Atomics.load(state, 1) === 0) {
      const commits = Atomics.load(state, 0);
      if (commits === checkpointed) {
        Atomics.wait(state, 0, commits);
        continue;
      }
      checkpointed = commits;
      try {
        db.pragma('wal_checkpoint(PASSIVE)');
      } catch (err) {
        const { code = 'UNKNOWN', message } = err as { code?: string; message: string };
        parentPort!.postMessage({ code, message } satisfies CheckpointFailure);
      }
      Atomics.wait(state, 1, 0, intervalMs);
    }
  } finally {
    db.close();
  }
}

const WORKER_SOURCE = `(${checkpointUntilStopped.toString()})(require('node:worker_threads').workerData);`;
