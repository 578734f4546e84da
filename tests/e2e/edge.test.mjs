// The edge on real workerd (wrangler dev) with its local KV: every endpoint's success path,
// idempotent replay, JWKS verification, CORS, and data surviving a runtime restart. Hostile and
// malformed requests are one table in hostile.test.mjs.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ROOT, startStack } from '../lib/stack.mjs';
import { canonical, makeSubmission, sha256hex, verifyEdgeJws, visitorKey } from '../lib/receipt.mjs';

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
});

describe('routing and CORS', () => {
  test('JWKS is public with current key and the start of its period', async () => {
    const res = await stack.api('GET', '/.well-known/jwks.json');
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
    assert.equal(res.json.keys.length, 1);
    assert.deepEqual(Object.keys(res.json.keys[0]).sort(), ['alg', 'crv', 'kelisim_nbf', 'kid', 'kty', 'use', 'x']);
    // The period the secret gives (kid:seed:not_before), as receipts write server_time.
    assert.equal(res.json.keys[0].kelisim_nbf, stack.secrets.EDGE_SIGNING_KEYS.split(':').slice(2).join(':'));
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

describe('the edge clock', () => {
  // The widget learns the edge's clock from `Date` (workerd under wrangler dev adds none itself).
  const assertDateNearNow = (res, what) => {
    const date = res.headers.get('date');
    assert.match(date ?? '', /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/, `${what}: IMF-fixdate`);
    assert.ok(Math.abs(Date.parse(date) - Date.now()) < 5_000, `${what}: ${date} is within seconds of now`);
  };

  test('a policy answer and a receipt answer carry the edge\'s Date', async () => {
    assertDateNearNow(await stack.api('GET', '/v1/sites/crm-demo/policy'), 'policy');
    const res = await post(makeSubmission(served, { action: 'accept_all' }));
    assert.equal(res.status, 201);
    assertDateNearNow(res, 'receipt');
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
