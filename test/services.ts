import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import pg from 'pg';
import { within } from './helpers.ts';

/**
 * Real Postgres and Redis servers for the tests that need them, started once per test file on free
 * loopback ports in temporary folders and stopped by PID when the file's tests end. Debian's
 * `postgresql` and `redis-server` packages provide the binaries (`.ci/run` installs them); a machine
 * without them skips those tests with `servicesMissing()`'s message.
 */

const START_MS = 30_000;
const STOP_MS = 10_000;

/** The folder of Postgres's server binaries (initdb, postgres), newest major version first. */
function postgresBinDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => /^\d+$/.test(v))
    .sort((a, b) => Number(b) - Number(a));
  return versions.map((v) => join(root, v, 'bin')).find((dir) => existsSync(join(dir, 'postgres')));
}

function redisBin(): string | undefined {
  return ['/usr/bin/redis-server', '/usr/local/bin/redis-server'].find((path) => existsSync(path));
}

/** Why the services cannot run here, or undefined when they can; pass it as `skip`. */
export function servicesMissing(): string | undefined {
  const missing = [
    postgresBinDir() ? undefined : 'postgres (Debian package postgresql)',
    redisBin() ? undefined : 'redis-server',
  ];
  const names = missing.filter(Boolean);
  return names.length === 0 ? undefined : `needs ${names.join(' and ')} installed locally (.ci/run installs them)`;
}

/** A port that was free a moment ago; the caller retries if another process takes it first. */
async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Postgres refuses to run as root: as root, run it as the `postgres` user, which must own its folders. */
function runAs(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => Number(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout.trim());
  return { uid: id('-u'), gid: id('-g') };
}

/** Spawns a server and resolves once a line of its output matches `ready`; rejects with its output if it exits first. */
async function startDaemon(
  command: string,
  args: string[],
  ready: RegExp,
  what: string,
  user?: { uid: number; gid: number },
): Promise<ChildProcess> {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...user });
  let output = '';
  const exited = once(child, 'exit');
  await within(
    new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (ready.test(output)) resolve();
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      void exited.then(() => reject(new Error(`${what} exited before it was ready:\n${output}`)));
    }),
    `${what} to accept connections`,
    START_MS,
  ).catch((err: unknown) => {
    child.kill('SIGKILL');
    throw err;
  });
  // Keep draining the pipes so a chatty server never blocks on a full one.
  child.stdout!.resume();
  child.stderr!.resume();
  return child;
}

/** Signals the child and waits for it to exit; SIGKILL if it has not within STOP_MS. */
async function stopDaemon(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill(signal);
  await within(exited, `pid ${child.pid} to exit`, STOP_MS).catch(async () => {
    child.kill('SIGKILL');
    await exited;
  });
}

/** Tries a daemon on fresh ports until one binds (another process may take a port between check and bind). */
async function onFreePort(
  start: (port: number) => Promise<ChildProcess>,
): Promise<{ child: ChildProcess; port: number }> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    try {
      return { child: await start(port), port };
    } catch (err) {
      lastError = err;
    }
  }
  throw lastError;
}

/**
 * Signals a process and its direct children. Postgres backends each start their own session, so a
 * process-group signal would miss them; the postmaster goes first so that it forks no new one meanwhile.
 */
function signalTree(pid: number, signal: NodeJS.Signals): void {
  process.kill(pid, signal);
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // /proc/<pid>/stat: "pid (comm) state ppid …"; comm may hold spaces, so read after the last ')'.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) process.kill(Number(entry), signal);
    } catch {
      // The process ended meanwhile.
    }
  }
}

export interface PostgresService {
  readonly port: number;
  /** The PID of the running postmaster. */
  readonly pid: number;
  /** A new empty database, for one test; its URL. */
  createDatabase(): Promise<string>;
  /** Fast shutdown: clients are disconnected, the data stays. */
  stop(): Promise<void>;
  /** Starts the stopped server again on the same port and data. */
  start(): Promise<void>;
  /** SIGSTOP / SIGCONT to the server and its backends: connections are accepted but nothing answers (a stalled database). Linux only. */
  pause(): void;
  resume(): void;
}

