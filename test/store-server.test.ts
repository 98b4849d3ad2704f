import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { calendarRoutes } from '../lib/engines/meeting/routes.ts';
import type { ConversationEngine } from '../lib/index.ts';
import { createSqliteStore } from '../lib/sqlite-store.ts';
import { createMemoryStore, type Store } from '../lib/store.ts';
import {
  connectClient,
  openClient,
  startServer,
  tempDir,
  userMessage,
  waitFor,
  within,
  type TestClient,
} from './helpers.ts';
import { refuseTurns } from './store-files.ts';

interface Notes {
  notes: string[];
}

/** A SQLite store in a fresh file, closed when the test ends. */
function fileStore(t: TestContext) {
  const store = createSqliteStore(join(tempDir(t), 'mm.db'));
  t.after(() => store.close());
  return store;
}

/**
 * Keeps every message in its state ("notes"); a message "slow" waits for the test to let it go,
 * ignoring the abort signal as a stuck LLM call would.
 */
function notingEngine() {
  let release: (() => void) | undefined;
  let started: (() => void) | undefined;
  const slowStarted = new Promise<void>((resolve) => (started = resolve));
  const engine: ConversationEngine = {
    async reply(message, ctx) {
      const notes = [...((ctx.state as Notes | undefined)?.notes ?? []), message.content];
      if (message.content === 'slow') {
        started!();
        await new Promise<void>((resolve) => (release = resolve));
      }
      return { replies: [{ content: `notes: ${notes.join(', ')}` }], state: { notes } };
    },
  };
  return { engine, slowStarted: () => within(slowStarted, 'the slow turn to start'), release: () => release!() };
}

/** Each message's two frames, in order: its `processing` and its answer (reply_to, and content or error code). */
async function answersOf(client: TestClient, count: number): Promise<string[]> {
  const answers: string[] = [];
  for (let i = 0; i < count; i++) {
    const processing = await client.next();
    assert.deepEqual([processing.type, processing.content, processing.reply_to], ['system', 'processing', `m${i}`]);
    const answer = await client.next();
    answers.push(`${answer.reply_to}: ${answer.type === 'error' ? answer.error_code : answer.content}`);
  }
  return answers;
}

const sendAll = (client: TestClient, words: string[]) =>
  words.forEach((word, i) => client.send(userMessage(word, { message_id: `m${i}` })));

// The SQLite store takes a client's next turn before the last one is written (Store.turnsAhead).
describe('a client’s queued messages on the SQLite store', { timeout: 15_000 }, () => {
  it('are answered in order, each turn on the state the one before it left', async (t) => {
    const { wsUrl } = await startServer(t, { engine: notingEngine().engine, store: fileStore(t) });
    const client = await connectClient(t, wsUrl('ahead-1'));
    const words = ['one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight'];
    sendAll(client, words);
    assert.deepEqual(
      await answersOf(client, words.length),
      words.map((_, i) => `m${i}: notes: ${words.slice(0, i + 1).join(', ')}`),
    );
  });

  // Messages come in while the chain's last turns are written: each must still be answered.
  it('answer every message of a client that keeps 8 in flight', async (t) => {
    const rateLimit = { perSecond: 100_000, burst: 100_000 };
    const { wsUrl } = await startServer(t, { store: fileStore(t), rateLimit });
    const client = await connectClient(t, wsUrl('ahead-3'));
    const total = 300;
    let sent = 0;
    const send = () => client.send(userMessage(`n${sent}`, { message_id: `n${sent++}` }));
    while (sent < 8) send();
    const replies: string[] = [];
    while (replies.length < total) {
      replies.push((await client.nextOfType('bot_response')).content as string);
      if (sent < total) send();
    }
    assert.deepEqual(
      replies,
      Array.from({ length: total }, (_, i) => `Echo: n${i}`),
    );
  });

  it('answer a message that comes in while the last turns run ahead are being written', async (t) => {
    const sqlite = fileStore(t);
    let release!: () => void;
    const writeHeld = new Promise<void>((resolve) => (release = resolve));
    // The write of the turn answering "held" is reported done only when the test says so.
    const store: Store = {
      ...sqlite,
      commitTurn: (clientId, turn, now) =>
        turn.user.content === 'held'
          ? sqlite.commitTurn(clientId, turn, now).then(async (stored) => (await writeHeld, stored))
          : sqlite.commitTurn(clientId, turn, now),
    };
    assert.equal(store.turnsAhead, true);
    const { base, wsUrl } = await startServer(t, { store });
    const client = await connectClient(t, wsUrl('ahead-4'));
    const queueDepth = async () =>
      Number(/^meetingmuse_turn_queue_depth (\d+)/m.exec(await (await fetch(`${base}/metrics`)).text())?.[1]);
    sendAll(client, ['one', 'two', 'held']);
    assert.equal((await client.nextOfType('bot_response')).content, 'Echo: one');
    assert.equal((await client.nextOfType('bot_response')).content, 'Echo: two');
    const processing = await client.next();
    assert.deepEqual([processing.content, processing.reply_to], ['processing', 'm2']);
    client.send(userMessage('late', { message_id: 'm3' }));
    // It waits in the server's queue while the held write is not done.
    for (const deadline = Date.now() + 2_000; (await queueDepth()) !== 1;)
      assert.ok(Date.now() < deadline, 'the late message never reached the queue');
    release();
    assert.equal((await client.nextOfType('bot_response')).content, 'Echo: held');
    assert.equal((await client.nextOfType('bot_response')).content, 'Echo: late');
  });

  it('store and send nothing computed on the state of a turn whose write failed', async (t) => {
    const path = join(tempDir(t), 'mm.db');
    const store = createSqliteStore(path);
    t.after(() => store.close());
    refuseTurns(path, 'refused', 'boom');
    const { base, wsUrl } = await startServer(t, { engine: notingEngine().engine, store });
    const client = await connectClient(t, wsUrl('ahead-2'));
    sendAll(client, ['one', 'boom', 'three', 'four']);

    const [first, failed, ...behind] = await answersOf(client, 4);
    assert.equal(first, 'm0: notes: one');
    assert.equal(failed, 'm1: INTERNAL_SERVER_ERROR');
    // Started on the failed turn's state, they fail with it; started after, they answer without it.
    for (const answer of behind)
      assert.match(answer, /^m\d: (INTERNAL_SERVER_ERROR|notes: one, (three, )?four|notes: one, three)$/);
    client.send(userMessage('five', { message_id: 'm4' }));
    assert.doesNotMatch((await client.nextOfType('bot_response')).content as string, /boom/);

    const session = (await (await fetch(`${base}/admin/sessions/ahead-2`)).json()) as {
      state: Notes;
      history: Array<{ content: string }>;
    };
    assert.ok(!session.state.notes.includes('boom'), JSON.stringify(session.state));
    assert.ok(!session.history.some((h) => h.content.includes('boom')), JSON.stringify(session.history));
  });
});

