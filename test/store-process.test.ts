import assert from 'node:assert/strict';
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { connectClient, tempDir, userMessage } from './helpers.ts';
import { runServerToExit, startServerProcess } from './server-process.ts';
import { corruptTable } from './store-files.ts';

async function health(port: number) {
  const res = await fetch(`http://127.0.0.1:${port}/health`);
  return { status: res.status, body: (await res.json()) as { status: string; reason?: string } };
}

describe('the database file of a running server', { timeout: 60_000 }, () => {
  // Two servers on one file each cached engine state and wrote it back over the other's: a
  // confirmed booking was erased and meeting ids were reused.
  it('is held by one server: a second refuses to start with one line, and a later one starts once the first is gone', async (t) => {
    const db = join(tempDir(t), 'mm.db');
    const first = await startServerProcess(t, { MEETINGMUSE_DB: db, MEETINGMUSE_ENGINE: 'echo' });
    const second = await runServerToExit(t, { MEETINGMUSE_DB: db, MEETINGMUSE_ENGINE: 'echo' });
    assert.equal(second.code, 1);
    assert.equal(second.stderr, `cannot open database ${db}: in use by another process (it holds ${db}.lock)\n`);
    assert.equal(second.stdout, '');
    first.child.kill('SIGKILL');
    await first.exited;
    const third = await startServerProcess(t, { MEETINGMUSE_DB: db, MEETINGMUSE_ENGINE: 'echo' });
    assert.equal((await health(third.port)).status, 200);
  });

  // The file deleted under a running server: turns went on "succeeding" into an unlinked file,
  // /health stayed 200, nothing was logged, and a restart found none of those conversations.
  it('when deleted, turns the server unhealthy: turns refused with STORAGE_UNAVAILABLE, /health 503, logged once', async (t) => {
    const db = join(tempDir(t), 'mm.db');
    const server = await startServerProcess(t, { MEETINGMUSE_DB: db, MEETINGMUSE_ENGINE: 'echo' });
    const client = await connectClient(t, `ws://127.0.0.1:${server.port}/ws/deleted-1`);
    client.send(userMessage('before', { message_id: 'b1' }));
    assert.equal((await client.nextOfType('bot_response')).content, 'Echo: before');
    rmSync(db);
    for (const id of ['a1', 'a2']) {
      client.send(userMessage('after', { message_id: id }));
      const refused = await client.nextOfType('error');
      assert.deepEqual(
        [refused.error_code, refused.reply_to, refused.retry_suggested],
        ['STORAGE_UNAVAILABLE', id, true],
      );
    }
    assert.ok(!client.frames.some((f) => f.content === 'Echo: after'), 'no reply that was not stored');
    const { status, body } = await health(server.port);
    assert.deepEqual([status, body.status, body.reason], [503, 'unhealthy', 'database file deleted']);
    const again = await connectClient(t, `ws://127.0.0.1:${server.port}/ws/deleted-2`);
    assert.equal((await again.next()).error_code, 'STORAGE_UNAVAILABLE');
    const reports = server.logs.filter((line) => line.msg === 'database unavailable');
    assert.deepEqual(
      reports.map(({ level, reason, path }) => ({ level, reason, path })),
      [{ level: 'error', reason: 'database file deleted', path: db }],
    );
  });

  it('when replaced by another file, turns the server unhealthy at the next write', async (t) => {
    const db = join(tempDir(t), 'mm.db');
    const server = await startServerProcess(t, { MEETINGMUSE_DB: db, MEETINGMUSE_ENGINE: 'echo' });
    const client = await connectClient(t, `ws://127.0.0.1:${server.port}/ws/replaced-1`);
    writeFileSync(`${db}.restored`, '');
    renameSync(`${db}.restored`, db);
    client.send(userMessage('after'));
    assert.equal((await client.nextOfType('error')).error_code, 'STORAGE_UNAVAILABLE');
    const { status, body } = await health(server.port);
    assert.deepEqual([status, body.status, body.reason], [503, 'unhealthy', 'database file replaced']);
  });

  // A database with a corrupt page started, reported healthy, and some users got
  // INTERNAL_SERVER_ERROR on every turn.
  it('with a corrupt page stops the server at start: one line, exit 1', async (t) => {
    const db = join(tempDir(t), 'mm.db');
    const server = await startServerProcess(t, { MEETINGMUSE_DB: db, MEETINGMUSE_ENGINE: 'echo' });
    const client = await connectClient(t, `ws://127.0.0.1:${server.port}/ws/corrupt-1`);
    client.send(userMessage('hello'));
    await client.nextOfType('bot_response');
    server.child.kill('SIGTERM');
    await server.exited;
    corruptTable(db, 'turns');
    const { code, stdout, stderr } = await runServerToExit(t, { MEETINGMUSE_DB: db, MEETINGMUSE_ENGINE: 'echo' });
    assert.equal(code, 1);
    assert.match(stderr, /^cannot open database .+: the file is corrupt \(quick_check: [^\n]+\)\n$/);
    assert.equal(stdout, '');
  });

  it('that turns corrupt while running makes the server unhealthy at the first read of a bad page', async (t) => {
    const db = join(tempDir(t), 'mm.db');
    const server = await startServerProcess(t, { MEETINGMUSE_DB: db, MEETINGMUSE_ENGINE: 'echo' });
    const first = await connectClient(t, `ws://127.0.0.1:${server.port}/ws/corrupt-2`);
    first.send(userMessage('hello'));
    await first.nextOfType('bot_response');
    corruptTable(db, 'sessions');
    const second = await connectClient(t, `ws://127.0.0.1:${server.port}/ws/corrupt-2`);
    assert.equal((await second.next()).error_code, 'STORAGE_UNAVAILABLE');
    const { status, body } = await health(server.port);
    assert.deepEqual([status, body.status, body.reason], [503, 'unhealthy', 'database file is corrupt']);
    assert.equal(server.logs.filter((line) => line.msg === 'database unavailable').length, 1);
  });
});
