// The ledger on real workerd (wrangler dev, the SiteLedger Durable Object on SQLite, local KV):
// a receipt's answer names its log index; twenty concurrent copies of one receipt are one leaf;
// checkpoints appear, and verify as signed notes with an RFC 9162 Merkle proof checked here in
// JS (node:crypto, independently of the Rust code); consistency proofs verify; one KV record per
// receipt and no KV index; and the runtime killed mid-load loses nothing it acknowledged, with
// dense indexes and no duplicates after a restart on the same state.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createPublicKey, verify } from 'node:crypto';
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT, startStack } from '../lib/stack.mjs';
import { makeSubmission } from '../lib/receipt.mjs';

const SITE = 'crm-demo';
// The checkpoint interval, shortened for tests (LEDGER_CHECKPOINT_MS; production: 10 s).
const CHECKPOINT_MS = 300;
let stack;
let served;
let jwks;

before(async () => {
  stack = await startStack({
    name: 'ledger',
    editConfig: (t) => `${t.replace(/limit = \d+/g, 'limit = 1000000')}\n[vars]\nLEDGER_CHECKPOINT_MS = "${CHECKPOINT_MS}"\nKELISIM_DIAGNOSTICS = "1"\n`,
  });
  served = (await stack.api('GET', `/v1/sites/${SITE}/policy`)).json;
  jwks = (await stack.api('GET', '/.well-known/jwks.json')).json;
});
after(async () => { await stack?.stop(); });

const post = (body) => stack.api('POST', `/v1/sites/${SITE}/receipts`, { body });

// ---- RFC 6962 / 9162, written here from the RFC ----
const sha256 = (...parts) => createHash('sha256').update(Buffer.concat(parts)).digest();
const leafHash = (entry) => sha256(Buffer.from([0]), Buffer.from(entry));
const nodeHash = (l, r) => sha256(Buffer.from([1]), l, r);
const receiptEntry = (id, index, jws) => `{"id":"${id}","index":${index},"jws":"${jws}","kind":"receipt"}`;

function verifyInclusion(index, size, leaf, proof, root) {
  if (index >= size) return false;
  let fn = index; let sn = size - 1; let r = leaf;
  for (const p of proof) {
    if (sn === 0) return false;
    if ((fn & 1) === 1 || fn === sn) {
      r = nodeHash(p, r);
      if ((fn & 1) === 0) while ((fn & 1) === 0 && fn !== 0) { fn >>= 1; sn >>= 1; }
    } else r = nodeHash(r, p);
    fn >>= 1; sn >>= 1;
  }
  return sn === 0 && r.equals(root);
}

function verifyConsistency(first, second, proof, firstRoot, secondRoot) {
  if (first === second) return proof.length === 0 && firstRoot.equals(secondRoot);
  if (first === 0) return proof.length === 0;
  const path = (first & (first - 1)) === 0 ? [firstRoot, ...proof] : [...proof];
  let fn = first - 1; let sn = second - 1;
  while ((fn & 1) === 1) { fn >>= 1; sn >>= 1; }
  let fr = path[0]; let sr = path[0];
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if ((fn & 1) === 1 || fn === sn) {
      fr = nodeHash(c, fr); sr = nodeHash(c, sr);
      if ((fn & 1) === 0) while ((fn & 1) === 0 && fn !== 0) { fn >>= 1; sn >>= 1; }
    } else sr = nodeHash(sr, c);
    fn >>= 1; sn >>= 1;
  }
  return sn === 0 && fr.equals(firstRoot) && sr.equals(secondRoot);
}

