import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import {
  createLlmUnderstanding,
  createMeetingAssistant,
  createMemoryStore,
  type ConversationEngine,
} from '../lib/index.ts';
import {
  connectClient,
  openClient,
  recordingLogger,
  refusedUpgrade,
  startServer,
  userMessage,
  waitFor,
} from './helpers.ts';

/**
 * The metrics and logs an operator sees, through real servers on 127.0.0.1 port 0: what GET /metrics
 * says after real connections, messages and refusals, and the audit and refusal lines in the log.
 */

/** The value of one sample line of the exposition (`name{labels} value`), or undefined when absent. */
function sample(exposition: string, series: string): number | undefined {
  const line = exposition.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

async function scrape(base: string, init?: RequestInit): Promise<string> {
  const res = await fetch(`${base}/metrics`, init);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type')!, /^text\/plain; version=0\.0\.4/);
  return res.text();
}

const JSON_BODY = { 'Content-Type': 'application/json' };

describe('GET /metrics on a real server', { timeout: 30_000 }, () => {
  it('counts the connection, its frames, the turn by outcome, its latency and the store calls', async (t) => {
    const { base, wsUrl } = await startServer(t);
    const client = await connectClient(t, wsUrl('metrics-alice'));
    client.send(userMessage('hello', { message_id: 'm1' }));
    await client.nextOfType('bot_response');
    client.send(userMessage('hello', { message_id: 'm1' }));
    await client.nextOfType('bot_response');
    const text = await scrape(base);
    assert.equal(sample(text, 'meetingmuse_connections_accepted_total'), 1);
    assert.equal(sample(text, 'meetingmuse_connections_open'), 1);
    assert.equal(sample(text, 'meetingmuse_frames_received_total'), 2);
    assert.equal(
      sample(text, 'meetingmuse_frames_sent_total{type="system"}'),
      3,
      'connection_established and two processing frames',
    );
    assert.equal(sample(text, 'meetingmuse_frames_sent_total{type="bot_response"}'), 2);
    assert.equal(sample(text, 'meetingmuse_turns_total{outcome="replied"}'), 1);
    assert.equal(sample(text, 'meetingmuse_turns_total{outcome="replayed"}'), 1);
    assert.equal(sample(text, 'meetingmuse_turn_duration_seconds_count'), 2);
    assert.equal(
      sample(text, 'meetingmuse_engine_duration_seconds_count'),
      1,
      'a replayed turn never reaches the engine',
    );
    assert.equal(sample(text, 'meetingmuse_store_operation_duration_seconds_count{operation="openSession"}'), 1);
    assert.equal(sample(text, 'meetingmuse_store_operation_duration_seconds_count{operation="commitTurn"}'), 1);
    assert.equal(sample(text, 'meetingmuse_turn_queue_depth'), 0);
    assert.ok((sample(text, 'process_cpu_seconds_total') ?? 0) > 0, 'the process metrics are there');

    client.ws.close();
    await client.closed;
    const after = await scrape(base);
    assert.equal(sample(after, 'meetingmuse_connections_open'), 0);
    assert.equal(sample(after, 'meetingmuse_connections_closed_total{code="1005"}'), 1);
  });

  it('counts refusals by reason, rate-limit refusals, error frames by code and a timed-out turn', async (t) => {
    const engine: ConversationEngine = {
      reply: (_message, ctx) =>
        new Promise((_, reject) =>
          ctx.signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true }),
        ),
    };
    const { base, port, wsUrl } = await startServer(t, {
      engine,
      engineTimeoutMs: 100,
      allowedOrigins: ['https://chat.example'],
      rateLimit: { burst: 1, perSecond: 0.01 },
    });
    assert.equal((await refusedUpgrade(wsUrl('metrics-bob'), { origin: 'https://evil.example' })).statusCode, 403);
    assert.equal((await refusedUpgrade(`ws://127.0.0.1:${port}/elsewhere`)).statusCode, 404);
    const bad = openClient(t, wsUrl('x'));
    assert.equal((await bad.closed).code, 1008);
    const client = await connectClient(t, wsUrl('metrics-bob'));
    client.send(userMessage('never answered'));
    assert.equal((await client.nextOfType('error', 5_000)).error_code, 'LLM_PROCESSING_ERROR');
    client.send(userMessage('too soon'));
    assert.equal((await client.nextOfType('error')).error_code, 'RATE_LIMITED');
    const text = await scrape(base);
    assert.equal(sample(text, 'meetingmuse_connections_refused_total{reason="ORIGIN_NOT_ALLOWED"}'), 1);
    assert.equal(sample(text, 'meetingmuse_connections_refused_total{reason="NOT_FOUND"}'), 1);
    assert.equal(sample(text, 'meetingmuse_connections_refused_total{reason="INVALID_CLIENT_ID"}'), 1);
    assert.equal(sample(text, 'meetingmuse_connections_accepted_total'), 1);
    assert.equal(sample(text, 'meetingmuse_rate_limit_refusals_total{limit="frames"}'), 1);
    assert.equal(sample(text, 'meetingmuse_error_frames_total{code="RATE_LIMITED"}'), 1);
    assert.equal(sample(text, 'meetingmuse_error_frames_total{code="LLM_PROCESSING_ERROR"}'), 1);
    assert.equal(sample(text, 'meetingmuse_turns_total{outcome="timed_out"}'), 1);
  });

  it('counts a socket cut for a missed heartbeat', async (t) => {
    const { base, wsUrl } = await startServer(t, { heartbeatIntervalMs: 100 });
    const client = openClient(t, wsUrl('metrics-silent'), { autoPong: false });
    assert.equal((await client.closed).code, 1006);
    assert.equal(sample(await scrape(base), 'meetingmuse_heartbeat_terminations_total'), 1);
  });

  it('answers only with the admin token when one is set, and records into the metrics passed in', async (t) => {
    const { base, wsUrl } = await startServer(t, { adminToken: 'metrics-token' });
    await connectClient(t, wsUrl('metrics-carol'));
    const refused = await fetch(`${base}/metrics`);
    assert.equal(refused.status, 401);
    assert.equal(((await refused.json()) as { error_code: string }).error_code, 'UNAUTHORIZED');
    const text = await scrape(base, { headers: { Authorization: 'Bearer metrics-token' } });
    assert.equal(sample(text, 'meetingmuse_connections_accepted_total'), 1);
  });

  it('turns /metrics and the documents off by name, and serves them under basePath', async (t) => {
    const off = await startServer(t, { routes: { metrics: false, docs: false } });
    for (const path of ['/metrics', '/asyncapi.json', '/openapi.json', '/docs'])
      assert.equal((await fetch(off.base + path)).status, 404, path);
    const { base } = await startServer(t, { basePath: '/chat' });
    assert.equal((await fetch(`${base}/asyncapi.json`)).status, 404);
    const asyncApi = (await (await fetch(`${base}/chat/asyncapi.json`)).json()) as {
      channels: { chat: { address: string } };
    };
    assert.equal(asyncApi.channels.chat.address, '/chat/ws/{client_id}');
    const openApi = (await (await fetch(`${base}/chat/openapi.json`)).json()) as { paths: Record<string, unknown> };
    assert.ok(openApi.paths['/chat/metrics']);
    const page = await fetch(`${base}/chat/docs`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /src="docs\.js"/);
    assert.equal((await fetch(`${base}/chat/docs.js`)).status, 200);
    assert.equal((await fetch(`${base}/chat/metrics`)).status, 200);
  });
});

