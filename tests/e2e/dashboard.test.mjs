// The operator dashboard in Chromium against the edge on real workerd: sign-in, the receipts
// table with its filters and pagination, a receipt's verification verdict, subject history, the
// opt-in chart, exports, errors; with no console errors and no request leaving the edge's origin.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { access, cp, mkdir, readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT, startStack } from '../lib/stack.mjs';
import { launchBrowser } from '../lib/browser.mjs';
import { canonical, makeSubmission, sha256hex, visitorKey } from '../lib/receipt.mjs';

const SITE = 'crm-demo';
const SRC = join(ROOT, 'www/dashboard');
const DIST = join(ROOT, 'www/dist/dashboard');
const ARTIFACTS = join(ROOT, 'tests/artifacts');

let stack;
let browser;
let served;
/** What the test posted: { id, subject, action, claims, hash }, oldest first. */
const posted = [];
const subjects = {};
let statsAvailable = false;
let exportAvailable = false;

async function exists(path) {
  try { await access(path); return true; } catch { return false; }
}

async function post(key, options = {}) {
  const { subject, hash: prevHash } = options.after ?? {};
  if (subject && key) assert.equal(key.thumbprint, subject);
  const sub = makeSubmission(served, { key, prev: prevHash ?? null, ...options });
  const res = await stack.api('POST', `/v1/sites/${SITE}/receipts`, { body: sub });
  assert.equal(res.status, 201, res.text);
  const entry = { id: sub.claims.id, subject: sub.claims.subject, action: sub.claims.action, claims: sub.claims, hash: sha256hex(canonical(sub.claims)) };
  posted.push(entry);
  return entry;
}

before(async () => {
  // `./x build` copies the dashboard into the assets; a test run without a build still works.
  if (!(await exists(join(DIST, 'index.html')))) {
    await mkdir(DIST, { recursive: true });
    await cp(SRC, DIST, { recursive: true });
  }
  await mkdir(ARTIFACTS, { recursive: true });
  stack = await startStack({ name: 'dashboard' });
  served = (await stack.api('GET', `/v1/sites/${SITE}/policy`)).json;

  // alice: three chained receipts; bob: two; carol: one unsigned; dave: one under GPC.
  const alice = visitorKey();
  const a1 = await post(alice, { action: 'accept_all' });
  const a2 = await post(alice, { action: 'custom', decisions: { analytics: 'granted', marketing: 'denied', cross_border: 'granted', ai_processing: 'denied' }, after: a1 });
  await post(alice, { action: 'reject_all', after: a2 });
  const bob = visitorKey();
  const b1 = await post(bob, { action: 'reject_all' });
  await post(bob, { action: 'custom', decisions: { analytics: 'granted' }, after: b1 });
  await post(null, { action: 'accept_all' });
  await post(visitorKey(), { action: 'gpc_default', gpc: true });
  subjects.alice = a1.subject;
  subjects.bob = b1.subject;

  statsAvailable = (await stack.admin('GET', `/v1/sites/${SITE}/stats`)).status === 200;
  exportAvailable = (await stack.admin('GET', `/v1/sites/${SITE}/export?format=csv`)).status === 200;
  // An English-speaking browser: these tests read the dashboard's English texts.
  browser = await launchBrowser({ viewport: { width: 1280, height: 900 }, acceptDownloads: true, locale: 'en-US' });
});

after(async () => {
  await browser?.close();
  await stack?.stop();
});

/** A new page on the dashboard (in `context`, the English browser by default) that records console errors and every request's URL. */
async function openDashboard(context = browser) {
  const page = await context.newPage();
  const errors = [];
  const requests = [];
  page.on('console', (msg) => { if (msg.type() === 'error') errors.push(msg.text()); });
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  page.on('request', (req) => requests.push(req.url()));
  await page.goto(`${stack.edgeUrl}/dashboard/`);
  await page.waitForSelector('#signin-view:not([hidden]), #app-view:not([hidden])');
  return { page, errors, requests };
}

/** Every request went to the edge (blob: URLs of downloads carry the page's origin). */
function assertOnlyEdge(requests) {
  const edge = new URL(stack.edgeUrl).origin;
  const others = requests.filter((url) => new URL(url).origin !== edge);
  assert.deepEqual(others, [], 'requests to other origins');
}

async function signIn(page, token = stack.adminToken, site = SITE) {
  await page.fill('#signin-token', token);
  await page.fill('#signin-site', site);
  await page.click('#signin-submit');
}

/** Waits until the receipts table has finished loading and returns its rows' data. */
async function tableRows(page) {
  await page.waitForSelector('#receipts-table[data-state="ready"]');
  return page.$$eval('#receipts-body tr', (rows) => rows.map((r) => ({
    id: r.dataset.id, subject: r.dataset.subject,
    time: r.querySelector('time')?.getAttribute('datetime'),
    shown: r.children[1].textContent, title: r.children[1].title,
  })));
}

