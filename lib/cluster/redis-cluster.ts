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
  const { url, instanceId, log = silentLogger, gatherTimeoutMs = 2_000, connectTimeoutMs = 5_000, prefix = 'meetingmuse:' } = options;
  const bus = `${prefix}bus`;
  const answers = `${prefix}answer:${instanceId}`;
  // Commands fail at once while disconnected instead of queueing: a caller then falls back to local.
  const pub = createClient({ url, disableOfflineQueue: true, socket: { connectTimeout: 2_000, reconnectStrategy: (retries) => Math.min(50 * 2 ** retries, 2_000) } });
  const sub = pub.duplicate();
  let node: LocalNode | undefined;
  let subscribed = false;
  let up = false;
  let degradedBroadcastLogged = false;
  const claims = new Map<string, ClaimEntry>();
  const gathers = new Map<string, { answers: Message[]; expected: number; done(): void }>();

  const isUp = () => pub.isReady && sub.isReady && subscribed;
  const watch = () => {
    if (isUp() === up) return;
    up = isUp();
    if (up) {
      degradedBroadcastLogged = false;
      log.info('redis available', { instanceId });
    } else {
      log.warn('redis unavailable: serving this instance alone until it returns', { instanceId });
    }
  };
  for (const client of [pub, sub]) {
    // node-redis emits 'error' on every failed reconnect; the transition is what gets logged, once.
    client.on('error', watch);
    client.on('ready', watch);
    client.on('end', watch);
  }

  const publish = (channel: string, message: Message) => pub.publish(channel, JSON.stringify(message));
  const answer = (origin: string, message: Message) => {
    publish(`${prefix}answer:${origin}`, message).catch((err: unknown) => log.warn('could not answer another instance', { origin, err }));
  };

  const replace = (clientId: string, entry: ClaimEntry) => {
    claims.delete(clientId);
    entry.onReplaced();
  };

  /** Handles one message from Redis; never throws (it runs in node-redis's callback). */
  const onMessage = (raw: string) => {
    try {
      const message = JSON.parse(raw) as Message;
      switch (message.kind) {
        case 'broadcast':
          return answer(message.origin, { kind: 'answer', id: message.id, instance: instanceId, sent: node!.broadcast(message.data) });
        case 'query':
          return answer(message.origin, { kind: 'answer', id: message.id, instance: instanceId, clients: node!.snapshot() });
        case 'answer': {
          const gather = gathers.get(message.id);
          if (!gather) return;
          gather.answers.push(message);
          if (gather.answers.length >= gather.expected) gather.done();
          return;
        }
        case 'claim': {
          const entry = claims.get(message.clientId);
          if (!entry) return;
          if (entry.token === undefined) entry.seen = Math.max(entry.seen, message.token);
          else if (message.token > entry.token) replace(message.clientId, entry);
          return;
        }
        case 'deliver':
          return node!.deliver(message.clientId, message.replies);
      }
    } catch (err) {
      log.error('bad message from the cluster', { err });
    }
  };

  /** Publishes to every instance and collects their answers until all have answered or the time is up. */
  const gather = async (message: Message & { id: string }): Promise<Message[]> => {
    let done!: () => void;
    const complete = new Promise<void>((resolve) => (done = resolve));
    const entry = { answers: [] as Message[], expected: Infinity, done };
    gathers.set(message.id, entry);
    let timer: NodeJS.Timeout | undefined;
    try {
      entry.expected = await publish(bus, message);
      if (entry.answers.length >= entry.expected) done();
      await Promise.race([complete, new Promise((resolve) => (timer = setTimeout(resolve, gatherTimeoutMs)))]);
      if (entry.answers.length < entry.expected) log.warn('some instances did not answer in time', { expected: entry.expected, answered: entry.answers.length });
      return entry.answers;
    } finally {
      clearTimeout(timer);
      gathers.delete(message.id);
    }
  };

  // Subscribed once (two listeners would deliver everything twice): node-redis renews the
  // subscriptions itself after every reconnect.
  let subscription: Promise<void> | undefined;
  const subscribe = () => {
    subscription ??= sub.subscribe([bus, answers], onMessage).then(
      () => {
        subscribed = true;
        watch();
      },
      (err: unknown) => {
        subscription = undefined;
        throw err;
      },
    );
    return subscription;
  };
  sub.on('ready', () => void subscribe().catch((err: unknown) => log.warn('could not subscribe', { err })));
  const connected = Promise.all([pub.connect(), sub.connect()]).then(subscribe);
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([connected, new Promise((resolve) => (timer = setTimeout(resolve, connectTimeoutMs)))]).catch((err: unknown) =>
    log.warn('redis not reachable at start; retrying in the background', { err }),
  );
  clearTimeout(timer);
  watch();

  return {
    instanceId,
    attach(local) {
      node = local;
    },
    async broadcast(data) {
      if (isUp()) {
        try {
          const replies = await gather({ kind: 'broadcast', id: randomUUID(), origin: instanceId, data });
          return replies.reduce((sum, m) => sum + (m.kind === 'answer' ? (m.sent ?? 0) : 0), 0);
        } catch (err) {
          log.warn('broadcast through redis failed', { err });
        }
      }
      if (!degradedBroadcastLogged) {
        degradedBroadcastLogged = true;
        log.warn('redis unavailable: broadcasts reach this instance’s clients only', { instanceId });
      }
      return node!.broadcast(data);
    },
    async connections() {
      const local = (): ClusterConnections => ({
        clients: Object.fromEntries(Object.entries(node!.snapshot()).map(([id, s]) => [id, { ...s, instance: instanceId }])),
        instances: [instanceId],
      });
      if (!isUp()) return local();
      try {
        const replies = await gather({ kind: 'query', id: randomUUID(), origin: instanceId });
        const view: ClusterConnections = { clients: {}, instances: [] };
        for (const reply of replies) {
          if (reply.kind !== 'answer') continue;
          view.instances.push(reply.instance);
          for (const [id, snapshot] of Object.entries(reply.clients ?? {})) view.clients[id] = { ...snapshot, instance: reply.instance };
        }
        return view;
      } catch (err) {
        log.warn('connections query through redis failed', { err });
        return local();
      }
    },
    claim(clientId, onReplaced): Claim {
      const entry: ClaimEntry = { seen: 0, onReplaced };
      claims.set(clientId, entry);
      if (isUp()) {
        const key = `${prefix}fence:${clientId}`;
        pub
          .multi()
          .incr(key)
          .pExpire(key, FENCE_TTL_MS)
          .exec()
          .then(async ([token]) => {
            entry.token = Number(token);
            if (claims.get(clientId) !== entry) return;
            if (entry.seen > entry.token) return replace(clientId, entry);
            await publish(bus, { kind: 'claim', clientId, token: entry.token, instance: instanceId });
          })
          .catch((err: unknown) => log.warn('could not claim the client across the cluster', { clientId, err }));
      }
      return {
        release() {
          if (claims.get(clientId) === entry) claims.delete(clientId);
        },
      };
    },
    forward(clientId, replies) {
      if (!isUp()) return;
      publish(bus, { kind: 'deliver', clientId, replies }).catch((err: unknown) => log.warn('could not forward replies', { clientId, err }));
    },
    async takeTurn(job, intervalMs) {
      if (!isUp()) return true;
      try {
        // Kept 90 % of the interval, so a timer that fires a little early still finds the key gone.
        const ttl = Math.max(1, Math.floor(intervalMs * 0.9));
        return (await pub.set(`${prefix}turn:${job}`, instanceId, { condition: 'NX', expiration: { type: 'PX', value: ttl } })) === 'OK';
      } catch {
        return true;
      }
    },
    health: () => (isUp() ? 'up' : 'down'),
    async close() {
      for (const client of [pub, sub]) {
        client.removeAllListeners();
        client.on('error', () => {});
      }
      await Promise.allSettled([sub.close(), pub.close()]);
    },
  };
}
