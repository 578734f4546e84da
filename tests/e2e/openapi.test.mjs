// The OpenAPI document against the edge that serves it, on real workerd + KV: the document is
// OpenAPI 3.1.0 and well-formed; every route of edge/src/router.rs is documented with its access
// rule (and nothing else is); the Rust types behind the schemas have the documented fields; and
// every documented operation is exercised with real requests — successes and errors — whose
// status must be documented for that operation, whose required headers must be present, and
// whose body must validate against the documented schema. Other methods on every path are 405,
// and edges without their KV binding or with a broken signing key answer every operation 503 /
// 500 as documented.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';
import { ROOT, api, devVarsText, freePort, generateSecrets, startStack } from '../lib/stack.mjs';
import { makeSubmission, ulid, visitorKey } from '../lib/receipt.mjs';

const SITE = 'oa-site';
const ORIGIN = 'https://shop.example.kz';
const FOREIGN = 'https://evil.example';
const SUBJECT_LIMIT = 8;
const METHODS = ['get', 'head', 'post', 'put', 'delete', 'options'];
const PROBE_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH'];
const NO_BODY_STATUSES = [204, 304];

let stack;
let doc; // the document as the edge serves it
let ajv;
const seen = new Map(); // "METHOD template" → Set of statuses observed
const tokens = {}; // name → created token (json)

const read = (path) => readFile(join(ROOT, path), 'utf8');
const rust = {};
/** The service, one file per concept, and the shared answer types of core. */
const SERVICE_FILES = ['mod', 'sites', 'policies', 'submission', 'receipts', 'erasure', 'stats', 'tokens', 'export', 'csv']
  .map((f) => `edge/src/service/${f}.rs`);
const API_FILES = ['sites', 'policies', 'receipts', 'subjects', 'erasure', 'stats', 'tokens', 'export'].map((f) => `core/src/api/${f}.rs`);

before(async () => {
  for (const f of ['edge/src/router.rs', ...SERVICE_FILES, 'edge/src/auth.rs', 'edge/src/error.rs', 'edge/src/routes.rs',
    ...API_FILES, 'core/src/receipt.rs', 'core/src/policy.rs', 'core/src/sign.rs', 'core/src/error.rs', 'core/src/error_code.rs', 'core/src/category.rs']) {
    rust[f] = await read(f);
  }
  stack = await startStack({
    name: 'openapi',
    // The ledger's checkpoints every 300 ms instead of 10 s, so the log routes answer soon.
    editConfig: (toml) => `${toml.replace(/(name = "SUBJECT_LIMITER"[\s\S]*?simple = \{ limit = )\d+/, `$1${SUBJECT_LIMIT}`)}\n[vars]\nLEDGER_CHECKPOINT_MS = "300"\n`,
  });
  const res = await stack.api('GET', '/v1/openapi.json');
  assert.equal(res.status, 200, res.text);
  doc = res.json;
  ajv = makeAjv(doc);
});
after(async () => { await stack?.stop(); });

// ---------------------------------------------------------------------------------------------
// The document as schemas

function makeAjv(document) {
  const a = new Ajv2020({ strict: true, strictTypes: false, allowUnionTypes: true, validateFormats: false, allErrors: true });
  a.addVocabulary(['discriminator', 'example']);
  // The component schemas under one $id; every `#/components/schemas/X` is rewritten to point there.
  a.addSchema({ $id: 'openapi', $defs: rewriteRefs(document.components.schemas) });
  return a;
}

function rewriteRefs(value) {
  return JSON.parse(JSON.stringify(value).replaceAll('"#/components/schemas/', '"openapi#/$defs/'));
}

const compiled = new Map();
function validator(schema) {
  const key = JSON.stringify(schema);
  if (!compiled.has(key)) compiled.set(key, ajv.compile(rewriteRefs(schema)));
  return compiled.get(key);
}

function assertValid(schema, value, what) {
  const validate = validator(schema);
  if (!validate(value)) {
    assert.fail(`${what} does not match its documented schema:\n${ajv.errorsText(validate.errors, { separator: '\n' })}\n` +
      `value: ${JSON.stringify(value).slice(0, 1500)}`);
  }
}

/** Follows a local `$ref` ("#/components/…") in the document. */
function deref(node) {
  let out = node;
  for (let i = 0; out && out.$ref && i < 10; i++) {
    out = out.$ref.slice(2).split('/').reduce((o, k) => o?.[k.replaceAll('~1', '/').replaceAll('~0', '~')], doc);
  }
  return out;
}

function operations(document = doc) {
  const out = [];
  for (const [template, item] of Object.entries(document.paths)) {
    for (const method of METHODS) if (item[method]) out.push({ template, method, op: item[method] });
  }
  return out;
}

const fill = (template, params = {}) => template.replace(/\{(\w+)\}/g, (_, name) => {
  assert.ok(params[name] !== undefined, `no value for {${name}} in ${template}`);
  return encodeURIComponent(params[name]);
});

// ---------------------------------------------------------------------------------------------
// Calling the edge and checking each answer against the document

/**
 * Calls `METHOD template` with `params` filled in, then checks the answer against the document:
 * the status is documented for the operation, required headers are present and every documented
 * header matches its schema, and the body matches the documented content.
 */
async function call(method, template, { params = {}, query, base = stack.edgeUrl, record = true, ...opts } = {}) {
  let path = fill(template, { site: SITE, ...params });
  if (query) path += `?${new URLSearchParams(query)}`;
  const res = await api(base, method, path, opts);
  checkAgainstDoc(method, template, res);
  if (record) {
    const key = `${method} ${template}`;
    if (!seen.has(key)) seen.set(key, new Set());
    seen.get(key).add(res.status);
  }
  return res;
}

