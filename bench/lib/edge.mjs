// The edge benchmarks: wrk against the Kelisim edge and a bare baseline worker, both on
// `wrangler dev` (workerd) on 127.0.0.1.
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, ROOT } from '../../tests/lib/stack.mjs';
import { canonical, makeSubmission, signDetached, visitorKey } from '../../tests/lib/receipt.mjs';
import { log, run, sleep } from './util.mjs';

const WRANGLER = join(ROOT, 'node_modules/.bin/wrangler');
const WRK = process.env.WRK_BIN ?? '/usr/bin/wrk';
const LUA = join(ROOT, 'bench/wrk/bench.lua');
// wrangler dev's local KV: <persist>/v3/kv/miniflare-KVNamespaceObject/<namespace>.sqlite, one row
// per key in `_mf_entries`. Read with python3's sqlite3 (Node 20 has none).
const KV_DIR = 'v3/kv/miniflare-KVNamespaceObject';
const COUNT_KV = `
import glob, json, sqlite3, sys
total, receipts = 0, {}
for f in glob.glob(sys.argv[1] + '/*.sqlite'):
    if f.endswith('/metadata.sqlite'):
        continue
    db = sqlite3.connect('file:' + f + '?mode=ro', uri=True)
    try:
        for (key,) in db.execute('SELECT key FROM _mf_entries'):
            total += 1
            if key.startswith('receipt/'):
                site = key.split('/')[1]
                receipts[site] = receipts.get(site, 0) + 1
    except sqlite3.OperationalError:
        pass
    db.close()
print(json.dumps({'total': total, 'receipts': receipts}))
`;

/** The keys in the stack's local KV: { total, receipts: { site: n } } (`receipt/{site}/{id}` keys). */
export async function countKvKeys(persistDir) {
  const res = await run('python3', ['-c', COUNT_KV, join(persistDir, KV_DIR)]);
  if (res.code !== 0) throw new Error(`counting KV keys failed: ${res.stderr}`);
  return JSON.parse(res.stdout);
}

/** The size in the site's latest checkpoint (a signed note: origin, size, root hash, …), or 0. */
async function checkpointSize(edgeUrl, site) {
  const res = await fetch(`${edgeUrl}/v1/sites/${site}/log/checkpoint`);
  if (res.status !== 200) return 0;
  return Number((await res.text()).split('\n')[1]) || 0;
}

/**
 * Waits for the site's checkpoint to cover `want` entries (the object's alarm signs one every 10 s
 * while the log grows), at most `ms`; returns the last size seen.
 */
async function awaitCheckpoint(edgeUrl, site, want, ms) {
  const deadline = Date.now() + ms;
  let size = await checkpointSize(edgeUrl, site);
  while (size < want && Date.now() < deadline) {
    await sleep(1000);
    size = await checkpointSize(edgeUrl, site);
  }
  return size;
}

