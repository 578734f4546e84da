// The core receipt pieces inside wasm: bench/wasm-core built for wasm32 with the edge's release
// settings (and a variant with the curve/hash crates at opt-level 3), timed in node's V8 — the
// engine workerd embeds — with no runtime and no KV around them.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ROOT } from '../../tests/lib/stack.mjs';
import { log, median, run } from './util.mjs';

const DIR = join(ROOT, 'bench/wasm-core');
const PIECES = ['canonical', 'parse', 'verify', 'accept', 'countersign'];

async function build(profile) {
  const args = ['build', '--manifest-path', join(DIR, 'Cargo.toml'), '--target', 'wasm32-unknown-unknown', '--profile', profile];
  const res = await run('cargo', args);
  if (res.code !== 0) throw new Error(`cargo ${args.join(' ')} failed:\n${res.stderr.slice(-3000)}`);
  const dir = profile === 'release' ? 'release' : profile;
  return readFile(join(DIR, 'target/wasm32-unknown-unknown', dir, 'kelisim_bench_wasm_core.wasm'));
}

/** Median µs per call of each piece: warm-up ≥ warmMs (V8 tiers the hot code up), then samples. */
async function time(bytes, { warmMs, samples }) {
  const { instance } = await WebAssembly.instantiate(bytes, {});
  const x = instance.exports;
  x.setup();
  const out = {};
  for (const p of PIECES) {
    const fn = x[`bench_${p}`];
    let n = 1;
    const t0 = performance.now();
    while (performance.now() - t0 < warmMs) { fn(n); n = Math.min(n * 2, 4096); }
    // Size a batch to ~20 ms, then time `samples` batches.
    let batch = 1;
    for (;;) { const t = performance.now(); fn(batch); if (performance.now() - t > 20 || batch > 1e6) break; batch *= 2; }
    const per = [];
    for (let i = 0; i < samples; i++) { const t = performance.now(); fn(batch); per.push(((performance.now() - t) * 1000) / batch); }
    out[p] = median(per);
  }
  return out;
}

export async function benchWasm({ quick }) {
  const opts = { warmMs: quick ? 300 : 1000, samples: quick ? 10 : 30 };
  log('wasm: the core pieces in wasm32 (edge release settings), timed in V8');
  const shipped = await time(await build('release'), opts);
  const cryptoO3 = await time(await build('crypto-o3'), opts);
  return { shipped, cryptoO3, v8: process.versions.v8 };
}
