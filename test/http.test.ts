import assert from 'node:assert/strict';
import { request } from 'node:http';
import { describe, it } from 'node:test';
import { connectClient, startServer } from './helpers.ts';

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

async function json(res: Response): Promise<Record<string, unknown>> {
  assert.equal(res.headers.get('content-type'), 'application/json; charset=utf-8');
  return (await res.json()) as Record<string, unknown>;
}

const post = (url: string, body: string, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
  fetch(url, { method: 'POST', body, headers });

describe('HTTP', { timeout: 10_000 }, () => {
  it('answers GET /health', async (t) => {
    const { base } = await startServer(t);
    const res = await fetch(`${base}/health`);
    assert.equal(res.status, 200);
    const body = await json(res);
    assert.equal(body.status, 'healthy');
    assert.equal(body.active_connections, 0);
    assert.match(String(body.timestamp), ISO_UTC);
  });

  it('answers HEAD /health with headers and no body', async (t) => {
    const { base } = await startServer(t);
    const res = await fetch(`${base}/health`, { method: 'HEAD' });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/json; charset=utf-8');
    assert.equal(await res.text(), '');
  });

  it('lists connected clients and server info on GET /health/clients', async (t) => {
    const { base, wsUrl } = await startServer(t);
    await connectClient(t, wsUrl('health-a'));
    const body = await json(await fetch(`${base}/health/clients`));
    assert.equal(body.active_connections, 1);
    assert.deepEqual(body.active_clients, ['health-a']);
    const info = body.server_info as Record<string, unknown>;
    assert.equal(info.name, 'MeetingMuse WebSocket Server');
    assert.equal(info.version, '1.0.0');
    assert.equal(typeof info.uptime_seconds, 'number');
  });

  it('reports each connection with its counters on GET /admin/connections', async (t) => {
    const { base, wsUrl } = await startServer(t);
    const client = await connectClient(t, wsUrl('admin-a'));
    client.send({ content: 'one', session_id: 's' });
    client.send('not json');
    await client.nextOfType('error');
    await client.nextOfType('bot_response');
    const body = await json(await fetch(`${base}/admin/connections`));
    assert.equal(body.active_connections, 1);
    const entry = (body.clients as Record<string, Record<string, unknown>>)['admin-a']!;
    assert.equal(entry.message_count, 2);
    assert.equal(entry.turns, 1);
    assert.match(String(entry.connected_at), ISO_UTC);
    assert.match(String(body.timestamp), ISO_UTC);
  });

  it('broadcasts a bot_response to every client on POST /admin/broadcast', async (t) => {
    const { base, wsUrl } = await startServer(t);
    const clients = await Promise.all(Array.from({ length: 25 }, (_, i) => connectClient(t, wsUrl(`bcast-${i}`))));
    const res = await post(`${base}/admin/broadcast`, JSON.stringify({ content: 'Maintenance at 5pm' }));
    assert.equal(res.status, 200);
    const body = await json(res);
    assert.deepEqual([body.status, body.message, body.successful_sends], ['success', 'Broadcast completed', 25]);
    for (const client of clients) {
      const frame = await client.next();
      assert.equal(frame.type, 'bot_response');
      assert.equal(frame.content, 'Maintenance at 5pm');
    }
  });

  const badBodies: Array<[string, string, string]> = [
    ['no content', '{}', 'INVALID_BODY'],
    ['empty content', '{"content":""}', 'INVALID_BODY'],
    ['blank content', '{"content":"   "}', 'INVALID_BODY'],
    ['non-string content', '{"content":42}', 'INVALID_BODY'],
    ['a body that is not JSON', '{"content":', 'INVALID_JSON'],
    ['an empty body', '', 'INVALID_JSON'],
    ['an array', '["content"]', 'INVALID_BODY'],
    ['a JSON string', '"content"', 'INVALID_BODY'],
  ];
  for (const [name, body, code] of badBodies) {
    it(`refuses a broadcast with ${name} with 400`, async (t) => {
      const { base } = await startServer(t);
      const res = await post(`${base}/admin/broadcast`, body);
      assert.equal(res.status, 400);
      const answer = await json(res);
      assert.equal(answer.error_code, code);
      assert.equal(typeof answer.detail, 'string');
      assert.ok(!String(answer.detail).includes('at '), 'no stack trace');
    });
  }

  it('refuses a broadcast body over 64 KiB with 413', async (t) => {
    const { base } = await startServer(t);
    const res = await post(`${base}/admin/broadcast`, JSON.stringify({ content: 'x'.repeat(70_000) }));
    assert.equal(res.status, 413);
    assert.equal((await json(res)).error_code, 'PAYLOAD_TOO_LARGE');
  });

  it('refuses a chunked body that grows past 64 KiB with 413', async (t) => {
    const { port } = await startServer(t);
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        {
          port,
          host: '127.0.0.1',
          path: '/admin/broadcast',
          method: 'POST',
          headers: { 'content-type': 'application/json' },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode!);
        },
      );
      req.on('error', reject);
      for (let i = 0; i < 20; i++) req.write('x'.repeat(8_192));
      req.end();
    });
    assert.equal(status, 413);
  });

  it('answers an unknown path with 404 and a detail', async (t) => {
    const { base } = await startServer(t);
    const res = await fetch(`${base}/nope`);
    assert.equal(res.status, 404);
    assert.deepEqual(await json(res), { detail: 'Not Found', error_code: 'NOT_FOUND' });
  });

  it('answers a wrong method with 405 and Allow', async (t) => {
    const { base } = await startServer(t);
    const get = await fetch(`${base}/admin/broadcast`);
    assert.equal(get.status, 405);
    assert.equal(get.headers.get('allow'), 'POST');
    const del = await fetch(`${base}/health`, { method: 'DELETE' });
    assert.equal(del.status, 405);
    assert.equal(del.headers.get('allow'), 'GET, HEAD');
    assert.equal((await json(del)).error_code, 'METHOD_NOT_ALLOWED');
  });

  it('ignores a query string when routing', async (t) => {
    const { base } = await startServer(t);
    assert.equal((await fetch(`${base}/health?probe=1`)).status, 200);
  });
});
