// The native section: criterion benches of bench/native (see benches/receipt.rs).
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../../tests/lib/stack.mjs';
import { log, run } from './util.mjs';

const DIR = join(ROOT, 'bench/native');

/** Reads every criterion result under target/criterion: full id → {median, mean, low, high} in ns. */
async function readCriterion() {
  const base = join(DIR, 'target/criterion');
  const out = {};
  async function walk(dir) {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      if (!e.isDirectory()) continue;
      const p = join(dir, e.name);
      if (e.name === 'new' && existsSync(join(p, 'benchmark.json'))) {
        const meta = JSON.parse(await readFile(join(p, 'benchmark.json'), 'utf8'));
        const est = JSON.parse(await readFile(join(p, 'estimates.json'), 'utf8'));
        out[meta.full_id] = {
          median: est.median.point_estimate, mean: est.mean.point_estimate,
          low: est.median.confidence_interval.lower_bound, high: est.median.confidence_interval.upper_bound,
        };
      } else if (e.name !== 'report' && e.name !== 'base' && e.name !== 'change') {
        await walk(p);
      }
    }
  }
  if (existsSync(base)) await walk(base);
  return out;
}

async function cargoBench(profile, quick, filter, env = {}) {
  await rm(join(DIR, 'target/criterion'), { recursive: true, force: true });
  const args = ['bench', '--manifest-path', join(DIR, 'Cargo.toml'), '--bench', 'receipt', '--profile', profile, '--', '--noplot'];
  if (filter) args.push(filter);
  const t0 = Date.now();
  const res = await run('cargo', args, { env: { ...process.env, KELISIM_BENCH_QUICK: quick ? '1' : '0', ...env } });
  if (res.code !== 0) throw new Error(`cargo bench (${profile}) failed:\n${res.stderr.slice(-4000)}`);
  return { results: await readCriterion(), seconds: (Date.now() - t0) / 1000 };
}

/** Runs the benches at the shipped profile (and, in a full run, with the crypto crates at O3). */
export async function benchNative({ quick }) {
  const work = await mkdtemp(join(tmpdir(), 'kelisim-bench-native-'));
  const kvopsFile = join(work, 'kvops.json');
  log('native: cargo bench (profile `bench`: the shipped opt-level "z", LTO)');
  const shipped = await cargoBench('bench', quick, '', { KELISIM_BENCH_KVOPS: kvopsFile });
  const kvops = JSON.parse(await readFile(kvopsFile, 'utf8'));
  let cryptoO3 = null;
  if (!quick) {
    log('native: cargo bench --profile bench-crypto-o3 (curve25519/ed25519/sha2 at opt-level 3), core and service only');
    cryptoO3 = await cargoBench('bench-crypto-o3', quick, '^(core|service)/');
  }
  const rustc = (await run('rustc', ['--version'])).stdout.trim();
  return { shipped: shipped.results, cryptoO3: cryptoO3?.results ?? null, kvops, rustc };
}
