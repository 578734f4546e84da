// Scale: one operator page (GET /v1/sites/{site}/receipts?limit=100) when the site holds 1k,
// 10k and 100k receipts. The receipts are written straight into the edge's local KV store
// (the same persist dir and namespace id wrangler dev uses) by a small seeding worker run with
// Miniflare while the edge is stopped: the API would take far too long at the measured POST rate.
// Each seeded receipt has the three keys submit_receipt writes (record, time index, subject
// index), copied from one real receipt the edge accepted and countersigned, under new ids and times.
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Miniflare } from 'miniflare';
import { makeSubmission, ulid } from '../../tests/lib/receipt.mjs';
import { wrk } from './edge.mjs';
import { log, median, percentile } from './util.mjs';

export const SCALE_SITE = 'bench-scale';
const KV_ID = 'kelisim-local'; // edge/wrangler.toml [[kv_namespaces]] id
const REV_BASE_MS = 9_999_999_999_999;
const rev = (ms) => String(REV_BASE_MS - ms).padStart(13, '0');

// Writes a batch of {key, value, metadata} with bounded concurrency inside workerd.
const SEEDER = `
export default {
  async fetch(req, env) {
    const items = await req.json();
    let i = 0;
    async function lane() {
      while (i < items.length) {
        const it = items[i++];
        await env.KV.put(it.key, it.value, it.metadata ? { metadata: it.metadata } : undefined);
      }
    }
    await Promise.all(Array.from({ length: 32 }, lane));
    return new Response(String(items.length));
  },
};`;

/** Seeds `count` more receipts for SCALE_SITE, older than every one already there. */
async function seed(persistDir, template, from, count) {
  const mf = new Miniflare({
    modules: true, script: SEEDER, compatibilityDate: '2026-04-01',
    kvNamespaces: { KV: KV_ID }, kvPersist: join(persistDir, 'v3', 'kv'),
  });
  try {
    await mf.ready;
    const base = Date.now() - 60_000;
    const BATCH = 3000;
    for (let done = 0; done < count;) {
      const items = [];
      for (let j = 0; j < BATCH / 3 && done < count; j++, done++) {
        const ms = base - (from + done) * 1000; // one receipt a second, back in time
        const id = ulid(ms);
        const subject = randomBytes(32).toString('base64url').slice(0, 43);
        const server_time = new Date(ms).toISOString();
        const meta = { ...template.summary, id, subject, server_time };
        items.push({ key: `receipt/${SCALE_SITE}/${id}`, value: template.record.replaceAll(template.id, id) });
        items.push({ key: `idx/t/${SCALE_SITE}/${rev(ms)}/${id}`, value: '', metadata: meta });
        items.push({ key: `idx/s/${SCALE_SITE}/${subject}/${rev(ms)}/${id}`, value: '', metadata: meta });
      }
      const res = await mf.dispatchFetch('http://seed/', { method: 'POST', body: JSON.stringify(items) });
      if (res.status !== 200) throw new Error(`seeding: ${res.status} ${await res.text()}`);
      await res.text();
    }
  } finally {
    await mf.dispose();
  }
}

/** Times `samples` sequential page requests (after one warm-up); returns ms stats. */
async function timePages(url, token, samples) {
  const headers = { Authorization: `Bearer ${token}` };
  const once = async () => {
    const t = performance.now();
    const res = await fetch(url, { headers });
    const body = await res.json();
    if (res.status !== 200) throw new Error(`list page: ${res.status} ${JSON.stringify(body)}`);
    return { ms: performance.now() - t, n: body.receipts.length, cursor: body.cursor };
  };
  const first = await once();
  const times = [];
  for (let i = 0; i < samples; i++) times.push((await once()).ms);
  return { first: first.ms, returned: first.n, hasCursor: Boolean(first.cursor), median: median(times), p90: percentile(times, 90), samples };
}

/** The scale section, on a running stack (it is stopped and restarted around each seeding). */
export async function benchScale(stack, { quick }) {
  const levels = quick ? [1_000, 10_000] : [1_000, 10_000, 100_000];
  // The template: one real receipt, accepted and countersigned by the edge for SCALE_SITE.
  let res = await stack.admin('PUT', `/v1/sites/${SCALE_SITE}`, { body: { origins: [] } });
  if (res.status >= 300) throw new Error(`scale: site: ${res.status} ${res.text}`);
  const crm = JSON.parse(await readFile(new URL('../../www/demo/policies/crm-demo.json', import.meta.url), 'utf8'));
  res = await stack.admin('PUT', `/v1/sites/${SCALE_SITE}/policy`, { body: { ...crm, site: SCALE_SITE } });
  if (res.status !== 201 && res.status !== 409) throw new Error(`scale: policy: ${res.status} ${res.text}`);
  const served = (await stack.api('GET', `/v1/sites/${SCALE_SITE}/policy`)).json;
  const submitted = await stack.api('POST', `/v1/sites/${SCALE_SITE}/receipts`, { body: makeSubmission(served) });
  if (submitted.status !== 201) throw new Error(`scale: receipt: ${submitted.status} ${submitted.text}`);
  const signed = submitted.json;
  const id = signed.receipt.claims.id;
  const summary = (await stack.admin('GET', `/v1/sites/${SCALE_SITE}/receipts?limit=1`)).json.receipts[0];
  const template = { id, record: JSON.stringify(signed), summary };

  const url = `${stack.edgeUrl}/v1/sites/${SCALE_SITE}/receipts?limit=100`;
  const out = [];
  let held = 1;
  for (const level of levels) {
    const add = level - held;
    await stack.stopEdge();
    const t0 = Date.now();
    await seed(stack.persistDir, template, held, add);
    const seedMs = Date.now() - t0;
    held = level;
    await stack.startEdge();
    log(`scale: ${level} receipts held (seeded ${add} in ${(seedMs / 1000).toFixed(1)} s)`);
    const pages = await timePages(url, stack.adminToken, quick ? 20 : 100);
    const c16 = await wrk(url, { threads: 2, connections: 16, seconds: quick ? 3 : 8, auth: `Bearer ${stack.adminToken}` });
    out.push({ level, seeded: add, seedMs, keysWritten: add * 3, pages, c16 });
  }
  return { site: SCALE_SITE, levels: out };
}
