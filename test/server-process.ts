import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { within } from './helpers.ts';

export const root = fileURLToPath(new URL('..', import.meta.url));

/** Starting server.ts under tsx takes seconds on a loaded machine. */
const START_MS = 20_000;
const EXIT_MS = 15_000;

export type LogLine = Record<string, unknown> & { msg: string };

/** A server.ts child process: what it has printed so far, and its exit. */
export interface SpawnedServer {
  child: ChildProcess;
  /** Every JSON log line printed so far. */
  logs: LogLine[];
  /** Resolves with the first log line with this message that matches, from line `since` on (default: the first). */
  waitForLog(
    msg: string,
    options?: { match?: (line: LogLine) => boolean; since?: number; ms?: number },
  ): Promise<LogLine>;
  stdout(): string;
  stderr(): string;
  exited: Promise<[number | null, NodeJS.Signals | null]>;
}

/** A server.ts process that is listening on a loopback port. */
export interface ServerProcess extends SpawnedServer {
  port: number;
  base: string;
  wsUrl(clientId: string): string;
  /** GET a JSON route (loopback callers need no admin token). */
  get<T>(path: string): Promise<{ status: number; body: T }>;
  /** Sends SIGTERM and resolves with the exit code. */
  stop(): Promise<number | null>;
}

/**
 * Spawns server.ts with `env` (on 127.0.0.1, port 0 unless `env` says otherwise) and `args`; SIGKILLed
 * when the test (or group) ends if it is still running.
 */
export function spawnServer(
  t: Pick<TestContext, 'after'>,
  env: Record<string, string>,
  args: string[] = [],
): SpawnedServer {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server.ts', ...args], {
    cwd: root,
    env: { PATH: process.env.PATH, HOST: '127.0.0.1', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk) => (stdout += chunk));
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const logs: LogLine[] = [];
  const waiters: Array<{ test: (line: LogLine) => boolean; resolve: (line: LogLine) => void }> = [];
  createInterface({ input: child.stdout! }).on('line', (text) => {
    if (!text.startsWith('{')) return;
    const line = JSON.parse(text) as LogLine;
    logs.push(line);
    for (const waiter of waiters.filter((w) => w.test(line))) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve(line);
    }
  });
  const name = env.INSTANCE_ID ?? 'server';
  const waitForLog: SpawnedServer['waitForLog'] = (msg, { match = () => true, since = 0, ms = 10_000 } = {}) => {
    const test = (line: LogLine) => line.msg === msg && match(line);
    const seen = logs.slice(since).find(test);
    if (seen) return Promise.resolve(seen);
    return within(
      new Promise<LogLine>((resolve) => waiters.push({ test, resolve })),
      `log line '${msg}' of ${name}`,
      ms,
    );
  };
  return { child, logs, waitForLog, stdout: () => stdout, stderr: () => stderr, exited };
}

/** Spawns server.ts and resolves once it logs that it is listening (rejects if it exits first). */
export async function startServerProcess(
  t: Pick<TestContext, 'after'>,
  env: Record<string, string>,
  args: string[] = [],
): Promise<ServerProcess> {
  const server = spawnServer(t, env, args);
  const listening = await Promise.race([
    server.waitForLog('listening', { ms: START_MS }),
    server.exited.then(() => Promise.reject(new Error(`server exited before listening: ${server.stderr()}`))),
  ]);
  const port = listening.port as number;
  const base = `http://127.0.0.1:${port}`;
  return {
    ...server,
    port,
    base,
    wsUrl: (clientId) => `ws://127.0.0.1:${port}/ws/${clientId}`,
    async get<T>(path: string) {
      const res = await fetch(base + path);
      return { status: res.status, body: (await res.json()) as T };
    },
    async stop() {
      server.child.kill('SIGTERM');
      const [code] = await within(server.exited, 'the server to exit after SIGTERM', EXIT_MS);
      return code;
    },
  };
}

/** Runs server.ts until it exits by itself; resolves with its exit code and output. */
export async function runServerToExit(t: Pick<TestContext, 'after'>, env: Record<string, string>, args: string[] = []) {
  const server = spawnServer(t, env, args);
  const [code] = await within(server.exited, 'the server to exit', EXIT_MS);
  return { code, stdout: server.stdout(), stderr: server.stderr() };
}
