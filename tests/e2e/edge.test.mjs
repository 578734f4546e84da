// The edge on real workerd (wrangler dev) with its local KV: every endpoint's success path,
// each rejection with its status and code and nothing stored, idempotent replay, JWKS
// verification, CORS, and data surviving a runtime restart.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ROOT, startStack } from '../lib/stack.mjs';
import { canonical, makeSubmission, sha256hex, ulid, verifyEdgeJws, visitorKey } from '../lib/receipt.mjs';

let stack;
let served; // GET policy response for crm-demo
let jwks;

before(async () => {
  stack = await startStack({ name: 'edge' });
  served = (await stack.api('GET', '/v1/sites/crm-demo/policy')).json;
  jwks = (await stack.api('GET', '/.well-known/jwks.json')).json;
});
after(async () => { await stack?.stop(); });

const post = (body, headers = {}) => stack.api('POST', '/v1/sites/crm-demo/receipts', { body, headers });
const storedReceipt = (id) => stack.admin('GET', `/v1/sites/crm-demo/receipts/${id}`);
const fixture = async (name) => JSON.parse(await readFile(join(ROOT, 'tests/fixtures', name), 'utf8'));

describe('policy', () => {
  test('current policy is served with hash, ETag and cache headers, default language ru', async () => {
    const res = await stack.api('GET', '/v1/sites/crm-demo/policy');
    assert.equal(res.status, 200);
    assert.equal(res.json.language, 'ru');
    assert.match(res.json.sha256, /^[0-9a-f]{64}$/);
    assert.deepEqual(Object.keys(res.json.policy.text), ['ru']);
    assert.match(res.headers.get('cache-control'), /max-age=\d+/);
    const etag = res.headers.get('etag');
    assert.ok(etag);
    const again = await stack.api('GET', '/v1/sites/crm-demo/policy', { headers: { 'If-None-Match': etag } });
    assert.equal(again.status, 304);
  });

  test('?lang= picks an offered language and falls back to the default', async () => {
    const en = await stack.api('GET', '/v1/sites/crm-demo/policy?lang=en');
    assert.equal(en.json.language, 'en');
    assert.deepEqual(Object.keys(en.json.policy.summary), ['en']);
    assert.equal(en.json.sha256, served.sha256, 'the hash covers the full document, whatever the language');
    const fr = await stack.api('GET', '/v1/sites/crm-demo/policy?lang=fr');
    assert.equal(fr.json.language, 'ru');
  });

  test('the hash is the SHA-256 of the canonical full document', async () => {
    const full = await fixture('../../www/demo/policies/crm-demo.json');
    assert.equal(sha256hex(canonical(full)), served.sha256);
  });

  test('unknown site is 404 unknown_site; unknown version 404 policy_not_found', async () => {
    const res = await stack.api('GET', '/v1/sites/no-such-site/policy');
    assert.equal(res.status, 404);
    assert.equal(res.json.error.code, 'unknown_site');
    const v = await stack.api('GET', '/v1/sites/crm-demo/policy/versions/999');
    assert.equal(v.status, 404);
    assert.equal(v.json.error.code, 'policy_not_found');
  });

  test('publishing needs the operator token', async () => {
    const policy = await fixture('../../www/demo/policies/services-demo.json');
    for (const token of [undefined, 'wrong-token']) {
      const res = await stack.api('PUT', '/v1/sites/services-demo/policy', { token, body: { ...policy, version: 2 } });
      assert.equal(res.status, 401);
      assert.equal(res.json.error.code, 'unauthorized');
    }
  });

  test('publishing the next version keeps the previous one readable; wrong versions conflict', async () => {
    const policy = await fixture('../../www/demo/policies/services-demo.json');
    const stale = await stack.admin('PUT', '/v1/sites/services-demo/policy', { body: { ...policy, version: 1 } });
    assert.equal(stale.status, 409);
    assert.equal(stale.json.error.code, 'policy_version_conflict');
    const skip = await stack.admin('PUT', '/v1/sites/services-demo/policy', { body: { ...policy, version: 3 } });
    assert.equal(skip.status, 409);
    const v2 = { ...policy, version: 2, material: false, effective_date: '2026-12-01' };
    const pub = await stack.admin('PUT', '/v1/sites/services-demo/policy', { body: v2 });
    assert.equal(pub.status, 201);
    assert.equal(pub.json.sha256, sha256hex(canonical(v2)));
    const current = await stack.api('GET', '/v1/sites/services-demo/policy');
    assert.equal(current.json.policy.version, 2);
    assert.equal(current.json.last_material_version, 1, 'a non-material version does not re-ask');
    const old = await stack.api('GET', '/v1/sites/services-demo/policy/versions/1');
    assert.equal(old.status, 200);
    assert.equal(old.json.policy.version, 1);
    assert.match(old.headers.get('cache-control'), /max-age=86400/);
  });

  test('invalid policies are refused with their codes', async () => {
    const policy = await fixture('../../www/demo/policies/services-demo.json');
    const cases = [
      [{ ...policy, version: 3, site: 'crm-demo' }, 422, 'site_mismatch'],
      [{ ...policy, version: 3, extra: 1 }, 400, 'malformed_body'],
      [{ ...policy, version: 3, languages: [] }, 422, 'empty'],
      [{ ...policy, version: 3, categories: policy.categories.filter((c) => c.id !== 'necessary') }, 422, 'category_missing'],
      [{ ...(await fixture('unsafe-link-policy.json')), site: 'services-demo', version: 3 }, 422, 'unsafe_link'],
    ];
    for (const [body, status, code] of cases) {
      const res = await stack.admin('PUT', '/v1/sites/services-demo/policy', { body });
      assert.equal(res.status, status, code);
      assert.equal(res.json.error.code, code);
    }
    assert.equal((await stack.api('GET', '/v1/sites/services-demo/policy')).json.policy.version, 2);
  });
});

