// Turns the measurements into BENCHMARKS.md.
import { fmt, kb } from './util.mjs';

const ms = (x, d = 0) => (x === null || x === undefined ? '—' : `${fmt(x, d)} ms`);
const usToMs = (us, d = 1) => (us === null || us === undefined ? '—' : `${fmt(us / 1000, d)} ms`);
const nsToUs = (ns, d = 1) => (ns === null || ns === undefined ? '—' : `${fmt(ns / 1000, d)} µs`);
const pct = (x, d = 0) => (x === null || x === undefined || !Number.isFinite(x) ? '—' : `${fmt(x * 100, d)} %`);
const mark = (ok) => (ok === null || ok === undefined ? '—' : ok ? 'met' : '**not met**');
const table = (head, rows) => [`| ${head.join(' | ')} |`, `|${head.map((h, i) => (i === 0 ? '---' : '---:')).join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
/** One KV write per receipt: only receipt records added, and no more than the counted 201s plus wrk's 16 connections in flight. */
const oneWrite = (kw) => kw.keysAdded === kw.receiptKeysAdded && kw.keysAdded >= kw.newReceipts && kw.keysAdded - kw.newReceipts <= 16;
/** The criterion id of a whole new receipt natively (bench/native/benches/receipt.rs). */
const NEW_RECEIPT = 'service/check_receipt + SiteLog::append (new, MemoryKv + SQLite)';

function codeTotals(files) {
  const code = files.filter((f) => ['js', 'wasm', 'css'].includes(f.kind));
  const data = files.filter((f) => ['config', 'data'].includes(f.kind));
  const sum = (list, k) => list.reduce((s, f) => s + (f[k] ?? 0), 0);
  return {
    codeRaw: sum(code, 'raw'), codeBrotli: sum(code, 'brotli'), codeWire: sum(code, 'wire'), codeFiles: code.length,
    dataRaw: sum(data, 'raw'), dataBrotli: sum(data, 'brotli'), dataWire: sum(data, 'wire'),
  };
}

function statusStatusLine(statuses) {
  return Object.entries(statuses ?? {}).map(([k, v]) => `${k}×${v}`).join(', ') || '—';
}

/** The widget targets of issue 13, in KiB of brotli. */
export const WIDGET_TARGETS = { codeKiB: 20, codeAimKiB: 14, waitedKiB: 16, visibleVsPeer: 0.9 };

/** The profiles of a widget result; an older result (one profile, no `profiles`) reads as unthrottled. */
function profileIds(w) {
  return w.profiles ? Object.keys(w.profiles) : ['unthrottled'];
}
function profileLabel(w, pid) {
  return w.profiles?.[pid]?.label ?? pid;
}
function inProfile(product, pid) {
  if (product.profiles) return product.profiles[pid] ?? null;
  return pid === 'unthrottled' ? { timing: product.timing, repeat: product.repeat, path: null, errors: [] } : null;
}

/** Per profile: Kelisim's and the fastest peer's median visible, and whether the target holds. */
export function widgetVerdicts(w) {
  const P = w.products;
  const peers = Object.keys(P).filter((id) => id !== 'kelisim');
  const out = { profiles: {} };
  for (const pid of profileIds(w)) {
    const k = inProfile(P.kelisim ?? {}, pid);
    const peerTimes = peers.map((id) => ({ id, t: inProfile(P[id], pid)?.timing?.visible?.median ?? null })).filter((x) => x.t !== null);
    const fastest = peerTimes.sort((a, b) => a.t - b.t)[0] ?? null;
    const mine = k?.timing?.visible?.median ?? null;
    const ratio = mine !== null && fastest ? mine / fastest.t : null;
    const waited = k?.path?.waitedFor ?? null;
    const waitedBytes = waited ? waited.codeBrotli + waited.dataBrotli : null;
    const rep = k?.repeat ?? null;
    out.profiles[pid] = {
      visible: mine, fastest, ratio, visibleMet: ratio === null ? null : ratio <= WIDGET_TARGETS.visibleVsPeer,
      waitedBytes, waitedMet: waitedBytes === null ? null : waitedBytes <= WIDGET_TARGETS.waitedKiB * 1024,
      repeatCodeBytes: rep ? rep.codeBytes ?? null : null,
      repeatMet: rep && rep.codeRedownloads !== undefined ? rep.codeRedownloads === 0 : null,
    };
  }
  const code = P.kelisim ? codeTotals(P.kelisim.files).codeBrotli : null;
  out.codeBrotli = code;
  out.codeMet = code === null ? null : code <= WIDGET_TARGETS.codeKiB * 1024;
  out.codeAimMet = code === null ? null : code <= WIDGET_TARGETS.codeAimKiB * 1024;
  const all = (k) => { const v = Object.values(out.profiles).map((p) => p[k]); return v.includes(null) ? null : v.every(Boolean); };
  out.visibleMet = all('visibleMet');
  // "Waited for" is an upper bound (every request finished before visible). On loopback the wasm
  // finishes before the banner whether or not the banner waits for it, so the verdict is the
  // phone profile's, where the chain's round trips separate what the banner needs from the rest
  // (the Chromium test "the banner is on screen while the wasm is still loading" holds the wasm).
  out.waitedMet = out.profiles.phone ? out.profiles.phone.waitedMet : all('waitedMet');
  out.repeatMet = all('repeatMet');
  return out;
}

/** The requests of a critical path as a tree: who started whom, with median start–finish. */
function pathTree(path) {
  const kids = new Map();
  const known = new Set(path.requests.map((q) => q.path));
  for (const q of path.requests) {
    const parent = q.initiator && known.has(q.initiator) && q.initiator !== q.path ? q.initiator : 'page';
    if (!kids.has(parent)) kids.set(parent, []);
    kids.get(parent).push(q);
  }
  const out = [];
  const walk = (parent, depth) => {
    for (const q of kids.get(parent) ?? []) {
      out.push({ q, depth });
      if (depth < 6) walk(q.path, depth + 1);
    }
  };
  walk('page', 1);
  return out;
}

/** §1.1's companion: the code the press on accept requested in the first measured load (absent in older results). */
function choiceCodeTable(P, ids, lines) {
  const known = ids.filter((id) => Array.isArray(P[id].choiceFiles));
  if (!known.length) return;
  lines.push('**Code a choice loads**: what the same load requested from the start of the bench\'s press on the banner\'s accept ' +
    'button (§1.2, *press → banner gone*) on, sized the same way. A product that defers part of its code until the visitor shows ' +
    'intent loads it here instead of in the table above.', '');
  lines.push(table(['product', 'code files after the press', 'code brotli', 'code wire', 'other GETs after the press'], known.map((id) => {
    const code = P[id].choiceFiles.filter((f) => ['js', 'wasm', 'css'].includes(f.kind));
    const other = P[id].choiceFiles.filter((f) => !['js', 'wasm', 'css'].includes(f.kind));
    const sum = (list, k) => (list.some((f) => f[k] === null || f[k] === undefined) ? null : list.reduce((t, f) => t + f[k], 0));
    return [P[id].name, code.length ? code.map((f) => `\`${f.path}\` (${f.kind})`).join(', ') : 'none', `**${kb(sum(code, 'brotli'))}**`,
      kb(sum(code, 'wire')), other.length ? other.map((f) => `\`${f.path}\` (${kb(f.brotli)})`).join(', ') : 'none'];
  })), '');
}