// ---- C2SP signed-note / tlog-checkpoint, written here from the specs ----
function verifyCheckpoint(text, publicX) {
  const split = text.indexOf('\n\n');
  assert.ok(split > 0, 'a note has a body and signatures');
  const body = text.slice(0, split + 1);
  const [origin, size, root] = body.split('\n');
  const pub = Buffer.from(publicX, 'base64url');
  const keyId = sha256(Buffer.from(`${origin}\n`), Buffer.from([1]), pub).subarray(0, 4);
  const sigLines = text.slice(split + 2).split('\n').filter(Boolean);
  const ours = sigLines.map((l) => l.match(/^\u2014 (\S+) (\S+)$/)).find((m) => m && m[1] === origin);
  assert.ok(ours, `a signature by ${origin}`);
  const sig = Buffer.from(ours[2], 'base64');
  assert.ok(sig.subarray(0, 4).equals(keyId), 'key id');
  const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: publicX }, format: 'jwk' });
  assert.ok(verify(null, Buffer.from(body), key, sig.subarray(4)), 'checkpoint signature');
  return { origin, size: Number(size), root: Buffer.from(root, 'base64'), keyId };
}

async function checkpoint() {
  const res = await stack.api('GET', `/v1/sites/${SITE}/log/checkpoint`);
  if (res.status !== 200) return null;
  assert.match(res.headers.get('content-type'), /^text\/plain/);
  return verifyCheckpoint(res.text, jwks.keys[0].x);
}

