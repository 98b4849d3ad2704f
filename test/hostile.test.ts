import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { describe, it, type TestContext } from 'node:test';
import { SignJWT } from 'jose';
import WebSocket from 'ws';
import {
  createChatServer,
  createMemoryStore,
  type ChatServer,
  type ConversationEngine,
  type UserMessage,
} from '../lib/index.ts';
import type { Meeting } from '../lib/engines/meeting/calendar.ts';
import { toICalendar } from '../lib/engines/meeting/ics.ts';
import { calendarRoutes } from '../lib/engines/meeting/routes.ts';
import { createLogger } from '../lib/logger.ts';
import { AddressLimits } from '../lib/rate-limit.ts';
import {
  connectClient,
  holdingEngine,
  openClient,
  recordingLogger,
  refusedUpgrade,
  startServer,
  userMessage,
  within,
} from './helpers.ts';

/**
 * Regression tests for issue 9 (hostile testing): each opens with what used to happen.
 */

const SECRET = 'hostile-test-secret-long-enough-for-hs256';

const token = (sub: string) =>
  new SignJWT({})
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(sub)
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(SECRET));

/** An HTTP exchange with full control of the headers (fetch may not set Host). */
function call(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<{ status: number; body: string }> {
  return within(
    new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, method, path, headers }, (res: IncomingMessage) => {
        let text = '';
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode!, body: text }));
      });
      req.on('error', reject);
      req.end(body);
    }),
    `${method} ${path}`,
  );
}

/** Mounts the chat server on a host server whose upgrades go through `onUpgrade`; resolves with the port. */
async function mount(
  t: TestContext,
  chat: ChatServer,
  onUpgrade: (req: IncomingMessage, socket: Duplex, head: Buffer) => void,
): Promise<number> {
  const host: Server = createServer((req, res) => void chat.handleRequest(req, res));
  host.on('upgrade', onUpgrade);
  host.listen(0, '127.0.0.1');
  await once(host, 'listening');
  t.after(() => new Promise((resolve) => host.close(resolve)));
  return (host.address() as AddressInfo).port;
}

/** Settles when the upgrade either opened (true) or was refused before the handshake (false). */
function opens(url: string): { ws: WebSocket; opened: Promise<boolean> } {
  const ws = new WebSocket(url);
  ws.on('error', () => {});
  const opened = new Promise<boolean>((resolve) => {
    ws.once('open', () => resolve(true));
    ws.once('unexpected-response', () => resolve(false));
    ws.once('close', () => resolve(false));
  });
  return { ws, opened };
}

/** An engine that answers with the zone each message carried. */
const zoneEcho: ConversationEngine = {
  reply: (message: UserMessage) => ({ replies: [{ content: message.timezone ?? 'none' }] }),
};

describe('entry guards', { timeout: 10_000 }, () => {
  // A throw in onConnect escaped ws's upgrade callback and the 'upgrade' listener: the process died.
  it('keeps a connection whose onConnect throws, and logs it', async (t) => {
    const log = recordingLogger();
    const { wsUrl } = await startServer(t, {
      logger: log,
      onConnect: () => {
        throw new Error('host bug');
      },
    });
    const client = await connectClient(t, wsUrl('guard-1'));
    assert.equal((await log.waitFor('onConnect failed')).clientId, 'guard-1');
    client.send(userMessage('still here'));
    assert.equal((await client.nextOfType('bot_response')).content, 'Echo: still here');
  });

  // A throw in onDisconnect escaped the socket's 'close' listener.
  it('survives a close handler that throws', async (t) => {
    const log = recordingLogger();
    const { wsUrl } = await startServer(t, {
      logger: log,
      onDisconnect: () => {
        throw new Error('host bug');
      },
    });
    const first = await connectClient(t, wsUrl('guard-2'));
    first.ws.close();
    assert.equal((await log.waitFor('close handler failed')).clientId, 'guard-2');
    const second = await connectClient(t, wsUrl('guard-3'));
    second.send(userMessage('after'));
    assert.equal((await second.nextOfType('bot_response')).content, 'Echo: after');
  });

  // A throw inside the message loop (here a log sink that fails) escaped the socket's 'message' listener.
  it('answers INTERNAL_SERVER_ERROR when the message handler throws, and stays open', async (t) => {
    const log = recordingLogger();
    const debug = log.debug;
    log.debug = (msg, fields) => {
      if (msg === 'message received' && fields?.content === 'boom') throw new Error('log sink broke');
      debug(msg, fields);
    };
    const { wsUrl } = await startServer(t, { logger: log });
    const client = await connectClient(t, wsUrl('guard-4'));
    client.send(userMessage('boom'));
    assert.equal((await client.nextOfType('error')).error_code, 'INTERNAL_SERVER_ERROR');
    assert.equal((await log.waitFor('message handler failed')).clientId, 'guard-4');
    client.send(userMessage('fine'));
    assert.equal((await client.nextOfType('bot_response')).content, 'Echo: fine');
  });
});