/** §1.2's press → choice in effect, per product and profile (absent in older results). */
function pressTable(w, P, ids, pids, lines) {
  const rows = [];
  for (const pid of pids) {
    for (const id of ids) {
      const t = inProfile(P[id], pid)?.timing;
      if (!t?.pressToGone) continue;
      const failed = (t.pressErrors ?? []).length;
      rows.push([P[id].name, profileLabel(w, pid), `**${ms(t.pressToGone.median)}**`, ms(t.pressToGone.p90),
        t.receiptAnswered?.median === null || t.receiptAnswered?.median === undefined ? '—' : `${ms(t.receiptAnswered.median)} / ${ms(t.receiptAnswered.p90)}`,
        kb(t.choiceCodeBrotli?.median), (t.choiceCodePaths ?? []).map((p) => `\`${p}\``).join(', ') || 'none',
        ms(t.pointerLead?.median), `${t.pressed}${failed ? ` (+${failed} failed)` : ''}`]);
    }
  }
  if (!rows.length) return;
  lines.push('**Press → choice in effect.** After each load above (its figures and the files of §1.1 taken first) the bench ' +
    'clicks the banner\'s accept button (Playwright: the pointer moves onto the button, then presses and releases). ' +
    '*Press* = the first capture-phase `pointerdown` (or `click`) on `document`, recorded by the detector with `performance.now()`; ' +
    '*banner gone* = the first animation frame after it in which the banner is no longer visible (the *visible* test above, re-run ' +
    'each frame on the banner the selector path finds: gone when detached, hidden, transparent or a zero box — a fade-out counts ' +
    'until its last visible frame). *Receipt answered* (Kelisim): the receipt POST\'s Resource Timing `responseEnd`, from the press. ' +
    '*Code a choice loads*: code requested from the start of the click on, brotli (sized per load from the bodies). *Pointer lead*: ' +
    'how long before the press the pointer arrived (first `pointerover`): a product that starts work on hover gains that much. ' +
    'Same profile as the load; median over the loads, / p90.', '');
  lines.push(table(['product', 'profile', 'press → banner gone, median', 'p90', 'receipt answered, median / p90', 'code a choice loads (median brotli)',
    'its files', 'pointer lead', 'presses'], rows), '');
  for (const pid of pids) {
    for (const id of ids) {
      const errs = inProfile(P[id], pid)?.timing?.pressErrors ?? [];
      if (errs.length) lines.push(`- ${P[id].name}, ${profileLabel(w, pid)}: ${errs.length} press(es) failed: ${[...new Set(errs)].slice(0, 2).map((e) => `\`${e}\``).join('; ')}`, '');
    }
  }
}

function widgetSection(w, lines, head) {
  const P = w.products;
  const ids = Object.keys(P);
  const pids = profileIds(w);
  const V = widgetVerdicts(w);
  lines.push('## 1. Widget: Kelisim beside two consent managers from npm', '');
  lines.push(`Each product runs on an equal page (same HTML body, \`<html lang="ru">\`, the same five categories — ` +
    '`necessary` (always on), `analytics`, `marketing`, `cross_border`, `ai_processing` — and the same Russian texts: banner ' +
    'title, operator, summary, category titles and descriptions from `www/demo/policies/crm-demo.json`, button labels from ' +
    '`widget/src/i18n.rs`). Everything is served from 127.0.0.1: Kelisim from the edge (`wrangler dev`), the peers\' `dist` files ' +
    'from `node_modules` by a small node server of the bench, gzipped like the edge\'s. Each peer is integrated the way its README shows; Kelisim with its one tag.', '');
  lines.push(table(['product', 'version', 'integration'], ids.map((id) => [P[id].name, P[id].version || '—', `\`${P[id].tag}\``])), '');
  if (!w.ours) lines.push('> **Kelisim skipped:** `www/dist/v1/kelisim.js` does not exist yet (`./x build` builds it).', '');
  lines.push('Two load profiles, interleaved in one run: **unthrottled** (loopback), and **phone** — Slow 4G, 150 ms round trip, ' +
    '1.6 Mbit/s down, 750 kbit/s up (CDP `Network.emulateNetworkConditions`: Chromium\'s network service adds the latency to each ' +
    'request and caps each response\'s throughput), with the renderer slowed 4× (`Emulation.setCPUThrottlingRate`); same ' +
    'viewport. Loopback has no round trips to speak of, so only the phone profile shows what a chain of requests costs.', '');

  lines.push('### 1.1 Bytes a first visit loads', '');
  lines.push('Every file the first measured cold load requested before the bench pressed the banner (network idle 1 s after the banner was interactive), sized from the ' +
    'bodies the browser received (CDP `Network.getResponseBody`): **raw**, **brotli** ' +
    '(quality 11, node zlib), and **wire** = bytes the browser received here (gzip: Chromium offers only gzip/deflate over plain http, and ' +
    'both servers gzip). *Code* is JS + wasm + CSS; *config/data* is what the site owner supplies: the peers\' configuration script, ' +
    'Kelisim\'s policy document from the edge. The page HTML itself is not counted. 1 KiB = 1,024 bytes.', '');
  const rows = [];
  for (const id of ids) {
    for (const f of P[id].files) rows.push([P[id].name, `\`${f.path}\``, f.kind, kb(f.raw), kb(f.brotli), kb(f.wire)]);
  }
  lines.push(table(['product', 'file', 'kind', 'raw', 'brotli', 'wire'], rows), '');
  lines.push(table(['product', 'code files', 'code raw', '**code brotli**', 'code wire', 'config/data brotli', 'total brotli'],
    ids.map((id) => {
      const t = codeTotals(P[id].files);
      return [P[id].name, String(t.codeFiles), kb(t.codeRaw), `**${kb(t.codeBrotli)}**`, kb(t.codeWire), kb(t.dataBrotli), kb(t.codeBrotli + t.dataBrotli)];
    })), '');
  if (P.kelisim) {
    lines.push(`Target: Kelisim's code ≤ ${WIDGET_TARGETS.codeKiB} KiB brotli — **${kb(V.codeBrotli)}**, ${mark(V.codeMet)}; ` +
      `aim ≤ ${WIDGET_TARGETS.codeAimKiB} KiB: ${mark(V.codeAimMet)}.`, '');
  }
  choiceCodeTable(P, ids, lines);

  lines.push(`### 1.2 Time to banner, layout shift, long tasks (${w.loads} cold loads per product and profile)`, '');
  lines.push('Cold load = a **new Chromium process on a new, empty profile** for every load (`launchBrowser` of tests/lib/browser.mjs: ' +
    'empty HTTP cache, no code cache, no cookies or storage); each round runs both profiles (which goes first alternates) and in each ' +
    'the products round-robin, the first product rotating, after one discarded warm-up load each. Times are `performance.now()` in ' +
    'the page, i.e. milliseconds since navigation start.', '');
  lines.push('- **visible**: the first moment the banner element is laid out with a non-empty box inside the viewport and ' +
    '`checkVisibility({opacityProperty, visibilityProperty})` is true (the first frame it can be seen; a fade-in counts from its first frame).');
  lines.push('- **interactive**: the banner\'s accept button is present, visible, not disabled, not inert, and hit-testable at its ' +
    'centre (`elementFromPoint`, through shadow roots), **and** the page\'s readiness marker `window.__cmpReady` is set — Kelisim: its ' +
    'loader has run and its JS API exists (`window.kelisim` defined, seen when the tag\'s script has run; nothing on it is called, as a ' +
    'call would start the wasm): from then on a press on the painted banner is taken, but on a first visit the wasm may still be loading ' +
    'or not yet asked for, and the press then waits for it — measured as *press → banner gone* below; vanilla-cookieconsent: ' +
    '`CookieConsent.run()` resolved; klaro: its script ran (`DOMContentLoaded` with `window.klaro` defined).');
  lines.push('- **CLS**: sum of `layout-shift` entries without recent input, from navigation to interactive + 1 s. **Long tasks**: ' +
    '`longtask` entries that started before interactive + 1 s (count and total ms); **TBT** = Σ(duration − 50 ms).');
  lines.push('- How the banner is found (bench/lib/detector.js, injected before any page script): a selector path per product, ' +
    'descending into open shadow roots (Kelisim: `kelisim-consent` → shadow root → `section[role=region]` → ' +
    '`button[data-action=accept]`, as widget/src/ui.rs builds it); if the path finds nothing, a generic fallback takes a child of ' +
    '`<body>` whose open shadow root holds a button (or any `[data-kelisim-host]`). Checks run on every DOM mutation, in the ' +
    'document and in every shadow root, and on every animation frame.', '');
  for (const pid of pids) {
    const tRows = ids.filter((id) => inProfile(P[id], pid)?.timing).map((id) => {
      const x = inProfile(P[id], pid);
      const t = x.timing;
      const failed = (x.errors ?? []).length;
      return [P[id].name, `**${ms(t.visible.median)}**`, ms(t.visible.p90), ms(t.interactive.median), ms(t.interactive.p90),
        ms(t.fcp.median), fmt(t.cls.median, 3), fmt(t.clsMax, 3), `${fmt(t.longtaskCount.median)} / ${ms(t.longtaskMs.median)}`,
        ms(t.longtaskMs.p90), ms(t.tbt.median), `${t.n}${failed ? ` (+${failed} failed)` : ''}`];
    });
    lines.push(`**${profileLabel(w, pid)}**`, '');
    lines.push(table(['product', 'visible median', 'visible p90', 'interactive median', 'interactive p90', 'FCP median', 'CLS median',
      'CLS max', 'long tasks median (count / ms)', 'long-task ms p90', 'TBT median', 'loads'], tRows), '');
    const v = V.profiles[pid];
    if (v?.fastest) {
      lines.push(`Target: Kelisim median visible ≤ ${WIDGET_TARGETS.visibleVsPeer} × the fastest peer's (${P[v.fastest.id].name}, ${ms(v.fastest.t)}) — ` +
        `**${fmt(v.ratio, 2)} ×**, ${mark(v.visibleMet)}.`, '');
    }
    for (const id of ids) {
      const errs = inProfile(P[id], pid)?.errors ?? [];
      if (errs.length) lines.push(`- ${P[id].name}: ${errs.length} load(s) failed: ${[...new Set(errs)].slice(0, 3).map((e) => `\`${e}\``).join('; ')}`, '');
    }
  }
  pressTable(w, P, ids, pids, lines);
  for (const id of ids) {
    if (P[id].errors?.length) lines.push(`- ${P[id].name}, warm-up: ${[...new Set(P[id].errors)].slice(0, 2).map((e) => `\`${e.split('\n')[0]}\``).join('; ')}`, '');
  }

  if (pids.some((pid) => ids.some((id) => inProfile(P[id], pid)?.path))) {
    lines.push('### 1.3 Critical path: which request waits on which', '');
    lines.push('Every request of each load, from CDP `Network.requestWillBeSent` (its **initiator**: the page\'s parser, or the script ' +
      'whose call stack made it) and the page\'s Resource Timing (`startTime` = request start, `responseEnd` = finish; both exposed ' +
      'cross-origin, on the same clock as *visible*); medians over the loads. Indentation shows who started whom. ' +
      '*Before visible*: the request\'s median finish comes before the banner\'s median visible time — what the banner waited for ' +
      '(of code and data; a request that merely finished early counts too, so this is an upper bound).', '');
    for (const pid of pids) {
      const rowsP = [];
      for (const id of ids) {
        const path = inProfile(P[id], pid)?.path;
        if (!path) continue;
        rowsP.push([P[id].name, 'page HTML', '—', ms(path.html.start), ms(path.html.end), '—', '']);
        for (const { q, depth } of pathTree(path)) {
          rowsP.push([P[id].name, `${'→ '.repeat(depth)}\`${q.path}\``, q.initiator === 'page' ? 'page' : q.initiator ? `\`${q.initiator}\`` : '—',
            ms(q.start), ms(q.end), q.brotli === null ? '—' : kb(q.brotli), q.beforeVisible ? 'yes' : 'no']);
        }
        rowsP.push([P[id].name, '**banner visible / interactive**', '', '', `**${ms(path.visible)}** / ${ms(path.interactive)}`, '', '']);
      }
      lines.push(`**${profileLabel(w, pid)}**`, '');
      lines.push(table(['product', 'request', 'started by', 'start median', 'finish median', 'brotli', 'before visible'], rowsP), '');
    }
    const wRows = ids.map((id) => [P[id].name, ...pids.map((pid) => {
      const wf = inProfile(P[id], pid)?.path?.waitedFor;
      return wf ? `${kb(wf.codeBrotli + wf.dataBrotli)} (code ${kb(wf.codeBrotli)} + data ${kb(wf.dataBrotli)}; ${wf.paths.length} files)` : '—';
    })]);
    lines.push('Bytes the banner waited for (brotli, code + data finished before visible):', '');
    lines.push(table(['product', ...pids.map((pid) => profileLabel(w, pid))], wRows), '');
    if (P.kelisim) {
      lines.push(`Target: Kelisim's bytes the banner waits for ≤ ${WIDGET_TARGETS.waitedKiB} KiB brotli — ` +
        pids.map((pid) => `${profileLabel(w, pid)} **${kb(V.profiles[pid].waitedBytes)}**`).join(', ') + `: ${mark(V.waitedMet)}` +
        (V.profiles.phone ? ' (judged on the phone profile: on loopback every file, the wasm too, finishes before the banner, ' +
          'so the upper bound there counts files the banner does not wait for).' : '.'), '');
    }
  }

  lines.push(`### 1.4 Repeat visit after consent (${w.repeats} per product and profile)`, '');
  lines.push('Same profile: after a cold load and its press on accept (§1.2, *press → banner gone*), once the choice is kept ' +
    '(Kelisim: its receipt POST answered; the peers write a cookie at once) the bench navigates to the same URL again ' +
    '(a new navigation, not the reload button, which would revalidate everything) and waits 1.5 s. Counted: every request ' +
    'but the page itself; *from cache* = served from the HTTP or memory cache; bytes = wire bytes of the rest. *Code re-downloaded* = ' +
    'JS, wasm or CSS answered over the network with a body (a 304 revalidation is counted apart). Cache lifetimes: ' +
    'the peers\' library files a year (immutable, as from a versioned CDN URL — their best case), their config 300 s; ' +
    'Kelisim as the edge serves them.', '');
  const rRows = [];
  for (const pid of pids) {
    for (const id of ids) {
      const r = inProfile(P[id], pid)?.repeat;
      if (!r) continue;
      rRows.push([P[id].name, profileLabel(w, pid), fmt(r.requests), fmt(r.cached), fmt(r.network), `${fmt(r.bytes)} B`,
        r.codeRedownloads === undefined ? '—' : `${fmt(r.codeRedownloads)} (${fmt(r.codeBytes)} B)`,
        r.codeRevalidations === undefined ? '—' : fmt(r.codeRevalidations), r.bannerShown ? 'yes' : 'no']);
    }
  }
  lines.push(table(['product', 'profile', 'requests', 'from cache', 'over the network', 'bytes over the network', 'code re-downloaded', 'code revalidated (304)', 'banner shown again'], rRows), '');
  for (const id of ids) {
    const ex = inProfile(P[id], pids[0])?.repeat?.example;
    if (ex?.list?.length) lines.push(`- ${P[id].name}: ${ex.list.map((q) => `\`${q.path}\` ${q.cached ? `(${q.cached} cache)` : `(${q.status}, ${fmt(q.wire)} B)`}`).join(', ')}`);
  }
  lines.push('');
  if (P.kelisim) lines.push(`Target: repeat visits re-download no code — ${mark(V.repeatMet)}.`, '');
  void head;
}

/** What a page adds over the bare page, in ms (null when either is missing). */
function overBare(L, id, k) {
  const a = L.pages[id]?.median?.[k];
  const b = L.pages.bare?.median?.[k];
  return a === null || a === undefined || b === null || b === undefined ? null : a - b;
}

/** Whether Kelisim adds the least LCP and the least TBT over the bare page of the three. */
export function lighthouseVerdict(L) {
  const ids = Object.keys(L.pages).filter((id) => id !== 'bare' && L.pages[id].runs.length);
  if (!ids.includes('kelisim') || !L.pages.bare?.runs.length) return null;
  const least = (k) => ids.every((id) => overBare(L, 'kelisim', k) <= overBare(L, id, k));
  return { lcp: least('lcp'), tbt: least('tbt') };
}

function lighthouseSection(L, lines) {
  const ids = Object.keys(L.pages);
  lines.push('### 1.5 Lighthouse: what a site owner sees in PageSpeed', '');
  lines.push(`Lighthouse ${L.version} (its CLI, one process and one fresh Chromium profile per run; \`--only-categories=performance\`; ` +
    'default mobile preset: a Moto G Power screen, **simulated** throttling — Slow 4G, 150 ms RTT, 1.6 Mbit/s down, 750 kbit/s up, and 4× CPU — ' +
    'computed by Lantern from an unthrottled load) on Debian\'s Chromium (`CHROME_PATH`), with the flags ' +
    `\`${L.chromeFlags.join(' ')}\`, everything on 127.0.0.1 (no request leaves the machine). The pages are §1's equal pages, plus the same ` +
    `page with no consent manager. Median of ${L.runs} run(s) each, the pages interleaved.`, '');
  const rows = ids.map((id) => {
    const p = L.pages[id];
    const m = p.median;
    const add = (k) => (id === 'bare' ? '—' : ms(overBare(L, id, k)));
    return [p.name, `**${ms(m.lcp)}**`, add('lcp'), `**${ms(m.tbt)}**`, add('tbt'), ms(m.fcp), ms(m.si), fmt(m.cls, 3),
      m.score === null ? '—' : fmt(m.score * 100), p.lcpElements.map((e) => `\`${e}\``).join(', ') || '—',
      p.runs.map((r) => `${fmt(r.lcp)}${r.lcp !== null && r.lcp === r.fcp ? '\\*' : ''} / ${fmt(r.tbt)}`).join(', ') || '—',
      `${p.runs.length}${p.errors.length ? ` (+${p.errors.length} failed)` : ''}`];
  });
  lines.push(table(['page', 'LCP', 'LCP added', 'TBT', 'TBT added', 'FCP', 'Speed Index', 'CLS', 'score', 'LCP element', 'each run: LCP / TBT (ms)', 'runs'], rows), '');
  lines.push('\\* LCP = FCP in that run: the largest paint was in the first frame. Lantern simulates LCP from the requests that had finished ' +
    'when the largest paint was *observed* (unthrottled); a banner painted in the same frame as the page\'s first text is not an LCP of its ' +
    'own, one painted a frame later is, with its whole request chain. On a busy machine the same page can land either way, so a page ' +
    'whose runs mix both reads best per run.', '');
  const v = lighthouseVerdict(L);
  if (v) {
    lines.push(`Target: the LCP and TBT Kelisim adds over the bare page are the smallest of the three — LCP ${mark(v.lcp)}, TBT ${mark(v.tbt)}.`, '');
  }
  const lcpErrors = [...new Set(ids.flatMap((id) => L.pages[id].lcpElementErrors ?? []))];
  if (lcpErrors.length) lines.push(`- LCP element: Lighthouse could not name it (its \`largest-contentful-paint-element\` audit: “${lcpErrors[0]}”); LCP itself comes from the trace's own LCP event and is unaffected.`);
  for (const id of ids) {
    const p = L.pages[id];
    if (p.errors.length) lines.push(`- ${p.name}: ${p.errors.length} run(s) failed: ${[...new Set(p.errors)].slice(0, 2).map((e) => `\`${e}\``).join('; ')}`);
    if (p.warnings.length) lines.push(`- ${p.name}: Lighthouse warned: ${p.warnings.slice(0, 2).map((e) => `“${e}”`).join('; ')}`);
  }
  lines.push('');
}

/** KV operations one request makes (route's site read, Service check, ledger append: counted natively). */
function kvPerRequest(n) {
  const k = n?.kvops;
  if (!k) return {};
  const sum = (o) => o.get + o.put + o.list + o.delete;
  return {
    // The route's site-config read is served by the isolate's cache (edge/src/cache.rs) in steady state.
    bare: 1, bareSeries: 1, bareShape: 1, submitBadSignature: sum(k.submit_wrong_hash), submitNew: sum(k.submit_new), submitReplay: sum(k.submit_replay),
    submitWrongHash: sum(k.submit_wrong_hash), getPolicy: sum(k.policy_current), listPage: sum(k.list_page_100), jwks: 0,
  };
}

function edgeSection(e, n, lines) {
  const R = e.runs;
  const L = e.ladder;
  const K = kvPerRequest(n);
  lines.push('## 2. Edge: the worker on workerd, beside a bare worker', '');
  lines.push('Both run under the same `wrangler dev` (workerd) on 127.0.0.1 with KV persisted on disk: the Kelisim edge as ' +
    '`startStack` (tests/lib/stack.mjs) starts it, with its rate limits raised to 1 000 000 for the bench; the baseline ' +
    '`bench/bare-worker/` is a plain JS module worker that stores the request body under a random UUID with one `KV.put` and answers 201. ' +
    'Load comes from `wrk` on the same two cores (so client, wrangler\'s proxy and workerd share the CPU: absolute numbers are ' +
    'this machine\'s, the ratios are the point). Each POST of a *new* receipt carries a unique, valid, signed receipt ' +
    `(${fmt(e.bodies)} pre-generated with \`makeSubmission\` of tests/lib/receipt.mjs: a fresh Ed25519 visitor key and ULID each; ` +
    'thread *t* of *n* sends lines *t*, *t+n*, … of the file (bench/wrk/bench.lua), so none repeats unless a thread runs out — ' +
    'counted below as replays). ' +
    `Both runtimes were warmed first (${e.warmSeconds} s of each timed path) so V8 has tiered the hot wasm up to its optimising compiler. ` +
    'A new receipt takes the ledger path (docs/ledger.md §4): the worker checks it statelessly (`Service::check_receipt`: shape, policy ' +
    'version from the isolate cache, clock, visitor signature), then forwards it to the site\'s Durable Object `SiteLedger` ' +
    '(edge/src/ledger_object.rs), which runs `SiteLog::append` (edge/src/ledger/append.rs): dedupe by id, assign the log index, ' +
    'countersign with it, one SQL commit, one KV put of `receipt/{site}/{id}`. Every receipt of the bench goes to `crm-demo`, so to ' +
    'one object: the new-receipt rate below is that object\'s ceiling, the single-writer ceiling of one site.', '');
  const base = R.bare;
  const row = (label, key, what) => {
    const r = R[key];
    return [label, fmt(r.rps, 0), usToMs(r.p50_us), usToMs(r.p90_us), usToMs(r.p99_us),
      r === base ? '1.00' : fmt(r.rps / base.rps, 2), r === base ? '1.00' : fmt(r.p99_us / base.p99_us, 2),
      K[key] === undefined ? '—' : String(K[key]), K[key] ? fmt(r.rps * K[key]) : '—', statusStatusLine(r.statuses), what];
  };
  lines.push(`### 2.1 Throughput and latency, \`wrk -t2 -c16 -d${e.seconds}s\``, '');
  lines.push(table(['request', 'requests/s', 'p50', 'p90', 'p99', 'throughput ÷ bare', 'p99 ÷ bare', 'KV ops / request', 'KV ops / s', 'statuses', 'notes'], [
    row('bare worker: POST, one KV put', 'bare', 'baseline'),
    row('bare worker: POST `?shape=receipt`', 'bareShape', 'the KV call of a new ledger receipt (one put, record key, `{index}` metadata), none of its work and no Durable Object round trip (a plain worker has none)'),
    row('**POST receipt, new** (unique id)', 'submitNew', `worker check → the site's object: dedupe, index, countersign, 1 SQL commit, 1 KV put; ${fmt(R.submitNew.replayed)} answered as replays` +
      (e.kvWrites ? `; KV keys added in the local store: ${fmt(e.kvWrites.keysAdded)} for ${fmt(e.kvWrites.newReceipts)} new receipts = **${fmt(e.kvWrites.perReceipt, 3)} per receipt**` : '')),
    row('POST receipt, replay (same receipt again)', 'submitReplay', 'idempotent: checked again by the worker, found by id in the object, the stored JWS answered; nothing written'),
    row('POST receipt, wrong policy hash → 422', 'submitWrongHash', 'refused by the worker after parsing and the (cached) policy lookup; the object is not asked'),
    row('GET policy (`?lang=ru`)', 'getPolicy', ''),
    row('GET operator page (`/receipts?limit=100`, admin token)', 'listPage', 'the site\'s object: one SQL page of 100 from its query table (no KV call); the site holds the receipts posted above'),
    row('GET `/.well-known/jwks.json`', 'jwks', 'the Rust worker with no KV call'),
  ]), '');
  lines.push('*KV ops / request*: from §2.3 (counted natively over the route\'s site read, the worker\'s check and the object\'s append in steady state: ' +
    'the isolate has cached the policy version and the site config; rate-limit calls and the Durable Object round trip are not KV calls). ' +
    '*KV ops / s* = requests/s × that.', '');
  if (e.kvWrites) {
    const kw = e.kvWrites;
    const lv = e.logVsKv;
    lines.push(`KV writes per accepted receipt, **counted on the real stack**: the keys in wrangler's local KV store ` +
      '(`v3/kv/miniflare-KVNamespaceObject/*.sqlite`, table `_mf_entries`) before and after the new-receipt run: ' +
      `${fmt(kw.keysAdded)} keys added (${fmt(kw.receiptKeysAdded)} of them \`receipt/crm-demo/…\`) for ${fmt(kw.newReceipts)} new receipts ` +
      `(201 not replayed) = **${fmt(kw.perReceipt, 3)} KV writes per receipt**; every key added is a receipt record, and the ` +
      `${fmt(kw.keysAdded - kw.newReceipts)} beyond the counted 201s are at most the 16 requests in flight when wrk stopped (stored, their answers not read): ` +
      `one write per receipt (target 1: ${mark(oneWrite(kw))}). ` +
      (lv ? `At the end of the section the site holds ${fmt(lv.receiptKeys)} \`receipt/\` keys and its log's checkpoint (signed by the object's alarm) ` +
        `covers ${fmt(lv.logSize)} entries (${lv.receiptKeys === lv.logSize ? 'equal: every receipt is in both' : 'not equal'}).` : ''), '');
  }
  const ratio = R.submitNew.rps / base.rps;
  const p99r = R.submitNew.p99_us / base.p99_us;
  lines.push(`Targets (reported, not asserted): new-receipt throughput ≥ 80 % of bare — **${pct(ratio)}**, ${mark(ratio >= 0.8)}; ` +
    `p99 ≤ 1.5 × bare — **${fmt(p99r, 2)} ×**, ${mark(p99r <= 1.5)}.` +
    (R.bareShape ? ` Against the bare worker making the same KV call (\`?shape=receipt\`, its key and metadata): ${pct(R.submitNew.rps / R.bareShape.rps)} of its throughput, ` +
      `p99 ${fmt(R.submitNew.p99_us / R.bareShape.p99_us, 2)} ×.` : ''), '');

  lines.push(`### 2.2 Where a receipt's time goes on workerd: one connection, \`wrk -t1 -c1 -d${e.ladderSeconds}s\` each`, '');
  lines.push('With one connection there is no queueing, so latency ≈ the request\'s own service time plus a constant loopback and ' +
    'proxy cost. Each step of the ladder stops later in the same code path (edge/src/routes.rs → `Service::check_receipt` → the ' +
    'site\'s `SiteLedger` object → `SiteLog::append`), so differences of medians approximate what the added steps cost. The CPU alone ' +
    'is measured separately in §2.3 (the same Rust compiled to wasm, timed in V8); the rest of what the ladder adds is the object\'s ' +
    'round trip, its SQL commit and the KV put. ' +
    'An approximation: medians of separate runs, with local KV calls (SQLite and blob files on disk) in the path.', '');
  const step = (label, key, what) => [label, usToMs(L[key].p50_us, 2), usToMs(L[key].p99_us, 1), fmt(L[key].rps, 0), K[key] === undefined ? '—' : String(K[key]), what];
  lines.push(table(['request', 'p50', 'p99', 'requests/s', 'KV ops', 'what it does'], [
    step('GET jwks', 'jwks', 'the Rust worker: route, keyring, canonical JSON; no KV'),
    step('bare worker POST', 'bare', 'a JS worker + one KV put'),
    step('bare worker POST `?shape=receipt`', 'bareSeries', 'a JS worker + the one KV put of a new receipt (record key, metadata), none of its work, no object round trip'),
    step('GET policy', 'getPolicy', 'site config (cached), current policy get, parse, localise, serialise'),
    step('POST, wrong policy hash (422)', 'submitWrongHash', 'in the worker: site config (cached), body read + parse, shape checks, policy version (cached), hash compare; no object, no rate limit'),
    step('POST, signature over other claims (422)', 'submitBadSignature', '… + validate against the policy + canonical claims + Ed25519 verify (fails at the final comparison)'),
    step('**POST, new receipt (201)**', 'submitNew', '… + 2 rate limits, the round trip to the site\'s object: dedupe `SELECT`, index, countersign (Ed25519 sign), one SQL commit, one KV put, response'),
    step('POST, replay (201)', 'submitReplay', '… + 2 rate limits, the object: found by id, the stored JWS answered; no write'),
  ]), '');
  const verify = L.submitBadSignature.p50_us - L.submitWrongHash.p50_us;
  const store = L.submitNew.p50_us - L.submitBadSignature.p50_us;
  const series = L.bareSeries ? L.bareSeries.p50_us - L.bare.p50_us : null;
  lines.push(`Differences of p50: validation + canonicalisation + signature verification ≈ **${usToMs(verify, 2)}**; ` +
    `rate limits + the object (round trip, dedupe, countersign, SQL commit) + 1 KV put ≈ **${usToMs(store, 2)}**.` +
    (n?.wasm ? ` In wasm the CPU of verify is ${nsToUs(n.wasm.shipped.verify * 1000)} and of countersign ${nsToUs(n.wasm.shipped.countersign * 1000)} (§2.3).` : '') +
    (series !== null ? ` For scale: the record's key and metadata cost the bare worker ${usToMs(series, 2)} over its plain put (\`?shape=receipt\` − bare), so nearly all of the store step is the object.` : ''), '');

  if (n) nativeSection(n, lines);
}

