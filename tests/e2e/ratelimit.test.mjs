// Rate limiting through the Workers Rate Limiting binding on real workerd: over the per-subject
// limit a browser gets 429 with Retry-After and nothing is stored; other subjects are unaffected.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startStack } from '../lib/stack.mjs';
import { makeSubmission, visitorKey } from '../lib/receipt.mjs';

const SUBJECT_LIMIT = 3;
let stack;
before(async () => {
  stack = await startStack({
    name: 'ratelimit',
    editConfig: (toml) => toml.replace(/(name = "SUBJECT_LIMITER"[\s\S]*?simple = \{ limit = )\d+/, `$1${SUBJECT_LIMIT}`),
  });
});
after(async () => { await stack?.stop(); });

test('one subject over its limit gets 429 with Retry-After; nothing is stored; others pass', async () => {
  const served = (await stack.api('GET', '/v1/sites/crm-demo/policy')).json;
  const key = visitorKey();
  const statuses = [];
  let refused;
  for (let i = 0; i < SUBJECT_LIMIT + 2; i++) {
    const sub = makeSubmission(served, { key });
    const res = await stack.api('POST', '/v1/sites/crm-demo/receipts', { body: sub });
    statuses.push(res.status);
    if (res.status === 429) refused ??= { res, id: sub.claims.id };
  }
  assert.deepEqual(statuses.slice(0, SUBJECT_LIMIT), Array(SUBJECT_LIMIT).fill(201));
  assert.ok(refused, `expected a 429 after ${SUBJECT_LIMIT}: ${statuses}`);
  assert.equal(refused.res.json.error.code, 'rate_limited');
  assert.ok(Number(refused.res.headers.get('retry-after')) > 0);
  assert.equal((await stack.admin('GET', `/v1/sites/crm-demo/receipts/${refused.id}`)).status, 404);
  const other = await stack.api('POST', '/v1/sites/crm-demo/receipts', { body: makeSubmission(served) });
  assert.equal(other.status, 201);
});