describe('receipts', () => {
  test('a signed receipt is verified, countersigned, stored, and verifies against the JWKS', async () => {
    const sub = makeSubmission(served, { action: 'reject_all' });
    const res = await post(sub);
    assert.equal(res.status, 201);
    const signed = res.json;
    assert.deepEqual(signed.receipt.claims, sub.claims);
    assert.equal(signed.receipt.hash, sha256hex(canonical(sub.claims)));
    assert.ok(Date.parse(signed.receipt.server_time) > 0);
    const payload = verifyEdgeJws(signed.jws, jwks);
    assert.equal(payload, canonical(signed.receipt), 'the JWS covers exactly the returned receipt');
    const stored = await storedReceipt(sub.claims.id);
    assert.equal(stored.status, 200);
    assert.deepEqual(stored.json.signed, signed);
    assert.equal(stored.json.valid, true);
    assert.equal(stored.json.verification.visitor_signature.status, 'valid');
  });

  test('the same receipt sent twice stores one record and returns the same result', async () => {
    const sub = makeSubmission(served, { action: 'accept_all' });
    const first = await post(sub);
    const second = await post(sub);
    assert.equal(first.status, 201);
    assert.equal(second.status, 201);
    assert.equal(second.text, first.text);
    assert.equal(second.headers.get('kelisim-replayed'), 'true');
    const history = await stack.admin('GET', `/v1/sites/crm-demo/subjects/${sub.claims.subject}`);
    assert.equal(history.json.receipts.filter((r) => r.id === sub.claims.id).length, 1);
  });

  test('another receipt under an existing id is 409 and changes nothing', async () => {
    const sub = makeSubmission(served, { action: 'reject_all' });
    const first = await post(sub);
    assert.equal(first.status, 201);
    const changed = makeSubmission(served, { action: 'accept_all', id: sub.claims.id });
    const res = await post(changed);
    assert.equal(res.status, 409);
    assert.equal(res.json.error.code, 'receipt_conflict');
    assert.deepEqual((await storedReceipt(sub.claims.id)).json.signed, first.json);
  });

  test('a browser without Ed25519 sends an unsigned receipt; the edge still countersigns', async () => {
    const sub = makeSubmission(served, { key: null, action: 'custom', decisions: { analytics: 'granted' } });
    const res = await post(sub);
    assert.equal(res.status, 201);
    assert.equal(res.json.receipt.visitor_signature, null);
    verifyEdgeJws(res.json.jws, jwks);
    const stored = await storedReceipt(sub.claims.id);
    assert.equal(stored.json.verification.visitor_signature.status, 'absent');
    assert.equal(stored.json.valid, true);
  });

  test('a chained receipt records the previous hash', async () => {
    const key = visitorKey();
    const first = await post(makeSubmission(served, { key, action: 'reject_all' }));
    const second = makeSubmission(served, { key, action: 'custom', decisions: { ai_processing: 'granted' }, prev: first.json.receipt.hash });
    const res = await post(second);
    assert.equal(res.status, 201);
    assert.equal(res.json.receipt.claims.prev, first.json.receipt.hash);
    const history = await stack.admin('GET', `/v1/sites/crm-demo/subjects/${key.thumbprint}`);
    assert.deepEqual(history.json.receipts.map((r) => r.id), [second.claims.id, first.json.receipt.claims.id], 'newest first');
  });

  const day = 24 * 3600 * 1000;
  const rejections = [
    ['necessary denied', { mutate: (c) => { c.decisions.necessary = 'denied'; c.action = 'custom'; } }, 422, 'necessary_denied'],
    ['unknown category', { mutate: (c) => { c.decisions.telemetry = 'denied'; } }, 422, 'category_unknown'],
    ['missing category', { mutate: (c) => { delete c.decisions.ai_processing; } }, 422, 'category_missing'],
    ['unknown policy version', { mutate: (c) => { c.policy.version = 99; } }, 422, 'policy_version_unknown'],
    ['wrong policy hash', { mutate: (c) => { c.policy.sha256 = '0'.repeat(64); } }, 422, 'policy_hash_mismatch'],
    ['language not offered', { language: 'de' }, 422, 'language_unsupported'],
    ['client time in the future', { clientTime: new Date(Date.now() + day).toISOString() }, 422, 'client_time_in_future'],
    ['client time too old', { clientTime: new Date(Date.now() - 60 * day).toISOString() }, 422, 'client_time_too_old'],
    ['client time malformed', { clientTime: '2026-11-23 10:00' }, 422, 'invalid_timestamp'],
    ['action contradicts decisions', { action: 'accept_all', mutate: (c) => { c.decisions.marketing = 'denied'; } }, 422, 'action_mismatch'],
    ['site in claims differs', { mutate: (c) => { c.site = 'services-demo'; } }, 422, 'site_mismatch'],
    ['receipt id not a ULID', { id: 'not-a-ulid' }, 422, 'invalid_id'],
    ['subject is not the key thumbprint', { mutate: (c) => { c.subject = visitorKey().thumbprint; } }, 422, 'subject_key_mismatch'],
    ['schema unsupported', { mutate: (c) => { c.schema = 2; } }, 422, 'schema_unsupported'],
    ['prev not a hash', { prev: 'abc' }, 422, 'invalid_prev'],
  ];
  for (const [name, opts, status, code] of rejections) {
    test(`rejects: ${name} → ${status} ${code}, nothing stored`, async () => {
      const sub = makeSubmission(served, opts);
      const res = await post(sub);
      assert.equal(res.status, status, res.text);
      assert.equal(res.json.error.code, code);
      assert.equal(typeof res.json.error.message, 'string');
      if (/^[0-9A-HJKMNP-TV-Z]{26}$/.test(sub.claims.id)) assert.equal((await storedReceipt(sub.claims.id)).status, 404);
    });
  }

  test('signature problems are refused: tampered, missing, alg none, foreign key', async () => {
    const key = visitorKey();
    const good = makeSubmission(served, { key });
    const cases = [
      ['tampered claims', { ...good, claims: { ...good.claims, gpc: true } }, 'signature_invalid'],
      ['missing signature', { ...good, visitor_signature: null }, 'signature_missing'],
      ['signature without key', { ...good, claims: { ...good.claims, subject_key: null } }, 'subject_key_missing'],
      ['alg none', { ...good, visitor_signature: `${Buffer.from('{"alg":"none","kid":"x"}').toString('base64url')}..` }, 'signature_invalid'],
      ['truncated', { ...good, visitor_signature: good.visitor_signature.slice(0, -10) }, 'signature_invalid'],
      ['other key', { ...good, visitor_signature: makeSubmission(served, { id: good.claims.id }).visitor_signature }, 'signature_invalid'],
    ];
    for (const [name, body, code] of cases) {
      const res = await post(body);
      assert.equal(res.status, 422, name);
      assert.equal(res.json.error.code, code, name);
    }
    assert.equal((await storedReceipt(good.claims.id)).status, 404);
  });

  test('transport rejections: media type, size caps, empty, malformed, unknown fields, duplicate keys', async () => {
    const sub = makeSubmission(served);
    const json = JSON.stringify(sub);
    const big = JSON.stringify({ ...sub, pad: 'x'.repeat(20_000) });
    const cases = [
      ['text/plain', { raw: json, headers: { 'Content-Type': 'text/plain' } }, 415, 'unsupported_media_type'],
      ['no content type', { raw: json }, 415, 'unsupported_media_type'],
      ['over the cap', { raw: big, headers: { 'Content-Type': 'application/json' } }, 413, 'body_too_large'],
      ['empty', { raw: '', headers: { 'Content-Type': 'application/json' } }, 400, 'malformed_body'],
      ['malformed JSON', { raw: '{"claims":', headers: { 'Content-Type': 'application/json' } }, 400, 'malformed_body'],
      ['unknown field', { body: { ...sub, extra: true } }, 400, 'malformed_body'],
      ['wrong type', { body: { ...sub, claims: { ...sub.claims, gpc: 'yes' } } }, 400, 'malformed_body'],
      ['duplicate decision key', { raw: json.replace('"decisions":{', '"decisions":{"analytics":"granted",'), headers: { 'Content-Type': 'application/json' } }, 400, 'malformed_body'],
      ['not UTF-8', { raw: Buffer.concat([Buffer.from(json.slice(0, 20)), Buffer.from([0xff, 0xfe]), Buffer.from(json.slice(20))]), headers: { 'Content-Type': 'application/json' } }, 400, 'malformed_body'],
      ['deep nesting', { raw: '['.repeat(5_000) + ']'.repeat(5_000), headers: { 'Content-Type': 'application/json' } }, 400, 'malformed_body'],
    ];
    for (const [name, opts, status, code] of cases) {
      const res = await stack.api('POST', '/v1/sites/crm-demo/receipts', opts);
      assert.equal(res.status, status, `${name}: ${res.text}`);
      assert.equal(res.json.error.code, code, name);
    }
    assert.equal((await storedReceipt(sub.claims.id)).status, 404);
  });

  test('an oversized body without Content-Length (chunked) is refused', async () => {
    const chunk = new TextEncoder().encode('x'.repeat(4096));
    let sent = 0;
    const stream = new ReadableStream({
      pull(controller) {
        if (sent++ < 16) controller.enqueue(chunk); else controller.close();
      },
    });
    const res = await fetch(`${stack.edgeUrl}/v1/sites/crm-demo/receipts`, {
      method: 'POST', body: stream, duplex: 'half', headers: { 'Content-Type': 'application/json' },
    });
    assert.equal(res.status, 413);
    assert.equal((await res.json()).error.code, 'body_too_large');
  });

  test('unknown site is 404 unknown_site', async () => {
    const res = await stack.api('POST', '/v1/sites/nowhere/receipts', { body: makeSubmission(served) });
    assert.equal(res.status, 404);
    assert.equal(res.json.error.code, 'unknown_site');
  });
});

