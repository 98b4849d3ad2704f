import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { within } from './helpers.ts';

const root = fileURLToPath(new URL('..', import.meta.url));

type LogLine = Record<string, unknown> & { msg: string };

/** One server.ts process, as an operator runs it behind a load balancer. */
export interface Instance {
  child: ChildProcess;
  port: number;
  base: string;
  wsUrl(clientId: string): string;
  /** Every JSON log line so far. */
  logs: LogLine[];
  /** Resolves with the first log line with this message that matches, from line `since` on (default: the first). */
  waitForLog(
    msg: string,
    options?: { match?: (line: LogLine) => boolean; since?: number; ms?: number },
  ): Promise<LogLine>;
  exited: Promise<[number | null, NodeJS.Signals | null]>;
  /** GET a JSON admin route (loopback callers need no token). */
  get<T>(path: string): Promise<{ status: number; body: T }>;
}

/** Starts server.ts with `env` on a free loopback port, logging at info; SIGKILLed when the test (or group) ends. */
export async function startInstance(t: Pick<TestContext, 'after'>, env: Record<string, string>): Promise<Instance> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server.ts'], {
    cwd: root,
    env: { PATH: process.env.PATH, HOST: '127.0.0.1', PORT: '0', MEETINGMUSE_ENGINE: 'echo', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.after(() => {
    child.kill('SIGKILL');
  });
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  const logs: LogLine[] = [];
  const waiters: Array<{ test: (line: LogLine) => boolean; resolve: (line: LogLine) => void }> = [];
  createInterface({ input: child.stdout! }).on('line', (text) => {
    const line = JSON.parse(text) as LogLine;
    logs.push(line);
    for (const waiter of waiters.filter((w) => w.test(line))) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve(line);
    }
  });
  const waitForLog: Instance['waitForLog'] = (msg, { match = () => true, since = 0, ms = 10_000 } = {}) => {
    const test = (line: LogLine) => line.msg === msg && match(line);
    const seen = logs.slice(since).find(test);
    if (seen) return Promise.resolve(seen);
    return within(
      new Promise<LogLine>((resolve) => waiters.push({ test, resolve })),
      `log line '${msg}' of ${env.INSTANCE_ID ?? 'instance'}`,
      ms,
    );
  };
  const listening = waitForLog('listening', { ms: 20_000 });
  const port = (
    await Promise.race([
      listening,
      exited.then(() => Promise.reject(new Error(`server exited before listening: ${stderr}`))),
    ])
  ).port as number;
  const base = `http://127.0.0.1:${port}`;
  return {
    child,
    port,
    base,
    wsUrl: (clientId) => `ws://127.0.0.1:${port}/ws/${clientId}`,
    logs,
    waitForLog,
    exited,
    async get<T>(path: string) {
      const res = await fetch(base + path);
      return { status: res.status, body: (await res.json()) as T };
    },
  };
}
