// Small helpers shared by the benchmark sections: statistics, sizes, processes, logging.
import { spawn } from 'node:child_process';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

/** Nearest-rank percentile (p in 0..100) of a list of numbers; null for an empty list. */
export function percentile(values, p) {
  const v = values.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const rank = Math.max(1, Math.ceil((p / 100) * v.length));
  return v[Math.min(v.length, rank) - 1];
}
export const median = (values) => percentile(values, 50);

/** Brotli size at quality 11 (the largest window node allows by default, 22). */
export function brotliSize(buf) {
  return brotliCompressSync(buf, {
    params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: buf.length },
  }).length;
}
export const gzipSize = (buf) => gzipSync(buf, { level: 9 }).length;

export function log(...args) {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${args.join(' ')}\n`);
}

/** Runs a command to completion; resolves { code, stdout, stderr }. */
export function run(cmd, args, options = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; options.onStdout?.(d); });
    child.stderr.on('data', (d) => { stderr += d; options.onStderr?.(d); });
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Formats a number with a fixed number of decimals, or '—' for null/undefined. */
export function fmt(x, digits = 0) {
  if (x === null || x === undefined || Number.isNaN(x)) return '—';
  return Number(x).toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}
export const kb = (bytes, digits = 1) => (bytes === null || bytes === undefined ? '—' : `${fmt(bytes / 1024, digits)} KiB`);
