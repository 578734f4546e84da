// The operator API on real workerd + KV: every operator route refuses without a valid token,
// scoped site tokens, filtered and paginated queries, subject state, erasure with a signed record,
// streamed exports, statistics, policy versions, and signing-key rotation.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rotateSecrets, startStack } from '../lib/stack.mjs';
import { canonical, makeSubmission, sha256hex, verifyEdgeJws, visitorKey, ulid } from '../lib/receipt.mjs';

let stack;
let served;
const SITE = 'crm-demo';
const post = (body) => stack.api('POST', `/v1/sites/${SITE}/receipts`, { body });

before(async () => {
  stack = await startStack({ name: 'operator' });
  served = (await stack.api('GET', `/v1/sites/${SITE}/policy`)).json;
});
after(async () => { await stack?.stop(); });

async function token(scopes, site = SITE) {
  const res = await stack.admin('POST', `/v1/sites/${site}/tokens`, { body: { scopes, label: `test ${scopes}` } });
  assert.equal(res.status, 201, res.text);
  return res.json;
}

// Every operator route (the same table as edge/src/router.rs OPERATOR_ROUTES) with the scope it needs.
const ROUTES = [
  ['PUT', '/v1/sites/{site}', 'admin', { origins: [] }],
  ['POST', '/v1/sites/{site}/tokens', 'admin', { scopes: ['read'] }],
  ['GET', '/v1/sites/{site}/tokens', 'admin'],
  ['DELETE', `/v1/sites/{site}/tokens/${'a'.repeat(24)}`, 'admin'],
  ['PUT', '/v1/sites/{site}/policy', 'publish', {}],
  ['GET', '/v1/sites/{site}/policy/versions', 'read'],
  ['GET', '/v1/sites/{site}/receipts', 'read'],
  ['GET', `/v1/sites/{site}/receipts/${ulid()}`, 'read'],
  ['GET', `/v1/sites/{site}/subjects/${'s'.repeat(43)}`, 'read'],
  ['DELETE', `/v1/sites/{site}/subjects/${'s'.repeat(43)}`, 'erase'],
  ['GET', '/v1/sites/{site}/erasures', 'erase'],
  ['GET', '/v1/sites/{site}/export', 'export'],
  ['GET', '/v1/sites/{site}/stats', 'read'],
];

describe('authorisation', () => {
  test('every operator route refuses no token, a bad token, another site\'s token and a missing scope', async () => {
    const all = ['read', 'export', 'erase', 'publish'];
    const otherSite = await token(all, 'services-demo');
    for (const [method, template, scope, body] of ROUTES) {
      const path = template.replace('{site}', SITE);
      const call = (tok) => stack.api(method, path, { token: tok, body });
      assert.equal((await call(undefined)).status, 401, `${method} ${template} without a token`);
      assert.equal((await call('kls_not-a-real-token')).status, 401, `${method} ${template} with a bad token`);
      const expectOther = scope === 'admin' ? 401 : 403;
      assert.equal((await call(otherSite.token)).status, expectOther, `${method} ${template} with another site's token`);
      if (scope !== 'admin') {
        const lacking = await token(all.filter((s) => s !== scope));
        assert.equal((await call(lacking.token)).status, 403, `${method} ${template} without ${scope}`);
        const holding = await token([scope]);
        const ok = await call(holding.token);
        assert.ok(![401, 403].includes(ok.status), `${method} ${template} with ${scope}: ${ok.status} ${ok.text}`);
      }
    }
  });

  test('every operator route on a site that was never configured is 404 unknown_site, after authorisation', async () => {
    for (const [method, template, , body] of ROUTES) {
      if (method === 'PUT' && template === '/v1/sites/{site}') continue; // configuring creates the site
      const path = template.replace('{site}', 'no-such-site');
      const res = await stack.api(method, path, { token: stack.adminToken, body });
      assert.equal(res.status, 404, `${method} ${template}: ${res.text}`);
      assert.equal(res.json.error.code, 'unknown_site', `${method} ${template}`);
      assert.equal((await stack.api(method, path, { body })).status, 401, `${method} ${template} without a token`);
    }
  });

  test('tokens are shown once, listed without secrets, and stop working when revoked', async () => {
    const created = await token(['read']);
    assert.match(created.token, /^kls_/);
    const listed = await stack.admin('GET', `/v1/sites/${SITE}/tokens`);
    const mine = listed.json.tokens.find((t) => t.id === created.id);
    assert.deepEqual(mine.scopes, ['read']);
    assert.ok(!JSON.stringify(listed.json).includes(created.token));
    assert.ok(!('sha256' in mine));
    assert.equal((await stack.api('GET', `/v1/sites/${SITE}/receipts`, { token: created.token })).status, 200);
    assert.equal((await stack.admin('DELETE', `/v1/sites/${SITE}/tokens/${created.id}`)).status, 204);
    assert.equal((await stack.api('GET', `/v1/sites/${SITE}/receipts`, { token: created.token })).status, 401);
    assert.equal((await stack.admin('DELETE', `/v1/sites/${SITE}/tokens/${created.id}`)).status, 404);
  });

  test('bad token requests are refused with codes', async () => {
    for (const [body, code] of [[{ scopes: [] }, 'empty'], [{ scopes: ['root'] }, 'malformed_body'], [{ scopes: ['read'], x: 1 }, 'malformed_body']]) {
      const res = await stack.admin('POST', `/v1/sites/${SITE}/tokens`, { body });
      assert.equal(res.json.error.code, code);
    }
  });
});