describe('DELETE /admin/sessions/{id} and running turns', { timeout: 15_000 }, () => {
  // The turn running during a DELETE wrote back the state it had loaded before it, so erased
  // meetings reappeared.
  it('wins over the turn already running: nothing of the session comes back', async (t) => {
    const { engine, slowStarted, release } = notingEngine();
    const { base, wsUrl } = await startServer(t, { engine, store: fileStore(t) });
    const client = await connectClient(t, wsUrl('erase-1'));
    client.send(userMessage('private note'));
    assert.equal((await client.nextOfType('bot_response')).content, 'notes: private note');
    client.send(userMessage('slow', { message_id: 's1' }));
    await slowStarted();
    client.send(userMessage('queued', { message_id: 'q1' }));

    const deleted = await fetch(`${base}/admin/sessions/erase-1`, { method: 'DELETE' });
    assert.equal(deleted.status, 200);
    const abandoned = await client.nextOfType('error');
    assert.deepEqual([abandoned.error_code, abandoned.reply_to], ['SESSION_DELETED', 's1']);
    // The message that waited behind the aborted turn runs after the deletion, on the empty session.
    assert.equal((await client.nextOfType('bot_response')).content, 'notes: queued');
    release();

    const session = (await (await fetch(`${base}/admin/sessions/erase-1`)).json()) as {
      state: Notes;
      history: Array<{ content: string }>;
    };
    assert.deepEqual(session.state, { notes: ['queued'] });
    assert.deepEqual(
      session.history.map((h) => h.content),
      ['queued', 'notes: queued'],
    );
  });

  it('erases a session whose client has no turn running, and answers 404 the second time', async (t) => {
    const { base, wsUrl } = await startServer(t, { store: fileStore(t) });
    const client = await connectClient(t, wsUrl('erase-2'));
    client.send(userMessage('hello'));
    await client.nextOfType('bot_response');
    assert.equal((await fetch(`${base}/admin/sessions/erase-2`, { method: 'DELETE' })).status, 200);
    const again = await fetch(`${base}/admin/sessions/erase-2`, { method: 'DELETE' });
    assert.equal(again.status, 404);
    assert.equal(((await again.json()) as { error_code: string }).error_code, 'SESSION_NOT_FOUND');
  });
});