describe('logging', () => {
  it('never throws: a field JSON cannot hold costs the fields, a failing sink costs the line', () => {
    const lines: string[] = [];
    createLogger('info', (line) => lines.push(line)).info('odd fields', { clientId: 'c-1', big: 1n });
    assert.deepEqual(Object.keys(JSON.parse(lines[0]!)), ['level', 'time', 'msg', 'logError']);
    const broken = createLogger('info', () => {
      throw new Error('EPIPE');
    });
    assert.doesNotThrow(() => broken.error('lost', { clientId: 'c-1' }));
  });
});

describe('time zones', { timeout: 10_000 }, () => {
  // Every letter-case spelling was kept as given, so each got its own formatters in the engine's caches.
  it('takes any spelling and hands the engine the canonical IANA name', async (t) => {
    const { wsUrl } = await startServer(t, { engine: zoneEcho });
    const client = await connectClient(t, wsUrl('tz-case-1', '?tz=europe/PARIS'));
    client.send(userMessage('a'));
    assert.equal((await client.nextOfType('bot_response')).content, 'Europe/Paris');
    client.send(userMessage('b', { timezone: 'AMERICA/new_york' }));
    assert.equal((await client.nextOfType('bot_response')).content, 'America/New_York');
    client.send(userMessage('c'));
    assert.equal((await client.nextOfType('bot_response')).content, 'America/New_York');
    client.send(userMessage('d', { timezone: 'utc' }));
    assert.equal((await client.nextOfType('bot_response')).content, 'UTC');
  });

  it('remembers at most maxTrackedAddresses connect buckets', () => {
    const limits = new AddressLimits({ connectsPerMinute: 10, maxPerAddress: 10, maxTrackedAddresses: 5 });
    for (let i = 0; i < 50; i++) assert.equal(limits.admit(`203.0.113.${i}`).ok, true);
    assert.equal(limits.trackedAddresses, 5);
  });
});

describe('frames during shutdown', { timeout: 15_000 }, () => {
  // Frames read after close() began were refused by the turn queue and dropped without a word: no
  // `processing`, no error, nothing stored.
  it('takes frames that arrive after the close frame as turns and keeps their replies for the next connection', async (t) => {
    const { engine, release } = holdingEngine('slow', (content) => `done: ${content}`);
    const store = createMemoryStore();
    t.after(() => store.close());
    const { wsUrl, server } = await startServer(t, { engine, store });
    const client = await connectClient(t, wsUrl('late-1'));
    client.send(userMessage('slow', { message_id: 'm0' }));
    await client.nextOfType('system');
    const closing = server.close();
    for (const id of ['m1', 'm2', 'm3']) client.send(userMessage(`late ${id}`, { message_id: id }));
    assert.equal((await client.closed).code, 1001);
    release();
    await within(closing, 'close() to finish', 10_000);

    const { wsUrl: againUrl } = await startServer(t, { engine, store });
    const again = await connectClient(t, againUrl('late-1'));
    const replies = [];
    for (let i = 0; i < 4; i++) replies.push(await again.nextOfType('bot_response'));
    assert.deepEqual(
      replies.map((r) => [r.reply_to, r.content]),
      [
        ['m0', 'done: slow'],
        ['m1', 'done: late m1'],
        ['m2', 'done: late m2'],
        ['m3', 'done: late m3'],
      ],
    );
  });
});

