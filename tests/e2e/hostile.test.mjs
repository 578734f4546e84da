// What the internet sends, in one table, against the real edge (workerd via wrangler dev, its
// local KV): each kind of hostile or broken request with the status and stable error code it
// gets, and proof that nothing was stored (the receipt it names is absent, the site's receipt
// count is unchanged). Replays are the one row that succeeds: idempotent, still one record.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { sign } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ROOT, startStack } from '../lib/stack.mjs';
import { b64url, canonical, makeSubmission, signDetached, ulid, visitorKey } from '../lib/receipt.mjs';

const SITE = 'crm-demo';
const RECEIPTS = `/v1/sites/${SITE}/receipts`;
const DAY = 24 * 3600 * 1000;
const JSON_TYPE = { 'Content-Type': 'application/json' };

let stack;
let served;
let tokens;

before(async () => {
  stack = await startStack({ name: 'hostile' });
  served = (await stack.api('GET', `/v1/sites/${SITE}/policy`)).json;
  const token = async (site, scopes) =>
    (await stack.admin('POST', `/v1/sites/${site}/tokens`, { body: { scopes, label: 'hostile' } })).json.token;
  tokens = { otherSite: await token('services-demo', ['read', 'export', 'erase', 'publish']), noErase: await token(SITE, ['read']) };
});
after(async () => { await stack?.stop(); });

const sub = (opts) => makeSubmission(served, opts);
/** A POST of a receipt: `body` is serialised, `raw` sent as is. */
const receipt = (body, headers = {}) => ({ method: 'POST', path: RECEIPTS, opts: { body, headers }, id: body?.claims?.id });
const rawReceipt = (raw, headers = JSON_TYPE, id) => ({ method: 'POST', path: RECEIPTS, opts: { raw, headers }, id });
const withClaims = (s, claims) => ({ ...s, claims: { ...s.claims, ...claims } });
/** The JSON text of a submission with one textual edit (for what JSON.stringify cannot express). */
const edited = (s, from, to) => {
  const text = JSON.stringify(s);
  assert.ok(text.includes(from), `edit target ${from}`);
  return text.replace(from, to);
};
function chunkedOver(limitBytes) {
  const chunk = new TextEncoder().encode('x'.repeat(4096));
  let sent = 0;
  return new ReadableStream({ pull(c) { if (sent++ * 4096 <= limitBytes) c.enqueue(chunk); else c.close(); } });
}

/** A detached JWS over the claims under a hand-written header text (signed properly). */
function signedUnderRawHeader(key, s, headerJson) {
  const h = b64url(headerJson);
  const sig = sign(null, Buffer.from(`${h}.${b64url(canonical(s.claims))}`), key.privateKey);
  return `${h}..${b64url(sig)}`;
}
const category = (p, id) => p.categories.find((c) => c.id === id);
/** A PUT of the site's next policy version (non-material unless `edit` says so). */
const nextPolicy = (edit) => ({
  method: 'PUT', path: `/v1/sites/${SITE}/policy`, opts: { token: stack.adminToken },
  setup: async function () {
    const p = JSON.parse(await readFile(join(ROOT, 'www/demo/policies/crm-demo.json'), 'utf8'));
    Object.assign(p, { version: served.policy.version + 1, material: false });
    edit(p);
    this.opts.body = p;
  },
  check: async () => assert.equal((await stack.api('GET', `/v1/sites/${SITE}/policy`)).json.policy.version, served.policy.version, 'not published'),
});

