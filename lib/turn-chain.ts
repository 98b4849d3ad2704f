import type { StoredReply } from './store.ts';

/** What ties one turn to the turns of its client started before it (TurnChain). */
export interface TurnLink {
  /** Settles once the earlier turns' frames are sent; undefined when they are. This turn's frames wait for it. */
  readonly after: Promise<void> | undefined;
  /** Settles once the next turn may start: this one is handed to the store, or over. */
  readonly nextMayStart: Promise<void>;
  /** Hands this turn's write to the store; throws instead once an earlier write of the chain has failed. */
  handIn(write: () => Promise<StoredReply[]>): Promise<StoredReply[]>;
  /** This turn is handed to the store, or will not be: the next one may start. */
  letNextStart(): void;
  /** This turn has sent all it sends. */
  sent(): void;
}

/**
 * A client's turns run ahead of their writes, with a store that takes them (Store.turnsAhead): the next
 * queued message starts once the previous turn is handed to the store instead of once it is written, so
 * the client's queued turns go to disk in one write rather than one each. The chain keeps them as if
 * they ran one after the other: a turn's frames go out after the earlier turns' frames, and once a write
 * fails no later turn is handed in (it may have been computed from the failed turn's state) until the
 * chain starts over.
 */
export class TurnChain {
  /** Settles once the frames of every turn started so far are sent; undefined while none is pending. */
  #sent: Promise<void> | undefined;
  #failure: { err: unknown } | undefined;

  /** Whether a write failed since the chain last started over. */
  get failed(): boolean {
    return this.#failure !== undefined;
  }

  /** Starts a turn. */
  link(): TurnLink {
    const after = this.#sent;
    let markSent!: () => void;
    const sent = new Promise<void>((resolve) => (markSent = resolve));
    this.#sent = sent;
    let letNextStart!: () => void;
    const nextMayStart = new Promise<void>((resolve) => (letNextStart = resolve));
    const done = () => {
      if (this.#sent === sent) this.#sent = undefined;
      markSent();
    };
    return {
      after,
      nextMayStart,
      handIn: (write) => this.#handIn(write),
      letNextStart,
      // Never before the earlier turns: a turn that ends without sending must not let a later turn's frames pass theirs.
      sent: () => void (after ? after.then(done) : done()),
    };
  }

  #handIn(write: () => Promise<StoredReply[]>): Promise<StoredReply[]> {
    if (this.#failure) throw this.#failure.err;
    const written = write();
    written.catch((err: unknown) => {
      this.#failure ??= { err };
    });
    return written;
  }

  /** Settles once every turn started has sent its frames. */
  drained(): Promise<void> | undefined {
    return this.#sent;
  }

  /**
   * After a failed write: waits for every turn started to end and for the event-loop turn to pass (the
   * store refuses the client's writes handed in during the one it failed in), then takes writes again.
   */
  async startOver(): Promise<void> {
    await this.#sent;
    await new Promise(setImmediate);
    this.#failure = undefined;
  }
}
