import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, it, type TestContext } from 'node:test';
import { connectClient, tempDir, within } from './helpers.ts';
import { root, startServerProcess } from './server-process.ts';

/** tsx compiles a script on start; on a loaded machine that takes seconds. */
const CLI_MS = 20_000;

interface Cli {
  child: ChildProcess;
  lines: string[];
  /** Resolves with the first line (seen before or after the call) that matches. */
  waitLine(pattern: RegExp, ms?: number): Promise<string>;
  type(line: string): void;
  exited: Promise<number | null>;
}

/** Runs one of scripts/ as a child process, its stdout read line by line. */
function runScript(t: TestContext, script: string, args: string[], env: Record<string, string> = {}): Cli {
  const child = spawn(process.execPath, ['--import', 'tsx', join('scripts', script), ...args], {
    cwd: root,
    env: { PATH: process.env.PATH, HOME: tempDir(t), ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const lines: string[] = [];
  const waiters: Array<{ pattern: RegExp; resolve: (line: string) => void }> = [];
  const onLine = (line: string) => {
    lines.push(line);
    for (const w of waiters.filter((w) => w.pattern.test(line))) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(line);
    }
  };
  createInterface({ input: child.stdout! }).on('line', onLine);
  createInterface({ input: child.stderr! }).on('line', (line) => onLine(`stderr: ${line}`));
  const exited = once(child, 'close').then(([code]) => code as number | null);
  return {
    child,
    lines,
    waitLine(pattern, ms = CLI_MS) {
      const seen = lines.find((line) => pattern.test(line));
      if (seen) return Promise.resolve(seen);
      return within(
        new Promise<string>((resolve) => waiters.push({ pattern, resolve })),
        `a line matching ${pattern}`,
        ms,
      ).catch((err: Error) => {
        throw new Error(`${err.message}; the lines so far: ${lines.join(' | ')}`);
      });
    },
    type: (line) => child.stdin!.write(`${line}\n`),
    exited: within(exited, `${script} to exit`, CLI_MS * 2),
  };
}

describe('npm run client', { timeout: 90_000 }, () => {
  it('prints its usage on --help and exits 0', async (t) => {
    const cli = runScript(t, 'test-websocket-client.ts', ['--help']);
    assert.equal(await cli.exited, 0);
    assert.match(cli.lines.join('\n'), /--admin-token <token>[\s\S]*--broadcast/);
  });

  it('refuses an unknown option with its usage and exit code 2', async (t) => {
    const cli = runScript(t, 'test-websocket-client.ts', ['--bogus']);
    assert.equal(await cli.exited, 2);
    assert.match(cli.lines[0]!, /^stderr: Unknown option '--bogus'/);
  });

  it('passes against a server with ADMIN_TOKEN, and broadcasts only when asked', async (t) => {
    const server = await startServerProcess(t, { MEETINGMUSE_DB: ':memory:', ADMIN_TOKEN: 'admin-secret-1' });
    const bystander = await connectClient(t, `ws://127.0.0.1:${server.port}/ws/bystander-1`);
    // The helper bounds the wait for a close at 10 s from opening; this bystander stays open longer on purpose.
    bystander.closed.catch(() => {});
    const url = `ws://127.0.0.1:${server.port}/ws/client-check-1`;

    const quiet = runScript(t, 'test-websocket-client.ts', ['--url', url, '--admin-token', 'admin-secret-1']);
    assert.equal(await quiet.exited, 0, quiet.lines.join('\n'));
    assert.ok(quiet.lines.includes(`✓ connect to ${url}`), quiet.lines.join('\n'));
    assert.ok(quiet.lines.some((line) => /^✓ GET \/admin\/connections: 200/.test(line)));
    assert.ok(quiet.lines.some((line) => /^- POST \/admin\/broadcast skipped/.test(line)));

    const noToken = runScript(t, 'test-websocket-client.ts', ['--url', url]);
    assert.equal(await noToken.exited, 1);
    assert.ok(
      noToken.lines.some((line) => /^✗ GET \/health\/clients: 401 .*pass --admin-token/.test(line)),
      noToken.lines.join('\n'),
    );

    const loud = runScript(t, 'test-websocket-client.ts', [
      '--url',
      url,
      '--admin-token',
      'admin-secret-1',
      '--broadcast',
    ]);
    assert.equal(await loud.exited, 0, loud.lines.join('\n'));
    assert.ok(
      loud.lines.some((line) => line.startsWith('✓ broadcast received: ')),
      loud.lines.join('\n'),
    );
    assert.equal((await bystander.nextOfType('bot_response', CLI_MS)).content, 'Broadcast from the test client');
    assert.equal(
      bystander.frames.filter((f) => f.type === 'bot_response').length,
      1,
      'only the run with --broadcast reached the bystander',
    );
  });
});

describe('npm run chat', { timeout: 120_000 }, () => {
  it('prints its usage on --help without connecting', async (t) => {
    const cli = runScript(t, 'chat.ts', ['--help', '--url', 'ws://127.0.0.1:9']);
    assert.equal(await cli.exited, 0);
    assert.match(cli.lines.join('\n'), /--tz <IANA zone>[\s\S]*--token <jwt>/);
  });

  it('books with numbered choices, rides out a server restart, and shows the history when resumed', async (t) => {
    const db = join(tempDir(t), 'chat.db');
    const home = tempDir(t);
    const first = await startServerProcess(t, { MEETINGMUSE_DB: db });
    const args = ['--url', `ws://127.0.0.1:${first.port}`, '--id', 'cli-berlin-1', '--tz', 'Europe/Berlin'];

    const chat = runScript(t, 'chat.ts', args, { HOME: home });
    await chat.waitLine(/^Connected as cli-berlin-1\./);
    chat.type('Book a design review with Bob tomorrow at 3pm');
    await chat.waitLine(/^ {5}\[draft\] Design review · .*3:00\s*[–-]\s*3:30\s*PM \(Europe\/Berlin\) · with Bob$/);
    await chat.waitLine(/^ {5}1\) Confirm {3}2\) Change {3}3\) Cancel$/);
    chat.type('1');
    await chat.waitLine(/^bot> Booked: Design review, .*\(Europe\/Berlin\) with Bob\.$/);

    // The server restarts on the same port; the chat reconnects by itself.
    assert.equal(await first.stop(), 0);
    await chat.waitLine(/^-- disconnected \(1001\); retrying in/);
    const second = await startServerProcess(t, { MEETINGMUSE_DB: db, PORT: String(first.port) });
    await chat.waitLine(/^-- reconnected$/);
    chat.type('show my meetings');
    await chat.waitLine(/^ {5}- Design review, /);
    chat.child.stdin!.end();
    assert.equal(await chat.exited, 0);

    const again = runScript(t, 'chat.ts', ['--url', `ws://127.0.0.1:${second.port}`, '--id', 'cli-berlin-1'], {
      HOME: home,
    });
    await again.waitLine(/^-- resuming your conversation \(6 messages on the server\); the last \d+ here:$/);
    await again.waitLine(/^bot> Booked: Design review/);
    again.child.stdin!.end();
    assert.equal(await again.exited, 0);
    assert.ok(!again.lines.some((line) => line.startsWith('Connected as')), 'a resumed chat does not greet as new');
  });
});
