import type { ConnectionSnapshot } from '../connection-manager.ts';
import type { StoredReply } from '../store.ts';

/**
 * How instances of one deployment share short-lived traffic: broadcasts, who is connected where,
 * the newest-connection-wins rule, and replies whose client moved. Durable state never goes through
 * here (that is the store's job). The local cluster is a single instance, today's behaviour; the
 * Redis cluster (./redis-cluster.ts) spans every instance on one Redis.
 */
export interface Cluster {
  readonly instanceId: string;
  /** Called once by the chat server, before any other method. */
  attach(node: LocalNode): void;
  /** Sends a serialized frame to every client of every instance once; resolves with how many it reached. */
  broadcast(data: string): Promise<number>;
  /** Who is connected, on every instance that answered. */
  connections(): Promise<ClusterConnections>;
  /**
   * Registers a client that just connected here as its newest connection cluster-wide; `onReplaced`
   * runs if a newer connection of the same client opens on another instance later.
   */
  claim(clientId: string, onReplaced: () => void): Claim;
  /** Hands stored replies to whichever instance the client is connected to now. */
  forward(clientId: string, replies: StoredReply[]): void;
  /** Resolves true for one caller per `intervalMs` across the cluster: for jobs such as the retention sweep. */
  takeTurn(job: string, intervalMs: number): Promise<boolean>;
  /** 'up' or 'down' for the shared service it depends on; undefined when it depends on none. */
  health(): 'up' | 'down' | undefined;
}

/** What the cluster may ask of this instance's chat server. */
export interface LocalNode {
  /** Sends a serialized frame to every client connected here; returns how many it went to. */
  broadcast(data: string): number;
  snapshot(): Record<string, ConnectionSnapshot>;
  /** Sends stored replies to the client if it is connected here (never forwards them again). */
  deliver(clientId: string, replies: StoredReply[]): void;
}

export interface Claim {
  /** The connection closed: forget it (a newer claim of the same client is left alone). */
  release(): void;
}

export interface ClusterConnections {
  clients: Record<string, ConnectionSnapshot & { instance: string }>;
  /** The instances that answered, this one included. */
  instances: string[];
}

/** Alone, a client is never claimed elsewhere: one shared claim with nothing to release, not an object per connection. */
const NO_CLAIM: Claim = { release() {} };

/** One instance alone: everything is local, nothing can fail. */
export function createLocalCluster(instanceId = 'local'): Cluster {
  let node: LocalNode | undefined;
  return {
    instanceId,
    attach(local) {
      node = local;
    },
    broadcast: async (data) => node!.broadcast(data),
    async connections() {
      const clients: ClusterConnections['clients'] = {};
      for (const [id, snapshot] of Object.entries(node!.snapshot()))
        clients[id] = { ...snapshot, instance: instanceId };
      return { clients, instances: [instanceId] };
    },
    claim: () => NO_CLAIM,
    forward() {},
    takeTurn: async () => true,
    health: () => undefined,
  };
}