describe('queries', () => {
  const key = visitorKey();
  const ids = [];
  before(async () => {
    // 25 receipts of one subject (alternating decisions) and a few of others.
    let prev = null;
    for (let i = 0; i < 25; i++) {
      const analytics = i % 2 === 0 ? 'granted' : 'denied';
      const res = await post(makeSubmission(served, { key, action: 'custom', decisions: { analytics }, prev }));
      assert.equal(res.status, 201);
      prev = res.json.receipt.hash;
      ids.push(res.json.receipt.claims.id);
    }
    for (let i = 0; i < 3; i++) assert.equal((await post(makeSubmission(served, { action: 'accept_all' }))).status, 201);
  });

  test('pagination walks more receipts than one page, newest first, with opaque cursors', async () => {
    const seen = [];
    let cursor = null;
    let pages = 0;
    do {
      const q = new URLSearchParams({ subject: key.thumbprint, limit: '10', ...(cursor ? { cursor } : {}) });
      const res = await stack.admin('GET', `/v1/sites/${SITE}/receipts?${q}`);
      assert.equal(res.status, 200, res.text);
      assert.ok(res.json.receipts.length <= 10);
      seen.push(...res.json.receipts);
      cursor = res.json.cursor;
      pages++;
    } while (cursor && pages < 10);
    assert.equal(pages, 3);
    assert.deepEqual(seen.map((r) => r.id), [...ids].reverse());
    const times = seen.map((r) => r.server_time);
    assert.deepEqual(times, [...times].sort().reverse());
  });

  test('filters: category and decision, time range, invalid queries', async () => {
    const granted = await stack.admin('GET', `/v1/sites/${SITE}/receipts?subject=${key.thumbprint}&category=analytics&decision=granted&limit=100`);
    assert.equal(granted.json.receipts.length, 13);
    assert.ok(granted.json.receipts.every((r) => r.granted.includes('analytics')));
    const all = (await stack.admin('GET', `/v1/sites/${SITE}/receipts?subject=${key.thumbprint}&limit=100`)).json.receipts;
    const middle = all[10].server_time;
    const upTo = await stack.admin('GET', `/v1/sites/${SITE}/receipts?subject=${key.thumbprint}&to=${encodeURIComponent(middle)}&limit=100`);
    assert.ok(upTo.json.receipts.every((r) => r.server_time < middle));
    assert.ok(upTo.json.receipts.length > 0);
    const since = await stack.admin('GET', `/v1/sites/${SITE}/receipts?subject=${key.thumbprint}&from=${encodeURIComponent(middle)}&limit=100`);
    assert.ok(since.json.receipts.every((r) => r.server_time >= middle));
    assert.equal(upTo.json.receipts.length + since.json.receipts.length, 25);
    for (const q of ['limit=0', 'limit=5000', 'from=yesterday', 'decision=granted', 'colour=red']) {
      const res = await stack.admin('GET', `/v1/sites/${SITE}/receipts?${q}`);
      assert.equal(res.status, 400, q);
      assert.equal(res.json.error.code, 'invalid_query', q);
    }
  });

  test('a receipt comes with its verification and chain link; a subject with state and history', async () => {
    const res = await stack.admin('GET', `/v1/sites/${SITE}/receipts/${ids[5]}`);
    assert.equal(res.json.valid, true);
    assert.equal(res.json.chain.prev_found, true);
    const first = await stack.admin('GET', `/v1/sites/${SITE}/receipts/${ids[0]}`);
    assert.equal(first.json.chain.prev_found, null);
    const subject = await stack.admin('GET', `/v1/sites/${SITE}/subjects/${key.thumbprint}`);
    assert.equal(subject.json.receipts.length, 25);
    assert.equal(subject.json.state.receipt_id, ids[24]);
    assert.equal(subject.json.state.decisions.analytics, 'granted');
    assert.equal(subject.json.state.decisions.necessary, 'granted');
  });

  test('exports stream NDJSON and CSV with every receipt, each verifiable', async () => {
    const jwks = (await stack.api('GET', '/.well-known/jwks.json')).json;
    const nd = await stack.admin('GET', `/v1/sites/${SITE}/export?format=ndjson`);
    assert.equal(nd.status, 200);
    assert.match(nd.headers.get('content-type'), /ndjson/);
    const lines = nd.text.trim().split('\n').map((l) => JSON.parse(l));
    assert.ok(lines.length >= 28);
    for (const signed of lines) assert.equal(verifyEdgeJws(signed.jws, jwks), canonical(signed.receipt));
    for (const id of ids) assert.ok(lines.some((l) => l.receipt.claims.id === id));
    const csv = await stack.admin('GET', `/v1/sites/${SITE}/export?format=csv`);
    const rows = csv.text.trim().split('\n');
    assert.equal(rows[0], 'id,server_time,client_time,subject,action,policy_version,policy_sha256,language,gpc,granted,denied,visitor_signed,hash,prev,kid');
    assert.equal(rows.length - 1, lines.length);
    const bad = await stack.admin('GET', `/v1/sites/${SITE}/export?format=xml`);
    assert.equal(bad.status, 400);
  });

  test('an export goes in bounded chunks; each names the next with Kelisim-Next-Cursor', async () => {
    const whole = (await stack.admin('GET', `/v1/sites/${SITE}/export?format=csv`)).text;
    let joined = '';
    let cursor = null;
    let chunks = 0;
    do {
      const q = new URLSearchParams({ format: 'csv', limit: '10', ...(cursor ? { cursor } : {}) });
      const res = await stack.admin('GET', `/v1/sites/${SITE}/export?${q}`);
      assert.equal(res.status, 200, res.text);
      const next = res.headers.get('kelisim-next-cursor');
      if (next) {
        assert.ok(res.text.endsWith(`kelisim-next-cursor: ${next}\n`), 'the cursor also ends the body');
        joined += res.text.slice(0, -`kelisim-next-cursor: ${next}\n`.length);
      } else {
        joined += res.text;
      }
      assert.equal(res.text.startsWith('id,server_time,'), chunks === 0, 'the CSV header comes once, first');
      cursor = next;
      chunks++;
    } while (cursor && chunks < 20);
    assert.ok(chunks >= 3, `${chunks} chunks of 10`);
    assert.equal(joined, whole, 'the chunks concatenate into the same file');
    const tooBig = await stack.admin('GET', `/v1/sites/${SITE}/export?limit=1000`);
    assert.equal(tooBig.json.error.code, 'invalid_query');
  });

  test('statistics count per category and day', async () => {
    const today = new Date().toISOString().slice(0, 10);
    const res = await stack.admin('GET', `/v1/sites/${SITE}/stats?from=${today}&to=${today}`);
    assert.equal(res.status, 200, res.text);
    const day = res.json.days.find((d) => d.day === today);
    assert.ok(day.total >= 28);
    const a = day.categories.analytics;
    assert.equal(a.granted + a.denied + a.no_choice, day.total);
    assert.ok(a.granted >= 13 + 3);
    assert.equal(res.json.truncated, false);
    assert.equal((await stack.admin('GET', `/v1/sites/${SITE}/stats?from=2026-01-01&to=2025-01-01`)).status, 400);
  });

  test('erasing a subject removes receipts and state and leaves a signed erasure record', async () => {
    const res = await stack.admin('DELETE', `/v1/sites/${SITE}/subjects/${key.thumbprint}`);
    assert.equal(res.status, 200, res.text);
    assert.deepEqual([...res.json.erasure.receipt_ids].sort(), [...ids].sort());
    assert.equal(res.json.erasure.requested_by, 'admin');
    assert.ok(!JSON.stringify(res.json).includes(key.thumbprint), 'the record keeps only a hash of the subject');
    const jwks = (await stack.api('GET', '/.well-known/jwks.json')).json;
    assert.equal(verifyEdgeJws(res.json.jws, jwks), canonical(res.json.erasure));
    for (const id of ids) assert.equal((await stack.admin('GET', `/v1/sites/${SITE}/receipts/${id}`)).status, 404);
    const subject = await stack.admin('GET', `/v1/sites/${SITE}/subjects/${key.thumbprint}`);
    assert.deepEqual(subject.json.receipts, []);
    assert.equal(subject.json.state, null);
    const listed = await stack.admin('GET', `/v1/sites/${SITE}/receipts?subject=${key.thumbprint}`);
    assert.deepEqual(listed.json.receipts, []);
    const erasures = await stack.admin('GET', `/v1/sites/${SITE}/erasures`);
    assert.ok(erasures.json.erasures.some((e) => e.erasure.id === res.json.erasure.id));
    // A retry (say the answer was lost) answers the same record; nothing new is written.
    const again = await stack.admin('DELETE', `/v1/sites/${SITE}/subjects/${key.thumbprint}`);
    assert.equal(again.status, 200, again.text);
    assert.deepEqual(again.json, res.json);
    const nobody = await stack.admin('DELETE', `/v1/sites/${SITE}/subjects/${visitorKey().thumbprint}`);
    assert.equal(nobody.json.error.code, 'subject_not_found');
  });
});