/** Remembers titles ("book X"), hands out its feed URL ("feed?"), archives all but the newest ("prune"). */
function calendarEngine(seen: unknown[] = []): ConversationEngine {
  return {
    async reply(message, ctx) {
      seen.push(ctx.state);
      const titles = [...((ctx.state as { titles?: string[] } | undefined)?.titles ?? [])];
      if (message.content === 'feed?') return { replies: [{ content: await ctx.calendarFeedUrl!() }] };
      if (message.content === 'prune') {
        return {
          replies: [{ content: 'pruned' }],
          state: { titles: titles.slice(-1) },
          archive: titles.slice(0, -1).map((title) => ({ title })),
        };
      }
      titles.push(message.content.replace(/^book /, ''));
      return { replies: [{ content: 'booked' }], state: { titles } };
    },
    routes: (ctx) =>
      calendarRoutes((state, clientId, archive) => {
        const titles = [
          ...(archive as Array<{ title: string }>).map((a) => a.title),
          ...((state as { titles?: string[] } | undefined)?.titles ?? []),
        ];
        return [
          'BEGIN:VCALENDAR',
          `X-WR-CALNAME:${clientId}`,
          ...titles.map((title) => `SUMMARY:${title}`),
          'END:VCALENDAR',
          '',
        ].join('\r\n');
      }, ctx),
  };
}

async function ask(client: Awaited<ReturnType<typeof connectClient>>, content: string): Promise<string> {
  client.send(userMessage(content));
  return String((await client.nextOfType('bot_response')).content);
}

const ADMIN = { authorization: 'Bearer admin-secret' };
/** An admin write as a well-behaved client sends it: JSON, even when the route needs no body. */
const ISSUE = { method: 'POST', headers: { ...ADMIN, 'content-type': 'application/json' }, body: '{}' };

describe('calendar feeds at secret addresses', { timeout: 15_000 }, () => {
  // The feed needed the admin token, which calendar apps cannot send and users must never hold.
  it('serves a client its feed at a capability URL that needs no admin token', async (t) => {
    const { base, port, wsUrl } = await startServer(t, {
      engine: calendarEngine(),
      store: fileStore(t),
      adminToken: 'admin-secret',
    });
    const client = await connectClient(t, wsUrl('feed-1'));
    await ask(client, 'book lunch with Ana');
    const url = await ask(client, 'feed?');
    assert.match(url, new RegExp(`^http://127\\.0\\.0\\.1:${port}/feeds/[A-Za-z0-9_-]{43}\\.ics$`));
    assert.equal(await ask(client, 'feed?'), url, 'the same address every time');

    const feed = await fetch(url);
    assert.equal(feed.status, 200);
    assert.equal(feed.headers.get('content-type'), 'text/calendar; charset=utf-8');
    assert.match(await feed.text(), /X-WR-CALNAME:feed-1\r\nSUMMARY:lunch with Ana\r\n/);
    assert.equal((await fetch(`${base}/calendar/feed-1.ics`)).status, 401, 'the operator route still needs the token');
    assert.equal((await fetch(`${base}/calendar/feed-1.ics`, { headers: ADMIN })).status, 200);
    const guessed = await fetch(`${base}/feeds/${'A'.repeat(43)}.ics`);
    assert.equal(guessed.status, 404);
    assert.equal(((await guessed.json()) as { error_code: string }).error_code, 'FEED_NOT_FOUND');
  });

  it('lets an operator rotate and revoke a feed address', async (t) => {
    const { base, wsUrl } = await startServer(t, {
      engine: calendarEngine(),
      store: fileStore(t),
      adminToken: 'admin-secret',
    });
    const client = await connectClient(t, wsUrl('feed-2'));
    await ask(client, 'book review');
    const old = await ask(client, 'feed?');

    assert.equal(
      (await fetch(`${base}/admin/feeds/feed-2`, { ...ISSUE, headers: { 'content-type': 'application/json' } })).status,
      401,
    );
    const rotated = await fetch(`${base}/admin/feeds/feed-2`, ISSUE);
    assert.equal(rotated.status, 200);
    const { url, status } = (await rotated.json()) as { url: string; status: string };
    assert.equal(status, 'issued');
    assert.notEqual(url, old);
    assert.equal((await fetch(old)).status, 404, 'the old address is dead at once');
    assert.equal((await fetch(url)).status, 200);
    assert.equal(await ask(client, 'feed?'), url, 'the assistant hands out the new address');

    assert.equal((await fetch(`${base}/admin/feeds/feed-2`, { method: 'DELETE', headers: ADMIN })).status, 200);
    assert.equal((await fetch(url)).status, 404);
    const twice = await fetch(`${base}/admin/feeds/feed-2`, { method: 'DELETE', headers: ADMIN });
    assert.equal(twice.status, 404);
    assert.equal(((await twice.json()) as { error_code: string }).error_code, 'FEED_NOT_FOUND');
    const badId = await fetch(`${base}/admin/feeds/x`, ISSUE);
    assert.equal(badId.status, 400);
    assert.equal(((await badId.json()) as { error_code: string }).error_code, 'INVALID_CLIENT_ID');
  });

  it('builds the address from the Host and scheme the client connected with', async (t) => {
    const { wsUrl } = await startServer(t, { engine: calendarEngine(), store: fileStore(t) });
    const client = await connectClient(t, wsUrl('feed-3'), {
      headers: { host: 'meet.example.test:8443', 'x-forwarded-proto': 'https' },
    });
    assert.match(await ask(client, 'feed?'), /^https:\/\/meet\.example\.test:8443\/feeds\/[A-Za-z0-9_-]{43}\.ics$/);
  });

  it('stops serving the feed once the session is deleted', async (t) => {
    const { base, wsUrl } = await startServer(t, { engine: calendarEngine(), store: fileStore(t) });
    const client = await connectClient(t, wsUrl('feed-4'));
    await ask(client, 'book standup');
    const url = await ask(client, 'feed?');
    assert.equal((await fetch(`${base}/admin/sessions/feed-4`, { method: 'DELETE' })).status, 200);
    assert.equal((await fetch(url)).status, 404);
  });
});

