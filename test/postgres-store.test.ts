import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import pg from 'pg';
import { createPostgresStore } from '../lib/postgres-store.ts';
import { isStoreUnavailable, type StoreOptions } from '../lib/store.ts';
import { servicesMissing, useServices } from './services.ts';
import { storeContract, turn } from './store-contract.ts';

const services = useServices();
const skip = servicesMissing();
const T0 = new Date('2026-01-05T10:00:00.000Z');

async function postgresStore(t: TestContext, options?: StoreOptions & { url?: string; instanceId?: string }) {
  const store = await createPostgresStore(options?.url ?? (await services().postgres.createDatabase()), options);
  t.after(() => store.close());
  return store;
}

/** Ends the database connections that hold client locks (as a network cut or an idle-connection killer would). */
async function dropLockConnections(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`SELECT pg_terminate_backend(pid) FROM pg_locks
      WHERE locktype = 'advisory' AND objsubid = 2 AND granted
        AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`);
  } finally {
    await client.end();
  }
}

/** Resolves once `count` backends of this database wait for a lock (each blocked by another's row lock), or rejects after 10 s. */
async function lockWaiters(client: pg.Client, count: number): Promise<void> {
  for (const deadline = Date.now() + 10_000; Date.now() < deadline;) {
    const { rows } = await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity
      WHERE datname = current_database() AND wait_event_type = 'Lock'`);
    if (rows[0]!.n >= count) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`timed out waiting for ${count} backends to wait for a lock`);
}

async function tableVersions(url: string): Promise<number[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version')).rows.map(
      (r) => r.version,
    );
  } finally {
    await client.end();
  }
}

describe('postgres', { skip, timeout: 60_000 }, () => {
  storeContract('postgres', postgresStore);

  describe('postgres store', () => {
    it('migrates once when two instances start on an empty database at the same moment', async (t) => {
      const url = await services().postgres.createDatabase();
      const [a, b] = await Promise.all([postgresStore(t, { url }), postgresStore(t, { url })]);
      await a.commitTurn('c-1', turn('hello', 'm1', { n: 1 }), T0);
      assert.deepEqual(await b.loadState('c-1'), { n: 1 });
      assert.deepEqual(await tableVersions(url), [1, 2, 3]);
    });

    it('keeps conversations across reopen and migrates nothing twice', async (t) => {
      const url = await services().postgres.createDatabase();
      const first = await createPostgresStore(url);
      await first.commitTurn('c-1', turn('hello', 'm1', { n: 1 }), T0);
      await first.close();
      const second = await postgresStore(t, { url });
      assert.equal((await second.openSession('c-1', T0)).messages, 2);
      assert.deepEqual(await tableVersions(url), [1, 2, 3]);
    });

    it('refuses a database migrated by a newer server, naming it without its password', async () => {
      const url = await services().postgres.createDatabase();
      await (await createPostgresStore(url)).close();
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      await client.query('INSERT INTO schema_migrations (version) VALUES (99)');
      await client.end();
      const withPassword = url.replace('postgres@', 'postgres:s3cret@');
      await assert.rejects(createPostgresStore(withPassword), (err: Error & { code?: string }) => {
        assert.equal(err.code, 'ERR_STORE_OPEN');
        assert.match(err.message, /schema version 99 is newer than this server/);
        assert.ok(!err.message.includes('s3cret'));
        return true;
      });
    });

    it('refuses to start when the database cannot be reached', async () => {
      await assert.rejects(createPostgresStore('postgres://postgres@127.0.0.1:1/none', { queryTimeoutMs: 1_000 }), {
        code: 'ERR_STORE_OPEN',
      });
    });

    it('fences a turn whose lock another instance took after the lock connection dropped, and lands one whose lock nobody took', async (t) => {
      const url = await services().postgres.createDatabase();
      const a = await postgresStore(t, { url, instanceId: 'a' });
      const b = await postgresStore(t, { url, instanceId: 'b' });
      const signal = AbortSignal.timeout(10_000);

      const alone = await a.locks.acquire('c-1', { messageId: 'm1' }, signal);
      await dropLockConnections(url);
      await a.commitTurn('c-1', turn('hello', 'm1', { n: 1 }), T0);
      await alone.release();
      assert.deepEqual(await b.loadState('c-1'), { n: 1 });

      const lost = await a.locks.acquire('c-1', { messageId: 'm2' }, signal);
      await dropLockConnections(url);
      const successor = await b.locks.acquire('c-1', { messageId: 'm3' }, signal);
      assert.deepEqual(successor.interrupted, [{ message_id: 'm2' }]);
      await assert.rejects(a.commitTurn('c-1', turn('late', 'm2', { n: 2 }), T0), isStoreUnavailable);
      await lost.release();
      await b.commitTurn('c-1', turn('next', 'm3', { n: 3 }), T0);
      await successor.release();
      assert.deepEqual(await a.loadState('c-1'), { n: 3 });
      assert.equal(await a.findReplies('c-1', 'm2'), undefined);
      assert.deepEqual(
        (await a.getSession('c-1'))?.history.map((entry) => entry.content),
        ['hello', 'Echo: hello', 'next', 'Echo: next'],
      );
    });

    it('lets a successor that takes the client over while the lost turn commits wait for that commit: it lands, unreported, and the successor reads it', async (t) => {
      const url = await services().postgres.createDatabase();
      const a = await postgresStore(t, { url, instanceId: 'a' });
      const b = await postgresStore(t, { url, instanceId: 'b' });
      const signal = AbortSignal.timeout(10_000);
      await a.commitTurn('c-1', turn('hello', 'm1', { n: 1 }), T0);
      const lost = await a.locks.acquire('c-1', { messageId: 'm2' }, signal);
      await dropLockConnections(url);

      // Holding the session row stops a's commit after its fence removed a's turn record, uncommitted.
      const holder = new pg.Client({ connectionString: url });
      await holder.connect();
      t.after(() => holder.end());
      await holder.query('BEGIN');
      await holder.query(`SELECT 1 FROM sessions WHERE client_id = 'c-1' FOR UPDATE`);
      const landed = a.commitTurn('c-1', turn('late', 'm2', { n: 2 }), T0);
      await lockWaiters(holder, 1);
      // The client, moved to b, sends m2 again; recording it there waits for a's commit.
      const taken = b.locks.acquire('c-1', { messageId: 'm2' }, signal);
      await lockWaiters(holder, 2);
      await holder.query('COMMIT');
      await landed;
      const successor = await taken;

      assert.deepEqual(successor.interrupted, [], 'the turn was stored, so it was not interrupted');
      assert.deepEqual(await b.loadState('c-1'), { n: 2 });
      assert.deepEqual(
        (await b.findReplies('c-1', 'm2'))?.map((reply) => reply.frame.content),
        ['Echo: late'],
      );
      await successor.release();
      await lost.release();
    });

    it('hands a locked turn the state and the repeated message_id that recording it read, once', async (t) => {
      const url = await services().postgres.createDatabase();
      const store = await postgresStore(t, { url, instanceId: 'a' });
      // Ids 1 to 6 first, so that m1's entries (7 to 11) sort differently as text than as numbers.
      for (const content of ['a', 'b', 'c']) await store.commitTurn('c-1', turn(content), T0);
      await store.commitTurn('c-1', turn('hello', 'm1', { n: 1 }, ['one', 'two', 'three', 'four']), T0);
      const lease = await store.locks.acquire('c-1', { messageId: 'm1' }, AbortSignal.timeout(10_000));
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      await client.query(`UPDATE sessions SET state = '{"n":2}' WHERE client_id = 'c-1'`);
      await client.end();

      const replies = (await store.findReplies('c-1', 'm1'))?.map((reply) => reply.frame.content);
      assert.deepEqual(replies, ['one', 'two', 'three', 'four']);
      assert.deepEqual(await store.loadState('c-1'), { n: 1 }, 'read with the turn record, under the lock');
      assert.deepEqual(await store.loadState('c-1'), { n: 2 }, 'read again');
      assert.deepEqual(
        (await store.findReplies('c-1', 'm1'))?.map((reply) => reply.frame.content),
        replies,
      );
      assert.equal(await store.findReplies('c-1', 'm9'), undefined);
      await lease.release();
    });

    it('writes a turn all or nothing', async (t) => {
      const url = await services().postgres.createDatabase();
      const store = await postgresStore(t, { url });
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      // Every assistant insert fails mid-transaction, after the session and user rows went in.
      await client.query(`CREATE FUNCTION fail_replies() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'disk full'; END $$;
        CREATE TRIGGER fail_replies BEFORE INSERT ON messages FOR EACH ROW WHEN (NEW.role = 'assistant') EXECUTE FUNCTION fail_replies()`);
      await client.end();
      await assert.rejects(store.commitTurn('c-1', turn('hello', 'm1', { n: 1 }), T0), /disk full/);
      assert.equal(await store.getSession('c-1'), undefined);
      assert.equal(await store.findReplies('c-1', 'm1'), undefined);
    });
  });
});
