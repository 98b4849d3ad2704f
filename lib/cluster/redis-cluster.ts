import { randomUUID } from 'node:crypto';
import { createClient } from 'redis';
import { silentLogger, type Logger } from '../logger.ts';
import type { StoredReply } from '../store.ts';
import type { Claim, Cluster, ClusterConnections, LocalNode } from './cluster.ts';

export interface RedisClusterOptions {
  /** redis:// or rediss:// URL. */
  url: string;
  /** Names this instance in answers, logs and admin views. */
  instanceId: string;
  /** Default: silentLogger. */
  log?: Logger;
  /** Milliseconds a broadcast or connections query waits for the other instances' answers. Default 2000. */
  gatherTimeoutMs?: number;
  /** Milliseconds start-up waits for Redis before going on without it (it keeps retrying). Default 5000. */
  connectTimeoutMs?: number;
  /** Prefix of every channel and key, so deployments can share a Redis. Default "meetingmuse:". */
  prefix?: string;
}

export type RedisCluster = Cluster & {
  /** Disconnects from Redis; the caller's, after the chat server's close(). */
  close(): Promise<void>;
};

/** How long a client's fencing counter outlives its last connection. Far longer than any message can be in flight. */
const FENCE_TTL_MS = 24 * 3_600_000;

type Message =
  | { kind: 'broadcast'; id: string; origin: string; data: string }
  | { kind: 'query'; id: string; origin: string }
  | { kind: 'answer'; id: string; instance: string; sent?: number; clients?: ReturnType<LocalNode['snapshot']> }
  | { kind: 'claim'; clientId: string; token: number; instance: string }
  | { kind: 'deliver'; clientId: string; replies: StoredReply[] };

interface ClaimEntry {
  /** This connection's fencing token; undefined until Redis has counted it. */
  token?: number;
  /** The highest token another instance announced while ours was still being counted. */
  seen: number;
  onReplaced: () => void;
}

/**
 * Every instance on one Redis forms the cluster. Only short-lived traffic goes through Redis, all of
 * it over pub/sub on one channel per instance set (`<prefix>bus`) plus one answer channel per
 * instance: broadcasts and connection queries are scattered to every instance and their answers
 * gathered (PUBLISH says how many instances listen, so the origin knows how many answers to await);
 * claims carry a fencing token from INCR, so the newest connection of a client wins everywhere and a
 * late claim from an older one is ignored; replies whose client moved are handed to all, and the
 * instance holding the client delivers them.
 *
 * When Redis is unreachable each instance goes on alone (broadcasts reach its own clients, claims
 * are local, every instance sweeps), logs the outage once, and node-redis reconnects and
 * resubscribes by itself when Redis returns.
 */
export async function createRedisCluster(options: RedisClusterOptions): Promise<RedisCluster> {
  const cluster = new RedisClusterNode(options);
  await cluster.start(options.connectTimeoutMs ?? 5_000);
  return cluster;
}

type RedisClient = ReturnType<typeof createClient>;

class RedisClusterNode implements RedisCluster {
  readonly instanceId: string;
  readonly #log: Logger;
  readonly #gatherTimeoutMs: number;
  readonly #prefix: string;
  readonly #bus: string;
  readonly #pub: RedisClient;
  readonly #sub: RedisClient;
  #node?: LocalNode;
  #subscribed = false;
  #up = false;
  #degradedBroadcastLogged = false;
  /** Subscribed once (two listeners would deliver everything twice): node-redis renews the subscriptions itself after every reconnect. */
  #subscription?: Promise<void>;
  readonly #claims = new Map<string, ClaimEntry>();
  readonly #gathers = new Map<string, { answers: Message[]; expected: number; done(): void }>();

