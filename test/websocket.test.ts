import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ConversationEngine } from '../lib/index.ts';
import { connectClient, openClient, refusedUpgrade, startServer, userMessage, within } from './helpers.ts';

const INVALID = 'Message format is invalid. Please check the message structure.';

describe('handshake', { timeout: 10_000 }, () => {
  it('greets a new client with connection_established', async (t) => {
    const { wsUrl } = await startServer(t);
    const client = await connectClient(t, wsUrl('greet-1'));
    assert.equal(client.established.type, 'system');
    assert.deepEqual(client.established.metadata, { resumed: false, messages: 0, pending: 0 });
    assert.match(String(client.established.timestamp), /Z$/);
  });

  for (const id of ['ab', 'x'.repeat(101), 'bad.id', 'sp%20ace', 'a/b/c', '']) {
    it(`accepts then closes a bad client id ${JSON.stringify(id.slice(0, 12))} with 1008`, async (t) => {
      const { wsUrl, server } = await startServer(t);
      const client = openClient(t, wsUrl(id));
      assert.deepEqual(await client.closed, { code: 1008, reason: 'Invalid client ID format' });
      assert.deepEqual(client.frames, []);
      assert.equal(server.connections.size, 0);
    });
  }

  it('answers an upgrade to any other path with 404', async (t) => {
    const { port } = await startServer(t);
    const res = await refusedUpgrade(`ws://127.0.0.1:${port}/chat/abc`);
    assert.equal(res.statusCode, 404);
    assert.equal(JSON.parse(res.body).error_code, 'NOT_FOUND');
  });

  it('refuses upgrades past MAX_CONNECTIONS with 503 and Retry-After', async (t) => {
    const { wsUrl } = await startServer(t, { maxConnections: 2 });
    await connectClient(t, wsUrl('limit-1'));
    await connectClient(t, wsUrl('limit-2'));
    const res = await refusedUpgrade(wsUrl('limit-3'));
    assert.equal(res.statusCode, 503);
    assert.equal(res.headers['retry-after'], '5');
    assert.equal(JSON.parse(res.body).error_code, 'TOO_MANY_CONNECTIONS');
  });

  it('lets a connected client reconnect even at the limit', async (t) => {
    const { wsUrl } = await startServer(t, { maxConnections: 1 });
    await connectClient(t, wsUrl('limit-a'));
    await connectClient(t, wsUrl('limit-a'));
  });
});

describe('messages', { timeout: 10_000 }, () => {
  it('answers a user_message with processing, then the echo', async (t) => {
    const { wsUrl } = await startServer(t);
    const client = await connectClient(t, wsUrl('echo-1'));
    client.send(userMessage('I want to schedule a meeting for tomorrow'));
    const processing = await client.next();
    assert.deepEqual([processing.type, processing.content], ['system', 'processing']);
    const reply = await client.next();
    assert.equal(reply.type, 'bot_response');
    assert.equal(reply.content, 'Echo: I want to schedule a meeting for tomorrow');
    assert.equal(reply.session_id, 'echo-1');
    assert.match(String(reply.timestamp), /Z$/);
  });

  it('accepts a message without a type', async (t) => {
    const { wsUrl } = await startServer(t);
    const client = await connectClient(t, wsUrl('echo-2'));
    client.send({ content: 'hi', session_id: 'x', unknown_field: [1, 2] });
    assert.equal((await client.nextOfType('bot_response')).content, 'Echo: hi');
  });

  const badFrames: Array<[string, string | Buffer, string]> = [
    ['text that is not JSON', '{oops', '$'],
    ['a JSON array', '[]', '$'],
    ['JSON null', 'null', '$'],
    ['a missing content', '{"session_id":"s"}', 'content'],
    ['a missing session_id', '{"content":"x"}', 'session_id'],
    ['a numeric content', '{"content":1,"session_id":"s"}', 'content'],
    ['an empty content', '{"content":"","session_id":"s"}', 'content'],
    ['another message type', '{"type":"system","content":"x","session_id":"s"}', 'type'],
    ['a binary frame', Buffer.from('{"content":"x","session_id":"s"}'), '$'],
  ];
  for (const [name, data, path] of badFrames) {
    it(`answers ${name} with INVALID_MESSAGE_FORMAT and stays open`, async (t) => {
      const { wsUrl } = await startServer(t);
      const client = await connectClient(t, wsUrl('bad-frame'));
      client.ws.send(data);
      const error = await client.next();
      assert.equal(error.type, 'error');
      assert.equal(error.error_code, 'INVALID_MESSAGE_FORMAT');
      assert.equal(error.message, INVALID);
      assert.equal(error.retry_suggested, false, 'the same frame cannot succeed');
      assert.equal((error.details as Array<{ path: string }>)[0]!.path, path);
      client.send(userMessage('still here'));
      assert.equal((await client.nextOfType('bot_response')).content, 'Echo: still here');
    });
  }

  it('closes with 1009 a frame over maxMessageBytes', async (t) => {
    const { wsUrl } = await startServer(t, { maxMessageBytes: 1024 });
    const client = await connectClient(t, wsUrl('big-1'));
    client.send(userMessage('x'.repeat(2048)));
    assert.equal((await client.closed).code, 1009);
  });

  it('answers INTERNAL_SERVER_ERROR when the engine throws, and keeps serving', async (t) => {
    const engine: ConversationEngine = {
      reply(message) {
        if (message.content === 'boom') throw new Error('database password is hunter2');
        return { replies: [{ content: `ok: ${message.content}` }] };
      },
    };
    const { wsUrl } = await startServer(t, { engine });
    const client = await connectClient(t, wsUrl('boom-1'));
    client.send(userMessage('boom'));
    const error = await client.nextOfType('error');
    assert.equal(error.error_code, 'INTERNAL_SERVER_ERROR');
    assert.equal(error.message, 'An internal error occurred. Please try reconnecting.');
    assert.equal(error.retry_suggested, true);
    assert.ok(!JSON.stringify(error).includes('hunter2'));
    client.send(userMessage('after'));
    assert.equal((await client.nextOfType('bot_response')).content, 'ok: after');
  });
});

