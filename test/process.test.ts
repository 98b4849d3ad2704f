import assert from 'node:assert/strict';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { connectClient, tempDir, userMessage, within } from './helpers.ts';
import { runServerToExit, startServerProcess } from './server-process.ts';

/** Sends raw bytes on a fresh connection and resolves with everything the server wrote before closing. */
async function rawExchange(port: number, request: string): Promise<string> {
  const socket = connect(port, '127.0.0.1');
  socket.end(request);
  let answer = '';
  socket.on('data', (chunk) => (answer += chunk));
  await within(once(socket, 'close'), 'the server to answer and close', 5_000);
  return answer;
}

describe('server process', { timeout: 60_000 }, () => {
  it('closes clients with 1001 and exits 0 on SIGTERM', async (t) => {
    const server = await startServerProcess(t, { MEETINGMUSE_DB: join(tempDir(t), 'mm.db') });
    const client = await connectClient(t, `ws://127.0.0.1:${server.port}/ws/sigterm-1`);
    server.child.kill('SIGTERM');
    assert.deepEqual(await client.closed, { code: 1001, reason: 'Server shutting down' });
    const [code] = await within(server.exited, 'exit after SIGTERM', 10_000);
    assert.equal(code, 0);
    assert.equal(server.stderr(), '');
  });

  // A target WHATWG URL rejects used to throw an uncaught TypeError out of the request and upgrade
  // listeners: one request stopped the server, whatever guards were configured.
  it('answers request targets that URL rejects with 400 and keeps running', async (t) => {
    const server = await startServerProcess(t, {
      MEETINGMUSE_DB: ':memory:',
      ADMIN_TOKEN: 'admin-token-admin-token',
      AUTH_SECRET: 'a-secret-that-is-long-enough-for-hs256!',
      ALLOWED_ORIGINS: 'https://app.example.com',
      TRUST_PROXY: '1',
    });
    const upgrade =
      'Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n';
    for (const target of ['http://%/health', '//%/health', '//[/', '//%/ws/alice-1']) {
      for (const headers of ['', upgrade]) {
        const answer = await rawExchange(
          server.port,
          `GET ${target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n${headers}\r\n`,
        );
        assert.match(answer, /^HTTP\/1\.1 400 /, `${target}${headers ? ' (upgrade)' : ''}`);
        assert.match(answer, /"error_code":"INVALID_REQUEST_TARGET"/);
      }
    }
    assert.equal((await fetch(`http://127.0.0.1:${server.port}/health`)).status, 200);
    assert.equal(server.child.exitCode, null);
  });

  // `node dist/server.js | head -c 300`: once the reader of stdout went away, the next log line
  // failed with EPIPE, an unhandled 'error' event that ended the process.
  it('keeps serving when whoever reads its stdout goes away', async (t) => {
    const server = await startServerProcess(t, { MEETINGMUSE_DB: ':memory:' });
    server.child.stdout!.destroy();
    for (const id of ['epipe-1', 'epipe-2', 'epipe-3']) {
      const client = await connectClient(t, `ws://127.0.0.1:${server.port}/ws/${id}`);
      client.ws.close();
      await client.closed;
    }
    assert.equal((await fetch(`http://127.0.0.1:${server.port}/health`)).status, 200);
    server.child.kill('SIGTERM');
    assert.deepEqual(await within(server.exited, 'exit after SIGTERM', 10_000), [0, null]);
    assert.equal(server.stderr(), '');
  });

  it('keeps every completed turn across kill -9 and a restart', async (t) => {
    const db = join(tempDir(t), 'mm.db');
    const first = await startServerProcess(t, { MEETINGMUSE_DB: db, MEETINGMUSE_ENGINE: 'echo' });
    const client = await connectClient(t, `ws://127.0.0.1:${first.port}/ws/crash-1`);
    for (const text of ['book lunch', 'with Alice']) {
      client.send(userMessage(text));
      await client.nextOfType('bot_response');
    }
    // Delivery is recorded once a reply has been written to the socket; wait for that record so the
    // restart below has nothing pending (a crash before it would resend the reply: at least once).
    const before = await fetch(`http://127.0.0.1:${first.port}/admin/sessions/crash-1`);
    assert.equal(((await before.json()) as { pending_replies: number }).pending_replies, 0);
    first.child.kill('SIGKILL');
    await first.exited;

    const second = await startServerProcess(t, { MEETINGMUSE_DB: db, MEETINGMUSE_ENGINE: 'echo' });
    const again = await connectClient(t, `ws://127.0.0.1:${second.port}/ws/crash-1`);
    assert.deepEqual(again.established.metadata, { resumed: true, messages: 4, pending: 0 });
    const res = await fetch(`http://127.0.0.1:${second.port}/admin/sessions/crash-1`);
    const session = (await res.json()) as { history: Array<{ content: string }> };
    assert.deepEqual(
      session.history.map((h) => h.content),
      ['book lunch', 'Echo: book lunch', 'with Alice', 'Echo: with Alice'],
    );
  });

  it('exits 1 with one line naming every bad variable', async (t) => {
    const { code, stderr, stdout } = await runServerToExit(t, { PORT: 'abc', LOG_LEVEL: 'chatty' });
    assert.equal(code, 1);
    assert.equal(
      stderr,
      'Invalid configuration: PORT must be an integer from 0 to 65535; LOG_LEVEL must be one of debug, info, warn, error, silent\n',
    );
    assert.equal(stdout, '');
  });

  it('takes --port from the command line', async (t) => {
    const { code, stderr } = await runServerToExit(t, {}, ['--port', 'x']);
    assert.equal(code, 1);
    assert.match(stderr, /^Invalid configuration: PORT must be/);
  });

  it('exits 1 with one line when the port is in use', async (t) => {
    const blocker = createServer();
    blocker.listen(0, '127.0.0.1');
    await once(blocker, 'listening');
    t.after(() => blocker.close());
    const { port } = blocker.address() as AddressInfo;
    const { code, stderr } = await runServerToExit(t, { PORT: String(port), MEETINGMUSE_DB: ':memory:' });
    assert.equal(code, 1);
    assert.equal(stderr, `port ${port} is already in use\n`);
  });

  it('exits 1 with one line naming a database path that is not a database', async (t) => {
    const path = join(tempDir(t), 'not-a.db');
    writeFileSync(path, 'plain text, certainly not SQLite '.repeat(50));
    const { code, stderr } = await runServerToExit(t, { MEETINGMUSE_DB: path });
    assert.equal(code, 1);
    assert.equal(stderr.split('\n').length, 2, 'one line');
    assert.ok(stderr.startsWith(`cannot open database ${path}: `));
  });
});
