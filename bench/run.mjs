// ./x bench: measures Kelisim beside its peers on this machine and rewrites BENCHMARKS.md.
// Sections: native (criterion), widget (Chromium: Kelisim, vanilla-cookieconsent, klaro),
// edge (wrk against the edge and a bare worker on wrangler dev), scale (an operator page at
// 1k/10k/100k receipts), lighthouse (Lighthouse's mobile preset on the widget's equal pages),
// soak. Nothing here asserts a speed: it measures and reports.
//
// Usage: node bench/run.mjs [--quick] [--only=native,widget,lighthouse,edge,scale,soak] | --report-only
//   --quick  fewer cold loads, one Lighthouse run per page, shorter wrk runs, scale up to 10k:
//            for iterating on the harness
//   --only   run some sections; the report then goes to bench/out/BENCHMARKS.partial.md and
//            BENCHMARKS.md is left alone (only a run of every section rewrites it)
//   --report-only  re-render the report from bench/out/latest.json without measuring anything
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ROOT, startStack } from '../tests/lib/stack.mjs';
import { benchEdge } from './lib/edge.mjs';
import { cpuBusy, machine } from './lib/machine.mjs';
import { benchNative } from './lib/native.mjs';
import { benchWasm } from './lib/wasm.mjs';
import { report } from './lib/report.mjs';
import { benchSoak } from './lib/soak.mjs';
import { benchScale } from './lib/scale.mjs';
import { benchWidget } from './lib/widget.mjs';
import { benchLighthouse } from './lib/lighthouse.mjs';
import { log } from './lib/util.mjs';

const SECTIONS = ['native', 'widget', 'lighthouse', 'edge', 'scale', 'soak'];
const argv = process.argv.slice(2);
if (argv.includes('--report-only')) {
  const saved = JSON.parse(await readFile(join(ROOT, 'bench/out/latest.json'), 'utf8'));
  const target = saved.complete ? join(ROOT, 'BENCHMARKS.md') : join(ROOT, 'bench/out/BENCHMARKS.partial.md');
  await writeFile(target, report(saved));
  log(`re-rendered ${target.slice(ROOT.length + 1)} from bench/out/latest.json`);
  process.exit(0);
}
const quick = argv.includes('--quick');
const onlyArg = argv.find((a) => a.startsWith('--only='));
const only = onlyArg ? onlyArg.slice('--only='.length).split(',').filter(Boolean) : SECTIONS;
for (const s of only) if (!SECTIONS.includes(s)) { console.error(`unknown section ${s}; one of ${SECTIONS.join(', ')}`); process.exit(2); }
const complete = SECTIONS.every((s) => only.includes(s));
const command = `./x bench${quick ? ' --quick' : ''}${onlyArg ? ` ${onlyArg}` : ''}`;

/** The bench's wrangler config: rate limits out of the way; the widget's files served as assets. */
function benchConfig(text) {
  let t = text.replace(/limit = \d+/g, 'limit = 1000000');
  if (!t.includes('"!/v1/kelisim.js"')) {
    t = t.replace(/^run_worker_first = \[/m, 'run_worker_first = ["!/v1/kelisim.js", "!/v1/assets/*", ');
  }
  return t;
}

const started = Date.now();
const logDir = join(ROOT, 'tests/artifacts/logs');
await mkdir(logDir, { recursive: true });
const data = { command, quick, complete, sections: only, date: new Date().toISOString(), busy: {}, errors: {} };
data.machine = await machine();
data.busy.start = await cpuBusy();
log(`machine: ${data.machine.nproc} cores, CPU ${(data.busy.start * 100).toFixed(0)} % busy before the run`);

async function section(name, fn) {
  if (!only.includes(name)) return;
  const t0 = Date.now();
  data.busy[name] = await cpuBusy(1000);
  try {
    data[name] = await fn();
  } catch (e) {
    data.errors[name] = String(e.stack ?? e);
    log(`${name}: FAILED: ${e.message}`);
  }
  data[`${name}Seconds`] = (Date.now() - t0) / 1000;
  log(`${name}: ${data[`${name}Seconds`].toFixed(0)} s`);
}

await section('native', async () => ({ ...(await benchNative({ quick })), wasm: await benchWasm({ quick }) }));
let stack = null;
if (only.some((s) => ['widget', 'lighthouse', 'edge', 'scale'].includes(s))) {
  log('starting the stack (wrangler dev, rate limits raised for the bench)');
  stack = await startStack({ name: 'bench', editConfig: benchConfig });
}
try {
  await section('widget', () => benchWidget(stack, { quick }));
  await section('lighthouse', () => benchLighthouse(stack, { quick }));
  await section('edge', () => benchEdge(stack, { quick, logDir }));
  await section('scale', () => benchScale(stack, { quick }));
} finally {
  await stack?.stop();
}
// The soak runs on its own edge (diagnostics on), after the shared stack is gone.
await section('soak', () => benchSoak({ quick, logDir }));
data.totalSeconds = (Date.now() - started) / 1000;

const outDir = join(ROOT, 'bench/out');
await mkdir(outDir, { recursive: true });
await writeFile(join(outDir, 'latest.json'), JSON.stringify(data, null, 1));
const md = report(data);
const target = complete ? join(ROOT, 'BENCHMARKS.md') : join(outDir, 'BENCHMARKS.partial.md');
await writeFile(target, md);
log(`wrote ${target.slice(ROOT.length + 1)} and bench/out/latest.json in ${(data.totalSeconds / 60).toFixed(1)} min`);
if (Object.keys(data.errors).length) {
  log(`sections that failed: ${Object.keys(data.errors).join(', ')} (see the report)`);
  process.exitCode = 1;
}
