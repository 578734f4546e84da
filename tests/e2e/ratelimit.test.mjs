// Rate limiting through the Workers Rate Limiting binding on real workerd: over the per-subject
// limit a browser gets 429 with Retry-After and nothing is stored; other subjects are unaffected.
// Strangers cannot jam recording: junk (wrong media type, foreign origin, unknown site, bad
// signatures, unsigned posts naming a signed subject) spends neither the site's budget nor the
// subject's, so every real receipt is still stored.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startStack } from '../lib/stack.mjs';
import { canonical, makeSubmission, signDetached, visitorKey } from '../lib/receipt.mjs';

const SUBJECT_LIMIT = 3;
/** Small enough that the junk below would exhaust it many times over, were junk charged. */
const SITE_LIMIT = 25;
const RECEIPTS = '/v1/sites/crm-demo/receipts';
let stack;
before(async () => {
  stack = await startStack({
    name: 'ratelimit',
    editConfig: (toml) => toml
      .replace(/(name = "SUBJECT_LIMITER"[\s\S]*?simple = \{ limit = )\d+/, `$1${SUBJECT_LIMIT}`)
      // A minute-long window: the whole test runs inside one, so nothing is forgiven by time.
      .replace(/(name = "SITE_LIMITER"[\s\S]*?simple = \{ limit = )\d+, period = \d+/, `$1${SITE_LIMIT}, period = 60`),
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

test('junk spends no budget: a flood of refused posts leaves every real receipt stored', async () => {
  const served = (await stack.api('GET', '/v1/sites/crm-demo/policy')).json;
  const origin = stack.origins.crm[0];
  const victim = visitorKey();
  const first = makeSubmission(served, { key: victim, action: 'reject_all' });
  assert.equal((await stack.api('POST', RECEIPTS, { body: first, headers: { Origin: origin } })).status, 201);

  const forgedForVictim = () => {
    // The victim's subject and key, signed by someone else: the signature does not verify.
    const forged = makeSubmission(served, { key: victim, action: 'accept_all' });
    return { ...forged, visitor_signature: signDetached(visitorKey().privateKey, victim.thumbprint, canonical(forged.claims)) };
  };
  const junk = [
    () => stack.api('POST', RECEIPTS, { raw: JSON.stringify(makeSubmission(served)), headers: { 'Content-Type': 'text/plain' } }),
    () => stack.api('POST', RECEIPTS, { raw: 'x'.repeat(100), headers: { 'Content-Type': 'text/plain', Origin: origin } }),
    () => stack.api('POST', RECEIPTS, { body: makeSubmission(served), headers: { Origin: 'https://evil.example' } }),
    () => stack.api('POST', '/v1/sites/nowhere/receipts', { body: makeSubmission(served) }),
    () => stack.api('POST', RECEIPTS, { raw: '{"claims":', headers: { 'Content-Type': 'application/json' } }),
    () => stack.api('POST', RECEIPTS, { body: makeSubmission(served, { mutate: (c) => { c.policy.version = 99; } }) }),
    () => stack.api('POST', RECEIPTS, { body: forgedForVictim(), headers: { Origin: origin } }),
    () => stack.api('POST', RECEIPTS, {
      body: makeSubmission(served, { key: null, action: 'accept_all', mutate: (c) => { c.subject = victim.thumbprint; } }),
    }),
  ];
  const expected = [415, 415, 403, 404, 400, 422, 422, 409];
  const flood = async (rounds) => {
    for (let round = 0; round < rounds; round++) {
      const statuses = await Promise.all(junk.map((send) => send().then((r) => r.status)));
      assert.deepEqual(statuses, expected, `round ${round}: junk is refused for what it is, never 429`);
    }
  };

  // Ten rounds of junk: 80 posts, over three times the site's budget and many times the victim's.
  await flood(10);
  // Real visitors, while the junk keeps coming: each is stored.
  const real = [];
  await Promise.all([
    flood(5),
    (async () => {
      for (let i = 0; i < 5; i++) {
        const sub = makeSubmission(served, { action: i % 2 ? 'accept_all' : 'reject_all' });
        const res = await stack.api('POST', RECEIPTS, { body: sub, headers: { Origin: origin } });
        assert.equal(res.status, 201, res.text);
        real.push(sub.claims.id);
      }
    })(),
  ]);
  // The victim, named by every forged post, still records its own change of mind.
  const own = makeSubmission(served, { key: victim, action: 'accept_all' });
  const res = await stack.api('POST', RECEIPTS, { body: own, headers: { Origin: origin } });
  assert.equal(res.status, 201, res.text);
  real.push(own.claims.id);
  for (const id of real) assert.equal((await stack.admin('GET', `${RECEIPTS}/${id}`)).status, 200, id);
  const history = await stack.admin('GET', `/v1/sites/crm-demo/subjects/${victim.thumbprint}`);
  assert.deepEqual(history.json.receipts.map((r) => r.id).sort(), [first.claims.id, own.claims.id].sort(), 'no forged receipt stored');
});