function nativeSection(n, lines) {
  const S = n.shipped;
  const O = n.cryptoO3;
  const W = n.wasm;
  const g = (set, id) => set?.[id]?.median ?? null;
  lines.push('### 2.3 CPU per receipt: in wasm (V8) and natively (criterion)', '');
  lines.push('**In wasm**: `bench/wasm-core/` compiles the core pieces for `wasm32-unknown-unknown` with the edge\'s release settings ' +
    '(opt-level "z", fat LTO, one codegen unit, panic=abort) and exports plain loops; bench/lib/wasm.mjs instantiates it in node\'s ' +
    `V8 ${W?.v8 ?? ''} (workerd embeds V8 too), warms each loop up, and takes the median of batches of ~20 ms. No runtime, no KV: ` +
    'this is the CPU the worker spends on these pieces. **Natively**: `bench/native/` (criterion; `cargo bench --manifest-path ' +
    'bench/native/Cargo.toml`) runs the same pieces and the whole receipt path — the worker\'s `Service::check_receipt`, then ' +
    'the object\'s `SiteLog::append` (edge/tests/common/submit.rs) — over `kelisim_edge::kv::MemoryKv` and an in-memory SQLite (rusqlite, ' +
    'the engine the object runs), with the crm-demo policy and a unique signed receipt per iteration, with the workspace\'s release settings (profile `bench`). ' +
    '*Crypto at O3* = the same with only `curve25519-dalek`, `ed25519-dalek` and `sha2` at opt-level 3 ' +
    `(native: full runs only). Medians; ${n.rustc}.`, '');
  const rows = [
    ['canonical', 'core/ReceiptClaims::canonical', '`ReceiptClaims::canonical` (RFC 8785 JSON of the claims)'],
    ['parse', 'core/parse SubmitReceipt JSON', 'parse the submitted JSON'],
    ['verify', 'core/verify_visitor_signature', '`verify_visitor_signature` (canonical + Ed25519 `verify_strict`)'],
    ['accept', 'core/Receipt::accept (hash)', '`Receipt::accept` (SHA-256 of the canonical claims)'],
    ['countersign', 'core/Receipt::countersign', '`Receipt::countersign` (canonical receipt + Ed25519 sign)'],
    [null, 'service/check_receipt + SiteLog::append (new, MemoryKv + SQLite)', '`check_receipt` + `SiteLog::append`, new receipt (all of it; KV in memory, SQLite in memory)'],
    [null, 'service/check_receipt + SiteLog::append (replay)', '`check_receipt` + `SiteLog::append`, replay'],
    [null, 'service/check_receipt (wrong policy hash, 422)', '`check_receipt`, wrong policy hash'],
    [null, 'service/policy (read + parse the stored policy)', '`Service::policy` (read + parse the stored crm-demo policy, 3 languages)'],
  ];
  lines.push(table(['piece', '**wasm, shipped**', 'wasm, crypto at O3', 'native x86-64, shipped', 'native, crypto at O3'],
    rows.map(([w, id, label]) => [label,
      w && W ? `**${nsToUs(W.shipped[w] * 1000)}**` : '—', w && W ? nsToUs(W.cryptoO3[w] * 1000) : '—',
      nsToUs(g(S, id)), O ? nsToUs(g(O, id)) : '—'])), '');
  if (W) {
    const sum = ['parse', 'verify', 'accept', 'countersign'].reduce((a, k) => a + W.shipped[k], 0);
    lines.push(`The receipt pieces together cost **${nsToUs(sum * 1000)}** of wasm CPU per new receipt. Natively the same code at ` +
      `opt-level "z" is ${fmt(g(S, 'core/verify_visitor_signature') / 1000 / W.shipped.verify, 0)} × slower on the signatures than in wasm: ` +
      'the size-first profile costs the x86-64 build of the curve arithmetic far more than the wasm32 build (presumably the 64-bit ' +
      'backend\'s 128-bit multiplications left out of line at "z"; the wasm32 build uses 32-bit limbs). That is a cost for native ' +
      'builds — the CLI\'s offline verification, the native tests — not for the edge' +
      (O ? `; with the curve crates at O3 a native submission takes ${nsToUs(g(O, NEW_RECEIPT))} instead of ${nsToUs(g(S, NEW_RECEIPT))}.` : '.'), '');
  }
  const k = n.kvops;
  const ops = (o) => [o.get && `${o.get} get`, o.put && `${o.put} put`, o.list && `${o.list} list`, o.delete && `${o.delete} delete`].filter(Boolean).join(' + ') || 'none';
  lines.push('KV operations per request, counted by wrapping the `Kv` seam in a counter (`CountingKv` in ' +
    'bench/native/benches/receipt.rs) in steady state — the isolate has already read the site config and the policy version once ' +
    '(edge/src/cache.rs keeps write-once policy versions, and site configs for 30 s). A receipt POST is counted as the route runs it: ' +
    'the site config read, `Service::check_receipt` in the worker, `SiteLog::append` in the object (one KV for both, as in production); ' +
    'the rate-limit calls and the object round trip are not KV calls:', '');
  lines.push(table(['request', 'counted (route + worker check + object append)', 'not KV', 'total'], [
    ['POST receipt, new', ops(k.submit_new), '2 rate-limit calls, 1 object request (dedupe, index, countersign, SQL commit)', `${k.submit_new.get} get + ${k.submit_new.put} put + ${k.submit_new.list} list`],
    ['POST receipt, replay', ops(k.submit_replay), '2 rate-limit calls, 1 object request (found by id)', `${k.submit_replay.get} get + ${k.submit_replay.put} put`],
    ['POST receipt, wrong policy hash', ops(k.submit_wrong_hash), 'none: refused in the worker', `${k.submit_wrong_hash.get} get`],
    ['GET policy', ops(k.policy_current), 'site config from the isolate cache (for CORS)', `${k.policy_current.get} get`],
    ['GET operator page, limit=100 (the ledger object\'s SQL)', ops(k.list_page_100), 'admin token: none (compared with the secret); a site token: 1 get (its record)', `${k.list_page_100.list + k.list_page_100.get} (+1 get with a site token)`],
  ]), '');
}