/** The first checkpoint covering `size` leaves (the alarm issues it; nothing is signed on a read). */
async function checkpointOf(size) {
  for (;;) {
    const cp = await checkpoint();
    if (cp && cp.size >= size) return cp;
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function inclusion(query) {
  const res = await stack.api('GET', `/v1/sites/${SITE}/log/proof/inclusion?${query}`);
  assert.equal(res.status, 200, res.text);
  return res.json;
}

/** Posts until a 2xx, as the widget's outbox does (any non-2xx or network error: again). */
async function deliver(body) {
  for (;;) {
    try {
      const res = await post(body);
      if (res.status >= 200 && res.status < 300) return res;
    } catch { /* the runtime is down: retry */ }
    await new Promise((r) => setTimeout(r, 20));
  }
}

const wrangler = promisify(execFile);
/** KV keys under `prefix` in the stack's persisted local KV (read by wrangler itself). */
async function kvKeys(prefix) {
  const work = dirname(stack.persistDir);
  const { stdout } = await wrangler(join(ROOT, 'node_modules/.bin/wrangler'), ['kv', 'key', 'list', '--binding', 'KELISIM',
    '--local', '--persist-to', stack.persistDir, '--prefix', prefix, '--config', join(work, 'wrangler.toml')],
  { cwd: work, env: { ...process.env, CI: 'true', WRANGLER_SEND_METRICS: 'false', NO_COLOR: '1' }, maxBuffer: 64 << 20 });
  return JSON.parse(stdout.slice(stdout.indexOf('[')));
}

const proven = new Map(); // id -> { index, jws }

test('a failing commit in the object rolls back (transactionSync on workerd)', async () => {
  const res = await stack.api('GET', '/__diagnostics/ledger-rollback');
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(res.json, { commit_failed: true, rolled_back: true });
});

test('a receipt answer names its log index and origin, bound by the countersignature', async () => {
  const sub = makeSubmission(served, { action: 'accept_all' });
  const res = await post(sub);
  assert.equal(res.status, 201, res.text);
  const { log } = res.json.receipt;
  assert.equal(typeof log.index, 'number');
  assert.match(log.origin, new RegExp(`/kelisim/${SITE}$`));
  const payload = JSON.parse(Buffer.from(res.json.jws.split('.')[1], 'base64url').toString());
  assert.deepEqual(payload.log, log);
  proven.set(sub.claims.id, { index: log.index, jws: res.json.jws });
});

test('twenty concurrent copies of one receipt: one JWS, one leaf', async () => {
  const before = (await checkpointOf(1)).size;
  const sub = makeSubmission(served, { action: 'reject_all' });
  const answers = await Promise.all(Array.from({ length: 20 }, () => post(sub)));
  assert.deepEqual([...new Set(answers.map((a) => a.status))], [201]);
  assert.equal(new Set(answers.map((a) => a.text)).size, 1, 'the identical answer');
  assert.equal(answers.filter((a) => a.headers.get('kelisim-replayed') !== 'true').length, 1, 'one new');
  const { index } = answers[0].json.receipt.log;
  proven.set(sub.claims.id, { index, jws: answers[0].json.jws });
  const cp = await checkpointOf(before + 1);
  assert.equal(cp.size, before + 1, 'the log grew by one leaf');
});

test('checkpoints verify, inclusion proofs verify against them, and the log only extends', async () => {
  const first = await checkpointOf(proven.size);
  const key = await stack.api('GET', `/v1/sites/${SITE}/log/key`);
  assert.equal(key.status, 200);
  assert.equal(key.text.trim(), `${first.origin}+${first.keyId.toString('hex')}+${Buffer.concat([Buffer.from([1]), Buffer.from(jwks.keys[0].x, 'base64url')]).toString('base64')}`);
  for (let n = 0; n < 5; n += 1) {
    const sub = makeSubmission(served, { action: n % 2 ? 'accept_all' : 'reject_all' });
    const res = await post(sub);
    assert.equal(res.status, 201, res.text);
    proven.set(sub.claims.id, { index: res.json.receipt.log.index, jws: res.json.jws });
  }
  const second = await checkpointOf(first.size + 5);
  for (const [id, { index, jws }] of proven) {
    const proof = await inclusion(`id=${id}&size=${second.size}`);
    assert.equal(proof.index, index);
    const leaf = leafHash(receiptEntry(id, index, jws));
    assert.equal(proof.leaf_hash, leaf.toString('base64'));
    assert.ok(verifyInclusion(index, second.size, leaf, proof.hashes.map((h) => Buffer.from(h, 'base64')), second.root), `inclusion of ${index}`);
  }
  const consistency = await stack.api('GET', `/v1/sites/${SITE}/log/proof/consistency?from=${first.size}&to=${second.size}`);
  assert.equal(consistency.status, 200, consistency.text);
  assert.ok(verifyConsistency(first.size, second.size, consistency.json.hashes.map((h) => Buffer.from(h, 'base64')), first.root, second.root));
  // Strict queries, and nothing past the latest checkpoint.
  assert.equal((await stack.api('GET', `/v1/sites/${SITE}/log/proof/inclusion?index=0&size=${second.size + 1000}`)).json.error.code, 'size_not_checkpointed');
  assert.equal((await stack.api('GET', `/v1/sites/${SITE}/log/proof/inclusion?index=01`)).json.error.code, 'invalid_query');
  assert.equal((await stack.api('GET', `/v1/sites/${SITE}/log/proof/consistency?from=2&to=1`)).json.error.code, 'invalid_query');
  assert.equal((await stack.api('GET', '/v1/sites/no-such-site/log/checkpoint')).json.error.code, 'unknown_site');
  // A hash tile: its first hash is leaf 0's.
  const width = Math.min(second.size, 256);
  const tile = await fetch(`${stack.edgeUrl}/v1/sites/${SITE}/log/tile/0/000${width < 256 ? `.p/${width}` : ''}`);
  assert.equal(tile.status, 200);
  const bytes = Buffer.from(await tile.arrayBuffer());
  assert.equal(bytes.length, 32 * width);
  const zero = [...proven.entries()].find(([, v]) => v.index === 0);
  if (zero) assert.ok(bytes.subarray(0, 32).equals(leafHash(receiptEntry(zero[0], 0, zero[1].jws))));
});

test('the runtime killed mid-load keeps every acknowledged receipt, in KV and in the log, dense and once', async () => {
  const subs = Array.from({ length: 120 }, (_, n) => makeSubmission(served, { action: n % 2 ? 'accept_all' : 'reject_all' }));
  let acknowledged = 0;
  const burst = (async () => {
    const queue = [...subs];
    const answers = new Map();
    await Promise.all(Array.from({ length: 8 }, async () => {
      while (queue.length) {
        const sub = queue.shift();
        const res = await deliver(sub);
        acknowledged += 1;
        answers.set(sub.claims.id, res.json);
      }
    }));
    return answers;
  })();
  while (acknowledged < 30) await new Promise((r) => setTimeout(r, 5));
  await stack.killEdge();
  await stack.startEdge();
  const answers = await burst;
  assert.equal(answers.size, subs.length);
  for (const [id, signed] of answers) proven.set(id, { index: signed.receipt.log.index, jws: signed.jws });

  const cp = await checkpointOf(proven.size);
  assert.equal(cp.size, proven.size, 'one leaf per receipt, no duplicates');
  const indexes = [...proven.values()].map((v) => v.index).sort((a, b) => a - b);
  assert.deepEqual(indexes, Array.from({ length: proven.size }, (_, i) => i), 'dense indexes');
  for (const [id, { index, jws }] of proven) {
    const proof = await inclusion(`id=${id}`);
    assert.equal(proof.index, index);
    assert.ok(verifyInclusion(index, cp.size, leafHash(receiptEntry(id, index, jws)), proof.hashes.map((h) => Buffer.from(h, 'base64')), cp.root));
  }
  // One KV record per receipt, with the identical answer, and no KV index on the receipt path.
  const keys = await kvKeys(`receipt/${SITE}/`);
  assert.deepEqual(keys.map((k) => k.name.split('/').pop()).sort(), [...proven.keys()].sort());
  for (const k of keys) assert.deepEqual(k.metadata, { index: proven.get(k.name.split('/').pop()).index });
  assert.deepEqual(await kvKeys('idx/'), []);
  for (const [id, signed] of [...answers].slice(0, 10)) {
    const stored = await stack.admin('GET', `/v1/sites/${SITE}/receipts/${id}`);
    assert.equal(stored.status, 200, stored.text);
    assert.equal(stored.json.signed.jws, signed.jws);
  }
});

test('erasure appends an erasure entry; the erased leaves keep verifying and say which erasure removed them', async () => {
  const first = makeSubmission(served, { key: null, action: 'accept_all' });
  const subject = first.claims.subject;
  const subs = [first, makeSubmission(served, { key: null, action: 'reject_all', mutate: (c) => { c.subject = subject; } })];
  const posted = [];
  for (const sub of subs) {
    const res = await post(sub);
    assert.equal(res.status, 201, res.text);
    posted.push({ id: sub.claims.id, index: res.json.receipt.log.index, jws: res.json.jws, sub });
  }
  const before = await checkpointOf(proven.size + posted.length);
  const erased = await stack.admin('DELETE', `/v1/sites/${SITE}/subjects/${subject}`);
  assert.equal(erased.status, 200, erased.text);
  assert.deepEqual(erased.json.erasure.receipt_ids, posted.map((p) => p.id).sort());
  const after = await checkpointOf(before.size + 1);
  assert.equal(after.size, before.size + 1, 'one erasure entry');
  for (const p of posted) {
    const proof = await inclusion(`id=${p.id}`);
    assert.equal(proof.index, p.index);
    const leaf = leafHash(receiptEntry(p.id, p.index, p.jws));
    assert.ok(verifyInclusion(p.index, after.size, leaf, proof.hashes.map((h) => Buffer.from(h, 'base64')), after.root), 'the erased leaf is still in the tree');
    const entry = JSON.parse(proof.erased.erasure_entry);
    assert.equal(entry.kind, 'erasure');
    assert.equal(entry.id, erased.json.erasure.id);
    assert.ok(entry.erased.includes(p.index));
    const e = proof.erased.erasure_proof;
    assert.ok(verifyInclusion(e.index, after.size, leafHash(proof.erased.erasure_entry), e.hashes.map((h) => Buffer.from(h, 'base64')), after.root), 'the erasure entry is in the tree');
    assert.equal((await stack.admin('GET', `/v1/sites/${SITE}/receipts/${p.id}`)).status, 404, 'the KV record is gone');
    const replay = await post(p.sub);
    assert.equal(replay.status, 410);
    assert.equal(replay.json.error.code, 'receipt_erased');
  }
  const again = await stack.admin('DELETE', `/v1/sites/${SITE}/subjects/${subject}`);
  assert.equal(again.status, 200);
  assert.deepEqual(again.json, erased.json, 'a retry answers the same record');
  const consistency = await stack.api('GET', `/v1/sites/${SITE}/log/proof/consistency?from=${before.size}&to=${after.size}`);
  assert.ok(verifyConsistency(before.size, after.size, consistency.json.hashes.map((h) => Buffer.from(h, 'base64')), before.root, after.root));
});
