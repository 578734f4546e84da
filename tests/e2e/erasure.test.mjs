// Erasure on real workerd + KV: every trace of a subject goes (listings, exports, statistics,
// the subject view), the signed record stays once whatever the retries, and the listing pages.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startStack } from '../lib/stack.mjs';
import { canonical, makeSubmission, sha256hex, verifyEdgeJws, visitorKey } from '../lib/receipt.mjs';

let stack;
let served;
const SITE = 'crm-demo';
const post = (body) => stack.api('POST', `/v1/sites/${SITE}/receipts`, { body });

before(async () => {
  stack = await startStack({ name: 'erasure' });
  served = (await stack.api('GET', `/v1/sites/${SITE}/policy`)).json;
});
after(async () => { await stack?.stop(); });

/** Erases until the edge says done (202 means: call again); returns the final answer and calls. */
async function erase(subject) {
  for (let calls = 1; calls <= 50; calls++) {
    const res = await stack.admin('DELETE', `/v1/sites/${SITE}/subjects/${subject}`);
    if (res.status !== 202) return { res, calls };
    assert.equal(res.json.done, false, res.text);
  }
  throw new Error('the erasure did not end');
}

/** Every chunk of an export, following Kelisim-Next-Cursor. */
async function exportAll(format) {
  let text = '';
  let cursor = null;
  for (let n = 0; n < 100; n++) {
    const q = new URLSearchParams({ format, limit: '3', ...(cursor ? { cursor } : {}) });
    const res = await stack.admin('GET', `/v1/sites/${SITE}/export?${q}`);
    assert.equal(res.status, 200, res.text);
    cursor = res.headers.get('kelisim-next-cursor');
    text += cursor ? res.text.slice(0, res.text.lastIndexOf(`kelisim-next-cursor: ${cursor}\n`)) : res.text;
    if (!cursor) return text;
  }
  throw new Error('the export did not end');
}

describe('erasure', () => {
  const key = visitorKey();
  const ids = [];
  let other;
  before(async () => {
    let prev = null;
    for (const action of ['accept_all', 'custom', 'reject_all', 'withdraw']) {
      const res = await post(makeSubmission(served, { key, action, prev }));
      assert.equal(res.status, 201, res.text);
      prev = res.json.receipt.hash;
      ids.push(res.json.receipt.claims.id);
    }
    other = (await post(makeSubmission(served, { action: 'accept_all' }))).json;
  });

  test('a subject with several receipts leaves no trace in listings, exports, statistics or its view', async () => {
    const before = await exportAll('ndjson');
    assert.ok(before.includes(key.thumbprint));
    const { res, calls } = await erase(key.thumbprint);
    assert.equal(res.status, 200, res.text);
    assert.equal(calls, 1, 'a small subject is erased in one request');
    assert.deepEqual([...res.json.erasure.receipt_ids].sort(), [...ids].sort());
    const jwks = (await stack.api('GET', '/.well-known/jwks.json')).json;
    assert.equal(verifyEdgeJws(res.json.jws, jwks), canonical(res.json.erasure));
    assert.equal(res.json.erasure.subject_sha256, sha256hex(key.thumbprint));

    const listed = await stack.admin('GET', `/v1/sites/${SITE}/receipts?limit=1000`);
    assert.ok(!listed.text.includes(key.thumbprint), 'the time index keeps nothing of the subject');
    assert.ok(listed.json.receipts.some((r) => r.id === other.receipt.claims.id), 'others stay');
    for (const format of ['ndjson', 'csv']) {
      const all = await exportAll(format);
      assert.ok(!all.includes(key.thumbprint), format);
      for (const id of ids) assert.ok(!all.includes(id), `${format}: ${id}`);
      assert.ok(all.includes(other.receipt.claims.id), format);
    }
    const today = new Date().toISOString().slice(0, 10);
    const stats = await stack.admin('GET', `/v1/sites/${SITE}/stats?from=${today}&to=${today}`);
    assert.equal(stats.json.days.reduce((n, d) => n + d.total, 0), listed.json.receipts.length);
    const view = await stack.admin('GET', `/v1/sites/${SITE}/subjects/${key.thumbprint}`);
    assert.deepEqual([view.json.state, view.json.receipts], [null, []]);
    for (const id of ids) assert.equal((await stack.admin('GET', `/v1/sites/${SITE}/receipts/${id}`)).status, 404);
  });

  test('retries answer the same record and the erasure is recorded once', async () => {
    const first = (await erase(key.thumbprint)).res;
    const second = (await erase(key.thumbprint)).res;
    assert.equal(first.status, 200, first.text);
    assert.deepEqual(second.json, first.json, 'the same record, signed once');
    const listed = await stack.admin('GET', `/v1/sites/${SITE}/erasures`);
    assert.equal(listed.status, 200, listed.text);
    const mine = listed.json.erasures.filter((e) => e.erasure.subject_sha256 === sha256hex(key.thumbprint));
    assert.equal(mine.length, 1);
    assert.ok(!listed.text.includes(key.thumbprint), 'only the hash of the subject is kept');
    assert.equal((await erase(visitorKey().thumbprint)).res.json.error.code, 'subject_not_found');
  });

  test('the erasure listing pages with a cursor', async () => {
    for (let i = 0; i < 3; i++) {
      const k = visitorKey();
      assert.equal((await post(makeSubmission(served, { key: k }))).status, 201);
      assert.equal((await erase(k.thumbprint)).res.status, 200);
    }
    const all = (await stack.admin('GET', `/v1/sites/${SITE}/erasures`)).json;
    assert.ok(all.erasures.length >= 4);
    assert.equal(all.cursor, null);
    const bad = await stack.admin('GET', `/v1/sites/${SITE}/erasures?colour=red`);
    assert.equal(bad.json.error.code, 'invalid_query');
  });
});
