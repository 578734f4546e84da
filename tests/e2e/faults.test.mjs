// Faults and load on real workerd + KV: the runtime killed during a load keeps every receipt it
// answered 201 for; a bounded mixed soak gets no 5xx and stores every 201.
// KELISIM_SOAK_SECONDS sets the soak length (CI default 10 s; `./x soak` runs 60 s).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startStack } from '../lib/stack.mjs';
import { runLoad, workerdRssKiB } from '../lib/load.mjs';

const SOAK_SECONDS = Number(process.env.KELISIM_SOAK_SECONDS ?? 10);
let stack;
let served;
before(async () => {
  // Rate limits are the rate-limit test's concern; here they would only turn load into 429s.
  stack = await startStack({ name: 'faults', editConfig: (t) => t.replace(/limit = \d+/g, 'limit = 1000000') });
  served = (await stack.api('GET', '/v1/sites/crm-demo/policy')).json;
});
after(async () => { await stack?.stop(); });

async function allStored(ids) {
  const missing = [];
  for (const id of ids) {
    const res = await stack.admin('GET', `/v1/sites/crm-demo/receipts/${id}`);
    if (res.status !== 200 || res.json.valid !== true) missing.push(id);
  }
  return missing;
}

test('the runtime killed during a load keeps every receipt it acknowledged', async () => {
  const controller = new AbortController();
  const load = runLoad({ edgeUrl: stack.edgeUrl, served, concurrency: 8, durationMs: 60_000, invalidRatio: 0, signal: controller.signal });
  // Kill once a few hundred requests have been answered.
  for (;;) {
    const listed = await stack.admin('GET', '/v1/sites/crm-demo/receipts?limit=300');
    if (listed.json.receipts.length >= 300) break;
  }
  await stack.killEdge();
  controller.abort();
  const result = await load;
  assert.ok(result.accepted.length >= 300, `accepted ${result.accepted.length}`);
  await stack.startEdge();
  assert.deepEqual(await allStored(result.accepted), []);
});

test(`a ${SOAK_SECONDS} s mixed soak: no 5xx, every 201 stored, workerd memory reported`, async () => {
  const pgid = stack.edgeProcessGroup();
  const rssBefore = workerdRssKiB(pgid);
  const result = await runLoad({ edgeUrl: stack.edgeUrl, served, concurrency: 8, durationMs: SOAK_SECONDS * 1000 });
  const rssAfter = workerdRssKiB(pgid);
  const fiveXX = Object.entries(result.statuses).filter(([s]) => /^5/.test(s));
  const unexpected = Object.entries(result.statuses).filter(([s]) => s.startsWith('unexpected'));
  console.log(`soak ${SOAK_SECONDS}s: sent ${result.sent}, statuses ${JSON.stringify(result.statuses)}, ` +
    `transport errors ${result.errors}, workerd RSS ${rssBefore} → ${rssAfter} KiB`);
  assert.deepEqual(fiveXX, []);
  assert.deepEqual(unexpected, []);
  assert.equal(result.errors, 0);
  assert.ok(result.accepted.length > 0);
  assert.deepEqual(await allStored(result.accepted), []);
});
