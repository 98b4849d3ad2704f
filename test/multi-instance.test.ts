import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createClient } from 'redis';
import { connectClient, openClient, userMessage, within, type TestClient } from './helpers.ts';
import { startInstance, type Instance } from './instances.ts';
import { runServerToExit } from './server-process.ts';
import { servicesMissing, useServices } from './services.ts';

const services = useServices({ redis: true });
const skip = servicesMissing();
const WAIT = 10_000;

/**
 * A stand-in LLM API. hold(marker) makes the next request mentioning `marker` wait until release();
 * every other request gets 500 at once, so the assistant falls back to its own understanding.
 * Holding a request is how a test keeps an instance in the middle of a turn.
 */
async function fakeLlm() {
  const holds: Array<{ marker: string; res?: ServerResponse; arrive(): void }> = [];
  const server = createServer(async (req, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    const hold = holds.find((h) => !h.res && body.includes(h.marker));
    if (!hold) return void res.writeHead(500).end();
    hold.res = res;
    hold.arrive();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    hold(marker: string) {
      let arrive!: () => void;
      const arrived = new Promise<void>((resolve) => (arrive = resolve));
      const hold: (typeof holds)[number] = { marker, arrive };
      holds.push(hold);
      return {
        arrived: within(arrived, `the LLM request about "${marker}"`, WAIT),
        release: () => hold.res?.writeHead(500).end(),
      };
    },
    close() {
      server.closeAllConnections();
      server.close();
    },
  };
}

const post = (instance: Instance, path: string, body: unknown) =>
  fetch(instance.base + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

/** One turn: sends `content` and returns the bot_response answering it. */
async function ask(client: TestClient, content: string, messageId: string) {
  client.send(userMessage(content, { message_id: messageId }));
  for (;;) {
    const frame = await client.next(WAIT);
    if (frame.reply_to === messageId && (frame.type === 'bot_response' || frame.type === 'error')) return frame;
  }
}

describe('several instances on one Postgres', { skip, timeout: 90_000 }, () => {
  it("never runs one client's turns concurrently: a turn on B waits for A's, and sees its state", async (t) => {
    const llm = await fakeLlm();
    t.after(() => llm.close());
    const db = await services().postgres.createDatabase();
    const env = { MEETINGMUSE_DB: db, MEETINGMUSE_ENGINE: 'assistant', LLM_BASE_URL: llm.url, LLM_MODEL: 'fake' };
    const [a, b] = await Promise.all([
      startInstance(t, { ...env, INSTANCE_ID: 'a' }),
      startInstance(t, { ...env, INSTANCE_ID: 'b' }),
    ]);
    // Without Redis nothing keeps a client on one instance: the same client talks to both at once.
    const onA = await connectClient(t, a.wsUrl('lock-1'));
    const onB = await connectClient(t, b.wsUrl('lock-1'));
    // A first turn on B: B's check for interrupted turns, queued at connect, is then done.
    await ask(onB, 'hi', 'm0');
    const lunch = llm.hold('lunch');
    onA.send(userMessage('Book lunch with Ana tomorrow at 1pm', { message_id: 'm1' }));
    await lunch.arrived;
    onB.send(userMessage('yes', { message_id: 'm2' }));
    assert.equal((await onB.nextOfType('system', WAIT)).content, 'processing');
    lunch.release();

    const draft = await onA.nextOfType('bot_response', WAIT);
    assert.match(String(draft.content), /Here's the draft/);
    // Run concurrently, B's "yes" would have read the state from before the draft and found nothing to confirm.
    const booked = await onB.nextOfType('bot_response', WAIT);
    assert.equal(booked.reply_to, 'm2');
    assert.match(String(booked.content), /^Booked: Lunch/);
    const { body } = await b.get<{ state: { meetings: Array<{ status: string }> }; history: unknown[] }>(
      '/admin/sessions/lock-1',
    );
    assert.deepEqual(
      body.state.meetings.map((m) => m.status),
      ['confirmed'],
    );
    assert.equal(body.history.length, 6);
  });
});

describe('server process with Postgres', () => {
  it('exits 1 with one line, password hidden, when the database cannot be reached', async (t) => {
    const { code, stderr } = await runServerToExit(t, {
      MEETINGMUSE_DB: 'postgres://mm:s3cret@127.0.0.1:1/meetingmuse',
      DB_QUERY_TIMEOUT_MS: '1000',
    });
    assert.equal(code, 1);
    assert.match(stderr, /^cannot open database postgres:\/\/mm:\*\*\*@127\.0\.0\.1:1\/meetingmuse: .+\n$/);
  });
});

describe('several instances with Redis', { skip, timeout: 90_000 }, () => {
  let a: Instance;
  let b: Instance;
  let llm: Awaited<ReturnType<typeof fakeLlm>>;
  const teardown: Array<() => unknown> = [];
  before(async () => {
    if (skip) return;
    llm = await fakeLlm();
    const { postgres, redis } = services();
    const env = {
      MEETINGMUSE_DB: await postgres.createDatabase(),
      REDIS_URL: redis.url,
      MEETINGMUSE_ENGINE: 'assistant',
      LLM_BASE_URL: llm.url,
      LLM_MODEL: 'fake',
      DB_QUERY_TIMEOUT_MS: '1500',
    };
    // Started once for the group, and killed by PID when it ends.
    const group = { after: (fn: () => unknown) => teardown.push(fn) };
    [a, b] = await Promise.all([
      startInstance(group, { ...env, INSTANCE_ID: 'a' }),
      startInstance(group, { ...env, INSTANCE_ID: 'b' }),
    ]);
  });
  after(async () => {
    llm?.close();
    for (const fn of teardown) await fn();
  });

  it('reaches every client of every instance once with a broadcast posted to one', async (t) => {
    const clients = [
      await connectClient(t, a.wsUrl('bc-a1')),
      await connectClient(t, a.wsUrl('bc-a2')),
      await connectClient(t, b.wsUrl('bc-b1')),
    ];
    const res = await post(b, '/admin/broadcast', { content: 'Maintenance at noon' });
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { successful_sends: number }).successful_sends, 3);
    for (const [i, client] of clients.entries()) {
      const frame = await client.nextOfType('bot_response', WAIT);
      assert.deepEqual([frame.content, frame.metadata], ['Maintenance at noon', { broadcast: true }]);
      // Its next frames answer its own message: no second copy of the broadcast came in between.
      client.send(userMessage('hi', { message_id: `after-${i}` }));
      assert.equal((await client.next(WAIT)).content, 'processing');
      assert.equal((await client.next(WAIT)).reply_to, `after-${i}`);
    }
  });

  it('closes the older connection on A with 4000 when the client connects to B, and ignores a late claim from A', async (t) => {
    const older = await connectClient(t, a.wsUrl('fence-1'));
    const newer = await connectClient(t, b.wsUrl('fence-1'));
    assert.deepEqual(await older.closed, { code: 4000, reason: 'Replaced by a newer connection' });
    // A claim as A would have sent it for the older connection, arriving late: its fencing token is
    // lower than the newer connection's, so B must not close it.
    const redis = createClient({ url: services().redis.url });
    await redis.connect();
    t.after(() => redis.destroy());
    await redis.publish(
      'meetingmuse:bus',
      JSON.stringify({ kind: 'claim', clientId: 'fence-1', token: 1, instance: 'a' }),
    );
    // Messages on the bus arrive in order: once this broadcast is in, the late claim has been handled.
    await post(a, '/admin/broadcast', { content: 'after the late claim' });
    assert.equal((await newer.nextOfType('bot_response', WAIT)).content, 'after the late claim');
    assert.equal((await ask(newer, 'hi', 'still-open')).type, 'bot_response');
  });

  it('reports the whole cluster in /admin/connections and /health/clients, and its dependencies in /health', async (t) => {
    await connectClient(t, a.wsUrl('list-a'));
    await connectClient(t, b.wsUrl('list-b'));
    const { body: connections } = await a.get<{ clients: Record<string, { instance: string }>; instances: string[] }>(
      '/admin/connections',
    );
    assert.equal(connections.clients['list-a']?.instance, 'a');
    assert.equal(connections.clients['list-b']?.instance, 'b');
    assert.deepEqual([...connections.instances].sort(), ['a', 'b']);
    const { body: clients } = await b.get<{ active_clients: string[]; instances: Record<string, string[]> }>(
      '/health/clients',
    );
    assert.ok(clients.active_clients.includes('list-a') && clients.active_clients.includes('list-b'));
    assert.ok(clients.instances.a?.includes('list-a') && clients.instances.b?.includes('list-b'));
    const { body: health } = await a.get<{ instance: string; dependencies: unknown }>('/health');
    assert.equal(health.instance, 'a');
    assert.deepEqual(health.dependencies, { db: 'up', redis: 'up' });
  });

  it('resumes a client on another instance: history, meetings, and the reply of a turn that finished after it moved', async (t) => {
    const onA = await connectClient(t, a.wsUrl('resume-1'));
    await ask(onA, 'Book a design review with Bob tomorrow at 3pm', 'r1');
    assert.match(String((await ask(onA, 'yes', 'r2')).content), /^Booked: Design review/);
    const listing = llm.hold("what's on tomorrow");
    onA.send(userMessage("what's on tomorrow?", { message_id: 'r3' }));
    await listing.arrived;
    onA.ws.close();
    await onA.closed;

    const onB = await connectClient(t, b.wsUrl('resume-1'));
    assert.deepEqual(onB.established.metadata, { resumed: true, messages: 4, pending: 0 });
    listing.release();
    // A stores the reply, finds the client gone, and hands it over through Redis to B.
    const reply = await onB.nextOfType('bot_response', WAIT);
    assert.equal(reply.reply_to, 'r3');
    assert.match(String(reply.content), /Design review/);
    const { body } = await b.get<{ history: unknown[]; pending_replies: number }>('/admin/sessions/resume-1');
    assert.equal(body.history.length, 6);
  });

  it('sweeps once per interval across the cluster', async (t) => {
    const { createRedisCluster } = await import('../lib/cluster/redis-cluster.ts');
    const clusters = await Promise.all(
      ['s1', 's2', 's3'].map((instanceId) =>
        createRedisCluster({ url: services().redis.url, instanceId, prefix: 'sweep-test:' }),
      ),
    );
    t.after(() => Promise.all(clusters.map((c) => c.close())));
    const turns = await Promise.all(clusters.map((c) => c.takeTurn('sweep', 60_000)));
    assert.deepEqual(turns.filter(Boolean).length, 1);
    assert.equal(await clusters[0]!.takeTurn('sweep', 60_000), false);
  });

  it('keeps serving each instance alone while Redis is down, and rejoins when it returns', async (t) => {
    const { redis } = services();
    const onA = await connectClient(t, a.wsUrl('redis-down-a'));
    const onB = await connectClient(t, b.wsUrl('redis-down-b'));
    const [sinceA, sinceB] = [a.logs.length, b.logs.length];
    await redis.stop();
    await Promise.all([
      a.waitForLog('redis unavailable: serving this instance alone until it returns', { since: sinceA }),
      b.waitForLog('redis unavailable: serving this instance alone until it returns', { since: sinceB }),
    ]);

    assert.equal((await ask(onA, 'hi', 'down-1')).type, 'bot_response');
    assert.equal((await ask(onB, 'hi', 'down-2')).type, 'bot_response');
    for (const content of ['first while down', 'second while down']) {
      const res = await post(a, '/admin/broadcast', { content });
      assert.equal(((await res.json()) as { successful_sends: number }).successful_sends, 1);
      assert.equal((await onA.nextOfType('bot_response', WAIT)).content, content);
    }
    assert.equal(
      a.logs.slice(sinceA).filter((l) => l.msg === 'redis unavailable: broadcasts reach this instance’s clients only')
        .length,
      1,
    );
    assert.deepEqual((await a.get<{ dependencies: unknown }>('/health')).body.dependencies, {
      db: 'up',
      redis: 'down',
    });
    assert.equal(onB.frames.filter((f) => String(f.content).includes('while down')).length, 0);

    await redis.start();
    await Promise.all([
      a.waitForLog('redis available', { since: sinceA, ms: 15_000 }),
      b.waitForLog('redis available', { since: sinceB, ms: 15_000 }),
    ]);
    assert.deepEqual((await a.get<{ dependencies: unknown }>('/health')).body.dependencies, { db: 'up', redis: 'up' });
    const res = await post(a, '/admin/broadcast', { content: 'back together' });
    assert.equal(((await res.json()) as { successful_sends: number }).successful_sends, 2);
    assert.equal((await onB.nextOfType('bot_response', WAIT)).content, 'back together');
  });

  it('answers STORAGE_UNAVAILABLE while Postgres is down or stalled, keeps the socket open, stores nothing, and recovers', async (t) => {
    const { postgres } = services();
    const client = await connectClient(t, a.wsUrl('pg-down-1'));
    await ask(client, 'hi', 'before');

    await postgres.stop();
    const down = await ask(client, 'Book a call tomorrow at 9am', 'while-down');
    assert.deepEqual([down.type, down.error_code], ['error', 'STORAGE_UNAVAILABLE']);
    assert.deepEqual((await a.get<{ dependencies: unknown }>('/health')).body.dependencies, {
      db: 'down',
      redis: 'up',
    });
    await postgres.start();
    assert.equal((await ask(client, 'hi again', 'after-restart')).type, 'bot_response');

    // Stalled: the server accepts connections but never answers (DB_QUERY_TIMEOUT_MS is 1.5 s here).
    postgres.pause();
    t.after(() => postgres.resume());
    const stalled = await ask(client, 'Book a call tomorrow at 10am', 'while-stalled');
    assert.deepEqual([stalled.type, stalled.error_code], ['error', 'STORAGE_UNAVAILABLE']);
    postgres.resume();
    assert.equal((await ask(client, 'and now?', 'after-stall')).type, 'bot_response');
    assert.equal(client.ws.readyState, client.ws.OPEN);
    // Each failed turn was answered once: its lock record, left behind while the database was away, is not reported as lost later.
    assert.deepEqual(
      client.frames.filter((f) => f.type === 'error').map((f) => f.reply_to),
      ['while-down', 'while-stalled'],
    );

    const { body } = await a.get<{ history: Array<{ message_id?: string }> }>('/admin/sessions/pg-down-1');
    assert.deepEqual(
      body.history.filter((h) => h.message_id !== undefined).map((h) => h.message_id),
      ['before', 'before', 'after-restart', 'after-restart', 'after-stall', 'after-stall'],
    );
  });

  it('lets a deletion on B land after the turn running on A, so the turn cannot bring the session back', async (t) => {
    const onA = await connectClient(t, a.wsUrl('erase-1'));
    await ask(onA, 'hi', 'e1');
    const slow = llm.hold('erase me later');
    onA.send(userMessage('Book lunch to erase me later tomorrow at 1pm', { message_id: 'e2' }));
    await slow.arrived;
    const deletion = fetch(`${b.base}/admin/sessions/erase-1`, { method: 'DELETE' });
    // Give B time to run the deletion if nothing held it back (two round trips to it), then let A finish.
    await Promise.race([deletion, b.get('/health').then(() => b.get('/health'))]);
    slow.release();
    assert.equal((await onA.nextOfType('bot_response', WAIT)).reply_to, 'e2');
    assert.equal((await deletion).status, 200);
    assert.equal((await a.get('/admin/sessions/erase-1')).status, 404);
  });

  it('answers TURN_INTERRUPTED on another instance for a turn whose instance was killed, meetings intact', async (t) => {
    const onA = await connectClient(t, a.wsUrl('killed-1'));
    await ask(onA, 'Book a standup tomorrow at 9am', 'k1');
    assert.match(String((await ask(onA, 'yes', 'k2')).content), /^Booked: Standup/);
    const dinner = llm.hold('dinner');
    onA.send(userMessage('Book dinner with Eve tomorrow at 8pm', { message_id: 'k3' }));
    await dinner.arrived;
    a.child.kill('SIGKILL');
    await a.exited;

    const onB = openClient(t, b.wsUrl('killed-1'));
    assert.equal((await onB.next(WAIT)).content, 'connection_established');
    const lost = await onB.nextOfType('error', WAIT);
    assert.deepEqual([lost.error_code, lost.reply_to], ['TURN_INTERRUPTED', 'k3']);
    const { body } = await b.get<{ state: { meetings: Array<{ title: string; status: string }> } }>(
      '/admin/sessions/killed-1',
    );
    assert.deepEqual(
      body.state.meetings.map((m) => [m.title, m.status]),
      [['Standup', 'confirmed']],
    );
    assert.match(String((await ask(onB, 'Book dinner with Eve tomorrow at 8pm', 'k3')).content), /Here's the draft/);
  });
});