describe('a subject\'s state follows its chain', () => {
  test('a withdrawal posted before the acceptance it follows is the state', async () => {
    const key = visitorKey();
    const accept = makeSubmission(served, { key, action: 'accept_all' });
    const withdraw = makeSubmission(served, { key, action: 'withdraw', prev: sha256hex(canonical(accept.claims)) });
    assert.equal((await post(withdraw)).status, 201);
    assert.equal((await post(accept)).status, 201);
    const view = (await stack.admin('GET', `/v1/sites/${SITE}/subjects/${key.thumbprint}`)).json;
    assert.equal(view.receipts[0].id, accept.claims.id, 'the acceptance arrived last');
    assert.equal(view.state.action, 'withdraw');
    assert.equal(view.state.receipt_id, withdraw.claims.id);
    assert.equal(view.state.decided_by, 'chain');
    assert.equal(view.fork, false);
    assert.deepEqual(view.forks, []);
  });

  test('a fork (two receipts naming the same prev) is kept and flagged', async () => {
    const key = visitorKey();
    const first = makeSubmission(served, { key, action: 'reject_all' });
    const prev = sha256hex(canonical(first.claims));
    const tabA = makeSubmission(served, { key, action: 'accept_all', prev });
    const tabB = makeSubmission(served, { key, action: 'withdraw', prev });
    for (const sub of [first, tabA, tabB]) assert.equal((await post(sub)).status, 201);
    const view = (await stack.admin('GET', `/v1/sites/${SITE}/subjects/${key.thumbprint}`)).json;
    assert.equal(view.receipts.length, 3, 'both branches are kept');
    assert.equal(view.fork, true);
    assert.equal(view.forks.length, 1);
    assert.equal(view.forks[0].prev, prev);
    assert.deepEqual([...view.forks[0].receipt_ids].sort(), [tabA.claims.id, tabB.claims.id].sort());
    assert.equal(view.state.decided_by, 'arrival');
    assert.equal(view.state.receipt_id, tabB.claims.id, 'of the two tips, the last to arrive');
  });
});