/** Waits for the details dialog to finish loading; fails with its text when it shows an error. */
async function detailReady(page) {
  await page.waitForSelector('#detail[open]:is([data-state="ready"], [data-state="error"])');
  assert.equal(await page.getAttribute('#detail', 'data-state'), 'ready', await page.textContent('#detail-body'));
}

/** Waits until the dialog is closed and its close handler (fragment, focus) has run. */
async function detailClosed(page) {
  await page.waitForFunction(() => {
    const dialog = document.querySelector('#detail');
    return !dialog.open && dialog.dataset.state === 'closed';
  });
}

async function applyFilters(page, fill) {
  await fill();
  await page.evaluate(() => { document.querySelector('#receipts-table').dataset.state = 'stale'; });
  await page.click('#filters-apply');
  return tableRows(page);
}

describe('dashboard', () => {
  test('static files: no inline script, style or handler, no HTML parsing of data, no external URL', async () => {
    const files = await readdir(SRC);
    for (const f of ['index.html', 'dashboard.css', 'dashboard.js']) assert.ok(files.includes(f), f);
    const html = await readFile(join(SRC, 'index.html'), 'utf8');
    for (const m of html.matchAll(/<script\b[^>]*>([\s\S]*?)<\/script>/gi)) {
      assert.match(m[0], /\bsrc=/, 'every script is external');
      assert.equal(m[1].trim(), '', 'no inline script body');
    }
    assert.doesNotMatch(html, /<style\b/i);
    assert.doesNotMatch(html, /\sstyle\s*=/i);
    assert.doesNotMatch(html, /\son[a-z]+\s*=/i);
    assert.doesNotMatch(html, /javascript:/i);
    for (const f of files) {
      const text = await readFile(join(SRC, f), 'utf8');
      assert.doesNotMatch(text, /https?:\/\/(?!www\.w3\.org\/2000\/svg)/, `${f}: no external URL`);
      assert.doesNotMatch(text, /@import|url\(\s*['"]?https?:/i, `${f}: no external CSS`);
      if (f.endsWith('.js')) {
        assert.doesNotMatch(text, /\.(innerHTML|outerHTML)\s*=|insertAdjacentHTML|document\.write|\beval\(|new Function\(/, `${f}: no HTML parsing`);
      }
    }
  });

  test('the dashboard is sent with a CSP that forbids framing and X-Frame-Options (headers, not a meta tag)', async () => {
    for (const path of ['/dashboard/', '/dashboard/index.html', '/dashboard/dashboard.js']) {
      const res = await fetch(`${stack.edgeUrl}${path}`);
      await res.arrayBuffer();
      assert.equal(res.status, 200, path);
      const csp = res.headers.get('content-security-policy') ?? '';
      assert.match(csp, /(^|;)\s*frame-ancestors 'none'\s*(;|$)/, `${path}: ${csp}`);
      assert.match(csp, /(^|;)\s*default-src 'none'\s*(;|$)/, `${path}: ${csp}`);
      assert.match(csp, /(^|;)\s*script-src 'self'\s*(;|$)/, `${path}: ${csp}`);
      assert.equal(res.headers.get('x-frame-options'), 'DENY', path);
    }
  });

  test('sign in, every posted receipt newest first, a receipt VALID, its subject history', async () => {
    const { page, errors, requests } = await openDashboard();
    assert.equal(await page.isVisible('#signin-view'), true);
    await signIn(page);
    await page.waitForSelector('#app-view:not([hidden])');
    assert.equal(await page.textContent('#session-site'), SITE);

    const rows = await tableRows(page);
    assert.equal(rows.length, posted.length);
    assert.deepEqual(new Set(rows.map((r) => r.id)), new Set(posted.map((p) => p.id)));
    const times = rows.map((r) => Date.parse(r.time));
    assert.deepEqual(times, [...times].sort((a, b) => b - a), 'newest first');
    const first = rows[0];
    assert.equal(first.title, first.subject, 'the full subject is in the title');
    assert.ok(first.shown.length < first.subject.length, 'the subject is shortened');
    assert.equal(await page.isHidden('#load-more'), true);

    // A chained receipt: VALID, the previous receipt held, the subject's history one link away.
    const target = posted[2];
    await page.click(`#receipts-body tr[data-id="${target.id}"] td:nth-child(3)`);
    await detailReady(page);
    assert.equal(await page.textContent('#verdict .verdict-title'), 'VALID');
    assert.equal(await page.getAttribute('#verdict', 'data-valid'), 'true');
    const body = await page.textContent('#detail-body');
    for (const text of [target.id, target.subject, target.hash, target.claims.prev, 'held', 'EdDSA']) assert.ok(body.includes(text), text);
    assert.equal(await page.evaluate(() => window.location.hash), `#receipt/${target.id}`);
    for (const check of ['edge_signature', 'hash', 'visitor_signature']) {
      assert.equal(await page.textContent(`[data-check="${check}"] .badge`), 'valid');
    }
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-receipt.png') });

    await page.click('#detail .subject-link');
    await page.waitForSelector('#subject-view');
    await page.waitForSelector('#detail[data-state="ready"]');
    const history = await page.$$eval('#subject-receipts tbody tr', (trs) => trs.map((tr) => tr.dataset.id));
    assert.deepEqual(new Set(history), new Set(posted.filter((p) => p.subject === target.subject).map((p) => p.id)));
    assert.ok((await page.textContent('#subject-view')).includes('Reject all'), 'the current choice is the newest receipt');

    // Escape closes the dialog and clears the fragment.
    await page.keyboard.press('Escape');
    await detailClosed(page);
    assert.equal(await page.evaluate(() => window.location.hash), '');

    if (statsAvailable) await page.waitForSelector('#chart[data-state="ready"] svg');
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard.png'), fullPage: true });

    // Narrow screens: nothing wider than the viewport but the table's own scroller.
    await page.setViewportSize({ width: 390, height: 844 });
    if (statsAvailable) await page.waitForFunction(() => document.querySelector('#chart svg')?.getAttribute('width') <= 390);
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'no horizontal page scroll');
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-narrow.png'), fullPage: true });
    assert.deepEqual(errors, []);
    assertOnlyEdge(requests);
    await page.close();
  });

  test('a bad token shows a readable error and nothing is kept', async () => {
    const { page, errors, requests } = await openDashboard();
    await signIn(page, 'not-a-real-token');
    await page.waitForSelector('#signin-error:not([hidden])');
    assert.match(await page.textContent('#signin-error'), /token invalid or lacks scope/i);
    assert.equal(await page.isHidden('#app-view'), true);
    assert.equal(await page.evaluate(() => sessionStorage.length), 0);
    assert.equal(await page.getAttribute('#signin-token', 'aria-invalid'), 'true');
    // The only console output is the browser reporting the refused request itself.
    assert.deepEqual(errors.filter((e) => !/Failed to load resource.*\b401\b/.test(e)), []);
    // A malformed site id is refused before any request.
    const sent = requests.length;
    await signIn(page, stack.adminToken, 'Not A Site');
    await page.waitForFunction(() => /site id/i.test(document.querySelector('#signin-error').textContent));
    assert.equal(requests.length, sent);
    // The admin token reads any site id; a typo is refused at sign-in rather than shown as an empty site.
    await signIn(page, stack.adminToken, 'no-such-site');
    await page.waitForFunction(() => /unknown site/i.test(document.querySelector('#signin-error').textContent));
    assert.match(await page.textContent('#signin-error'), /no-such-site.*unknown_site/);
    assert.equal(await page.getAttribute('#signin-site', 'aria-invalid'), 'true');
    assert.equal(await page.isHidden('#app-view'), true);
    assert.equal(await page.evaluate(() => sessionStorage.length), 0);
    assert.deepEqual(errors.filter((e) => !/Failed to load resource.*\b(401|404)\b/.test(e)), []);
    assertOnlyEdge(requests);
    await page.close();
  });

  test('a read-only site token: reading works, exporting says the token lacks scope', async (t) => {
    const created = await stack.admin('POST', `/v1/sites/${SITE}/tokens`, { body: { scopes: ['read'], label: 'dashboard test' } });
    if (created.status !== 201) return t.skip(`POST /tokens answered ${created.status}`);
    const { page, errors, requests } = await openDashboard();
    // The token is for crm-demo: another site is refused at sign-in.
    await signIn(page, created.json.token, 'services-demo');
    await page.waitForSelector('#signin-error:not([hidden])');
    assert.match(await page.textContent('#signin-error'), /token invalid or lacks scope/i);
    await signIn(page, created.json.token, SITE);
    assert.equal((await tableRows(page)).length, posted.length);
    if (exportAvailable) {
      await page.click('#export-csv');
      await page.waitForSelector('#app-error:not([hidden])');
      assert.match(await page.textContent('#app-error-text'), /^Export: token invalid or lacks scope/i);
      await page.click('#app-error-dismiss');
      assert.equal(await page.isHidden('#app-error'), true);
    }
    assert.deepEqual(errors.filter((e) => !/Failed to load resource.*\b403\b/.test(e)), []);
    assertOnlyEdge(requests);
    await page.close();
  });

  test('the session survives a reload, keyboard opens a receipt, sign out forgets the token', async () => {
    const { page, errors, requests } = await openDashboard();
    await signIn(page);
    await tableRows(page);
    await page.reload();
    assert.equal((await tableRows(page)).length, posted.length, 'still signed in after a reload');
    assert.equal(await page.evaluate((k) => sessionStorage.getItem(k), 'kelisim.dashboard.site'), SITE);

    // Keyboard: focus the first row's link, Enter opens the details, Escape returns focus.
    await page.focus('#receipts-body tr:first-child a.row-link');
    await page.keyboard.press('Enter');
    await detailReady(page);
    await page.keyboard.press('Escape');
    await detailClosed(page);
    assert.equal(await page.evaluate(() => document.activeElement?.classList.contains('row-link')), true);

    // A receipt link opens directly once signed in.
    await page.goto(`${stack.edgeUrl}/dashboard/#receipt/${posted[0].id}`);
    await detailReady(page);
    assert.equal(await page.textContent('#verdict .verdict-title'), 'VALID');
    await page.click('#detail-close');

    await page.click('#sign-out');
    await page.waitForSelector('#signin-view:not([hidden])');
    assert.equal(await page.evaluate(() => sessionStorage.length), 0);
    assert.equal(await page.$$eval('#receipts-body tr', (r) => r.length), 0);
    await page.reload();
    await page.waitForSelector('#signin-view:not([hidden])');
    assert.deepEqual(errors, []);
    assertOnlyEdge(requests);
    await page.close();
  });

  test('filters: subject, category + decision, time range; load more follows the cursor', async () => {
    const { page, errors, requests } = await openDashboard();
    await signIn(page);
    await tableRows(page);

    let rows = await applyFilters(page, () => page.fill('#filter-subject', subjects.alice));
    assert.equal(rows.length, 3);
    assert.ok(rows.every((r) => r.subject === subjects.alice));

    rows = await applyFilters(page, async () => {
      await page.fill('#filter-subject', '');
      await page.selectOption('#filter-category', 'analytics');
      await page.selectOption('#filter-decision', 'granted');
    });
    const granted = posted.filter((p) => p.claims.decisions.analytics === 'granted');
    assert.deepEqual(new Set(rows.map((r) => r.id)), new Set(granted.map((p) => p.id)));

    rows = await applyFilters(page, () => page.selectOption('#filter-decision', 'denied'));
    assert.equal(rows.length, posted.length - granted.length);

    // A range after every receipt is empty; a malformed subject is refused with a message.
    rows = await applyFilters(page, async () => {
      await page.selectOption('#filter-category', '');
      await page.fill('#filter-from', '2999-01-01T00:00:00');
    });
    assert.equal(rows.length, 0);
    assert.equal(await page.isVisible('#receipts-empty'), true);
    if (statsAvailable) await page.waitForSelector('#chart[data-state="empty"]');
    // A range around now holds everything; the chart follows it day by day.
    const day = (offset) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
    rows = await applyFilters(page, async () => {
      await page.fill('#filter-from', `${day(-1)}T00:00:00`);
      await page.fill('#filter-to', `${day(2)}T00:00:00`);
    });
    assert.equal(rows.length, posted.length);
    if (statsAvailable) {
      await page.waitForSelector('#chart[data-state="ready"] svg');
      assert.match(await page.textContent('#chart-range'), new RegExp(`${day(-1)} to ${day(1)}`));
    }
    await page.fill('#filter-to', '');
    await page.fill('#filter-subject', 'not a subject');
    await page.click('#filters-apply');
    await page.waitForSelector('#filters-error:not([hidden])');
    assert.equal(await page.getAttribute('#filter-subject', 'aria-invalid'), 'true');

    // Reset, then pages of 5: the cursor brings the rest.
    await page.click('#filters-reset');
    await tableRows(page);
    rows = await applyFilters(page, () => page.selectOption('#filter-limit', '5'));
    assert.equal(rows.length, 5);
    assert.equal(await page.isVisible('#load-more'), true);
    await page.evaluate(() => { document.querySelector('#receipts-table').dataset.state = 'stale'; });
    await page.click('#load-more');
    rows = await tableRows(page);
    assert.equal(rows.length, posted.length);
    assert.equal(new Set(rows.map((r) => r.id)).size, posted.length, 'no row twice');
    assert.equal(await page.isHidden('#load-more'), true);
    assert.equal(await page.evaluate(() => document.activeElement?.classList.contains('row-link')), true, 'focus moves to the new rows');

    // "Show only this subject's receipts" from a receipt's details.
    await page.click(`#receipts-body tr[data-subject="${subjects.bob}"] a.row-link`);
    await detailReady(page);
    await page.evaluate(() => { document.querySelector('#receipts-table').dataset.state = 'stale'; });
    await page.click('#detail .actions button:has-text("this subject")');
    rows = await tableRows(page);
    assert.equal(rows.length, 2);
    assert.ok(rows.every((r) => r.subject === subjects.bob));
    assert.deepEqual(errors, []);
    assertOnlyEdge(requests);
    await page.close();
  });

  test('the opt-in chart: one line per category, a legend, a data table', async (t) => {
    if (!statsAvailable) return t.skip('GET /stats not available on this edge');
    const { page, errors, requests } = await openDashboard();
    await signIn(page);
    await page.waitForSelector('#chart[data-state="ready"] svg');
    const svg = await page.$eval('#chart svg', (el) => ({
      role: el.getAttribute('role'), label: el.getAttribute('aria-label'),
      lines: [...el.querySelectorAll('.series')].map((g) => g.dataset.category),
      dots: el.querySelectorAll('.series .dot').length,
      texts: [...el.querySelectorAll('.axis text')].map((x) => x.textContent),
    }));
    const ids = served.policy.categories.map((c) => c.id);
    assert.equal(svg.role, 'img');
    assert.match(svg.label, /opt-in rate/i);
    assert.deepEqual(svg.lines, ids, 'one line per category, in the policy order');
    assert.ok(svg.dots >= ids.length);
    for (const tick of ['0%', '50%', '100%']) assert.ok(svg.texts.includes(tick), tick);
    assert.deepEqual(await page.$$eval('#chart-legend li', (lis) => lis.map((li) => li.dataset.category)), ids);

    // Today's analytics rate in the hidden table matches what was posted.
    const decided = posted.filter((p) => p.claims.decisions.analytics);
    const yes = decided.filter((p) => p.claims.decisions.analytics === 'granted').length;
    const expected = `${Math.round((yes / decided.length) * 100)}% (${yes}/${decided.length})`;
    const table = await page.$eval('#chart-table', (el) => ({ text: el.textContent, hidden: el.parentElement.classList.contains('visually-hidden') }));
    assert.ok(table.hidden, 'the table is visually hidden until asked for');
    assert.ok(table.text.includes(expected), `${expected} in ${table.text}`);
    await page.click('#chart-table-toggle');
    assert.equal(await page.getAttribute('#chart-table-toggle', 'aria-expanded'), 'true');
    assert.equal(await page.isVisible('#chart-table'), true);
    assert.deepEqual(errors, []);
    assertOnlyEdge(requests);
    await page.close();
  });

  test('exports download through fetch with the token', async (t) => {
    if (!exportAvailable) return t.skip('GET /export not available on this edge');
    const { page, errors, requests } = await openDashboard();
    await signIn(page);
    await tableRows(page);
    for (const [button, lines] of [['#export-csv', posted.length + 1], ['#export-ndjson', posted.length]]) {
      const [download] = await Promise.all([page.waitForEvent('download'), page.click(button)]);
      const text = await readFile(await download.path(), 'utf8');
      assert.equal(text.trim().split('\n').length, lines, button);
      if (button === '#export-csv') assert.match(text, /^id,server_time,client_time,subject,/);
      else assert.deepEqual(new Set(text.trim().split('\n').map((l) => JSON.parse(l).receipt.claims.id)), new Set(posted.map((p) => p.id)));
      await page.waitForFunction(() => /Downloaded/.test(document.querySelector('#export-status').textContent));
    }
    assert.equal(requests.filter((u) => u.includes('/export?')).length, 2);
    assert.ok(requests.every((u) => !u.includes(stack.adminToken)), 'the token never goes in a URL');
    assert.deepEqual(errors, []);
    assertOnlyEdge(requests);
    await page.close();
  });

  test('an INVALID verdict shows its reasons, and hostile fields stay text', async () => {
    const { page, errors, requests } = await openDashboard();
    const target = posted[0];
    const hostile = '<img src=x id=pwned>';
    // The edge refuses such receipts, so the answer is altered on its way to the page.
    await page.route(`**/v1/sites/${SITE}/receipts/${target.id}`, async (route) => {
      const res = await route.fetch();
      const view = await res.json();
      view.valid = false;
      view.verification.edge_signature = { status: 'invalid', reason: `signature does not match ${hostile}` };
      view.signed.receipt.claims.client_time = hostile;
      await route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify(view) });
    });
    await signIn(page);
    await tableRows(page);
    await page.click(`#receipts-body tr[data-id="${target.id}"] a.row-link`);
    await detailReady(page);
    assert.equal(await page.textContent('#verdict .verdict-title'), 'INVALID');
    assert.match(await page.textContent('#verdict .verdict-reasons'), /Edge signature: signature does not match <img src=x id=pwned>/);
    assert.equal(await page.$('#pwned'), null, 'no element from the data');
    assert.ok((await page.textContent('#detail-body')).includes(hostile));
    assert.deepEqual(errors, []);
    assertOnlyEdge(requests);
    await page.close();
  });
});

// ---------- the dashboard in Russian (and Kazakh), the language picker ----------

/** The dashboard's own text tables, read from the module the page runs. */
const { TEXTS } = await import(pathToFileURL(join(SRC, 'i18n.js')).href);
const textsOf = (table) => Object.values(table).flatMap((e) => (typeof e === 'string' ? [e] : Object.values(e)));

/**
 * The English phrases of the en table (the literal parts around each `{value}`) that no Russian
 * text shares (like "CSV" or "Global Privacy Control"): none may show on a Russian page.
 */
const ENGLISH_PHRASES = (() => {
  const russian = textsOf(TEXTS.ru).join('\n');
  const phrases = new Set();
  for (const text of textsOf(TEXTS.en)) {
    for (const part of text.split(/\{\w+\}/)) {
      const phrase = part.replace(/^[\s,.:;()“”‘’…—-]+|[\s,.:;()“”‘’…—-]+$/g, '');
      if (/[A-Za-z]{3}/.test(phrase) && !russian.includes(phrase)) phrases.add(phrase);
    }
  }
  return [...phrases];
})();

/** What a person sees or hears in `selector`: rendered text, labels, tooltips, placeholders, chart titles. */
async function visibleWords(page, selector) {
  return page.$eval(selector, (root) => {
    const shown = (node) => node.getClientRects().length > 0 || node.closest('svg');
    const attrs = [...root.querySelectorAll('[aria-label], [title], [placeholder]')].filter(shown)
      .flatMap((node) => ['aria-label', 'title', 'placeholder'].map((a) => node.getAttribute(a)).filter(Boolean));
    const svgTitles = [...root.querySelectorAll('svg title')].map((node) => node.textContent);
    return [root.innerText, ...attrs, ...svgTitles].join('\n');
  });
}

/** Fails naming every English phrase of the dashboard's own that shows in `selector`. */
async function assertNoEnglish(page, selector) {
  const words = await visibleWords(page, selector);
  const escape = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const found = ENGLISH_PHRASES.filter((phrase) => new RegExp(`(^|[^A-Za-z])${escape(phrase)}($|[^A-Za-z])`).test(words));
  assert.deepEqual(found, [], `English left in ${selector}:\n${words}`);
}

/** Chooses `code` in the header's language menu and waits until the page speaks it. */
async function pickLanguage(page, code) {
  await page.selectOption('#lang-select', code);
  await page.waitForFunction((c) => document.documentElement.lang === c, code);
}

const headers = (page, selector) => page.$$eval(`${selector} th[scope="col"]`, (ths) => ths.map((th) => th.textContent));

describe('dashboard languages', () => {
  let russian; // a browser whose only language is Russian

  before(async () => {
    russian = await launchBrowser({ viewport: { width: 1280, height: 900 }, acceptDownloads: true, locale: 'ru-RU' });
  });
  after(async () => { await russian?.close(); });

  test('the text tables: every key in ru, Kazakh only for known keys, the English phrases found', () => {
    assert.deepEqual(Object.keys(TEXTS.ru).sort(), Object.keys(TEXTS.en).sort(), 'ru has every en key');
    assert.deepEqual(Object.keys(TEXTS.kk).filter((k) => !(k in TEXTS.en)), [], 'kk has no key en lacks');
    for (const phrase of ['Sign in', 'Receipts', 'Export CSV', 'Opt-in rate per category', 'Fork in this subject’s chain']) {
      assert.ok(ENGLISH_PHRASES.includes(phrase), phrase);
    }
  });

  test('a Russian browser gets the dashboard in Russian: sign-in, receipts, exports, statistics, receipt and subject views', async () => {
    const { page, errors, requests } = await openDashboard(russian);
    assert.equal(await page.getAttribute('html', 'lang'), 'ru');
    assert.equal(await page.inputValue('#lang-select'), 'ru');
    assert.equal(await page.textContent('#signin-title'), 'Вход');
    assert.equal(await page.textContent('label[for="signin-token"]'), 'Токен оператора');
    assert.equal(await page.textContent('#signin-submit'), 'Войти');
    assert.equal(await page.title(), 'Kelisim · Панель оператора');
    await assertNoEnglish(page, 'body');

    // An error from the API: translated, and its stable code kept.
    await signIn(page, 'not-a-real-token');
    await page.waitForSelector('#signin-error:not([hidden])');
    assert.match(await page.textContent('#signin-error'), /^Токен недействителен .*\(HTTP 401, unauthorized\)/);
    await assertNoEnglish(page, '#signin-view');
    // A malformed site id, refused before any request, in Russian too.
    await signIn(page, stack.adminToken, 'Not A Site');
    await page.waitForFunction(() => /идентификатор сайта/i.test(document.querySelector('#signin-error').textContent));

    await signIn(page);
    const rows = await tableRows(page);
    assert.equal(rows.length, posted.length);
    assert.deepEqual(await headers(page, '#receipts-table'), ['Время (UTC)', 'Субъект', 'Действие', 'Политика', 'Согласие', 'Отказ']);
    assert.equal(await page.textContent('#export-csv'), 'Выгрузить CSV');
    assert.equal(await page.textContent('#export-ndjson'), 'Выгрузить NDJSON');
    assert.match(await page.textContent('#receipts-count'), /^Показано \d+ квитанций$|^Показаны \d+ квитанции$|^Показана \d+ квитанция$/);
    // Times through Intl in Russian, in UTC.
    const first = await page.$eval('#receipts-body tr:first-child time', (t) => ({ text: t.textContent, iso: t.getAttribute('datetime') }));
    const expected = new Intl.DateTimeFormat('ru', { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23', timeZone: 'UTC' })
      .format(Date.parse(first.iso));
    assert.equal(first.text, expected);
    // The categories carry the policy's Russian titles.
    assert.ok((await page.$$eval('#filter-category option', (o) => o.map((x) => x.textContent))).includes('Аналитика (analytics)'));
    if (statsAvailable) {
      await page.waitForSelector('#chart[data-state="ready"] svg');
      const axis = await page.$$eval('#chart .axis-title', (ts) => ts.map((x) => x.textContent));
      assert.deepEqual(axis, ['Согласие', 'День (UTC)']);
      assert.match(await page.getAttribute('#chart svg', 'aria-label'), /^Линейный график дневной доли согласий/);
      assert.match(await page.textContent('#chart-legend'), /в целом/);
      assert.match(await page.textContent('#chart-range'), /по дням: с \d{4}-\d\d-\d\d по \d{4}-\d\d-\d\d \(UTC\)/);
      assert.equal(await page.textContent('#chart-table-toggle'), 'Показать таблицей');
    }
    await assertNoEnglish(page, 'body');
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-ru.png'), fullPage: true });

    // A receipt's details.
    const target = posted[2];
    await page.click(`#receipts-body tr[data-id="${target.id}"] a.row-link`);
    await detailReady(page);
    assert.equal(await page.textContent('#verdict .verdict-title'), 'ПОДЛИННАЯ');
    assert.equal(await page.textContent('[data-check="edge_signature"] .badge'), 'верна');
    assert.equal(await page.textContent('#detail-title'), `Квитанция ${target.id.slice(0, 10)}…${target.id.slice(-4)}`);
    await assertNoEnglish(page, '#detail');

    // Its subject's history.
    await page.click('#detail .subject-link');
    await page.waitForSelector('#subject-view');
    await page.waitForSelector('#detail[data-state="ready"]');
    assert.equal(await page.textContent('#detail-title'), 'История субъекта');
    assert.deepEqual(await headers(page, '#subject-receipts'), ['Время (UTC)', 'Действие', 'Политика', 'Согласие', 'Отказ']);
    assert.ok((await page.textContent('#subject-view')).includes('Отклонить все'), 'the current choice, in Russian');
    await assertNoEnglish(page, '#detail');
    await page.keyboard.press('Escape');
    await detailClosed(page);

    // Errors with a known code: the Russian text, the code kept.
    for (const [id, expected] of [
      ['01ARZ3NDEKTSV4RRFFQ69G5FAV', 'Не найдено: такой квитанции нет (HTTP 404, receipt_not_found).'],
      ['not-a-ulid', 'Недопустимый идентификатор (HTTP 400, invalid_id).'],
    ]) {
      await page.goto(`${stack.edgeUrl}/dashboard/#receipt/${id}`);
      await page.waitForSelector('#detail[open][data-state="error"]');
      assert.equal(await page.textContent('#detail-body [role="alert"]'), expected);
      await page.keyboard.press('Escape');
      await detailClosed(page);
    }

    assert.deepEqual(errors.filter((e) => !/Failed to load resource.*\b(400|401|404)\b/.test(e)), []);
    assertOnlyEdge(requests);
    await page.close();
  });

  test('the operator switches language without a reload, <html lang> follows, the choice survives a reload', async () => {
    const { page, errors, requests } = await openDashboard(russian);
    await signIn(page);
    await tableRows(page);
    if (statsAvailable) await page.waitForSelector('#chart[data-state="ready"] svg');
    await page.evaluate(() => { window.kelisimSamePage = true; });

    await pickLanguage(page, 'en');
    assert.deepEqual(await headers(page, '#receipts-table'), ['Time (UTC)', 'Subject', 'Action', 'Policy', 'Granted', 'Denied']);
    assert.equal(await page.textContent('#export-csv'), 'Export CSV');
    assert.equal(await page.textContent('#filters-title'), 'Filters');
    assert.match(await page.textContent('#receipts-count'), /^\d+ receipts shown$/);
    assert.equal(await page.title(), `${SITE} · Kelisim dashboard`);
    if (statsAvailable) assert.deepEqual(await page.$$eval('#chart .axis-title', (ts) => ts.map((x) => x.textContent)), ['Opt-in', 'Day (UTC)']);
    // The category titles come again from the policy, in English: then nothing Russian is left.
    await page.waitForFunction(() => [...document.querySelectorAll('#filter-category option')].some((o) => o.textContent === 'Analytics (analytics)'));
    // The language menu names each language in itself; nothing else is Cyrillic.
    const words = (await visibleWords(page, 'body')).replace('Русский', '').replace('Қазақша', '');
    assert.doesNotMatch(words, /[А-Яа-яЁёӘәҒғҚқҢңӨөҰұҮүҺһІі]/, 'no Cyrillic left');
    assert.equal(await page.evaluate(() => window.kelisimSamePage), true, 'no reload');
    assert.equal(await page.evaluate(() => localStorage.getItem('kelisim.dashboard.lang')), 'en');

    // The choice outlives a reload, though the browser prefers Russian.
    await page.reload();
    await tableRows(page);
    assert.equal(await page.getAttribute('html', 'lang'), 'en');
    assert.equal(await page.inputValue('#lang-select'), 'en');
    assert.equal(await page.textContent('#receipts-title'), 'Receipts');

    // And back to Russian.
    await page.evaluate(() => { window.kelisimSamePage = true; });
    await pickLanguage(page, 'ru');
    assert.equal(await page.textContent('#receipts-title'), 'Квитанции');
    assert.equal(await page.textContent('#filters-apply'), 'Применить фильтры');
    await page.waitForFunction(() => [...document.querySelectorAll('#filter-category option')].some((o) => o.textContent === 'Аналитика (analytics)'));
    await assertNoEnglish(page, 'body');
    assert.equal(await page.evaluate(() => window.kelisimSamePage), true, 'no reload');

    // Kazakh: the texts that exist in Kazakh, Russian for the rest.
    await pickLanguage(page, 'kk');
    assert.equal(await page.textContent('#filters-title'), 'Сүзгілер');
    assert.equal(await page.textContent('#receipts-title'), 'Түбіртектер');
    assert.equal(await page.textContent('#range-hint'), TEXTS.ru['filters.hint'], 'no Kazakh text: the Russian one');
    await page.waitForFunction(() => [...document.querySelectorAll('#filter-category option')].some((o) => o.textContent === 'Трансшекаралық беру (cross_border)'));
    await assertNoEnglish(page, 'body');
    await page.reload();
    await tableRows(page);
    assert.equal(await page.getAttribute('html', 'lang'), 'kk');

    await pickLanguage(page, 'ru');
    await page.reload();
    await tableRows(page);
    assert.equal(await page.getAttribute('html', 'lang'), 'ru');
    assert.equal(await page.textContent('#receipts-title'), 'Квитанции');
    assert.deepEqual(errors, []);
    assertOnlyEdge(requests);
    await page.close();
  });

  test('the subject view flags a fork: two receipts naming the same previous one, in English and in Russian', async () => {
    const key = visitorKey();
    const first = await post(key, { action: 'reject_all' });
    const tabA = await post(key, { action: 'accept_all', after: first });
    const tabB = await post(key, { action: 'withdraw', after: first });
    assert.equal(tabA.claims.prev, tabB.claims.prev);

    for (const [context, texts] of [[browser, TEXTS.en], [russian, TEXTS.ru]]) {
      const { page, errors, requests } = await openDashboard(context);
      await pickLanguage(page, context === browser ? 'en' : 'ru');
      await signIn(page);
      await tableRows(page);
      await page.goto(`${stack.edgeUrl}/dashboard/#subject/${first.subject}`);
      await detailReady(page);
      await page.waitForSelector('#subject-view');
      const notice = await page.textContent('#subject-fork');
      assert.ok(notice.startsWith(texts['subject.forkTitle']), notice);
      assert.equal(await page.isVisible('#subject-fork'), true);
      const flagged = await page.$$eval('#subject-receipts tbody tr[data-fork="true"]', (trs) => trs.map((tr) => ({
        id: tr.dataset.id, badge: tr.querySelector('.badge-fork')?.textContent, hint: tr.querySelector('.badge-fork')?.title,
      })));
      assert.deepEqual(flagged.map((f) => f.id).sort(), [tabA.id, tabB.id].sort(), 'both tips flagged, the first receipt not');
      for (const f of flagged) {
        assert.equal(f.badge, texts['subject.fork']);
        assert.equal(f.hint, texts['subject.forkHint']);
      }
      assert.equal(await page.$$eval('#subject-receipts tbody tr', (trs) => trs.length), 3, 'both branches are kept');
      if (context === russian) await assertNoEnglish(page, '#detail');
      await page.screenshot({ path: join(ARTIFACTS, context === browser ? 'dashboard-fork.png' : 'dashboard-fork-ru.png') });
      assert.deepEqual(errors, []);
      assertOnlyEdge(requests);
      await page.close();
    }
  });
});
