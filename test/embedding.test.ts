import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createChatServer, createEchoEngine } from '../lib/index.ts';
import { connectClient, openClient, userMessage, within } from './helpers.ts';

const root = fileURLToPath(new URL('..', import.meta.url));

describe('embedding', { timeout: 20_000 }, () => {
  it('mounts on a host server without taking over its other routes', async (t) => {
    const chat = createChatServer({ engine: createEchoEngine() });
    const host: Server = createServer((req, res) => {
      if (chat.handleRequest(req, res)) return;
      res.writeHead(200, { 'content-type': 'text/plain' }).end('host app');
    });
    host.on('upgrade', (req, socket, head) => {
      if (!chat.handleUpgrade(req, socket, head)) socket.destroy();
    });
    host.listen(0, '127.0.0.1');
    await once(host, 'listening');
    t.after(() => new Promise((resolve) => host.close(resolve)));
    const { port } = host.address() as AddressInfo;

    assert.equal(await (await fetch(`http://127.0.0.1:${port}/anything-else`)).text(), 'host app');
    assert.equal((await fetch(`http://127.0.0.1:${port}/health`)).status, 200);
    const client = await connectClient(t, `ws://127.0.0.1:${port}/ws/mounted-1`);
    client.send(userMessage('through the host'));
    assert.equal((await client.nextOfType('bot_response')).content, 'Echo: through the host');

    await chat.close();
    assert.equal((await client.closed).code, 1001);
    assert.equal(host.listening, true, 'close() leaves the host server alone');
    assert.equal(await (await fetch(`http://127.0.0.1:${port}/still-here`)).text(), 'host app');
  });

  it('resolves listen() with the real port when given port 0', async (t) => {
    const chat = createChatServer();
    t.after(() => chat.close());
    const address = await chat.listen(0, '127.0.0.1');
    assert.ok(address.port > 0);
    assert.equal((await fetch(`http://127.0.0.1:${address.port}/health`)).status, 200);
  });

  it('rejects listen() on a port already in use', async (t) => {
    const first = createChatServer();
    t.after(() => first.close());
    const { port } = await first.listen(0, '127.0.0.1');
    const second = createChatServer();
    t.after(() => second.close());
    await assert.rejects(second.listen(port, '127.0.0.1'), { code: 'EADDRINUSE' });
  });

  it('throws a TypeError naming a nonsensical option', () => {
    assert.throws(() => createChatServer({ maxConnections: 0 }), { name: 'TypeError', message: /maxConnections/ });
    assert.throws(() => createChatServer({ closeTimeoutMs: -1 }), { name: 'TypeError', message: /closeTimeoutMs/ });
  });

  it('reports connects and disconnects to the embedder', async (t) => {
    const events: string[] = [];
    const chat = createChatServer({ onConnect: (id) => events.push(`+${id}`), onDisconnect: (id, code) => events.push(`-${id}:${code}`) });
    t.after(() => chat.close());
    const { port } = await chat.listen(0, '127.0.0.1');
    const client = openClient(t, `ws://127.0.0.1:${port}/ws/hooks-1`);
    await client.next();
    client.ws.close(1000);
    await client.closed;
    await chat.close();
    assert.deepEqual(events, ['+hooks-1', '-hooks-1:1000']);
  });

  it('leaves no timers or sockets after close(), so the process exits by itself', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/fixtures/close-exits.ts'], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    const [code] = await within(once(child, 'exit'), 'the child process to exit by itself', 10_000).catch((err) => {
      child.kill('SIGKILL');
      throw err;
    });
    assert.equal(code, 0);
    assert.equal(out, 'closed\n');
  });
});

describe('package', { timeout: 20_000 }, () => {
  it('imports from dist/ by package name in plain Node, without tsx', async () => {
    const script = [
      "import { createChatServer, createEchoEngine } from 'meetingmuse-server';",
      "const server = createChatServer({ engine: createEchoEngine() });",
      "const { port } = await server.listen(0, '127.0.0.1');",
      'const res = await fetch(`http://127.0.0.1:${port}/health`);',
      'process.stdout.write(String(res.status));',
      'await server.close();',
    ].join('\n');
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.stderr.on('data', (chunk) => (err += chunk));
    const [code] = await within(once(child, 'exit'), 'the plain-Node import to finish', 10_000);
    assert.equal(code, 0, `plain node failed (run \`npm run build\` first): ${err}`);
    assert.equal(out, '200');
  });
});