describe('archived items', { timeout: 15_000 }, () => {
  // Meetings were never pruned, so every turn parsed and re-serialised all of them.
  it('leave the state handed to the engine but stay in both calendar routes', async (t) => {
    const seen: unknown[] = [];
    const { base, wsUrl } = await startServer(t, { engine: calendarEngine(seen), store: fileStore(t) });
    const client = await connectClient(t, wsUrl('archive-1'));
    for (const title of ['book kickoff', 'book retro', 'book demo']) await ask(client, title);
    await ask(client, 'prune');
    await ask(client, 'book lunch');
    assert.deepEqual(seen.at(-1), { titles: ['demo'] });

    const all = /SUMMARY:kickoff\r\nSUMMARY:retro\r\nSUMMARY:demo\r\nSUMMARY:lunch\r\n/;
    const operatorIcs = await fetch(`${base}/calendar/archive-1.ics`);
    assert.equal(operatorIcs.status, 200);
    assert.match(await operatorIcs.text(), all);
    const feedIcs = await fetch(await ask(client, 'feed?'));
    assert.equal(feedIcs.status, 200);
    assert.match(await feedIcs.text(), all);
  });
});

describe('opening a session is asynchronous', { timeout: 15_000 }, () => {
  /** A memory store whose openSession answers only when the test says so, having read before or after the wait. */
  function slowOpeningStore(readFirst: boolean) {
    const real = createMemoryStore();
    const gates: Array<() => void> = [];
    let wake: (() => void) | undefined;
    const store: Store = {
      ...real,
      async openSession(clientId, now) {
        const early = readFirst ? await real.openSession(clientId, now) : undefined;
        await new Promise<void>((resolve) => {
          gates.push(resolve);
          wake?.();
        });
        return early ?? real.openSession(clientId, now);
      },
    };
    /** Lets the oldest waiting openSession answer, once one waits. */
    async function release() {
      while (gates.length === 0)
        await within(new Promise<void>((resolve) => (wake = resolve)), 'openSession to be called');
      gates.shift()!();
    }
    return { store, release };
  }

  for (const readFirst of [true, false]) {
    it(`sends connection_established first, then a reply that finished meanwhile, once (store read ${readFirst ? 'before' : 'after'} it)`, async (t) => {
      const { engine, slowStarted, release: finishTurn } = notingEngine();
      const { store, release: finishOpening } = slowOpeningStore(readFirst);
      const { wsUrl } = await startServer(t, { engine, store });
      // The first connection's own openSession is slow too: let it through.
      const connecting = connectClient(t, wsUrl('gap-1'));
      await finishOpening();
      const first = await connecting;
      first.send(userMessage('slow', { message_id: 's1' }));
      await slowStarted();

      const second = openClient(t, wsUrl('gap-1'));
      await waitFor(second.ws, 'open');
      finishTurn();
      // Once the turn's write has resolved, its reply has been handed to the second connection, still opening.
      await within(new Promise<void>((resolve) => setImmediate(resolve)), 'a tick');
      await finishOpening();
      const established = await second.next();
      assert.equal(established.content, 'connection_established');
      const reply = await second.next();
      assert.deepEqual([reply.type, reply.reply_to], ['bot_response', 's1']);
      second.send(userMessage('next'));
      assert.equal((await second.nextOfType('bot_response')).content, 'notes: slow, next');
      assert.equal(second.frames.filter((f) => f.reply_to === 's1' && f.type === 'bot_response').length, 1);
    });
  }
});
