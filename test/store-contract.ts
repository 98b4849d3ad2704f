import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { botResponseFrame } from '../lib/protocol.ts';
import type { Store, StoreOptions, TurnRecord } from '../lib/store.ts';

export type MakeStore = (t: TestContext, options?: StoreOptions) => Store | Promise<Store>;

const T0 = new Date('2026-01-05T10:00:00.000Z');
const later = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);

export function turn(content: string, messageId?: string, state?: unknown, replies = [`Echo: ${content}`]): TurnRecord {
  return {
    user: { role: 'user', content, timestamp: T0.toISOString(), ...(messageId ? { message_id: messageId } : {}) },
    replies: replies.map((reply) => botResponseFrame({ content: reply }, { session_id: 'c', reply_to: messageId })),
    state,
  };
}

/** The behaviour every Store must have; run against each implementation. */
export function storeContract(name: string, makeStore: MakeStore): void {
  describe(`${name} store contract`, () => {
    it('knows nothing of a new client', async (t) => {
      const store = await makeStore(t);
      assert.deepEqual(await store.openSession('c-new', T0), { resumed: false, messages: 0, pending: [] });
      assert.equal(await store.getSession('c-new'), undefined);
      assert.equal(await store.loadState('c-new'), undefined);
    });

    it('stores a turn with its replies pending until delivered', async (t) => {
      const store = await makeStore(t);
      const stored = await store.commitTurn('c-1', turn('hello', 'm1', { step: 1 }, ['one', 'two']), T0);
      assert.deepEqual(
        stored.map((r) => r.frame.content),
        ['one', 'two'],
      );
      const opened = await store.openSession('c-1', later(1));
      assert.equal(opened.resumed, true);
      assert.equal(opened.messages, 3);
      assert.deepEqual(
        opened.pending.map((r) => r.frame.content),
        ['one', 'two'],
      );
      await store.markDelivered('c-1', [stored[0]!.id]);
      assert.deepEqual(
        (await store.openSession('c-1', later(2))).pending.map((r) => r.frame.content),
        ['two'],
      );
      await store.markDelivered('c-1', [stored[1]!.id]);
      assert.deepEqual((await store.openSession('c-1', later(3))).pending, []);
    });

    it('keeps the exact reply frames', async (t) => {
      const store = await makeStore(t);
      const record = turn('hi', 'm1');
      record.replies[0]!.metadata = { intent: 'greeting' };
      record.replies[0]!.ui_elements = {
        buttons: [{ action_type: 'confirm', label: 'Yes', value: 'yes', variant: 'primary' }],
      };
      await store.commitTurn('c-2', record, T0);
      assert.deepEqual((await store.openSession('c-2', T0)).pending[0]!.frame, record.replies[0]);
    });

    it('hands back the engine state of the last turn, and keeps it when a turn returns none', async (t) => {
      const store = await makeStore(t);
      await store.commitTurn('c-3', turn('a', undefined, { count: 1, nested: { ok: true } }), T0);
      await store.commitTurn('c-3', turn('b', undefined, undefined), T0);
      assert.deepEqual(await store.loadState('c-3'), { count: 1, nested: { ok: true } });
      await store.commitTurn('c-3', turn('c', undefined, { count: 2 }), T0);
      assert.deepEqual(await store.loadState('c-3'), { count: 2 });
    });

    it('finds the replies of a processed message_id, and only of that client', async (t) => {
      const store = await makeStore(t);
      await store.commitTurn('c-4', turn('book it', 'm-7', undefined, ['Booked.', 'Anything else?']), T0);
      assert.deepEqual(
        (await store.findReplies('c-4', 'm-7'))?.map((r) => r.frame.content),
        ['Booked.', 'Anything else?'],
      );
      assert.equal(await store.findReplies('c-4', 'm-8'), undefined);
      assert.equal(await store.findReplies('someone-else', 'm-7'), undefined);
    });

    it('records the history in order with roles and message ids', async (t) => {
      const store = await makeStore(t);
      await store.commitTurn('c-5', turn('first', 'm1'), T0);
      await store.commitTurn('c-5', turn('second'), later(1));
      const session = (await store.getSession('c-5'))!;
      assert.deepEqual(
        session.history.map((h) => [h.role, h.content, h.message_id]),
        [
          ['user', 'first', 'm1'],
          ['assistant', 'Echo: first', 'm1'],
          ['user', 'second', undefined],
          ['assistant', 'Echo: second', undefined],
        ],
      );
      assert.equal(session.message_count, 4);
      assert.equal(session.pending_replies, 2);
      assert.equal(session.last_active_at, later(1).toISOString());
    });

    it('caps the history, dropping the oldest delivered entries first', async (t) => {
      const store = await makeStore(t, { maxHistoryMessages: 4 });
      for (let i = 1; i <= 5; i++) {
        const stored = await store.commitTurn('c-6', turn(`m${i}`), later(i));
        await store.markDelivered(
          'c-6',
          stored.map((r) => r.id),
        );
      }
      assert.deepEqual(
        (await store.getSession('c-6'))!.history.map((h) => h.content),
        ['m4', 'Echo: m4', 'm5', 'Echo: m5'],
      );
    });

    it('never drops an undelivered reply to honour the cap', async (t) => {
      const store = await makeStore(t, { maxHistoryMessages: 2 });
      await store.commitTurn('c-7', turn('one'), T0);
      await store.commitTurn('c-7', turn('two'), T0);
      assert.deepEqual(
        (await store.openSession('c-7', T0)).pending.map((r) => r.frame.content),
        ['Echo: one', 'Echo: two'],
      );
    });

    it('keeps every undelivered reply while newer turns go past the cap, until each is delivered', async (t) => {
      const store = await makeStore(t, { maxHistoryMessages: 2 });
      const stored = [];
      for (const content of ['one', 'two', 'three', 'four'])
        stored.push(...(await store.commitTurn('c-15', turn(content), T0)));
      await store.markDelivered('c-15', [stored[1]!.id]);
      assert.deepEqual(
        (await store.openSession('c-15', T0)).pending.map((r) => r.frame.content),
        ['Echo: one', 'Echo: three', 'Echo: four'],
      );
      await store.markDelivered(
        'c-15',
        stored.map((r) => r.id),
      );
      assert.deepEqual((await store.openSession('c-15', T0)).pending, []);
      assert.equal((await store.getSession('c-15'))!.pending_replies, 0);
    });

    it('deletes everything of one client', async (t) => {
      const store = await makeStore(t);
      await store.commitTurn('c-8', turn('x', 'm1', { a: 1 }), T0);
      await store.commitTurn('c-9', turn('y'), T0);
      assert.equal(await store.deleteSession('c-8'), true);
      assert.equal(await store.deleteSession('c-8'), false);
      assert.equal(await store.getSession('c-8'), undefined);
      assert.equal(await store.findReplies('c-8', 'm1'), undefined);
      assert.equal(await store.loadState('c-8'), undefined);
      assert.deepEqual(await store.openSession('c-8', T0), { resumed: false, messages: 0, pending: [] });
      assert.ok(await store.getSession('c-9'));
    });

    it('lets a late delivery mark for a deleted session touch nothing of the next one', async (t) => {
      const store = await makeStore(t);
      const [old] = await store.commitTurn('c-14', turn('before'), T0);
      assert.equal(await store.deleteSession('c-14'), true);
      for (const content of ['one', 'two', 'three']) await store.commitTurn('c-14', turn(content), T0);
      // The socket write of the old reply completed only now.
      await store.markDelivered('c-14', [old!.id]);
      assert.deepEqual(
        (await store.openSession('c-14', T0)).pending.map((r) => r.frame.content),
        ['Echo: one', 'Echo: two', 'Echo: three'],
      );
    });

    it('keeps archived items apart from the state, in order, until the session is deleted', async (t) => {
      const store = await makeStore(t);
      await store.commitTurn('c-10', { ...turn('a', undefined, { open: ['m2'] }), archive: [{ id: 'm1' }] }, T0);
      await store.commitTurn(
        'c-10',
        { ...turn('b', undefined, { open: [] }), archive: [{ id: 'm2' }, { id: 'm3' }] },
        T0,
      );
      await store.commitTurn('c-10', turn('c'), T0);
      assert.deepEqual(await store.loadState('c-10'), { open: [] });
      assert.deepEqual(await store.loadArchive('c-10'), [{ id: 'm1' }, { id: 'm2' }, { id: 'm3' }]);
      assert.deepEqual(await store.loadArchive('someone-else'), []);
      await store.deleteSession('c-10');
      assert.deepEqual(await store.loadArchive('c-10'), []);
    });

    it('keeps one calendar-feed token per client until it is rotated or revoked', async (t) => {
      const store = await makeStore(t);
      const token = await store.calendarFeed('c-11');
      assert.match(token, /^[A-Za-z0-9_-]{43}$/);
      assert.equal(await store.calendarFeed('c-11'), token);
      assert.notEqual(await store.calendarFeed('c-12'), token);
      assert.equal(await store.findCalendarFeed(token), 'c-11');
      const rotated = await store.rotateCalendarFeed('c-11');
      assert.notEqual(rotated, token);
      assert.equal(await store.findCalendarFeed(token), undefined);
      assert.equal(await store.findCalendarFeed(rotated), 'c-11');
      assert.equal(await store.revokeCalendarFeed('c-11'), true);
      assert.equal(await store.revokeCalendarFeed('c-11'), false);
      assert.equal(await store.findCalendarFeed(rotated), undefined);
    });

    it('drops the feed token with the session', async (t) => {
      const store = await makeStore(t);
      await store.commitTurn('c-13', turn('x'), T0);
      const token = await store.calendarFeed('c-13');
      await store.deleteSession('c-13');
      assert.equal(await store.findCalendarFeed(token), undefined);
    });

    it('sweeps feed tokens made before the cutoff whose client has no session', async (t) => {
      const store = await makeStore(t);
      await store.commitTurn('kept', turn('x'), new Date(Date.now() + 3_600_000));
      const kept = await store.calendarFeed('kept');
      const orphan = await store.calendarFeed('never-talked');
      await store.sweep(new Date(Date.now() + 60_000));
      assert.equal(await store.findCalendarFeed(kept), 'kept');
      assert.equal(await store.findCalendarFeed(orphan), undefined);
    });

    it('reports itself healthy', async (t) => {
      assert.deepEqual(await (await makeStore(t)).health(), { ok: true });
    });

    it('sweeps sessions idle since before the cutoff, counting a reconnect as activity', async (t) => {
      const store = await makeStore(t);
      await store.commitTurn('old', turn('x'), T0);
      await store.commitTurn('returning', turn('x'), T0);
      await store.commitTurn('fresh', turn('x'), later(60));
      await store.openSession('returning', later(90));
      assert.equal(await store.sweep(later(30)), 1);
      assert.equal(await store.getSession('old'), undefined);
      assert.ok(await store.getSession('returning'));
      assert.ok(await store.getSession('fresh'));
    });
  });
}