function scaleSection(s, n, lines, data) {
  lines.push('### 2.4 Scale: an operator page of 100 and the statistics at 1k, 10k and 100k stored receipts', '');
  if (s.store !== 'ledger') {
    lines.push('(A run from before the ledger: the page was a KV list of the time index.)', '');
  }
  lines.push(`Site \`${s.site}\`: both reads are answered by the site's ledger object (a Durable Object with SQLite) from its query ` +
    'tables (`receipt_row`, one `SELECT … ORDER BY server_ms DESC, idx DESC LIMIT 101`) and day counters (`SUM` over `day_total` / ' +
    '`day_count`). The receipts are seeded straight into the object\'s persisted SQLite file while the edge is stopped, by ' +
    'bench/native\'s `seed_ledger` (the rows the object\'s append writes: leaf with entry bytes, `receipt_row`, `decision_row`, ' +
    'counters), copied from one real receipt the edge accepted under new ids one second apart. Then the edge restarts and ' +
    '`GET /v1/sites/bench-scale/receipts?limit=100` and `GET /v1/sites/bench-scale/stats` (30 days; admin token) are timed from node, ' +
    'one request at a time after one warm-up request, and the page under `wrk -t2 -c16`. KV operations per read: none (§2.3; admin token).', '');
  if (data?.edge?.runs?.submitNew) {
    const rps = data.edge.runs.submitNew.rps;
    const top = s.levels[s.levels.length - 1].level;
    lines.push(`Through the API instead, at the new-receipt rate measured in §2.1 (${fmt(rps)} req/s at -c16), ${fmt(top)} receipts would take ` +
      `about ${fmt(top / rps / 60, 1)} min, against ${fmt(s.levels.reduce((a, l) => a + l.seedMs, 0) / 60000, 1)} min for the direct seeding ` +
      'of all levels here.', '');
  }
  const native = (name, lvl) => n?.shipped?.[`list_receipts/${name}/${lvl}`]?.median ?? null;
  lines.push(table(['receipts held', 'seeding time', 'page: first', 'page: median', 'page: p90', 'page: req/s at -c16', 'page: p99 at -c16',
    'stats: median', 'stats: counted', 'native page (rusqlite)', 'native stats (rusqlite)'],
    s.levels.map((l) => [fmt(l.level), `${fmt(l.seedMs / 1000, 1)} s`,
      ms(l.pages.first, 1), `**${ms(l.pages.median, 1)}**`, ms(l.pages.p90, 1), fmt(l.c16.rps), usToMs(l.c16.p99_us),
      l.stats ? `**${ms(l.stats.median, 1)}**` : '—', l.stats ? `${fmt(l.stats.counted)}${l.stats.truncated ? ' (truncated)' : ''}` : '—',
      nsToUs(native('page of 100', l.level)), nsToUs(native('stats of 30 days', l.level))])), '');
}

