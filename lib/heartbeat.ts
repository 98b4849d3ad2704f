import type { WebSocket } from 'ws';
import type { Cluster } from './cluster/cluster.ts';
import type { ConnectionManager } from './connection-manager.ts';
import type { Logger } from './logger.ts';
import type { Metrics } from './metrics.ts';
import type { Store } from './store.ts';

export interface BackgroundOptions {
  connections: ConnectionManager<WebSocket>;
  store: Store;
  /** Picks one instance of the cluster to sweep each interval. */
  cluster: Pick<Cluster, 'takeTurn'>;
  log: Logger;
  heartbeatIntervalMs: number;
  sessionTtlMs: number;
  sweepIntervalMs: number;
  /** Run on every heartbeat tick as well (forgetting idle addresses' connect buckets). */
  onTick(): void;
  /** Counts the sockets terminated for a missed pong. */
  metrics: Pick<Metrics, 'heartbeatTerminated'>;
}

/**
 * The server's two timers: the heartbeat, one server-wide rather than one per socket, and the
 * retention sweep. Neither runs until the server serves (listen(), or the first upgrade handed to
 * it), and both are unref()ed: an embedder's process that stops serving must be free to exit.
 */
export class Background {
  readonly #options: BackgroundOptions;
  #heartbeat?: NodeJS.Timeout;
  #sweep?: NodeJS.Timeout;
  #stopped = false;

  constructor(options: BackgroundOptions) {
    this.#options = options;
  }

  /** Starts both timers; idempotent, and a no-op once stopped. */
  start(): void {
    if (this.#heartbeat || this.#stopped) return;
    this.#heartbeat = setInterval(() => this.#beat(), this.#options.heartbeatIntervalMs).unref();
    this.#sweep = setInterval(() => this.#sweepSessions(), this.#options.sweepIntervalMs).unref();
  }

  stop(): void {
    this.#stopped = true;
    clearInterval(this.#heartbeat);
    clearInterval(this.#sweep);
  }

  /** A socket whose pong has not come back since the previous tick missed a whole interval and is cut. */
  #beat(): void {
    const { connections, log } = this.#options;
    this.#options.onTick();
    for (const connection of connections.values()) {
      if (!connection.alive) {
        log.info('heartbeat missed', { clientId: connection.clientId });
        connection.socket.terminate();
        this.#options.metrics.heartbeatTerminated();
        continue;
      }
      connection.alive = false;
      connection.socket.ping();
    }
  }

  /** One instance of the cluster sweeps per interval; the others skip it. */
  #sweepSessions(): void {
    const { store, cluster, log, sessionTtlMs, sweepIntervalMs } = this.#options;
    cluster
      .takeTurn('sweep', sweepIntervalMs)
      .then((mine) => (mine ? store.sweep(new Date(Date.now() - sessionTtlMs)) : 0))
      .then(
        (removed) => {
          if (removed > 0) log.info('sessions swept', { removed });
        },
        (err: unknown) => log.error('session sweep failed', { err }),
      );
  }
}
