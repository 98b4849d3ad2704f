import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ConversationEngine, EngineContext } from '../lib/index.ts';
import { TurnPipeline } from '../lib/pipeline.ts';
import type { UserMessage } from '../lib/protocol.ts';
import { createMemoryStore, type Store } from '../lib/store.ts';
import { connectClient, recordingLogger, startServer, userMessage, within } from './helpers.ts';

/** An engine whose turns finish only when the test says so. */
function gatedEngine() {
  const gates: Array<() => void> = [];
  let startedCount = 0;
  let awaitedCount = 0;
  let wake: (() => void) | undefined;
  const engine: ConversationEngine = {
    async reply(message, ctx) {
      await new Promise<void>((resolve) => {
        gates.push(resolve);
        startedCount++;
        wake?.();
      });
      ctx.signal.throwIfAborted();
      return { replies: [{ content: `done: ${message.content}` }] };
    },
  };
  return {
    engine,
    /** Resolves once one more turn than before has reached the gate. */
    async started() {
      awaitedCount++;
      while (startedCount < awaitedCount)
        await within(new Promise<void>((resolve) => (wake = resolve)), 'a turn to start');
    },
    /** Lets the oldest waiting turn finish. */
    release: () => gates.shift()!(),
  };
}

describe('turns', { timeout: 10_000 }, () => {
  it('answers 50 rapid messages with 50 replies in order', async (t) => {
    const engine: ConversationEngine = {
      async reply(message) {
        // A variable delay would reorder replies if turns ran concurrently.
        await new Promise((resolve) => setImmediate(resolve));
        return { replies: [{ content: message.content }] };
      },
    };
    const { wsUrl } = await startServer(t, {
      engine,
      maxQueuedMessages: 50,
      rateLimit: { perSecond: 1000, burst: 100 },
    });
    const client = await connectClient(t, wsUrl('rapid-1'));
    for (let i = 0; i < 50; i++) client.send(userMessage(`m${i}`));
    const replies = [];
    for (let i = 0; i < 50; i++) replies.push((await client.nextOfType('bot_response')).content);
    assert.deepEqual(
      replies,
      Array.from({ length: 50 }, (_, i) => `m${i}`),
    );
  });

  it('refuses with BUSY a message beyond the queue, without processing it', async (t) => {
    const gate = gatedEngine();
    const { wsUrl } = await startServer(t, { engine: gate.engine, maxQueuedMessages: 2 });
    const client = await connectClient(t, wsUrl('busy-1'));
    client.send(userMessage('running'));
    await gate.started();
    client.send(userMessage('queued-1'));
    client.send(userMessage('queued-2'));
    client.send(userMessage('one too many', { message_id: 'extra' }));
    const busy = await client.nextOfType('error');
    assert.equal(busy.error_code, 'BUSY');
    assert.equal(busy.reply_to, 'extra');
    assert.equal(busy.retry_suggested, true);
    for (let i = 0; i < 3; i++) {
      gate.release();
      if (i < 2) await gate.started();
    }
    const contents = [];
    for (let i = 0; i < 3; i++) contents.push((await client.nextOfType('bot_response')).content);
    assert.deepEqual(contents, ['done: running', 'done: queued-1', 'done: queued-2']);
  });

  it('runs different clients concurrently', async (t) => {
    const gate = gatedEngine();
    const { wsUrl } = await startServer(t, { engine: gate.engine });
    const slow = await connectClient(t, wsUrl('conc-slow'));
    slow.send(userMessage('slow'));
    await gate.started();
    const fast = await connectClient(t, wsUrl('conc-fast'));
    fast.send(userMessage('fast'));
    await gate.started();
    gate.release();
    gate.release();
    assert.equal((await fast.nextOfType('bot_response')).content, 'done: fast');
    assert.equal((await slow.nextOfType('bot_response')).content, 'done: slow');
  });

  it('times out a slow turn with LLM_PROCESSING_ERROR, aborts the engine, and serves the next', async (t) => {
    let aborted: unknown;
    const engine: ConversationEngine = {
      reply(message, ctx: EngineContext) {
        if (message.content !== 'hang') return { replies: [{ content: 'quick' }] };
        return new Promise((_, reject) => {
          ctx.signal.addEventListener('abort', () => {
            aborted = true;
            reject(new Error('aborted'));
          });
        });
      },
    };
    const { wsUrl } = await startServer(t, { engine, engineTimeoutMs: 100 });
    const client = await connectClient(t, wsUrl('slow-1'));
    client.send(userMessage('hang', { message_id: 'h1' }));
    const error = await client.nextOfType('error');
    assert.equal(error.error_code, 'LLM_PROCESSING_ERROR');
    assert.equal(error.message, "I'm having trouble processing your request. Please try again.");
    assert.equal(error.reply_to, 'h1');
    assert.equal(aborted, true);
    client.send(userMessage('next'));
    assert.equal((await client.nextOfType('bot_response')).content, 'quick');
  });

  it('echoes message_id as reply_to and answers a repeat from the store', async (t) => {
    let calls = 0;
    const engine: ConversationEngine = {
      reply: (m) => ({ replies: [{ content: `booked #${++calls} ${m.content}` }] }),
    };
    const { wsUrl } = await startServer(t, { engine });
    const client = await connectClient(t, wsUrl('idem-1'));
    client.send(userMessage('book 3pm', { message_id: 'm-1' }));
    const processing = await client.next();
    assert.deepEqual([processing.content, processing.reply_to], ['processing', 'm-1']);
    const first = await client.next();
    assert.deepEqual([first.content, first.reply_to], ['booked #1 book 3pm', 'm-1']);
    client.send(userMessage('book 3pm', { message_id: 'm-1' }));
    const again = await client.nextOfType('bot_response');
    assert.deepEqual([again.content, again.reply_to], ['booked #1 book 3pm', 'm-1']);
    assert.equal(calls, 1);
  });

  it('sends every reply of a turn in order, with metadata and ui_elements', async (t) => {
    const buttons = [{ action_type: 'confirm', label: 'Yes', value: 'yes', variant: 'primary' }];
    const engine: ConversationEngine = {
      reply: () => ({
        replies: [
          { content: 'Draft ready.', metadata: { intent: 'schedule' } },
          { content: 'Book it?', ui_elements: { buttons } },
        ],
      }),
    };
    const { wsUrl } = await startServer(t, { engine });
    const client = await connectClient(t, wsUrl('multi-1'));
    client.send(userMessage('lunch'));
    const a = await client.nextOfType('bot_response');
    const b = await client.nextOfType('bot_response');
    assert.deepEqual([a.content, a.metadata], ['Draft ready.', { intent: 'schedule' }]);
    assert.deepEqual([b.content, b.ui_elements], ['Book it?', { buttons }]);
  });

  it('hands the engine the state it returned on the previous turn', async (t) => {
    const engine: ConversationEngine = {
      reply(_m, ctx) {
        const count = ((ctx.state as { count?: number } | undefined)?.count ?? 0) + 1;
        return { replies: [{ content: `turn ${count}` }], state: { count } };
      },
    };
    const { wsUrl } = await startServer(t, { engine });
    const client = await connectClient(t, wsUrl('state-1'));
    for (const expected of ['turn 1', 'turn 2', 'turn 3']) {
      client.send(userMessage('again'));
      assert.equal((await client.nextOfType('bot_response')).content, expected);
    }
  });
});

