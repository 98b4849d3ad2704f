import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { SignJWT } from 'jose';
import ts from 'typescript';
import {
  createChatServer,
  createEchoEngine,
  LIMITS,
  type ChatServer,
  type ConversationEngine,
  type TurnInfo,
} from '../lib/index.ts';
import { connectClient, openClient, refusedUpgrade, startServer, userMessage, within } from './helpers.ts';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Runs a fixture script and waits for it to exit by itself (killed if it does not), with what it printed. */
async function runUntilExit(script: string): Promise<{ code: number | null; out: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (chunk) => (out += chunk));
  const [code] = (await within(once(child, 'exit'), 'the child process to exit by itself', 10_000).catch((err) => {
    child.kill('SIGKILL');
    throw err;
  })) as [number | null];
  return { code, out };
}

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

  it('documents each numeric option with the default it has', () => {
    const source = readFileSync(join(root, 'lib/options.ts'), 'utf8');
    for (const [key, limit] of Object.entries(LIMITS)) {
      const doc = new RegExp(`/\\*\\* ([^\\n]*) \\*/\\n  ${key}\\?:`).exec(source)?.[1] ?? '';
      assert.equal(/Default (\d+)/.exec(doc)?.[1], String(limit.default), `the TSDoc of ${key}: ${doc}`);
    }
  });

  it('reports connects and disconnects to the embedder', async (t) => {
    const events: string[] = [];
    const chat = createChatServer({
      onConnect: (id) => events.push(`+${id}`),
      onDisconnect: (id, code) => events.push(`-${id}:${code}`),
    });
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
    const { code, out } = await runUntilExit('test/fixtures/close-exits.ts');
    assert.equal(code, 0);
    assert.equal(out, 'closed\n');
  });
});

/** A host app with its own /health and a fallback, the chat server mounted on it; records what handleUpgrade returned. */
async function mountOnHost(t: TestContext, chat: ChatServer, onUpgrade: (handled: boolean) => void = () => {}) {
  const host: Server = createServer((req, res) => {
    if (chat.handleRequest(req, res)) return;
    const body = req.url === '/health' ? 'host health' : 'host app';
    res.writeHead(200, { 'content-type': 'text/plain' }).end(body);
  });
  host.on('upgrade', (req, socket, head) => {
    const handled = chat.handleUpgrade(req, socket, head);
    onUpgrade(handled);
    if (!handled) socket.destroy();
  });
  host.listen(0, '127.0.0.1');
  await once(host, 'listening');
  t.after(async () => {
    await chat.close();
    host.closeAllConnections();
    await new Promise((resolve) => host.close(resolve));
  });
  const { port } = host.address() as AddressInfo;
  return { host, http: `http://127.0.0.1:${port}`, ws: `ws://127.0.0.1:${port}` };
}

