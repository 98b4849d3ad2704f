import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  botResponseFrame,
  canonicalTimeZone,
  codePointLength,
  errorFrame,
  isoTimestamp,
  isValidClientId,
  messageIdOf,
  parseUserMessage,
  processingFrameText,
  systemFrame,
} from '../lib/protocol.ts';

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

describe('client ids', () => {
  const valid = ['abc', 'client-123', 'A_b-9', 'x'.repeat(100)];
  const invalid = ['', 'ab', 'x'.repeat(101), 'has space', 'dot.dot', 'slash/x', 'ünï', '%41bc', 'abc\n'];
  for (const id of valid)
    it(`accepts ${JSON.stringify(id.slice(0, 20))}`, () => assert.equal(isValidClientId(id), true));
  for (const id of invalid)
    it(`refuses ${JSON.stringify(id.slice(0, 20))}`, () => assert.equal(isValidClientId(id), false));
});

describe('parseUserMessage', () => {
  it('accepts a full Phase-1 message', () => {
    const result = parseUserMessage(
      JSON.stringify({ type: 'user_message', content: 'hi', timestamp: '2025-08-02T10:30:00Z', session_id: 'c-1' }),
    );
    assert.deepEqual(result, {
      ok: true,
      message: { type: 'user_message', content: 'hi', timestamp: '2025-08-02T10:30:00Z', session_id: 'c-1' },
    });
  });

  it('defaults type to user_message and drops unknown fields', () => {
    const result = parseUserMessage(JSON.stringify({ content: 'hi', session_id: 's', extra: { deep: 1 } }));
    assert.deepEqual(result, { ok: true, message: { type: 'user_message', content: 'hi', session_id: 's' } });
  });

  it('keeps a message_id of up to 100 characters', () => {
    const result = parseUserMessage(JSON.stringify({ content: 'hi', session_id: 's', message_id: 'm'.repeat(100) }));
    assert.equal(result.ok && result.message.message_id, 'm'.repeat(100));
  });

  const bad: Array<[string, string, Array<{ path: string; message: string }>]> = [
    ['not JSON', '{"content":', [{ path: '$', message: 'Not valid JSON' }]],
    ['a JSON string', '"hello"', [{ path: '$', message: 'Expected a JSON object' }]],
    ['null', 'null', [{ path: '$', message: 'Expected a JSON object' }]],
    ['an array', '[{"content":"x","session_id":"s"}]', [{ path: '$', message: 'Expected a JSON object' }]],
    ['a number', '42', [{ path: '$', message: 'Expected a JSON object' }]],
    ['content missing', '{"session_id":"s"}', [{ path: 'content', message: 'Required' }]],
    ['session_id missing', '{"content":"x"}', [{ path: 'session_id', message: 'Required' }]],
    ['content a number', '{"content":5,"session_id":"s"}', [{ path: 'content', message: 'Expected a string' }]],
    ['content empty', '{"content":"","session_id":"s"}', [{ path: 'content', message: 'Must not be empty' }]],
    ['content blank', '{"content":"  \\n ","session_id":"s"}', [{ path: 'content', message: 'Must not be empty' }]],
    [
      'another type',
      '{"type":"admin","content":"x","session_id":"s"}',
      [{ path: 'type', message: 'Expected "user_message"' }],
    ],
    [
      'timestamp a number',
      '{"content":"x","session_id":"s","timestamp":1}',
      [{ path: 'timestamp', message: 'Expected a string' }],
    ],
    [
      'message_id too long',
      `{"content":"x","session_id":"s","message_id":"${'m'.repeat(101)}"}`,
      [{ path: 'message_id', message: 'Must be at most 100 characters' }],
    ],
  ];
  for (const [name, text, details] of bad) {
    it(`refuses ${name} and says where`, () => assert.deepEqual(parseUserMessage(text), { ok: false, details }));
  }

  it('never echoes the input back in its details', () => {
    const secret = 'SECRET-VALUE-123';
    const result = parseUserMessage(
      JSON.stringify({ content: 7, session_id: ['x'], type: secret, timestamp: { secret } }),
    );
    assert.equal(result.ok, false);
    assert.ok(!JSON.stringify(result).includes(secret));
  });
});