describe('the pipeline on its own', { timeout: 10_000 }, () => {
  it('keeps the queue of a busy client while the lanes of hundreds of clients that came and went are dropped', async () => {
    const gate = gatedEngine();
    const quick: ConversationEngine = { reply: (message) => ({ replies: [{ content: `quick: ${message.content}` }] }) };
    const sent = new Map<string, string[]>();
    let answered = 0;
    let wake: (() => void) | undefined;
    /** Resolves once `count` replies have been sent in all. */
    const repliesSent = async (count: number) => {
      while (answered < count) await new Promise<void>((resolve) => (wake = resolve));
    };
    const pipeline = new TurnPipeline({
      engine: { reply: (message, ctx) => (ctx.clientId === 'slow' ? gate.engine : quick).reply(message, ctx) },
      store: createMemoryStore(),
      log: recordingLogger(),
      maxQueued: 5,
      engineTimeoutMs: 5_000,
      send(clientId, data, onSent) {
        const frame = JSON.parse(data) as { type: string; content?: string };
        if (frame.type === 'bot_response') {
          sent.set(clientId, [...(sent.get(clientId) ?? []), frame.content!]);
          answered += 1;
          wake?.();
        }
        onSent?.();
        return true;
      },
    });
    const message = (content: string) => ({ type: 'user_message', content }) as UserMessage;
    assert.equal(pipeline.submit('slow', message('first')), 'accepted');
    await gate.started();
    assert.equal(pipeline.submit('slow', message('second')), 'accepted');
    // Far more idle lanes than are kept, so they are dropped while 'slow' still runs.
    for (let i = 0; i < 600; i++) assert.equal(pipeline.submit(`client-${i}`, message(`m${i}`)), 'accepted');
    await within(repliesSent(600), 'the quick clients to be answered');
    assert.equal(pipeline.submit('slow', message('third')), 'accepted');
    assert.deepEqual(pipeline.queueSample(), { running: 1, waiting: 2 });
    for (let turn = 0; turn < 3; turn++) {
      gate.release();
      if (turn < 2) await gate.started();
    }
    await within(pipeline.idle(), 'the pipeline to go idle');
    assert.deepEqual(sent.get('slow'), ['done: first', 'done: second', 'done: third']);
    assert.deepEqual(sent.get('client-599'), ['quick: m599']);
    assert.deepEqual(pipeline.queueSample(), { running: 0, waiting: 0 });
    assert.equal(pipeline.submit('client-0', message('again')), 'accepted');
    await within(repliesSent(604), 'a dropped client to be answered again');
    assert.deepEqual(sent.get('client-0'), ['quick: m0', 'quick: again']);
  });
});

