import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { setImmediate as nextTurn } from 'node:timers/promises';
import WebSocket, { WebSocketServer } from 'ws';
import { ConnectionManager, type WebSocketLike } from '../lib/connection-manager.ts';

/** Our own seam, not ws: records what was sent and closed. */
function fakeSocket(
  readyState = 1,
  bufferedAmount = 0,
): WebSocketLike & { sent: string[]; closedWith?: [number?, string?] } {
  return {
    readyState,
    bufferedAmount,
    sent: [],
    send(data) {
      this.sent.push(data);
    },
    close(code, reason) {
      this.closedWith = [code, reason];
    },
    terminate() {},
  };
}

describe('ConnectionManager', () => {
  it('adds, lists and removes a client', () => {
    const manager = new ConnectionManager();
    const { connection, replaced } = manager.add('alice', fakeSocket());
    assert.equal(replaced, undefined);
    assert.deepEqual(manager.ids(), ['alice']);
    assert.equal(manager.remove(connection), true);
    assert.equal(manager.size, 0);
  });

  it('returns the connection a newer one replaces', () => {
    const manager = new ConnectionManager();
    const first = manager.add('alice', fakeSocket()).connection;
    const second = manager.add('alice', fakeSocket());
    assert.equal(second.replaced, first);
    assert.equal(manager.get('alice'), second.connection);
  });

  // The bug this guards: the replaced socket's 'close' fires after its successor registered, and a
  // remove by id alone would unregister the live connection.
  it('ignores a late remove of a replaced connection', () => {
    const manager = new ConnectionManager();
    const first = manager.add('alice', fakeSocket()).connection;
    const second = manager.add('alice', fakeSocket()).connection;
    assert.equal(manager.remove(first), false);
    assert.equal(manager.get('alice'), second);
  });

  it('sends only to the current, open connection', () => {
    const manager = new ConnectionManager();
    const old = fakeSocket();
    const current = fakeSocket();
    manager.add('alice', old);
    manager.add('alice', current);
    assert.equal(manager.send('alice', 'x'), true);
    assert.deepEqual(current.sent, ['x']);
    assert.deepEqual(old.sent, []);
    assert.equal(manager.send('bob', 'x'), false);
    manager.add('carol', fakeSocket(3));
    assert.equal(manager.send('carol', 'x'), false);
  });

  it('broadcasts one payload to every open connection', () => {
    const manager = new ConnectionManager();
    const sockets = [fakeSocket(), fakeSocket(), fakeSocket(2)];
    sockets.forEach((socket, i) => manager.add(`c-${i}`, socket));
    assert.equal(manager.broadcast('hello'), 2);
    assert.deepEqual(
      sockets.map((s) => s.sent),
      [['hello'], ['hello'], []],
    );
  });

  it('stops sending to a connection whose backlog passed the limit, and reports it once', () => {
    const overflowed: string[] = [];
    const manager = new ConnectionManager({ maxBufferedBytes: 100, onOverflow: (c) => overflowed.push(c.clientId) });
    const slow = fakeSocket(1, 101);
    const fine = fakeSocket(1, 100);
    manager.add('slow', slow);
    manager.add('fine', fine);
    assert.equal(manager.broadcast('x'), 1);
    assert.equal(manager.send('slow', 'y'), false);
    assert.deepEqual(slow.sent, []);
    assert.deepEqual(fine.sent, ['x']);
    assert.deepEqual(overflowed, ['slow']);
  });

  it('snapshots connection times and counters', () => {
    const manager = new ConnectionManager();
    const { connection } = manager.add('alice', fakeSocket());
    for (let i = 0; i < 3; i++) connection.frameReceived();
    for (let i = 0; i < 2; i++) connection.turnAccepted();
    const snap = manager.snapshot();
    assert.equal(snap.alice?.message_count, 3);
    assert.equal(snap.alice?.turns, 2);
    assert.match(snap.alice?.connected_at ?? '', /Z$/);
  });

  it('holds the frames of one event-loop turn and writes them when it ends', async () => {
    const events: string[] = [];
    const stream = {
      writableCorked: 0,
      cork() {
        this.writableCorked++;
        events.push('cork');
      },
      uncork() {
        this.writableCorked--;
        events.push('uncork');
      },
    };
    const socket = Object.assign(fakeSocket(), { _socket: stream });
    socket.send = (data: string) => void events.push(`send ${data}`);
    const manager = new ConnectionManager();
    manager.add('alice', socket);
    manager.send('alice', 'processing');
    manager.send('alice', 'reply');
    assert.deepEqual(events, ['cork', 'send processing', 'send reply']);
    await nextTurn();
    assert.deepEqual(events, ['cork', 'send processing', 'send reply', 'uncork']);
    assert.equal(stream.writableCorked, 0);
  });

  it('writes a broadcast at once, and behind the frames a turn holds on a corked socket', async () => {
    const events: string[] = [];
    const corkable = (name: string) => {
      const stream = {
        writableCorked: 0,
        cork() {
          this.writableCorked++;
          events.push(`cork ${name}`);
        },
        uncork() {
          this.writableCorked--;
          events.push(`uncork ${name}`);
        },
      };
      const socket = Object.assign(fakeSocket(), { _socket: stream });
      socket.send = (data: string) => void events.push(`send ${name} ${data}`);
      return socket;
    };
    const counted: Array<[string, number]> = [];
    const manager = new ConnectionManager({ onSent: (data, count) => counted.push([data, count]) });
    manager.add('alice', corkable('alice'));
    manager.add('bob', corkable('bob'));
    manager.send('alice', 'processing');
    assert.equal(manager.broadcast('notice'), 2);
    assert.deepEqual(events, ['cork alice', 'send alice processing', 'send alice notice', 'send bob notice']);
    assert.deepEqual(counted, [
      ['processing', 1],
      ['notice', 2],
    ]);
    await nextTurn();
    assert.deepEqual(events.slice(4), ['uncork alice']);
  });

  it('delivers held frames over a real socket, in order, with their write callbacks', async (t) => {
    const http = createServer();
    const wss = new WebSocketServer({ server: http });
    t.after(() => {
      wss.close();
      http.close();
    });
    http.listen(0, '127.0.0.1');
    await once(http, 'listening');
    const manager = new ConnectionManager<WebSocket>();
    const accepted = once(wss, 'connection') as Promise<[WebSocket]>;
    const client = new WebSocket(`ws://127.0.0.1:${(http.address() as AddressInfo).port}`);
    t.after(() => client.terminate());
    await once(client, 'open');
    const [server] = await accepted;
    manager.add('alice', server);
    const frames: string[] = [];
    const both = new Promise<void>((resolve) => {
      client.on('message', (data) => frames.push(String(data)) === 2 && resolve());
    });
    const sent: Array<Error | undefined> = [];
    manager.send('alice', 'processing', (err) => sent.push(err));
    manager.send('alice', 'reply', (err) => sent.push(err));
    await both;
    assert.deepEqual(frames, ['processing', 'reply']);
    assert.deepEqual(
      sent.map((err) => err ?? null),
      [null, null],
    );
  });
});
