// npm run bench [-- --json] [--only raw,raw-2frames,echo,echo-memory,assistant,cluster] [--duration 10] [--warmup 2] [--rounds 3]
// Our server runs from dist/ (npm run build first; the npm script does), as `npm start` runs it.
// Starts each server as a child process on its own loopback address, drives it from this process
// (round trips from two load-generator processes per server, the servers taking turns in slices of a
// second in each of `rounds` rounds), and prints one table with absolute figures and each server's
// ratio to the raw ws floor (one frame per message) measured in the same run. Loopback only, bounded,
// stops by itself.
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { fork, type ChildProcess } from 'node:child_process';
import WebSocket from 'ws';
import type { LoadWorkerData, LoadWorkerResult, LoadWorkerRun } from './load-worker.ts';
import { cpuMs, rssBytes, startServerProcess, type ServerProcess } from './process-stats.ts';
import { understand } from '../lib/engines/meeting/understand.ts';
import { CORPUS, NOW, ZONE } from '../test/fixtures/utterances.ts';
import { servicesMissing, startPostgres, startRedis } from '../test/services.ts';

const { values } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    only: { type: 'string' },
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
    rounds: { type: 'string', default: '3' },
  },
});
const DURATION_MS = Number(values.duration) * 1000;
const WARMUP_MS = Number(values.warmup) * 1000;
const ROUNDS = Number(values.rounds);
if (!Number.isInteger(ROUNDS) || ROUNDS < 1)
  throw new Error(`--rounds takes a whole number from 1, not ${values.rounds}`);
