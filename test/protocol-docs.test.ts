import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it, type TestContext } from 'node:test';
import * as v from 'valibot';
import { ERRORS, HttpError, sendHttpError } from '../lib/errors.ts';
import {
  ERROR_CODE_VALUES,
  SERVER_MESSAGE_SCHEMAS,
  SystemFrameSchema,
  type Check,
  type Same,
} from '../lib/frame-schemas.ts';
import { silentLogger } from '../lib/logger.ts';
import { createMetrics, metricsRoute } from '../lib/metrics.ts';
import { asyncApiDocument, openApiDocument, protocolDocsRoutes } from '../lib/protocol-docs.ts';
import { inboundSchema, type SystemFrame } from '../lib/protocol.ts';
import { createRouter } from '../lib/routes.ts';
import {
  asyncApiSpecValidator,
  compileComponents,
  documentSchemas,
  openApiSpecValidator,
} from './schema-validators.ts';

type Json = Record<string, any>;

const asyncApi = asyncApiDocument({ version: '1.2.3' }) as Json;
const openApi = openApiDocument({ version: '1.2.3' }) as Json;

/** Every `$ref` string anywhere in a document. */
function refsOf(node: unknown): string[] {
  if (Array.isArray(node)) return node.flatMap(refsOf);
  if (typeof node !== 'object' || node === null) return [];
  return Object.entries(node).flatMap(([key, value]) =>
    key === '$ref' && typeof value === 'string' ? [value] : refsOf(value),
  );
}

function resolvePointer(document: Json, ref: string): unknown {
  return ref
    .slice(2)
    .split('/')
    .map((part) => part.replaceAll('~1', '/').replaceAll('~0', '~'))
    .reduce<any>((node, key) => node?.[key], document);
}

describe('AsyncAPI document', () => {
  it('is a valid AsyncAPI 3.0 document by the official schema', () => {
    const validate = asyncApiSpecValidator();
    assert.equal(validate(asyncApi), '');
    // The validator must be able to fail: a channel without its address type is rejected.
    const broken = structuredClone(asyncApi);
    broken.channels.chat.address = 42;
    delete broken.info.version;
    assert.notEqual(validate(broken), '');
  });

  it('resolves every $ref inside the document', () => {
    const refs = refsOf(asyncApi);
    assert.ok(refs.length > 20);
    for (const ref of refs) assert.notEqual(resolvePointer(asyncApi, ref), undefined, ref);
  });

  it('describes the /ws/{client_id} channel with its path parameter and the ?tz= and ?token= query', () => {
    const channel = asyncApi.channels.chat;
    assert.equal(channel.address, '/ws/{client_id}');
    assert.deepEqual(Object.keys(channel.parameters), ['client_id']);
    assert.deepEqual(Object.keys(channel.bindings.ws.query.properties).sort(), ['token', 'tz']);
    for (const code of [1001, 1007, 1008, 1009, 1013, 4000, 1006])
      assert.match(channel.description, new RegExp(`- ${code} `));
  });

  it('has every client and server message, each in the operation of its direction', () => {
    const { receiveUserMessage, sendServerFrames } = asyncApi.operations;
    assert.equal(receiveUserMessage.action, 'receive');
    assert.deepEqual(receiveUserMessage.messages, [{ $ref: '#/channels/chat/messages/userMessage' }]);
    assert.equal(sendServerFrames.action, 'send');
    const sent = sendServerFrames.messages.map((m: Json) => m.$ref.split('/').pop());
    assert.deepEqual(sent.sort(), Object.keys(SERVER_MESSAGE_SCHEMAS).sort());
  });

  it('lists every code of the error table in the error frame schema and explains each', () => {
    const errorSchema = asyncApi.components.schemas.ErrorFrame;
    assert.deepEqual(errorSchema.properties.error_code.enum, Object.keys(ERRORS));
    assert.deepEqual([...ERROR_CODE_VALUES], Object.keys(ERRORS));
    for (const [code, { status }] of Object.entries(ERRORS)) {
      assert.match(
        asyncApi.components.messages.error.description,
        new RegExp(`^- ${code} \\(HTTP ${status}\\b.*\\): \\S`, 'm'),
      );
    }
  });

  it('carries the inbound rules of protocol.ts: required fields, caps and the type default', () => {
    const schema = asyncApiDocument({ maxContentChars: 500 }).components as Json;
    const user = schema.schemas.UserMessage;
    assert.deepEqual(user.required, ['content', 'session_id']);
    assert.equal(user.properties.content.maxLength, 500);
    assert.equal(user.properties.message_id.maxLength, 100);
    assert.equal(user.properties.type.default, 'user_message');
  });

  it('compiles every payload schema in strict mode', () => {
    compileComponents(asyncApi.components.schemas, 'draft-07');
  });

  it('gives examples that satisfy both the document and the valibot schemas', () => {
    const schemaAt = documentSchemas(asyncApi, 'draft-07');
    const messages = Object.entries(asyncApi.components.messages) as Array<[string, Json]>;
    for (const [name, message] of messages) {
      assert.ok(message.examples.length > 0, `${name} has an example`);
      for (const { payload } of message.examples) {
        assert.equal(schemaAt(message.payload.$ref)(payload), '', `${name} example`);
        const valibot =
          name === 'userMessage'
            ? inboundSchema()
            : SERVER_MESSAGE_SCHEMAS[name as keyof typeof SERVER_MESSAGE_SCHEMAS];
        assert.ok(v.is(valibot, payload), `${name} example passes the valibot schema`);
      }
    }
  });
});

