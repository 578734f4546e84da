// The widget benchmarks: Kelisim's one tag beside two consent managers from npm
// (vanilla-cookieconsent v3, klaro), on equal pages with the same five categories and the same
// Russian texts, served from 127.0.0.1 and loaded in headless Debian Chromium, in two profiles:
// unthrottled, and a phone (Slow 4G + 4× CPU through CDP). Besides the times it records the
// critical path (which request waited on which), the bytes each banner waited for, and, after
// that, a press on the banner's accept button: how long until the banner is gone, and what code
// the choice loads.
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import { gzipSync } from 'node:zlib';
import { launchBrowser } from '../../tests/lib/browser.mjs';
import { ROOT } from '../../tests/lib/stack.mjs';
import { brotliSize, log, median, percentile, sleep } from './util.mjs';

const POLICY_FILE = join(ROOT, 'www/demo/policies/crm-demo.json');
const I18N_FILE = join(ROOT, 'widget/src/i18n.rs');
const DETECTOR = readFileSync(join(ROOT, 'bench/lib/detector.js'), 'utf8');
const SETTLE_MS = 1000;
const TIMEOUT_MS = 30_000;
/** How long after the press the bench waits for the requests it set off to finish, at most. */
const QUIET_MS = 10_000;

/**
 * The two load profiles. `phone` is the issue's (and PageSpeed's) mobile budget: Slow 4G —
 * 150 ms round trip, 1.6 Mbit/s down, 750 kbit/s up (decimal megabits, as the network is quoted),
 * applied by Chromium's network service to every request of the page (CDP
 * `Network.emulateNetworkConditions`: the latency is added per request, the throughput caps each
 * response) — and the renderer slowed 4× (`Emulation.setCPUThrottlingRate`). Same viewport.
 */
export const PROFILES = {
  unthrottled: { id: 'unthrottled', label: 'unthrottled', network: null, cpuRate: 1 },
  phone: {
    id: 'phone', label: 'phone (Slow 4G + 4× CPU)',
    network: { offline: false, latency: 150, downloadThroughput: (1.6e6 / 8), uploadThroughput: (750e3 / 8) },
    cpuRate: 4,
  },
};

/** Applies a profile to a page's CDP session, before its navigation. */
async function applyProfile(cdp, profile) {
  if (profile.network) await cdp.send('Network.emulateNetworkConditions', profile.network);
  if (profile.cpuRate !== 1) await cdp.send('Emulation.setCPUThrottlingRate', { rate: profile.cpuRate });
}

