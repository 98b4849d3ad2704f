import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import WebSocket from 'ws';
import * as v from 'valibot';
import { ERROR_CODES, inboundSchema, parseUserMessage } from '../lib/protocol.ts';
import { connectClient, startServer, type Frame, type TestClient } from './helpers.ts';

const DOCUMENTED_ERRORS = new Set<string>(Object.values(ERROR_CODES));

function assertDocumentedParse(text: string): void {
  const result = parseUserMessage(text);
  if (result.ok) {
    assert.equal(typeof result.message.content, 'string');
    return;
  }
  assert.ok(result.details.length >= 1 && result.details.length <= 10);
  for (const detail of result.details) {
    assert.equal(typeof detail.path, 'string');
    assert.equal(typeof detail.message, 'string');
  }
}

/** A value that is sometimes close to a valid message, so the schema's inner branches get exercised too. */
const nearMessage = fc.record(
  {
    type: fc.oneof(fc.constant('user_message'), fc.jsonValue()),
    content: fc.oneof(fc.string(), fc.jsonValue()),
    session_id: fc.oneof(fc.string(), fc.jsonValue()),
    timestamp: fc.jsonValue(),
    message_id: fc.oneof(fc.string({ maxLength: 120 }), fc.jsonValue()),
  },
  { requiredKeys: [] },
);

describe('validator properties', () => {
  it('answers any JSON value with a message or documented details, never a throw', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => assertDocumentedParse(JSON.stringify(value))),
      { numRuns: 2_000 },
    );
  });

  it('answers near-valid objects the same way', () => {
    fc.assert(
      fc.property(nearMessage, (value) => assertDocumentedParse(JSON.stringify(value))),
      { numRuns: 2_000 },
    );
  });

  it('makes of every frame exactly what valibot makes of it, the plain message fast path included', () => {
    // A small cap, and content built from characters around it, so the cap and code-point counting are hit.
    const schema = inboundSchema(4);
    const text = fc.string({ unit: fc.constantFrom('a', ' ', '\n', 'é', '😀', '\ud83d'), maxLength: 7 });
    const candidate = fc.record(
      {
        type: fc.oneof(fc.constant('user_message'), fc.jsonValue()),
        content: fc.oneof(text, fc.jsonValue()),
        session_id: fc.oneof(fc.string(), fc.jsonValue()),
        timestamp: fc.oneof(fc.string(), fc.jsonValue()),
        message_id: fc.oneof(fc.string({ minLength: 99, maxLength: 101 }), fc.string(), fc.jsonValue()),
        timezone: fc.oneof(fc.string({ minLength: 63, maxLength: 65 }), fc.string(), fc.jsonValue()),
        extra: fc.jsonValue(),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(candidate, (value) => {
        const frame = JSON.stringify(value);
        const expected = v.safeParse(schema, JSON.parse(frame));
        const result = parseUserMessage(frame, schema);
        assert.equal(result.ok, expected.success);
        if (result.ok && expected.success) {
          assert.deepEqual(result.message, expected.output);
          assert.deepEqual(Object.keys(result.message), Object.keys(expected.output));
        }
      }),
      { numRuns: 1_000 },
    );
  });

  it('answers any string and any bytes the same way', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary' }), assertDocumentedParse), { numRuns: 2_000 });
    fc.assert(
      fc.property(fc.uint8Array(), (bytes) => assertDocumentedParse(Buffer.from(bytes).toString('utf8'))),
      { numRuns: 2_000 },
    );
  });
});

/** Reads what the server answered to one frame: an error, or processing followed by a reply. */
async function answerTo(client: TestClient): Promise<Frame> {
  const first = await client.next();
  if (first.type === 'error') {
    assert.ok(DOCUMENTED_ERRORS.has(first.error_code as string), `undocumented error code ${String(first.error_code)}`);
    return first;
  }
  assert.deepEqual([first.type, first.content], ['system', 'processing']);
  const reply = await client.next();
  assert.equal(reply.type, 'bot_response');
  return reply;
}

describe('live socket properties', { timeout: 60_000 }, () => {
  it('answers random frames with a documented frame each, never closing or crashing', async (t) => {
    const { wsUrl, base } = await startServer(t, { rateLimit: { perSecond: 1e6, burst: 1e6 } });
    const client = await connectClient(t, wsUrl('fuzz-live'));
    const frame = fc.oneof(
      fc.jsonValue().map((v) => ({ data: JSON.stringify(v), binary: false })),
      nearMessage.map((v) => ({ data: JSON.stringify(v), binary: false })),
      fc.string({ unit: 'binary' }).map((s) => ({ data: s, binary: false })),
      fc.uint8Array({ maxLength: 512 }).map((b) => ({ data: Buffer.from(b), binary: true })),
    );
    await fc.assert(
      fc.asyncProperty(frame, async ({ data, binary }) => {
        client.ws.send(data, { binary });
        await answerTo(client);
        assert.equal(client.ws.readyState, WebSocket.OPEN);
      }),
      { numRuns: 500 },
    );
    assert.equal((await fetch(`${base}/health`)).status, 200);
    client.send({ content: 'after the storm', session_id: 's' });
    assert.equal((await client.nextOfType('bot_response')).content, 'Echo: after the storm');
  });
});
