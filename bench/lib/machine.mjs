// What the numbers were measured on.
import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { CHROMIUM } from '../../tests/lib/browser.mjs';
import { ROOT } from '../../tests/lib/stack.mjs';
import { run, sleep } from './util.mjs';

async function version(cmd, args, pick = (s) => s.trim().split('\n')[0]) {
  try {
    const r = await run(cmd, args);
    return pick(`${r.stdout}${r.stderr}`) || '—';
  } catch {
    return '—';
  }
}

function cpuTimes() {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const idle = line[3] + (line[4] ?? 0);
  return { idle, total: line.reduce((a, b) => a + b, 0) };
}

/** Share of the machine's CPU time that was busy over `ms` (everything, not only ours). */
export async function cpuBusy(ms = 2000) {
  const a = cpuTimes();
  await sleep(ms);
  const b = cpuTimes();
  return 1 - (b.idle - a.idle) / Math.max(1, b.total - a.total);
}

export async function machine() {
  const wrangler = JSON.parse(readFileSync(join(ROOT, 'node_modules/wrangler/package.json'), 'utf8')).version;
  return {
    nproc: (await version('nproc', [])) || String(cpus().length),
    cpu: cpus()[0]?.model ?? '—',
    memoryGiB: totalmem() / 2 ** 30,
    chromium: await version(CHROMIUM, ['--version'], (s) => s.split('\n').find((l) => /Chromium/.test(l))?.trim() ?? s.trim()),
    workerd: await version(join(ROOT, 'node_modules/.bin/workerd'), ['--version']),
    wrangler,
    node: process.version,
    rustc: await version('rustc', ['--version']),
    wrk: await version('/usr/bin/wrk', ['--version'], (s) => s.split('\n')[0].replace(/ Copyright.*/, '').trim()),
    kernel: await version('uname', ['-sr']),
    loadavg: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '),
  };
}