describe('connection caps with client auth', { timeout: 15_000 }, () => {
  // The caps were checked before the asynchronous token check and counted after it, so 200
  // simultaneous upgrades with valid tokens all opened past MAX_CONNECTIONS=10.
  for (const [option, refusal] of [
    ['maxConnections', 503],
    ['maxConnectionsPerIp', 429],
  ] as const) {
    it(`holds ${option} for simultaneous upgrades`, async (t) => {
      const chat = createChatServer({ authSecret: SECRET, [option]: 5 });
      t.after(() => chat.close());
      // The host hands the first 30 upgrades over in one tick, so every cap check runs before any token check ends.
      const batch: Array<Parameters<typeof chat.handleUpgrade>> = [];
      const port = await mount(t, chat, (...upgrade) => {
        if (batch.push(upgrade) < 30) return;
        if (batch.length === 30) for (const args of batch) chat.handleUpgrade(...args);
        else chat.handleUpgrade(...upgrade);
      });
      const url = async (id: string) => `ws://127.0.0.1:${port}/ws/${id}?token=${await token(id)}`;
      const urls = await Promise.all(Array.from({ length: 30 }, (_, i) => url(`cap-${i}`)));
      const tries = urls.map(opens);
      t.after(() => tries.forEach((attempt) => attempt.ws.terminate()));
      const results = await within(Promise.all(tries.map((x) => x.opened)), 'every upgrade to settle', 10_000);
      assert.equal(results.filter(Boolean).length, 5);
      const refused = await refusedUpgrade(await url('cap-late'));
      assert.equal(refused.statusCode, refusal);
    });
  }

  it('frees the slot of an upgrade refused for its token', async (t) => {
    const { wsUrl } = await startServer(t, { authSecret: SECRET, maxConnections: 1 });
    for (let i = 0; i < 3; i++) {
      const bad = openClient(t, wsUrl(`cap-bad-${i}`, '?token=not.a.jwt'));
      assert.equal((await bad.closed).code, 1008);
    }
    await connectClient(t, wsUrl('cap-good', `?token=${await token('cap-good')}`));
  });

  // An upgrade whose token check finished after close() began was completed and registered after
  // shutdown had closed every socket it knew, so it was cut without a 1001 (or lived on).
  it('refuses with 503 an upgrade whose token check ends after close() began', async (t) => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const engine: ConversationEngine = {
      async reply() {
        await released;
        return { replies: [{ content: 'late' }] };
      },
    };
    const chat = createChatServer({ authSecret: SECRET, engine });
    let closeOnNextUpgrade = false;
    let closing: Promise<void> | undefined;
    const port = await mount(t, chat, (req, socket, head) => {
      chat.handleUpgrade(req, socket, head);
      // The token check is asynchronous: close() begins while it runs.
      if (closeOnNextUpgrade) closing = chat.close();
    });
    t.after(() => release());
    const url = async (id: string) => `ws://127.0.0.1:${port}/ws/${id}?token=${await token(id)}`;
    const busy = await connectClient(t, await url('race-1'));
    busy.send(userMessage('keeps shutdown waiting'));
    await busy.nextOfType('system');
    closeOnNextUpgrade = true;
    const refused = await refusedUpgrade(await url('race-2'));
    assert.equal(refused.statusCode, 503);
    assert.equal(JSON.parse(refused.body).error_code, 'SHUTTING_DOWN');
    release();
    await within(closing!, 'close() to finish');
  });
});