/** The min–max of the native per-page Service time over the scale levels. */
function soakSection(k, lines) {
  const e = k.edge;
  const mb = (kib) => `${fmt(kib / 1024)} MB`;
  const slope = (rss) => (rss.length > 1 ? (rss[rss.length - 1] - rss[0]) / (rss.length - 1) / 1024 : null);
  const fiveXX = Object.entries(e.statuses).filter(([s]) => /^5/.test(s)).reduce((t, [, n]) => t + n, 0);
  lines.push(`## 3. Soak: ${k.seconds} s of mixed load at ${k.concurrency} connections`, '');
  lines.push('bench/lib/soak.mjs on its own edge (`startStack`, rate limits raised, `KELISIM_DIAGNOSTICS = "1"` so each response names the ' +
    'isolate\'s wasm memory in 64 KiB pages): after a 2 s warm-up, `runLoad` of tests/lib/load.mjs posts fresh signed receipts, ' +
    '30 % of them malformed or invalid (unknown field → 400; `necessary` denied, unknown policy version, flipped signature → 422), ' +
    'from 8 concurrent loops, to 127.0.0.1 only. Afterwards every receipt answered 201 is read back through the operator API and ' +
    'verified. The same load then goes to a worker that answers at once with no KV call (`/noop` of bench/bare-worker) under the same ' +
    'wrangler, to show what the runtime itself does with memory. `./x soak` runs the same soak as a test (tests/e2e/faults.test.mjs; ' +
    '10 s in `./x test`), asserting no 5xx, every 201 stored and the wasm memory flat.', '');
  lines.push(table(['', 'Kelisim edge', 'no-op worker'], [
    ['requests sent', fmt(e.sent), fmt(k.noop.sent)],
    ['statuses', statusStatusLine(e.statuses), '404 (all)'],
    ['5xx / transport errors', `${fmt(fiveXX)} / ${fmt(e.transportErrors)}`, '—'],
    ['201s read back and valid', `${fmt(e.accepted - e.missing)} of ${fmt(e.accepted)}`, '—'],
    ['edge isolate wasm memory (after warm-up → after soak)', `${e.pagesBefore} → ${e.pagesAfter} pages (${fmt(e.pagesBefore * 64)} → ${fmt(e.pagesAfter * 64)} KiB)`, '—'],
    ['workerd RSS, start → end', `${mb(e.rss[0])} → ${mb(e.rss[e.rss.length - 1])}`, `${mb(k.noop.rss[0])} → ${mb(k.noop.rss[k.noop.rss.length - 1])}`],
    ['workerd RSS growth per second / per 1 000 requests', `${fmt(slope(e.rss), 1)} MB / ${fmt((e.rss[e.rss.length - 1] - e.rss[0]) / 1024 / e.sent * 1000, 1)} MB`,
      `${fmt(slope(k.noop.rss), 1)} MB / ${fmt((k.noop.rss[k.noop.rss.length - 1] - k.noop.rss[0]) / 1024 / k.noop.sent * 1000, 1)} MB`],
  ]), '');
  lines.push(`workerd RSS each second (MB), Kelisim: ${e.rss.map((x) => fmt(x / 1024)).join(' ')}.`, '');
  lines.push(`workerd RSS each second (MB), no-op worker: ${k.noop.rss.map((x) => fmt(x / 1024)).join(' ')}.`, '');
  lines.push('**Reading.** The edge\'s own memory — its wasm linear memory, where every Rust allocation lives — ' +
    `${e.pagesAfter - e.pagesBefore <= 2 ? 'stays flat' : '**grows**'} (${e.pagesBefore} → ${e.pagesAfter} pages over ${fmt(e.sent)} requests). ` +
    'workerd\'s resident memory under `wrangler dev` grows with the number of requests for any worker, the no-op one included, and ' +
    'is not returned during the run (dev proxy, inspector, local KV). Per request the edge\'s process grows more than the no-op\'s ' +
    '(it writes three KV entries, parses and answers larger bodies, and its JS glue creates objects per call; V8\'s JS heap of the edge ' +
    'isolate was seen at 27 MB used after 16 000 requests without a forced GC); this run does not separate those parts further, so the ' +
    'process figure is reported, not claimed flat. In production each isolate is held to 128 MB by the platform.', '');
}