function checkAgainstDoc(method, template, res, documented) {
  const what = `${method} ${template} → ${res.status}`;
  let response = documented;
  if (!response) {
    const op = doc.paths[template]?.[method.toLowerCase()];
    assert.ok(op, `${method} ${template} is not a documented operation`);
    response = op.responses[String(res.status)] ?? op.responses.default;
    assert.ok(response, `${what}: status not documented (documented: ${Object.keys(op.responses)}); body ${res.text.slice(0, 300)}`);
  }
  response = deref(response);
  for (const [name, raw] of Object.entries(response.headers ?? {})) {
    const header = deref(raw);
    const value = res.headers.get(name);
    if (header.required) assert.notEqual(value, null, `${what}: required header ${name} missing`);
    if (value !== null && header.schema) assertValid(header.schema, value, `${what} header ${name}`);
  }
  assert.equal(res.headers.get('x-content-type-options'), 'nosniff', `${what}: nosniff`);
  if (method === 'HEAD' || NO_BODY_STATUSES.includes(res.status)) {
    assert.equal(res.text, '', `${what}: no body expected`);
    if (method !== 'HEAD') assert.equal(response.content, undefined, `${what}: documented with a body`);
    return;
  }
  assert.ok(response.content, `${what}: a body came but none is documented: ${res.text.slice(0, 200)}`);
  const contentType = res.headers.get('content-type') ?? '';
  const media = contentType.split(';')[0].trim().toLowerCase();
  const content = response.content[media];
  assert.ok(content, `${what}: content type ${contentType} not documented (${Object.keys(response.content)})`);
  if (media === 'application/json') {
    assert.equal(contentType, 'application/json; charset=utf-8', what);
    assert.notEqual(res.json, undefined, `${what}: body is not JSON: ${res.text.slice(0, 200)}`);
    assertValid(content.schema, res.json, `${what} body`);
  } else if (media === 'application/x-ndjson') {
    assert.ok(content['x-line-schema'], `${what}: NDJSON without x-line-schema`);
    const first = res.text.split('\n')[0];
    if (first) assertValid(content['x-line-schema'], JSON.parse(first), `${what} first NDJSON line`);
  } else if (media === 'text/plain') {
    assert.ok(res.text.length > 0 && res.text.endsWith('\n'), `${what}: a text answer ends with a newline`);
  } else if (media === 'text/javascript') {
    assert.equal(contentType, 'text/javascript; charset=utf-8', what);
    assert.doesNotThrow(() => new Function(res.text), `${what}: the body parses as a script`);
  } else if (media === 'text/csv') {
    assert.equal(res.text.split('\n')[0], content['x-csv-header'], `${what}: CSV header line`);
  } else {
    assert.fail(`${what}: no check for ${media}`);
  }
}

const auth = (name) => ({ token: name === 'admin' ? stack.adminToken : tokens[name].token });

// ---------------------------------------------------------------------------------------------
// Reading the Rust sources

/** (method, path, variant) for every route `route()` in router.rs matches. */
function routerRoutes() {
  const src = rust['edge/src/router.rs'];
  const body = src.slice(src.indexOf('pub fn route('), src.indexOf('#[cfg(test)]'));
  const arms = body.split(/\n {8}(?=\[)/).slice(1);
  assert.ok(arms.length >= 10, 'router arms not found; update the parser in this test');
  const routes = [];
  for (const arm of arms) {
    const pattern = arm.match(/^\[(.*?)\]\s*=>/s);
    assert.ok(pattern, `unparsed router arm: ${arm.slice(0, 80)}`);
    // Segments: "literal", a parameter name, or `name @ ("a" | "b")`.
    let templates = [''];
    let leaves = null;
    for (const raw of pattern[1].split(',').map((s) => s.trim())) {
      const literal = raw.match(/^"([^"]*)"$/);
      const alternatives = raw.match(/^\w+\s*@\s*\((.*)\)$/);
      if (literal) templates = templates.map((t) => `${t}/${literal[1]}`);
      else if (alternatives) {
        leaves = [...alternatives[1].matchAll(/"([^"]*)"/g)].map((m) => m[1]);
        templates = templates.flatMap((t) => leaves.map((l) => `${t}/${l}`));
      } else if (/^\w+$/.test(raw)) templates = templates.map((t) => `${t}/{${raw}}`);
      else assert.fail(`unparsed router segment ${raw}`);
    }
    const methodList = (text) => [...text.matchAll(/\b(Get|Head|Post|Put|Delete|Options)\b/g)].map((m) => m[1].toLowerCase());
    if (leaves) {
      const methods = methodList(arm.match(/matches!\(method,([^)]*)\)/)[1]);
      const variants = {};
      for (const m of arm.matchAll(/("(\w+)"|_)\s*=>\s*Route::(\w+)/g)) variants[m[2] ?? '_'] = m[3];
      for (const [i, leaf] of leaves.entries()) {
        const variant = variants[leaf] ?? variants._;
        assert.ok(variant, `no variant for leaf ${leaf}`);
        for (const method of methods) routes.push({ method, path: templates[i], variant });
      }
    } else {
      const pairs = [...arm.matchAll(/((?:\b(?:Get|Head|Post|Put|Delete|Options)\b\s*\|?\s*)+)=>\s*Route::(\w+)/g)];
      assert.ok(pairs.length > 0, `no methods in router arm ${pattern[0]}`);
      for (const [, methods, variant] of pairs) {
        for (const method of methodList(methods)) routes.push({ method, path: templates[0], variant });
      }
    }
  }
  return routes;
}

/** Route variant → null (public), 'admin' or the scope, from `Route::access()`. */
function accessTable() {
  const src = rust['edge/src/router.rs'];
  const body = src.slice(src.indexOf('pub fn access(&self)'), src.indexOf('pub fn site(&self)'));
  const table = {};
  let last = 0;
  for (const m of body.matchAll(/Access::(Public|Admin|Scoped\(Scope::(\w+)\))/g)) {
    const role = m[1] === 'Public' ? null : m[1] === 'Admin' ? 'admin' : m[2].toLowerCase();
    for (const v of body.slice(last, m.index).matchAll(/Self::(\w+)/g)) table[v[1]] = role;
    last = m.index + m[0].length;
  }
  return table;
}

const normalise = (path) => path.replace(/\{\w+\}/g, '{}');
const snake = (name) => name.replace(/[a-z0-9][A-Z]/g, (m) => `${m[0]}_${m[1]}`).toLowerCase();

