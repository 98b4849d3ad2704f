import { performance } from 'node:perf_hooks';
import { collectDefaultMetrics, Gauge, Registry, type Metric } from 'prom-client';
import { ERRORS, type ErrorCode } from './errors.ts';
import type { ServerFrame } from './protocol.ts';
import type { NamedRoute } from './routes.ts';
import type { Store } from './store.ts';

/**
 * Prometheus metrics for one chat server, in the text exposition format (`GET /metrics`). Every
 * metric lives in a registry of its own instance, so two servers in one process never clash; only
 * the process metrics (CPU, memory, event loop, GC) are process-wide, collected once and shared.
 */

/**
 * Why an upgrade was refused: the `error_code` of the handshake refusal (NOT_FOUND for a path that is
 * not ours), or INVALID_CLIENT_ID / UNAUTHORIZED for a socket accepted and closed with 1008.
 */
export type RefusalReason = ErrorCode;

/**
 * How a started turn ended: `replied` (engine answered, turn stored), `replayed` (a repeated
 * message_id answered from the store), `timed_out` (LLM_PROCESSING_ERROR), `failed`
 * (INTERNAL_SERVER_ERROR: the engine threw or the store failed), `storage_unavailable`
 * (STORAGE_UNAVAILABLE), `session_deleted` (SESSION_DELETED), `aborted` (shutdown).
 */
export type TurnOutcome =
  'replied' | 'replayed' | 'timed_out' | 'failed' | 'storage_unavailable' | 'session_deleted' | 'aborted';

/** Which limit refused: a frame (RATE_LIMITED) or an upgrade (429, by the address's connect rate or open count). */
export type RateLimitKind = 'frames' | 'connect_rate' | 'connections_per_address';

export type StoreOperation = keyof Store;

/** Read at each scrape; the pipeline owns these numbers, so they are sampled rather than counted. */
export interface QueueSample {
  /** Clients with a turn running now. */
  running: number;
  /** Messages waiting behind running turns, over all clients. */
  waiting: number;
}

export interface Metrics {
  /** A client passed the handshake and was registered (call once per socket, with connectionClosed on its 'close'). */
  connectionOpened(): void;
  /** A registered client's socket closed with `code` (codes outside the known set are counted as "other"). */
  connectionClosed(code: number): void;
  connectionRefused(reason: RefusalReason): void;
  /** One inbound WebSocket frame, valid or not, before any check. */
  frameReceived(): void;
  /** A frame handed to `count` sockets (a broadcast is one frame to many); error frames are also counted by code. */
  frameSent(frame: { type: ServerFrame['type'] | 'other'; error_code?: ErrorCode }, count?: number): void;
  /** A turn ended; `seconds` from the `processing` frame to the last reply or error. */
  turnFinished(outcome: TurnOutcome, seconds: number): void;
  /** How long `engine.reply` took, whether it answered, threw or was abandoned. */
  engineFinished(seconds: number): void;
  rateLimited(kind: RateLimitKind): void;
  /** A socket terminated for missing a heartbeat pong. */
  heartbeatTerminated(): void;
  /** Records one store call; instrumentStore() calls it for every operation. */
  storeOperation(operation: StoreOperation, seconds: number, ok: boolean): void;
  /** Sets where the queue gauges are read from at each scrape (the last call wins). */
  sampleQueue(read: () => QueueSample): void;
  /** The exposition for GET /metrics. */
  render(): Promise<{ contentType: string; body: string }>;
}

export interface MetricsOptions {
  /**
   * Include the process metrics (`process_*`, `nodejs_*`, with their standard names). Default true;
   * turn it off when the embedding program exports them itself.
   */
  processMetrics?: boolean;
}

const PREFIX = 'meetingmuse_';

/** Turn and engine latency, in seconds: from a fast rule-based answer to the default engine timeout (30 s). */
const TURN_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** Store latency, in seconds: a memory read to a slow networked write. */
const STORE_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];

/**
 * Close codes kept as their own label value. A client picks its own close code (any of 3000–4999),
 * so unknown codes share "other": one series each would let a client grow the exposition at will.
 */
const KNOWN_CLOSE_CODES = new Set([1000, 1001, 1005, 1006, 1007, 1008, 1009, 1011, 1013, 4000]);