describe('policy versions and keys', () => {
  test('policy versions are listed newest first with their hashes', async () => {
    const res = await stack.admin('GET', `/v1/sites/${SITE}/policy/versions`);
    assert.equal(res.status, 200);
    assert.equal(res.json.versions[0].version, served.policy.version);
    assert.equal(res.json.versions[0].sha256, served.sha256);
  });

  test('after a key rotation new receipts use the new kid and old ones still verify, the old key public only', async () => {
    const old = await post(makeSubmission(served, { action: 'accept_all' }));
    const oldKid = JSON.parse(Buffer.from(old.json.jws.split('.')[0], 'base64url')).kid;
    const rotated = rotateSecrets(stack.secrets, 'k-rotated');
    assert.ok(!rotated.EDGE_SIGNING_KEYS.includes(stack.secrets.EDGE_SIGNING_KEYS.split(':')[1]), 'the old seed is gone');
    await stack.setSecrets(rotated);
    const jwks = (await stack.api('GET', '/.well-known/jwks.json')).json;
    assert.deepEqual(jwks.keys.map((k) => k.kid), ['k-rotated', oldKid]);
    // Every key carries its period; the retired one's ends at the rotation.
    assert.ok(jwks.keys.every((k) => typeof k.kelisim_nbf === 'string'));
    assert.equal(jwks.keys[0].kelisim_exp, undefined);
    assert.equal(jwks.keys[1].kelisim_exp, rotated.EDGE_RETIRED_KEYS.split(',')[0].split('/')[1]);
    const now = await post(makeSubmission(served, { action: 'reject_all' }));
    assert.equal(JSON.parse(Buffer.from(now.json.jws.split('.')[0], 'base64url')).kid, 'k-rotated');
    verifyEdgeJws(old.json.jws, jwks);
    const stored = await stack.admin('GET', `/v1/sites/${SITE}/receipts/${old.json.receipt.claims.id}`);
    assert.equal(stored.json.valid, true);
    assert.equal(stored.json.verification.kid, oldKid);
  });
});
