// Renders /asyncapi.json and /openapi.json as a readable page. Everything from the documents goes
// into the page as text (textContent), never as HTML.

const MAX_DEPTH = 6;

/** Creates an element with attributes and children (strings become text nodes). */
function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  for (const child of children.flat()) {
    if (child !== undefined && child !== null) element.append(child);
  }
  return element;
}

const schemaAnchor = (name) => `schema-${name}`;

/** Resolves a local JSON pointer such as "#/components/schemas/Reply". */
function resolve(doc, ref) {
  return ref
    .slice(2)
    .split('/')
    .map((part) => part.replaceAll('~1', '/').replaceAll('~0', '~'))
    .reduce((node, key) => node?.[key], doc);
}

const refName = (ref) => ref.split('/').pop();

/** A short description of a schema's type, as text and links to named schemas. */
function typeOf(schema) {
  if (schema === true || schema === undefined || Object.keys(schema).length === 0) return ['any'];
  if (schema.$ref) return [h('a', { href: `#${schemaAnchor(refName(schema.$ref))}` }, refName(schema.$ref))];
  if ('const' in schema) return [JSON.stringify(schema.const)];
  if (schema.enum) return [schema.enum.map((value) => JSON.stringify(value)).join(' | ')];
  const options = schema.oneOf ?? schema.anyOf;
  if (options) return options.flatMap((option, i) => (i === 0 ? typeOf(option) : [' | ', ...typeOf(option)]));
  if (schema.type === 'array') return ['array of ', ...typeOf(schema.items)];
  if (schema.type === 'object' && !schema.properties && schema.additionalProperties !== undefined) {
    return ['object of ', ...typeOf(schema.additionalProperties)];
  }
  const type = Array.isArray(schema.type) ? schema.type.join(' | ') : schema.type ?? 'any';
  return [schema.format ? `${type} (${schema.format})` : type];
}

/** Limits worth showing next to a field. */
function rules(schema) {
  const parts = [];
  if (schema.minLength !== undefined) parts.push(`at least ${schema.minLength} characters`);
  if (schema.maxLength !== undefined) parts.push(`at most ${schema.maxLength} characters`);
  if (schema.minimum !== undefined) parts.push(`≥ ${schema.minimum}`);
  if (schema.maximum !== undefined) parts.push(`≤ ${schema.maximum}`);
  if (schema.maxItems !== undefined) parts.push(`at most ${schema.maxItems} items`);
  if (schema.pattern !== undefined) parts.push(`matches ${schema.pattern}`);
  if (schema.default !== undefined) parts.push(`default ${JSON.stringify(schema.default)}`);
  if (schema.additionalProperties === false) parts.push('no other fields');
  return parts.join('; ');
}

/** One row per field, nested objects flattened to dotted names. */
function fieldRows(schema, prefix = '', depth = 0) {
  if (!schema?.properties || depth > MAX_DEPTH) return [];
  const required = new Set(schema.required ?? []);
  return Object.entries(schema.properties).flatMap(([name, field]) => {
    const path = prefix + name;
    const row = h(
      'tr',
      {},
      h('td', {}, h('code', {}, path)),
      h('td', {}, ...typeOf(field)),
      h('td', {}, required.has(name) ? 'yes' : 'no'),
      h('td', {}, [field.description, rules(field)].filter(Boolean).join(' — ')),
    );
    return [row, ...fieldRows(field, `${path}.`, depth + 1)];
  });
}

/** A schema as a table of its fields, or as its type when it has none. */
function schemaView(schema) {
  const rows = fieldRows(schema);
  const parts = [];
  if (schema.description) parts.push(h('p', {}, schema.description));
  if (rows.length === 0) {
    parts.push(h('p', {}, 'Type: ', ...typeOf(schema), rules(schema) ? ` (${rules(schema)})` : ''));
    return parts;
  }
  const head = h('tr', {}, ['field', 'type', 'required', 'notes'].map((label) => h('th', { scope: 'col' }, label)));
  parts.push(h('div', { class: 'table' }, h('table', {}, h('thead', {}, head), h('tbody', {}, rows))));
  if (rules(schema)) parts.push(h('p', { class: 'note' }, rules(schema)));
  return parts;
}

/** The payload behind a $ref, shown under the referenced name. */
function payloadView(doc, payload) {
  if (!payload.$ref) return schemaView(payload);
  const name = refName(payload.$ref);
  return [h('p', {}, 'Payload: ', h('a', { href: `#${schemaAnchor(name)}` }, name)), ...schemaView(resolve(doc, payload.$ref))];
}

const pre = (value) => h('pre', { tabindex: '0' }, JSON.stringify(value, null, 2));

function messageView(doc, message) {
  return h(
    'details',
    { class: 'item' },
    h('summary', {}, h('code', {}, message.name), ' ', message.title ?? '', message.summary ? ` — ${message.summary}` : ''),
    message.description ? h('p', { class: 'prose' }, message.description) : null,
    payloadView(doc, message.payload),
    (message.examples ?? []).map((example) => [h('h5', {}, `Example ${example.name}`), pre(example.payload)]),
  );
}