function nativeRange(n, levels) {
  const t = levels.map((l) => n?.shipped?.[`list_receipts/page of 100/${l.level}`]?.median).filter((x) => x != null);
  return t.length ? `${nsToUs(Math.min(...t))}–${nsToUs(Math.max(...t))}` : '—';
}

function principal(data, lines) {
  const n = data.native;
  const e = data.edge;
  const w = data.widget;
  const out = [];
  if (e) {
    const K = kvPerRequest(n);
    const L = e.ladder;
    const R = e.runs;
    const W = n?.wasm?.shipped;
    const cpu = W ? W.parse + W.verify + W.accept + W.countersign : null;
    const ratio = R.submitNew.rps / R.bare.rps;
    const p99r = R.submitNew.p99_us / R.bare.p99_us;
    const kw = e.kvWrites;
    const objectMs = L.submitNew.p50_us - L.submitBadSignature.p50_us;
    out.push(`**Edge: the site's single writer, not KV and not signatures.** A new receipt now makes ${K.submitNew ?? '—'} KV call` +
      `${K.submitNew === 1 ? '' : 's'} (counted natively, §2.3)` +
      (kw ? ` and adds ${fmt(kw.perReceipt, 3)} KV keys per receipt on the real stack (§2.1)` : '') +
      ': the one put of its record, the same as the bare worker. What it adds to the bare worker is the ordered part, in the site\'s ' +
      'Durable Object: a round trip from the worker, the dedupe `SELECT`, the countersignature with the log index, one SQL commit ' +
      '(leaf, Merkle hashes, query rows, counters), then the awaited KV put. ' +
      `At -c16 new receipts reach ${fmt(R.submitNew.rps)} req/s against ${fmt(R.bare.rps)} for the bare worker: **${pct(ratio)}** ` +
      `(target ≥ 80 %: ${mark(ratio >= 0.8)}), p99 **${fmt(p99r, 2)} ×** bare (target ≤ 1.5 ×: ${mark(p99r <= 1.5)}). ` +
      `With one connection a new receipt takes ${usToMs(L.submitNew.p50_us, 2)} (p50) against ${usToMs(L.bare.p50_us, 2)} for the bare worker; ` +
      `the rate limits and the object's part come to ≈ ${usToMs(objectMs, 2)} (new − refused at the signature, §2.2), while all of the ` +
      `receipt's own CPU in wasm — parse, verify, hash, countersign — is ${cpu ? nsToUs(cpu * 1000) : '—'} (§2.3). ` +
      `Every bench receipt goes to one site (\`crm-demo\`), so to one object: **${fmt(R.submitNew.rps)} new receipts/s is this machine's ` +
      'ceiling for one site** (the object serialises its appends; other sites have their own objects and add to it, not share it). ' +
      'Past that ceiling the design does what certificate-transparency logs on Workers do (docs/ledger.md §8, on paper, not built): ' +
      '**batching in the object** (pool receipts for ~20 ms or 256 entries, assign consecutive indexes, one SQL commit per batch, the KV puts ' +
      'concurrently: per receipt about one signature and one put), **batcher objects** in front of the sequencer (several per site accept ' +
      'and deduplicate, forward batches), and **sharding by period** (a log per site and year, each its own object and checkpoint). ' +
      'These are local numbers (wrangler dev: KV and the object\'s SQLite on disk, one machine for client and server); production adds ' +
      'the network hop to the object\'s location and KV\'s slower, billed writes — one per receipt, as counted here.');
  }
  if (data.scale) {
    const ls = data.scale.levels;
    const a = ls[0];
    const b = ls[ls.length - 1];
    if (data.scale.store === 'ledger') {
      out.push(`**Operator pages and statistics:** the site's ledger object answers both from its tables (one \`SELECT\` a page, ` +
        `\`SUM\` over day counters for statistics; no KV call), natively ${nativeRange(n, ls)} a page; ` +
        `through workerd the page takes ${ms(a.pages.median, 1)} at ${fmt(a.level)} receipts and ${ms(b.pages.median, 1)} at ${fmt(b.level)}` +
        (a.stats && b.stats ? `, the statistics ${ms(a.stats.median, 1)} and ${ms(b.stats.median, 1)}, exact (\`truncated\` false).` : '.'));
    } else {
      out.push(`**Operator pages:** one page is one KV \`list\` by design, and the Service's own time per page stays ` +
        `${nativeRange(n, ls)} natively; ` +
        `on the local store the page takes ${ms(a.pages.median, 1)} at ${fmt(a.level)} receipts and ${ms(b.pages.median, 1)} at ${fmt(b.level)}.`);
    }
  }
  if (w?.ours && w.products.kelisim) {
    const V = widgetVerdicts(w);
    const K = w.products.kelisim;
    const phone = inProfile(K, 'phone')?.path ?? inProfile(K, 'unthrottled')?.path;
    const pid = inProfile(K, 'phone')?.path ? 'phone' : 'unthrottled';
    const wasm = K.files.filter((f) => f.kind === 'wasm').reduce((s, f) => s + f.brotli, 0);
    const before = phone ? pathTree(phone).filter(({ q }) => q.beforeVisible) : [];
    const chain = before.map(({ q, depth }) => `${depth > 1 ? '→ ' : ''}\`${q.path}\` (${q.initiator === 'page' ? 'from the page' : `from \`${q.initiator}\``}, ${ms(q.start)}–${ms(q.end)})`);
    const lastEnd = before.length ? Math.max(...before.map(({ q }) => q.end ?? 0)) : null;
    const laterWasm = (K.choiceFiles ?? []).filter((f) => f.kind === 'wasm').reduce((s, f) => s + (f.brotli ?? 0), 0);
    const codeLine = wasm === 0 && laterWasm > 0
      ? `Kelisim's code a first visit loads is ${kb(V.codeBrotli)} brotli, without the wasm (${kb(laterWasm)}), which loads only after the press (§1.1, code a choice loads) `
      : `Kelisim's code is ${kb(V.codeBrotli)} brotli, ${pct(wasm / Math.max(1, V.codeBrotli))} of it the wasm `;
    out.push(`**Widget: the chain before the banner.** ${codeLine}` +
      `(target ≤ ${WIDGET_TARGETS.codeKiB} KiB, aim ≤ ${WIDGET_TARGETS.codeAimKiB} KiB: ${mark(V.codeMet)}, ${mark(V.codeAimMet)}). ` +
      (phone ? `In the ${profileLabel(w, pid)} profile the banner is visible at a median ${ms(phone.visible)} after waiting for ` +
        `${kb(phone.waitedFor.codeBrotli + phone.waitedFor.dataBrotli)} (code ${kb(phone.waitedFor.codeBrotli)} + data ${kb(phone.waitedFor.dataBrotli)}; ` +
        `target ≤ ${WIDGET_TARGETS.waitedKiB} KiB): page HTML until ${ms(phone.html.end)}, then ${chain.join(', ')}` +
        (lastEnd !== null ? `; the banner shows ${ms(phone.visible - lastEnd)} after the last of them arrives (script work and rendering).` : '.') + ' ' : '') +
      'On loopback these round trips are nearly free; on a phone the length of this chain and the bytes on it set the time to banner.');
  }
  if (out.length) {
    lines.push('## Principal bottleneck', '');
    for (const p of out) lines.push(p, '');
  }
}