/** The widget's Russian UI strings, read from widget/src/i18n.rs so the peers say the same. */
function russianStrings() {
  const fallback = {
    banner_title: 'Согласие на обработку данных', operator_label: 'Оператор персональных данных:',
    accept_all: 'Принять все', reject_all: 'Отклонить все', settings: 'Настроить',
    read_policy: 'Читать политику конфиденциальности', settings_title: 'Настройки конфиденциальности',
    settings_intro: 'Выберите, на что вы даёте согласие. Решение можно изменить или отозвать в любой момент.',
    save: 'Сохранить выбор', close: 'Закрыть', always_on: 'Всегда включено',
  };
  try {
    const block = readFileSync(I18N_FILE, 'utf8').match(/const RU: Strings = Strings \{([\s\S]*?)\n\};/)[1];
    const found = Object.fromEntries([...block.matchAll(/(\w+): "((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]));
    return { ...fallback, ...found };
  } catch {
    return fallback;
  }
}

const esc = (s) => s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');

/** The same page body for every product: the policy's first Russian blocks as an article. */
function pageBody(policy) {
  const out = [];
  for (const b of policy.text.ru.slice(0, 14)) {
    if (b.type === 'heading') out.push(`<h${b.level}>${esc(b.text)}</h${b.level}>`);
    else if (b.type === 'paragraph') out.push(`<p>${esc(b.text)}</p>`);
    else if (b.type === 'list') out.push(`<ul>${b.items.map((i) => `<li>${esc(i)}</li>`).join('')}</ul>`);
  }
  return out.join('\n');
}

function page(title, head, policy, tail = '') {
  return `<!doctype html>
<html lang="ru">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<link rel="icon" href="data:,">
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;color:#222}</style>
${head}
</head>
<body>
<main>
${pageBody(policy)}
</main>
${tail}
</body>
</html>
`;
}

/** vanilla-cookieconsent v3 configuration with the policy's categories and texts. */
function cookieconsentConfig(policy, S) {
  const config = {
    // Its default hides the banner from automated browsers (navigator.webdriver): off, or there
    // would be nothing to measure. It changes nothing else.
    hideFromBots: false,
    categories: Object.fromEntries(policy.categories.map((c) => [c.id, c.switchable ? {} : { enabled: true, readOnly: true }])),
    language: {
      default: 'ru',
      translations: {
        ru: {
          consentModal: {
            title: S.banner_title,
            description: `${esc(S.operator_label)} ${esc(policy.operator.legal_name)}<br>${esc(policy.summary.ru)} <a href="#policy">${esc(S.read_policy)}</a>`,
            acceptAllBtn: S.accept_all,
            acceptNecessaryBtn: S.reject_all,
            showPreferencesBtn: S.settings,
          },
          preferencesModal: {
            title: S.settings_title,
            acceptAllBtn: S.accept_all,
            acceptNecessaryBtn: S.reject_all,
            savePreferencesBtn: S.save,
            closeIconLabel: S.close,
            sections: [
              { description: S.settings_intro },
              ...policy.categories.map((c) => ({ title: c.title.ru, description: c.description.ru, linkedCategory: c.id })),
            ],
          },
        },
      },
    },
  };
  return `// Generated by bench/lib/widget.mjs from www/demo/policies/crm-demo.json.
CookieConsent.run(${JSON.stringify(config)}).then(function () { window.__cmpReady = performance.now(); });
`;
}

/** klaro configuration: one service per category (klaro consents to services, grouped by purpose). */
function klaroConfig(policy, S) {
  const purposes = Object.fromEntries(policy.categories.map((c) => [c.id, { title: c.title.ru, description: c.description.ru }]));
  const services = Object.fromEntries(policy.categories.map((c) => [c.id, { title: c.title.ru, description: c.description.ru }]));
  const config = {
    version: 1, elementID: 'klaro', storageMethod: 'cookie', cookieName: 'klaro', cookieExpiresAfterDays: 365,
    htmlTexts: true, groupByPurpose: true, default: false, mustConsent: false, acceptAll: true,
    hideDeclineAll: false, hideLearnMore: false, noticeAsModal: false, showNoticeTitle: true, lang: 'ru',
    translations: {
      ru: {
        privacyPolicyUrl: '#policy',
        consentNotice: {
          title: S.banner_title,
          description: `${esc(S.operator_label)} ${esc(policy.operator.legal_name)}<br>${esc(policy.summary.ru)}`,
          learnMore: S.settings,
        },
        consentModal: { title: S.settings_title, description: S.settings_intro },
        privacyPolicy: { name: S.read_policy, text: `{privacyPolicy}` },
        ok: S.accept_all, acceptAll: S.accept_all, acceptSelected: S.save, decline: S.reject_all, close: S.close,
        purposes,
        ...services,
      },
    },
    services: policy.categories.map((c) => ({ name: c.id, purposes: [c.id], required: !c.switchable, default: false })),
  };
  return `// Generated by bench/lib/widget.mjs from www/demo/policies/crm-demo.json.
var klaroConfig = ${JSON.stringify(config)};
`;
}

/** The equal page with no consent manager at all: the baseline for Lighthouse. */
export const barePage = (policy) => page('bare', '', policy);

/** The three products: their page, how their banner is found, how a choice is awaited. */
function products(edgeUrl, policy, S) {
  const ready = `<script>
// The page's readiness marker for Kelisim: the loader has run and its JS API exists (from then on
// a press on the painted banner is taken; on a first visit it may wait for the wasm). Nothing is
// called on the API: a call such as kelisim.receipts() would start the wasm and change what a
// first visit loads.
(function () {
  var tag = document.querySelector('script[data-site]');
  function mark() {
    if (window.__cmpReady == null && window.kelisim && typeof window.kelisim.receipts === 'function') window.__cmpReady = performance.now();
  }
  mark();
  if (window.__cmpReady == null) tag.addEventListener('load', mark);
})();
</script>`;
  return [
    {
      id: 'kelisim', name: 'Kelisim (ours)', version: readVersion(join(ROOT, 'widget/Cargo.toml')),
      html: page('Kelisim', `<script src="${edgeUrl}/v1/sites/crm-demo/kelisim.js" data-site="crm-demo" async></script>`, policy, ready),
      spec: `{banner:["kelisim-consent","section[role=region]"],accept:["kelisim-consent","section[role=region] button[data-action=accept]"],generic:true,acceptText:/${S.accept_all}/}`,
      acceptSelector: 'kelisim-consent button[data-action=accept]',
      tag: '<script src="{edge}/v1/sites/crm-demo/kelisim.js" data-site="crm-demo" async>',
    },
    {
      id: 'cookieconsent', name: 'vanilla-cookieconsent', version: readVersion(join(ROOT, 'node_modules/vanilla-cookieconsent/package.json')),
      html: page('cookieconsent', `<link rel="stylesheet" href="/vendor/cookieconsent/cookieconsent.css">
<script defer src="/vendor/cookieconsent/cookieconsent.umd.js"></script>
<script defer src="/config/cookieconsent.js"></script>`, policy),
      config: cookieconsentConfig(policy, S),
      spec: '{banner:["#cc-main .cm"],accept:["#cc-main .cm [data-role=all]"],generic:false}',
      acceptSelector: '#cc-main .cm [data-role=all]',
      tag: 'cookieconsent.css + cookieconsent.umd.js (defer) + config (defer)',
    },
    {
      id: 'klaro', name: 'klaro', version: readVersion(join(ROOT, 'node_modules/klaro/package.json')),
      html: page('klaro', `<script defer src="/config/klaro.js"></script>
<script defer src="/vendor/klaro/klaro.js"></script>
<script>document.addEventListener('DOMContentLoaded', function () { if (window.klaro) window.__cmpReady = performance.now(); });</script>`, policy),
      config: klaroConfig(policy, S),
      spec: '{banner:[".klaro .cookie-notice"],accept:[".klaro .cookie-notice .cm-btn-success"],generic:false}',
      acceptSelector: '.klaro .cookie-notice .cm-btn-success',
      tag: 'config (defer) + klaro.js (defer; CSS and translations built in)',
    },
  ];
}

function readVersion(file) {
  try {
    const text = readFileSync(file, 'utf8');
    if (file.endsWith('.json')) return JSON.parse(text).version;
    const own = text.match(/^version\s*=\s*"([^"]+)"/m);
    if (own) return own[1];
    return readFileSync(join(ROOT, 'Cargo.toml'), 'utf8').match(/\[workspace\.package\][^[]*?version\s*=\s*"([^"]+)"/)?.[1] ?? '';
  } catch {
    return '';
  }
}

const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8' };

/**
 * The peers' static server. Library files get a year's immutable caching (as from a versioned
 * CDN URL: the peers' best case), their configs 300 s (as Kelisim's kelisim.js), pages no-cache.
 * Text is gzipped when the browser asks (Chromium offers only gzip/deflate over plain http;
 * wrangler dev gzips Kelisim's responses the same way), so wire bytes compare like with like.
 */
async function servePages(prods, extra = {}) {
  const routes = new Map();
  for (const [path, html] of Object.entries(extra)) routes.set(path, { body: Buffer.from(html), type: TYPES['.html'], cache: 'no-cache' });
  for (const p of prods) {
    routes.set(`/${p.id}.html`, { body: Buffer.from(p.html), type: TYPES['.html'], cache: 'no-cache' });
    if (p.config) routes.set(`/config/${p.id}.js`, { body: Buffer.from(p.config), type: TYPES['.js'], cache: 'public, max-age=300' });
  }
  const vendor = { cookieconsent: join(ROOT, 'node_modules/vanilla-cookieconsent/dist'), klaro: join(ROOT, 'node_modules/klaro/dist') };
  const gz = new Map();
  const server = createServer(async (req, res) => {
    const path = new URL(req.url, 'http://x').pathname;
    let entry = routes.get(path);
    const m = path.match(/^\/vendor\/(\w+)\/(.+)$/);
    if (!entry && m && vendor[m[1]]) {
      const file = normalize(join(vendor[m[1]], m[2]));
      if (file.startsWith(vendor[m[1]] + sep) && existsSync(file)) {
        entry = { body: await readFile(file), type: TYPES[extname(file)] ?? 'application/octet-stream', cache: 'public, max-age=31536000, immutable' };
      }
    }
    if (!entry) { res.writeHead(404); res.end(); return; }
    const headers = { 'Content-Type': entry.type, 'Cache-Control': entry.cache, 'Vary': 'Accept-Encoding' };
    let body = entry.body;
    if (/\bgzip\b/.test(req.headers['accept-encoding'] ?? '')) {
      if (!gz.has(path)) gz.set(path, gzipSync(body, { level: 9 }));
      body = gz.get(path);
      headers['Content-Encoding'] = 'gzip';
    }
    res.writeHead(200, { ...headers, 'Content-Length': body.length });
    res.end(body);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((r) => server.close(r)) };
}

/** The URL of the script (or document) that started a request, from a CDP `initiator`. */
function initiatorUrl(init) {
  if (!init) return null;
  if (init.url) return init.url;
  for (let stack = init.stack; stack; stack = stack.parent) {
    const frame = stack.callFrames?.find((f) => f.url);
    if (frame) return frame.url;
  }
  return null;
}

/**
 * Records every request of a page through CDP: URL, type, initiator (which document or script
 * started it), status, wire bytes, CDP timestamps of start and finish; with `capture` (or while
 * `captureBodies(true)` holds), each response body too. Returns the CDP session as well, to apply a
 * profile before navigating.
 */
async function recordNetwork(ctx, page, { capture = false } = {}) {
  let capturing = capture;
  const cdp = await ctx.newCDPSession(page);
  await cdp.send('Network.enable');
  const reqs = new Map();
  const get = (id) => { if (!reqs.has(id)) reqs.set(id, { id }); return reqs.get(id); };
  cdp.on('Network.requestWillBeSent', (e) => Object.assign(get(e.requestId), {
    url: e.request.url, method: e.request.method, type: e.type, sentAt: e.timestamp,
    initiatorType: e.initiator?.type ?? null, initiator: initiatorUrl(e.initiator),
  }));
  cdp.on('Network.requestServedFromCache', (e) => { get(e.requestId).cached = 'memory'; });
  cdp.on('Network.responseReceived', (e) => {
    const r = get(e.requestId);
    Object.assign(r, { status: e.response.status, mime: e.response.mimeType, encoding: e.response.headers['content-encoding'] ?? e.response.headers['Content-Encoding'] });
    if (e.response.fromDiskCache) r.cached = 'disk';
    if (e.response.fromPrefetchCache) r.cached = 'prefetch';
    if (e.type) r.type = e.type;
  });
  // The status on the wire (a revalidation answered 304 is reported above as the cached 200).
  cdp.on('Network.responseReceivedExtraInfo', (e) => { get(e.requestId).wireStatus = e.statusCode; });
  const pending = [];
  // Whether a request is still in flight, and who waits for none to be.
  const inFlight = () => [...reqs.values()].some((r) => r.url && !r.url.startsWith('data:') && r.wire === undefined && !r.failed);
  const waiters = [];
  const wake = () => { if (!inFlight()) waiters.splice(0).forEach((f) => f(true)); };
  cdp.on('Network.loadingFinished', (e) => {
    const r = get(e.requestId);
    r.wire = e.encodedDataLength;
    r.finishedAt = e.timestamp;
    if (capturing && r.type !== 'Document') {
      pending.push(cdp.send('Network.getResponseBody', { requestId: e.requestId })
        .then((b) => { r.body = Buffer.from(b.body, b.base64Encoded ? 'base64' : 'utf8'); })
        .catch((err) => { r.bodyError = err.message; }));
    }
    wake();
  });
  cdp.on('Network.loadingFailed', (e) => { get(e.requestId).failed = e.errorText; wake(); });
  return {
    cdp,
    entries: () => [...reqs.values()].filter((r) => r.url && !r.url.startsWith('data:')),
    reset: () => reqs.clear(),
    settled: () => Promise.all(pending),
    /** Resolves true once no request is in flight, or false after `ms` if some still are. */
    quiet: (ms) => new Promise((resolve) => {
      if (!inFlight()) return resolve(true);
      waiters.push(resolve);
      setTimeout(() => resolve(false), ms);
    }),
    captureBodies: (on) => { capturing = on; },
  };
}

const pathOf = (url) => { const u = new URL(url); return u.pathname + u.search; };

/**
 * Each request of a load on the page's clock (ms since navigation start, as `visible`): start
 * and finish from Resource Timing (`startTime`, `responseEnd`: both exposed cross-origin), or,
 * for a request Resource Timing does not list, from CDP timestamps shifted so the document's
 * request starts at its Resource Timing `fetchStart`. With the initiator from CDP.
 */
function timeline(requests, resources, nav) {
  const doc = requests.find((r) => r.type === 'Document');
  const shift = (ts) => (doc?.sentAt && ts ? (ts - doc.sentAt) * 1000 + (nav?.fetchStart ?? 0) : null);
  const unused = [...resources];
  const out = [];
  for (const r of requests) {
    if (r.type === 'Document' || r.failed) continue;
    const i = unused.findIndex((e) => e.name === r.url);
    const rt = i >= 0 ? unused.splice(i, 1)[0] : null;
    out.push({
      path: pathOf(r.url), kind: kind(r), method: r.method,
      initiator: r.initiator ? (r.initiator === doc?.url ? 'page' : pathOf(r.initiator)) : (r.initiatorType ?? null),
      initiatorType: r.initiatorType,
      start: rt ? rt.startTime : shift(r.sentAt), end: rt ? rt.responseEnd : shift(r.finishedAt), source: rt ? 'rt' : 'cdp',
    });
  }
  return { html: nav ? { start: nav.fetchStart, end: nav.responseEnd } : null, requests: out };
}

function kind(r) {
  const path = new URL(r.url).pathname;
  if (r.type === 'Document') return 'html';
  if (path.endsWith('.wasm') || r.mime === 'application/wasm') return 'wasm';
  if (path.startsWith('/config/')) return 'config';
  if (/\/policy$/.test(path) || r.mime === 'application/json') return 'data';
  if (path.endsWith('.css') || r.type === 'Stylesheet') return 'css';
  if (path.endsWith('.js') || r.type === 'Script') return 'js';
  return 'other';
}

/** Kelisim's receipt POST for the bench's site (what a press on its banner sends to the edge). */
const RECEIPTS_PATH = /^\/v1\/sites\/crm-demo\/receipts$/;

/**
 * The press on a loaded page: clicks the banner's accept button (Playwright moves the pointer onto
 * it, then presses and releases) and waits, on conditions only, until the detector saw the first
 * frame without the banner; for Kelisim also until its receipt POST was answered. Returns, on the
 * page's clock and relative to the press (the detector's first capture-phase `pointerdown`/`click`):
 * `gone` (banner no longer visible), `receipt` (the POST's Resource Timing `responseEnd`, Kelisim),
 * `lead` (how long before the press the pointer arrived: a product may start work on hover), and
 * every request made from the start of the press on, with the brotli size of each file's body.
 */
async function pressAccept(page, product, net) {
  const before = new Set(net.entries().map((r) => r.id));
  net.captureBodies(true);
  const stored = product.id === 'kelisim'
    ? page.waitForResponse((r) => r.request().method() === 'POST' && RECEIPTS_PATH.test(new URL(r.url()).pathname), { timeout: TIMEOUT_MS })
    : null;
  stored?.catch(() => {}); // awaited below; a click that throws first must not leave it unhandled
  await page.locator(product.acceptSelector).first().click({ timeout: TIMEOUT_MS });
  await page.waitForFunction(() => window.__bench.gone !== null, null, { timeout: TIMEOUT_MS, polling: 50 });
  let receiptStatus = null;
  if (stored) {
    const res = await stored;
    receiptStatus = res.status();
    await res.finished();
    await page.waitForFunction((src) => {
      const re = new RegExp(src);
      return performance.getEntriesByType('resource').some((e) => e.startTime >= window.__bench.press && re.test(new URL(e.name).pathname));
    }, RECEIPTS_PATH.source, { timeout: TIMEOUT_MS, polling: 50 });
  }
  const t = await page.evaluate((src) => {
    const B = window.__bench;
    const re = new RegExp(src);
    const receipt = performance.getEntriesByType('resource').find((e) => e.startTime >= B.press && re.test(new URL(e.name).pathname));
    return { via: B.pressVia, press: B.press, approach: B.approach, gone: B.gone, receiptEnd: receipt ? receipt.responseEnd : null };
  }, RECEIPTS_PATH.source);
  // What the choice set off is sized once it has arrived (Kelisim: the edge's keys, fetched to
  // check the countersignature, come after the receipt's answer).
  const quiet = await net.quiet(QUIET_MS);
  await net.settled();
  net.captureBodies(false);
  const requests = net.entries().filter((r) => !before.has(r.id)).map((r) => ({
    path: pathOf(r.url), kind: kind(r), method: r.method, status: r.wireStatus ?? r.status ?? null, failed: r.failed ?? null,
    cached: r.cached ?? null, wire: r.wire ?? null, raw: r.body ? r.body.length : null, brotli: r.body ? brotliSize(r.body) : null,
  }));
  const code = requests.filter((q) => q.method === 'GET' && !q.failed && CODE_KINDS.includes(q.kind));
  return {
    via: t.via, gone: t.gone - t.press, lead: t.approach === null ? null : t.press - t.approach,
    receipt: t.receiptEnd === null ? null : t.receiptEnd - t.press, receiptStatus,
    requests, codePaths: code.map((q) => q.path), codeBrotli: code.reduce((s, q) => s + (q.brotli ?? 0), 0),
    codeUnsized: code.filter((q) => q.brotli === null).map((q) => q.path),
    quiet,
  };
}

/**
 * One cold load on a fresh profile under `profile`: the banner's times, the requests and
 * critical path up to then, then the press on accept (its own figures, `press`); optionally the
 * repeat visit after it.
 */
async function coldLoad(product, url, { profile, repeat, capture = false }) {
  const ctx = await launchBrowser();
  try {
    await ctx.addInitScript({ content: DETECTOR.replace('__SPEC__', product.spec) });
    const page = ctx.pages()[0] ?? (await ctx.newPage());
    const net = await recordNetwork(ctx, page, { capture });
    await applyProfile(net.cdp, profile);
    await page.goto(url, { waitUntil: 'load', timeout: TIMEOUT_MS });
    await page.waitForFunction(() => window.__bench && window.__bench.interactive !== null, null, { timeout: TIMEOUT_MS, polling: 50 });
    await sleep(SETTLE_MS);
    const m = await page.evaluate(() => {
      const B = window.__bench;
      const nav = performance.getEntriesByType('navigation')[0];
      const end = B.interactive + 1000;
      const tasks = (B.longtasks ?? []).filter((t) => t.start < end);
      return {
        visible: B.visible, interactive: B.interactive, via: B.via, fcp: B.fcp, cls: B.cls, shifts: B.shifts,
        ready: window.__cmpReady ?? null,
        longtaskCount: tasks.length, longtaskMs: tasks.reduce((s, t) => s + t.duration, 0),
        tbt: tasks.reduce((s, t) => s + Math.max(0, t.duration - 50), 0),
        dcl: nav?.domContentLoadedEventEnd ?? null, load: nav?.loadEventEnd ?? null,
        nav: nav ? { fetchStart: nav.fetchStart, responseEnd: nav.responseEnd } : null,
        resources: performance.getEntriesByType('resource').map((e) => ({ name: e.name, startTime: e.startTime, responseEnd: e.responseEnd })),
      };
    });
    await net.settled();
    // What a first visit loads: everything requested before the press.
    m.requests = net.entries();
    m.timeline = timeline(m.requests, m.resources, m.nav);
    delete m.resources;
    // The press on accept, in every load. A press that fails keeps the load's other figures.
    try {
      m.press = await pressAccept(page, product, net);
    } catch (e) {
      m.press = null;
      m.pressError = e.message.split('\n')[0];
    }
    m.acceptStatus = m.press?.receiptStatus ?? null;
    if (repeat && m.press) {
      // The choice is kept (Kelisim: its receipt POST answered, awaited by pressAccept; the peers
      // write a cookie at once): come back to the same URL.
      await sleep(500);
      net.reset();
      await page.goto(url, { waitUntil: 'load', timeout: TIMEOUT_MS });
      await sleep(1500);
      const after = await page.evaluate(() => ({ bannerShown: window.__bench.visible !== null }));
      m.repeat = { ...after, requests: net.entries().filter((r) => r.type !== 'Document') };
    }
    return m;
  } finally {
    await ctx.close();
  }
}

/** Raw and brotli sizes of every file of a cold load, from the bodies the browser received. */
function fileSizes(requests) {
  const out = [];
  for (const r of requests) {
    const k = kind(r);
    if (k === 'html' || r.method !== 'GET' || r.failed) continue;
    if (!r.body) throw new Error(`no body captured for ${r.url}: ${r.bodyError ?? 'unknown'}`);
    const body = r.body;
    out.push({ url: r.url, path: new URL(r.url).pathname + new URL(r.url).search, kind: k, raw: body.length, brotli: brotliSize(body), wire: r.wire ?? null, encoding: r.encoding ?? null });
  }
  return out;
}

function summarise(runs) {
  const pick = (f) => runs.map(f).filter((x) => x !== null && x !== undefined);
  const stat = (f) => ({ median: median(pick(f)), p90: percentile(pick(f), 90), min: Math.min(...pick(f)), max: Math.max(...pick(f)) });
  return {
    n: runs.length,
    visible: stat((r) => r.visible), interactive: stat((r) => r.interactive), fcp: stat((r) => r.fcp),
    ready: stat((r) => r.ready),
    cls: stat((r) => r.cls), clsMax: Math.max(...pick((r) => r.cls)),
    longtaskCount: stat((r) => r.longtaskCount), longtaskMs: stat((r) => r.longtaskMs), tbt: stat((r) => r.tbt),
    via: [...new Set(pick((r) => r.via))],
    // The press on accept (`pressAccept`): ms from the press, on the page's clock.
    pressed: pick((r) => r.press).length,
    pressErrors: pick((r) => r.pressError),
    pressToGone: stat((r) => r.press?.gone), receiptAnswered: stat((r) => r.press?.receipt),
    pointerLead: stat((r) => r.press?.lead), choiceCodeBrotli: stat((r) => r.press?.codeBrotli),
    choiceCodePaths: [...new Set(pick((r) => r.press?.codePaths).flat())],
    pressVia: [...new Set(pick((r) => r.press?.via))],
  };
}

const CODE_KINDS = ['js', 'wasm', 'css'];
const DATA_KINDS = ['config', 'data'];

/** The most frequent value of a list (ties: the first seen). */
function mode(values) {
  const counts = new Map();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  let best = null;
  let n = 0;
  for (const [v, c] of counts) if (c > n) { best = v; n = c; }
  return best;
}

/**
 * The critical path of one product in one profile, over its loads: each request's median start
 * and finish (page clock) and who started it, the page's own HTML, the banner's median visible
 * and interactive times, and what the banner waited for — the code and data requests whose median
 * finish comes before the median visible time — with their brotli sizes (from `sizes`, by path).
 */
function criticalPath(runs, sizes) {
  const byPath = new Map();
  for (const r of runs) {
    for (const q of r.timeline?.requests ?? []) {
      if (q.method !== 'GET') continue;
      if (!byPath.has(q.path)) byPath.set(q.path, { path: q.path, kind: q.kind, initiators: [], starts: [], ends: [] });
      const g = byPath.get(q.path);
      g.initiators.push(q.initiator);
      if (q.start !== null) g.starts.push(q.start);
      if (q.end !== null) g.ends.push(q.end);
    }
  }
  const visible = median(runs.map((r) => r.visible));
  const interactive = median(runs.map((r) => r.interactive));
  const html = { start: median(runs.map((r) => r.timeline?.html?.start)), end: median(runs.map((r) => r.timeline?.html?.end)) };
  const requests = [...byPath.values()].map((g) => ({
    path: g.path, kind: g.kind, initiator: mode(g.initiators), loads: g.initiators.length,
    start: median(g.starts), end: median(g.ends), brotli: sizes.get(g.path)?.brotli ?? null,
    beforeVisible: visible !== null && median(g.ends) !== null && median(g.ends) <= visible,
  })).sort((a, b) => (a.start ?? Infinity) - (b.start ?? Infinity));
  const waited = requests.filter((q) => q.beforeVisible && [...CODE_KINDS, ...DATA_KINDS].includes(q.kind));
  const sum = (list) => list.reduce((t, q) => t + (q.brotli ?? 0), 0);
  return {
    html, visible, interactive, requests,
    waitedFor: {
      paths: waited.map((q) => q.path),
      codeBrotli: sum(waited.filter((q) => CODE_KINDS.includes(q.kind))),
      dataBrotli: sum(waited.filter((q) => DATA_KINDS.includes(q.kind))),
      unsized: waited.filter((q) => q.brotli === null).map((q) => q.path),
    },
  };
}

/**
 * The repeat visits (same profile, after accepting). Besides requests and bytes: the code
 * (JS, wasm, CSS) that came over the network again — a 200 with a body is a re-download; a 304
 * is a revalidation (headers only), counted apart.
 */
function repeatSummary(runs) {
  const reps = runs.filter((r) => r.repeat);
  if (reps.length === 0) return null;
  const per = reps.map((r) => {
    const network = r.repeat.requests.filter((q) => !q.cached);
    const code = network.filter((q) => CODE_KINDS.includes(kind(q)));
    const redownloaded = code.filter((q) => (q.wireStatus ?? q.status) !== 304);
    return {
      requests: r.repeat.requests.length, network: network.length, cached: r.repeat.requests.length - network.length,
      bytes: network.reduce((s, q) => s + (q.wire ?? 0), 0), bannerShown: r.repeat.bannerShown, acceptStatus: r.acceptStatus,
      codeRedownloads: redownloaded.length, codeBytes: redownloaded.reduce((s, q) => s + (q.wire ?? 0), 0),
      codeRevalidations: code.length - redownloaded.length,
      list: r.repeat.requests.map((q) => ({ path: new URL(q.url).pathname, kind: kind(q), status: q.wireStatus ?? q.status ?? null, cached: q.cached ?? null, wire: q.wire ?? null })),
    };
  });
  const med = (f) => median(per.map(f));
  return {
    n: per.length, requests: med((p) => p.requests), network: med((p) => p.network), cached: med((p) => p.cached), bytes: med((p) => p.bytes),
    codeRedownloads: Math.max(...per.map((p) => p.codeRedownloads)), codeBytes: Math.max(...per.map((p) => p.codeBytes)),
    codeRevalidations: Math.max(...per.map((p) => p.codeRevalidations)),
    bannerShown: per.some((p) => p.bannerShown), acceptFailed: per.filter((p) => p.acceptStatus !== null && p.acceptStatus >= 300).length,
    example: per[0],
  };
}

/**
 * The equal pages, served: one per product and `/bare.html` (the same page with no consent
 * manager), with crm-demo told to accept receipts from their origin. Returns { server, all, bareUrl }.
 */
export async function equalPages(stack) {
  const policy = JSON.parse(await readFile(POLICY_FILE, 'utf8'));
  const S = russianStrings();
  const ours = existsSync(join(ROOT, 'www/dist/v1/kelisim.js'));
  const all = products(stack.edgeUrl, policy, S).filter((p) => p.id !== 'kelisim' || ours);
  const server = await servePages(all, { '/bare.html': barePage(policy) });
  // The bench page posts receipts for crm-demo from its own origin.
  const site = await stack.admin('GET', '/v1/sites/crm-demo');
  const origins = [...new Set([...(site.json?.origins ?? []), server.url])];
  const put = await stack.admin('PUT', '/v1/sites/crm-demo', { body: { origins } });
  if (put.status >= 300) { await server.close(); throw new Error(`widget: site origins: ${put.status} ${put.text}`); }
  return { server, all, ours, bareUrl: `${server.url}/bare.html` };
}

/**
 * The widget section, in both profiles. Returns per product: sizes (from the first measured load's
 * bodies) and, per profile, timing summaries, the critical path and the repeat visits.
 */
export async function benchWidget(stack, { quick }) {
  const loads = quick ? 5 : 20;
  const repeats = quick ? 1 : 3;
  const profiles = Object.values(PROFILES);
  const { server, all, ours } = await equalPages(stack);
  const results = {};
  try {
    for (const p of all) {
      results[p.id] = { product: p, captured: null, errors: [], profiles: Object.fromEntries(profiles.map((f) => [f.id, { runs: [], errors: [] }])) };
    }
    log(`widget: warm-up load of each (discarded), then ${loads} cold loads each in ${profiles.length} profiles, interleaved`);
    for (const p of all) {
      await coldLoad(p, `${server.url}/${p.id}.html`, { profile: PROFILES.unthrottled, repeat: false }).catch((e) => results[p.id].errors.push(`warm-up: ${e.message}`));
    }
    for (let i = 0; i < loads; i++) {
      // Profiles alternate which goes first; within one, the first product of each round rotates.
      const rounds = i % 2 ? [...profiles].reverse() : profiles;
      for (const profile of rounds) {
        const order = all.map((_, j) => all[(i + j) % all.length]);
        for (const p of order) {
          const slot = results[p.id].profiles[profile.id];
          try {
            const capture = results[p.id].captured === null; // the first measured load keeps the bodies, for the sizes
            const m = await coldLoad(p, `${server.url}/${p.id}.html`, { profile, repeat: i < repeats, capture });
            if (capture) results[p.id].captured = m;
            slot.runs.push(m);
          } catch (e) {
            slot.errors.push(e.message.split('\n')[0]);
          }
        }
      }
      if ((i + 1) % 5 === 0 || i + 1 === loads) log(`widget: ${i + 1}/${loads} rounds`);
    }
    const out = {};
    for (const [id, r] of Object.entries(results)) {
      const first = r.captured;
      const files = first ? fileSizes(first.requests) : [];
      // What the press of the same load requested (sized from its bodies): "code a choice loads".
      const choiceFiles = (first?.press?.requests ?? []).filter((q) => q.method === 'GET' && !q.failed && q.kind !== 'html')
        .map(({ path, kind: k, raw, brotli, wire, status }) => ({ path, kind: k, raw, brotli, wire, status }));
      const sizes = new Map(files.map((f) => [f.path, f]));
      out[id] = {
        name: r.product.name, version: r.product.version, tag: r.product.tag,
        files,
        choiceFiles: first?.press ? choiceFiles : null,
        choiceRequests: first?.press ? first.press.requests : null,
        requests: first ? first.requests.map(({ body, ...q }) => q) : [],
        errors: r.errors,
        profiles: Object.fromEntries(Object.entries(r.profiles).map(([pid, slot]) => [pid, {
          timing: slot.runs.length ? summarise(slot.runs) : null,
          path: slot.runs.length ? criticalPath(slot.runs, sizes) : null,
          repeat: repeatSummary(slot.runs),
          errors: slot.errors,
        }])),
      };
    }
    return { loads, repeats, settleMs: SETTLE_MS, ours, profiles: PROFILES, products: out, pagesUrl: server.url };
  } finally {
    await server.close();
  }
}
