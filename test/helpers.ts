import { once, type EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IncomingMessage } from 'node:http';
import type { TestContext } from 'node:test';
import WebSocket from 'ws';
import { createChatServer, type ChatServer, type ChatServerOptions, type ConversationEngine } from '../lib/index.ts';
import type { Logger, LogFields } from '../lib/logger.ts';

export const WAIT_MS = 2_000;

/** Resolves with the promise, or rejects naming what it waited for after `ms`. */
export function within<T>(promise: Promise<T>, what: string, ms = WAIT_MS): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Resolves once `condition` holds, checked every few milliseconds, or rejects naming what it waited for
 * after `ms`: for state another thread changes, which sends no event (a file a worker writes).
 */
export function eventually(condition: () => boolean, what: string, ms = WAIT_MS): Promise<void> {
  const deadline = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const check = () => {
      if (condition()) return resolve();
      if (Date.now() > deadline) return reject(new Error(`timed out after ${ms} ms waiting for ${what}`));
      setTimeout(check, 5);
    };
    check();
  });
}

export function waitFor<T extends unknown[] = unknown[]>(
  emitter: EventEmitter,
  event: string,
  ms = WAIT_MS,
): Promise<T> {
  return within(once(emitter, event) as Promise<T>, `'${event}'`, ms);
}

export interface TestServer {
  server: ChatServer;
  port: number;
  base: string;
  wsUrl(clientId: string, query?: string): string;
}

/** A server on 127.0.0.1 port 0 with a silent logger, closed (for real) when the test ends. */
export async function startServer(t: TestContext, options: ChatServerOptions = {}): Promise<TestServer> {
  const server = createChatServer(options);
  t.after(() => server.close());
  const { port } = await server.listen(0, '127.0.0.1');
  const base = `http://127.0.0.1:${port}`;
  return { server, port, base, wsUrl: (id, query = '') => `ws://127.0.0.1:${port}/ws/${id}${query}` };
}

export type Frame = Record<string, unknown> & { type: string };

export interface TestClient {
  ws: WebSocket;
  /** Every frame received so far, in order. */
  frames: Frame[];
  /** The next frame not yet returned by next(), waiting up to `ms`. */
  next(ms?: number): Promise<Frame>;
  /** Skips frames until one of `type` arrives. */
  nextOfType(type: string, ms?: number): Promise<Frame>;
  send(message: unknown): void;
  /** Resolves with the close code and reason. */
  closed: Promise<{ code: number; reason: string }>;
}

/** A ws client that buffers every frame from the moment the socket exists, so none is missed. */
export function openClient(t: TestContext, url: string, options?: WebSocket.ClientOptions): TestClient {
  const ws = new WebSocket(url, options);
  t.after(() => ws.terminate());
  ws.on('error', () => {});
  const frames: Frame[] = [];
  let cursor = 0;
  let wake: (() => void) | undefined;
  ws.on('message', (data) => {
    frames.push(JSON.parse(data.toString()) as Frame);
    wake?.();
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    ws.on('close', (code, reason) => {
      resolve({ code, reason: reason.toString() });
      wake?.();
    });
  });
  async function next(ms = WAIT_MS): Promise<Frame> {
    const deadline = Date.now() + ms;
    while (cursor >= frames.length) {
      if (ws.readyState === WebSocket.CLOSED) throw new Error(`socket closed while waiting for frame #${cursor + 1}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out after ${ms} ms waiting for frame #${cursor + 1}`);
      await within(new Promise<void>((resolve) => (wake = resolve)), `frame #${cursor + 1}`, left);
    }
    return frames[cursor++]!;
  }
  // Bounded for whoever awaits it; a test that never does (it outlives the bound) must not fail on it.
  const closedWithin = within(closed, `close of ${url}`, 10_000);
  closedWithin.catch(() => {});
  return {
    ws,
    frames,
    next,
    async nextOfType(type, ms = WAIT_MS) {
      for (;;) {
        const frame = await next(ms);
        if (frame.type === type) return frame;
      }
    },
    send: (message) => ws.send(typeof message === 'string' ? message : JSON.stringify(message)),
    closed: closedWithin,
  };
}

/** Opens a socket that the server must refuse before the handshake; resolves with the HTTP response and its body. */
export async function refusedUpgrade(
  url: string,
  options?: WebSocket.ClientOptions,
): Promise<IncomingMessage & { body: string }> {
  const ws = new WebSocket(url, options);
  ws.on('open', () => {
    throw new Error(`upgrade to ${url} should have been refused`);
  });
  ws.on('error', () => {});
  const [, res] = await waitFor<[unknown, IncomingMessage]>(ws, 'unexpected-response');
  let body = '';
  for await (const chunk of res) body += chunk;
  return Object.assign(res, { body });
}

/** Opens a client and waits for its connection_established frame. */
export async function connectClient(
  t: TestContext,
  url: string,
  options?: WebSocket.ClientOptions,
): Promise<TestClient & { established: Frame }> {
  const client = openClient(t, url, options);
  const established = await client.next();
  if (established.content !== 'connection_established')
    throw new Error(`expected connection_established, got ${JSON.stringify(established)}`);
  return { ...client, established };
}

export const userMessage = (content: string, extra: Record<string, unknown> = {}) => ({
  type: 'user_message',
  content,
  session_id: 'test',
  ...extra,
});

type LogLine = LogFields & { level: string; msg: string };

/** A logger that records every line and lets a test await one by its message (and, optionally, its fields). */
export function recordingLogger(): Logger & {
  lines: LogLine[];
  waitFor(msg: string, match?: (line: LogLine) => boolean, ms?: number): Promise<LogLine>;
} {
  const lines: LogLine[] = [];
  const waiters: Array<{ test: (line: LogLine) => boolean; resolve: (line: LogLine) => void }> = [];
  const record =
    (level: string) =>
    (msg: string, fields: LogFields = {}) => {
      const line = { level, msg, ...fields };
      lines.push(line);
      for (const waiter of waiters.filter((w) => w.test(line))) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(line);
      }
    };
  return {
    lines,
    debug: record('debug'),
    info: record('info'),
    warn: record('warn'),
    error: record('error'),
    waitFor(msg, match = () => true, ms = WAIT_MS) {
      const test = (line: LogLine) => line.msg === msg && match(line);
      const seen = lines.find(test);
      if (seen) return Promise.resolve(seen);
      return within(new Promise((resolve) => waiters.push({ test, resolve })), `log line '${msg}'`, ms);
    },
  };
}

/** A fresh temporary folder, removed when the test ends. */
export function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'meetingmuse-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * An engine that answers each message at once with `reply(content)` (default `Echo: <content>`), except
 * one whose content is `held`, which waits until release(): how a test keeps a turn running.
 */
export function holdingEngine(held = 'slow', reply = (content: string) => `Echo: ${content}`) {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const engine: ConversationEngine = {
    async reply(message) {
      if (message.content === held) await released;
      return { replies: [{ content: reply(message.content) }] };
    },
  };
  return { engine, release };
}
