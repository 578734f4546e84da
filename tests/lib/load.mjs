// A bounded load generator against the local edge (127.0.0.1 only): mixed valid and invalid
// receipt submissions at a fixed concurrency, for a fixed time or until stopped.
import { readdirSync, readFileSync } from 'node:fs';
import { makeSubmission } from './receipt.mjs';

/** Invalid bodies the load mixes in, each with the status it must get. */
export const INVALID = [
  [(s) => ({ ...s, extra: 1 }), 400],
  [(s) => ({ ...s, claims: { ...s.claims, decisions: { ...s.claims.decisions, necessary: 'denied' }, action: 'custom' } }), 422],
  [(s) => ({ ...s, claims: { ...s.claims, policy: { ...s.claims.policy, version: 999 } } }), 422],
  [(s) => ({ ...s, visitor_signature: s.visitor_signature.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')) }), 422],
];

/**
 * Runs `concurrency` loops posting receipts to `edgeUrl` until `signal` aborts or `durationMs`
 * passes. Returns { accepted: [ids with 201], statuses: {code: n}, errors: n }.
 */
export async function runLoad({ edgeUrl, served, concurrency = 8, durationMs = 10_000, invalidRatio = 0.3, signal }) {
  const accepted = [];
  const statuses = {};
  let errors = 0;
  let n = 0;
  const deadline = Date.now() + durationMs;
  async function loop() {
    while (Date.now() < deadline && !signal?.aborted) {
      const i = n++;
      let body = makeSubmission(served, { action: i % 2 ? 'accept_all' : 'reject_all' });
      let expect = 201;
      if ((i % 100) / 100 < invalidRatio) {
        const [mutate, status] = INVALID[i % INVALID.length];
        body = mutate(body);
        expect = status;
      }
      try {
        const res = await fetch(`${edgeUrl}/v1/sites/${served.policy.site}/receipts`, {
          method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body), signal,
        });
        await res.arrayBuffer();
        statuses[res.status] = (statuses[res.status] ?? 0) + 1;
        if (res.status === 201) accepted.push(body.claims.id);
        if (res.status !== expect && res.status !== 429) statuses[`unexpected_${res.status}`] = (statuses[`unexpected_${res.status}`] ?? 0) + 1;
      } catch {
        errors++;
      }
    }
  }
  await Promise.all(Array.from({ length: concurrency }, loop));
  return { accepted, statuses, errors, sent: n };
}

/**
 * The edge isolate's wasm memory in 64 KiB pages, from the diagnostics header that test configs
 * turn on (`KELISIM_DIAGNOSTICS`). Retries: a load may have closed the pooled connection.
 */
export async function wasmPages(edgeUrl) {
  for (let attempt = 0; ; attempt++) {
    try {
      const res = await fetch(`${edgeUrl}/.well-known/jwks.json`);
      await res.arrayBuffer();
      return Number(res.headers.get('kelisim-wasm-memory-pages'));
    } catch (e) {
      if (attempt >= 3) throw e;
    }
  }
}

/** Resident memory (KiB) of the workerd processes in process group `pgid`. */
export function workerdRssKiB(pgid) {
  let total = 0;
  for (const pid of readdirSafe('/proc')) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) !== pgid || !stat.includes('(workerd)')) continue;
      const m = readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/);
      if (m) total += Number(m[1]);
    } catch { /* process ended */ }
  }
  return total;
}

function readdirSafe(dir) {
  try { return readdirSync(dir).filter((d) => /^\d+$/.test(d)); } catch { return []; }
}
