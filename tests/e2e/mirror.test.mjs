// `kelisim mirror`, `kelisim log verify` and `kelisim receipts verify` against the edge's log on
// real workerd (Durable Object + KV): receipts posted, mirrored, more posted, mirrored again
// (only the new part), a subject erased and the erasure applied to the copy; the witness state
// advancing; a receipt proven in the log; a KV record deleted behind the edge's back reported by
// `kelisim log verify --records`. The copy is read back with Python's sqlite3 (standard library).
//
// Needs the edge's log routes (docs/ledger.md §6; branch ledger-write).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, startStack } from '../lib/stack.mjs';
import { makeSubmission, visitorKey } from '../lib/receipt.mjs';
import { CLI_BIN, runCli } from '../lib/cli.mjs';

const SITE = 'crm-demo';
/** Checkpoints follow the log within 10 s (docs/ledger.md §5); this bounds the wait for one. */
const CHECKPOINT_DEADLINE_MS = 60_000;

let stack;
let served;
let work;
let token; // read + export: what docs/mirror.md gives the mirror
const posted = []; // signed receipts, in posting order

function kelisim(args, { input } = {}) {
  return runCli(args, { env: { ...process.env, KELISIM_EDGE: stack.edgeUrl, KELISIM_TOKEN: token }, input });
}

/** Rows of `sql` in the mirror database `db`, as arrays (BLOBs as hex). */
function query(db, sql) {
  const script = 'import sqlite3, json, sys\n'
    + 'c = sqlite3.connect(sys.argv[1])\n'
    + 'rows = [[v.hex() if isinstance(v, bytes) else v for v in r] for r in c.execute(sys.argv[2])]\n'
    + 'print(json.dumps(rows))';
  const res = spawnSync('python3', ['-c', script, db, sql], { encoding: 'utf8' });
  assert.equal(res.status, 0, res.stderr);
  return JSON.parse(res.stdout);
}

async function postReceipts(count, key = visitorKey()) {
  for (let i = 0; i < count; i++) {
    const prev = posted.filter((s) => s.receipt.claims.subject === key.thumbprint).at(-1)?.receipt.hash ?? null;
    const res = await stack.api('POST', `/v1/sites/${SITE}/receipts`, { body: makeSubmission(served, { key, prev }) });
    assert.equal(res.status, 201, res.text);
    assert.equal(typeof res.json.receipt.log?.index, 'number', `the receipt names its log index: ${res.text}`);
    posted.push(res.json);
  }
  return key;
}

