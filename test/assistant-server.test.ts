import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { createLlmUnderstanding } from '../lib/engines/meeting/llm.ts';
import { understand } from '../lib/engines/meeting/understand.ts';
import { createMeetingAssistant, createSqliteStore } from '../lib/index.ts';
import { connectClient, recordingLogger, startServer, tempDir, userMessage, within } from './helpers.ts';

const NOW = new Date('2026-11-26T15:00:00Z');
const clock = () => NOW;

describe('assistant over WebSocket', { timeout: 15_000 }, () => {
  it('uses ?tz= from the URL, and a timezone field replaces it', async (t) => {
    const { wsUrl } = await startServer(t, { engine: createMeetingAssistant({ now: clock }) });
    const client = await connectClient(t, wsUrl('tz-1', '?tz=Asia/Kolkata'));
    client.send(userMessage('meeting tomorrow at 3pm'));
    const draft = await client.nextOfType('bot_response');
    assert.equal((draft.metadata as any).meeting.start, '2026-11-27T15:00:00+05:30');
    client.send(userMessage('make it 4pm', { timezone: 'Europe/Berlin' }));
    const berlin = await client.nextOfType('bot_response');
    assert.equal((berlin.metadata as any).meeting.time_zone, 'Europe/Berlin');
    client.send(userMessage('make it 5pm'));
    assert.equal(
      ((await client.nextOfType('bot_response')).metadata as any).meeting.time_zone,
      'Europe/Berlin',
      'the latest zone wins',
    );
  });

  it('answers an unknown zone with INVALID_TIMEZONE and keeps the socket open', async (t) => {
    const { wsUrl } = await startServer(t, { engine: createMeetingAssistant({ now: clock }) });
    const client = await connectClient(t, wsUrl('tz-2', '?tz=Mars/Olympus_Mons'));
    const urlError = await client.next();
    assert.equal(urlError.error_code, 'INVALID_TIMEZONE');
    client.send(userMessage('meeting tomorrow at 3pm', { timezone: 'Not/AZone', message_id: 'z1' }));
    const messageError = await client.next();
    assert.deepEqual([messageError.error_code, messageError.reply_to], ['INVALID_TIMEZONE', 'z1']);
    client.send(userMessage('meeting tomorrow at 3pm'));
    assert.equal(((await client.nextOfType('bot_response')).metadata as any).meeting.time_zone, 'UTC');
  });

  it('keeps meetings across a restart and serves them as iCalendar', async (t) => {
    const path = join(tempDir(t), 'assistant.db');
    const first = createSqliteStore(path);
    const server1 = await startServer(t, { engine: createMeetingAssistant({ now: clock }), store: first });
    const client = await connectClient(t, server1.wsUrl('cal-1'));
    for (const text of ['design review tomorrow at 3pm with Alice', 'yes']) {
      client.send(userMessage(text));
      await client.nextOfType('bot_response');
    }
    await server1.server.close();
    await first.close();

    const second = createSqliteStore(path);
    t.after(() => second.close());
    const server2 = await startServer(t, { engine: createMeetingAssistant({ now: clock }), store: second });
    const again = await connectClient(t, server2.wsUrl('cal-1'));
    again.send(userMessage('show my meetings'));
    assert.match(String((await again.nextOfType('bot_response')).content), /Design review, Fri, Nov 27, 3:00 PM/);
    const res = await fetch(`${server2.base}/calendar/cal-1.ics`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'text/calendar; charset=utf-8');
    assert.match(await res.text(), /SUMMARY:Design review\r\n/);
    assert.equal((await fetch(`${server2.base}/calendar/nobody.ics`)).status, 404);
  });

  it('guards /calendar like the admin routes', async (t) => {
    const { base } = await startServer(t, { engine: createMeetingAssistant({ now: clock }), adminToken: 'cal-token' });
    assert.equal((await fetch(`${base}/calendar/anyone.ics`)).status, 401);
    assert.equal(
      (await fetch(`${base}/calendar/anyone.ics`, { headers: { authorization: 'Bearer cal-token' } })).status,
      404,
    );
  });
});

