import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as v from 'valibot';
import { ERROR_CODE_VALUES, AssistantMetadataSchema, SERVER_MESSAGE_SCHEMAS } from '../lib/frame-schemas.ts';
import { createEchoEngine, createMeetingAssistant, createMemoryStore, type ConversationEngine } from '../lib/index.ts';
import { createMetrics, instrumentStore } from '../lib/metrics.ts';
import { openApiDocument } from '../lib/protocol-docs.ts';
import { conformingMessage, type MessageName } from './conformance.ts';
import { connectClient, startServer, userMessage, type Frame, type TestClient } from './helpers.ts';
import { documentSchemas } from './schema-validators.ts';

/**
 * Runs real servers (createChatServer on 127.0.0.1 port 0) through short conversations, errors
 * included, and checks that every frame a client received and every REST body conforms to the frame
 * schemas and to the published documents. A frame the documents do not describe fails here.
 */

const openApi = openApiDocument() as {
  paths: Record<
    string,
    Record<string, { responses: Record<string, { content?: Record<string, { schema: { $ref: string } }> }> }>
  >;
};
const openSchemaAt = documentSchemas(openApi, 'draft-2020-12');

/** Checks a REST answer against the OpenAPI response schema for its path, method and status. */
async function conformBody(res: Response, path: string, method: string): Promise<unknown> {
  const operation = openApi.paths[path]?.[method];
  assert.ok(operation, `${method} ${path} is documented`);
  const response = operation.responses[String(res.status)];
  assert.ok(response, `${method} ${path} documents status ${res.status}`);
  const body = (await res.json()) as unknown;
  const schema = response.content?.['application/json']?.schema;
  assert.ok(schema, `${method} ${path} ${res.status} has a JSON schema`);
  assert.equal(openSchemaAt(schema.$ref)(body), '', `${method} ${path} ${res.status}: ${JSON.stringify(body)}`);
  return body;
}

/** Skips frames until an error frame with `code` arrives; every frame stays in `client.frames` for the final check. */
async function nextError(client: TestClient, code: string): Promise<Frame> {
  for (;;) {
    const frame = await client.nextOfType('error');
    if (frame.error_code === code) return frame;
  }
}

/** Resolves once released; the engine's turns wait on it. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

const JSON_BODY = { 'Content-Type': 'application/json' };

/** The error codes these conversations provoke; the others need a lost database, a deletion mid-turn or a shutdown. */
const PROVOKED_CODES = [
  'INVALID_MESSAGE_FORMAT',
  'INTERNAL_SERVER_ERROR',
  'LLM_PROCESSING_ERROR',
  'BUSY',
  'RATE_LIMITED',
  'INVALID_TIMEZONE',
];

const NOW = new Date('2026-11-26T15:00:00Z');

