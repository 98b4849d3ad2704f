/**
 * Makes one client's turns exclusive across every instance that shares a store, and tells the next
 * holder which turns an instance that died left unfinished. The Postgres store provides one; a
 * single instance needs none (the turn pipeline already runs one turn per client at a time).
 */
export interface TurnLocks {
  /**
   * Waits until this instance alone may run a turn of the client and records the turn as running
   * (`turn` undefined: only take the lock, to collect interrupted turns). Rejects when `signal`
   * fires first or the store cannot be reached.
   */
  acquire(clientId: string, turn: { messageId?: string } | undefined, signal: AbortSignal): Promise<TurnLease>;
}

export interface TurnLease {
  /** Turns of this client that were started and never finished (their instance died): at most one. */
  interrupted: Array<{ message_id?: string }>;
  /** Ends the lease; a turn not committed meanwhile is no longer recorded as running. */
  release(): Promise<void>;
}