describe('routing and CORS', () => {
  test('unknown path 404, wrong method 405, hostile ids 400, all as JSON errors', async () => {
    const cases = [
      ['GET', '/nope', 404, 'not_found'],
      ['DELETE', '/.well-known/jwks.json', 405, 'method_not_allowed'],
      ['PATCH', '/v1/sites/crm-demo/receipts', 405, 'method_not_allowed'],
      ['GET', '/v1/sites/CRM_DEMO!/policy', 400, 'invalid_id'],
      ['GET', '/v1/sites/crm-demo/receipts/..%2F..%2Fsite%2Fcrm-demo', 400, 'invalid_id'],
      ['GET', `/v1/sites/${'a'.repeat(600)}/policy`, 400, 'path_too_long'],
    ];
    for (const [method, path, status, code] of cases) {
      const res = await stack.api(method, path);
      assert.equal(res.status, status, `${method} ${path}`);
      assert.equal(res.json.error.code, code, `${method} ${path}`);
      assert.match(res.headers.get('content-type'), /application\/json/);
    }
  });

  test('operator routes refuse without a valid token', async () => {
    const id = ulid();
    for (const [method, path] of [['GET', '/v1/sites/crm-demo/receipts'], ['GET', `/v1/sites/crm-demo/receipts/${id}`],
      ['GET', `/v1/sites/crm-demo/subjects/${visitorKey().thumbprint}`], ['PUT', '/v1/sites/crm-demo'], ['PUT', '/v1/sites/crm-demo/policy']]) {
      for (const token of [undefined, 'nope']) {
        const res = await stack.api(method, path, { token, body: method === 'PUT' ? {} : undefined });
        assert.equal(res.status, 401, `${method} ${path}`);
      }
    }
  });

  test('JWKS is public with current key', async () => {
    const res = await stack.api('GET', '/.well-known/jwks.json');
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
    assert.equal(res.json.keys.length, 1);
    assert.deepEqual(Object.keys(res.json.keys[0]).sort(), ['alg', 'crv', 'kid', 'kty', 'use', 'x']);
  });

  test('an allowed origin gets CORS headers; a foreign one gets none and cannot write', async () => {
    const allowed = stack.crmUrl;
    const foreign = 'https://evil.example';
    const pre = await stack.api('OPTIONS', '/v1/sites/crm-demo/receipts', { headers: { Origin: allowed, 'Access-Control-Request-Method': 'POST' } });
    assert.equal(pre.status, 204);
    assert.equal(pre.headers.get('access-control-allow-origin'), allowed);
    assert.match(pre.headers.get('access-control-allow-methods'), /POST/);
    const bad = await stack.api('OPTIONS', '/v1/sites/crm-demo/receipts', { headers: { Origin: foreign, 'Access-Control-Request-Method': 'POST' } });
    assert.equal(bad.status, 403);
    assert.equal(bad.headers.get('access-control-allow-origin'), null);
    const get = await stack.api('GET', '/v1/sites/crm-demo/policy', { headers: { Origin: foreign } });
    assert.equal(get.headers.get('access-control-allow-origin'), null);
    const ok = await stack.api('GET', '/v1/sites/crm-demo/policy', { headers: { Origin: allowed } });
    assert.equal(ok.headers.get('access-control-allow-origin'), allowed);
    const sub = makeSubmission(served);
    const write = await post(sub, { Origin: foreign });
    assert.equal(write.status, 403);
    assert.equal(write.json.error.code, 'origin_forbidden');
    assert.equal((await storedReceipt(sub.claims.id)).status, 404);
    assert.equal((await post(sub, { Origin: allowed })).status, 201);
  });
});