/**
 * The process metrics, collected once per process. prom-client's collector starts a GC observer and
 * an event-loop monitor that cannot be stopped, so collecting per instance would leak one of each
 * for every server created; and they describe the process, which is the same for every server in it.
 */
let processRegistry: Registry | undefined;

function sharedProcessRegistry(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

interface Series {
  /** Observations per bucket, not cumulative; the last slot is above the highest bound (+Inf). */
  counts: Float64Array;
  sum: number;
  count: number;
}

/**
 * A histogram that records into preallocated arrays and is read through prom-client's registry,
 * which formats it like its own. Why not prom-client's Histogram: its observe() hashes the label
 * object and walks keyed bucket maps, measured at 1 µs unlabelled and 2 µs labelled on the 2-core
 * development VM, and one turn observes five or six (turn, engine, each store call): about 10 µs on
 * a turn the hot path spends 50–100 µs on. This one scans a short array and adds.
 */
class FastHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  readonly name: string;
  readonly help: string;
  readonly bounds: readonly number[];
  /** The one label this histogram is split by, if any. */
  readonly labelName: string | undefined;
  readonly #series = new Map<string, Series>();

  constructor(name: string, help: string, bounds: readonly number[], labelName?: string) {
    this.name = name;
    this.help = help;
    this.bounds = bounds;
    this.labelName = labelName;
  }

  observe(seconds: number, labelValue = ''): void {
    let series = this.#series.get(labelValue);
    if (!series) {
      series = { counts: new Float64Array(this.bounds.length + 1), sum: 0, count: 0 };
      this.#series.set(labelValue, series);
    }
    let bucket = 0;
    while (bucket < this.bounds.length && seconds > this.bounds[bucket]!) bucket++;
    series.counts[bucket]!++;
    series.sum += seconds;
    series.count++;
  }

  /** The shape prom-client's registry reads from its own metrics: cumulative buckets, then sum and count. */
  async get() {
    const values = [...this.#series].flatMap(([labelValue, { counts, sum, count }]) => {
      const labels = this.labelName === undefined ? {} : { [this.labelName]: labelValue };
      let cumulative = 0;
      const buckets = this.bounds.map((bound, i) => {
        cumulative += counts[i]!;
        return { metricName: `${this.name}_bucket`, labels: { ...labels, le: bound }, value: cumulative };
      });
      return [
        ...buckets,
        { metricName: `${this.name}_bucket`, labels: { ...labels, le: '+Inf' }, value: count },
        { metricName: `${this.name}_sum`, labels, value: sum },
        { metricName: `${this.name}_count`, labels, value: count },
      ];
    });
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  reset(): void {
    this.#series.clear();
  }
}

/**
 * A counter split by at most one label, kept as plain numbers and read through prom-client's
 * registry like FastHistogram. prom-client's Counter hashes its label object on every inc(), and the
 * frame counters are bumped two or three times per turn.
 */
class FastCounter {
  readonly type = 'counter';
  readonly aggregator = 'sum';
  readonly name: string;
  readonly help: string;
  /** The one label this counter is split by, if any. */
  readonly labelName: string | undefined;
  readonly #values = new Map<string, number>();

  constructor(name: string, help: string, labelName?: string) {
    this.name = name;
    this.help = help;
    this.labelName = labelName;
    this.reset();
  }

  inc(labelValue = '', by = 1): void {
    this.#values.set(labelValue, (this.#values.get(labelValue) ?? 0) + by);
  }

  /** The shape prom-client's registry reads from its own counters. */
  async get() {
    const values = [...this.#values].map(([labelValue, value]) => ({
      labels: this.labelName === undefined ? {} : { [this.labelName]: labelValue },
      value,
    }));
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  /** Back to zero; an unlabelled counter shows 0 before its first inc(), a labelled one no series, as prom-client's do. */
  reset(): void {
    this.#values.clear();
    if (this.labelName === undefined) this.#values.set('', 0);
  }
}