/** Waits until the latest checkpoint covers `size` leaves; returns its size. */
async function checkpointCovering(size) {
  const deadline = Date.now() + CHECKPOINT_DEADLINE_MS;
  for (;;) {
    const res = await stack.api('GET', `/v1/sites/${SITE}/log/checkpoint`);
    const current = res.status === 200 ? Number(res.text.split('\n')[1]) : -1;
    if (current >= size) return current;
    if (Date.now() > deadline) throw new Error(`no checkpoint of size ≥ ${size} (latest: ${res.status} ${res.text})`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The log's size now: one past the highest index any posted receipt or erasure took. */
async function logSize() {
  const res = await stack.api('GET', `/v1/sites/${SITE}/log/checkpoint`);
  return res.status === 200 ? Number(res.text.split('\n')[1]) : 0;
}

async function eraseSubject(subject) {
  for (let calls = 1; calls <= 50; calls++) {
    const res = await stack.admin('DELETE', `/v1/sites/${SITE}/subjects/${subject}`);
    if (res.status !== 202) {
      assert.ok(res.status < 300, res.text);
      return res;
    }
  }
  throw new Error('the erasure did not end');
}

before(async () => {
  if (!existsSync(CLI_BIN) || process.env.KELISIM_CLI_REBUILD !== '0') {
    const build = spawnSync('cargo', ['build', '-p', 'kelisim-cli', '--quiet'], { cwd: ROOT, stdio: 'inherit' });
    assert.equal(build.status, 0, 'cargo build -p kelisim-cli');
  }
  work = await mkdtemp(join(tmpdir(), 'kelisim-mirror-test-'));
  stack = await startStack({ name: 'mirror', workDir: work });
  served = (await stack.api('GET', `/v1/sites/${SITE}/policy`)).json;
  const created = await runCli(['token', 'create', '--site', SITE, '--scopes', 'read,export', '--label', 'mirror'],
    { env: { ...process.env, KELISIM_EDGE: stack.edgeUrl, KELISIM_TOKEN: stack.adminToken } });
  assert.equal(created.code, 0, created.stderr);
  token = created.stdout.trim();
});
after(async () => { await stack?.stop(); });

describe('kelisim mirror', () => {
  const db = () => join(work, 'mirror.sqlite');
  let erasedKey;

  test('mirrors the log from empty, then only what it gained', async () => {
    erasedKey = await postReceipts(2);
    await postReceipts(1);
    const first = await checkpointCovering(3);
    const run1 = await kelisim(['mirror', '--site', SITE, '--db', db()]);
    assert.equal(run1.code, 0, run1.stderr);
    assert.match(run1.stdout, new RegExp(`leaves 0\\.\\.${first}: ${first} receipts`));
    const ids = posted.map((s) => s.receipt.claims.id);
    const held = query(db(), 'SELECT id, idx, signed FROM receipt ORDER BY idx');
    assert.deepEqual(held.map((r) => r[0]), ids);
    for (const [id, idx, signed] of held) {
      const original = posted.find((s) => s.receipt.claims.id === id);
      assert.equal(idx, original.receipt.log.index);
      assert.deepEqual(JSON.parse(signed), original, 'the copy holds the signed receipt as the edge answered it');
    }

    await postReceipts(2);
    const second = await checkpointCovering(first + 2);
    const run2 = await kelisim(['mirror', '--site', SITE, '--db', db()]);
    assert.equal(run2.code, 0, run2.stderr);
    assert.match(run2.stdout, new RegExp(`leaves ${first}\\.\\.${second}: ${second - first} receipts`));
    assert.deepEqual(query(db(), 'SELECT size FROM progress'), [[second]]);
    assert.deepEqual(query(db(), 'SELECT COUNT(*) FROM receipt'), [[5]]);
    const checkpoints = query(db(), 'SELECT size FROM checkpoint ORDER BY size').map((r) => r[0]);
    assert.deepEqual(checkpoints, [first, second]);

    // Nothing new: nothing pulled, nothing changed.
    const run3 = await kelisim(['mirror', '--site', SITE, '--db', db()]);
    assert.equal(run3.code, 0, run3.stderr);
    assert.match(run3.stdout, new RegExp(`leaves ${second}\\.\\.${second}: 0 receipts`));
  });

  test('an erased subject leaves the copy too, its leaf hashes and the erasure recorded', async () => {
    const subject = erasedKey.thumbprint;
    const erasedIds = posted.filter((s) => s.receipt.claims.subject === subject).map((s) => s.receipt.claims.id);
    assert.equal(erasedIds.length, 2);
    const leavesBefore = query(db(), 'SELECT idx, leaf_hash FROM entry ORDER BY idx');
    const before = await logSize();
    await eraseSubject(subject);
    const size = await checkpointCovering(before + 1);
    const run = await kelisim(['mirror', '--site', SITE, '--db', db()]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /1 erasures \(2 receipts erased\)/);
    assert.deepEqual(query(db(), `SELECT COUNT(*) FROM receipt WHERE subject = '${subject}'`), [[0]]);
    assert.deepEqual(query(db(), 'SELECT COUNT(*) FROM receipt'), [[3]]);
    const erasure = query(db(), 'SELECT idx, erased FROM erasure');
    assert.equal(erasure.length, 1);
    const erasedIdx = posted.filter((s) => erasedIds.includes(s.receipt.claims.id)).map((s) => s.receipt.log.index);
    assert.deepEqual(JSON.parse(erasure[0][1]), erasedIdx);
    assert.deepEqual(query(db(), `SELECT idx FROM entry WHERE bytes IS NULL AND erased_by = ${erasure[0][0]} ORDER BY idx`),
      erasedIdx.map((i) => [i]));
    const leavesAfter = query(db(), `SELECT idx, leaf_hash FROM entry WHERE idx < ${leavesBefore.length} ORDER BY idx`);
    assert.deepEqual(leavesAfter, leavesBefore, 'leaf hashes are kept');
    assert.deepEqual(query(db(), 'SELECT size FROM progress'), [[size]]);

    // A copy started after the erasure sees tombstones and ends with the same receipts.
    const fresh = join(work, 'fresh.sqlite');
    const again = await kelisim(['mirror', '--site', SITE, '--db', fresh]);
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(query(fresh, 'SELECT idx, id, signed FROM receipt ORDER BY idx'),
      query(db(), 'SELECT idx, id, signed FROM receipt ORDER BY idx'));
  });

  test('without an export token the mirror is refused with exit 2 and the copy unchanged', async () => {
    const before = query(db(), 'SELECT COUNT(*) FROM entry');
    await postReceipts(1);
    // Something new to copy (a checkpoint past what the copy holds): only then is a token needed.
    await checkpointCovering(before[0][0] + 1);
    const res = await runCli(['mirror', '--site', SITE, '--db', db()],
      { env: { ...process.env, KELISIM_EDGE: stack.edgeUrl, KELISIM_TOKEN: undefined } });
    assert.equal(res.code, 2, res.stderr);
    assert.match(res.stderr, /token/);
    assert.deepEqual(query(db(), 'SELECT COUNT(*) FROM entry'), before);
  });
});

describe('kelisim log verify and receipts verify', () => {
  test('the witness state advances as the log grows', async () => {
    const state = join(work, 'witness.json');
    const first = await kelisim(['log', 'verify', '--site', SITE, '--state', state]);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stderr, /first checkpoint seen/);
    const saved = JSON.parse(await readFile(state, 'utf8'));
    assert.match(saved.verifier_key, new RegExp(`/kelisim/${SITE}\\+[0-9a-f]{8}\\+`));
    const size = Number(saved.checkpoint.split('\n')[1]);

    await postReceipts(1);
    await checkpointCovering(size + 1);
    const second = await kelisim(['log', 'verify', '--site', SITE, '--state', state, '--key', saved.verifier_key]);
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stderr, new RegExp(`consistent with the previous checkpoint of size ${size}`));
  });

  test('a posted receipt is proven in the log', async () => {
    const receipt = posted.at(-1);
    await checkpointCovering(receipt.receipt.log.index + 1);
    const res = await kelisim(['receipts', 'verify', '--site', SITE, '-'], { input: JSON.stringify(receipt) });
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, new RegExp(`^VALID ${receipt.receipt.claims.id} \\S+; in log at index ${receipt.receipt.log.index} of size \\d+\\n$`));
  });

  test('a receipt record deleted from KV is reported by log verify --records', async () => {
    const clean = await kelisim(['log', 'verify', '--site', SITE, '--records']);
    assert.equal(clean.code, 0, clean.stderr);
    assert.match(clean.stderr, /compared with KV: 0 problems/);

    const victim = posted.at(-1);
    const { id } = victim.receipt.claims;
    // Behind the edge's back, as someone with the KV namespace could: the edge stopped meanwhile.
    await stack.stopEdge();
    const del = spawnSync(join(ROOT, 'node_modules/.bin/wrangler'), ['kv', 'key', 'delete', `receipt/${SITE}/${id}`,
      '--binding', 'KELISIM', '--local', '--persist-to', stack.persistDir, '--config', join(work, 'wrangler.toml')],
    { cwd: work, encoding: 'utf8', env: { ...process.env, CI: 'true', WRANGLER_SEND_METRICS: 'false' } });
    assert.equal(del.status, 0, del.stderr);
    await stack.startEdge();

    const res = await kelisim(['log', 'verify', '--site', SITE, '--records']);
    assert.equal(res.code, 1, res.stderr);
    assert.equal(res.stdout.split('\n').filter((l) => l.startsWith('RECORD ')).join('\n'),
      `RECORD ${victim.receipt.log.index} ${id}: the KV record is missing`);
  });
});