// [name, () => request, status, code]. A request is { method, path, opts, id?, setup?, check? }.
const CASES = [
  // Transport and framing
  ['body over the cap, with Content-Length', () => rawReceipt(JSON.stringify({ ...sub(), pad: 'x'.repeat(20_000) })), 413, 'body_too_large'],
  ['body over the cap, chunked (no Content-Length)', () => ({ method: 'POST', path: RECEIPTS, stream: chunkedOver(16 * 1024) }), 413, 'body_too_large'],
  ['empty body', () => rawReceipt(''), 400, 'malformed_body'],
  ['wrong content type (text/plain)', () => { const s = sub(); return rawReceipt(JSON.stringify(s), { 'Content-Type': 'text/plain' }, s.claims.id); }, 415, 'unsupported_media_type'],
  ['no content type', () => { const s = sub(); return rawReceipt(JSON.stringify(s), {}, s.claims.id); }, 415, 'unsupported_media_type'],
  ['form-encoded body', () => rawReceipt('claims=1', { 'Content-Type': 'application/x-www-form-urlencoded' }), 415, 'unsupported_media_type'],
  ['malformed JSON', () => rawReceipt('{"claims":'), 400, 'malformed_body'],
  ['JSON null', () => rawReceipt('null'), 400, 'malformed_body'],
  ['JSON array instead of an object', () => rawReceipt('[]'), 400, 'malformed_body'],
  ['trailing data after the object', () => { const s = sub(); return rawReceipt(`${JSON.stringify(s)} x`, JSON_TYPE, s.claims.id); }, 400, 'malformed_body'],
  ['deep nesting', () => rawReceipt('['.repeat(5_000) + ']'.repeat(5_000)), 400, 'malformed_body'],
  ['duplicate top-level key', () => { const s = sub(); return rawReceipt(edited(s, '"visitor_signature":', '"visitor_signature":null,"visitor_signature":'), JSON_TYPE, s.claims.id); }, 400, 'malformed_body'],
  ['duplicate category key', () => { const s = sub(); return rawReceipt(edited(s, '"decisions":{', '"decisions":{"analytics":"granted",'), JSON_TYPE, s.claims.id); }, 400, 'malformed_body'],
  ['unknown top-level field', () => receipt({ ...sub(), extra: true }), 400, 'malformed_body'],
  ['unknown field in claims', () => receipt(withClaims(sub(), { ip: '203.0.113.9' })), 400, 'malformed_body'],
  ['wrong type: gpc as a string', () => receipt(withClaims(sub(), { gpc: 'yes' })), 400, 'malformed_body'],
  ['wrong type: policy version as a string', () => { const s = sub(); return receipt(withClaims(s, { policy: { ...s.claims.policy, version: '1' } })); }, 400, 'malformed_body'],
  ['number out of range: policy version 1e20', () => { const s = sub(); return rawReceipt(edited(s, `"version":${s.claims.policy.version}`, '"version":100000000000000000000'), JSON_TYPE, s.claims.id); }, 400, 'malformed_body'],
  ['unknown decision value', () => receipt(sub({ decisions: { analytics: 'maybe' } })), 400, 'malformed_body'],
  ['not UTF-8', () => { const t = JSON.stringify(sub()); return rawReceipt(Buffer.concat([Buffer.from(t.slice(0, 20)), Buffer.from([0xff, 0xfe]), Buffer.from(t.slice(20))])); }, 400, 'malformed_body'],
  ['huge string inside the cap (widget version)', () => receipt(sub({ mutate: (c) => { c.widget_version = 'x'.repeat(10_000); } })), 422, 'invalid_id'],
  ['huge object inside the cap (300 categories)', () => receipt(sub({ mutate: (c) => { for (let i = 0; i < 300; i++) c.decisions[`c${i}`] = 'denied'; } })), 422, 'too_many'],
  ['unknown site', () => ({ method: 'POST', path: '/v1/sites/nowhere/receipts', opts: { body: sub() } }), 404, 'unknown_site'],

  // Claims that do not hold
  ['unknown category', () => receipt(sub({ mutate: (c) => { c.decisions.telemetry = 'denied'; } })), 422, 'category_unknown'],
  ['missing category', () => receipt(sub({ mutate: (c) => { delete c.decisions.ai_processing; } })), 422, 'category_missing'],
  ['necessary denied', () => receipt(sub({ action: 'custom', mutate: (c) => { c.decisions.necessary = 'denied'; } })), 422, 'necessary_denied'],
  ['wrong policy version', () => receipt(sub({ mutate: (c) => { c.policy.version = 99; } })), 422, 'policy_version_unknown'],
  ['wrong policy hash', () => receipt(sub({ mutate: (c) => { c.policy.sha256 = '0'.repeat(64); } })), 422, 'policy_hash_mismatch'],
  ['language the policy does not offer', () => receipt(sub({ language: 'de' })), 422, 'language_unsupported'],
  ['client time far in the future', () => receipt(sub({ clientTime: new Date(Date.now() + DAY).toISOString() })), 422, 'client_time_in_future'],
  ['client time far in the past', () => receipt(sub({ clientTime: new Date(Date.now() - 60 * DAY).toISOString() })), 422, 'client_time_too_old'],
  ['client time malformed', () => receipt(sub({ clientTime: '2026-11-23 10:00' })), 422, 'invalid_timestamp'],
  ['action contradicts the decisions', () => receipt(sub({ action: 'accept_all', mutate: (c) => { c.decisions.marketing = 'denied'; } })), 422, 'action_mismatch'],
  ['site in the claims differs from the path', () => receipt(sub({ mutate: (c) => { c.site = 'services-demo'; } })), 422, 'site_mismatch'],
  ['receipt id not a ULID', () => receipt(sub({ id: 'not-a-ulid' })), 422, 'invalid_id'],
  ['subject is not the key\'s thumbprint', () => receipt(sub({ mutate: (c) => { c.subject = visitorKey().thumbprint; } })), 422, 'subject_key_mismatch'],
  ['unsupported schema', () => receipt(sub({ mutate: (c) => { c.schema = 2; } })), 422, 'schema_unsupported'],
  ['prev is not a hash', () => receipt(sub({ prev: 'abc' })), 422, 'invalid_prev'],

  // Visitor signatures
  ['forged: claims changed after signing', () => { const s = sub(); return receipt(withClaims(s, { gpc: true })); }, 422, 'signature_invalid'],
  ['forged: random signature bytes', () => { const s = sub(); const [h] = s.visitor_signature.split('.'); return receipt({ ...s, visitor_signature: `${h}..${Buffer.alloc(64, 7).toString('base64url')}` }); }, 422, 'signature_invalid'],
  ['signature missing for a signed subject', () => receipt({ ...sub(), visitor_signature: null }), 422, 'signature_missing'],
  ['signature without the subject key', () => receipt(withClaims(sub(), { subject_key: null })), 422, 'subject_key_missing'],
  ['alg: none', () => receipt({ ...sub(), visitor_signature: `${Buffer.from('{"alg":"none","kid":"x"}').toString('base64url')}..` }), 422, 'signature_invalid'],
  ['alg: HS256', () => { const s = sub(); const [, , sig] = s.visitor_signature.split('.'); return receipt({ ...s, visitor_signature: `${Buffer.from(`{"alg":"HS256","kid":"${s.claims.subject}"}`).toString('base64url')}..${sig}` }); }, 422, 'signature_invalid'],
  ['truncated signature', () => { const s = sub(); return receipt({ ...s, visitor_signature: s.visitor_signature.slice(0, -10) }); }, 422, 'signature_invalid'],
  ['wrong kid in the JWS header', () => {
    const key = visitorKey();
    const s = sub({ key });
    return receipt({ ...s, visitor_signature: signDetached(key.privateKey, visitorKey().thumbprint, canonical(s.claims)) });
  }, 422, 'signature_invalid'],
  ['signed by another key', () => { const s = sub(); return receipt({ ...s, visitor_signature: sub({ id: s.claims.id }).visitor_signature }); }, 422, 'signature_invalid'],
  ['signature too long', () => receipt({ ...sub(), visitor_signature: 'a'.repeat(5_000) }), 422, 'too_long'],
  ['JWS header with its members reordered (validly signed)', () => {
    const key = visitorKey();
    const s = sub({ key });
    return receipt({ ...s, visitor_signature: signedUnderRawHeader(key, s, `{"kid":"${s.claims.subject}","alg":"EdDSA"}`) });
  }, 422, 'signature_invalid'],
  ['JWS header with an extra typ (validly signed)', () => {
    const key = visitorKey();
    const s = sub({ key });
    return receipt({ ...s, visitor_signature: signDetached(key.privateKey, s.claims.subject, canonical(s.claims), { alg: 'EdDSA', kid: s.claims.subject, typ: 'JWT' }) });
  }, 422, 'signature_invalid'],
  ['receipt id minted a year before its client time', () => receipt(sub({ id: ulid(Date.now() - 365 * DAY) })), 422, 'invalid_id'],
  ['receipt id minted a day after its client time', () => receipt(sub({ id: ulid(Date.now() + DAY) })), 422, 'invalid_id'],
  ['reject_all that grants a category', () => receipt(sub({ action: 'reject_all', decisions: { marketing: 'granted' } })), 422, 'action_mismatch'],

  // Replays and conflicts
  ['replay of an accepted receipt (idempotent)', () => {
    const s = sub({ action: 'accept_all' });
    return {
      ...receipt(s),
      setup: async () => assert.equal((await stack.api('POST', RECEIPTS, { body: s })).status, 201),
      check: async (res) => {
        assert.equal(res.headers.get('kelisim-replayed'), 'true');
        const history = await stack.admin('GET', `/v1/sites/${SITE}/subjects/${s.claims.subject}`);
        assert.equal(history.json.receipts.filter((r) => r.id === s.claims.id).length, 1, 'one record');
      },
      stores: 1,
    };
  }, 201, null],
  ['a changed receipt under an accepted id', () => {
    const first = sub({ action: 'reject_all' });
    const changed = sub({ action: 'accept_all', id: first.claims.id });
    return {
      ...receipt(changed),
      id: null,
      setup: async () => assert.equal((await stack.api('POST', RECEIPTS, { body: first })).status, 201),
      check: async () => assert.equal((await stack.admin('GET', `${RECEIPTS}/${first.claims.id}`)).json.signed.receipt.claims.action, 'reject_all'),
      stores: 1,
    };
  }, 409, 'receipt_conflict'],
  ['an unsigned receipt for a subject that signs', () => {
    const key = visitorKey();
    const forged = sub({ key: null, action: 'accept_all', mutate: (c) => { c.subject = key.thumbprint; } });
    return {
      ...receipt(forged),
      setup: async () => assert.equal((await stack.api('POST', RECEIPTS, { body: sub({ key }) })).status, 201),
      stores: 1,
    };
  }, 409, 'subject_requires_signature'],

  // Origins, headers, paths
  ['a foreign Origin writing', () => receipt(sub(), { Origin: 'https://evil.example' }), 403, 'origin_forbidden'],
  ['a malformed Origin writing', () => receipt(sub(), { Origin: 'null' }), 403, 'origin_forbidden'],
  ['oversized request headers', () => receipt(sub(), { 'X-Padding': 'x'.repeat(40 * 1024) }), 431, 'headers_too_large'],
  ['oversized path', () => ({ method: 'GET', path: `/v1/sites/${'a'.repeat(600)}/policy` }), 400, 'path_too_long'],
  ['path traversal in a receipt id', () => ({ method: 'GET', path: `${RECEIPTS}/..%2F..%2Fsite%2Fcrm-demo`, opts: { token: stack.adminToken } }), 400, 'invalid_id'],
  ['path traversal in a site id', () => ({ method: 'POST', path: '/v1/sites/..%2Fcrm-demo/receipts', opts: { body: sub() } }), 400, 'invalid_id'],
  ['a site id with forbidden characters', () => ({ method: 'GET', path: '/v1/sites/CRM_DEMO!/policy' }), 400, 'invalid_id'],
  ['unknown path', () => ({ method: 'GET', path: '/v1/../../etc/passwd' }), 404, 'not_found'],
  ['wrong method', () => ({ method: 'PATCH', path: RECEIPTS }), 405, 'method_not_allowed'],

  // Operator routes
  ['operator route with no token', () => ({ method: 'GET', path: RECEIPTS }), 401, 'unauthorized'],
  ['operator route with a bad token', () => ({ method: 'GET', path: RECEIPTS, opts: { token: 'kls_not-a-real-token' } }), 401, 'unauthorized'],
  ['operator route with a non-Bearer Authorization', () => ({ method: 'GET', path: RECEIPTS, opts: { headers: { Authorization: `Basic ${Buffer.from('admin:admin').toString('base64')}` } } }), 401, 'unauthorized'],
  ['operator route with a huge token', () => ({ method: 'GET', path: RECEIPTS, opts: { token: `kls_${'a'.repeat(4_000)}` } }), 401, 'unauthorized'],
  ['operator route with another site\'s token', () => ({ method: 'GET', path: RECEIPTS, opts: { token: tokens.otherSite } }), 403, 'forbidden'],
  ['erasure with a token lacking the erase scope', () => ({ method: 'DELETE', path: `/v1/sites/${SITE}/subjects/${visitorKey().thumbprint}`, opts: { token: tokens.noErase } }), 403, 'forbidden'],
  ['a site origin with an empty host (http://:)', () => ({ method: 'PUT', path: '/v1/sites/hostile-origins', opts: { token: stack.adminToken, body: { origins: ['http://:'] } } }), 422, 'invalid_origin'],
  ['a site origin with a path', () => ({ method: 'PUT', path: '/v1/sites/hostile-origins', opts: { token: stack.adminToken, body: { origins: ['https://shop.example/app'] } } }), 422, 'invalid_origin'],
  ['a site origin in capitals is stored as browsers send it', () => ({
    method: 'PUT', path: '/v1/sites/hostile-origins', opts: { token: stack.adminToken, body: { origins: ['https://SHOP.EXAMPLE:443'] } },
    check: async () => {
      // The browser's Origin is lower case without the default port: it must match.
      const preflight = await stack.api('OPTIONS', '/v1/sites/hostile-origins/receipts', { headers: { Origin: 'https://shop.example' } });
      assert.equal(preflight.status, 204);
      assert.equal(preflight.headers.get('access-control-allow-origin'), 'https://shop.example');
    },
  }), 201, null],
  ['a non-material policy version turning a default on', () => nextPolicy((p) => { category(p, 'marketing').default = true; }), 422, 'policy_change_not_material'],
  ['a non-material policy version removing a category', () => nextPolicy((p) => { p.categories = p.categories.filter((c) => c.id !== 'analytics'); }), 422, 'policy_change_not_material'],
  ['a policy locking marketing on, even material', () => nextPolicy((p) => { Object.assign(category(p, 'marketing'), { switchable: false, default: true }); p.material = true; }), 422, 'category_locked'],
  ['admin route with a site token', () => ({ method: 'PUT', path: `/v1/sites/${SITE}`, opts: { token: tokens.otherSite, body: { origins: ['https://evil.example'] } } }), 401, 'unauthorized'],
];