/** Registers every meetingmuse_* metric in `registry`; the queue gauges call `queue()` at each scrape. */
function defineMetrics(registry: Registry, queue: () => QueueSample) {
  const registers = [registry];
  const counter = (name: string, help: string, labelName?: string) => {
    const metric = new FastCounter(PREFIX + name, help, labelName);
    // As with histograms: the registry reads any metric through get().
    registry.registerMetric(metric as unknown as Metric);
    return metric;
  };
  const histogram = (name: string, help: string, buckets: readonly number[], labelName?: string) => {
    const metric = new FastHistogram(PREFIX + name, help, buckets, labelName);
    // The registry reads any metric through get(); its type names only its own classes.
    registry.registerMetric(metric as unknown as Metric);
    return metric;
  };
  const sampled = (name: string, help: string, read: (sample: QueueSample) => number) =>
    new Gauge({
      name: PREFIX + name,
      help,
      registers,
      collect() {
        this.set(read(queue()));
      },
    });
  sampled('turns_running', 'Clients with a turn running now.', (sample) => sample.running);
  sampled('turn_queue_depth', 'Messages waiting behind running turns, over all clients.', (sample) => sample.waiting);
  return {
    open: new Gauge({ name: `${PREFIX}connections_open`, help: 'WebSocket clients connected now.', registers }),
    accepted: counter('connections_accepted_total', 'WebSocket clients that passed the handshake.'),
    refused: counter(
      'connections_refused_total',
      'Upgrades refused, by reason (the error_code of the refusal, or the 1008 close reason).',
      'reason',
    ),
    closed: counter(
      'connections_closed_total',
      'Connected clients whose socket closed, by close code ("other" for codes a client chose).',
      'code',
    ),
    framesIn: counter('frames_received_total', 'WebSocket frames received, valid or not.'),
    framesOut: counter(
      'frames_sent_total',
      'WebSocket frames sent, by frame type (a broadcast counts once per recipient).',
      'type',
    ),
    errorFrames: counter('error_frames_total', 'Error frames sent, by error_code.', 'code'),
    turns: counter('turns_total', 'Turns finished, by outcome.', 'outcome'),
    turnSeconds: histogram(
      'turn_duration_seconds',
      'Time from a turn starting (the processing frame) to its last reply or error.',
      TURN_BUCKETS,
    ),
    engineSeconds: histogram('engine_duration_seconds', 'Time the engine took to answer one turn.', TURN_BUCKETS),
    rateLimited: counter(
      'rate_limit_refusals_total',
      'Frames (RATE_LIMITED) and upgrades (429) refused by a rate or count limit.',
      'limit',
    ),
    heartbeat: counter('heartbeat_terminations_total', 'Sockets terminated for missing a heartbeat pong.'),
    storeSeconds: histogram(
      'store_operation_duration_seconds',
      'Time a store operation took, by operation.',
      STORE_BUCKETS,
      'operation',
    ),
    storeFailures: counter(
      'store_operation_failures_total',
      'Store operations that failed, by operation.',
      'operation',
    ),
  };
}

/** Creates the metrics of one server, in a registry of their own. */
export function createMetrics({ processMetrics = true }: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  let readQueue: () => QueueSample = () => ({ running: 0, waiting: 0 });
  const m = defineMetrics(registry, () => readQueue());
  const exposed = processMetrics ? Registry.merge([sharedProcessRegistry(), registry]) : registry;
  return {
    connectionOpened() {
      m.accepted.inc();
      m.open.inc();
    },
    connectionClosed(code) {
      m.open.dec();
      m.closed.inc(KNOWN_CLOSE_CODES.has(code) ? String(code) : 'other');
    },
    connectionRefused: (reason) => m.refused.inc(reason),
    frameReceived: () => m.framesIn.inc(),
    frameSent(frame, count = 1) {
      m.framesOut.inc(frame.type, count);
      if (frame.error_code !== undefined) m.errorFrames.inc(frame.error_code, count);
    },
    turnFinished(outcome, seconds) {
      m.turns.inc(outcome);
      m.turnSeconds.observe(seconds);
    },
    engineFinished: (seconds) => m.engineSeconds.observe(seconds),
    rateLimited: (kind) => m.rateLimited.inc(kind),
    heartbeatTerminated: () => m.heartbeat.inc(),
    storeOperation(operation, seconds, ok) {
      m.storeSeconds.observe(seconds, operation);
      if (!ok) m.storeFailures.inc(operation);
    },
    sampleQueue(read) {
      readQueue = read;
    },
    async render() {
      return { contentType: exposed.contentType, body: await exposed.metrics() };
    },
  };
}

type SentFrameKind = { type: ServerFrame['type'] | 'other'; error_code?: ErrorCode };

