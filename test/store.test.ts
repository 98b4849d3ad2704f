import assert from 'node:assert/strict';
import { renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import Database from 'better-sqlite3';
import { createSqliteStore } from '../lib/sqlite-store.ts';
import { botResponseFrame } from '../lib/protocol.ts';
import { createMemoryStore, type StoreOptions } from '../lib/store.ts';
import { eventually, recordingLogger, tempDir } from './helpers.ts';
import { storeContract, turn } from './store-contract.ts';
import { corruptTable, refuseTurns } from './store-files.ts';

function sqliteStore(t: TestContext, options?: StoreOptions) {
  const store = createSqliteStore(join(tempDir(t), 'test.db'), options);
  t.after(() => store.close());
  return store;
}

storeContract('memory', (_t, options) => createMemoryStore(options));
storeContract('sqlite', sqliteStore);

describe('sqlite store', () => {
  const T0 = new Date('2026-01-05T10:00:00.000Z');

  it('keeps conversations in the file across reopen', async (t) => {
    const path = join(tempDir(t), 'nested', 'folder', 'mm.db');
    const first = createSqliteStore(path);
    await first.commitTurn('c-1', turn('hello', 'm1', { n: 1 }), T0);
    await first.close();
    const second = createSqliteStore(path);
    t.after(() => second.close());
    assert.equal((await second.openSession('c-1', T0)).messages, 2);
    assert.deepEqual(await second.loadState('c-1'), { n: 1 });
  });

  it('opens a file of schema version 3, counting each history instead of reading a stored count', async (t) => {
    const path = join(tempDir(t), 'v3.db');
    const old = new Database(path);
    old.exec(`
      CREATE TABLE sessions (client_id TEXT PRIMARY KEY, created_at INTEGER NOT NULL, last_active_at INTEGER NOT NULL,
        state TEXT, message_count INTEGER NOT NULL DEFAULT 0);
      CREATE TABLE messages (client_id TEXT NOT NULL, seq INTEGER NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('user', 'assistant')), content TEXT NOT NULL, timestamp TEXT NOT NULL,
        message_id TEXT, frame TEXT, delivered INTEGER NOT NULL DEFAULT 1, PRIMARY KEY (client_id, seq)) WITHOUT ROWID;
      CREATE INDEX sessions_by_activity ON sessions (last_active_at);
      PRAGMA user_version = 3;
    `);
    // A stored count that is wrong: the rows decide.
    old.prepare('INSERT INTO sessions VALUES (?, ?, ?, ?, ?)').run('a', T0.getTime(), T0.getTime(), null, 7);
    old.prepare("INSERT INTO messages VALUES ('a', 1, 'user', 'one', ?, NULL, NULL, 1)").run(T0.toISOString());
    old.close();

    const store = createSqliteStore(path, { maxHistoryMessages: 2 });
    t.after(() => store.close());
    assert.equal((await store.openSession('a', T0)).messages, 1);
    const [reply] = await store.commitTurn('a', turn('two'), T0);
    await store.markDelivered('a', [reply!.id]);
    assert.deepEqual(
      (await store.getSession('a'))!.history.map((h) => h.content),
      ['two', 'Echo: two'],
    );
  });

  it('keeps the exact time of last activity for reads and sweeps while the file may lag behind it', async (t) => {
    const store = sqliteStore(t);
    const at = (ms: number) => new Date(T0.getTime() + ms);
    await store.commitTurn('c-1', turn('one'), T0);
    await store.commitTurn('c-1', turn('two'), at(1_000));
    assert.equal((await store.getSession('c-1'))!.last_active_at, at(1_000).toISOString());
    await store.commitTurn('c-1', turn('three'), at(2_000));
    assert.equal(await store.sweep(at(1_500)), 0, 'active after the cutoff: kept');
    assert.equal(await store.sweep(at(2_001)), 1);
  });

  it('opens a file of schema version 2, keeping each history in order with its pending replies', async (t) => {
    const path = join(tempDir(t), 'v2.db');
    const old = new Database(path);
    old.exec(`
      CREATE TABLE sessions (client_id TEXT PRIMARY KEY, created_at INTEGER NOT NULL, last_active_at INTEGER NOT NULL,
        state TEXT, message_count INTEGER NOT NULL DEFAULT 0);
      CREATE TABLE messages (id INTEGER PRIMARY KEY AUTOINCREMENT,
        client_id TEXT NOT NULL REFERENCES sessions(client_id) ON DELETE CASCADE,
        role TEXT NOT NULL CHECK (role IN ('user', 'assistant')), content TEXT NOT NULL, timestamp TEXT NOT NULL,
        message_id TEXT, frame TEXT, delivered INTEGER NOT NULL DEFAULT 1);
      CREATE INDEX messages_by_client ON messages (client_id, id);
      CREATE INDEX messages_by_message_id ON messages (client_id, message_id) WHERE message_id IS NOT NULL;
      CREATE INDEX sessions_by_activity ON sessions (last_active_at);
      PRAGMA user_version = 2;
    `);
    const frame = (content: string, replyTo?: string) =>
      JSON.stringify(botResponseFrame({ content }, { session_id: 'c', reply_to: replyTo }, T0.toISOString()));
    old.prepare('INSERT INTO sessions VALUES (?, ?, ?, ?, ?)').run('a', T0.getTime(), T0.getTime(), '{"n":2}', 4);
    old.prepare('INSERT INTO sessions VALUES (?, ?, ?, ?, ?)').run('b', T0.getTime(), T0.getTime(), null, 2);
    const insert = old.prepare(
      'INSERT INTO messages (client_id, role, content, timestamp, message_id, frame, delivered) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    insert.run('a', 'user', 'one', T0.toISOString(), 'm1', null, 1);
    insert.run('b', 'user', 'other', T0.toISOString(), null, null, 1);
    insert.run('a', 'assistant', 'Echo: one', T0.toISOString(), 'm1', frame('Echo: one', 'm1'), 1);
    insert.run('b', 'assistant', 'Echo: other', T0.toISOString(), null, frame('Echo: other'), 1);
    insert.run('a', 'user', 'two', T0.toISOString(), 'm2', null, 1);
    insert.run('a', 'assistant', 'Echo: two', T0.toISOString(), 'm2', frame('Echo: two', 'm2'), 0);
    old.close();

    const store = createSqliteStore(path, { maxHistoryMessages: 4 });
    t.after(() => store.close());
    const opened = await store.openSession('a', T0);
    assert.deepEqual([opened.messages, opened.pending.map((r) => r.frame.content)], [4, ['Echo: two']]);
    assert.deepEqual(await store.loadState('a'), { n: 2 });
    assert.deepEqual(
      (await store.findReplies('a', 'm1'))?.map((r) => r.frame.content),
      ['Echo: one'],
    );
    await store.markDelivered('a', [opened.pending[0]!.id]);
    const [reply] = await store.commitTurn('a', turn('three', 'm3'), T0);
    await store.markDelivered('a', [reply!.id]);
    assert.deepEqual(
      (await store.getSession('a'))!.history.map((h) => h.content),
      ['two', 'Echo: two', 'three', 'Echo: three'],
    );
    assert.deepEqual((await store.openSession('a', T0)).pending, []);
    assert.deepEqual(
      (await store.getSession('b'))!.history.map((h) => h.content),
      ['other', 'Echo: other'],
    );
  });

  // A turn overwrites the oldest row of its client's ring; replies of that row not yet delivered are
  // kept apart first, in the file, until they are.
  it('keeps undelivered replies the ring has moved past across a restart, and drops them once delivered', async (t) => {
    const path = join(tempDir(t), 'mm.db');
    const first = createSqliteStore(path, { maxHistoryMessages: 2 });
    for (const content of ['one', 'two', 'three']) await first.commitTurn('c-1', turn(content), T0);
    await first.close();
    const second = createSqliteStore(path, { maxHistoryMessages: 2 });
    const opened = await second.openSession('c-1', T0);
    assert.deepEqual(
      opened.pending.map((r) => r.frame.content),
      ['Echo: one', 'Echo: two', 'Echo: three'],
    );
    await second.markDelivered(
      'c-1',
      opened.pending.map((r) => r.id),
    );
    await second.commitTurn('c-1', turn('four'), T0);
    assert.deepEqual(
      (await second.getSession('c-1'))!.history.map((h) => h.content),
      ['four', 'Echo: four'],
    );
    await second.close();
    const reader = new Database(path, { readonly: true });
    t.after(() => reader.close());
    assert.deepEqual(reader.prepare('SELECT count(*) AS n FROM spilled_replies').get(), { n: 0 });
  });

  it('keeps the newest turns and every undelivered reply when the history cap changes between runs', async (t) => {
    const path = join(tempDir(t), 'mm.db');
    const first = createSqliteStore(path, { maxHistoryMessages: 10 });
    const [undelivered] = await first.commitTurn('c-1', turn('m1'), T0);
    for (let i = 2; i <= 5; i++) {
      const stored = await first.commitTurn('c-1', turn(`m${i}`), T0);
      await first.markDelivered(
        'c-1',
        stored.map((r) => r.id),
      );
    }
    await first.close();
    const smaller = createSqliteStore(path, { maxHistoryMessages: 4 });
    assert.deepEqual(
      (await smaller.getSession('c-1'))!.history.map((h) => h.content),
      ['m4', 'Echo: m4', 'm5', 'Echo: m5'],
    );
    await smaller.commitTurn('c-1', turn('m6'), T0);
    await smaller.close();
    const larger = createSqliteStore(path, { maxHistoryMessages: 20 });
    t.after(() => larger.close());
    await larger.commitTurn('c-1', turn('m7'), T0);
    assert.deepEqual(
      (await larger.getSession('c-1'))!.history.map((h) => h.content),
      ['m3', 'Echo: m3', 'm4', 'Echo: m4', 'm5', 'Echo: m5', 'm6', 'Echo: m6', 'm7', 'Echo: m7'],
    );
    assert.deepEqual(
      (await larger.openSession('c-1', T0)).pending.map((r) => [r.id, r.frame.content]),
      [
        [undelivered!.id, 'Echo: m1'],
        [undelivered!.id + 10, 'Echo: m6'],
        [undelivered!.id + 12, 'Echo: m7'],
      ],
    );
  });

  // A client's queued messages: the reply to one lets the next turn start, and an engine that answers at
  // once hands it in a few microtasks later. It is written in the same event-loop turn, so the replies to
  // a queue of messages leave together instead of one event-loop turn (and one socket write) each.
  it('writes a turn that a released reply lets start in the same event-loop turn', async (t) => {
    const store = sqliteStore(t);
    let nextEventLoopTurn = false;
    const second = store.commitTurn('c-1', turn('one'), T0).then(() => {
      setImmediate(() => (nextEventLoopTurn = true));
      return store.commitTurn('c-1', turn('two'), T0);
    });
    assert.deepEqual(
      (await second).map((r) => r.frame.content),
      ['Echo: two'],
    );
    assert.equal(nextEventLoopTurn, false);
  });

  // Store.turnsAhead: the pipeline hands a client's next turn in before the last one is written.
  it('takes a client’s next turn before the last is written: reads see it, and both are written together', async (t) => {
    const path = join(tempDir(t), 'mm.db');
    const store = createSqliteStore(path);
    t.after(() => store.close());
    assert.equal(store.turnsAhead, true);
    const reader = new Database(path, { readonly: true });
    t.after(() => reader.close());
    const rowsOnDisk = () => (reader.prepare('SELECT count(*) AS n FROM turns').get() as { n: number }).n;

    const first = store.commitTurn('c-1', turn('one', 'm1', { n: 1 }), T0);
    assert.deepEqual(await store.loadState('c-1'), { n: 1 });
    assert.equal(await store.findReplies('c-1', 'm-other'), undefined);
    const second = store.commitTurn('c-1', turn('two', 'm2', { n: 2 }), T0);
    assert.deepEqual(await store.loadState('c-1'), { n: 2 });
    // The reads wrote nothing: both turns are written together, at the end of the event-loop turn.
    assert.equal(rowsOnDisk(), 0);
    assert.deepEqual(
      (await Promise.all([first, second])).map((stored) => stored[0]!.frame.content),
      ['Echo: one', 'Echo: two'],
    );
    assert.equal(rowsOnDisk(), 2);
    // A retry of a message whose turn is waiting is answered from the file, once that turn is written.
    const third = store.commitTurn('c-1', turn('three', 'm3', { n: 3 }), T0);
    assert.deepEqual(
      (await store.findReplies('c-1', 'm3'))?.map((r) => r.frame.content),
      ['Echo: three'],
    );
    await third;
  });

  it('refuses the later turns of a client whose turn fails, also those handed in later in that event-loop turn', async (t) => {
    const path = join(tempDir(t), 'mm.db');
    const store = createSqliteStore(path);
    t.after(() => store.close());
    refuseTurns(path, 'refused', 'boom');

    const before = store.commitTurn('c-1', turn('before', 'm1', { n: 1 }), T0);
    const boom = store.commitTurn('c-1', turn('boom', 'm2', { n: 2 }), T0);
    const ahead = store.commitTurn('c-1', turn('ahead', 'm3', { n: 3 }), T0);
    const otherClient = store.commitTurn('c-2', turn('other', 'x1', { n: 9 }), T0);
    let late: Promise<unknown> | undefined;
    const refusalSeen = boom.catch(() => {
      late = store.commitTurn('c-1', turn('late', 'm4', { n: 4 }), T0);
    });

    await before;
    await assert.rejects(boom, /refused/);
    await assert.rejects(ahead, /refused/);
    await otherClient;
    await refusalSeen;
    await assert.rejects(late!, /refused/);
    // Once that event-loop turn is over, the client's turns are taken again.
    await new Promise(setImmediate);
    await store.commitTurn('c-1', turn('after', 'm5', { n: 5 }), T0);

    const session = await store.getSession('c-1');
    assert.deepEqual(
      session?.history.filter((h) => h.role === 'user').map((h) => h.content),
      ['before', 'after'],
    );
    assert.deepEqual(session?.state, { n: 5 });
    assert.deepEqual((await store.getSession('c-2'))?.state, { n: 9 });
  });

  it('refuses a file that is not a database, naming the path', (t) => {
    const path = join(tempDir(t), 'notes.txt');
    writeFileSync(path, 'this is not a database, just some text that is long enough to matter'.repeat(20));
    assert.throws(
      () => createSqliteStore(path),
      (err: Error & { code?: string }) => {
        assert.equal(err.code, 'ERR_STORE_OPEN');
        assert.ok(err.message.includes(path));
        return true;
      },
    );
  });

  it('refuses a path it cannot create', (t) => {
    const blocker = join(tempDir(t), 'file');
    writeFileSync(blocker, '');
    assert.throws(() => createSqliteStore(join(blocker, 'db.sqlite')), { code: 'ERR_STORE_OPEN' });
  });

  it('writes a turn all or nothing', async (t) => {
    const path = join(tempDir(t), 'mm.db');
    const store = createSqliteStore(path);
    t.after(() => store.close());
    // Every turn row fails mid-transaction, after its session row.
    refuseTurns(path, 'disk full');
    await assert.rejects(store.commitTurn('c-1', turn('hello', 'm1', { n: 1 }), T0), /disk full/);
    assert.equal(await store.getSession('c-1'), undefined);
    assert.equal(await store.findReplies('c-1', 'm1'), undefined);
  });

  it('stores a turn with many replies, in order', async (t) => {
    const store = sqliteStore(t);
    const contents = Array.from({ length: 11 }, (_, i) => `part ${i + 1}`);
    const stored = await store.commitTurn('c-1', turn('long', 'm1', undefined, contents), T0);
    assert.deepEqual(
      stored.map((r) => r.frame.content),
      contents,
    );
    const opened = await store.openSession('c-1', T0);
    assert.deepEqual(
      opened.pending.map((r) => [r.id, r.frame.content]),
      stored.map((r) => [r.id, r.frame.content]),
    );
    assert.equal(opened.messages, 12);
    assert.deepEqual(
      (await store.findReplies('c-1', 'm1'))?.map((r) => r.frame.content),
      contents,
    );
  });

  it('stores the other turns of a group when one of them fails', async (t) => {
    const path = join(tempDir(t), 'mm.db');
    const store = createSqliteStore(path);
    t.after(() => store.close());
    refuseTurns(path, 'disk full', 'boom');
    // Handed in within one tick, so they are written in one transaction.
    const [before, failed, after] = await Promise.allSettled([
      store.commitTurn('c-1', turn('fine', 'm1', { n: 1 }), T0),
      store.commitTurn('c-2', turn('boom', 'm2', { n: 2 }), T0),
      store.commitTurn('c-3', turn('also fine', 'm3', { n: 3 }), T0),
    ]);
    assert.deepEqual([before.status, failed.status, after.status], ['fulfilled', 'rejected', 'fulfilled']);
    assert.match(String((failed as PromiseRejectedResult).reason), /disk full/);
    assert.equal(await store.getSession('c-2'), undefined);
    assert.equal(await store.findReplies('c-2', 'm2'), undefined);
    assert.deepEqual(await store.loadState('c-3'), { n: 3 });
    const [reply] = await store.commitTurn('c-1', turn('again', 'm4'), T0);
    assert.equal((await store.openSession('c-1', T0)).messages, 4);
    assert.deepEqual(
      (await store.findReplies('c-1', 'm4'))?.map((r) => [r.id, r.frame.content]),
      [[reply!.id, 'Echo: again']],
    );
  });

  it('keeps the archive and feed tokens in the file across reopen', async (t) => {
    const path = join(tempDir(t), 'mm.db');
    const first = createSqliteStore(path);
    await first.commitTurn('c-1', { ...turn('hello', 'm1', { n: 1 }), archive: [{ old: true }] }, T0);
    const token = await first.calendarFeed('c-1');
    await first.close();
    const second = createSqliteStore(path);
    t.after(() => second.close());
    assert.deepEqual(await second.loadArchive('c-1'), [{ old: true }]);
    assert.equal(await second.findCalendarFeed(token), 'c-1');
  });

  it('refuses a file another store holds, and opens it once that one is closed', async (t) => {
    const path = join(tempDir(t), 'mm.db');
    const first = createSqliteStore(path);
    assert.throws(
      () => createSqliteStore(path),
      (err: Error & { code?: string }) => {
        assert.equal(err.code, 'ERR_STORE_OPEN');
        assert.equal(err.message, `cannot open database ${path}: in use by another process (it holds ${path}.lock)`);
        return true;
      },
    );
    await first.close();
    const second = createSqliteStore(path);
    await second.close();
  });

  it('refuses a file with a corrupt page, naming what quick_check found', async (t) => {
    const path = join(tempDir(t), 'mm.db');
    const store = createSqliteStore(path);
    await store.commitTurn('c-1', turn('hello'), T0);
    await store.close();
    corruptTable(path, 'turns');
    assert.throws(
      () => createSqliteStore(path),
      (err: Error & { code?: string }) => {
        assert.equal(err.code, 'ERR_STORE_OPEN');
        assert.match(err.message, /^cannot open database .*: the file is corrupt \(quick_check: .+\)$/);
        return true;
      },
    );
  });

  for (const [what, reason, damage] of [
    ['deleted', 'database file deleted', (path: string) => rmSync(path)],
    [
      'replaced',
      'database file replaced',
      (path: string) => {
        writeFileSync(`${path}.new`, '');
        renameSync(`${path}.new`, path);
      },
    ],
  ] as const) {
    it(`stops for good, logging once, when its file is ${what}`, async (t) => {
      const path = join(tempDir(t), 'mm.db');
      const log = recordingLogger();
      const store = createSqliteStore(path, { logger: log });
      t.after(() => store.close());
      await store.commitTurn('c-1', turn('kept'), T0);
      damage(path);
      await assert.rejects(store.commitTurn('c-1', turn('lost'), T0), { code: 'ERR_STORE_UNAVAILABLE', reason });
      await assert.rejects(store.loadState('c-1'), { code: 'ERR_STORE_UNAVAILABLE' });
      await assert.rejects(store.commitTurn('c-2', turn('lost'), T0), { code: 'ERR_STORE_UNAVAILABLE' });
      assert.deepEqual(await store.health(), { ok: false, reason });
      assert.deepEqual(
        log.lines.map(({ level, msg, reason: why }) => [level, msg, why]),
        [['error', 'database unavailable', reason]],
      );
    });
  }

  it('notices a deleted file between writes, by its periodic check', async (t) => {
    const path = join(tempDir(t), 'mm.db');
    const log = recordingLogger();
    const store = createSqliteStore(path, { logger: log, identityCheckIntervalMs: 20 });
    t.after(() => store.close());
    rmSync(path);
    assert.equal((await log.waitFor('database unavailable')).reason, 'database file deleted');
  });

  it('stops for good when SQLite finds a corrupt page at run time', async (t) => {
    const path = join(tempDir(t), 'mm.db');
    const log = recordingLogger();
    const store = createSqliteStore(path, { logger: log });
    t.after(() => store.close());
    await store.commitTurn('c-1', turn('hello'), T0);
    corruptTable(path, 'sessions');
    await assert.rejects(store.openSession('c-1', T0), {
      code: 'ERR_STORE_UNAVAILABLE',
      reason: 'database file is corrupt',
    });
    assert.deepEqual(await store.health(), { ok: false, reason: 'database file is corrupt' });
    assert.equal(log.lines.length, 1);
  });

  // A mark waits for its client's next turn (the same page), so a client that sends nothing more
  // leaves it to the WAL's sync timer; until written, a restart would send the reply again.
  it('writes a delivery mark with the next turn of its client, or within walSyncIntervalMs', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const path = join(tempDir(t), 'mm.db');
    const store = createSqliteStore(path, { walSyncIntervalMs: 1000 });
    t.after(() => store.close());
    const reader = new Database(path, { readonly: true });
    t.after(() => reader.close());
    // The replies the newest turn row lists as not delivered.
    const undelivered = () =>
      (reader.prepare('SELECT undelivered FROM turns ORDER BY turn_no DESC LIMIT 1').get() as { undelivered: string })
        .undelivered;
    const deliver = async (text: string) => {
      const stored = await store.commitTurn('c-1', turn(text), T0);
      await store.markDelivered(
        'c-1',
        stored.map((r) => r.id),
      );
      // A tick's end, when the store writes what its turns handed in.
      await new Promise((resolve) => setImmediate(resolve));
    };
    await deliver('one');
    assert.equal(undelivered(), '2', 'the mark waits');
    await deliver('two');
    assert.equal(undelivered(), '4', "the first mark went with the client's next turn");
    t.mock.timers.tick(1000);
    assert.equal(undelivered(), '', 'the last mark went with the sync');
  });

  // With synchronous = NORMAL only a checkpoint syncs the WAL, and SQLite's own comes only after
  // thousands of pages: the store's checkpoint worker runs soon after a commit, so what an OS crash can
  // take is bounded in time. The main file grows only when a checkpoint copies pages into it.
  it('checkpoints the WAL into the file soon after a commit, and keeps the capped history across a restart', async (t) => {
    const path = join(tempDir(t), 'mm.db');
    const store = createSqliteStore(path, { maxHistoryMessages: 10, walSyncIntervalMs: 1 });
    const opened = statSync(path).size;
    // 20 turns write a few dozen pages, far fewer than SQLite's own checkpoint waits for.
    const turns = 20;
    for (let i = 1; i <= turns; i++) {
      const stored = await store.commitTurn('c-1', turn(`m${i}`, `id-${i}`, { turns: i }), T0);
      await store.markDelivered(
        'c-1',
        stored.map((r) => r.id),
      );
    }
    await eventually(() => statSync(path).size > opened, 'a checkpoint into the file');
    const [pending] = await store.commitTurn('c-1', turn('last', 'id-last', { turns: 'last' }), T0);
    await store.close();

    const reopened = createSqliteStore(path, { maxHistoryMessages: 10 });
    t.after(() => reopened.close());
    const expected = [...Array.from({ length: 4 }, (_, i) => `m${turns - 3 + i}`), 'last'].flatMap((m) => [
      m,
      `Echo: ${m}`,
    ]);
    assert.deepEqual(
      (await reopened.getSession('c-1'))!.history.map((h) => h.content),
      expected,
    );
    assert.deepEqual((await reopened.openSession('c-1', T0)).pending, [pending]);
    assert.deepEqual(await reopened.loadState('c-1'), { turns: 'last' });
  });
});

describe('memory store', () => {
  const T0 = new Date('2026-01-05T10:00:00.000Z');

  // The cap drops the oldest delivered entries in one pass: an undelivered reply among them must
  // keep its place ahead of the newer entries, and its frame must come back whole.
  it('keeps an undelivered reply in its place while the cap drops the entries around it', async (t) => {
    const store = createMemoryStore({ maxHistoryMessages: 4 });
    t.after(() => store.close());
    const [pending] = await store.commitTurn('c-1', turn('one', 'm1'), T0);
    for (const content of ['two', 'three']) {
      const stored = await store.commitTurn('c-1', turn(content), T0);
      await store.markDelivered(
        'c-1',
        stored.map((r) => r.id),
      );
    }
    assert.deepEqual(
      (await store.getSession('c-1'))!.history.map((h) => h.content),
      ['Echo: one', 'Echo: two', 'three', 'Echo: three'],
    );
    const opened = await store.openSession('c-1', T0);
    assert.deepEqual(opened.pending, [pending]);
    assert.equal((await store.getSession('c-1'))!.pending_replies, 1);
  });
});
