import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { connect } from 'node:net';
import { describe, it } from 'node:test';
import { SignJWT } from 'jose';
import WebSocket from 'ws';
import { createClientAddress, isLoopback } from '../lib/client-address.ts';
import type { ConversationEngine } from '../lib/index.ts';
import {
  connectClient,
  openClient,
  recordingLogger,
  refusedUpgrade,
  startServer,
  userMessage,
  waitFor,
  within,
} from './helpers.ts';

const SECRET = 'test-secret-that-is-long-enough-for-hs256!';

function token(
  sub: string,
  { expiresIn = '1h', secret = SECRET }: { expiresIn?: string | number; secret?: string } = {},
): Promise<string> {
  return new SignJWT({})
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(sub)
    .setIssuedAt()
    .setExpirationTime(expiresIn)
    .sign(new TextEncoder().encode(secret));
}

const fakeRequest = (remoteAddress: string, forwardedFor?: string) =>
  ({
    socket: { remoteAddress },
    headers: forwardedFor ? { 'x-forwarded-for': forwardedFor } : {},
  }) as unknown as IncomingMessage;

describe('client address', () => {
  it('knows loopback addresses in every spelling', () => {
    for (const a of ['127.0.0.1', '127.8.9.10', '::1', '::ffff:127.0.0.1']) assert.equal(isLoopback(a), true, a);
    for (const a of ['10.0.0.1', '::ffff:10.0.0.1', '203.0.113.5', '', 'localhost'])
      assert.equal(isLoopback(a), false, a);
  });

  it('ignores X-Forwarded-For unless a proxy is trusted', () => {
    assert.equal(createClientAddress(false)(fakeRequest('203.0.113.9', '127.0.0.1')), '203.0.113.9');
  });

  it('takes the address a trusted hop count names', () => {
    const req = fakeRequest('10.0.0.2', '198.51.100.7, 10.0.0.1');
    assert.equal(createClientAddress(1)(req), '10.0.0.1');
    assert.equal(createClientAddress(2)(req), '198.51.100.7');
    assert.equal(createClientAddress(5)(req), '198.51.100.7');
  });

  it('strips ports from forwarded entries and reads one without an address as unknown, never loopback', () => {
    const hops = createClientAddress(1);
    assert.equal(hops(fakeRequest('127.0.0.1', '198.51.100.7:4321')), '198.51.100.7');
    assert.equal(hops(fakeRequest('127.0.0.1', '[2001:DB8::1]:443')), '2001:db8::1');
    assert.equal(hops(fakeRequest('127.0.0.1', '[::1]')), '::1');
    assert.equal(hops(fakeRequest('127.0.0.1', 'unknown')), 'unknown');
    assert.equal(hops(fakeRequest('127.0.0.1', '198.51.100.7, ')), 'unknown');
    assert.equal(isLoopback('unknown'), false);
    assert.equal(createClientAddress(['127.0.0.1'])(fakeRequest('127.0.0.1', '_hidden')), 'unknown');
  });

  it('walks past listed proxies only, and only when the peer is one', () => {
    const trusted = createClientAddress(['10.0.0.1', '10.0.0.2']);
    assert.equal(trusted(fakeRequest('10.0.0.2', '198.51.100.7, 10.0.0.1')), '198.51.100.7');
    assert.equal(trusted(fakeRequest('203.0.113.9', '127.0.0.1')), '203.0.113.9');
    assert.equal(trusted(fakeRequest('::ffff:10.0.0.1', 'not-an-ip, 198.51.100.8')), '198.51.100.8');
  });
});

describe('privileged routes', { timeout: 10_000 }, () => {
  const privileged = ['/admin/connections', '/health/clients', '/admin/sessions/someone'];

  it('need the bearer token when ADMIN_TOKEN is set, and /health stays public', async (t) => {
    const { base } = await startServer(t, { adminToken: 's3cret-admin' });
    for (const path of privileged) {
      const missing = await fetch(`${base}${path}`);
      assert.equal(missing.status, 401, path);
      assert.equal(missing.headers.get('www-authenticate'), 'Bearer');
      assert.equal(((await missing.json()) as { error_code: string }).error_code, 'UNAUTHORIZED');
      const wrong = await fetch(`${base}${path}`, { headers: { authorization: 'Bearer s3cret-admiN' } });
      assert.equal(wrong.status, 401, path);
    }
    const post = await fetch(`${base}/admin/broadcast`, { method: 'POST', body: '{"content":"x"}' });
    assert.equal(post.status, 401);
    const ok = await fetch(`${base}/admin/connections`, { headers: { authorization: 'Bearer s3cret-admin' } });
    assert.equal(ok.status, 200);
    assert.equal((await fetch(`${base}/health`)).status, 200);
  });

  it('answer only loopback callers when no token is set', async (t) => {
    const log = recordingLogger();
    // Trusting the loopback proxy lets this test present a remote client address over loopback.
    const { base } = await startServer(t, { trustProxy: ['127.0.0.1'], logger: log });
    assert.equal((await log.waitFor('admin token not set: admin routes answer loopback callers only')).level, 'warn');
    for (const path of privileged) {
      const remote = await fetch(`${base}${path}`, { headers: { 'x-forwarded-for': '203.0.113.5' } });
      assert.equal(remote.status, 403, path);
      assert.equal(((await remote.json()) as { error_code: string }).error_code, 'FORBIDDEN');
    }
    assert.equal((await fetch(`${base}/admin/connections`)).status, 200);
    assert.equal((await fetch(`${base}/health`, { headers: { 'x-forwarded-for': '203.0.113.5' } })).status, 200);
  });

  it('cannot be reached by forging X-Forwarded-For when no proxy is trusted', async (t) => {
    const { base } = await startServer(t);
    const res = await fetch(`${base}/admin/connections`, { headers: { 'x-forwarded-for': '127.0.0.1' } });
    assert.equal(res.status, 403, 'a relayed request is never local unless TRUST_PROXY is set');
  });
});

