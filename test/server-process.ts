import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { within } from './helpers.ts';

export const root = fileURLToPath(new URL('..', import.meta.url));

/** Starting server.ts under tsx takes seconds on a loaded machine. */
const START_MS = 20_000;

export interface ServerProcess {
  child: ChildProcess;
  port: number;
  base: string;
  /** Sends SIGTERM and resolves with the exit code. */
  stop(): Promise<number | null>;
}

/**
 * Starts server.ts as a child process on 127.0.0.1 and reads its port from the "listening" log line;
 * killed with SIGKILL when the test ends if it is still running.
 */
export async function startServerProcess(t: TestContext, env: Record<string, string>): Promise<ServerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server.ts'], {
    cwd: root,
    env: { PATH: process.env.PATH, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = once(child, 'exit') as Promise<[number | null]>;
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const lines = createInterface({ input: child.stdout! });
  const port = await within(
    new Promise<number>((resolve, reject) => {
      lines.on('line', (line) => {
        const record = JSON.parse(line) as { msg: string; port?: number };
        if (record.msg === 'listening') resolve(record.port!);
      });
      void exited.then(() => reject(new Error(`server exited before listening: ${stderr}`)));
    }),
    'the listening log line',
    START_MS,
  );
  return {
    child,
    port,
    base: `http://127.0.0.1:${port}`,
    async stop() {
      child.kill('SIGTERM');
      const [code] = await within(exited, 'the server to exit after SIGTERM', 15_000);
      return code;
    },
  };
}