/** Field names of `pub struct name` (serde renames applied). */
function structFields(src, name) {
  const start = src.indexOf(`pub struct ${name} {`);
  assert.ok(start >= 0, `struct ${name} not found`);
  const body = src.slice(start, src.indexOf('\n}', start));
  const fields = [];
  let rename = null;
  for (const line of body.split('\n').slice(1)) {
    const r = line.match(/#\[serde\(.*rename = "(\w+)"/);
    if (r) rename = r[1];
    const f = line.match(/^\s*pub (\w+):/);
    if (f) {
      fields.push(rename ?? f[1]);
      rename = null;
    }
  }
  return fields;
}

/** The field names of struct-like variant `variant` of enum `name` (`Paragraph { text, anchor }`). */
function variantFields(src, name, variant) {
  const start = src.indexOf(`pub enum ${name} {`);
  assert.ok(start >= 0, `enum ${name} not found`);
  const body = src.slice(src.indexOf('{', start) + 1, src.indexOf('\n}', start));
  const at = body.search(new RegExp(`^\\s*${variant} \\{`, 'm'));
  assert.ok(at >= 0, `${name}::${variant} not found`);
  const fields = body.slice(body.indexOf('{', at) + 1, body.indexOf('\n    }', at));
  return [...fields.matchAll(/^\s*(\w+):/gm)].map((m) => m[1]);
}

/** snake_case variant names of `pub enum name`. */
function enumVariants(src, name) {
  const start = src.indexOf(`pub enum ${name} {`);
  assert.ok(start >= 0, `enum ${name} not found`);
  const body = src.slice(src.indexOf('{', start) + 1, src.indexOf('\n}', start));
  return [...body.matchAll(/^\s*([A-Z]\w*)\s*[,({]/gm)].map((m) => snake(m[1]));
}

// ---------------------------------------------------------------------------------------------

describe('the document', () => {
  test('is OpenAPI 3.1.0, served as edge/openapi.json is on disk, publicly and with CORS', async () => {
    assert.equal(doc.openapi, '3.1.0');
    assert.ok(doc.info?.title && doc.info?.version);
    const onDisk = JSON.parse(await read('edge/openapi.json'));
    assert.deepEqual(doc, onDisk, 'the edge serves another document than edge/openapi.json: rebuild with ./x build');
    const res = await call('GET', '/v1/openapi.json');
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
    assertValid(deref(doc.paths['/v1/openapi.json'].get.responses['200']).content['application/json'].schema, res.json, 'document');
    assert.equal((await call('HEAD', '/v1/openapi.json')).status, 200);
  });

  test('is well-formed: refs resolve, operation ids are unique, path parameters are declared, schemas compile strictly', () => {
    const refs = [];
    (function walk(node) {
      if (Array.isArray(node)) node.forEach(walk);
      else if (node && typeof node === 'object') {
        if (typeof node.$ref === 'string') refs.push(node.$ref);
        Object.values(node).forEach(walk);
      }
    })(doc);
    for (const r of refs) {
      assert.match(r, /^#\/components\//, `non-local $ref ${r}`);
      assert.notEqual(deref({ $ref: r }), undefined, `unresolved $ref ${r}`);
    }
    const ids = operations().map(({ op }) => op.operationId);
    assert.equal(new Set(ids).size, ids.length, 'duplicate operationId');
    for (const { template, method, op } of operations()) {
      const declared = (op.parameters ?? []).map(deref).filter((p) => p.in === 'path').map((p) => p.name).sort();
      const inTemplate = [...template.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
      assert.deepEqual(declared, inTemplate, `${method} ${template}: path parameters`);
      for (const [status, r] of Object.entries(op.responses)) {
        assert.match(status, /^[1-5]\d\d$/, `${method} ${template}: status ${status}`);
        assert.ok(deref(r)?.description, `${method} ${template} ${status}: no description`);
      }
      assert.ok(Array.isArray(op.security), `${method} ${template}: explicit security`);
    }
    for (const name of Object.keys(doc.components.schemas)) validator({ $ref: `#/components/schemas/${name}` });
  });

  test('documents every route of the router with its access rule, and no other', () => {
    const routes = routerRoutes();
    const access = accessTable();
    const fromRouter = new Set(routes.map((r) => `${r.method} ${normalise(r.path)}`));
    const fromDoc = new Set(operations().map(({ method, template }) => `${method} ${normalise(template)}`));
    assert.deepEqual([...fromRouter].filter((r) => !fromDoc.has(r)), [], 'routes the router serves that are not documented');
    assert.deepEqual([...fromDoc].filter((r) => !fromRouter.has(r)), [], 'documented operations the router does not serve');
    for (const { method, path, variant } of routes) {
      assert.ok(variant in access, `Route::${variant} has no access rule`);
      const template = Object.keys(doc.paths).find((t) => normalise(t) === normalise(path));
      const op = doc.paths[template][method];
      const role = access[variant];
      if (role === null) {
        assert.deepEqual(op.security, [], `${method} ${template} is public`);
        assert.match(op.description, /public/i, `${method} ${template}: description names the access`);
      } else {
        assert.deepEqual(op.security, [{ bearerAuth: [role] }], `${method} ${template} needs ${role}`);
        assert.ok(op.description.includes(`\`${role}\``) || (role === 'admin' && /admin token only/.test(op.description)),
          `${method} ${template}: description names ${role}`);
        assert.ok(op.responses['401'], `${method} ${template}: 401 documented`);
        if (role !== 'admin') assert.ok(op.responses['403'], `${method} ${template}: 403 documented`);
      }
    }
    // OPERATOR_ROUTES (what the auth-enumeration tests walk) is exactly the documented non-public routes.
    const src = rust['edge/src/router.rs'];
    const table = src.slice(src.indexOf('pub const OPERATOR_ROUTES'), src.indexOf('];', src.indexOf('pub const OPERATOR_ROUTES')));
    const operator = [...table.matchAll(/\("(\w+)",\s*"([^"]+)"\)/g)].map((m) => `${m[1].toLowerCase()} ${m[2]}`).sort();
    const documented = operations().filter(({ method, op }) => op.security.length > 0 && method !== 'head')
      .map(({ method, template }) => `${method} ${template}`).sort();
    assert.deepEqual(documented, operator, 'documented operator routes vs OPERATOR_ROUTES');
    assert.deepEqual(Object.keys(doc.components.securitySchemes), ['bearerAuth']);
    assert.deepEqual(doc.components.securitySchemes.bearerAuth, { ...doc.components.securitySchemes.bearerAuth, type: 'http', scheme: 'bearer' });
  });

  test('its schemas have the fields, variants and codes of the Rust types', () => {
    const S = doc.components.schemas;
    const props = (name) => Object.keys(S[name].properties).sort();
    const structs = [
      ['ReceiptClaims', 'core/src/receipt.rs'], ['PolicyRef', 'core/src/receipt.rs'], ['SubmitReceipt', 'core/src/receipt.rs'],
      ['Receipt', 'core/src/receipt.rs'], ['SignedReceipt', 'core/src/receipt.rs'], ['Verification', 'core/src/receipt.rs'],
      ['Policy', 'core/src/policy.rs'], ['PolicyCategory', 'core/src/policy.rs'], ['Operator', 'core/src/policy.rs'],
      ['PublicJwk', 'core/src/sign.rs'], ['JwksKey', 'core/src/sign.rs'], ['Jwks', 'core/src/sign.rs'],
      ['ReceiptSummary', 'core/src/api/receipts.rs'], ['ReceiptPage', 'core/src/api/receipts.rs'], ['SubjectState', 'core/src/api/subjects.rs'],
      ['SubjectView', 'core/src/api/subjects.rs'], ['Erasure', 'core/src/api/erasure.rs'], ['SignedErasure', 'core/src/api/erasure.rs'],
      ['ErasureStatus', 'core/src/api/erasure.rs'], ['ErasureList', 'core/src/api/erasure.rs', 'ErasurePage'], ['Fork', 'core/src/api/subjects.rs'],
      ['CategoryCounts', 'core/src/api/stats.rs'], ['DayView', 'core/src/api/stats.rs'], ['StatsView', 'core/src/api/stats.rs'],
      ['SiteConfig', 'core/src/api/sites.rs'], ['CreateToken', 'core/src/api/tokens.rs'],
    ];
    for (const [name, file, rustName = name] of structs) {
      assert.deepEqual(props(name), structFields(rust[file], rustName).sort(), `${name} vs ${file}`);
      assert.equal(S[name].additionalProperties, false, `${name}: additionalProperties false`);
    }
    assert.deepEqual(props('TokenInfo'), structFields(rust['core/src/api/tokens.rs'], 'TokenRecord').filter((f) => f !== 'sha256').sort());
    // Block variants, tagged by `type`.
    const blocks = enumVariants(rust['core/src/policy.rs'], 'Block');
    assert.deepEqual(Object.keys(S.Block.discriminator.mapping).sort(), [...blocks].sort());
    for (const variant of blocks) {
      const schema = deref({ $ref: S.Block.discriminator.mapping[variant] });
      assert.equal(schema.properties.type.const, variant);
      assert.equal(schema.additionalProperties, false);
      // The same fields as core's variant (a paragraph's optional clause anchor included).
      const rustVariant = variant.replace(/(^|_)(\w)/g, (_, __, c) => c.toUpperCase());
      assert.deepEqual(Object.keys(schema.properties).filter((p) => p !== 'type').sort(),
        variantFields(rust['core/src/policy.rs'], 'Block', rustVariant).sort(), `${variant} block vs core`);
    }
    assert.deepEqual(S.Scope.enum, enumVariants(rust['core/src/api/tokens.rs'], 'Scope'));
    assert.deepEqual(S.Action.enum, enumVariants(rust['core/src/receipt.rs'], 'Action'));
    assert.deepEqual(S.Decision.enum, enumVariants(rust['core/src/category.rs'], 'Decision'));
    assert.deepEqual(S.CheckResult.oneOf.map((s) => s.properties.status.const), enumVariants(rust['core/src/receipt.rs'], 'CheckResult'));
    // Every error code the edge can send, and no other: the one table of core/src/error_code.rs
    // (edge/tests/error_codes.rs checks the same against `ErrorCode::ALL`).
    const codes = [...rust['core/src/error_code.rs'].matchAll(/^\s+[A-Z]\w* => "(\w+)",$/gm)].map((m) => m[1]);
    assert.ok(codes.length > 40, 'the ErrorCode table is read');
    assert.deepEqual([...S.ErrorCode.enum].sort(), [...codes].sort(), 'ErrorCode vs core/src/error_code.rs');
    const csv = rust['core/src/api/export.rs'].match(/pub const CSV_HEADER: &str =\s*"([^"]*)\\n";/)[1];
    assert.equal(doc.paths['/v1/sites/{site}/export'].get.responses['200'].content['text/csv']['x-csv-header'], csv);
  });
});

// ---------------------------------------------------------------------------------------------

describe('every operation against the document', () => {
  let policy; // the demo policy, for this site
  let served; // GET policy answer (current version)
  const keyA = visitorKey();
  const receipts = {}; // name → SignedReceipt

  before(async () => {
    policy = JSON.parse(await read('www/demo/policies/crm-demo.json'));
    policy.site = SITE;
    policy.version = 1;
  });

  test('public keys', async () => {
    const res = await call('GET', '/.well-known/jwks.json');
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
    assert.equal((await call('HEAD', '/.well-known/jwks.json')).status, 200);
  });

  test('sites', async () => {
    const body = { origins: [ORIGIN] };
    assert.equal((await call('PUT', '/v1/sites/{site}', { ...auth('admin'), body })).status, 201);
    assert.equal((await call('PUT', '/v1/sites/{site}', { ...auth('admin'), body })).status, 200);
    assert.equal((await call('PUT', '/v1/sites/{site}', { body })).status, 401);
    assert.equal((await call('PUT', '/v1/sites/{site}', { ...auth('admin'), raw: '{"origins":[]}', headers: { 'Content-Type': 'text/plain' } })).status, 415);
    assert.equal((await call('PUT', '/v1/sites/{site}', { ...auth('admin'), body: { origins: 'x' } })).status, 400);
    assert.equal((await call('PUT', '/v1/sites/{site}', { ...auth('admin'), body: { origins: [], extra: 1 } })).status, 400);
    assert.equal((await call('PUT', '/v1/sites/{site}', { ...auth('admin'), body: { origins: ['ftp://x'] } })).json.error.code, 'invalid_origin');
    assert.equal((await call('PUT', '/v1/sites/{site}', { ...auth('admin'), body: { origins: Array(17).fill(ORIGIN) } })).json.error.code, 'too_many');
    assert.equal((await call('PUT', '/v1/sites/{site}', { ...auth('admin'), params: { site: 'Not_A_Slug' }, body })).json.error.code, 'invalid_id');
    assert.equal((await call('PUT', '/v1/sites/{site}', { ...auth('admin'), params: { site: 'a'.repeat(600) }, body })).json.error.code, 'path_too_long');
    assert.equal((await call('PUT', '/v1/sites/{site}', { ...auth('admin'), body: { origins: [`https://${'a'.repeat(9000)}`] } })).status, 413);
  });

  test('tokens: create, list, revoke', async () => {
    for (const [name, scopes] of [['all', ['read', 'export', 'erase', 'publish']], ['read', ['read']], ['export', ['export']],
      ['erase', ['erase']], ['publish', ['publish']], ['noPublish', ['read', 'export', 'erase']]]) {
      const res = await call('POST', '/v1/sites/{site}/tokens', { ...auth('admin'), body: { scopes, label: `openapi ${name}` } });
      assert.equal(res.status, 201, res.text);
      assert.equal(res.headers.get('cache-control'), 'no-store');
      tokens[name] = res.json;
    }
    const unlabelled = await call('POST', '/v1/sites/{site}/tokens', { ...auth('admin'), body: { scopes: ['read', 'read'] } });
    assert.deepEqual([unlabelled.json.scopes, unlabelled.json.label], [['read'], '']);
    assert.equal((await call('POST', '/v1/sites/{site}/tokens', { ...auth('admin'), body: { scopes: [] } })).json.error.code, 'empty');
    assert.equal((await call('POST', '/v1/sites/{site}/tokens', { ...auth('admin'), body: { scopes: ['read'], label: 'x'.repeat(101) } })).json.error.code, 'too_long');
    assert.equal((await call('POST', '/v1/sites/{site}/tokens', { ...auth('admin'), body: { scopes: ['root'] } })).status, 400);
    assert.equal((await call('POST', '/v1/sites/{site}/tokens', { ...auth('read'), body: { scopes: ['read'] } })).status, 401);
    assert.equal((await call('POST', '/v1/sites/{site}/tokens', { ...auth('admin'), params: { site: 'no-such-site' }, body: { scopes: ['read'] } })).json.error.code, 'unknown_site');
    assert.equal((await call('POST', '/v1/sites/{site}/tokens', { ...auth('admin'), raw: '{"scopes":["read"]}' })).status, 415);
    assert.equal((await call('POST', '/v1/sites/{site}/tokens', { ...auth('admin'), body: { scopes: ['read'], label: 'x'.repeat(9000) } })).status, 413);

    const listed = await call('GET', '/v1/sites/{site}/tokens', auth('admin'));
    assert.equal(listed.status, 200);
    assert.ok(listed.json.tokens.some((t) => t.id === tokens.read.id));
    assert.equal((await call('HEAD', '/v1/sites/{site}/tokens', auth('admin'))).status, 200);
    assert.equal((await call('GET', '/v1/sites/{site}/tokens', auth('all'))).status, 401);
    assert.equal((await call('HEAD', '/v1/sites/{site}/tokens')).status, 401);

    const params = { token_id: unlabelled.json.id };
    assert.equal((await call('DELETE', '/v1/sites/{site}/tokens/{token_id}', { ...auth('admin'), params })).status, 204);
    assert.equal((await call('DELETE', '/v1/sites/{site}/tokens/{token_id}', { ...auth('admin'), params })).json.error.code, 'token_not_found');
    assert.equal((await call('DELETE', '/v1/sites/{site}/tokens/{token_id}', { ...auth('admin'), params: { token_id: 'XYZ' } })).json.error.code, 'invalid_id');
    assert.equal((await call('DELETE', '/v1/sites/{site}/tokens/{token_id}', { ...auth('all'), params })).status, 401);
  });

  test('policies: publish, serve, versions, conditional requests, preflight', async () => {
    // Before anything is published.
    const none = await call('GET', '/v1/sites/{site}/policy', { headers: { Origin: ORIGIN } });
    assert.equal(none.json.error.code, 'policy_not_found');
    assert.equal(none.headers.get('access-control-allow-origin'), ORIGIN);

    const publish = (body, who = 'publish', opts = {}) => call('PUT', '/v1/sites/{site}/policy', { ...auth(who), body, ...opts });
    assert.equal((await publish(policy)).status, 201);
    assert.equal((await publish(policy)).json.error.code, 'policy_version_conflict');
    assert.equal((await publish({ ...policy, version: 2 }, 'noPublish')).status, 403);
    assert.equal((await call('PUT', '/v1/sites/{site}/policy', { body: policy })).status, 401);
    assert.equal((await publish({ ...policy, version: 2, site: 'crm-demo' })).json.error.code, 'site_mismatch');
    assert.equal((await publish({ ...policy, version: 2, languages: [] })).json.error.code, 'empty');
    assert.equal((await publish({ ...policy, version: 2, extra: true })).json.error.code, 'malformed_body');
    assert.equal((await publish(undefined, 'publish', { raw: JSON.stringify(policy), headers: { 'Content-Type': 'text/plain' } })).status, 415);
    assert.equal((await publish({ ...policy, version: 2, pad: 'x'.repeat(300 * 1024) })).status, 413);
    assert.equal((await call('PUT', '/v1/sites/{site}/policy', { ...auth('admin'), params: { site: 'no-such-site' }, body: { ...policy, site: 'no-such-site' } })).json.error.code, 'unknown_site');
    const v2 = await publish({ ...policy, version: 2, material: false, effective_date: '2026-12-01' }, 'all');
    assert.equal(v2.status, 201);
    assert.equal(v2.json.version, 2);

    // Current policy.
    const current = await call('GET', '/v1/sites/{site}/policy', { headers: { Origin: ORIGIN } });
    assert.equal(current.status, 200);
    assert.equal(current.json.sha256, v2.json.sha256);
    assert.equal(current.json.last_material_version, 1);
    assert.equal(current.headers.get('access-control-allow-origin'), ORIGIN);
    served = current.json;
    const en = await call('GET', '/v1/sites/{site}/policy', { query: { lang: 'en' } });
    assert.equal(en.headers.get('content-language'), 'en');
    // The first layer: the banner's texts only, bound to the full document's hash, its own ETag.
    const layer = await call('GET', '/v1/sites/{site}/policy', { query: { lang: 'en', layer: 'banner' } });
    assert.equal(layer.json.layer, 'banner');
    assert.equal(layer.json.sha256, current.json.sha256);
    assert.equal(layer.json.policy.text, undefined);
    assert.notEqual(layer.headers.get('etag'), en.headers.get('etag'));
    assert.equal((await call('GET', '/v1/sites/{site}/policy', { query: { layer: 'full' } })).json.error.code, 'invalid_query');
    assert.equal((await call('HEAD', '/v1/sites/{site}/policy', { query: { layer: 'full' } })).status, 400);
    const etag = current.headers.get('etag');
    assert.equal((await call('GET', '/v1/sites/{site}/policy', { headers: { 'If-None-Match': etag } })).status, 304);
    assert.equal((await call('HEAD', '/v1/sites/{site}/policy', { headers: { 'If-None-Match': etag } })).status, 304);
    assert.equal((await call('HEAD', '/v1/sites/{site}/policy')).status, 200);
    assert.equal((await call('GET', '/v1/sites/{site}/policy', { params: { site: 'no-such-site' } })).json.error.code, 'unknown_site');
    assert.equal((await call('HEAD', '/v1/sites/{site}/policy', { params: { site: 'no-such-site' } })).status, 404);
    assert.equal((await call('GET', '/v1/sites/{site}/policy', { params: { site: '-bad' } })).json.error.code, 'invalid_id');

    // One version.
    const V = '/v1/sites/{site}/policy/versions/{version}';
    const one = await call('GET', V, { params: { version: 1 } });
    assert.equal(one.status, 200);
    assert.equal(one.json.policy.version, 1);
    assert.match(one.headers.get('cache-control'), /max-age=86400/);
    assert.equal((await call('GET', V, { params: { version: 1 }, query: { layer: 'banner' } })).json.policy.version, 1);
    assert.equal((await call('GET', V, { params: { version: 1 }, headers: { 'If-None-Match': one.headers.get('etag') } })).status, 304);
    assert.equal((await call('HEAD', V, { params: { version: 2 } })).status, 200);
    assert.equal((await call('HEAD', V, { params: { version: 1 }, headers: { 'If-None-Match': one.headers.get('etag') } })).status, 304);
    assert.equal((await call('GET', V, { params: { version: 99 } })).json.error.code, 'policy_not_found');
    assert.equal((await call('HEAD', V, { params: { version: 99 } })).status, 404);
    assert.equal((await call('GET', V, { params: { version: 0 } })).json.error.code, 'invalid_id');

    // The list of versions.
    const L = '/v1/sites/{site}/policy/versions';
    const list = await call('GET', L, auth('read'));
    assert.deepEqual(list.json.versions.map((v) => v.version), [2, 1]);
    assert.equal((await call('HEAD', L, auth('read'))).status, 200);
    assert.equal((await call('GET', L)).status, 401);
    assert.equal((await call('GET', L, auth('export'))).status, 403);
    assert.equal((await call('HEAD', L, auth('export'))).status, 403);
    assert.equal((await call('GET', L, { ...auth('admin'), params: { site: 'no-such-site' } })).json.error.code, 'unknown_site');

    // Preflight on the three public paths.
    for (const [template, params] of [['/v1/sites/{site}/policy', {}], [V, { version: 1 }], ['/v1/sites/{site}/receipts', {}]]) {
      const ok = await call('OPTIONS', template, { params, headers: { Origin: ORIGIN, 'Access-Control-Request-Method': 'GET' } });
      assert.equal(ok.status, 204, template);
      assert.equal(ok.headers.get('access-control-allow-origin'), ORIGIN);
      assert.equal((await call('OPTIONS', template, { params, headers: { Origin: FOREIGN } })).json.error.code, 'origin_forbidden');
      assert.equal((await call('OPTIONS', template, { params })).status, 403);
      assert.equal((await call('OPTIONS', template, { params: { ...params, site: 'no-such-site' }, headers: { Origin: ORIGIN } })).json.error.code, 'unknown_site');
    }
  });


  test('the site\'s own loader: the first layers in it, conditional requests, unknown sites', async () => {
    const L = '/v1/sites/{site}/kelisim.js';
    const res = await call('GET', L);
    assert.equal(res.status, 200);
    assert.ok(res.text.includes(JSON.stringify(policy.summary.ru).slice(1, 30)), 'the published first layer is in it');
    const etag = res.headers.get('etag');
    assert.equal((await call('GET', L, { headers: { 'If-None-Match': etag } })).status, 304);
    assert.equal((await call('HEAD', L)).status, 200);
    assert.equal((await call('HEAD', L, { headers: { 'If-None-Match': etag } })).status, 304);
    for (const method of ['GET', 'HEAD']) {
      const unknown = await call(method, L, { params: { site: 'no-such-site' } });
      assert.equal(unknown.status, 404);
      if (method === 'GET') assert.equal(unknown.json.error.code, 'unknown_site');
    }
  });
  test('receipts: submit, replay, conflicts, rejections, rate limit', async () => {
    const R = '/v1/sites/{site}/receipts';
    const submit = (body, headers = { Origin: ORIGIN }, opts = {}) => call('POST', R, { body, headers, ...opts });
    const first = makeSubmission(served, { key: keyA, action: 'custom', decisions: { analytics: 'granted' } });
    const a1 = await submit(first);
    assert.equal(a1.status, 201, a1.text);
    assert.equal(a1.headers.get('kelisim-replayed'), null);
    assert.equal(a1.headers.get('access-control-allow-origin'), ORIGIN);
    receipts.a1 = a1.json;
    const replay = await submit(first);
    assert.equal(replay.status, 201);
    assert.equal(replay.headers.get('kelisim-replayed'), 'true');
    const conflicting = makeSubmission(served, { key: keyA, action: 'custom', decisions: { marketing: 'granted' }, id: first.claims.id });
    assert.equal((await submit(conflicting)).json.error.code, 'receipt_conflict');
    const a2 = await submit(makeSubmission(served, { key: keyA, action: 'reject_all', prev: a1.json.receipt.hash }));
    assert.equal(a2.status, 201);
    receipts.a2 = a2.json;
    const unsigned = await submit(makeSubmission(served, { key: null, action: 'accept_all' }), {});
    assert.equal(unsigned.status, 201);
    assert.equal(unsigned.json.receipt.claims.subject_key, null);
    receipts.unsigned = unsigned.json;

    assert.equal((await submit(makeSubmission(served), { Origin: FOREIGN })).json.error.code, 'origin_forbidden');
    assert.equal((await submit(makeSubmission(served, { mutate: (c) => { c.decisions.necessary = 'denied'; } }))).json.error.code, 'necessary_denied');
    assert.equal((await submit(makeSubmission(served, { mutate: (c) => { c.policy.version = 42; } }))).json.error.code, 'policy_version_unknown');
    assert.equal((await submit(makeSubmission(served, { action: 'accept_all', decisions: { analytics: 'denied' } }))).json.error.code, 'action_mismatch');
    assert.equal((await submit({ ...makeSubmission(served), extra: 1 })).json.error.code, 'malformed_body');
    assert.equal((await submit(undefined, { Origin: ORIGIN }, { raw: JSON.stringify(makeSubmission(served)), headers: { 'Content-Type': 'text/plain', Origin: ORIGIN } })).status, 415);
    assert.equal((await submit({ ...makeSubmission(served), pad: 'x'.repeat(20_000) })).status, 413);
    assert.equal((await call('POST', R, { params: { site: 'no-such-site' }, body: makeSubmission(served) })).json.error.code, 'unknown_site');
    assert.equal((await call('POST', R, { params: { site: 'a'.repeat(65) }, body: makeSubmission(served) })).json.error.code, 'invalid_id');

    // One subject over its limit.
    const hot = visitorKey();
    let limited;
    for (let i = 0; i < SUBJECT_LIMIT + 3 && !limited; i++) {
      const res = await submit(makeSubmission(served, { key: hot }));
      if (res.status === 429) limited = res;
      else assert.equal(res.status, 201, res.text);
    }
    assert.ok(limited, 'expected a 429 past the subject limit');
    assert.equal(limited.json.error.code, 'rate_limited');
    assert.ok(Number(limited.headers.get('retry-after')) > 0);
  });

  test('the log: checkpoint, key, inclusion and consistency proofs', async () => {
    const L = '/v1/sites/{site}/log';
    for (const method of ['GET', 'HEAD']) {
      assert.equal((await call(method, `${L}/checkpoint`, { query: { x: '1' } })).status, 400);
      assert.equal((await call(method, `${L}/key`, { params: { site: 'no-such-site' } })).status, 404);
      assert.equal((await call(method, `${L}/proof/inclusion`, { query: { index: '01' } })).status, 400);
      assert.equal((await call(method, `${L}/proof/consistency`, { query: { from: '2', to: '1' } })).status, 400);
    }
    // The receipts above are appended; the alarm signs their checkpoint shortly.
    let checkpoint;
    for (;;) {
      checkpoint = await call('GET', `${L}/checkpoint`);
      if (checkpoint.status === 200) break;
      assert.equal(checkpoint.json.error.code, 'checkpoint_not_found');
      await new Promise((r) => setTimeout(r, 50));
    }
    const size = Number(checkpoint.text.split('\n')[1]);
    assert.ok(size >= 2, checkpoint.text);
    for (const method of ['GET', 'HEAD']) {
      assert.equal((await call(method, `${L}/checkpoint`)).status, 200);
      assert.equal((await call(method, `${L}/key`)).status, 200);
      assert.equal((await call(method, `${L}/proof/inclusion`, { query: { index: '0' } })).status, 200);
      // Against the checkpoint read above: receipts of earlier tests may still be checkpointed meanwhile.
      assert.equal((await call(method, `${L}/proof/inclusion`, { query: { index: String(size), size: String(size) } })).status, 404);
      assert.equal((await call(method, `${L}/proof/inclusion`, { query: { id: receipts.a1.receipt.claims.id, size: String(size) } })).status, 200);
      assert.equal((await call(method, `${L}/proof/consistency`, { query: { from: '1', to: String(size) } })).status, 200);
      assert.equal((await call(method, `${L}/proof/consistency`, { query: { from: '0', to: String(size + 1000) } })).status, 400);
    }
  });

  test('receipt listing and one receipt', async () => {
    const R = '/v1/sites/{site}/receipts';
    const all = await call('GET', R, auth('read'));
    assert.equal(all.status, 200);
    assert.ok(all.json.receipts.length >= 3);
    const page = await call('GET', R, { ...auth('admin'), query: { limit: '1' } });
    assert.equal(page.json.receipts.length, 1);
    assert.equal(typeof page.json.cursor, 'string');
    const next = await call('GET', R, { ...auth('admin'), query: { limit: '1', cursor: page.json.cursor } });
    assert.notEqual(next.json.receipts[0].id, page.json.receipts[0].id);
    const filtered = await call('GET', R, { ...auth('read'), query: { subject: keyA.thumbprint, category: 'analytics', decision: 'granted', from: '2020-01-01T00:00:00.000Z' } });
    assert.deepEqual(filtered.json.receipts.map((r) => r.id), [receipts.a1.receipt.claims.id]);
    assert.equal(filtered.json.cursor, null);
    assert.equal((await call('HEAD', R, auth('read'))).status, 200);
    for (const query of [{ limit: '0' }, { decision: 'granted' }, { colour: 'red' }, { from: 'yesterday' }]) {
      assert.equal((await call('GET', R, { ...auth('read'), query })).json.error.code, 'invalid_query', JSON.stringify(query));
    }
    assert.equal((await call('HEAD', R, { ...auth('read'), query: { limit: '0' } })).status, 400);
    assert.equal((await call('GET', R)).status, 401);
    assert.equal((await call('GET', R, auth('erase'))).status, 403);

    const ONE = '/v1/sites/{site}/receipts/{id}';
    const a2 = await call('GET', ONE, { ...auth('read'), params: { id: receipts.a2.receipt.claims.id } });
    assert.equal(a2.json.valid, true);
    assert.deepEqual(a2.json.chain, { prev: receipts.a1.receipt.hash, prev_found: true });
    assert.deepEqual(a2.json.verification.visitor_signature, { status: 'valid' });
    const unsigned = await call('GET', ONE, { ...auth('admin'), params: { id: receipts.unsigned.receipt.claims.id } });
    assert.deepEqual(unsigned.json.chain, { prev: null, prev_found: null });
    assert.deepEqual(unsigned.json.verification.visitor_signature, { status: 'absent' });
    assert.equal((await call('HEAD', ONE, { ...auth('read'), params: { id: receipts.a1.receipt.claims.id } })).status, 200);
    assert.equal((await call('GET', ONE, { ...auth('read'), params: { id: ulid() } })).json.error.code, 'receipt_not_found');
    assert.equal((await call('HEAD', ONE, { ...auth('read'), params: { id: ulid() } })).status, 404);
    assert.equal((await call('GET', ONE, { ...auth('read'), params: { id: 'not-a-ulid' } })).json.error.code, 'invalid_id');
    assert.equal((await call('GET', ONE, { ...auth('export'), params: { id: ulid() } })).status, 403);
  });

  test('subjects: state, history, erasure', async () => {
    const S = '/v1/sites/{site}/subjects/{subject}';
    const a = await call('GET', S, { ...auth('read'), params: { subject: keyA.thumbprint } });
    assert.equal(a.json.state.receipt_id, receipts.a2.receipt.claims.id);
    assert.equal(a.json.receipts.length, 2);
    const nobody = await call('GET', S, { ...auth('read'), params: { subject: visitorKey().thumbprint } });
    assert.deepEqual([nobody.json.state, nobody.json.receipts], [null, []]);
    assert.equal((await call('HEAD', S, { ...auth('read'), params: { subject: keyA.thumbprint } })).status, 200);
    assert.equal((await call('GET', S, { ...auth('read'), params: { subject: 'short' } })).json.error.code, 'invalid_id');
    assert.equal((await call('GET', S, { params: { subject: keyA.thumbprint } })).status, 401);
    assert.equal((await call('HEAD', S, { params: { subject: 'short' } })).status, 400);

    assert.equal((await call('DELETE', S, { ...auth('read'), params: { subject: keyA.thumbprint } })).status, 403);
    const erased = await call('DELETE', S, { ...auth('erase'), params: { subject: keyA.thumbprint } });
    assert.equal(erased.status, 200, erased.text);
    assert.equal(erased.json.erasure.requested_by, `token:${tokens.erase.id}`);
    const retried = await call('DELETE', S, { ...auth('erase'), params: { subject: keyA.thumbprint } });
    assert.deepEqual([retried.status, retried.json], [200, erased.json], 'a retry answers the same record');
    assert.equal((await call('DELETE', S, { ...auth('erase'), params: { subject: visitorKey().thumbprint } })).json.error.code, 'subject_not_found');
    assert.equal((await call('DELETE', S, { ...auth('erase'), params: { subject: '!'.repeat(43) } })).json.error.code, 'invalid_id');

    const E = '/v1/sites/{site}/erasures';
    const list = await call('GET', E, auth('erase'));
    assert.ok(list.json.erasures.some((e) => e.erasure.id === erased.json.erasure.id));
    assert.equal((await call('HEAD', E, auth('erase'))).status, 200);
    assert.equal((await call('GET', E, auth('read'))).status, 403);
    assert.equal((await call('HEAD', E)).status, 401);
  });

  test('export and statistics', async () => {
    const X = '/v1/sites/{site}/export';
    const nd = await call('GET', X, auth('export'));
    assert.equal(nd.status, 200);
    assert.match(nd.headers.get('content-type'), /^application\/x-ndjson/);
    assert.ok(nd.text.split('\n')[0].length > 0, 'at least one receipt exported');
    const csv = await call('GET', X, { ...auth('admin'), query: { format: 'csv', from: '2020-01-01T00:00:00.000Z' } });
    assert.match(csv.headers.get('content-type'), /^text\/csv/);
    assert.equal((await call('HEAD', X, auth('export'))).status, 200);
    assert.equal((await call('GET', X, { ...auth('export'), query: { format: 'xml' } })).json.error.code, 'invalid_query');
    assert.equal((await call('GET', X, { ...auth('export'), query: { colour: 'red' } })).json.error.code, 'invalid_query');
    assert.equal((await call('GET', X, auth('read'))).status, 403);
    assert.equal((await call('HEAD', X)).status, 401);

    const T = '/v1/sites/{site}/stats';
    const today = new Date().toISOString().slice(0, 10);
    const stats = await call('GET', T, auth('read'));
    assert.equal(stats.json.to, today);
    const day = stats.json.days.find((d) => d.day === today);
    assert.ok(day.total >= 1);
    for (const c of Object.values(day.categories)) assert.equal(c.granted + c.denied + c.no_choice, day.total);
    assert.equal((await call('GET', T, { ...auth('admin'), query: { from: today, to: today } })).status, 200);
    assert.equal((await call('HEAD', T, auth('read'))).status, 200);
    assert.equal((await call('GET', T, { ...auth('read'), query: { from: '2026-01-01', to: '2025-01-01' } })).json.error.code, 'invalid_range');
    assert.equal((await call('GET', T, { ...auth('read'), query: { from: 'yesterday' } })).json.error.code, 'invalid_range');
    assert.equal((await call('GET', T, auth('erase'))).status, 403);
    assert.equal((await call('HEAD', T)).status, 401);
  });

  test('every operation refuses a malformed site id, and operator ones a missing or foreign token, as documented', async () => {
    const other = await call('POST', '/v1/sites/{site}/tokens', { ...auth('admin'), params: { site: 'crm-demo' },
      body: { scopes: ['read', 'export', 'erase', 'publish'], label: 'openapi: another site' } });
    const params = { token_id: 'a'.repeat(24), version: 1, id: ulid(), subject: 's'.repeat(43) };
    for (const { template, method, op } of operations()) {
      const M = method.toUpperCase();
      const body = ['post', 'put'].includes(method) ? {} : undefined;
      if (template.includes('{site}')) {
        const res = await call(M, template, { params: { ...params, site: 'Bad.Site' }, token: stack.adminToken, body });
        assert.equal(res.status, 400, `${M} ${template}`);
      }
      if (op.security.length === 0) continue;
      assert.equal((await call(M, template, { params, body })).status, 401, `${M} ${template} without a token`);
      const foreign = await call(M, template, { params, body, token: other.json.token });
      assert.equal(foreign.status, op.security[0].bearerAuth[0] === 'admin' ? 401 : 403, `${M} ${template} with another site's token`);
    }
  });

  test('every path answers other methods 405, and unknown paths 404, as documented', async () => {
    const params = { site: SITE, token_id: 'a'.repeat(24), version: 1, id: ulid(), subject: 's'.repeat(43) };
    for (const [template, item] of Object.entries(doc.paths)) {
      for (const method of PROBE_METHODS.filter((m) => !item[m.toLowerCase()])) {
        const res = await api(stack.edgeUrl, method, fill(template, params), { token: stack.adminToken, body: ['POST', 'PUT', 'PATCH'].includes(method) ? {} : undefined });
        assert.equal(res.status, 405, `${method} ${template}`);
        checkAgainstDoc(method, template, res, doc.components.responses.MethodNotAllowed);
      }
    }
    for (const path of ['/v1/nope', '/v1/sites/oa-site/unknown', '/v1/sites/oa-site/receipts/01ARZ3NDEKTSV4RRFFQ69G5FAV/extra', '/.well-known/other']) {
      for (const method of ['GET', 'POST']) {
        const res = await api(stack.edgeUrl, method, path, { body: method === 'POST' ? {} : undefined });
        assert.equal(res.status, 404, `${method} ${path}`);
        checkAgainstDoc(method, path, res, doc.components.responses.NotFound);
      }
    }
  });

  // A second edge (same build, its own KV) per fault the stack's readiness check would refuse.
  for (const [status, code, what, fault] of [
    [503, 'storage_unavailable', 'without its storage', { editConfig: (toml) => toml.replace(/binding = "KELISIM"/, 'binding = "NOT_KELISIM"') }],
    [500, 'internal', 'with a broken signing key', { secrets: { EDGE_SIGNING_KEYS: 'broken' } }],
  ]) {
    test(`${what}, the edge answers every operation ${status} ${code}, as documented`, async () => {
      const edge = await startBareEdge(fault);
      try {
        const params = { token_id: 'a'.repeat(24), version: 1, id: ulid(), subject: 's'.repeat(43) };
        for (const { template, method } of operations()) {
          const res = await call(method.toUpperCase(), template, {
            base: edge.url, params, token: stack.adminToken, headers: { Origin: ORIGIN }, body: ['post', 'put'].includes(method) ? {} : undefined,
          });
          assert.equal(res.status, status, `${method} ${template}`);
          if (status === 503) assert.equal(res.headers.get('retry-after'), '5');
          if (method !== 'head') assert.equal(res.json.error.code, code);
        }
      } finally {
        await edge.stop();
      }
    });
  }

  test('every documented operation was exercised with a success and an error', () => {
    const missing = [];
    const unobserved = [];
    for (const { template, method, op } of operations()) {
      const statuses = seen.get(`${method.toUpperCase()} ${template}`) ?? new Set();
      const success = [...statuses].some((s) => s < 400);
      const clientError = [...statuses].some((s) => s >= 400 && s < 500);
      const serverError = [...statuses].some((s) => s >= 500);
      const documents4xx = Object.keys(op.responses).some((s) => s.startsWith('4'));
      if (!success || !(documents4xx ? clientError : serverError)) missing.push(`${method.toUpperCase()} ${template}: ${[...statuses]}`);
      const never = Object.keys(op.responses).filter((s) => !statuses.has(Number(s)));
      if (never.length) unobserved.push(`${method.toUpperCase()} ${template}: ${never.join(' ')}`);
    }
    if (unobserved.length) console.log(`documented statuses not provoked here:\n  ${unobserved.join('\n  ')}`);
    assert.deepEqual(missing, []);
  });
});

/**
 * A second edge (same build, temp KV) started directly with wrangler, for faults the stack's
 * readiness check would not accept: `editConfig` changes its wrangler.toml, `secrets` its secrets.
 */
async function startBareEdge({ editConfig = (toml) => toml, secrets = {} }) {
  const dir = await mkdtemp(join(tmpdir(), 'kelisim-openapi-bare-'));
  const base = await read('edge/wrangler.toml');
  const config = editConfig(base)
    .replace(/^main = .*$/m, `main = ${JSON.stringify(join(ROOT, 'edge/build/index.js'))}`)
    .replace(/^directory = .*$/m, `directory = ${JSON.stringify(join(ROOT, 'www/dist'))}`);
  await writeFile(join(dir, 'wrangler.toml'), config);
  await writeFile(join(dir, '.dev.vars'), devVarsText({ ...generateSecrets(), ADMIN_TOKEN: stack.adminToken, ...secrets }));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(join(ROOT, 'node_modules/.bin/wrangler'), ['dev', '--config', join(dir, 'wrangler.toml'), '--ip', '127.0.0.1',
    '--port', String(port), '--inspector-port', String(await freePort()), '--persist-to', join(dir, 'kv'),
    '--show-interactive-dev-session=false', '--log-level', 'warn'], {
    cwd: dir,
    env: { ...process.env, CI: 'true', WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false', NO_COLOR: '1' },
    stdio: 'ignore',
    detached: true,
  });
  let exited = false;
  const done = new Promise((r) => child.once('exit', () => { exited = true; r(); }));
  const stop = async () => {
    if (exited) return;
    try { process.kill(-child.pid, 'SIGTERM'); } catch { /* gone */ }
    const timer = setTimeout(() => { try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ } }, 5000);
    await done;
    clearTimeout(timer);
  };
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (exited) throw new Error('the bare edge exited');
    try {
      await fetch(`${url}/v1/openapi.json`);
      return { url, stop };
    } catch { /* not listening yet */ }
    if (Date.now() > deadline) {
      await stop();
      throw new Error('the bare edge did not start');
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