  constructor({
    url,
    instanceId,
    log = silentLogger,
    gatherTimeoutMs = 2_000,
    prefix = 'meetingmuse:',
  }: RedisClusterOptions) {
    this.instanceId = instanceId;
    this.#log = log;
    this.#gatherTimeoutMs = gatherTimeoutMs;
    this.#prefix = prefix;
    this.#bus = `${prefix}bus`;
    // Commands fail at once while disconnected instead of queueing: a caller then falls back to local.
    const reconnectStrategy = (retries: number) => Math.min(50 * 2 ** retries, 2_000);
    this.#pub = createClient({ url, disableOfflineQueue: true, socket: { connectTimeout: 2_000, reconnectStrategy } });
    this.#sub = this.#pub.duplicate();
    for (const client of [this.#pub, this.#sub]) {
      // node-redis emits 'error' on every failed reconnect; the transition is what gets logged, once.
      for (const event of ['error', 'ready', 'end']) client.on(event, () => this.#watch());
    }
  }

  /** Connects and subscribes, waiting at most `connectTimeoutMs`; after that it goes on retrying in the background. */
  async start(connectTimeoutMs: number): Promise<void> {
    this.#sub.on(
      'ready',
      () => void this.#subscribe().catch((err: unknown) => this.#log.warn('could not subscribe', { err })),
    );
    const connected = Promise.all([this.#pub.connect(), this.#sub.connect()]).then(() => this.#subscribe());
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([connected, new Promise((resolve) => (timer = setTimeout(resolve, connectTimeoutMs)))]).catch(
      (err: unknown) => this.#log.warn('redis not reachable at start; retrying in the background', { err }),
    );
    clearTimeout(timer);
    this.#watch();
  }

  attach(local: LocalNode): void {
    this.#node = local;
  }

  async broadcast(data: string): Promise<number> {
    if (this.#isUp()) {
      try {
        const replies = await this.#gather({ kind: 'broadcast', id: randomUUID(), origin: this.instanceId, data });
        return replies.reduce((sum, m) => sum + (m.kind === 'answer' ? (m.sent ?? 0) : 0), 0);
      } catch (err) {
        this.#log.warn('broadcast through redis failed', { err });
      }
    }
    if (!this.#degradedBroadcastLogged) {
      this.#degradedBroadcastLogged = true;
      this.#log.warn('redis unavailable: broadcasts reach this instance’s clients only', {
        instanceId: this.instanceId,
      });
    }
    return this.#node!.broadcast(data);
  }

  async connections(): Promise<ClusterConnections> {
    const local = (): ClusterConnections => ({
      clients: Object.fromEntries(
        Object.entries(this.#node!.snapshot()).map(([id, s]) => [id, { ...s, instance: this.instanceId }]),
      ),
      instances: [this.instanceId],
    });
    if (!this.#isUp()) return local();
    try {
      const replies = await this.#gather({ kind: 'query', id: randomUUID(), origin: this.instanceId });
      const view: ClusterConnections = { clients: {}, instances: [] };
      for (const reply of replies) {
        if (reply.kind !== 'answer') continue;
        view.instances.push(reply.instance);
        for (const [id, snapshot] of Object.entries(reply.clients ?? {}))
          view.clients[id] = { ...snapshot, instance: reply.instance };
      }
      return view;
    } catch (err) {
      this.#log.warn('connections query through redis failed', { err });
      return local();
    }
  }

  claim(clientId: string, onReplaced: () => void): Claim {
    const entry: ClaimEntry = { seen: 0, onReplaced };
    this.#claims.set(clientId, entry);
    if (this.#isUp()) {
      const key = `${this.#prefix}fence:${clientId}`;
      this.#pub
        .multi()
        .incr(key)
        .pExpire(key, FENCE_TTL_MS)
        .exec()
        .then(async ([token]) => {
          entry.token = Number(token);
          if (this.#claims.get(clientId) !== entry) return;
          if (entry.seen > entry.token) return this.#replace(clientId, entry);
          await this.#publish(this.#bus, { kind: 'claim', clientId, token: entry.token, instance: this.instanceId });
        })
        .catch((err: unknown) => this.#log.warn('could not claim the client across the cluster', { clientId, err }));
    }
    return {
      release: () => {
        if (this.#claims.get(clientId) === entry) this.#claims.delete(clientId);
      },
    };
  }

  forward(clientId: string, replies: StoredReply[]): void {
    if (!this.#isUp()) return;
    // Each frame crosses the bus once, as an object; the instance that sends it serializes it.
    const frames = replies.map(({ id, frame }) => ({ id, frame }));
    this.#publish(this.#bus, { kind: 'deliver', clientId, replies: frames }).catch((err: unknown) =>
      this.#log.warn('could not forward replies', { clientId, err }),
    );
  }

  async takeTurn(job: string, intervalMs: number): Promise<boolean> {
    if (!this.#isUp()) return true;
    try {
      // Kept 90 % of the interval, so a timer that fires a little early still finds the key gone.
      const ttl = Math.max(1, Math.floor(intervalMs * 0.9));
      return (
        (await this.#pub.set(`${this.#prefix}turn:${job}`, this.instanceId, {
          condition: 'NX',
          expiration: { type: 'PX', value: ttl },
        })) === 'OK'
      );
    } catch {
      return true;
    }
  }

  health(): 'up' | 'down' {
    return this.#isUp() ? 'up' : 'down';
  }

  async close(): Promise<void> {
    for (const client of [this.#pub, this.#sub]) {
      client.removeAllListeners();
      client.on('error', () => {});
    }
    await Promise.allSettled([this.#sub.close(), this.#pub.close()]);
  }

  #isUp(): boolean {
    return this.#pub.isReady && this.#sub.isReady && this.#subscribed;
  }

  /** Logs each change between up and down, once. */
  #watch(): void {
    if (this.#isUp() === this.#up) return;
    this.#up = this.#isUp();
    if (this.#up) {
      this.#degradedBroadcastLogged = false;
      this.#log.info('redis available', { instanceId: this.instanceId });
    } else {
      this.#log.warn('redis unavailable: serving this instance alone until it returns', {
        instanceId: this.instanceId,
      });
    }
  }

  #subscribe(): Promise<void> {
    this.#subscription ??= this.#sub
      .subscribe([this.#bus, `${this.#prefix}answer:${this.instanceId}`], (raw) => this.#onMessage(raw))
      .then(
        () => {
          this.#subscribed = true;
          this.#watch();
        },
        (err: unknown) => {
          this.#subscription = undefined;
          throw err;
        },
      );
    return this.#subscription;
  }

  #publish(channel: string, message: Message): Promise<number> {
    return this.#pub.publish(channel, JSON.stringify(message));
  }

  #answer(origin: string, message: Message): void {
    this.#publish(`${this.#prefix}answer:${origin}`, message).catch((err: unknown) =>
      this.#log.warn('could not answer another instance', { origin, err }),
    );
  }

  #replace(clientId: string, entry: ClaimEntry): void {
    this.#claims.delete(clientId);
    entry.onReplaced();
  }

  /** Handles one message from Redis; never throws (it runs in node-redis's callback). */
  #onMessage(raw: string): void {
    try {
      const message = JSON.parse(raw) as Message;
      const node = this.#node!;
      switch (message.kind) {
        case 'broadcast':
          return this.#answer(message.origin, {
            kind: 'answer',
            id: message.id,
            instance: this.instanceId,
            sent: node.broadcast(message.data),
          });
        case 'query':
          return this.#answer(message.origin, {
            kind: 'answer',
            id: message.id,
            instance: this.instanceId,
            clients: node.snapshot(),
          });
        case 'answer': {
          const gather = this.#gathers.get(message.id);
          if (!gather) return;
          gather.answers.push(message);
          if (gather.answers.length >= gather.expected) gather.done();
          return;
        }
        case 'claim': {
          const entry = this.#claims.get(message.clientId);
          if (!entry) return;
          if (entry.token === undefined) entry.seen = Math.max(entry.seen, message.token);
          else if (message.token > entry.token) this.#replace(message.clientId, entry);
          return;
        }
        case 'deliver':
          return node.deliver(message.clientId, message.replies);
      }
    } catch (err) {
      this.#log.error('bad message from the cluster', { err });
    }
  }

  /** Publishes to every instance and collects their answers until all have answered or the time is up. */
  async #gather(message: Message & { id: string }): Promise<Message[]> {
    let done!: () => void;
    const complete = new Promise<void>((resolve) => (done = resolve));
    const entry = { answers: [] as Message[], expected: Infinity, done };
    this.#gathers.set(message.id, entry);
    let timer: NodeJS.Timeout | undefined;
    try {
      // PUBLISH answers how many instances listen, so the origin knows how many answers to await.
      entry.expected = await this.#publish(this.#bus, message);
      if (entry.answers.length >= entry.expected) done();
      await Promise.race([complete, new Promise((resolve) => (timer = setTimeout(resolve, this.#gatherTimeoutMs)))]);
      if (entry.answers.length < entry.expected)
        this.#log.warn('some instances did not answer in time', {
          expected: entry.expected,
          answered: entry.answers.length,
        });
      return entry.answers;
    } finally {
      clearTimeout(timer);
      this.#gathers.delete(message.id);
    }
  }
}