describe('client tokens', { timeout: 10_000 }, () => {
  const rejected: Array<[string, (id: string) => Promise<string | undefined>]> = [
    ['no token', async () => undefined],
    ['an expired token', (id) => token(id, { expiresIn: Math.floor(Date.now() / 1000) - 60 })],
    ['a token for another client', () => token('someone-else')],
    ['a token signed with another secret', (id) => token(id, { secret: 'another-secret-another-secret-123' })],
    ['a malformed token', async () => 'not.a.jwt'],
    [
      'an unsigned token',
      async (id) =>
        `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify({ sub: id, exp: 4e9 })).toString('base64url')}.`,
    ],
  ];
  for (const [name, make] of rejected) {
    it(`closes with 1008 Unauthorized on ${name}, sending nothing of the session`, async (t) => {
      const log = recordingLogger();
      const { wsUrl } = await startServer(t, { authSecret: SECRET, logger: log });
      const jwt = await make('tok-client');
      const client = openClient(t, wsUrl('tok-client', jwt ? `?token=${jwt}` : ''));
      assert.deepEqual(await client.closed, { code: 1008, reason: 'Unauthorized' });
      assert.deepEqual(client.frames, []);
      if (jwt) assert.ok(!JSON.stringify(log.lines).includes(jwt), 'the token is never logged');
    });
  }

  it('accepts a valid token in the query string', async (t) => {
    const log = recordingLogger();
    const { wsUrl } = await startServer(t, { authSecret: SECRET, logger: log });
    const jwt = await token('tok-ok-1');
    const client = await connectClient(t, wsUrl('tok-ok-1', `?token=${jwt}`));
    client.send(userMessage('hi'));
    assert.equal((await client.nextOfType('bot_response')).content, 'Echo: hi');
    assert.ok(!JSON.stringify(log.lines).includes(jwt), 'the token is never logged');
  });

  it('accepts a valid token as the bearer subprotocol pair and selects only "bearer"', async (t) => {
    const { wsUrl } = await startServer(t, { authSecret: SECRET });
    const jwt = await token('tok-ok-2');
    const viaProtocol = new WebSocket(wsUrl('tok-ok-2'), ['bearer', jwt]);
    t.after(() => viaProtocol.terminate());
    const [first] = await waitFor<[Buffer]>(viaProtocol, 'message');
    assert.equal(JSON.parse(first.toString()).content, 'connection_established');
    assert.equal(viaProtocol.protocol, 'bearer');
  });
});

describe('origins', { timeout: 10_000 }, () => {
  it('refuses an upgrade from an origin not listed with 403', async (t) => {
    const { wsUrl } = await startServer(t, { allowedOrigins: ['https://app.example.com'] });
    const res = await refusedUpgrade(wsUrl('origin-1'), { origin: 'https://evil.example.net' });
    assert.equal(res.statusCode, 403);
    assert.equal(JSON.parse(res.body).error_code, 'ORIGIN_NOT_ALLOWED');
    await connectClient(t, wsUrl('origin-2'), { origin: 'https://APP.example.com' });
    await connectClient(t, wsUrl('origin-3'));
  });

  it('allows any origin with *', async (t) => {
    const { wsUrl } = await startServer(t, { allowedOrigins: ['*'] });
    await connectClient(t, wsUrl('origin-4'), { origin: 'https://anything.example' });
  });
});