describe('persistence', () => {
  test('receipts and policies survive a runtime restart', async () => {
    const sub = makeSubmission(served, { action: 'accept_all' });
    const res = await post(sub);
    assert.equal(res.status, 201);
    await stack.restartEdge();
    const stored = await storedReceipt(sub.claims.id);
    assert.equal(stored.status, 200);
    assert.deepEqual(stored.json.signed, res.json);
    assert.equal((await stack.api('GET', '/v1/sites/crm-demo/policy')).json.sha256, served.sha256);
  });
});

describe('subjects', () => {
  test('an unsigned receipt cannot take over a subject whose receipts are signed', async () => {
    const key = visitorKey();
    assert.equal((await post(makeSubmission(served, { key, action: 'reject_all' }))).status, 201);
    const forged = makeSubmission(served, { key: null, action: 'accept_all', mutate: (c) => { c.subject = key.thumbprint; } });
    const res = await post(forged);
    assert.equal(res.status, 409);
    assert.equal(res.json.error.code, 'subject_requires_signature');
    assert.equal((await storedReceipt(forged.claims.id)).status, 404);
    const state = await stack.admin('GET', `/v1/sites/crm-demo/subjects/${key.thumbprint}`);
    assert.equal(state.json.state.action, 'reject_all');
  });
});