const FRAME_KINDS: ReadonlyArray<SentFrameKind & { type: ServerFrame['type'] }> = [
  { type: 'system' },
  { type: 'bot_response' },
  { type: 'error' },
];
const OTHER_KIND: SentFrameKind = { type: 'other' };
const ERROR_KINDS = new Map<string, SentFrameKind>(
  Object.keys(ERRORS).map((code) => [code, { type: 'error', error_code: code as ErrorCode }]),
);
const TYPE_KEY = '{"type":"';
const ERROR_CODE_KEY = ',"error_code":"';

/**
 * The type and error_code of a serialized frame, read from its first bytes. Every frame is made by
 * protocol.ts's builders, which put `type` first and an error frame's `error_code` second, and a
 * stored reply keeps that order through JSON; parsing each outgoing frame again would cost more than
 * sending it. Anything else is counted as "other", so the label values stay a fixed set. The answers
 * are shared objects: this runs for every frame sent.
 */
export function sentFrameKind(data: string): SentFrameKind {
  if (!data.startsWith(TYPE_KEY)) return OTHER_KIND;
  for (const kind of FRAME_KINDS) {
    const end = TYPE_KEY.length + kind.type.length;
    if (!data.startsWith(kind.type, TYPE_KEY.length) || data[end] !== '"') continue;
    if (kind.type !== 'error' || !data.startsWith(ERROR_CODE_KEY, end + 1)) return kind;
    const codeAt = end + 1 + ERROR_CODE_KEY.length;
    return ERROR_KINDS.get(data.slice(codeAt, data.indexOf('"', codeAt))) ?? kind;
  }
  return OTHER_KIND;
}

/** Seconds since `startedMs` (a performance.now() reading). */
export const secondsSince = (startedMs: number) => (performance.now() - startedMs) / 1000;

/**
 * Wraps a store so that every operation's latency is recorded by operation name, failures included.
 * The wrapper is a Store itself and changes nothing else: same results, same rejections, same order.
 * A method added to `Store` fails to compile here until it is wrapped too.
 */
export function instrumentStore(store: Store, metrics: Pick<Metrics, 'storeOperation'>): Store {
  const timed = <K extends StoreOperation>(operation: K): Store[K] => {
    const method = store[operation] as (...args: unknown[]) => Promise<unknown>;
    return ((...args: unknown[]) => {
      const started = performance.now();
      let result: Promise<unknown>;
      try {
        result = Promise.resolve(method.apply(store, args));
      } catch (err) {
        // A method that throws synchronously still answers with a rejection, as the interface promises.
        metrics.storeOperation(operation, secondsSince(started), false);
        return Promise.reject(err);
      }
      // The caller gets the store's own promise and the timing rides beside it: a wrapping async
      // function would cost every store call a promise and a trip through the microtask queue.
      result.then(
        () => metrics.storeOperation(operation, secondsSince(started), true),
        () => metrics.storeOperation(operation, secondsSince(started), false),
      );
      return result;
    }) as Store[K];
  };
  return {
    openSession: timed('openSession'),
    loadState: timed('loadState'),
    findReplies: timed('findReplies'),
    commitTurn: timed('commitTurn'),
    markDelivered: timed('markDelivered'),
    getSession: timed('getSession'),
    loadArchive: timed('loadArchive'),
    calendarFeed: timed('calendarFeed'),
    rotateCalendarFeed: timed('rotateCalendarFeed'),
    revokeCalendarFeed: timed('revokeCalendarFeed'),
    findCalendarFeed: timed('findCalendarFeed'),
    deleteSession: timed('deleteSession'),
    sweep: timed('sweep'),
    health: timed('health'),
    close: timed('close'),
    ...(store.ping ? { ping: timed('ping') } : {}),
    ...(store.turnsAhead ? { turnsAhead: true } : {}),
  };
}

/** GET /metrics, privileged: the same access rule as the admin routes; turned off with `routes: { metrics: false }`. */
export function metricsRoute(metrics: Pick<Metrics, 'render'>): NamedRoute {
  return {
    name: 'metrics',
    path: /^\/metrics$/,
    privileged: true,
    methods: {
      async GET() {
        const { contentType, body } = await metrics.render();
        return { body, contentType };
      },
    },
  };
}