function headline(data, lines) {
  const items = [];
  const w = data.widget;
  if (w?.products) {
    const P = w.products;
    const peers = Object.keys(P).filter((id) => id !== 'kelisim');
    if (P.kelisim) {
      const V = widgetVerdicts(w);
      items.push(`Widget code a first visit loads: Kelisim **${kb(V.codeBrotli)}** brotli (target ≤ ${WIDGET_TARGETS.codeKiB} KiB: ${mark(V.codeMet)}; ` +
        `aim ≤ ${WIDGET_TARGETS.codeAimKiB} KiB: ${mark(V.codeAimMet)}); ` + peers.map((id) => `${P[id].name} ${kb(codeTotals(P[id].files).codeBrotli)}`).join(', ') + '.');
      for (const pid of profileIds(w)) {
        const k = inProfile(P.kelisim, pid)?.timing;
        const v = V.profiles[pid];
        if (!k) continue;
        items.push(`Banner visible, ${profileLabel(w, pid)}, median of ${k.n} cold loads: Kelisim **${ms(k.visible.median)}** (p90 ${ms(k.visible.p90)}; ` +
          `interactive ${ms(k.interactive.median)}); ` +
          peers.filter((id) => inProfile(P[id], pid)?.timing).map((id) => { const t = inProfile(P[id], pid).timing; return `${P[id].name} ${ms(t.visible.median)} (p90 ${ms(t.visible.p90)}; interactive ${ms(t.interactive.median)})`; }).join(', ') +
          (v.fastest ? `. ≤ ${WIDGET_TARGETS.visibleVsPeer} × the fastest peer: **${fmt(v.ratio, 2)} ×**, ${mark(v.visibleMet)}.` : '.'));
      }
      if (Object.values(V.profiles).some((p) => p.waitedBytes !== null)) {
        items.push(`Bytes Kelisim's banner waits for (code + data, brotli): ${Object.entries(V.profiles).map(([pid, p]) => `${profileLabel(w, pid)} ${kb(p.waitedBytes)}`).join(', ')} ` +
          `(target ≤ ${WIDGET_TARGETS.waitedKiB} KiB: ${mark(V.waitedMet)}). Repeat visits re-download code: ` +
          `${Object.entries(V.profiles).map(([pid, p]) => `${profileLabel(w, pid)} ${p.repeatCodeBytes === null ? '—' : `${fmt(p.repeatCodeBytes)} B`}`).join(', ')} (target none: ${mark(V.repeatMet)}).`);
      }
      const pressed = profileIds(w).filter((pid) => inProfile(P.kelisim, pid)?.timing?.pressToGone);
      if (pressed.length) {
        const one = (id, pid) => { const t = inProfile(P[id], pid)?.timing; return t?.pressToGone ? `${ms(t.pressToGone.median)} (p90 ${ms(t.pressToGone.p90)})` : '—'; };
        const choice = codeTotals((P.kelisim.choiceFiles ?? []).filter((f) => f.brotli !== null && f.brotli !== undefined));
        items.push('Press on accept → banner gone, median of the loads: ' + pressed.map((pid) => `${profileLabel(w, pid)}: Kelisim **${one('kelisim', pid)}**, ` +
          peers.map((id) => `${P[id].name} ${one(id, pid)}`).join(', ')).join('; ') +
          `. Code a choice loads (after the press): Kelisim ${kb(choice.codeBrotli)} brotli` +
          (peers.length ? `, ${peers.map((id) => `${P[id].name} ${kb(codeTotals(P[id].choiceFiles ?? []).codeBrotli)}`).join(', ')}.` : '.'));
      }
      const u = inProfile(P.kelisim, 'unthrottled')?.timing;
      if (u) {
        items.push(`Layout shift: Kelisim CLS max ${fmt(u.clsMax, 3)} (target 0: ${mark(u.clsMax === 0)}); long tasks median ${fmt(u.longtaskCount.median)} ` +
          `(${ms(u.longtaskMs.median)}); ` + peers.filter((id) => inProfile(P[id], 'unthrottled')?.timing).map((id) => { const t = inProfile(P[id], 'unthrottled').timing; return `${P[id].name} CLS max ${fmt(t.clsMax, 3)}, long tasks ${fmt(t.longtaskCount.median)} (${ms(t.longtaskMs.median)})`; }).join('; ') + ' (unthrottled).');
      }
    } else if (!w.ours) {
      items.push('Widget: Kelisim skipped (not built yet); peers measured.');
    }
  }
  const L = data.lighthouse;
  if (L?.pages?.kelisim) {
    const v = lighthouseVerdict(L);
    items.push(`Lighthouse ${L.version}, mobile preset, median of ${L.runs}: LCP / TBT ` +
      Object.values(L.pages).map((p) => `${p.name} ${ms(p.median.lcp)} / ${ms(p.median.tbt)}`).join(', ') +
      (v ? `. Kelisim adds the least over the bare page: LCP ${mark(v.lcp)}, TBT ${mark(v.tbt)}.` : '.'));
  }
  const e = data.edge;
  if (e) {
    const ratio = e.runs.submitNew.rps / e.runs.bare.rps;
    const p99r = e.runs.submitNew.p99_us / e.runs.bare.p99_us;
    items.push(`Edge, new signed receipts at -c16 (worker check → the site's ledger object): **${fmt(e.runs.submitNew.rps)} req/s**, p99 ${usToMs(e.runs.submitNew.p99_us)}; ` +
      `bare one-put worker ${fmt(e.runs.bare.rps)} req/s, p99 ${usToMs(e.runs.bare.p99_us)} → **${pct(ratio)}** of bare ` +
      `(target ≥ 80 %: ${mark(ratio >= 0.8)}), p99 **${fmt(p99r, 2)} ×** bare (target ≤ 1.5: ${mark(p99r <= 1.5)}).`);
    if (e.kvWrites) {
      items.push(`KV writes per accepted receipt, counted in the local KV store: **${fmt(e.kvWrites.perReceipt, 3)}** ` +
        `(${fmt(e.kvWrites.keysAdded)} keys, all \`receipt/\` records, for ${fmt(e.kvWrites.newReceipts)} counted 201s; the rest ≤ the 16 requests in flight when wrk stopped; target 1: ${mark(oneWrite(e.kvWrites))})` +
        (e.logVsKv ? `; ${fmt(e.logVsKv.receiptKeys)} \`receipt/\` keys, log checkpoint at ${fmt(e.logVsKv.logSize)}.` : '.'));
    }
    items.push(`One site's ceiling (all bench receipts go to \`crm-demo\`, one Durable Object): **${fmt(e.runs.submitNew.rps)} new receipts/s** here; ` +
      'past it: batching in the object, batcher objects, sharding by period (docs/ledger.md §8, on paper).');
  }
  const n = data.native;
  if (n) {
    if (n.wasm) {
      const W = n.wasm.shipped;
      items.push(`CPU per new receipt in the worker's wasm (parse + verify + hash + countersign, timed in V8): ${nsToUs((W.parse + W.verify + W.accept + W.countersign) * 1000)} ` +
        `(verify ${nsToUs(W.verify * 1000)}, countersign ${nsToUs(W.countersign * 1000)}); natively at the same opt-level "z": ` +
        `${nsToUs(n.shipped[NEW_RECEIPT]?.median)} for the whole receipt path (\`check_receipt\` + \`SiteLog::append\` over in-memory KV and SQLite).`);
    }
  }
  if (data.scale) {
    items.push(`Operator page of 100: ${data.scale.levels.map((l) => `${ms(l.pages.median, 1)} at ${fmt(l.level)}`).join(', ')} receipts held (${data.scale.store === 'ledger' ? 'the site\'s ledger object, no KV call' : 'local KV; 1 list call each'}).`);
  }
  if (items.length) {
    lines.push('## Headline', '');
    for (const i of items) lines.push(`- ${i}`);
    lines.push('');
  }
}