/** A local OpenAI-compatible endpoint whose answer each test sets. */
async function fakeLlm(t: TestContext, answer: (req: IncomingMessage, res: ServerResponse, body: any) => void) {
  const requests: any[] = [];
  const server = createServer(async (req, res) => {
    let text = '';
    for await (const chunk of req) text += chunk;
    const body = JSON.parse(text);
    requests.push(body);
    answer(req, res, body);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  return { baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, requests };
}

const completion = (content: string) => JSON.stringify({ choices: [{ message: { role: 'assistant', content } }] });
const ctx = { now: NOW, timeZone: 'America/New_York' };

describe('LLM understanding', { timeout: 15_000 }, () => {
  it('uses a valid structured answer', async (t) => {
    const llm = await fakeLlm(t, (_req, res) =>
      res.end(
        completion(
          JSON.stringify({
            intent: 'schedule',
            start: '2026-11-27T15:00',
            end: null,
            duration_minutes: 45,
            participants: ['Alice'],
            location: 'Zoom',
            title: 'Budget',
          }),
        ),
      ),
    );
    const log = recordingLogger();
    const u = await createLlmUnderstanding({ baseUrl: llm.baseUrl, model: 'test-model', timeoutMs: 2_000, log })(
      'something odd about money',
      ctx,
      new AbortController().signal,
    );
    assert.deepEqual(
      [u.intent, u.start?.toISOString(), u.durationMinutes, u.participants, u.location, u.title],
      ['schedule', '2026-11-27T20:00:00.000Z', 45, ['Alice'], 'Zoom', 'Budget'],
    );
    assert.equal(llm.requests[0].model, 'test-model');
    assert.equal(llm.requests[0].response_format.type, 'json_schema');
    assert.match(llm.requests[0].messages[0].content, /America\/New_York/);
  });

  const fallbacks: Array<[string, (req: IncomingMessage, res: ServerResponse) => void]> = [
    ['garbage', (_req, res) => res.end('not json at all')],
    [
      'an answer outside the schema',
      (_req, res) => res.end(completion(JSON.stringify({ intent: 'launch_rockets', start: 'soon' }))),
    ],
    ['content that is not JSON', (_req, res) => res.end(completion('Sure! Your meeting is at 3.'))],
    ['a 500', (_req, res) => res.writeHead(500).end('{"error":"overloaded"}')],
    ['no answer in time', () => {}],
  ];
  for (const [name, answer] of fallbacks) {
    it(`falls back to the deterministic understanding on ${name}`, async (t) => {
      const llm = await fakeLlm(t, answer);
      const log = recordingLogger();
      const text = 'lunch with Ana tomorrow at noon';
      const u = await within(
        Promise.resolve(
          createLlmUnderstanding({ baseUrl: llm.baseUrl, model: 'm', timeoutMs: 300, log })(
            text,
            ctx,
            new AbortController().signal,
          ),
        ),
        'the fallback',
      );
      assert.deepEqual(u, understand(text, ctx));
      assert.equal((await log.waitFor('llm understanding failed; using the deterministic one')).level, 'warn');
    });
  }

  it('drives the assistant end to end, and the assistant still works when the model is down', async (t) => {
    const llm = await fakeLlm(t, (_req, res) => res.writeHead(503).end());
    const log = recordingLogger();
    const engine = createMeetingAssistant({
      now: clock,
      understand: createLlmUnderstanding({ baseUrl: llm.baseUrl, model: 'm', timeoutMs: 500, log }),
    });
    const { wsUrl } = await startServer(t, { engine });
    const client = await connectClient(t, wsUrl('llm-1'));
    client.send(userMessage('meeting tomorrow at 3pm'));
    assert.equal(
      ((await client.nextOfType('bot_response')).metadata as any).meeting.start,
      '2026-11-27T15:00:00+00:00',
    );
    assert.equal(llm.requests.length, 1);
  });
});