async function send({ method, path, opts = {}, stream }) {
  if (stream) {
    const res = await fetch(stack.edgeUrl + path, { method, body: stream, duplex: 'half', headers: JSON_TYPE });
    const text = await res.text();
    return { status: res.status, headers: res.headers, text, json: JSON.parse(text) };
  }
  return stack.api(method, path, opts);
}

async function receiptCount() {
  const res = await stack.admin('GET', `${RECEIPTS}?limit=1000`);
  assert.equal(res.status, 200);
  assert.equal(res.json.cursor, null, 'the table stays under one page');
  return res.json.receipts.length;
}

describe('hostile input: status, code, nothing stored', () => {
  test('the table holds at least 40 kinds, each named once', () => {
    assert.ok(CASES.length >= 40, `${CASES.length} cases`);
    assert.equal(new Set(CASES.map(([name]) => name)).size, CASES.length);
  });

  for (const [name, make, status, code] of CASES) {
    test(`${name} → ${status}${code ? ` ${code}` : ''}`, async () => {
      const request = make();
      await request.setup?.();
      const before = await receiptCount();
      const res = await send(request);
      assert.equal(res.status, status, `${name}: ${res.text.slice(0, 300)}`);
      if (code) {
        assert.match(res.headers.get('content-type') ?? '', /application\/json/, name);
        assert.equal(res.json?.error?.code, code, `${name}: ${res.text.slice(0, 300)}`);
        assert.equal(typeof res.json.error.message, 'string');
      }
      await request.check?.(res);
      assert.equal(await receiptCount(), before, 'no receipt added');
      if (request.id && /^[0-9A-HJKMNP-TV-Z]{26}$/.test(request.id) && status >= 400) {
        assert.equal((await stack.admin('GET', `${RECEIPTS}/${request.id}`)).status, 404, 'the named receipt is absent');
      }
    });
  }

  test('after all of it the edge still accepts a good receipt', async () => {
    const good = sub({ action: 'accept_all' });
    assert.equal((await stack.api('POST', RECEIPTS, { body: good })).status, 201);
    assert.equal((await stack.admin('GET', `${RECEIPTS}/${good.claims.id}`)).json.valid, true);
  });
});