describe('sessions survive', { timeout: 10_000 }, () => {
  it('delivers a reply that finished while the client was away, exactly once, on reconnect', async (t) => {
    const gate = gatedEngine();
    const store = createMemoryStore();
    const log = recordingLogger();
    let replied!: () => void;
    const stored = new Promise<void>((resolve) => (replied = resolve));
    const { wsUrl } = await startServer(t, {
      engine: gate.engine,
      store,
      logger: log,
      onTurnReplied: (turn) => turn.clientId === 'away-1' && replied(),
    });
    const first = await connectClient(t, wsUrl('away-1'));
    first.send(userMessage('slow question', { message_id: 'q1' }));
    await gate.started();
    first.ws.close();
    await log.waitFor('client disconnected');
    gate.release();
    await within(stored, 'the turn of away-1 to be stored');
    const second = await connectClient(t, wsUrl('away-1'));
    assert.deepEqual(second.established.metadata, { resumed: true, messages: 2, pending: 1 });
    const reply = await second.next();
    assert.deepEqual([reply.type, reply.content, reply.reply_to], ['bot_response', 'done: slow question', 'q1']);
    second.ws.close();
    await second.closed;
    const third = await connectClient(t, wsUrl('away-1'));
    assert.deepEqual(third.established.metadata, { resumed: true, messages: 2, pending: 0 });
  });

  it('answers INTERNAL_SERVER_ERROR when the store cannot write the turn, and keeps serving', async (t) => {
    const real = createMemoryStore();
    let failNext = true;
    const store: Store = {
      ...real,
      async commitTurn(...args) {
        if (failNext) {
          failNext = false;
          throw new Error('SQLITE_FULL: database or disk is full');
        }
        return real.commitTurn(...args);
      },
    };
    const log = recordingLogger();
    const { wsUrl } = await startServer(t, { store, logger: log });
    const client = await connectClient(t, wsUrl('full-1'));
    client.send(userMessage('lost'));
    assert.equal((await client.nextOfType('error')).error_code, 'INTERNAL_SERVER_ERROR');
    assert.ok(!client.frames.some((f) => f.type === 'bot_response'), 'no reply that was not stored');
    assert.equal(await real.getSession('full-1'), undefined);
    assert.equal((await log.waitFor('turn failed')).clientId, 'full-1');
    client.send(userMessage('kept'));
    assert.equal((await client.nextOfType('bot_response')).content, 'Echo: kept');
  });

  it('sweeps sessions idle longer than the TTL', async (t) => {
    const store = createMemoryStore();
    const log = recordingLogger();
    const { wsUrl } = await startServer(t, { store, logger: log, sessionTtlMs: 1, sweepIntervalMs: 100 });
    const client = await connectClient(t, wsUrl('ttl-1'));
    client.send(userMessage('remember me'));
    await client.nextOfType('bot_response');
    client.ws.close();
    await client.closed;
    await log.waitFor('sessions swept', (line) => line.removed === 1);
    assert.equal(await store.getSession('ttl-1'), undefined);
    const again = await connectClient(t, wsUrl('ttl-1'));
    assert.deepEqual(again.established.metadata, { resumed: false, messages: 0, pending: 0 });
  });
});

describe('admin session routes', { timeout: 10_000 }, () => {
  it('shows and erases a stored session', async (t) => {
    const { wsUrl, base } = await startServer(t);
    const client = await connectClient(t, wsUrl('adm-s1'));
    client.send(userMessage('hello', { message_id: 'a1' }));
    await client.nextOfType('bot_response');
    const res = await fetch(`${base}/admin/sessions/adm-s1`);
    assert.equal(res.status, 200);
    const session = (await res.json()) as {
      client_id: string;
      message_count: number;
      history: Array<{ role: string; content: string }>;
    };
    assert.equal(session.client_id, 'adm-s1');
    assert.deepEqual(
      session.history.map((h) => [h.role, h.content]),
      [
        ['user', 'hello'],
        ['assistant', 'Echo: hello'],
      ],
    );
    const del = await fetch(`${base}/admin/sessions/adm-s1`, { method: 'DELETE' });
    assert.equal(del.status, 200);
    assert.equal((await fetch(`${base}/admin/sessions/adm-s1`)).status, 404);
    assert.equal((await fetch(`${base}/admin/sessions/adm-s1`, { method: 'DELETE' })).status, 404);
  });

  it('answers 404 with a detail for an unknown or malformed id', async (t) => {
    const { base } = await startServer(t);
    for (const id of ['nobody-here', 'x', '%00%00']) {
      const res = await fetch(`${base}/admin/sessions/${id}`);
      assert.equal(res.status, 404);
      assert.equal(((await res.json()) as { error_code: string }).error_code, 'SESSION_NOT_FOUND');
    }
  });
});