describe('embedding under a prefix', { timeout: 20_000 }, () => {
  it('answers under basePath while the host keeps a route of the same name', async (t) => {
    const chat = createChatServer({ basePath: '/chat/' });
    const { http, ws } = await mountOnHost(t, chat);
    assert.equal(await (await fetch(`${http}/health`)).text(), 'host health');
    const ours = await fetch(`${http}/chat/health`);
    assert.equal(ours.status, 200);
    assert.equal(((await ours.json()) as { status: string }).status, 'healthy');
    const client = await connectClient(t, `${ws}/chat/ws/prefixed-1`);
    client.send(userMessage('under a prefix'));
    assert.equal((await client.nextOfType('bot_response')).content, 'Echo: under a prefix');
    assert.equal(
      await (await fetch(`${http}/chatty/health`)).text(),
      'host app',
      "a path that only starts like the prefix is the host's",
    );
  });

  it('leaves an upgrade outside basePath to the host', async (t) => {
    const answers: boolean[] = [];
    const { ws } = await mountOnHost(t, createChatServer({ basePath: '/chat' }), (handled) => answers.push(handled));
    const client = openClient(t, `${ws}/ws/outside-1`);
    await within(new Promise((resolve) => client.ws.once('error', resolve)), 'the host to drop the upgrade');
    assert.deepEqual(answers, [false]);
  });

  it('turns REST routes off one by one, handing their paths to the host', async (t) => {
    const chat = createChatServer({
      basePath: '/chat',
      routes: { connections: false, broadcast: false, clients: false },
    });
    const { http } = await mountOnHost(t, chat);
    assert.equal(await (await fetch(`${http}/chat/admin/connections`)).text(), 'host app');
    assert.equal(await (await fetch(`${http}/chat/health/clients`)).text(), 'host app');
    assert.equal(
      await (await fetch(`${http}/chat/admin/broadcast`, { method: 'POST', body: '{}' })).text(),
      'host app',
    );
    assert.equal((await fetch(`${http}/chat/health`)).status, 200, 'the others stay on');
  });

  it("serves an engine's own routes under basePath, guarded when privileged, and turns them off as one", async (t) => {
    const engine: ConversationEngine = {
      reply: () => ({ replies: [{ content: 'ok' }] }),
      routes: () => [
        { path: /^\/hello\/([a-z]+)$/, methods: { GET: (_req, [name]) => ({ body: { hello: name } }) } },
        { path: /^\/secret$/, privileged: true, methods: { GET: () => ({ body: { secret: true } }) } },
      ],
    };
    const { http } = await mountOnHost(t, createChatServer({ engine, basePath: '/chat', adminToken: 'engine-admin' }));
    assert.deepEqual(await (await fetch(`${http}/chat/hello/ann`)).json(), { hello: 'ann' });
    assert.equal((await fetch(`${http}/chat/secret`)).status, 401);
    assert.equal(
      (await fetch(`${http}/chat/secret`, { headers: { authorization: 'Bearer engine-admin' } })).status,
      200,
    );
    assert.equal(await (await fetch(`${http}/hello/ann`)).text(), 'host app', 'outside basePath');

    const off = await mountOnHost(t, createChatServer({ engine, basePath: '/chat', routes: { engine: false } }));
    assert.equal(await (await fetch(`${off.http}/chat/hello/ann`)).text(), 'host app');
  });

  it('hands every request and upgrade back to the host once close() has finished', async (t) => {
    const answers: boolean[] = [];
    const chat = createChatServer();
    const { http, ws } = await mountOnHost(t, chat, (handled) => answers.push(handled));
    assert.equal((await fetch(`${http}/health`)).status, 200);
    await chat.close();
    assert.equal(await (await fetch(`${http}/health`)).text(), 'host health');
    assert.equal(await (await fetch(`${http}/admin/connections`)).text(), 'host app');
    const client = openClient(t, `${ws}/ws/after-close-1`);
    await within(new Promise((resolve) => client.ws.once('error', resolve)), 'the host to drop the upgrade');
    assert.deepEqual(answers, [false]);
  });

  it('keeps no timer alive when it is never closed, mounted or not', async () => {
    const { code, out } = await runUntilExit('test/fixtures/unmounted-exits.ts');
    assert.equal(code, 0);
    assert.equal(out, 'host closed\n');
  });

  it('refuses an upgrade whose token check ends after close() began, instead of leaving it open', async (t) => {
    // Regression: the token check is asynchronous. A socket whose check resolved after close() had
    // closed every known socket was upgraded anyway and never got its 1001.
    const secret = 'race-secret-race-secret-race-secret';
    let chat: ChatServer | undefined;
    chat = createChatServer({ authSecret: secret });
    const closing: Array<Promise<void>> = [];
    const { ws } = await mountOnHost(t, chat, () => closing.push(chat!.close()));
    const jwt = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('race-1')
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(secret));
    const res = await refusedUpgrade(`${ws}/ws/race-1?token=${jwt}`);
    assert.equal(res.statusCode, 503);
    assert.equal(JSON.parse(res.body).error_code, 'SHUTTING_DOWN');
    await Promise.all(closing);
    assert.equal(chat.connections.size, 0);
  });
});

describe('server-side API', { timeout: 20_000 }, () => {
  it('sends to one client and broadcasts to all', async (t) => {
    const { server, wsUrl } = await startServer(t);
    const alice = await connectClient(t, wsUrl('api-alice'));
    const bob = await connectClient(t, wsUrl('api-bob'));
    assert.equal(server.send('api-alice', 'your 3pm moved', { kind: 'notice' }), true);
    const direct = await alice.nextOfType('bot_response');
    assert.deepEqual(
      [direct.content, direct.session_id, direct.metadata],
      ['your 3pm moved', 'api-alice', { kind: 'notice' }],
    );
    assert.equal(server.send('api-nobody', 'lost'), false);
    assert.equal(server.broadcast('maintenance at noon'), 2);
    for (const client of [alice, bob]) {
      const frame = await client.nextOfType('bot_response');
      assert.deepEqual([frame.content, frame.metadata], ['maintenance at noon', { broadcast: true }]);
    }
  });

  it('reports turns as they start, reply and fail', async (t) => {
    const events: string[] = [];
    const failing: ConversationEngine = {
      reply: (message) => {
        if (message.content === 'fail') throw new Error('engine broke');
        return { replies: [{ content: 'one' }, { content: 'two' }] };
      },
    };
    const id = (turn: TurnInfo) => `${turn.clientId}/${turn.messageId ?? '-'}`;
    const { wsUrl } = await startServer(t, {
      engine: failing,
      onTurnStarted: (turn) => events.push(`started ${id(turn)}`),
      onTurnReplied: (turn) => events.push(`replied ${id(turn)} ${turn.replies}`),
      onTurnFailed: (turn) => events.push(`failed ${id(turn)} ${turn.code}`),
    });
    const client = await connectClient(t, wsUrl('events-1'));
    client.send(userMessage('hello', { message_id: 'm1' }));
    await client.nextOfType('bot_response');
    await client.nextOfType('bot_response');
    client.send(userMessage('fail'));
    await client.nextOfType('error');
    assert.deepEqual(events, [
      'started events-1/m1',
      'replied events-1/m1 2',
      'started events-1/-',
      'failed events-1/- INTERNAL_SERVER_ERROR',
    ]);
  });
});

