import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import Database from 'better-sqlite3';
import { createSqliteStore } from '../lib/sqlite-store.ts';
import { createMemoryStore, type StoreOptions } from '../lib/store.ts';
import { tempDir } from './helpers.ts';
import { storeContract, turn } from './store-contract.ts';

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

  it('refuses a file that is not a database, naming the path', (t) => {
    const path = join(tempDir(t), 'notes.txt');
    writeFileSync(path, 'this is not a database, just some text that is long enough to matter'.repeat(20));
    assert.throws(() => createSqliteStore(path), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'ERR_STORE_OPEN');
      assert.ok(err.message.includes(path));
      return true;
    });
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
    // A second connection makes every assistant insert fail mid-transaction, as a full disk would.
    const saboteur = new Database(path);
    saboteur.exec("CREATE TRIGGER fail_replies BEFORE INSERT ON messages WHEN NEW.role = 'assistant' BEGIN SELECT RAISE(ABORT, 'disk full'); END");
    saboteur.close();
    await assert.rejects(store.commitTurn('c-1', turn('hello', 'm1', { n: 1 }), T0), /disk full/);
    assert.equal(await store.getSession('c-1'), undefined);
    assert.equal(await store.findReplies('c-1', 'm1'), undefined);
  });
});