describe('duplicate client ids', { timeout: 10_000 }, () => {
  it('closes the older socket with 4000 and keeps the newer one registered', async (t) => {
    const disconnects: Array<[string, number]> = [];
    let onDisconnect = (id: string, code: number) => void disconnects.push([id, code]);
    const oldClosedOnServer = new Promise<void>((resolve) => {
      onDisconnect = (id, code) => {
        disconnects.push([id, code]);
        resolve();
      };
    });
    const { wsUrl, server } = await startServer(t, { onDisconnect: (id, code) => onDisconnect(id, code) });
    const older = await connectClient(t, wsUrl('dup-1'));
    const newer = await connectClient(t, wsUrl('dup-1'));
    assert.deepEqual(await older.closed, { code: 4000, reason: 'Replaced by a newer connection' });
    // The late 'close' of the replaced socket has run on the server; it must not have removed the newer entry.
    await within(oldClosedOnServer, 'server-side close of the replaced socket');
    assert.deepEqual(disconnects, [['dup-1', 4000]]);
    assert.deepEqual(server.connections.ids(), ['dup-1']);
    newer.send(userMessage('from the newer socket'));
    assert.equal((await newer.nextOfType('bot_response')).content, 'Echo: from the newer socket');
    assert.deepEqual(
      older.frames.map((f) => f.content),
      ['connection_established'],
    );
  });

  it('never sends one client the replies of another', async (t) => {
    const { wsUrl } = await startServer(t);
    const alice = await connectClient(t, wsUrl('alice-x'));
    const bob = await connectClient(t, wsUrl('bob-x'));
    alice.send(userMessage('for alice'));
    bob.send(userMessage('for bob'));
    assert.equal((await alice.nextOfType('bot_response')).session_id, 'alice-x');
    const bobReply = await bob.nextOfType('bot_response');
    assert.equal(bobReply.content, 'Echo: for bob');
    assert.ok(!alice.frames.some((f) => f.content === 'Echo: for bob'));
  });
});

describe('heartbeat', { timeout: 10_000 }, () => {
  it('terminates a client that stops answering pings and keeps one that answers', async (t) => {
    const gone: string[] = [];
    let dropped!: () => void;
    const droppedOnce = new Promise<void>((resolve) => (dropped = resolve));
    const { wsUrl, server } = await startServer(t, {
      heartbeatIntervalMs: 100,
      onDisconnect: (id) => {
        gone.push(id);
        dropped();
      },
    });
    const alive = await connectClient(t, wsUrl('hb-alive'));
    const silent = await connectClient(t, wsUrl('hb-silent'), { autoPong: false });
    await within(droppedOnce, 'the silent client to be dropped');
    assert.deepEqual(gone, ['hb-silent']);
    assert.deepEqual(server.connections.ids(), ['hb-alive']);
    assert.equal((await silent.closed).code, 1006);
    alive.send(userMessage('still alive'));
    assert.equal((await alive.nextOfType('bot_response')).content, 'Echo: still alive');
  });
});

describe('shutdown', { timeout: 10_000 }, () => {
  it('closes every socket with 1001 and answers /health with 503 meanwhile', async (t) => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let started!: () => void;
    const turnStarted = new Promise<void>((resolve) => (started = resolve));
    const engine: ConversationEngine = {
      async reply() {
        started();
        await released;
        return { replies: [{ content: 'late' }] };
      },
    };
    const { wsUrl, server, base } = await startServer(t, { engine, closeTimeoutMs: 5_000 });
    const client = await connectClient(t, wsUrl('bye-1'));
    client.send(userMessage('slow'));
    await within(turnStarted, 'the turn to start');
    const closing = server.close();
    assert.equal(server.close(), closing, 'close() returns the same promise');
    assert.deepEqual(await client.closed, { code: 1001, reason: 'Server shutting down' });
    const health = await fetch(`${base}/health`);
    assert.equal(health.status, 503);
    assert.equal(((await health.json()) as { status: string }).status, 'shutting_down');
    const refused = await refusedUpgrade(wsUrl('bye-2'));
    assert.equal(refused.statusCode, 503);
    release();
    await within(closing, 'close() to finish');
    assert.equal(server.httpServer.listening, false);
  });
});