describe('package', { timeout: 20_000 }, () => {
  it('imports from dist/ by package name in plain Node, without tsx', async () => {
    const script = [
      "import { createChatServer, createEchoEngine } from 'meetingmuse-server';",
      'const server = createChatServer({ engine: createEchoEngine() });',
      "const { port } = await server.listen(0, '127.0.0.1');",
      'const res = await fetch(`http://127.0.0.1:${port}/health`);',
      'process.stdout.write(String(res.status));',
      'await server.close();',
    ].join('\n');
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.stderr.on('data', (chunk) => (err += chunk));
    const [code] = await within(once(child, 'exit'), 'the plain-Node import to finish', 10_000);
    assert.equal(code, 0, `plain node failed (run \`npm run build\` first): ${err}`);
    assert.equal(out, '200');
  });

  it('loads no SQLite driver for a server with the in-memory store', async () => {
    const script = [
      "import { createRequire } from 'node:module';",
      "import { createChatServer } from 'meetingmuse-server';",
      'const server = createChatServer();',
      "const { port } = await server.listen(0, '127.0.0.1');",
      'await fetch(`http://127.0.0.1:${port}/health`);',
      'await server.close();',
      "const loaded = Object.keys(createRequire(import.meta.url).cache).filter((path) => path.includes('better-sqlite3'));",
      'process.stdout.write(JSON.stringify(loaded));',
    ].join('\n');
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    const [code] = await within(once(child, 'exit'), 'the plain-Node import to finish', 10_000);
    assert.equal(code, 0);
    assert.deepEqual(JSON.parse(out), []);
  });

  it('exports every type its public API names', () => {
    // An embedder can name what it can import: a type that appears in an exported signature but is not
    // itself exported forces `Parameters<…>` gymnastics. Each exported declaration's type references are
    // checked; by induction that covers everything reachable. Draft and PendingChange are parts of
    // AssistantState that assistant.ts keeps private; that file belongs to the assistant rewrite.
    const KEPT_PRIVATE = new Set(['Draft', 'PendingChange']);
    const entry = join(root, 'lib/index.ts');
    const program = ts.createProgram([entry], {
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      allowImportingTsExtensions: true,
      noEmit: true,
      types: ['node'],
    });
    const checker = program.getTypeChecker();
    const real = (s: ts.Symbol) => (s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s);
    const exported = new Set(
      checker.getExportsOfModule(checker.getSymbolAtLocation(program.getSourceFile(entry)!)!).map(real),
    );
    const ours = (d: ts.Declaration) => d.getSourceFile().fileName.startsWith(join(root, 'lib'));
    const missing = new Set<string>();
    const visit = (node: ts.Node): void => {
      if (ts.isTypeReferenceNode(node)) {
        const target = checker.getSymbolAtLocation(node.typeName);
        const symbol = target && real(target);
        if (
          symbol &&
          !exported.has(symbol) &&
          !(symbol.flags & ts.SymbolFlags.TypeParameter) &&
          (symbol.declarations ?? []).some(ours)
        )
          missing.add(symbol.name);
      }
      // Bodies are implementation: only what a signature or a type says is public.
      if (ts.isBlock(node) || ts.isPrivateIdentifier(node)) return;
      if (ts.isPropertyDeclaration(node) && ts.isPrivateIdentifier(node.name)) return;
      if (ts.isVariableDeclaration(node)) return void (node.type && visit(node.type));
      ts.forEachChild(node, visit);
    };
    for (const symbol of exported)
      for (const declaration of (symbol.declarations ?? []).filter(ours)) visit(declaration);
    assert.deepEqual(
      [...missing].filter((name) => !KEPT_PRIVATE.has(name)),
      [],
    );
  });

  it('publishes typings that import only runtime dependencies and Node built-ins', () => {
    // An embedder's type check reads every .d.ts reachable from the entry point; one that imports a
    // dev-only package (@types/ws, @types/better-sqlite3) fails there unless they install it too.
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    const seen = new Set<string>();
    const packages = new Set<string>();
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const text = readFileSync(file, 'utf8');
      for (const [, specifier] of text.matchAll(/(?:from|import)\s*\(?\s*'([^']+)'/g)) {
        if (specifier!.startsWith('.')) visit(join(dirname(file), specifier!.replace(/\.[jt]s$/, '.d.ts')));
        else packages.add(specifier!);
      }
    };
    visit(join(root, 'dist/lib/index.d.ts'));
    assert.ok(seen.size > 5, `followed the imports of ${seen.size} files`);
    const foreign = [...packages].filter((name) => !name.startsWith('node:') && !(name in pkg.dependencies));
    assert.deepEqual(foreign, []);
  });
});