describe('admin routes without ADMIN_TOKEN', { timeout: 10_000 }, () => {
  const json = { 'content-type': 'application/json' };
  const body = '{"content":"hello"}';

  // A cross-site text/plain POST from any page open on the server's host was obeyed.
  it('refuse a write that is not JSON or comes from a foreign Origin', async (t) => {
    const { port } = await startServer(t);
    assert.equal((await call(port, 'POST', '/admin/broadcast', { 'content-type': 'text/plain' }, body)).status, 415);
    const foreign = await call(port, 'POST', '/admin/broadcast', { ...json, origin: 'https://evil.example' }, body);
    assert.equal(foreign.status, 403);
    assert.equal(JSON.parse(foreign.body).error_code, 'FORBIDDEN');
    assert.equal((await call(port, 'DELETE', '/admin/sessions/someone', { origin: 'null' })).status, 403);
    assert.equal(
      (await call(port, 'POST', '/admin/broadcast', { ...json, origin: `http://localhost:${port}` }, body)).status,
      200,
    );
    assert.equal((await call(port, 'POST', '/admin/broadcast', json, body)).status, 200);
  });

  // Any Host was accepted, so a DNS-rebound page could read sessions.
  it('answer only loopback Host names', async (t) => {
    const { port } = await startServer(t);
    for (const host of [`evil.example:${port}`, 'evil.example@localhost', 'localhost/evil', '127.0.0.1.evil.example']) {
      assert.equal((await call(port, 'GET', '/admin/connections', { host })).status, 403, host);
    }
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`, 'localhost']) {
      assert.equal((await call(port, 'GET', '/admin/connections', { host })).status, 200, host);
    }
  });

  // Behind a reverse proxy on the same host, every outside request looked local.
  it('treat a relayed request as remote unless TRUST_PROXY says so', async (t) => {
    const { port } = await startServer(t);
    for (const header of ['x-forwarded-for', 'forwarded', 'x-real-ip']) {
      const value = header === 'forwarded' ? 'for=127.0.0.1' : '127.0.0.1';
      assert.equal((await call(port, 'GET', '/admin/connections', { [header]: value })).status, 403, header);
    }
    const trusting = await startServer(t, { trustProxy: 1 });
    assert.equal(
      (await call(trusting.port, 'GET', '/admin/connections', { 'x-forwarded-for': '127.0.0.1' })).status,
      200,
    );
    assert.equal((await call(trusting.port, 'GET', '/admin/connections', { forwarded: 'for=127.0.0.1' })).status, 403);
  });
});

describe('TRUST_PROXY entries that are not bare addresses', { timeout: 10_000 }, () => {
  // `ip:port`, `[v6]:port` and `unknown` entries were dropped, shifting the hop count onto the proxy's
  // own loopback address: a remote client passed the loopback rule.
  for (const trustProxy of [1, ['127.0.0.1']]) {
    it(`strips ports and never reads an unknown client as loopback (trust ${JSON.stringify(trustProxy)})`, async (t) => {
      const { port } = await startServer(t, { trustProxy });
      for (const entry of ['198.51.100.7:4321', '[2001:db8::1]:443', 'unknown', '_hidden']) {
        assert.equal((await call(port, 'GET', '/admin/connections', { 'x-forwarded-for': entry })).status, 403, entry);
      }
      assert.equal(
        (await call(port, 'GET', '/admin/connections', { 'x-forwarded-for': '127.0.0.1:5555' })).status,
        200,
      );
    });
  }
});

describe('calendar feed text', { timeout: 10_000 }, () => {
  // A bare CR in a title reached the .ics unescaped; a parser splitting lines on it saw an injected VEVENT.
  it('leaves no control character in any property', async (t) => {
    const meeting: Meeting = {
      id: 'm1',
      title: 'Lunch\rEND:VEVENT\rBEGIN:VEVENT\rSUMMARY:injected',
      start: '2026-12-01T12:00:00.000Z',
      end: '2026-12-01T13:00:00.000Z',
      timeZone: 'UTC',
      participants: ['eve@example.com\r\nATTENDEE:mailto:x@evil.example', 'bob\u0085@example.com'],
      location: 'Room\u00004\u000b',
      status: 'confirmed',
      sequence: 0,
      createdAt: '2026-11-30T00:00:00.000Z',
      updatedAt: '2026-11-30T00:00:00.000Z',
    };
    const render = (state: unknown, clientId: string) =>
      toICalendar((state as { meetings: Meeting[] }).meetings, clientId, new Date());
    const engine: ConversationEngine = {
      reply: () => ({ replies: [{ content: 'booked' }], state: { meetings: [meeting] } }),
      routes: (ctx) => calendarRoutes(render, ctx),
    };
    const { wsUrl, base } = await startServer(t, { engine });
    const client = await connectClient(t, wsUrl('ics-cr-1'));
    client.send(userMessage('book it'));
    await client.nextOfType('bot_response');
    const ics = await (await fetch(`${base}/calendar/ics-cr-1.ics`)).text();
    const lines = ics.split(/\r\n|\r|\n/).filter((line) => line !== '');
    assert.equal(lines.filter((line) => line === 'BEGIN:VEVENT').length, 1);
    assert.equal(lines.filter((line) => line.startsWith('ATTENDEE')).length, 2);
    assert.ok(!/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/.test(ics), 'no control characters but CRLF');
    assert.ok(lines.includes('SUMMARY:Lunch\\nEND:VEVENT\\nBEGIN:VEVENT\\nSUMMARY:injected'));
  });
});

describe('smaller protocol fixes', { timeout: 10_000 }, () => {
  // MAX_CONTENT_CHARS counted UTF-16 units, so 2 000 emoji was the most a 4 000 limit accepted.
  it('counts content in code points', async (t) => {
    const { wsUrl } = await startServer(t, { maxContentChars: 10 });
    const client = await connectClient(t, wsUrl('emoji-1'));
    client.send(userMessage('😀'.repeat(10)));
    assert.equal((await client.nextOfType('bot_response')).content, `Echo: ${'😀'.repeat(10)}`);
    client.send(userMessage('😀'.repeat(11)));
    const error = await client.nextOfType('error');
    assert.equal(error.error_code, 'INVALID_MESSAGE_FORMAT');
    assert.equal(error.retry_suggested, false);
  });

  it('names the refused message in RATE_LIMITED when it had a message_id', async (t) => {
    const { wsUrl } = await startServer(t, { rateLimit: { perSecond: 0.01, burst: 1 } });
    const client = await connectClient(t, wsUrl('limited-1'));
    client.send(userMessage('first', { message_id: 'a' }));
    client.send(userMessage('second', { message_id: 'b' }));
    client.send('not json');
    const limited = [await client.nextOfType('error'), await client.nextOfType('error')];
    assert.deepEqual(
      limited.map((f) => [f.error_code, f.reply_to, f.retry_suggested]),
      [
        ['RATE_LIMITED', 'b', true],
        ['RATE_LIMITED', undefined, true],
      ],
    );
  });

  it('answers a plain GET /ws/{id} with 426 Upgrade Required', async (t) => {
    const { base } = await startServer(t);
    const res = await fetch(`${base}/ws/plain-1`);
    assert.equal(res.status, 426);
    assert.equal(res.headers.get('upgrade'), 'websocket');
    assert.equal(((await res.json()) as { error_code: string }).error_code, 'UPGRADE_REQUIRED');
  });
});