describe('logs through a real server', { timeout: 30_000 }, () => {
  it('leaves an audit line with the caller address for broadcast, session read and delete, calendar read and feed rotation', async (t) => {
    const log = recordingLogger();
    const { base, wsUrl } = await startServer(t, {
      logger: log,
      engine: createMeetingAssistant(),
      store: createMemoryStore(),
    });
    const client = await connectClient(t, wsUrl('audit-dave'));
    client.send(userMessage('hi'));
    await client.nextOfType('bot_response');
    const broadcast = await fetch(`${base}/admin/broadcast`, {
      method: 'POST',
      headers: JSON_BODY,
      body: JSON.stringify({ content: 'Maintenance' }),
    });
    assert.equal(broadcast.status, 200);
    assert.equal((await fetch(`${base}/calendar/audit-dave.ics`)).status, 200);
    assert.equal((await fetch(`${base}/admin/feeds/audit-dave`, { method: 'POST' })).status, 200);
    assert.equal((await fetch(`${base}/admin/sessions/audit-dave`, { method: 'DELETE' })).status, 200);
    assert.equal((await fetch(`${base}/admin/sessions/audit-dave`)).status, 404);
    const audit = (action: string) => log.waitFor('admin action', (line) => line.action === action);
    const lines = await Promise.all(
      ['broadcast', 'calendar read', 'feed rotate', 'session delete', 'session read'].map(audit),
    );
    for (const line of lines) {
      assert.equal(line.level, 'info');
      assert.equal(line.remoteAddress, '127.0.0.1');
    }
    assert.deepEqual(
      lines.map(({ action, method, status, clientId }) => ({ action, method, status, clientId })),
      [
        { action: 'broadcast', method: 'POST', status: 200, clientId: undefined },
        { action: 'calendar read', method: 'GET', status: 200, clientId: 'audit-dave' },
        { action: 'feed rotate', method: 'POST', status: 200, clientId: 'audit-dave' },
        { action: 'session delete', method: 'DELETE', status: 200, clientId: 'audit-dave' },
        { action: 'session read', method: 'GET', status: 404, clientId: 'audit-dave' },
      ],
    );
  });

  it('logs refusals that the client alone saw before: RATE_LIMITED, INVALID_TIMEZONE, a 404 upgrade, a refused origin', async (t) => {
    const log = recordingLogger();
    const { port, wsUrl } = await startServer(t, {
      logger: log,
      allowedOrigins: ['https://chat.example'],
      rateLimit: { burst: 1, perSecond: 0.01 },
    });
    const client = await connectClient(t, wsUrl('refused-erin', '?tz=Not/AZone'));
    client.send(userMessage('first'));
    await client.nextOfType('bot_response');
    client.send(userMessage('second', { message_id: 'm2' }));
    await client.nextOfType('error');
    const limited = await log.waitFor('frame refused: rate limited');
    assert.equal(limited.level, 'debug');
    assert.equal(limited.clientId, 'refused-erin');
    const zone = await log.waitFor('time zone refused');
    assert.deepEqual([zone.level, zone.clientId, zone.where], ['debug', 'refused-erin', 'query']);

    await refusedUpgrade(`ws://127.0.0.1:${port}/nowhere`);
    const notFound = await log.waitFor('handshake rejected', (line) => line.reason === 'NOT_FOUND');
    assert.equal(notFound.level, 'debug');
    assert.equal(notFound.remoteAddress, '127.0.0.1');
    await refusedUpgrade(wsUrl('refused-frank'), { origin: 'https://evil.example' });
    const origin = await log.waitFor('handshake rejected', (line) => line.reason === 'ORIGIN_NOT_ALLOWED');
    assert.deepEqual([origin.level, origin.clientId, origin.status], ['info', 'refused-frank', 403]);
  });

  it('names the client whose socket broke the WebSocket framing, and closes it with 1002', async (t) => {
    const log = recordingLogger();
    const { wsUrl } = await startServer(t, { logger: log });
    const client = await connectClient(t, wsUrl('broken-hank'));
    // A client frame must be masked (RFC 6455 5.1): this one, written under the ws client, is not.
    (client.ws as unknown as { _socket: { write(data: Buffer): void } })._socket.write(Buffer.from([0x81, 0x01, 0x61]));
    const line = await log.waitFor('socket error');
    assert.deepEqual([line.level, line.clientId], ['warn', 'broken-hank']);
    assert.equal((await client.closed).code, 1002);
  });

  it('names the client and the cause when the LLM fails', async (t) => {
    const llm = createServer((_req, res) => res.writeHead(500).end());
    t.after(() => llm.close());
    llm.listen(0, '127.0.0.1');
    await waitFor(llm, 'listening');
    const { port } = llm.address() as AddressInfo;
    const log = recordingLogger();
    const understand = createLlmUnderstanding({
      baseUrl: `http://127.0.0.1:${port}/v1`,
      model: 'm',
      timeoutMs: 5_000,
      log,
    });
    const { wsUrl } = await startServer(t, { logger: log, engine: createMeetingAssistant({ understand }) });
    const client = await connectClient(t, wsUrl('llm-gina'));
    client.send(userMessage('Book a review with Bob tomorrow at 3pm'));
    await client.nextOfType('bot_response', 10_000);
    const line = await log.waitFor('llm understanding failed; using the deterministic one');
    assert.deepEqual([line.level, line.clientId, line.reason], ['warn', 'llm-gina', 'status 500']);
  });
});