const root = fileURLToPath(new URL('..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'meetingmuse-bench-'));
const say = (line: string) => values.json || process.stderr.write(`${line}\n`);

/** Abuse guards out of the way: they are not what is measured. Logging stays at its default, info. */
const OUR_SERVER_ENV = {
  RATE_LIMIT_PER_SEC: '100000',
  RATE_LIMIT_BURST: '100000',
  CONNECT_RATE_PER_MIN: '1000000',
  MAX_CONNECTIONS_PER_IP: '1000000',
  MAX_CONNECTIONS: '1000000',
  MAX_QUEUED_MESSAGES: '1000',
};

interface ServerSpec {
  name: string;
  key: string;
  args: string[];
  env: Record<string, string>;
  /** What the round-trip clients send. */
  message: string;
  /** Also measure a turn's cost with 10 and with 1000 stored messages in the session. */
  measuresHistory?: boolean;
}

const SERVERS: ServerSpec[] = [
  {
    name: 'raw ws floor, 1 frame',
    key: 'raw',
    args: ['--import', 'tsx', 'bench/raw-server.ts'],
    env: {},
    message: 'hello',
  },
  {
    name: 'raw ws, 2 frames',
    key: 'raw-2frames',
    args: ['--import', 'tsx', 'bench/raw-server.ts'],
    env: { RAW_FRAMES: '2' },
    message: 'hello',
  },
  {
    name: 'echo, SQLite file',
    key: 'echo',
    args: ['dist/server.js'],
    env: { ...OUR_SERVER_ENV, MEETINGMUSE_ENGINE: 'echo', MEETINGMUSE_DB: join(dir, 'echo.db') },
    message: 'hello',
    measuresHistory: true,
  },
  {
    name: 'echo, in-memory store',
    key: 'echo-memory',
    args: ['dist/server.js'],
    env: { ...OUR_SERVER_ENV, MEETINGMUSE_ENGINE: 'echo', MEETINGMUSE_DB: ':memory:' },
    message: 'hello',
  },
  {
    name: 'assistant, SQLite file',
    key: 'assistant',
    args: ['dist/server.js'],
    env: { ...OUR_SERVER_ENV, MEETINGMUSE_ENGINE: 'assistant', MEETINGMUSE_DB: join(dir, 'assistant.db') },
    // Understood (date, intent), answered from the calendar, one reply per message.
    message: "what's on tomorrow?",
  },
];

/** Microseconds to understand one message, over the test corpus, in this process. */
function understandingCost(): number {
  const context = { now: NOW, timeZone: ZONE };
  for (const [text] of CORPUS) understand(text, context);
  const rounds = 20;
  const started = performance.now();
  for (let i = 0; i < rounds; i++) for (const [text] of CORPUS) understand(text, context);
  return ((performance.now() - started) * 1000) / (rounds * CORPUS.length);
}

const only = values.only?.split(',');
const selected = SERVERS.filter((s) => !only || only.includes(s.key));
const clusterSelected = !only || only.includes('cluster');

type Metrics = Record<string, number>;

const percentile = (sorted: Float64Array, p: number) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : NaN;

interface RoundTripLoad {
  window: number;
  /** Names the clients, and so their sessions. */
  idPrefix: string;
  /** Messages each client sends before the first run (its stored history is twice that). */
  prefill?: number;
}

/** Load-generator processes with their clients open on `servers`, ready for runs. */
interface Load {
  servers: ServerProcess[];
  workers: ChildProcess[];
}

/** What one run measured: round trips and errors in its window, their latencies, and the CPU time spent. */
interface RunTotals {
  count: number;
  errors: number;
  latenciesMs: number[];
  serverCpuMs: number;
  loadCpuMs: number;
  durationMs: number;
}

/**
 * 50 clients in two load-generator processes, `window` messages in flight each, closed loop. With
 * several servers (instances of one cluster) each generator drives its own. Resolves once every
 * client is open (and has sent its prefill).
 */
async function startLoad(
  target: ServerProcess | ServerProcess[],
  host: string | string[],
  spec: Pick<ServerSpec, 'message'>,
  { window, idPrefix, prefill }: RoundTripLoad,
): Promise<Load> {
  const servers = [target].flat();
  const hosts = [host].flat();
  const workers: ChildProcess[] = Array.from({ length: 2 }, (_, i) => {
    const n = i % servers.length;
    const url = `ws://${hosts[n % hosts.length]}:${servers[n]!.port}`;
    const data: LoadWorkerData = {
      url,
      clients: 25,
      window,
      idPrefix: `${idPrefix}-${i}`,
      message: spec.message,
      prefill,
    };
    return fork(fileURLToPath(new URL('./load-worker.ts', import.meta.url)), {
      execArgv: ['--import', 'tsx'],
      env: { ...process.env, LOAD_WORKER_DATA: JSON.stringify(data) },
    });
  });
  // Prefilling 500 messages for 25 clients takes a few seconds; the workers report ready after it.
  await Promise.all(
    workers.map((w) => new Promise((resolve, reject) => w.once('message', resolve).once('error', reject))),
  );
  return { servers, workers };
}

/** Closes the load's clients and lets its processes exit. */
const stopLoad = ({ workers }: Load) => workers.forEach((w) => w.disconnect());

/** The CPU time `servers` have used so far. */
const cpuMsOf = (servers: ServerProcess[]): number => servers.reduce((ms, s) => ms + cpuMs(s.pid), 0);

/**
 * One run on `load`: sending for `warmupMs`, then measured for `durationMs`, servers' CPU from /proc (and where it
 * stood at the end).
 */
async function measureRun(
  { servers, workers }: Load,
  warmupMs: number,
  durationMs: number,
): Promise<RunTotals & { serverCpuAtEndMs: number }> {
  const results = workers.map((w) => new Promise<LoadWorkerResult>((resolve) => w.once('message', resolve)));
  const run: LoadWorkerRun = { startAtEpochMs: Date.now() + 50, warmupMs, durationMs };
  workers.forEach((w) => w.send(run));
  const sample = () => ({
    server: cpuMsOf(servers),
    load: workers.reduce((ms, w) => ms + cpuMs(w.pid!), 0),
  });
  await new Promise((resolve) => setTimeout(resolve, run.startAtEpochMs - Date.now() + warmupMs));
  const from = sample();
  await new Promise((resolve) => setTimeout(resolve, durationMs));
  const to = sample();
  const all = await Promise.all(results);
  return {
    count: all.reduce((n, r) => n + r.roundTrips, 0),
    errors: all.reduce((n, r) => n + r.errors, 0),
    latenciesMs: all.flatMap((r) => r.latenciesMs),
    serverCpuMs: to.server - from.server,
    serverCpuAtEndMs: to.server,
    loadCpuMs: to.load - from.load,
    durationMs,
  };
}

/** A run's metrics, keyed by its window. */
function runMetrics(window: number, { count, errors, latenciesMs, serverCpuMs, loadCpuMs, durationMs }: RunTotals) {
  const latencies = Float64Array.from(latenciesMs).sort();
  return {
    [`rt_per_s_w${window}`]: count / (durationMs / 1000),
    [`p50_ms_w${window}`]: percentile(latencies, 50),
    [`p99_ms_w${window}`]: percentile(latencies, 99),
    [`cpu_us_per_rt_w${window}`]: (serverCpuMs * 1000) / count,
    [`loadgen_cpu_pct_w${window}`]: (loadCpuMs / durationMs) * 100,
    [`errors_w${window}`]: errors,
  };
}

/** One run of RoundTripLoad on fresh load generators: WARMUP_MS, then DURATION_MS measured. */
async function roundTrips(
  target: ServerProcess | ServerProcess[],
  host: string | string[],
  spec: Pick<ServerSpec, 'message'>,
  options: RoundTripLoad,
): Promise<Metrics> {
  const load = await startLoad(target, host, spec, options);
  try {
    return runMetrics(options.window, await measureRun(load, WARMUP_MS, DURATION_MS));
  } finally {
    stopLoad(load);
  }
}

/** A slice: a short ramp from idle, then this long measured. */
const SLICE_WARMUP_MS = 250;
const SLICE_MS = 1000;

/**
 * Runs `loads` in turn, slice by slice, the first of them rotating with `rotation`, until each has had
 * `durationMs`; each one's totals. A load's first slice ramps for `firstWarmupMs`. A server's CPU also counts
 * what it spends after its slice while the others run (a GC or a checkpoint finishing, timers), until its
 * next ramp, and for a slice after its last: measured, that was 0.2–3.4 % of the slices' own.
 */
async function slicesTakingTurns(
  loads: Load[],
  rotation: number,
  firstWarmupMs: number,
  durationMs = DURATION_MS,
): Promise<RunTotals[]> {
  const slices = Math.max(1, Math.round(durationMs / SLICE_MS));
  const totals: RunTotals[] = loads.map(() => ({
    count: 0,
    errors: 0,
    latenciesMs: [],
    serverCpuMs: 0,
    loadCpuMs: 0,
    durationMs: 0,
  }));
  // Where each load's servers' CPU stood when its last slice ended.
  const endedAt: number[] = [];
  const addSpill = (i: number) => (totals[i]!.serverCpuMs += cpuMsOf(loads[i]!.servers) - endedAt[i]!);
  for (let slice = 0; slice < slices; slice++)
    for (let k = 0; k < loads.length; k++) {
      const i = (rotation + slice + k) % loads.length;
      if (endedAt[i] !== undefined) addSpill(i);
      const run = await measureRun(loads[i]!, slice === 0 ? firstWarmupMs : SLICE_WARMUP_MS, SLICE_MS);
      endedAt[i] = run.serverCpuAtEndMs;
      const total = totals[i]!;
      total.count += run.count;
      total.errors += run.errors;
      for (const ms of run.latenciesMs) total.latenciesMs.push(ms);
      total.serverCpuMs += run.serverCpuMs;
      total.loadCpuMs += run.loadCpuMs;
      total.durationMs += run.durationMs;
    }
  await new Promise((resolve) => setTimeout(resolve, SLICE_MS));
  loads.forEach((_, i) => addSpill(i));
  return totals;
}

/** Opens `n` clients, at most `concurrency` handshakes at a time; resolves when all got their first frame. */
async function connectMany(url: string, prefix: string, n: number, concurrency = 200): Promise<WebSocket[]> {
  const sockets: WebSocket[] = [];
  let next = 0;
  async function lane(): Promise<void> {
    while (next < n) {
      const index = next++;
      const ws = new WebSocket(`${url}/ws/${prefix}-${index}`);
      ws.on('error', () => {});
      await new Promise<void>((resolve, reject) => {
        ws.once('message', () => resolve());
        ws.once('close', () => reject(new Error(`client ${prefix}-${index} closed before connection_established`)));
      });
      sockets.push(ws);
    }
  }
  await Promise.all(Array.from({ length: concurrency }, lane));
  return sockets;
}

/** Milliseconds from sending POST /admin/broadcast until every one of `sockets` has the frame. */
async function broadcastOnce(base: string, sockets: WebSocket[]): Promise<number> {
  let received = 0;
  const started = performance.now();
  const all = new Promise<number>((resolve) => {
    for (const ws of sockets)
      ws.once('message', () => ++received === sockets.length && resolve(performance.now() - started));
  });
  const res = await fetch(`${base}/admin/broadcast`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{"content":"broadcast"}',
  });
  await res.arrayBuffer();
  return all;
}

/** p50 and p99 of broadcast times at `clients` clients. */
function broadcastMetrics(times: number[], clients: number): Metrics {
  const sorted = Float64Array.from(times).sort();
  return {
    [`broadcast_p50_ms_${clients}`]: percentile(sorted, 50),
    [`broadcast_p99_ms_${clients}`]: percentile(sorted, 99),
  };
}

/** Broadcasts each server of a pass makes, after one unrecorded. */
const BROADCASTS_PER_PASS = 40;

/** Broadcast metrics by server, and each one's p50 as a ratio to the floor's, pass by pass. */
interface BroadcastResults {
  metrics: Record<string, Metrics>;
  passRatios: Record<string, Record<string, number[]>>;
}

/**
 * Broadcasts at 1000 and then 5000 idle clients, each server in passes of its own with the floor, ROUNDS
 * passes each, the servers' passes interleaved: in a pass both open that many fresh clients, then take
 * turns broadcast by broadcast (the first alternating), BROADCASTS_PER_PASS each after one unrecorded.
 * Taken apart from the round trips, after them: a broadcast just after a load also measures how the
 * load's last work ends (README, Benchmark). Turns as short as one broadcast put the neighbours' load on
 * the floor and on ours alike, as rounds minutes long did not. A whole pass can still come out a fifth
 * apart from the next one on this VM, so a server's ratio is the median of its passes' (its p50 over
 * the floor's in the same pass), as the round trips' is of their rounds'. Pairs rather than all servers
 * at once: 5000 clients on each of five servers would pass the file descriptors a process may hold. A
 * server's p50 and p99, and the floor's, are over all its passes' broadcasts.
 */
async function broadcastsInPairs(measured: Measured[]): Promise<BroadcastResults> {
  const floor = measured.find(({ spec }) => spec.key === 'raw');
  const others = measured.filter((entry) => entry !== floor);
  const results: BroadcastResults = { metrics: {}, passRatios: {} };
  for (const clients of [1000, 5000]) {
    const key = `broadcast_p50_ms_${clients}`;
    const times = new Map<Measured, number[]>();
    const passRatios = new Map<Measured, number[]>();
    for (let round = 1; round <= ROUNDS; round++)
      for (const entry of others.length > 0 ? others : measured) {
        say(
          `${entry.spec.name}: broadcasts at ${clients} clients, pass ${round} of ${ROUNDS}, taking turns with the floor`,
        );
        const pass = floor && floor !== entry ? [entry, floor] : [entry];
        const idle: WebSocket[][] = [];
        try {
          for (const server of pass) idle.push(await connectTo(server, `bcast${clients}-${round}`, clients));
          const passTimes = await broadcastsTakingTurns(pass, idle);
          pass.forEach((server, i) => times.set(server, [...(times.get(server) ?? []), ...passTimes[i]!]));
          if (pass.length === 2) {
            const [ours, floors] = passTimes.map((t) => broadcastMetrics(t, clients)[key]!);
            passRatios.set(entry, [...(passRatios.get(entry) ?? []), ours! / floors!]);
          }
        } finally {
          idle.flat().forEach((ws) => ws.terminate());
        }
      }
    for (const [server, serverTimes] of times)
      Object.assign((results.metrics[server.spec.key] ??= {}), broadcastMetrics(serverTimes, clients));
    for (const [server, ratios] of passRatios) (results.passRatios[server.spec.key] ??= {})[key] = ratios;
  }
  return results;
}

/** Opens `n` idle clients on the measured server. */
const connectTo = ({ server, host }: Measured, prefix: string, n: number): Promise<WebSocket[]> =>
  connectMany(`ws://${host}:${server.port}`, prefix, n);

/** The pass's servers broadcast in turn to their idle clients, after one unrecorded each; each one's times. */
async function broadcastsTakingTurns(pass: Measured[], idle: WebSocket[][]): Promise<number[][]> {
  const bases = pass.map(({ server, host }) => `http://${host}:${server.port}`);
  for (const [i, base] of bases.entries()) await broadcastOnce(base, idle[i]!);
  const times = pass.map((): number[] => []);
  for (let turn = 0; turn < BROADCASTS_PER_PASS; turn++)
    for (let k = 0; k < pass.length; k++) {
      const i = (turn + k) % pass.length;
      times[i]!.push(await broadcastOnce(bases[i]!, idle[i]!));
    }
  return times;
}

/** Starts the server `spec` describes on `host`, on a free port, with `env` over the spec's own. */
const startSpecServer = (spec: ServerSpec, host: string, env: Record<string, string> = {}): Promise<ServerProcess> =>
  startServerProcess(spec.args, { cwd: root, env: { ...process.env, HOST: host, PORT: '0', ...spec.env, ...env } });

/** The history the sessions of the history runs hold: each server's cap, which its sessions are filled to. */
const HISTORY_SIZES = [10, 100, 1000] as const;

/**
 * Each size's time per round, twice a round trip row's: a round's growth moved 1.03-1.18 with 10 s
 * against a 10 % target, and 90 slices of each size gave 1.06 (in a scratch harness, 2026-12-02).
 */
const HISTORY_DURATION_MS = 2 * DURATION_MS;

/**
 * A turn's server CPU when each client's session holds 10, 100 and 1000 stored messages: one echo
 * server per size on a SQLite file of its own, side by side, each with its history cap at that size and
 * its sessions filled to it before the first round. So a session holds that many messages from the
 * first measured turn to the last; under a cap the turns outgrew, every run would measure sessions
 * growing into the same history. The servers' clients stay open, and within a round the servers take
 * turns in slices of a second (x 1), the first of them rotating, until each has had HISTORY_DURATION_MS: a
 * neighbour's load that comes and goes over seconds falls on every size alike, as it does not on runs
 * ten seconds apart. A round's cost for a size is its slices' CPU over their round trips; each growth is
 * the median of the rounds' ratios, as the round trips' ratios are.
 */
async function historyCost(spec: ServerSpec, host: string): Promise<{ metrics: Metrics; rounds: Metrics[] }> {
  const servers: ServerProcess[] = [];
  const loads: Load[] = [];
  try {
    for (const size of HISTORY_SIZES) {
      const env = { MAX_HISTORY_MESSAGES: String(size), MEETINGMUSE_DB: join(dir, `${spec.key}-history-${size}.db`) };
      servers.push(await startSpecServer(spec, host, env));
    }
    say(`${spec.name}: filling sessions to 10, 100 and 1000 stored messages`);
    for (const [i, size] of HISTORY_SIZES.entries()) {
      // A client's message is one user entry and one reply: half the cap fills it.
      loads.push(await startLoad(servers[i]!, host, spec, { window: 1, idPrefix: `hist${size}`, prefill: size / 2 }));
    }
    const rounds: Metrics[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      say(`${spec.name}: round trips with 10, 100 and 1000 stored messages per session (round ${round} of ${ROUNDS})`);
      const totals = await slicesTakingTurns(loads, round - 1, SLICE_WARMUP_MS, HISTORY_DURATION_MS);
      const costs: Metrics = Object.fromEntries(
        HISTORY_SIZES.map((size, i) => [
          `cpu_us_per_rt_hist${size}`,
          (totals[i]!.serverCpuMs * 1000) / totals[i]!.count,
        ]),
      );
      costs.history_cost_growth = costs.cpu_us_per_rt_hist1000! / costs.cpu_us_per_rt_hist10!;
      costs.history_cost_growth_from100 = costs.cpu_us_per_rt_hist1000! / costs.cpu_us_per_rt_hist100!;
      rounds.push(costs);
    }
    if (servers.some((server) => server.crashed)) throw new Error(`${spec.name} (history runs) crashed`);
    return { metrics: medianOf(rounds), rounds };
  } finally {
    loads.forEach(stopLoad);
    await Promise.all(servers.map((server) => server.stop()));
  }
}

interface Measured {
  spec: ServerSpec;
  server: ServerProcess;
  host: string;
}

/**
 * Round trips at 1 and then 8 in flight, one Metrics per round for each server, then each server's
 * connects. Within a round every server has load generators of its own whose clients stay open, and the
 * servers take turns in slices of a second, the first of them rotating, until each has had DURATION_MS:
 * the neighbours' load on this shared VM moved the floor's own cost at x 1 from 16 to 29 µs a round trip
 * between runs of ten seconds a minute apart, and a turn of a second puts what comes and goes over
 * seconds on the floor and on ours alike. A load's first slice ramps for WARMUP_MS.
 */
async function measureInRounds(
  measured: Measured[],
): Promise<{ rounds: Record<string, Metrics[]>; connects: Record<string, Metrics> }> {
  const rounds: Record<string, Metrics[]> = {};
  for (let round = 1; round <= ROUNDS; round++) {
    const metrics: Metrics[] = measured.map(() => ({}));
    for (const window of [1, 8]) {
      say(`round trips, 50 clients x ${window} in flight, the servers taking turns (round ${round} of ${ROUNDS})`);
      const loads: Load[] = [];
      try {
        for (const { spec, server, host } of measured)
          loads.push(await startLoad(server, host, spec, { window, idPrefix: `rt${window}-${round}` }));
        const totals = await slicesTakingTurns(loads, round - 1, WARMUP_MS);
        totals.forEach((total, i) => Object.assign(metrics[i]!, runMetrics(window, total)));
      } finally {
        loads.forEach(stopLoad);
      }
    }
    measured.forEach(({ spec }, i) => (rounds[spec.key] ??= []).push(metrics[i]!));
  }
  const connects: Record<string, Metrics> = {};
  for (const entry of measured) connects[entry.spec.key] = await measureConnects(entry);
  return { rounds, connects };
}

const median = (values: number[]): number => {
  const sorted = Float64Array.from(values).sort();
  return sorted.length % 2
    ? sorted[(sorted.length - 1) / 2]!
    : (sorted[sorted.length / 2 - 1]! + sorted[sorted.length / 2]!) / 2;
};

/** Each metric's median over the rounds. */
const medianOf = (rounds: Metrics[]): Metrics =>
  Object.fromEntries(Object.keys(rounds[0]!).map((key) => [key, median(rounds.map((m) => m[key]!))]));

/** Each metric's ratio to the floor's in the same round, median over the rounds. */
const ratiosOf = (rounds: Metrics[], floor: Metrics[]): Metrics =>
  Object.fromEntries(
    Object.keys(rounds[0]!).map((key) => [key, median(rounds.map((m, i) => m[key]! / floor[i]![key]!))]),
  );

/** Connects to established on the running server, 2000 at most 200 at a time. */
async function measureConnects({ spec, server, host }: Measured): Promise<Metrics> {
  say(`${spec.name}: 2000 connects`);
  const started = performance.now();
  const burst = await connectMany(`ws://${host}:${server.port}`, 'connect', 2000);
  const connectsPerS = 2000 / ((performance.now() - started) / 1000);
  burst.forEach((ws) => ws.terminate());
  return { connects_per_s: connectsPerS };
}

/** Clients opened and closed before the idle-memory baseline, so that the connection path's code is compiled. */
const IDLE_WARMUP_CLIENTS = 200;

/**
 * RSS per idle connection at 5000 and 10000 clients, ROUNDS times per server, each time in a fresh
 * process (the servers taking turns within a round), one Metrics per round. A server that has just run
 * loads holds whatever its allocator kept from them, and new connections fill that first: measured
 * once after a burst of 2000 connects, the floor's own figure at 5000 moved 1.94–2.97 KiB between runs
 * of the same code. Here the baseline is taken after a full GC, once IDLE_WARMUP_CLIENTS clients have
 * come and gone.
 */
async function idleMemoryInRounds(measured: Measured[]): Promise<Record<string, Metrics[]>> {
  const rounds: Record<string, Metrics[]> = {};
  for (let round = 1; round <= ROUNDS; round++)
    for (const { spec, host } of measured) {
      say(`${spec.name}: idle memory at 5000 and 10000 clients, fresh process (round ${round} of ${ROUNDS})`);
      const server = await startSpecServer(spec, host);
      try {
        (rounds[spec.key] ??= []).push(await idleMemory(server, `ws://${host}:${server.port}`));
        if (server.crashed) throw new Error(`${spec.name} crashed`);
      } finally {
        await server.stop();
      }
    }
  return rounds;
}

/** RSS growth per idle client on `server`, read after a full GC at 5000 and at 10000 clients. */
async function idleMemory(server: ServerProcess, url: string): Promise<Metrics> {
  (await connectMany(url, 'warm', IDLE_WARMUP_CLIENTS)).forEach((ws) => ws.terminate());
  await server.collectGarbage();
  const baseline = rssBytes(server.pid);
  const idle = await connectMany(url, 'idle-a', 5000);
  try {
    await server.collectGarbage();
    const perConn5000 = (rssBytes(server.pid) - baseline) / 1024 / 5000;
    idle.push(...(await connectMany(url, 'idle-b', 5000)));
    await server.collectGarbage();
    return {
      rss_kib_per_conn_5000: perConn5000,
      rss_kib_per_conn_10000: (rssBytes(server.pid) - baseline) / 1024 / 10000,
    };
  } finally {
    idle.forEach((ws) => ws.terminate());
  }
}

const ROWS: Array<[string, string, 'higher' | 'lower', string]> = [
  ['rt_per_s_w1', 'round trips/s, 50 clients x 1', 'higher', ''],
  ['rt_per_s_w8', 'round trips/s, 50 clients x 8', 'higher', ''],
  ['p50_ms_w1', 'latency p50 ms, x 1', 'lower', ''],
  ['p99_ms_w1', 'latency p99 ms, x 1', 'lower', 'echo SQLite <= 2x'],
  ['p50_ms_w8', 'latency p50 ms, x 8', 'lower', ''],
  ['p99_ms_w8', 'latency p99 ms, x 8', 'lower', 'echo SQLite <= 2x'],
  ['cpu_us_per_rt_w1', 'server CPU us / round trip, x 1', 'lower', 'echo memory <= 2x, echo SQLite <= 2.5x'],
  ['cpu_us_per_rt_w8', 'server CPU us / round trip, x 8', 'lower', 'echo memory <= 2x, echo SQLite <= 2.5x'],
  ['cpu_us_per_rt_hist10', 'server CPU us / round trip, 10 stored messages', 'lower', ''],
  ['cpu_us_per_rt_hist100', 'server CPU us / round trip, 100 stored messages', 'lower', ''],
  ['cpu_us_per_rt_hist1000', 'server CPU us / round trip, 1000 stored messages', 'lower', ''],
  ['history_cost_growth', 'turn cost growth, 1000 vs 10 stored (ratio)', 'lower', '<= 1.1'],
  ['history_cost_growth_from100', 'turn cost growth, 1000 vs 100 stored (ratio)', 'lower', ''],
  ['connects_per_s', 'connects/s to established, 2000', 'higher', 'echo >= 0.7x'],
  ['rss_kib_per_conn_5000', 'RSS KiB / idle conn @5000', 'lower', 'echo <= 1.2x'],
  ['rss_kib_per_conn_10000', 'RSS KiB / idle conn @10000', 'lower', 'echo <= 1.2x'],
  ['broadcast_p50_ms_1000', 'broadcast p50 ms @1000', 'lower', 'echo <= 1.1x'],
  ['broadcast_p99_ms_1000', 'broadcast p99 ms @1000', 'lower', ''],
  ['broadcast_p50_ms_5000', 'broadcast p50 ms @5000', 'lower', 'echo <= 1.1x'],
  ['broadcast_p99_ms_5000', 'broadcast p99 ms @5000', 'lower', ''],
  ['loadgen_cpu_pct_w1', 'load generator CPU % of a core, x 1', 'lower', ''],
  ['loadgen_cpu_pct_w8', 'load generator CPU % of a core, x 8', 'lower', ''],
  ['errors_w8', 'error frames during round trips', 'lower', ''],
];

/**
 * The echo on Postgres as one instance, then as two instances sharing Postgres and Redis: round trips
 * (each load generator on its own instance) and broadcast to 5000 clients (2500 on each, posted to
 * the first). Postgres and Redis are throwaway servers started here, as the tests start them.
 */
async function measureCluster(): Promise<Record<string, Metrics>> {
  const [postgres, redis] = await Promise.all([startPostgres(), startRedis()]);
  try {
    return {
      single: await measureInstances('echo, Postgres, 1 instance', ['127.0.0.20'], {
        MEETINGMUSE_DB: await postgres.createDatabase(),
      }),
      pair: await measureInstances('echo, Postgres + Redis, 2 instances', ['127.0.0.21', '127.0.0.22'], {
        MEETINGMUSE_DB: await postgres.createDatabase(),
        REDIS_URL: redis.url,
      }),
    };
  } finally {
    await Promise.all([postgres.destroy(), redis.destroy()]);
  }
}

/** One echo instance per host, all with `env`: round trips, then broadcast at 5000 clients spread over them. */
async function measureInstances(name: string, hosts: string[], env: Record<string, string>): Promise<Metrics> {
  const spec = { message: 'hello' };
  const servers: ServerProcess[] = [];
  try {
    for (const [i, host] of hosts.entries()) {
      const instanceEnv = {
        ...process.env,
        ...OUR_SERVER_ENV,
        HOST: host,
        PORT: '0',
        MEETINGMUSE_ENGINE: 'echo',
        INSTANCE_ID: `bench-${i}`,
        ...env,
      };
      servers.push(await startServerProcess(['dist/server.js'], { cwd: root, env: instanceEnv }));
    }
    say(`${name}: round trips, 50 clients x 1 and x 8 in flight`);
    const metrics: Metrics = {
      ...(await roundTrips(servers, hosts, spec, { window: 1, idPrefix: 'rt1' })),
      ...(await roundTrips(servers, hosts, spec, { window: 8, idPrefix: 'rt8' })),
    };
    say(`${name}: broadcast at 5000 clients`);
    const idle: WebSocket[] = [];
    for (const [i, server] of servers.entries())
      idle.push(...(await connectMany(`ws://${hosts[i]}:${server.port}`, `idle-${i}`, 5000 / servers.length)));
    const base = `http://${hosts[0]}:${servers[0]!.port}`;
    const times: number[] = [];
    for (let i = 0; i < BROADCASTS_PER_PASS; i++) times.push(await broadcastOnce(base, idle));
    Object.assign(metrics, broadcastMetrics(times, 5000));
    idle.forEach((ws) => ws.terminate());
    if (servers.some((server) => server.crashed)) throw new Error(`${name} crashed`);
    return metrics;
  } finally {
    await Promise.all(servers.map((server) => server.stop()));
  }
}

const results: Record<string, Metrics> = {};
/**
 * Ratios to the floor taken alongside it: round-trip metrics and idle memory from their rounds, broadcast p50
 * from the server's passes with the floor (others are divided at print time).
 */
const ratios: Record<string, Metrics> = {};
let rounds: Record<string, Metrics[]> = {};
/** Idle memory's rounds, each server in a fresh process per round. */
let idleRounds: Record<string, Metrics[]> = {};
/** Broadcast metrics and each server's p50 ratio to the floor's, pass by pass. */
let broadcasts: BroadcastResults = { metrics: {}, passRatios: {} };
/** The history runs' rounds, by server. */
const historyRounds: Record<string, Metrics[]> = {};
let cluster: Record<string, Metrics> | undefined;
try {
  const measured: Measured[] = [];
  let connects: Record<string, Metrics> = {};
  try {
    for (const [i, spec] of selected.entries()) {
      const host = `127.0.0.${i + 2}`;
      measured.push({ spec, host, server: await startSpecServer(spec, host) });
    }
    ({ rounds, connects } = await measureInRounds(measured));
    broadcasts = await broadcastsInPairs(measured);
    for (const { spec, server } of measured) if (server.crashed) throw new Error(`${spec.name} crashed`);
  } finally {
    await Promise.all(measured.map(({ server }) => server.stop()));
  }
  idleRounds = await idleMemoryInRounds(measured);
  for (const { spec, host } of measured) {
    const { key } = spec;
    const history = spec.measuresHistory ? await historyCost(spec, host) : undefined;
    results[key] = {
      ...medianOf(rounds[key]!),
      ...connects[key],
      ...medianOf(idleRounds[key]!),
      ...broadcasts.metrics[key],
      ...history?.metrics,
    };
    if (history) historyRounds[key] = history.rounds;
    // A server's broadcast ratio is the median of its passes', as a round trip's is of its rounds'.
    const broadcastRatios = Object.entries(broadcasts.passRatios[key] ?? {}).map(([metric, passes]) => [
      metric,
      median(passes),
    ]);
    if (rounds.raw && key !== 'raw')
      ratios[key] = {
        ...ratiosOf(rounds[key]!, rounds.raw),
        ...ratiosOf(idleRounds[key]!, idleRounds.raw!),
        ...Object.fromEntries(broadcastRatios),
      };
  }
  if (clusterSelected && servicesMissing()) say(`cluster rows skipped: ${servicesMissing()}`);
  else if (clusterSelected) cluster = await measureCluster();
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const understandUs = understandingCost();
const machine = `${cpus().length} x ${cpus()[0]?.model.trim() ?? 'unknown CPU'}, Node ${process.version}`;
if (values.json) {
  console.log(
    JSON.stringify(
      {
        date: new Date().toISOString(),
        machine,
        durationS: DURATION_MS / 1000,
        understandUsPerMessage: understandUs,
        results,
        ratios,
        broadcastPassRatios: broadcasts.passRatios,
        rounds,
        idleRounds,
        historyRounds,
        cluster,
      },
      null,
      2,
    ),
  );
} else {
  const format = (n: number | undefined) =>
    n === undefined || Number.isNaN(n) ? '-' : n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2);
  const floor = results.raw;
  const header = ['metric', ...selected.map((s) => s.name), 'target'];
  const lines = ROWS.map(([key, label, , target]) => [
    label,
    ...selected.map((s) => {
      const value = results[s.key]![key];
      const times = ratios[s.key]?.[key] ?? (floor?.[key] ? value! / floor[key]! : undefined);
      const ratio = s.key !== 'raw' && Number.isFinite(times) ? ` (${times!.toFixed(2)}x)` : '';
      return `${format(value)}${ratio}`;
    }),
    target,
  ]);
  console.log(
    `MeetingMuse benchmark, ${new Date().toISOString().slice(0, 10)}, ${machine}, ${DURATION_MS / 1000} s of round trips per server and round in slices of ${SLICE_MS / 1000} s, ${ROUNDS} rounds (round-trip rows: medians; their ratios: the median of each round's ratio)`,
  );
  if (selected.length > 0) {
    console.log(`| ${header.join(' | ')} |`);
    console.log(`|${header.map(() => '---').join('|')}|`);
    for (const line of lines) console.log(`| ${line.join(' | ')} |`);
  }
  if (cluster) {
    const keys = [
      'rt_per_s_w1',
      'rt_per_s_w8',
      'p99_ms_w1',
      'p99_ms_w8',
      'cpu_us_per_rt_w1',
      'cpu_us_per_rt_w8',
      'broadcast_p50_ms_5000',
      'broadcast_p99_ms_5000',
    ];
    console.log('\n| metric | echo, Postgres, 1 instance | echo, Postgres + Redis, 2 instances |\n|---|---|---|');
    for (const [key, label] of ROWS.filter(([key]) => keys.includes(key))) {
      const [one, two] = [cluster.single![key]!, cluster.pair![key]!];
      console.log(`| ${label} | ${format(one)} | ${format(two)} (${(two / one).toFixed(2)}x) |`);
    }
  }
  console.log(
    `\nUnderstanding one message (deterministic, ${CORPUS.length}-utterance corpus): ${understandUs.toFixed(1)} us on average.`,
  );
}
