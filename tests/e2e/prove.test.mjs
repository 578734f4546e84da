// A visitor proves their receipts are in the site's log, in real Chromium against the edge on
// workerd: kelisim.receipts() names each receipt's log position, and kelisim.prove(id) checks the
// checkpoint's signature with the edge's JWKS, rebuilds the leaf from the receipt it holds and
// verifies the inclusion proof (widget/js/prove.js, loaded only when asked). A tampered receipt
// does not prove.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startStack } from '../lib/stack.mjs';
import { launchBrowser } from '../lib/browser.mjs';

let stack;
let ctx;

/** Checkpoints every 300 ms instead of 10 s. */
const config = (toml) => `${toml}\n[vars]\nLEDGER_CHECKPOINT_MS = "300"\n`;

before(async () => {
  stack = await startStack({ name: 'prove', editConfig: config });
  ctx = await launchBrowser();
});

after(async () => {
  await stack?.stop();
  await Promise.race([ctx?.close(), new Promise((r) => setTimeout(r, 10_000).unref())]);
});

/** kelisim.prove(id) until the receipt is in a checkpoint (the alarm issues one shortly). */
async function proven(page, id) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const result = await page.evaluate((rid) => window.kelisim.prove(rid), id);
    if (result.reason !== 'not yet in a checkpoint') return result;
    if (Date.now() > deadline) throw new Error(`never checkpointed: ${JSON.stringify(result)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

test('a rejection and a withdrawal each prove their place in the log; a tampered copy does not', async () => {
  const page = await ctx.newPage();
  const requests = [];
  page.on('request', (r) => requests.push(r.url()));
  await page.goto(`${stack.crmUrl}/`);
  await page.locator('kelisim-consent [data-action=reject]:visible').click();
  await page.waitForFunction((n) => JSON.parse(localStorage.getItem('kelisim:crm-demo:receipts') || '[]').length >= n, 1);
  await page.evaluate(() => window.kelisim.withdraw());
  await page.waitForFunction((n) => JSON.parse(localStorage.getItem('kelisim:crm-demo:receipts') || '[]').length >= n, 2);
  const kept = await page.evaluate(() => window.kelisim.receipts());
  assert.equal(kept.length, 2);
  for (const { receipt } of kept) {
    assert.equal(typeof receipt.log?.index, 'number', 'the kept receipt names its log index');
    assert.equal(receipt.log.origin.endsWith('/kelisim/crm-demo'), true, receipt.log.origin);
  }
  assert.notEqual(kept[0].receipt.log.index, kept[1].receipt.log.index);

  const before = requests.length;
  for (const { receipt } of kept) {
    const result = await proven(page, receipt.claims.id);
    assert.equal(result.verified, true, JSON.stringify(result));
    assert.equal(result.index, receipt.log.index);
    assert.ok(result.treeSize > receipt.log.index);
  }
  // Proving talks to the edge only: the prover module, the checkpoint, the JWKS, the proofs.
  const contacted = new Set(requests.slice(before).map((u) => new URL(u).origin));
  assert.deepEqual([...contacted], [stack.edgeUrl]);

  // The same prover on a copy whose countersignature was altered, or that claims another index.
  const forged = await page.evaluate(async ({ edge, good }) => {
    const m = await import(`${edge}/v1/kelisim-prove.js`);
    const parts = good.jws.split('.');
    const badJws = { ...good, jws: `${parts[0]}.${parts[1]}.${parts[2].slice(0, -2)}AA` };
    const otherIndex = { ...good, receipt: { ...good.receipt, log: { ...good.receipt.log, index: good.receipt.log.index === 0 ? 1 : 0 } } };
    return [await m.prove(edge, 'crm-demo', badJws), await m.prove(edge, 'crm-demo', otherIndex)];
  }, { edge: stack.edgeUrl, good: kept[0] });
  for (const result of forged) assert.equal(result.verified, false, JSON.stringify(result));
});

test('the prover agrees with the ledger crate: its pinned checkpoint verifies, and inclusion paths of every size to 32', async () => {
  const { verifyCheckpoint, rootFromInclusion } = await import('../../widget/js/prove.js');
  const { createHash, createPrivateKey, createPublicKey } = await import('node:crypto');
  // ledger/tests/checkpoints.rs GOLDEN: five leaves, signed with the key of seed [7; 32].
  const der = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), Buffer.alloc(32, 7)]);
  const x = createPublicKey(createPrivateKey({ key: der, format: 'der', type: 'pkcs8' })).export({ format: 'jwk' }).x;
  const jwks = { keys: [{ kty: 'OKP', crv: 'Ed25519', x, kid: 'k' }] };
  const origin = 'consent.example.kz/kelisim/acme';
  const note = `${origin}\n5\nNBUVmC1lDiNSDb1U1/zwr6G3DMOhakEdRk3JwayWwwE=\n\n\u2014 ${origin} `
    + 'iejjS7H2I0T3jju0fIAghPZk1FdTPniKMn+9awRPEs+ndHxaIDLgt7m2launFM12PPIYCvvSlcHPdMW7kEanvsfv+wM=\n';
  assert.equal((await verifyCheckpoint(note, origin, jwks)).size, 5);
  await assert.rejects(verifyCheckpoint(note.replace('\n5\n', '\n6\n'), origin, jwks));
  await assert.rejects(verifyCheckpoint(note, 'other.example/kelisim/acme', jwks));
  // RFC 6962 §2.1 computed here by recursion, independently of the prover's iterative check.
  const h = (...parts) => new Uint8Array(createHash('sha256').update(Buffer.concat(parts.map((p) => Buffer.from(p)))).digest());
  const leaves = Array.from({ length: 32 }, (_, i) => h(Uint8Array.of(0), Buffer.from(`leaf ${i}`)));
  const split = (n) => { let k = 1; while (k * 2 < n) k *= 2; return k; };
  const mth = (ls) => (ls.length === 1 ? ls[0] : h(Uint8Array.of(1), mth(ls.slice(0, split(ls.length))), mth(ls.slice(split(ls.length)))));
  const path = (m, ls) => {
    if (ls.length === 1) return [];
    const k = split(ls.length);
    return m < k ? [...path(m, ls.slice(0, k)), mth(ls.slice(k))] : [...path(m - k, ls.slice(k)), mth(ls.slice(0, k))];
  };
  for (let n = 1; n <= 32; n++) {
    const root = Buffer.from(mth(leaves.slice(0, n)));
    for (let m = 0; m < n; m++) {
      const got = await rootFromInclusion(m, n, leaves[m], path(m, leaves.slice(0, n)));
      assert.ok(root.equals(Buffer.from(got)), `size ${n}, index ${m}`);
      if (n > 1) {
        const wrong = await rootFromInclusion(m, n, leaves[(m + 1) % n], path(m, leaves.slice(0, n)));
        assert.ok(!root.equals(Buffer.from(wrong)), `a wrong leaf at size ${n}, index ${m}`);
      }
    }
  }
});