describe('rate limits', { timeout: 10_000 }, () => {
  it('refuses frames past the burst with RATE_LIMITED and retry_after_ms, without processing them', async (t) => {
    let processed = 0;
    const engine: ConversationEngine = { reply: () => ({ replies: [{ content: `reply ${++processed}` }] }) };
    const { wsUrl } = await startServer(t, { engine, rateLimit: { perSecond: 0.5, burst: 3, strikes: 100 } });
    const client = await connectClient(t, wsUrl('rate-1'));
    for (let i = 0; i < 4; i++) client.send(userMessage(`m${i}`));
    const limited = await client.nextOfType('error');
    assert.equal(limited.error_code, 'RATE_LIMITED');
    assert.ok((limited.retry_after_ms as number) > 0 && (limited.retry_after_ms as number) <= 2000);
    assert.equal(limited.retry_suggested, true);
    assert.equal(client.ws.readyState, WebSocket.OPEN);
    while (client.frames.filter((f) => f.type === 'bot_response').length < 3) await client.nextOfType('bot_response');
    assert.deepEqual(
      client.frames.filter((f) => f.type === 'bot_response').map((f) => f.content),
      ['reply 1', 'reply 2', 'reply 3'],
    );
    assert.equal(processed, 3);
  });

  it('closes a client that keeps flooding with 1008', async (t) => {
    const { wsUrl } = await startServer(t, { rateLimit: { perSecond: 0.5, burst: 2, strikes: 5 } });
    const client = await connectClient(t, wsUrl('flood-1'));
    for (let i = 0; i < 20; i++) client.send('garbage');
    assert.deepEqual(await client.closed, { code: 1008, reason: 'Rate limit exceeded' });
    assert.equal(client.frames.filter((f) => f.error_code === 'RATE_LIMITED').length, 4);
  });

  it('refuses upgrades past the per-address connect rate with 429 and Retry-After', async (t) => {
    const { wsUrl } = await startServer(t, { connectRatePerMin: 2 });
    await connectClient(t, wsUrl('crate-1'));
    await connectClient(t, wsUrl('crate-2'));
    const res = await refusedUpgrade(wsUrl('crate-3'));
    assert.equal(res.statusCode, 429);
    assert.ok(Number(res.headers['retry-after']) >= 1);
    assert.equal(JSON.parse(res.body).error_code, 'TOO_MANY_REQUESTS');
  });

  it('refuses upgrades past the per-address connection count with 429, and admits again after one leaves', async (t) => {
    let left!: () => void;
    const oneLeft = new Promise<void>((resolve) => (left = resolve));
    const { wsUrl } = await startServer(t, { maxConnectionsPerIp: 2, onDisconnect: () => left() });
    const first = await connectClient(t, wsUrl('cip-1'));
    await connectClient(t, wsUrl('cip-2'));
    assert.equal((await refusedUpgrade(wsUrl('cip-3'))).statusCode, 429);
    first.ws.close();
    await within(oneLeft, 'the first client to leave');
    await connectClient(t, wsUrl('cip-4'));
  });
});

describe('resource limits', { timeout: 15_000 }, () => {
  it('refuses content over maxContentChars with INVALID_MESSAGE_FORMAT saying so', async (t) => {
    const { wsUrl } = await startServer(t, { maxContentChars: 10 });
    const client = await connectClient(t, wsUrl('long-1'));
    client.send(userMessage('x'.repeat(11)));
    const error = await client.next();
    assert.equal(error.error_code, 'INVALID_MESSAGE_FORMAT');
    assert.deepEqual(error.details, [{ path: 'content', message: 'Must be at most 10 characters' }]);
    client.send(userMessage('x'.repeat(10)));
    assert.equal((await client.nextOfType('bot_response')).content, `Echo: ${'x'.repeat(10)}`);
  });

  it('closes and drops a client that stops reading, and serves the others', async (t) => {
    const big = 'y'.repeat(60_000);
    const engine: ConversationEngine = { reply: () => ({ replies: [{ content: big }] }) };
    const log = recordingLogger();
    let dropped!: (id: string) => void;
    const droppedId = new Promise<string>((resolve) => (dropped = resolve));
    const { wsUrl, server } = await startServer(t, {
      engine,
      logger: log,
      maxBufferedBytes: 256 * 1024,
      rateLimit: { perSecond: 100_000, burst: 100_000 },
      maxQueuedMessages: 1000,
      onDisconnect: (id) => dropped(id),
    });
    const reader = await connectClient(t, wsUrl('reads-1'));
    const stalled = await connectClient(t, wsUrl('stalls-1'));
    stalled.ws.pause();
    // Bounded: far more than the kernel buffers plus the limit can hold, so the server must act.
    for (let i = 0; i < 2_000 && stalled.ws.readyState === WebSocket.OPEN; i++) {
      stalled.send(userMessage(`m${i}`));
      if (i % 50 === 49) await new Promise((resolve) => setImmediate(resolve));
      if (log.lines.some((l) => l.msg === 'client not reading, closing')) break;
    }
    assert.equal(await within(droppedId, 'the stalled client to be dropped', 10_000), 'stalls-1');
    assert.deepEqual(server.connections.ids(), ['reads-1']);
    reader.send(userMessage('fine'));
    assert.equal((await reader.nextOfType('bot_response')).content, big);
  });

  it('drops an HTTP client that never finishes its headers', async (t) => {
    const { port } = await startServer(t, { headersTimeoutMs: 300 });
    const socket = connect(port, '127.0.0.1');
    t.after(() => socket.destroy());
    socket.on('error', () => {});
    await waitFor(socket, 'connect');
    socket.write('GET /health HTTP/1.1\r\nHost: localhost\r\nX-Slow: ');
    let answer = '';
    socket.on('data', (chunk) => (answer += chunk));
    await waitFor(socket, 'close', 5_000);
    assert.match(answer, /^HTTP\/1\.1 408/);
  });
});
