import assert from 'node:assert/strict';
import { createServer, type ServerResponse } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { describe, it, type TestContext } from 'node:test';
import { connectClient, userMessage, within } from './helpers.ts';
import { startInstance } from './instances.ts';
import { servicesMissing, useServices } from './services.ts';

const services = useServices({ redis: true });
const skip = servicesMissing();

/**
 * A stand-in LLM API that holds the first request mentioning `marker` until release() and answers
 * every other one with 500 at once (the assistant then falls back to its own understanding). Holding
 * a turn inside its engine is how a test keeps one instance mid-turn.
 */
export async function heldLlm(t: TestContext, marker: string) {
  let held: ServerResponse | undefined;
  let arrived!: () => void;
  const heldArrived = new Promise<void>((resolve) => (arrived = resolve));
  const server = createServer(async (req, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    if (!held && body.includes(marker)) {
      held = res;
      arrived();
      return;
    }
    res.writeHead(500).end();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => {
    held?.destroy();
    server.closeAllConnections();
    server.close();
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    heldArrived,
    release: () => held!.writeHead(500).end(),
  };
}

describe('several instances on one Postgres', { skip, timeout: 90_000 }, () => {
  it("never runs one client's turns concurrently: a turn on B waits for A's, and sees its state", async (t) => {
    const llm = await heldLlm(t, 'lunch');
    const db = await services().postgres.createDatabase();
    const env = { MEETINGMUSE_DB: db, MEETINGMUSE_ENGINE: 'assistant', LLM_BASE_URL: llm.url, LLM_MODEL: 'held' };
    const [a, b] = await Promise.all([startInstance(t, { ...env, INSTANCE_ID: 'a' }), startInstance(t, { ...env, INSTANCE_ID: 'b' })]);
    // Without Redis nothing keeps a client on one instance: the same client talks to both at once.
    const onA = await connectClient(t, a.wsUrl('lock-1'));
    const onB = await connectClient(t, b.wsUrl('lock-1'));
    // A first turn on B: B's check for interrupted turns, queued at connect, is then done.
    onB.send(userMessage('hi'));
    await onB.nextOfType('bot_response', 10_000);
    onA.send(userMessage('Book lunch with Ana tomorrow at 1pm', { message_id: 'm1' }));
    await within(llm.heldArrived, "A's turn to reach its engine", 10_000);
    onB.send(userMessage('yes', { message_id: 'm2' }));
    assert.equal((await onB.nextOfType('system', 10_000)).content, 'processing');
    llm.release();

    const draft = await onA.nextOfType('bot_response', 10_000);
    assert.match(String(draft.content), /Here's the draft/);
    // Run concurrently, B's "yes" would have read the state from before the draft and found nothing to confirm.
    const booked = await onB.nextOfType('bot_response', 10_000);
    assert.equal(booked.reply_to, 'm2');
    assert.match(String(booked.content), /^Booked: Lunch/);
    const { body } = await b.get<{ state: { meetings: Array<{ status: string }> }; history: unknown[] }>('/admin/sessions/lock-1');
    assert.deepEqual(body.state.meetings.map((m) => m.status), ['confirmed']);
    assert.equal(body.history.length, 6);
  });
});