/** Starts bench/bare-worker on wrangler dev with a fresh KV dir. Returns { url, stop() }. */
export async function startBare(logDir) {
  const work = await mkdtemp(join(tmpdir(), 'kelisim-bench-bare-'));
  const port = await freePort();
  const inspector = await freePort();
  const out = createWriteStream(join(logDir, 'bench-bare-wrangler.log'), { flags: 'a' });
  const child = spawn(WRANGLER, ['dev', '--config', join(ROOT, 'bench/bare-worker/wrangler.toml'), '--ip', '127.0.0.1',
    '--port', String(port), '--inspector-port', String(inspector), '--persist-to', join(work, 'kv'),
    '--show-interactive-dev-session=false', '--log-level', 'warn'], {
    cwd: join(ROOT, 'bench/bare-worker'),
    env: { ...process.env, CI: 'true', WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false', NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  child.stdout.pipe(out);
  child.stderr.pipe(out);
  let exited = null;
  child.once('exit', (code) => { exited = code ?? 'signal'; });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (exited !== null) throw new Error(`bare worker's wrangler exited (${exited}); see its log`);
    try {
      if ((await fetch(`${url}/ready`, { method: 'POST', body: 'x' })).status === 201) break;
    } catch { /* not yet */ }
    if (Date.now() > deadline) throw new Error('bare worker not ready after 90 s');
    await sleep(100);
  }
  return {
    url,
    /** The process group of its wrangler (workerd runs in it). */
    pgid: child.pid,
    stop: async () => {
      if (exited !== null) return;
      const done = new Promise((r) => child.once('exit', r));
      try { process.kill(-child.pid, 'SIGTERM'); } catch { /* gone */ }
      const timer = setTimeout(() => { try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ } }, 5000);
      await done;
      clearTimeout(timer);
    },
  };
}

/** Runs wrk; returns the parsed BENCHJSON line plus rps, or throws with wrk's output. */
export async function wrk(url, { threads = 2, connections = 16, seconds = 15, bodies = '', auth = '' } = {}) {
  const args = [`-t${threads}`, `-c${connections}`, `-d${seconds}s`, '--latency', '--timeout', '10s', '-s', LUA, url];
  const res = await run(WRK, args, { env: { ...process.env, BENCH_BODIES: bodies, BENCH_THREADS: String(threads), BENCH_AUTH: auth } });
  const line = res.stdout.split('\n').find((l) => l.startsWith('BENCHJSON '));
  if (res.code !== 0 || !line) throw new Error(`wrk ${args.join(' ')} failed (${res.code}):\n${res.stdout}\n${res.stderr}`);
  const r = JSON.parse(line.slice('BENCHJSON '.length));
  r.rps = r.requests / (r.duration_us / 1e6);
  r.command = `wrk ${args.slice(0, 4).join(' ')} -s bench/wrk/bench.lua`;
  return r;
}

/** Writes `n` request bodies, one per line, each from `make(i)`. */
async function writeBodies(file, n, make) {
  const lines = [];
  for (let i = 0; i < n; i++) lines.push(JSON.stringify(make(i)));
  await writeFile(file, lines.join('\n') + '\n');
  return file;
}

/**
 * A submission whose visitor signature is well-formed and made by the right key, but over other
 * claims: it passes every check up to the last step of Ed25519 verification and fails there. (A
 * spoiled signature would be refused early: `verify_strict` rejects an R that does not decompress.)
 */
function wrongSignature(served) {
  const key = visitorKey();
  const s = makeSubmission(served, { key });
  const other = { ...s.claims, gpc: !s.claims.gpc };
  return { ...s, visitor_signature: signDetached(key.privateKey, s.claims.subject, canonical(other)) };
}

/**
 * The edge section. `stack` is a running startStack() with raised rate limits.
 * Returns { runs: {...}, ladder: {...}, bodies: n, seconds, setup }.
 */
export async function benchEdge(stack, { quick, logDir }) {
  const seconds = quick ? 4 : 15;
  const ladderSeconds = quick ? 2 : 5;
  const work = await mkdtemp(join(tmpdir(), 'kelisim-bench-edge-'));
  const site = 'crm-demo';
  const served = (await stack.api('GET', `/v1/sites/${site}/policy`)).json;
  if (!served?.sha256) throw new Error('edge: no policy for crm-demo');

  // Unique valid receipts: a fresh visitor key and ULID each. Enough for well over the expected
  // rate for the whole run; if a thread runs out it wraps (counted as `wrapped`, answered as a replay).
  const n = quick ? 6000 : 24000;
  const t0 = Date.now();
  const unique = await writeBodies(join(work, 'unique.ndjson'), n, () => makeSubmission(served));
  const uniqueWarm = await writeBodies(join(work, 'unique-warm-up.ndjson'), Math.ceil(n / 4), () => makeSubmission(served));
  const uniqueLadder = await writeBodies(join(work, 'unique-ladder.ndjson'), Math.ceil(n / 4), () => makeSubmission(served));
  const replayBody = makeSubmission(served);
  const first = await stack.api('POST', `/v1/sites/${site}/receipts`, { body: replayBody });
  if (first.status !== 201) throw new Error(`edge: a valid receipt was refused: ${first.status} ${first.text}`);
  const replay = await writeBodies(join(work, 'replay.ndjson'), 1, () => replayBody);
  const wrongHash = await writeBodies(join(work, 'wrong-hash.ndjson'), 1,
    () => makeSubmission(served, { mutate: (c) => { c.policy.sha256 = '0'.repeat(64); } }));
  const badSig = await writeBodies(join(work, 'bad-signature.ndjson'), 1, () => wrongSignature(served));
  const setupMs = Date.now() - t0;
  // Check the special bodies answer as intended before timing them.
  for (const [file, want] of [[wrongHash, 'policy_hash_mismatch'], [badSig, 'signature_invalid']]) {
    const body = (await readFile(file, 'utf8')).trim();
    const res = await stack.api('POST', `/v1/sites/${site}/receipts`, { raw: body, headers: { 'Content-Type': 'application/json' } });
    if (res.status !== 422 || res.json?.error?.code !== want) throw new Error(`edge: ${file} answered ${res.status} ${res.text}, expected 422 ${want}`);
  }

  const bare = await startBare(logDir);
  const edge = stack.edgeUrl;
  const auth = `Bearer ${stack.adminToken}`;
  const post = `${edge}/v1/sites/${site}/receipts`;
  const runs = {};
  const ladder = {};
  let kvWrites = null;
  let logVsKv = null;
  try {
    // Warm both runtimes before any timing: isolate start, wasm compile, and V8's tier-up of the
    // hot wasm functions from the baseline compiler to the optimising one, on every path timed.
    const warm = { threads: 1, connections: 2, seconds: quick ? 1 : 2 };
    await wrk(post, { ...warm, bodies: uniqueWarm });
    await wrk(post, { ...warm, bodies: badSig });
    await wrk(`${edge}/v1/sites/${site}/policy?lang=ru`, warm);
    await wrk(`${edge}/v1/sites/${site}/receipts?limit=100`, { ...warm, auth });
    await wrk(`${bare.url}/`, { ...warm, bodies: uniqueWarm });
    await wrk(`${bare.url}/?shape=receipt`, { ...warm, bodies: uniqueWarm });

    const c16 = { threads: 2, connections: 16, seconds };
    log(`edge: throughput runs, ${seconds} s each at -t2 -c16`);
    runs.bare = await wrk(`${bare.url}/`, { ...c16, bodies: uniqueWarm });
    runs.bareShape = await wrk(`${bare.url}/?shape=receipt`, { ...c16, bodies: uniqueWarm });
    // KV writes per accepted receipt, counted in the local KV store itself around the run.
    const kvBefore = await countKvKeys(stack.persistDir);
    runs.submitNew = await wrk(post, { ...c16, bodies: unique });
    const kvAfter = await countKvKeys(stack.persistDir);
    const created = (runs.submitNew.statuses['201'] ?? 0) - (runs.submitNew.replayed ?? 0);
    kvWrites = {
      newReceipts: created,
      keysAdded: kvAfter.total - kvBefore.total,
      receiptKeysAdded: (kvAfter.receipts[site] ?? 0) - (kvBefore.receipts[site] ?? 0),
      perReceipt: created ? (kvAfter.total - kvBefore.total) / created : null,
    };
    runs.submitReplay = await wrk(post, { ...c16, bodies: replay });
    runs.submitWrongHash = await wrk(post, { ...c16, bodies: wrongHash });
    runs.getPolicy = await wrk(`${edge}/v1/sites/${site}/policy?lang=ru`, c16);
    runs.listPage = await wrk(`${edge}/v1/sites/${site}/receipts?limit=100`, { ...c16, auth });
    runs.jwks = await wrk(`${edge}/.well-known/jwks.json`, c16);

    log(`edge: one-connection latency ladder, ${ladderSeconds} s each`);
    const c1 = { threads: 1, connections: 1, seconds: ladderSeconds };
    ladder.bare = await wrk(`${bare.url}/`, { ...c1, bodies: uniqueWarm });
    ladder.bareSeries = await wrk(`${bare.url}/?shape=receipt`, { ...c1, bodies: uniqueWarm });
    ladder.jwks = await wrk(`${edge}/.well-known/jwks.json`, c1);
    ladder.getPolicy = await wrk(`${edge}/v1/sites/${site}/policy?lang=ru`, c1);
    ladder.submitWrongHash = await wrk(post, { ...c1, bodies: wrongHash });
    ladder.submitBadSignature = await wrk(post, { ...c1, bodies: badSig });
    ladder.submitNew = await wrk(post, { ...c1, bodies: uniqueLadder });
    ladder.submitReplay = await wrk(post, { ...c1, bodies: replay });
  } finally {
    await bare.stop();
  }
  // Every receipt of the section is in both: the site's `receipt/` keys against its log's size
  // (the checkpoint the alarm signs; waited for, up to 40 s).
  const kvEnd = await countKvKeys(stack.persistDir);
  const receiptKeys = kvEnd.receipts[site] ?? 0;
  const t1 = Date.now();
  const logSize = await awaitCheckpoint(edge, site, receiptKeys, 40_000);
  logVsKv = { receiptKeys, logSize, waitedMs: Date.now() - t1 };
  log(`edge: ${kvWrites?.keysAdded} KV keys for ${kvWrites?.newReceipts} new receipts; ${receiptKeys} receipt keys, log size ${logSize}`);
  return { seconds, ladderSeconds, bodies: n, setupMs, warmSeconds: quick ? 1 : 2, runs, ladder, kvWrites, logVsKv };
}