function renderAsyncApi(doc) {
  const section = document.getElementById('websocket');
  section.append(h('p', { class: 'prose' }, doc.info.description ?? ''));
  for (const channel of Object.values(doc.channels)) {
    section.append(h('h3', {}, h('code', {}, `WS ${channel.address}`)), h('p', { class: 'prose' }, channel.description ?? ''));
    const parameters = Object.entries(channel.parameters ?? {}).map(([name, parameter]) =>
      h('tr', {}, h('td', {}, h('code', {}, `{${name}}`)), h('td', {}, 'path'), h('td', {}, parameter.description ?? '')),
    );
    const query = Object.entries(channel.bindings?.ws?.query?.properties ?? {}).map(([name, parameter]) =>
      h('tr', {}, h('td', {}, h('code', {}, `?${name}=`)), h('td', {}, 'query'), h('td', {}, parameter.description ?? '')),
    );
    const head = h('tr', {}, ['parameter', 'in', 'meaning'].map((label) => h('th', { scope: 'col' }, label)));
    section.append(h('div', { class: 'table' }, h('table', {}, h('thead', {}, head), h('tbody', {}, parameters, query))));
  }
  for (const operation of Object.values(doc.operations)) {
    const direction = operation.action === 'receive' ? 'Client → server' : 'Server → client';
    section.append(h('h4', {}, direction), h('p', {}, operation.summary ?? ''));
    for (const { $ref } of operation.messages) {
      const channelMessage = resolve(doc, $ref);
      section.append(messageView(doc, channelMessage.$ref ? resolve(doc, channelMessage.$ref) : channelMessage));
    }
  }
  section.hidden = false;
}

const METHODS = ['get', 'head', 'post', 'put', 'patch', 'delete'];

function operationView(doc, path, method, operation, pathParameters) {
  const parameters = [...pathParameters, ...(operation.parameters ?? [])];
  const responses = Object.entries(operation.responses ?? {}).map(([status, response]) => {
    const media = Object.entries(response.content ?? {});
    return h(
      'div',
      { class: 'response' },
      h('h5', {}, `${status} `, media.map(([type]) => h('code', {}, type))),
      h('p', {}, response.description ?? ''),
      media.flatMap(([, { schema }]) => (schema?.$ref ? payloadView(doc, schema) : [])),
    );
  });
  return h(
    'details',
    { class: 'item' },
    h(
      'summary',
      {},
      h('span', { class: `method ${method}` }, method.toUpperCase()),
      ' ',
      h('code', {}, path),
      operation.security?.length ? h('span', { class: 'badge', title: 'Needs the admin bearer token, or a loopback caller' }, 'admin') : null,
      operation.summary ? ` — ${operation.summary}` : '',
    ),
    parameters.map((parameter) => h('p', {}, h('code', {}, `{${parameter.name}}`), ` (${parameter.in}): ${parameter.description ?? ''}`)),
    operation.requestBody ? [h('h5', {}, 'Request body'), ...Object.values(operation.requestBody.content).flatMap(({ schema }) => payloadView(doc, schema))] : null,
    responses,
  );
}

function renderOpenApi(doc) {
  const section = document.getElementById('rest');
  section.append(h('p', { class: 'prose' }, doc.info.description ?? ''));
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of METHODS) {
      if (item[method]) section.append(operationView(doc, path, method, item[method], item.parameters ?? []));
    }
  }
  section.hidden = false;
}

function renderSchemas(documents) {
  const section = document.getElementById('schemas');
  const seen = new Set();
  for (const doc of documents) {
    for (const [name, schema] of Object.entries(doc.components?.schemas ?? {})) {
      if (seen.has(name)) continue;
      seen.add(name);
      section.append(h('details', { class: 'item', id: schemaAnchor(name) }, h('summary', {}, h('code', {}, name)), schemaView(schema)));
    }
  }
  section.hidden = false;
}

/** Opens the schema a link points at, so following a type link shows it (also on load: the sections are built after the browser looked for the anchor). */
function openLinkedSchema() {
  const target = location.hash && document.getElementById(location.hash.slice(1));
  if (!(target instanceof HTMLDetailsElement)) return;
  target.open = true;
  target.scrollIntoView();
}

async function load(url) {
  const response = await fetch(url, { headers: { Accept: 'application/json' } });
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return response.json();
}

const status = document.getElementById('status');
try {
  const [asyncApi, openApi] = await Promise.all([load('asyncapi.json'), load('openapi.json')]);
  renderAsyncApi(asyncApi);
  renderOpenApi(openApi);
  renderSchemas([asyncApi, openApi]);
  status.textContent = `${asyncApi.info.title} and ${openApi.info.title}, version ${asyncApi.info.version}.`;
  window.addEventListener('hashchange', openLinkedSchema);
  openLinkedSchema();
} catch (err) {
  status.textContent = `Could not load the documents (${err.message}).`;
  status.classList.add('error');
}
