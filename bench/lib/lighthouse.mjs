// What a site owner sees in PageSpeed: Lighthouse (mobile preset: simulated Slow 4G, 4× CPU) on
// the equal page bare, with Kelisim, with vanilla-cookieconsent and with klaro; median of N runs
// each, interleaved. Lighthouse runs as its CLI (one process and one fresh Chromium per run) on
// Debian's Chromium, entirely offline: every page and file is on 127.0.0.1.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHROMIUM, CHROMIUM_ARGS } from '../../tests/lib/browser.mjs';
import { ROOT } from '../../tests/lib/stack.mjs';
import { log, median, run } from './util.mjs';
import { equalPages } from './widget.mjs';

const LIGHTHOUSE = join(ROOT, 'node_modules/.bin/lighthouse');
/** Runs per page: the "median of 5". */
const RUNS = 5;
const QUICK_RUNS = 1;
/** One Lighthouse run (Chromium start, load, trace, audits) on 2 busy cores takes 15–40 s. */
const RUN_TIMEOUT_MS = 180_000;

/**
 * The Chromium flags: headless, the test browser's (no sandbox, no GPU, no background networking,
 * component updates or sync: nothing leaves the machine).
 */
const CHROME_FLAGS = ['--headless', ...CHROMIUM_ARGS];

/** The numbers of one Lighthouse JSON report (LHR). */
function metrics(lhr) {
  const a = lhr.audits;
  const num = (id) => a[id]?.numericValue ?? null;
  // The LCP element: the first node of the audit's details (a list of tables in Lighthouse 12).
  let lcpElement = null;
  const walk = (d) => {
    if (!d || lcpElement) return;
    if (Array.isArray(d.items)) for (const it of d.items) {
      if (it?.node) { lcpElement = it.node.selector ?? it.node.nodeLabel ?? it.node.snippet ?? null; return; }
      walk(it);
    }
  };
  walk(a['largest-contentful-paint-element']?.details);
  return {
    lcp: num('largest-contentful-paint'), tbt: num('total-blocking-time'), fcp: num('first-contentful-paint'),
    si: num('speed-index'), cls: num('cumulative-layout-shift'), score: lhr.categories?.performance?.score ?? null,
    lcpElement, runtimeError: lhr.runtimeError?.code ?? null,
    // Lighthouse 12.2.3's TraceElements gatherer can fail on a newer Chromium's trace format.
    lcpElementError: a['largest-contentful-paint-element']?.errorMessage ?? null,
    warnings: lhr.runWarnings ?? [],
  };
}

/** One Lighthouse run of `url`; resolves its metrics or throws with Lighthouse's own words. */
async function lighthouseOnce(url, dir, i) {
  const out = join(dir, `lhr-${i}.json`);
  const args = [url, '--output=json', `--output-path=${out}`, '--only-categories=performance', '--quiet',
    `--chrome-flags=${CHROME_FLAGS.join(' ')}`];
  const timer = new AbortController();
  const t = setTimeout(() => timer.abort(), RUN_TIMEOUT_MS);
  try {
    const r = await run(LIGHTHOUSE, args, { env: { ...process.env, CHROME_PATH: CHROMIUM }, signal: timer.signal });
    if (r.code !== 0) throw new Error(`lighthouse exited ${r.code}: ${(r.stderr || r.stdout).trim().split('\n').slice(-3).join(' | ')}`);
    const m = metrics(JSON.parse(await readFile(out, 'utf8')));
    if (m.runtimeError) throw new Error(`lighthouse: ${m.runtimeError}`);
    return m;
  } finally {
    clearTimeout(t);
  }
}

/** The Lighthouse section: per page, every run's metrics and their medians. */
export async function benchLighthouse(stack, { quick }) {
  const runs = quick ? QUICK_RUNS : RUNS;
  const { server, all, bareUrl } = await equalPages(stack);
  const pages = [{ id: 'bare', name: 'bare page (no consent manager)', url: bareUrl },
    ...all.map((p) => ({ id: p.id, name: p.name, url: `${server.url}/${p.id}.html` }))];
  const dir = await mkdtemp(join(tmpdir(), 'kelisim-lighthouse-'));
  const results = Object.fromEntries(pages.map((p) => [p.id, { name: p.name, runs: [], errors: [] }]));
  const version = (await run(LIGHTHOUSE, ['--version'])).stdout.trim();
  let n = 0;
  try {
    log(`lighthouse ${version}: ${runs} run(s) of each of ${pages.length} pages, interleaved`);
    for (let i = 0; i < runs; i++) {
      for (const p of pages) {
        try {
          results[p.id].runs.push(await lighthouseOnce(p.url, dir, n++));
        } catch (e) {
          results[p.id].errors.push(e.message.split('\n')[0]);
          log(`lighthouse: ${p.id}: ${e.message.split('\n')[0]}`);
        }
      }
      log(`lighthouse: ${i + 1}/${runs} rounds`);
    }
  } finally {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  }
  for (const r of Object.values(results)) {
    const med = (k) => median(r.runs.map((m) => m[k]));
    r.median = { lcp: med('lcp'), tbt: med('tbt'), fcp: med('fcp'), si: med('si'), cls: med('cls'), score: med('score') };
    r.lcpElements = [...new Set(r.runs.map((m) => m.lcpElement).filter(Boolean))];
    r.lcpElementErrors = [...new Set(r.runs.map((m) => m.lcpElementError).filter(Boolean))];
    r.warnings = [...new Set(r.runs.flatMap((m) => m.warnings))];
  }
  return { version, runs, chromeFlags: CHROME_FLAGS, pages: results };
}
