import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createMetrics, instrumentStore, sentFrameKind, type Metrics } from '../lib/metrics.ts';
import { botResponseFrame, errorFrame, systemFrame } from '../lib/protocol.ts';
import { createSqliteStore } from '../lib/sqlite-store.ts';
import { createMemoryStore, type Store } from '../lib/store.ts';
import { tempDir } from './helpers.ts';
import { storeContract, turn } from './store-contract.ts';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

interface Exposition {
  types: Map<string, string>;
  help: Map<string, string>;
  samples: Sample[];
}

const SAMPLE_LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** Parses the Prometheus text format (version 0.0.4) strictly enough that a malformed line fails the test. */
function parseExposition(text: string): Exposition {
  const types = new Map<string, string>();
  const help = new Map<string, string>();
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const meta = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
    if (meta) {
      (meta[1] === 'TYPE' ? types : help).set(meta[2]!, meta[3]!);
      continue;
    }
    const match = SAMPLE_LINE.exec(line);
    assert.ok(match, `not an exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(LABEL)) labels[key!] = value!;
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return { types, help, samples };
}

async function scrape(metrics: Metrics): Promise<Exposition> {
  const { contentType, body } = await metrics.render();
  assert.match(contentType, /^text\/plain; version=0\.0\.4/);
  return parseExposition(body);
}

function value(exposition: Exposition, name: string, labels: Record<string, string> = {}): number | undefined {
  return exposition.samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    ?.value;
}

const OWN_METRICS: Record<string, string> = {
  meetingmuse_connections_open: 'gauge',
  meetingmuse_connections_accepted_total: 'counter',
  meetingmuse_connections_refused_total: 'counter',
  meetingmuse_connections_closed_total: 'counter',
  meetingmuse_frames_received_total: 'counter',
  meetingmuse_frames_sent_total: 'counter',
  meetingmuse_error_frames_total: 'counter',
  meetingmuse_turns_total: 'counter',
  meetingmuse_turn_duration_seconds: 'histogram',
  meetingmuse_engine_duration_seconds: 'histogram',
  meetingmuse_rate_limit_refusals_total: 'counter',
  meetingmuse_heartbeat_terminations_total: 'counter',
  meetingmuse_store_operation_duration_seconds: 'histogram',
  meetingmuse_store_operation_failures_total: 'counter',
  meetingmuse_turns_running: 'gauge',
  meetingmuse_turn_queue_depth: 'gauge',
};

describe('metrics exposition', () => {
  it('declares every metric with its Prometheus type and help, named by the conventions', async () => {
    const exposition = await scrape(createMetrics({ processMetrics: false }));
    for (const [name, type] of Object.entries(OWN_METRICS)) {
      assert.equal(exposition.types.get(name), type, name);
      assert.ok((exposition.help.get(name) ?? '').length > 10, `${name} has help`);
      if (type === 'counter') assert.match(name, /_total$/);
      if (type === 'histogram') assert.match(name, /_seconds$/);
    }
    assert.deepEqual([...exposition.types.keys()].sort(), Object.keys(OWN_METRICS).sort());
  });

  it('includes the process metrics under their standard names unless turned off', async () => {
    const exposition = await scrape(createMetrics());
    assert.equal(exposition.types.get('process_cpu_seconds_total'), 'counter');
    assert.equal(exposition.types.get('process_start_time_seconds'), 'gauge');
    assert.equal(exposition.types.get('nodejs_eventloop_lag_seconds'), 'gauge');
    assert.ok((value(exposition, 'process_cpu_seconds_total') ?? 0) > 0);
    assert.equal(exposition.types.get('meetingmuse_turns_total'), 'counter');
    const without = await scrape(createMetrics({ processMetrics: false }));
    assert.equal(without.types.get('process_cpu_seconds_total'), undefined);
  });

  it('keeps two instances apart in one process', async () => {
    const first = createMetrics();
    const second = createMetrics();
    first.connectionOpened();
    first.connectionOpened();
    second.connectionOpened();
    assert.equal(value(await scrape(first), 'meetingmuse_connections_accepted_total'), 2);
    assert.equal(value(await scrape(second), 'meetingmuse_connections_accepted_total'), 1);
  });
});

describe('metrics recording', () => {
  it('counts connections open, accepted, refused by reason and closed by code', async () => {
    const metrics = createMetrics({ processMetrics: false });
    metrics.connectionOpened();
    metrics.connectionOpened();
    metrics.connectionOpened();
    metrics.connectionClosed(1001);
    metrics.connectionClosed(4321);
    metrics.connectionRefused('ORIGIN_NOT_ALLOWED');
    metrics.connectionRefused('ORIGIN_NOT_ALLOWED');
    metrics.connectionRefused('UNAUTHORIZED');
    const e = await scrape(metrics);
    assert.equal(value(e, 'meetingmuse_connections_open'), 1);
    assert.equal(value(e, 'meetingmuse_connections_accepted_total'), 3);
    assert.equal(value(e, 'meetingmuse_connections_closed_total', { code: '1001' }), 1);
    assert.equal(
      value(e, 'meetingmuse_connections_closed_total', { code: 'other' }),
      1,
      'a close code the client chose is not its own series',
    );
    assert.equal(value(e, 'meetingmuse_connections_refused_total', { reason: 'ORIGIN_NOT_ALLOWED' }), 2);
    assert.equal(value(e, 'meetingmuse_connections_refused_total', { reason: 'UNAUTHORIZED' }), 1);
  });

  it('counts frames in and out by type, and error frames by code', async () => {
    const metrics = createMetrics({ processMetrics: false });
    metrics.frameReceived();
    metrics.frameReceived();
    metrics.frameSent(systemFrame('processing'));
    metrics.frameSent({ type: 'bot_response' }, 5);
    metrics.frameSent(errorFrame('RATE_LIMITED', { retry_after_ms: 100 }));
    metrics.frameSent(errorFrame('BUSY'));
    metrics.frameSent(errorFrame('BUSY'));
    const e = await scrape(metrics);
    assert.equal(value(e, 'meetingmuse_frames_received_total'), 2);
    assert.equal(value(e, 'meetingmuse_frames_sent_total', { type: 'system' }), 1);
    assert.equal(value(e, 'meetingmuse_frames_sent_total', { type: 'bot_response' }), 5);
    assert.equal(value(e, 'meetingmuse_frames_sent_total', { type: 'error' }), 3);
    assert.equal(value(e, 'meetingmuse_error_frames_total', { code: 'RATE_LIMITED' }), 1);
    assert.equal(value(e, 'meetingmuse_error_frames_total', { code: 'BUSY' }), 2);
  });

  it('reads the type and error_code of a serialized frame, and keeps anything else to "other"', () => {
    assert.deepEqual(sentFrameKind(JSON.stringify(systemFrame('processing'))), { type: 'system' });
    assert.deepEqual(sentFrameKind(JSON.stringify(botResponseFrame({ content: 'hi' }, { session_id: 'c-1' }))), {
      type: 'bot_response',
    });
    assert.deepEqual(sentFrameKind(JSON.stringify(errorFrame('BUSY', { reply_to: 'm1' }))), {
      type: 'error',
      error_code: 'BUSY',
    });
    assert.deepEqual(sentFrameKind('{"type":"error","error_code":"MADE_UP"}'), { type: 'error' });
    assert.deepEqual(sentFrameKind('{"type":"surprise"}'), { type: 'other' });
    assert.deepEqual(sentFrameKind('not json'), { type: 'other' });
  });

  it('records turns by outcome with their latency, and engine latency, in seconds buckets', async () => {
    const metrics = createMetrics({ processMetrics: false });
    metrics.turnFinished('replied', 0.004);
    metrics.turnFinished('replied', 0.2);
    metrics.turnFinished('timed_out', 30);
    metrics.engineFinished(0.003);
    const e = await scrape(metrics);
    assert.equal(value(e, 'meetingmuse_turns_total', { outcome: 'replied' }), 2);
    assert.equal(value(e, 'meetingmuse_turns_total', { outcome: 'timed_out' }), 1);
    assert.equal(value(e, 'meetingmuse_turn_duration_seconds_count'), 3);
    assert.ok(Math.abs(value(e, 'meetingmuse_turn_duration_seconds_sum')! - 30.204) < 1e-9);
    assert.equal(value(e, 'meetingmuse_turn_duration_seconds_bucket', { le: '0.005' }), 1);
    assert.equal(value(e, 'meetingmuse_turn_duration_seconds_bucket', { le: '0.25' }), 2);
    assert.equal(value(e, 'meetingmuse_turn_duration_seconds_bucket', { le: '30' }), 3);
    assert.equal(value(e, 'meetingmuse_turn_duration_seconds_bucket', { le: '+Inf' }), 3);
    assert.equal(value(e, 'meetingmuse_engine_duration_seconds_count'), 1);
    assert.equal(value(e, 'meetingmuse_engine_duration_seconds_bucket', { le: '0.0025' }), 0);
    assert.equal(value(e, 'meetingmuse_engine_duration_seconds_bucket', { le: '0.005' }), 1);
  });

  it('counts rate-limit refusals by limit and heartbeat terminations', async () => {
    const metrics = createMetrics({ processMetrics: false });
    metrics.rateLimited('frames');
    metrics.rateLimited('frames');
    metrics.rateLimited('connect_rate');
    metrics.heartbeatTerminated();
    const e = await scrape(metrics);
    assert.equal(value(e, 'meetingmuse_rate_limit_refusals_total', { limit: 'frames' }), 2);
    assert.equal(value(e, 'meetingmuse_rate_limit_refusals_total', { limit: 'connect_rate' }), 1);
    assert.equal(value(e, 'meetingmuse_heartbeat_terminations_total'), 1);
  });

  it('reads the queue gauges from the sampler at each scrape', async () => {
    const metrics = createMetrics({ processMetrics: false });
    assert.equal(value(await scrape(metrics), 'meetingmuse_turn_queue_depth'), 0);
    let waiting = 3;
    metrics.sampleQueue(() => ({ running: 2, waiting }));
    let e = await scrape(metrics);
    assert.equal(value(e, 'meetingmuse_turns_running'), 2);
    assert.equal(value(e, 'meetingmuse_turn_queue_depth'), 3);
    waiting = 0;
    e = await scrape(metrics);
    assert.equal(value(e, 'meetingmuse_turn_queue_depth'), 0);
  });
});

describe('instrumentStore', () => {
  it('records each operation by name, and failures apart', async () => {
    const metrics = createMetrics({ processMetrics: false });
    const store = instrumentStore(createMemoryStore(), metrics);
    await store.openSession('c-1', new Date());
    await store.commitTurn('c-1', turn('hi', 'm1'), new Date());
    await store.commitTurn('c-1', turn('again', 'm2'), new Date());
    await store.getSession('c-1');
    const e = await scrape(metrics);
    const count = (operation: string) => value(e, 'meetingmuse_store_operation_duration_seconds_count', { operation });
    assert.equal(count('openSession'), 1);
    assert.equal(count('commitTurn'), 2);
    assert.equal(count('getSession'), 1);
    assert.equal(count('sweep'), undefined, 'no series for an operation never called');
    assert.equal(value(e, 'meetingmuse_store_operation_failures_total', { operation: 'commitTurn' }), undefined);
  });

  it('passes rejections and synchronous throws through unchanged, counting them as failures', async () => {
    const metrics = createMetrics({ processMetrics: false });
    const boom = new Error('disk full');
    const failing: Store = {
      ...createMemoryStore(),
      commitTurn: () => Promise.reject(boom),
      loadState: () => {
        throw boom;
      },
    };
    const store = instrumentStore(failing, metrics);
    await assert.rejects(store.commitTurn('c-1', turn('hi'), new Date()), (err) => err === boom);
    await assert.rejects(store.loadState('c-1'), (err) => err === boom);
    const e = await scrape(metrics);
    assert.equal(value(e, 'meetingmuse_store_operation_failures_total', { operation: 'commitTurn' }), 1);
    assert.equal(value(e, 'meetingmuse_store_operation_failures_total', { operation: 'loadState' }), 1);
    assert.equal(value(e, 'meetingmuse_store_operation_duration_seconds_count', { operation: 'commitTurn' }), 1);
  });
});

storeContract('instrumented memory', (_t, options) =>
  instrumentStore(createMemoryStore(options), createMetrics({ processMetrics: false })),
);
storeContract('instrumented sqlite', (t, options) => {
  const store = instrumentStore(
    createSqliteStore(join(tempDir(t), 'test.db'), options),
    createMetrics({ processMetrics: false }),
  );
  t.after(() => store.close());
  return store;
});
