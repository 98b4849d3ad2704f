// What the benchmark and the soak read about a server process from outside it: RSS and CPU time
// from /proc, and a full garbage collection asked for over its inspector port (loopback only).
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import WebSocket from 'ws';

/** Clock ticks per second for /proc/<pid>/stat times; 100 on every Linux this runs on. */
const CLOCK_TICKS = 100;

export function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024;
}

/** User plus system CPU time the process has used, in milliseconds. */
export function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name may hold spaces; the fields after its closing parenthesis are fixed.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
}

export interface ServerProcess {
  child: ChildProcess;
  pid: number;
  port: number;
  /** Asks V8 for two full collections (the second frees what the first's finalizers let go). */
  collectGarbage(): Promise<void>;
  /** SIGTERM, then waits for the exit. */
  stop(): Promise<void>;
  /** True once the process exited without stop() being called. */
  readonly crashed: boolean;
}

/**
 * Starts a Node server script with the inspector on a free loopback port and waits for the JSON
 * line `{"msg":"listening","port":N}` on its stdout. Other stdout is drained and dropped.
 */
export async function startServerProcess(
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv },
): Promise<ServerProcess> {
  const child = spawn(process.execPath, ['--inspect=127.0.0.1:0', ...args], {
    ...options,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stopping = false;
  let crashed = false;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('exit', (code, signal) => {
    if (stopping) return;
    crashed = true;
    console.error(`server ${args.join(' ')} exited: code ${code} signal ${signal}`);
  });
  const inspectorUrl = new Promise<string>((resolve) => {
    createInterface({ input: child.stderr! }).on('line', (line) => {
      const match = /Debugger listening on (ws:\/\/\S+)/.exec(line);
      if (match) resolve(match[1]!);
      else if (!/Debugger|For help|inspector/i.test(line)) console.error(line);
    });
  });
  const port = await new Promise<number>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      if (!line.startsWith('{')) return;
      const record = JSON.parse(line) as { msg?: string; port?: number };
      if (record.msg !== 'listening') return;
      // From here on the output is drained unread, so its parsing costs the measurement nothing.
      lines.close();
      child.stdout!.on('data', () => {});
      child.stdout!.resume();
      resolve(record.port!);
    });
    void exited.then(() => reject(new Error(`server ${args.join(' ')} exited before listening`)));
  });

  return {
    child,
    pid: child.pid!,
    port,
    get crashed() {
      return crashed;
    },
    async collectGarbage() {
      const inspector = new WebSocket(await inspectorUrl);
      await new Promise((resolve, reject) => inspector.once('open', resolve).once('error', reject));
      for (const id of [1, 2]) {
        const done = new Promise<void>((resolve) => {
          const onMessage = (data: WebSocket.RawData) => {
            if ((JSON.parse(data.toString()) as { id?: number }).id !== id) return;
            inspector.off('message', onMessage);
            resolve();
          };
          inspector.on('message', onMessage);
        });
        inspector.send(JSON.stringify({ id, method: 'HeapProfiler.collectGarbage' }));
        await done;
      }
      inspector.close();
    },
    async stop() {
      stopping = true;
      child.kill('SIGTERM');
      await exited;
    },
  };
}
