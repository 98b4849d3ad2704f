import assert from 'node:assert/strict';
import * as v from 'valibot';
import { SERVER_MESSAGE_SCHEMAS, ServerFrameSchema } from '../lib/frame-schemas.ts';
import { asyncApiDocument } from '../lib/protocol-docs.ts';
import { documentSchemas } from './schema-validators.ts';

/**
 * The check every received frame must pass: it is a ServerFrame, exactly one documented message by
 * the valibot message schemas, and the same one by the published AsyncAPI document. A test client
 * can run it on each frame it receives (see frame-conformance.test.ts).
 */

const asyncApi = asyncApiDocument() as { components: { messages: Record<string, { payload: { $ref: string } }> } };
const schemaAt = documentSchemas(asyncApi, 'draft-07');
const documented = Object.entries(asyncApi.components.messages)
  .filter(([name]) => name !== 'userMessage')
  .map(([name, message]) => [name, schemaAt(message.payload.$ref)] as const);

export type MessageName = keyof typeof SERVER_MESSAGE_SCHEMAS;

/** Classifies a frame as the one documented message it is; throws an AssertionError naming the frame otherwise. */
export function conformingMessage(frame: unknown): MessageName {
  const label = JSON.stringify(frame);
  assert.ok(v.is(ServerFrameSchema, frame), `a ServerFrame: ${label}`);
  const byValibot = (Object.keys(SERVER_MESSAGE_SCHEMAS) as MessageName[]).filter((name) =>
    v.is(SERVER_MESSAGE_SCHEMAS[name], frame),
  );
  assert.equal(byValibot.length, 1, `exactly one documented message, got [${byValibot}]: ${label}`);
  const byDocument = documented.filter(([, validate]) => validate(frame) === '').map(([name]) => name);
  assert.deepEqual(byDocument, byValibot, `the AsyncAPI document agrees: ${label}`);
  return byValibot[0]!;
}