export function report(data) {
  const m = data.machine;
  const lines = [];
  lines.push('# Benchmarks', '');
  lines.push(`Made by **\`${data.command}\`** on ${data.date.slice(0, 10)} (${data.date.slice(11, 16)} UTC), ` +
    `${data.quick ? '**quick run** (fewer loads, shorter wrk runs, scale up to 10k)' : 'full run'}, ${fmt(data.totalSeconds / 60, 1)} min. ` +
    'The command rewrites this file; raw numbers go to `bench/out/latest.json`. Benchmarks, not tests: nothing here asserts a speed; ' +
    'targets are reported as met or not.', '');
  lines.push('## Machine', '');
  lines.push(table(['', ''], [
    ['cores (`nproc`)', m.nproc], ['CPU', m.cpu], ['memory', `${fmt(m.memoryGiB, 1)} GiB`], ['Chromium', m.chromium],
    ['workerd', m.workerd], ['wrangler', m.wrangler], ['Node', m.node], ['Rust', m.rustc], ['wrk', m.wrk], ['kernel', m.kernel],
    ['CPU busy before the run', `${pct(data.busy.start)} (load average ${m.loadavg}); before each section: ${Object.entries(data.busy).filter(([k]) => k !== 'start').map(([k, v]) => `${k} ${pct(v)}`).join(', ')}`],
  ]), '');
  lines.push('The machine is shared: other work running at the same time (see *CPU busy*) takes cycles from both the product and ' +
    'the load generator, so compare numbers within one run, not across runs.', '');
  headline(data, lines);
  principal(data, lines);
  if (data.widget) widgetSection(data.widget, lines);
  if (data.lighthouse) lighthouseSection(data.lighthouse, lines);
  if (data.edge) edgeSection(data.edge, data.native, lines);
  else if (data.native) { lines.push('## 2. Edge', ''); nativeSection(data.native, lines); }
  if (data.scale) scaleSection(data.scale, data.native, lines, data);
  if (data.soak) soakSection(data.soak, lines);
  const errs = Object.entries(data.errors ?? {});
  if (errs.length) {
    lines.push('## Sections that failed', '');
    for (const [k, v] of errs) lines.push(`### ${k}`, '', '```', v.slice(0, 3000), '```', '');
  }
  lines.push('## Reproduce', '');
  lines.push('```sh', './x bench            # everything, ~30 min on 2 cores; rewrites BENCHMARKS.md',
    './x bench --quick    # fewer loads, shorter runs, scale to 10k: for iterating',
    'node bench/run.mjs --only=widget,lighthouse   # some sections (after ./x build); report in bench/out/',
    './x soak [seconds]   # the soak as a test (default 60 s): no 5xx, every 201 stored, wasm memory flat', '```', '');
  lines.push(`Sections took: ${['native', 'widget', 'lighthouse', 'edge', 'scale', 'soak'].filter((s) => data[`${s}Seconds`]).map((s) => `${s} ${fmt(data[`${s}Seconds`])} s`).join(', ')}.`, '');
  return lines.join('\n');
}