describe('OpenAPI document', () => {
  it('is a valid OpenAPI 3.1 document by the official schema', () => {
    const validate = openApiSpecValidator();
    assert.equal(validate(openApi), '');
    const broken = structuredClone(openApi);
    broken.paths['/health'].get.responses = 'none';
    assert.notEqual(validate(broken), '');
  });

  it('resolves every $ref inside the document', () => {
    for (const ref of refsOf(openApi)) assert.notEqual(resolvePointer(openApi, ref), undefined, ref);
  });

  it('documents every route the README lists, with its methods', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const rows = [
      ...readme.matchAll(/^\| `((?:GET|HEAD|POST|DELETE)`?(?:\/`(?:GET|HEAD|POST|DELETE))*) (\/[^` ]*)`/gm),
    ];
    const listed = rows.map(([, , path]) => path);
    for (const path of [
      '/health',
      '/admin/broadcast',
      '/admin/sessions/{client_id}',
      '/calendar/{client_id}.ics',
      '/metrics',
      '/asyncapi.json',
      '/openapi.json',
      '/docs',
    ]) {
      assert.ok(listed.includes(path), `the README lists ${path}`);
    }
    for (const [, methods, path] of rows) {
      const item = openApi.paths[path!];
      assert.ok(item, `${path} is in the OpenAPI document`);
      for (const method of methods!.split(/`?\/`/)) assert.ok(item[method.toLowerCase()], `${method} ${path}`);
    }
  });

  it('lists every code of the error table in the error body, each with its status and text', () => {
    const errorCode = openApi.components.schemas.ErrorBody.properties.error_code;
    assert.deepEqual(errorCode.enum, Object.keys(ERRORS));
    for (const [code, { status, message }] of Object.entries(ERRORS)) {
      assert.ok(
        errorCode.description.includes(`- ${code} (HTTP ${status}`) && errorCode.description.includes(message),
        code,
      );
    }
  });

  it('answers errors with {detail, error_code}, and marks the admin routes with their 401 and 403', () => {
    assert.deepEqual(openApi.components.schemas.ErrorBody.required, ['detail', 'error_code']);
    for (const [path, item] of Object.entries(openApi.paths) as Array<[string, Json]>) {
      for (const [method, operation] of Object.entries(item).filter(([key]) => key !== 'parameters') as Array<
        [string, Json]
      >) {
        const isPrivileged = (operation.security ?? []).length > 0;
        assert.equal(
          isPrivileged,
          !['/health', '/asyncapi.json', '/openapi.json', '/docs', '/', '/feeds/{token}.ics'].includes(path),
          `${method} ${path}`,
        );
        if (isPrivileged)
          assert.deepEqual(
            [operation.responses['401'], operation.responses['403']].map((r) => r.content['application/json'].schema),
            [{ $ref: '#/components/schemas/ErrorBody' }, { $ref: '#/components/schemas/ErrorBody' }],
          );
        for (const [status, response] of Object.entries(operation.responses) as Array<[string, Json]>) {
          // /health answers 503 with its own body (status "shutting_down"), as load balancers expect.
          if (Number(status) >= 400 && path !== '/health')
            assert.deepEqual(
              response.content['application/json'].schema,
              { $ref: '#/components/schemas/ErrorBody' },
              `${method} ${path} ${status}`,
            );
        }
      }
    }
  });

  it('compiles every body schema in strict mode', () => {
    compileComponents(openApi.components.schemas, 'draft-2020-12');
  });

  it('puts every path and the channel under the base path', () => {
    const prefixed = openApiDocument({ basePath: '/chat' }) as Json;
    assert.ok(Object.keys(prefixed.paths).every((path) => path.startsWith('/chat/')));
    assert.equal((asyncApiDocument({ basePath: '/chat' }) as Json).channels.chat.address, '/chat/ws/{client_id}');
  });
});

describe('frame schema drift checks', () => {
  it('fail to compile when a schema and its frame type disagree', () => {
    const WithExtraField = v.object({ ...SystemFrameSchema.pipe[0].entries, extra: v.string() });
    const WithoutReplyTo = v.object({
      type: v.literal('system'),
      content: v.picklist(['connection_established', 'processing']),
      timestamp: v.string(),
    });
    // @ts-expect-error a required field the type does not have
    type Extra = Check<Same<v.InferOutput<typeof WithExtraField>, SystemFrame>>;
    // @ts-expect-error a field the type has is missing
    type Missing = Check<Same<v.InferOutput<typeof WithoutReplyTo>, SystemFrame>>;
    type Exact = Check<Same<v.InferOutput<typeof SystemFrameSchema>, SystemFrame>>;
    const exact: Exact = true;
    assert.equal(exact, true);
    assert.equal(v.is(WithExtraField, { type: 'system', content: 'processing', timestamp: 'x' }), false);
    assert.equal(v.is(WithoutReplyTo, { type: 'system', content: 'processing', timestamp: 'x' }), true);
    const unused: [Extra?, Missing?] = [];
    assert.deepEqual(unused, []);
  });
});

/** A plain http server around the router, on 127.0.0.1 port 0; `guard` refuses without `Bearer t`. */
async function serveRoutes(t: TestContext, routes: ReturnType<typeof protocolDocsRoutes>): Promise<string> {
  const handle = createRouter(routes, {
    log: silentLogger,
    basePath: '',
    clientAddress: (req) => req.socket.remoteAddress ?? '',
    guard: (req) => {
      if (req.headers.authorization !== 'Bearer t') throw new HttpError('UNAUTHORIZED');
    },
  });
  const server = createServer((req, res) => {
    if (!handle(req, res)) sendHttpError(res, new HttpError('NOT_FOUND'));
  });
  t.after(() => new Promise((resolve) => server.close(resolve)));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('documents and page over HTTP', () => {
  it('serves both documents, the /docs page and every file the page loads, all without CDN', async (t) => {
    const base = await serveRoutes(t, protocolDocsRoutes({ version: '9.9.9' }));
    const asyncRes = await fetch(`${base}/asyncapi.json`);
    assert.equal(asyncRes.status, 200);
    assert.match(asyncRes.headers.get('content-type')!, /^application\/json/);
    const served = (await asyncRes.json()) as Json;
    const expected = asyncApiDocument({ version: '9.9.9' }) as Json;
    assert.deepEqual(
      [served.info, served.channels, served.components.schemas],
      [expected.info, expected.channels, expected.components.schemas],
    );
    const openRes = await fetch(`${base}/openapi.json`);
    assert.equal(((await openRes.json()) as Json).info.version, '9.9.9');

    const page = await fetch(`${base}/docs`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type')!, /^text\/html/);
    assert.match(page.headers.get('content-security-policy')!, /default-src 'none'/);
    const html = await page.text();
    const linked = [...html.matchAll(/(?:href|src)="([^"#]+)"/g)].map(([, url]) => url!);
    assert.deepEqual(linked.sort(), ['asyncapi.json', 'docs.css', 'docs.js', 'openapi.json']);
    for (const url of linked) {
      const res = await fetch(new URL(url, `${base}/docs`));
      assert.equal(res.status, 200, url);
      assert.doesNotMatch(await res.text(), /https?:\/\/(?!json-schema\.org)/, `${url} loads nothing from elsewhere`);
    }
  });

  it('serves /metrics under the admin guard in the Prometheus text format', async (t) => {
    const metrics = createMetrics({ processMetrics: false });
    metrics.connectionOpened();
    const base = await serveRoutes(t, [metricsRoute(metrics)]);
    const refused = await fetch(`${base}/metrics`);
    assert.equal(refused.status, 401);
    assert.deepEqual(await refused.json(), { detail: ERRORS.UNAUTHORIZED.message, error_code: 'UNAUTHORIZED' });
    const res = await fetch(`${base}/metrics`, { headers: { Authorization: 'Bearer t' } });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type')!, /^text\/plain; version=0\.0\.4/);
    assert.match(await res.text(), /^meetingmuse_connections_accepted_total 1$/m);
  });
});