/** Starts a throwaway Postgres cluster (initdb in a temporary folder); destroy() stops it and removes the folder. */
export async function startPostgres(): Promise<PostgresService & { destroy(): Promise<void> }> {
  const bin = postgresBinDir()!;
  const user = runAs();
  const dir = mkdtempSync(join(tmpdir(), 'meetingmuse-pg-'));
  const data = join(dir, 'data');
  const sockets = join(dir, 'sockets');
  mkdirSync(sockets);
  if (user) {
    chownSync(dir, user.uid, user.gid);
    chownSync(sockets, user.uid, user.gid);
  }
  const init = spawnSync(
    join(bin, 'initdb'),
    ['-D', data, '-U', 'postgres', '-A', 'trust', '--no-sync', '--no-instructions', '-E', 'UTF8', '--locale=C'],
    {
      encoding: 'utf8',
      ...user,
    },
  );
  if (init.status !== 0) throw new Error(`initdb failed:\n${init.stderr}`);

  let child: ChildProcess;
  let port = 0;
  const launch = (p: number) =>
    startDaemon(
      join(bin, 'postgres'),
      // Durability settings off: a test cluster lives for one file, and fsync only costs time here.
      [
        '-D',
        data,
        '-p',
        String(p),
        '-k',
        sockets,
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        'fsync=off',
        '-c',
        'synchronous_commit=off',
        '-c',
        'full_page_writes=off',
        '-c',
        'max_connections=200',
      ],
      /database system is ready to accept connections/,
      'postgres',
      user,
    );
  ({ child, port } = await onFreePort(launch));
  let databases = 0;
  const url = (db: string) => `postgres://postgres@127.0.0.1:${port}/${db}`;
  return {
    get port() {
      return port;
    },
    get pid() {
      return child.pid!;
    },
    async createDatabase() {
      const name = `test_${process.pid}_${++databases}`;
      const admin = new pg.Client({ connectionString: url('postgres') });
      await admin.connect();
      try {
        await admin.query(`CREATE DATABASE ${name}`);
      } finally {
        await admin.end();
      }
      return url(name);
    },
    stop: () => stopDaemon(child, 'SIGINT'),
    async start() {
      child = await launch(port);
    },
    pause: () => signalTree(child.pid!, 'SIGSTOP'),
    resume: () => signalTree(child.pid!, 'SIGCONT'),
    async destroy() {
      signalTree(child.pid!, 'SIGCONT');
      await stopDaemon(child, 'SIGQUIT');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface RedisService {
  readonly port: number;
  readonly url: string;
  readonly pid: number;
  /** Stops the server; its data is gone (nothing is saved). */
  stop(): Promise<void>;
  /** Starts it again on the same port. */
  start(): Promise<void>;
}

/** Starts a throwaway redis-server that saves nothing; destroy() stops it and removes its folder. */
export async function startRedis(): Promise<RedisService & { destroy(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'meetingmuse-redis-'));
  let child: ChildProcess;
  let port = 0;
  const launch = (p: number) =>
    startDaemon(
      redisBin()!,
      ['--port', String(p), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
      /Ready to accept connections/,
      'redis-server',
    );
  ({ child, port } = await onFreePort(launch));
  return {
    get port() {
      return port;
    },
    get url() {
      return `redis://127.0.0.1:${port}`;
    },
    get pid() {
      return child.pid!;
    },
    stop: () => stopDaemon(child, 'SIGTERM'),
    async start() {
      child = await launch(port);
    },
    async destroy() {
      await stopDaemon(child, 'SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Starts Postgres (and Redis with `redis: true`) before this file's tests and stops them after; call
 * at the top level of a test file. The getter throws if used when `servicesMissing()` says skip.
 */
export function useServices({ redis = false } = {}): () => { postgres: PostgresService; redis: RedisService } {
  let postgres: Awaited<ReturnType<typeof startPostgres>> | undefined;
  let redisService: Awaited<ReturnType<typeof startRedis>> | undefined;
  before(
    async () => {
      if (servicesMissing()) return;
      [postgres, redisService] = await Promise.all([startPostgres(), redis ? startRedis() : undefined]);
    },
    { timeout: START_MS * 2 },
  );
  after(async () => {
    await Promise.all([postgres?.destroy(), redisService?.destroy()]);
  });
  return () => {
    if (!postgres || (redis && !redisService)) throw new Error('services not started');
    return { postgres, redis: redisService! };
  };
}