describe('frames and bodies conform to the published protocol', { timeout: 30_000 }, () => {
  const seenMessages = new Set<MessageName>();
  const seenCodes = new Set<string>();
  function check(clients: TestClient[]): void {
    for (const client of clients) {
      for (const frame of client.frames) {
        seenMessages.add(conformingMessage(frame));
        if (frame.type === 'error') seenCodes.add(String(frame.error_code));
      }
    }
  }

  it('echo engine: replies, replays, bad frames, zones, broadcast, reconnect', async (t) => {
    const { base, wsUrl } = await startServer(t, { engine: createEchoEngine() });
    const alice = await connectClient(t, wsUrl('conform-echo', '?tz=Mars/Olympus_Mons'));
    await nextError(alice, 'INVALID_TIMEZONE');
    alice.send(userMessage('hello', { message_id: 'm1' }));
    assert.equal((await alice.nextOfType('bot_response')).content, 'Echo: hello');
    alice.send(userMessage('hello', { message_id: 'm1' }));
    assert.equal((await alice.nextOfType('bot_response')).reply_to, 'm1');
    alice.send('{not json');
    await nextError(alice, 'INVALID_MESSAGE_FORMAT');
    alice.send({ type: 'user_message', session_id: 's' });
    await nextError(alice, 'INVALID_MESSAGE_FORMAT');
    alice.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    await nextError(alice, 'INVALID_MESSAGE_FORMAT');
    alice.send(userMessage('hi', { timezone: 'Not/AZone', message_id: 'z1' }));
    await nextError(alice, 'INVALID_TIMEZONE');

    const res = await fetch(`${base}/admin/broadcast`, {
      method: 'POST',
      headers: JSON_BODY,
      body: JSON.stringify({ content: 'Maintenance at 22:00' }),
    });
    await conformBody(res, '/admin/broadcast', 'post');
    assert.deepEqual((await alice.nextOfType('bot_response')).metadata, { broadcast: true });

    alice.ws.close();
    await alice.closed;
    const again = await connectClient(t, wsUrl('conform-echo'));
    assert.equal((again.established.metadata as { resumed: boolean }).resumed, true);
    again.send(userMessage('back'));
    await again.nextOfType('bot_response');
    check([alice, again]);
  });

  it('rate limit: RATE_LIMITED with retry_after_ms', async (t) => {
    const { wsUrl } = await startServer(t, { rateLimit: { burst: 2, perSecond: 0.01, strikes: 50 } });
    const client = await connectClient(t, wsUrl('conform-rate'));
    for (let i = 0; i < 4; i++) client.send(userMessage(`flood ${i}`));
    const refused = await nextError(client, 'RATE_LIMITED');
    assert.ok(Number(refused.retry_after_ms) > 0);
    await nextError(client, 'RATE_LIMITED');
    check([client]);
  });

  it('a slow engine: processing, BUSY, then the queued replies', async (t) => {
    const turnGate = gate();
    const engine: ConversationEngine = {
      async reply(message) {
        await turnGate.opened;
        return { replies: [{ content: `Done: ${message.content}` }] };
      },
    };
    const { wsUrl } = await startServer(t, { engine, maxQueuedMessages: 1 });
    const client = await connectClient(t, wsUrl('conform-busy'));
    client.send(userMessage('first', { message_id: 'b1' }));
    assert.equal((await client.next()).content, 'processing');
    client.send(userMessage('second', { message_id: 'b2' }));
    client.send(userMessage('third', { message_id: 'b3' }));
    assert.equal((await nextError(client, 'BUSY')).reply_to, 'b3');
    turnGate.open();
    assert.equal((await client.nextOfType('bot_response')).reply_to, 'b1');
    assert.equal((await client.nextOfType('bot_response')).reply_to, 'b2');
    check([client]);
  });

  it('an engine that times out, and one that throws', async (t) => {
    const engine: ConversationEngine = {
      reply(message, ctx) {
        if (message.content === 'boom') throw new Error('engine bug');
        return new Promise((_, reject) =>
          ctx.signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true }),
        );
      },
    };
    const { wsUrl } = await startServer(t, { engine, engineTimeoutMs: 100 });
    const client = await connectClient(t, wsUrl('conform-fail'));
    client.send(userMessage('never answered', { message_id: 'f1' }));
    assert.equal((await nextError(client, 'LLM_PROCESSING_ERROR')).reply_to, 'f1');
    client.send(userMessage('boom', { message_id: 'f2' }));
    assert.equal((await nextError(client, 'INTERNAL_SERVER_ERROR')).reply_to, 'f2');
    check([client]);
  });

  it('assistant engine: draft with buttons, confirm, list, cancel, in a non-UTC zone', async (t) => {
    const { wsUrl } = await startServer(t, { engine: createMeetingAssistant({ now: () => NOW }) });
    const client = await connectClient(t, wsUrl('conform-assistant', '?tz=Europe/Berlin'));
    const replies: Frame[] = [];
    for (const text of [
      'hi',
      'Book a design review with Bob tomorrow at 3pm',
      'yes',
      "what's on tomorrow?",
      'cancel it',
      'yes',
    ]) {
      client.send(userMessage(text));
      replies.push(await client.nextOfType('bot_response'));
    }
    for (const reply of replies)
      assert.ok(v.is(AssistantMetadataSchema, reply.metadata), `assistant metadata: ${JSON.stringify(reply.metadata)}`);
    const draft = replies[1]!;
    assert.equal((draft.metadata as { meeting: { status: string } }).meeting.status, 'draft');
    assert.ok((draft.ui_elements as { buttons: unknown[] }).buttons.length > 0);
    assert.equal((replies[2]!.metadata as { meeting: { status: string } }).meeting.status, 'confirmed');
    check([client]);
  });

  it('REST bodies match the OpenAPI document, errors included', async (t) => {
    const { base, wsUrl } = await startServer(t, { store: createMemoryStore() });
    const client = await connectClient(t, wsUrl('conform-rest'));
    client.send(userMessage('remember me'));
    await client.nextOfType('bot_response');
    const get = (path: string, init?: RequestInit) => fetch(`${base}${path}`, init);
    await conformBody(await get('/health'), '/health', 'get');
    await conformBody(await get('/health/clients'), '/health/clients', 'get');
    const connections = (await conformBody(await get('/admin/connections'), '/admin/connections', 'get')) as {
      clients: Record<string, unknown>;
    };
    assert.ok(connections.clients['conform-rest']);
    await conformBody(await get('/admin/sessions/conform-rest'), '/admin/sessions/{client_id}', 'get');
    await conformBody(await get('/admin/sessions/nobody-here'), '/admin/sessions/{client_id}', 'get');
    await conformBody(
      await get('/admin/broadcast', { method: 'POST', headers: JSON_BODY, body: '{oops' }),
      '/admin/broadcast',
      'post',
    );
    await conformBody(
      await get('/admin/broadcast', { method: 'POST', headers: JSON_BODY, body: '{"content": "  "}' }),
      '/admin/broadcast',
      'post',
    );
    await conformBody(
      await get('/admin/broadcast', { method: 'POST', body: '{"content": "hi"}' }),
      '/admin/broadcast',
      'post',
    );
    await conformBody(await get('/calendar/conform-rest.ics'), '/calendar/{client_id}.ics', 'get');
    await conformBody(
      await get('/admin/sessions/conform-rest', { method: 'DELETE' }),
      '/admin/sessions/{client_id}',
      'delete',
    );
    await conformBody(
      await get('/admin/sessions/conform-rest', { method: 'DELETE' }),
      '/admin/sessions/{client_id}',
      'delete',
    );
    check([client]);
  });

  it('an instrumented store records what a real conversation did', async (t) => {
    const metrics = createMetrics({ processMetrics: false });
    const { wsUrl } = await startServer(t, { store: instrumentStore(createMemoryStore(), metrics) });
    const client = await connectClient(t, wsUrl('conform-metrics'));
    client.send(userMessage('count me', { message_id: 'c1' }));
    await client.nextOfType('bot_response');
    const { body } = await metrics.render();
    for (const operation of ['openSession', 'commitTurn']) {
      assert.match(
        body,
        new RegExp(`^meetingmuse_store_operation_duration_seconds_count\\{operation="${operation}"\\} 1$`, 'm'),
        operation,
      );
    }
    check([client]);
  });

  it('saw every documented server message, and only codes of the error table', () => {
    assert.deepEqual([...seenMessages].sort(), Object.keys(SERVER_MESSAGE_SCHEMAS).sort());
    assert.deepEqual([...seenCodes].sort(), [...PROVOKED_CODES].sort());
    for (const code of seenCodes) assert.ok((ERROR_CODE_VALUES as string[]).includes(code), code);
  });
});