describe('frames', () => {
  it('builds system frames with a UTC timestamp', () => {
    const frame = systemFrame('processing');
    assert.deepEqual(Object.keys(frame), ['type', 'content', 'timestamp']);
    assert.match(frame.timestamp, ISO_UTC);
  });

  it('builds error frames with the fixed text of their code', () => {
    const frame = errorFrame('INTERNAL_SERVER_ERROR', { reply_to: 'm1' });
    assert.equal(frame.message, 'An internal error occurred. Please try reconnecting.');
    assert.equal(frame.retry_suggested, true);
    assert.equal(frame.reply_to, 'm1');
  });

  it('suggests a retry for every code but those where the same frame cannot succeed', () => {
    assert.equal(errorFrame('INVALID_MESSAGE_FORMAT').retry_suggested, false);
    assert.equal(errorFrame('INVALID_TIMEZONE').retry_suggested, false);
    for (const code of ['RATE_LIMITED', 'BUSY', 'SHUTTING_DOWN', 'LLM_PROCESSING_ERROR'] as const)
      assert.equal(errorFrame(code).retry_suggested, true, code);
  });

  it('writes the processing frame from its template exactly as JSON.stringify writes the frame', () => {
    const timestamp = '2026-11-30T09:15:00.123Z';
    for (const replyTo of [undefined, 'm1', 'quote " backslash \\ line\n tab\t', 'é😀\u2028'])
      assert.equal(
        processingFrameText(timestamp, replyTo),
        JSON.stringify(systemFrame('processing', { reply_to: replyTo }, timestamp)),
        String(replyTo),
      );
  });

  it('formats timestamps as a Date does, one string per millisecond', () => {
    for (const ms of [0, 1_764_494_100_123, 1_764_494_100_124, 1_764_494_100_124, 1_764_494_100_999])
      assert.equal(isoTimestamp(ms), new Date(ms).toISOString());
    assert.match(isoTimestamp(), ISO_UTC);
  });

  it('leaves unset optional fields out of bot responses', () => {
    const frame = botResponseFrame({ content: 'hi' }, { session_id: 'c-1', reply_to: undefined });
    assert.deepEqual(Object.keys(frame), ['type', 'content', 'timestamp', 'session_id']);
  });
});

describe('input normalisation', () => {
  it('counts code points, a surrogate pair once and a lone surrogate once', () => {
    assert.equal(codePointLength(''), 0);
    assert.equal(codePointLength('abc'), 3);
    assert.equal(codePointLength('😀😀'), 2);
    assert.equal(codePointLength('a\ud83d'), 2);
    assert.equal(codePointLength('\ude00\ud83d'), 2);
  });

  it('spells a zone canonically whatever its letter case, and refuses an unknown one', () => {
    assert.equal(canonicalTimeZone('eUrOpE/pArIs'), 'Europe/Paris');
    assert.equal(canonicalTimeZone('utc'), 'UTC');
    assert.equal(
      canonicalTimeZone('asia/kolkata'),
      'Asia/Kolkata',
      "IANA's current name, not ICU's retired Asia/Calcutta",
    );
    assert.equal(canonicalTimeZone('Asia/Calcutta'), 'Asia/Kolkata');
    assert.equal(canonicalTimeZone('asia/KATHMANDU'), 'Asia/Kathmandu');
    assert.equal(canonicalTimeZone('Mars/Olympus'), undefined);
    assert.equal(canonicalTimeZone('x'.repeat(65)), undefined);
  });

  it('reads the message_id of a frame refused before validation only when it is a valid one', () => {
    assert.equal(messageIdOf('{"message_id":"m1","content":3}'), 'm1');
    for (const text of ['not json', 'null', '5', '{"message_id":7}', `{"message_id":"${'x'.repeat(101)}"}`])
      assert.equal(messageIdOf(text), undefined, text);
  });
});
