// Scale: one operator page (GET /v1/sites/{site}/receipts?limit=100) and the statistics
// (GET /v1/sites/{site}/stats, 30 days) when the site holds 1k, 10k and 100k receipts. Both are
// answered by the site's ledger object (a Durable Object with SQLite) from its query tables and
// day counters. The receipts are written straight into the object's persisted SQLite file (the
// one wrangler dev keeps under the persist dir) by bench/native's `seed_ledger` while the edge is
// stopped: through the API, 100k receipts would take minutes at the measured POST rate. Each
// seeded receipt gets the rows the object's append writes (leaf with entry bytes, receipt_row,
// decision_row, day counters, tree size), copied from one real receipt the edge accepted, under
// new ids, subjects and times.
import { readdir, writeFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import { ROOT } from '../../tests/lib/stack.mjs';
import { makeSubmission } from '../../tests/lib/receipt.mjs';
import { wrk } from './edge.mjs';
import { log, median, percentile, run } from './util.mjs';

export const SCALE_SITE = 'bench-scale';
// wrangler dev's Durable Object storage: <persist>/v3/do/<script name>-<class name>/<object id>.sqlite
const OBJECT_DIR = 'v3/do/kelisim-edge-SiteLedger';
const NATIVE = join(ROOT, 'bench/native');

async function objectFiles(persistDir) {
  try {
    return (await readdir(join(persistDir, OBJECT_DIR))).filter((f) => f.endsWith('.sqlite') && f !== 'metadata.sqlite');
  } catch {
    return [];
  }
}

/** Times `samples` sequential GETs of `url` (after one warm-up); `check` validates each body. */
async function timeGets(url, token, samples, check) {
  const headers = { Authorization: `Bearer ${token}` };
  const once = async () => {
    const t = performance.now();
    const res = await fetch(url, { headers });
    const body = await res.json();
    if (res.status !== 200) throw new Error(`${url}: ${res.status} ${JSON.stringify(body)}`);
    return { ms: performance.now() - t, body };
  };
  const first = await once();
  const times = [];
  for (let i = 0; i < samples; i++) times.push((await once()).ms);
  return { first: first.ms, ...check(first.body), median: median(times), p90: percentile(times, 90), samples };
}

/** The scale section, on a running stack (it is stopped and restarted around each seeding). */
export async function benchScale(stack, { quick }) {
  const levels = quick ? [1_000, 10_000] : [1_000, 10_000, 100_000];
  log('scale: building bench/native seed_ledger (release)');
  const built = await run('cargo', ['build', '--release', '--manifest-path', join(NATIVE, 'Cargo.toml'), '--bin', 'seed_ledger']);
  if (built.code !== 0) throw new Error(`scale: seed_ledger build failed:\n${built.stderr.slice(-4000)}`);
  const seeder = join(NATIVE, 'target/release/seed_ledger');

  // The template: one real receipt, accepted and countersigned by the edge for SCALE_SITE.
  let res = await stack.admin('PUT', `/v1/sites/${SCALE_SITE}`, { body: { origins: [] } });
  if (res.status >= 300) throw new Error(`scale: site: ${res.status} ${res.text}`);
  const crm = JSON.parse(await readFile(new URL('../../www/demo/policies/crm-demo.json', import.meta.url), 'utf8'));
  res = await stack.admin('PUT', `/v1/sites/${SCALE_SITE}/policy`, { body: { ...crm, site: SCALE_SITE } });
  if (res.status !== 201 && res.status !== 409) throw new Error(`scale: policy: ${res.status} ${res.text}`);
  const served = (await stack.api('GET', `/v1/sites/${SCALE_SITE}/policy`)).json;
  const before = new Set(await objectFiles(stack.persistDir));
  const submitted = await stack.api('POST', `/v1/sites/${SCALE_SITE}/receipts`, { body: makeSubmission(served) });
  if (submitted.status !== 201) throw new Error(`scale: receipt: ${submitted.status} ${submitted.text}`);
  // An operator read reaches the site's object, so its SQLite file exists from here on.
  res = await stack.admin('GET', `/v1/sites/${SCALE_SITE}/receipts?limit=1`);
  if (res.status !== 200) throw new Error(`scale: first page: ${res.status} ${res.text}`);
  const created = (await objectFiles(stack.persistDir)).filter((f) => !before.has(f));
  if (created.length !== 1) throw new Error(`scale: expected one new object file, found ${JSON.stringify(created)}`);
  const objectFile = join(stack.persistDir, OBJECT_DIR, created[0]);
  const work = await mkdtemp(join(tmpdir(), 'kelisim-scale-'));
  const templateFile = join(work, 'template.json');
  await writeFile(templateFile, submitted.text);

  const page = `${stack.edgeUrl}/v1/sites/${SCALE_SITE}/receipts?limit=100`;
  const stats = `${stack.edgeUrl}/v1/sites/${SCALE_SITE}/stats`;
  const out = [];
  let held = Number((await stack.admin('GET', `/v1/sites/${SCALE_SITE}/stats`)).json.days.reduce((t, d) => t + d.total, 0));
  for (const level of levels) {
    const add = level - held;
    await stack.stopEdge();
    const t0 = Date.now();
    const seeded = await run(seeder, [objectFile, templateFile, String(add)]);
    if (seeded.code !== 0) throw new Error(`scale: seed_ledger: ${seeded.stderr.slice(-2000)}`);
    const seedMs = Date.now() - t0;
    held = level;
    await stack.startEdge();
    log(`scale: ${level} receipts held (seeded ${add} into the object's SQLite in ${(seedMs / 1000).toFixed(1)} s)`);
    const samples = quick ? 20 : 100;
    const pages = await timeGets(page, stack.adminToken, samples, (b) => ({ returned: b.receipts.length, hasCursor: Boolean(b.cursor) }));
    const counts = await timeGets(stats, stack.adminToken, samples, (b) => ({ counted: b.days.reduce((t, d) => t + d.total, 0), truncated: b.truncated }));
    const c16 = await wrk(page, { threads: 2, connections: 16, seconds: quick ? 3 : 8, auth: `Bearer ${stack.adminToken}` });
    out.push({ level, seeded: add, seedMs, pages, stats: counts, c16 });
  }
  return { site: SCALE_SITE, store: 'ledger', levels: out };
}
