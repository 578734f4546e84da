// The widget in real headless Chromium against the edge on real workerd: first visit in ru, kk
// and en; reject all (nothing runs, nothing stored but the choice, a valid receipt at the edge);
// reopening and granting one category (a chained second receipt, its script runs); a material
// policy version asks again; a decision made while the edge is down is delivered exactly once;
// keyboard only; Global Privacy Control; a strict CSP; a hostile policy; broken storage; theming.
// Integrity (issue 10): a device clock 15 minutes off still records every receipt; a receipt the
// edge refuses for good leaves no grant; the edge's countersignature check fails closed; the
// visitor key is made at the first choice; a non-material policy version cannot turn a denial
// into a grant; only the page author's marked scripts run (markup injected as HTML never does,
// with or without a 'strict-dynamic' CSP); the page's markup and globals cannot stop the widget.
// Nothing sleeps: every wait is on a condition.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ROOT, startStack } from '../lib/stack.mjs';
import { launchBrowser } from '../lib/browser.mjs';
import { serveDir } from '../lib/static.mjs';

const ARTIFACTS = join(ROOT, 'tests/artifacts');
const NONCE = 'kelisim-test-nonce';

let stack;
let pages; // tests/pages, served with a strict CSP on /csp*
let browsers = [];

/** Routes /v1/kelisim.js and /v1/assets/* to the static assets (www/dist) rather than the worker. */
function serveWidgetAssets(config) {
  if (config.includes('"!/v1/kelisim.js"')) return config;
  return config.replace(/^run_worker_first = \[/m, 'run_worker_first = ["!/v1/kelisim.js", "!/v1/assets/*", ');
}

/** A nonce-based CSP with 'strict-dynamic': scripts the page's trusted scripts create run too. */
const strictDynamic = (edge) => [
  "default-src 'none'",
  `script-src 'nonce-${NONCE}' 'strict-dynamic' 'wasm-unsafe-eval'`,
  `connect-src 'self' ${edge}`,
  "style-src 'self'",
  "img-src 'self'",
  "base-uri 'none'",
].join('; ');

const csp = (edge) => [
  "default-src 'none'",
  `script-src 'self' ${edge} 'wasm-unsafe-eval' 'nonce-${NONCE}'`,
  `connect-src 'self' ${edge}`,
  "style-src 'self'",
  "img-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

before(async () => {
  stack = await startStack({ name: 'widget', editConfig: serveWidgetAssets });
  pages = await serveDir(join(ROOT, 'tests/pages'), 0, {
    edge: stack.edgeUrl,
    headers: (path) => {
      if (path.startsWith('/csp')) return { 'Content-Security-Policy': csp(stack.edgeUrl) };
      if (path.startsWith('/strict')) return { 'Content-Security-Policy': strictDynamic(stack.edgeUrl) };
      return {};
    },
  });
  // The test pages post receipts for crm-demo and hostile-demo from their own origin.
  const origins = [...stack.origins.crm, pages.url];
  assert.equal((await stack.admin('PUT', '/v1/sites/crm-demo', { body: { origins } })).status, 200);
  const hostile = await stack.admin('PUT', '/v1/sites/hostile-demo', { body: { origins: [pages.url] } });
  assert.ok([200, 201].includes(hostile.status), hostile.text);
  const forced = await stack.admin('PUT', '/v1/sites/forced-demo', { body: { origins: [pages.url] } });
  assert.ok([200, 201].includes(forced.status), forced.text);
  const policy = JSON.parse(await readFile(join(ROOT, 'tests/fixtures/hostile-policy.json'), 'utf8'));
  const published = await stack.admin('PUT', '/v1/sites/hostile-demo/policy', { body: policy });
  assert.equal(published.status, 201, published.text);
  await mkdir(ARTIFACTS, { recursive: true });
});

after(async () => {
  // The stack first: a browser close that never settles must not leave workerd running.
  const bounded = (p) => Promise.race([p, new Promise((r) => setTimeout(r, 10_000).unref())]);
  await stack?.stop();
  await bounded(pages?.close());
  await bounded(Promise.all(browsers.map((b) => b.close().catch(() => {}))));
});

/** A fresh browser profile; every page of it records console errors, page errors and requests. */
async function browser(options = {}) {
  const ctx = await launchBrowser(options);
  browsers.push(ctx);
  ctx.errors = [];
  ctx.requests = [];
  ctx.on('page', (page) => watch(ctx, page));
  return ctx;
}

function watch(ctx, page) {
  page.on('pageerror', (e) => ctx.errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') ctx.errors.push(`console.error: ${m.text()}`); });
  page.on('request', (r) => ctx.requests.push(r.url()));
}

async function open(ctx, url) {
  const page = await ctx.newPage();
  await page.goto(url);
  return page;
}

const banner = (page) => page.locator('kelisim-consent section[role=region]');
const dialog = (page) => page.locator('kelisim-consent [role=dialog]:visible');
const button = (page, action) => page.locator(`kelisim-consent [data-action=${action}]:visible`);

/** What has focus, through the widget's shadow root: a control's data-action, else its role or tag. */
const focusedControl = (page) => page.evaluate(() => {
  const host = document.querySelector('kelisim-consent');
  const el = document.activeElement === host ? host.shadowRoot.activeElement : document.activeElement;
  return el ? (el.dataset.action ?? el.getAttribute('role') ?? el.tagName) : null;
});

/** The receipts this browser kept (countersigned and verified), once there are at least `n`. */
async function keptReceipts(page, n) {
  await page.waitForFunction((count) => {
    const key = Object.keys(localStorage).find((k) => k.endsWith(':receipts'));
    return key && JSON.parse(localStorage.getItem(key)).length >= count;
  }, n);
  return page.evaluate(() => window.kelisim.receipts());
}

/** Polls `fn` until it returns a truthy value (the edge is read over HTTP). */
async function until(fn, what, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}

async function edgeReceipt(site, id) {
  const res = await stack.admin('GET', `/v1/sites/${site}/receipts/${id}`);
  assert.equal(res.status, 200, res.text);
  return res.json;
}

async function subjectReceipts(site, subject) {
  const res = await stack.admin('GET', `/v1/sites/${site}/subjects/${subject}`);
  return res.status === 200 ? res.json.receipts : [];
}

describe('a visitor on the CRM demo', () => {
  let ctx;
  let page;
  let first; // the reject-all receipt

  before(async () => {
    ctx = await browser();
  });

  test('first visit: a fixed banner in Russian with three equal buttons, no layout shift', async () => {
    page = await ctx.newPage();
    await page.goto(stack.pageUrl('crm'));
    const heightBefore = await page.evaluate(() => document.documentElement.scrollHeight);
    await banner(page).waitFor();
    const text = await banner(page).innerText();
    assert.match(text, /Согласие на обработку данных/);
    assert.match(text, /ТОО «Келісім Демо CRM»/);
    assert.match(text, /Мы используем необходимые cookie/);
    const labels = await page.locator('kelisim-consent section .actions button').allInnerTexts();
    assert.deepEqual(labels, ['Принять все', 'Отклонить все', 'Настроить']);

    // Equally prominent: same size and the same style.
    const looks = await page.locator('kelisim-consent section .actions button').evaluateAll((buttons) =>
      buttons.map((b) => {
        const s = getComputedStyle(b);
        const r = b.getBoundingClientRect();
        return { w: Math.round(r.width), h: Math.round(r.height), bg: s.backgroundColor, color: s.color, font: s.font, border: s.border };
      }));
    for (const look of looks.slice(1)) assert.deepEqual(look, looks[0]);

    // Overlaying: the banner is fixed, the host takes no room, the page did not grow.
    const layout = await page.evaluate(() => {
      const host = document.querySelector('kelisim-consent');
      const section = host.shadowRoot.querySelector('section');
      return { position: getComputedStyle(section).position, hostHeight: host.getBoundingClientRect().height,
        parent: host.parentElement.tagName, labelled: host.shadowRoot.getElementById(section.getAttribute('aria-labelledby'))?.textContent };
    });
    assert.deepEqual(layout, { position: 'fixed', hostHeight: 0, parent: 'BODY', labelled: 'Согласие на обработку данных' });
    assert.equal(await page.evaluate(() => document.documentElement.scrollHeight), heightBefore);

    // Nothing optional before a choice; Consent Mode defaults are denied.
    assert.equal(await page.evaluate(() => window.__kelisimDemoRan), undefined);
    assert.equal(await page.evaluate(() => window.kelisim.get('analytics')), null);
    const defaults = await page.evaluate(() => JSON.parse(JSON.stringify(Array.from(window.dataLayer[0]))));
    assert.deepEqual(defaults.slice(0, 2), ['consent', 'default']);
    assert.equal(defaults[2].analytics_storage, 'denied');
    assert.equal(defaults[2].ad_storage, 'denied');
    assert.equal(defaults[2].security_storage, 'granted');
    await page.screenshot({ path: join(ARTIFACTS, 'banner-ru.png') });
  });

  test('reject all: nothing runs, no cookie, a valid signed receipt at the edge', async () => {
    await page.evaluate(() => {
      window.__changes = [];
      document.addEventListener('kelisim:change', (e) => window.__changes.push(['event', e.detail]));
      window.kelisim.subscribe((detail) => window.__changes.push(['subscriber', detail]));
    });
    await button(page, 'reject').click();
    await banner(page).waitFor({ state: 'detached' });
    const [kept] = await keptReceipts(page, 1);
    first = kept.receipt;
    assert.equal(first.claims.action, 'reject_all');
    assert.equal(first.claims.decisions.necessary, 'granted');
    for (const c of ['analytics', 'marketing', 'cross_border', 'ai_processing']) assert.equal(first.claims.decisions[c], 'denied');
    assert.equal(first.claims.prev, null);
    assert.equal(first.claims.subject_key.kty, 'OKP');
    assert.match(kept.jws, /^[\w-]+\.[\w-]+\.[\w-]+$/);

    const stored = await edgeReceipt('crm-demo', first.claims.id);
    assert.equal(stored.valid, true);
    assert.equal(stored.verification.visitor_signature.status, 'valid');
    assert.equal(stored.signed.receipt.hash, first.hash);
    const listed = await stack.admin('GET', '/v1/sites/crm-demo/receipts');
    assert.ok(listed.json.receipts.some((r) => r.id === first.claims.id));

    assert.equal(await page.evaluate(() => window.__kelisimDemoRan), undefined);
    assert.ok(!(await ctx.cookies()).some((c) => c.name === 'demo_analytics'));
    assert.deepEqual(await ctx.cookies(), [], 'the widget sets no cookie');
    assert.equal(await page.evaluate(() => window.kelisim.get('analytics')), false);
    assert.equal(await page.evaluate(() => window.kelisim.get('necessary')), true);
    const changes = await page.evaluate(() => window.__changes);
    assert.deepEqual(changes.map(([kind, d]) => [kind, d.action, d.decisions.analytics]),
      [['event', 'reject_all', 'denied'], ['subscriber', 'reject_all', 'denied']]);
    const update = await page.evaluate(() => JSON.parse(JSON.stringify(Array.from(window.dataLayer.at(-1)))));
    assert.deepEqual(update.slice(0, 2), ['consent', 'update']);
    assert.equal(update[2].analytics_storage, 'denied');

    // Only the page's own origin and the edge were contacted.
    const origins = new Set(ctx.requests.map((u) => new URL(u).origin));
    assert.deepEqual([...origins].sort(), [stack.crmUrl, stack.edgeUrl].sort());
    assert.deepEqual(ctx.errors, []);
  });

  test('the choice is remembered: no banner on the next page view', async () => {
    await page.reload();
    await page.waitForFunction(() => window.kelisim.get('analytics') === false);
    assert.equal(await page.locator('kelisim-consent section').count(), 0);
  });

  test('reopen from the footer, grant AI processing: a chained receipt, the AI script runs', async () => {
    await page.getByText('Настройки конфиденциальности').click();
    await dialog(page).waitFor();
    assert.equal(await dialog(page).getAttribute('aria-modal'), 'true');
    const switches = await page.locator('kelisim-consent input[role=switch]').evaluateAll((inputs) =>
      inputs.map((i) => ({ id: i.dataset.category ?? 'locked', on: i.checked, disabled: i.disabled })));
    assert.deepEqual(switches, [
      { id: 'locked', on: true, disabled: true },
      { id: 'analytics', on: false, disabled: false },
      { id: 'marketing', on: false, disabled: false },
      { id: 'cross_border', on: false, disabled: false },
      { id: 'ai_processing', on: false, disabled: false },
    ]);
    await page.locator('kelisim-consent input[data-category=ai_processing]').check();
    await button(page, 'save').click();
    await dialog(page).waitFor({ state: 'detached' });
    await page.waitForFunction(() => (window.__kelisimDemoRan ?? []).includes('ai_processing'));
    assert.deepEqual(await page.evaluate(() => window.__kelisimDemoRan), ['ai_processing']);

    const kept = await keptReceipts(page, 2);
    const second = kept[1].receipt;
    assert.equal(second.claims.action, 'custom');
    assert.equal(second.claims.prev, first.hash);
    assert.equal(second.claims.subject, first.claims.subject);
    assert.equal(second.claims.decisions.ai_processing, 'granted');
    assert.equal(second.claims.decisions.analytics, 'denied');
    assert.equal((await edgeReceipt('crm-demo', second.claims.id)).valid, true);
    assert.equal(await page.evaluate(() => window.kelisim.get('ai_processing')), true);
  });

  test('withdraw() records a withdrawal chained to the previous receipt', async () => {
    await page.evaluate(() => window.kelisim.withdraw());
    const kept = await keptReceipts(page, 3);
    const [, second, third] = kept.map((k) => k.receipt);
    assert.equal(third.claims.action, 'withdraw');
    assert.equal(third.claims.prev, second.hash);
    assert.ok(Object.entries(third.claims.decisions).every(([c, d]) => d === (c === 'necessary' ? 'granted' : 'denied')));
    assert.equal((await edgeReceipt('crm-demo', third.claims.id)).valid, true);
    assert.equal(await page.evaluate(() => window.kelisim.get('ai_processing')), false);
  });

  test('a material policy version asks again', async () => {
    const current = await stack.api('GET', '/v1/sites/crm-demo/policy');
    const full = JSON.parse(await readFile(join(ROOT, 'www/demo/policies/crm-demo.json'), 'utf8'));
    const next = { ...full, version: current.json.policy.version + 1, material: true };
    const published = await stack.admin('PUT', '/v1/sites/crm-demo/policy', { body: next });
    assert.equal(published.status, 201, published.text);
    await page.reload();
    await banner(page).waitFor();
    await button(page, 'accept').click();
    const kept = await keptReceipts(page, 4);
    const fourth = kept[3].receipt;
    assert.equal(fourth.claims.policy.version, next.version);
    assert.equal(fourth.claims.action, 'accept_all');
    assert.equal(fourth.claims.prev, kept[2].receipt.hash);
    await page.waitForFunction(() => ['analytics', 'marketing', 'cross_border', 'ai_processing']
      .every((c) => (window.__kelisimDemoRan ?? []).includes(c)));
    assert.deepEqual(ctx.errors, []);
  });
});

test('languages: data-lang="kk" on a Russian page; the browser language (en) on a page without one', async () => {
  const kk = await open(await browser(), `${pages.url}/kk.html`);
  await banner(kk).waitFor();
  assert.match(await banner(kk).innerText(), /Барлығын қабылдау/);
  assert.match(await banner(kk).innerText(), /Платформаның жұмысы үшін/);
  assert.equal(await kk.locator('kelisim-consent').getAttribute('lang'), 'kk');

  const en = await open(await browser({ locale: 'en-US' }), `${pages.url}/plain.html`);
  await banner(en).waitFor();
  assert.match(await banner(en).innerText(), /Accept all/);
  assert.match(await banner(en).innerText(), /We use necessary cookies/);

  // Russian is the default when the visitor's languages are not offered.
  const de = await open(await browser({ locale: 'de-DE' }), `${pages.url}/plain.html`);
  await banner(de).waitFor();
  assert.match(await banner(de).innerText(), /Принять все/);
});

test('marked scripts run in document order, inline and external alike, only for granted categories', async () => {
  const ctx = await browser({ locale: 'en-US' });
  const page = await open(ctx, `${pages.url}/plain.html`);
  await button(page, 'settings').click();
  await page.locator('kelisim-consent input[data-category=analytics]').check();
  await button(page, 'save').click();
  await page.waitForFunction(() => (window.__ran ?? []).length >= 3);
  assert.deepEqual(await page.evaluate(() => window.__ran), ['inline-analytics', 'external-analytics', 'inline-analytics-2']);
  // Added later by the page's code (this page has no nonce): run once registered through the API;
  // one that is only appended never runs (it could be markup injected as HTML).
  await page.evaluate(() => {
    const make = (label) => {
      const s = document.createElement('script');
      s.type = 'text/plain';
      s.dataset.category = 'analytics';
      s.text = `window.__ran.push('${label}')`;
      document.body.append(s);
      return s;
    };
    make('appended-only');
    window.__registered = window.kelisim.register(make('added-later'));
  });
  assert.equal(await page.evaluate(() => window.__registered), true);
  await page.waitForFunction(() => window.__ran.includes('added-later'));
  assert.ok(!(await page.evaluate(() => window.__ran.includes('inline-marketing'))));
  assert.ok(!(await page.evaluate(() => window.__ran.includes('appended-only'))));
  assert.equal(await page.evaluate(() => window.kelisim.register(document.body)), false, 'only marked scripts');
  assert.deepEqual(ctx.errors, []);
});

test('a decision made while the edge is down is delivered exactly once after it is back', async () => {
  const ctx = await browser();
  const page = await open(ctx, stack.pageUrl('crm'));
  await banner(page).waitFor();
  // The loader paints the banner before the wasm (served by the edge) is running: wait for it,
  // or stopping the edge takes the wasm away and with it the banner.
  await page.evaluate(() => window.kelisim.receipts());
  await stack.stopEdge();
  try {
    await button(page, 'reject').click();
    // Kept in the outbox, not delivered.
    const waiting = await page.waitForFunction(() => {
      const o = JSON.parse(localStorage.getItem('kelisim:crm-demo:outbox') ?? '[]');
      return o.length === 1 && o[0].attempts >= 1 && o[0];
    });
    const entry = await waiting.jsonValue();
    assert.equal(await page.evaluate(() => localStorage.getItem('kelisim:crm-demo:receipts')), null);
    const choice = await page.evaluate(() => JSON.parse(localStorage.getItem('kelisim:crm-demo')));
    assert.equal(choice.action, 'reject_all');
    await stack.startEdge();
    await page.reload();
    const [kept] = await keptReceipts(page, 1);
    assert.equal(kept.receipt.claims.id, entry.id);
    await page.waitForFunction(() => localStorage.getItem('kelisim:crm-demo:outbox') === null);
    const atEdge = await until(async () => {
      const list = await subjectReceipts('crm-demo', kept.receipt.claims.subject);
      return list.length ? list : null;
    }, 'the receipt at the edge');
    assert.deepEqual(atEdge.map((r) => r.id), [entry.id], 'exactly one receipt, the one made offline');
    assert.equal((await edgeReceipt('crm-demo', entry.id)).valid, true);
  } finally {
    await stack.startEdge().catch(() => {});
  }
});

test('keyboard only: Tab to the buttons, Enter opens the settings, focus is trapped, Esc returns', async () => {
  const page = await open(await browser(), stack.pageUrl('crm'));
  await banner(page).waitFor();
  const focused = () => focusedControl(page);
  // The banner took focus (nothing else had it): Tab walks its controls.
  assert.equal(await focused(), 'region');
  const order = [];
  for (let i = 0; i < 4; i++) {
    await page.keyboard.press('Tab');
    order.push(await focused());
  }
  assert.deepEqual(order, ['policy', 'accept', 'reject', 'settings']);
  await page.keyboard.press('Enter');
  await dialog(page).waitFor();
  assert.equal(await focused(), 'close', 'focus moved into the dialog');
  // Shift+Tab from the first control wraps to the last; Tab from the last wraps to the first.
  await page.keyboard.press('Shift+Tab');
  assert.equal(await focused(), 'save');
  await page.keyboard.press('Tab');
  assert.equal(await focused(), 'close');
  for (let i = 0; i < 12; i++) {
    await page.keyboard.press('Tab');
    const inside = await page.evaluate(() => {
      const host = document.querySelector('kelisim-consent');
      return document.activeElement === host && !!host.shadowRoot.activeElement.closest('[role=dialog]');
    });
    assert.ok(inside, 'focus stays in the dialog');
  }
  await page.keyboard.press('Escape');
  await dialog(page).waitFor({ state: 'detached' });
  assert.equal(await focused(), 'settings', 'Esc returned focus to the Settings button');
  await page.keyboard.press('Shift+Tab');
  assert.equal(await focused(), 'reject');
  await page.keyboard.press('Enter');
  const [kept] = await keptReceipts(page, 1);
  assert.equal(kept.receipt.claims.action, 'reject_all');
});

test('Global Privacy Control: marketing starts off with a note, and the receipt records gpc', async () => {
  const ctx = await browser();
  await ctx.addInitScript(() => {
    Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', { get: () => true, configurable: true });
  });
  const page = await open(ctx, stack.pageUrl('crm'));
  await button(page, 'settings').click();
  await dialog(page).waitFor();
  assert.equal(await page.locator('kelisim-consent input[data-category=marketing]').isChecked(), false);
  const note = page.locator('kelisim-consent .cat:has(input[data-category=marketing]) .note');
  assert.match(await note.innerText(), /Global Privacy Control/);
  await page.locator('kelisim-consent input[data-category=analytics]').check();
  await button(page, 'save').click();
  const [kept] = await keptReceipts(page, 1);
  assert.equal(kept.receipt.claims.gpc, true);
  assert.equal(kept.receipt.claims.decisions.marketing, 'denied');
  assert.equal(kept.receipt.claims.decisions.analytics, 'granted');
  const stored = await edgeReceipt('crm-demo', kept.receipt.claims.id);
  assert.equal(stored.valid, true);
  assert.equal(stored.signed.receipt.claims.gpc, true);
});

test('a strict CSP page (no unsafe-inline) works: styles, wasm, receipts, nonce-carrying scripts', async () => {
  const ctx = await browser({ locale: 'en-US' });
  const page = await open(ctx, `${pages.url}/csp.html`);
  await banner(page).waitFor();
  const looks = await page.evaluate(() => {
    const root = document.querySelector('kelisim-consent').shadowRoot;
    const b = root.querySelector('.actions button');
    return { sheets: root.adoptedStyleSheets.length, styleElements: root.querySelectorAll('style').length,
      position: getComputedStyle(root.querySelector('section')).position, radius: getComputedStyle(b).borderTopLeftRadius };
  });
  assert.deepEqual(looks, { sheets: 1, styleElements: 0, position: 'fixed', radius: '10px' });
  await button(page, 'accept').click();
  const [kept] = await keptReceipts(page, 1);
  assert.equal((await edgeReceipt('crm-demo', kept.receipt.claims.id)).valid, true);
  await page.waitForFunction(() => (window.__ran ?? []).length >= 2);
  assert.deepEqual(await page.evaluate(() => window.__ran), ['csp-external', 'csp-inline-with-nonce']);
  assert.deepEqual(await page.evaluate(() => window.__violations), []);
  assert.deepEqual(ctx.errors, []);
});

test('a hostile policy renders inert: text stays text, unsafe links stay plain', async () => {
  const ctx = await browser();
  const page = await open(ctx, `${pages.url}/hostile.html`);
  await banner(page).waitFor();
  await button(page, 'settings').click();
  await dialog(page).waitFor();
  await dialog(page).locator('[data-action=policy]').click();
  await page.locator('kelisim-consent [aria-labelledby=k-policy-title]').waitFor();
  const inside = await page.evaluate(() => {
    const root = document.querySelector('kelisim-consent').shadowRoot;
    return {
      dangerous: root.querySelectorAll('script, img, svg, iframe, object, embed, style, b').length,
      handlers: [...root.querySelectorAll('*')].filter((e) => [...e.attributes].some((a) => a.name.startsWith('on'))).length,
      links: [...root.querySelectorAll('a')].map((a) => ({ href: a.getAttribute('href'), rel: a.rel, target: a.target })),
      text: root.textContent,
    };
  });
  assert.equal(inside.dangerous, 0);
  assert.equal(inside.handlers, 0);
  assert.ok(inside.text.includes('<script>alert(1)</script>'), 'markup is shown as text');
  assert.ok(inside.text.includes('<img src=x onerror="window.__pwned=1">'));
  for (const link of inside.links) {
    assert.match(link.href, /^(https?:|mailto:|tel:)/);
    assert.equal(link.rel, 'noopener noreferrer');
    assert.equal(link.target, '_blank');
  }
  assert.ok(inside.links.some((l) => l.href.startsWith('https://example.kz/privacy')));
  assert.ok(!inside.links.some((l) => l.href.startsWith('tel:') && /javascript/i.test(l.href)));
  assert.equal(await page.evaluate(() => window.__pwned), undefined);
  await page.keyboard.press('Escape');
  await page.keyboard.press('Escape');
  await button(page, 'reject').click();
  const [kept] = await keptReceipts(page, 1);
  assert.equal(kept.receipt.claims.site, 'hostile-demo');
  assert.equal(await page.evaluate(() => window.__pwned), undefined);
  assert.deepEqual(ctx.errors, []);
});

test('the Art. 8(4) content of the policy shows in the settings and the policy, as text', async () => {
  const demo = JSON.parse(await readFile(join(ROOT, 'www/demo/policies/crm-demo.json'), 'utf8'));
  const policy = {
    ...demo,
    site: 'terms-demo',
    operator: { ...demo.operator, bin_iin: '180540012343' },
    consent: {
      term: { text: { ru: 'До отзыва согласия' } },
      third_parties: [{ name: 'Meta Platforms', purpose: { ru: 'Отправка сообщений <b>WhatsApp</b>' }, country: 'US' }],
      cross_border: { transfers: true, countries: ['DE', 'US'], text: { ru: 'Данные хранятся за рубежом' } },
      data_collected: { analytics: { ru: ['IP-адрес', 'cookie'] } },
    },
  };
  const site = await stack.admin('PUT', '/v1/sites/terms-demo', { body: { origins: [pages.url] } });
  assert.ok([200, 201].includes(site.status), site.text);
  const published = await stack.admin('PUT', '/v1/sites/terms-demo/policy', { body: policy });
  assert.equal(published.status, 201, published.text);
  const ctx = await browser();
  const page = await open(ctx, `${pages.url}/terms.html`);
  await banner(page).waitFor();
  const shown = () => page.evaluate(() => {
    const dialogs = document.querySelector('kelisim-consent').shadowRoot.querySelectorAll('[role=dialog]');
    const top = dialogs[dialogs.length - 1];
    return { text: top.textContent, markup: top.querySelectorAll('b').length };
  });
  const terms = [
    'Срок согласия', 'До отзыва согласия',
    'Третьи лица', 'Meta Platforms: Отправка сообщений <b>WhatsApp</b> (US)',
    'Трансграничная передача', 'Да: Данные хранятся за рубежом (DE, US)',
    'Собираемые данные', 'Аналитика: IP-адрес, cookie',
  ];
  await button(page, 'settings').click();
  await dialog(page).waitFor();
  const settings = await shown();
  for (const want of terms) assert.ok(settings.text.includes(want), `settings show ${want}: ${settings.text}`);
  await dialog(page).locator('[data-action=policy]').click();
  await page.locator('kelisim-consent [aria-labelledby=k-policy-title]').waitFor();
  const full = await shown();
  for (const want of [...terms, 'БИН/ИИН', '180540012343']) assert.ok(full.text.includes(want), `the policy shows ${want}`);
  assert.equal(settings.markup + full.markup, 0, 'text, never markup');
  assert.deepEqual(ctx.errors, []);
});

test('the banner waits only for the policy\'s first layer; the whole policy comes when the visitor opens it', async () => {
  const ctx = await browser();
  const page = await open(ctx, `${pages.url}/terms.html`);
  await banner(page).waitFor();
  await page.evaluate(() => window.kelisim.receipts()); // the wasm has booted and asked for its policy
  const policyRequests = () => ctx.requests.filter((u) => u.includes('/v1/sites/terms-demo/policy'));
  assert.deepEqual(policyRequests().map((u) => new URL(u).search), ['?lang=ru&layer=banner'], 'one request, the first layer');
  await button(page, 'policy').click();
  await page.locator('kelisim-consent [aria-labelledby=k-policy-title]').waitFor();
  assert.deepEqual(policyRequests().map((u) => new URL(u).search), ['?lang=ru&layer=banner', '?lang=ru']);
  const text = await dialog(page).textContent();
  assert.ok(text.includes('До отзыва согласия'), 'the whole policy is shown');
  assert.deepEqual(ctx.errors, []);
});

/** Holds every request for the widget's wasm until `release()` is called; `requested` resolves
 * once the page asked for it. */
async function holdWasm(ctx, { fail = false } = {}) {
  let release;
  const released = new Promise((r) => { release = r; });
  let asked;
  const requested = new Promise((r) => { asked = r; });
  await ctx.route(/\/v1\/assets\/kelisim-[0-9a-f]+\.wasm$/, async (route) => {
    asked();
    await released;
    await (fail ? route.abort() : route.continue());
  });
  return { requested, release };
}

/** Records, from before any page script, whether the widget's host element was ever added. */
const watchMount = () => {
  window.__kelisimMounted = false;
  new MutationObserver((records) => {
    if (records.some((r) => [...r.addedNodes].some((n) => n.nodeName === 'KELISIM-CONSENT'))) window.__kelisimMounted = true;
  }).observe(document, { childList: true, subtree: true });
};

test('the banner is on screen while the wasm is still loading; a press made then is recorded once', async () => {
  const ctx = await browser();
  const wasm = await holdWasm(ctx);
  const page = await open(ctx, stack.pageUrl('crm'));
  await banner(page).waitFor();
  assert.ok(await banner(page).isVisible());
  const labels = await page.locator('kelisim-consent section .actions button').allInnerTexts();
  assert.deepEqual(labels, ['Принять все', 'Отклонить все', 'Настроить']);
  assert.equal(await page.evaluate(() => window.kelisim.get('analytics')), null, 'the wasm is not there yet');
  await page.evaluate(() => {
    window.__changes = 0;
    document.addEventListener('kelisim:change', () => { window.__changes += 1; });
  });

  // Accept (a first visit starts the wasm then), then press again (and reject) before the wasm
  // arrives: the first press waits for it.
  await button(page, 'accept').click();
  await wasm.requested;
  await page.evaluate(() => {
    const root = document.querySelector('kelisim-consent').shadowRoot;
    root.querySelector('[data-action=accept]').click();
    root.querySelector('[data-action=reject]').click();
  });
  assert.equal(await banner(page).getAttribute('aria-busy'), 'true');
  assert.equal(await page.locator('kelisim-consent section button:not([disabled])').count(), 0);
  assert.equal(await page.evaluate(() => window.__changes), 0, 'nothing takes effect before its receipt is made');
  assert.equal(await page.evaluate(() => window.kelisim.get('analytics')), null);
  assert.equal(ctx.requests.filter((u) => u.includes('/receipts')).length, 0);

  wasm.release();
  const [kept] = await keptReceipts(page, 1);
  await banner(page).waitFor({ state: 'detached' });
  assert.equal(kept.receipt.claims.action, 'accept_all');
  assert.equal(await page.evaluate(() => window.kelisim.get('analytics')), true);
  assert.equal(await page.evaluate(() => window.__changes), 1);
  const atEdge = await until(async () => {
    const list = await subjectReceipts('crm-demo', kept.receipt.claims.subject);
    return list.length > 0 && list;
  }, 'the receipt at the edge');
  assert.equal(atEdge.length, 1, 'recorded once at the edge');
  assert.equal(ctx.requests.filter((u) => u.endsWith('/v1/sites/crm-demo/receipts')).length, 1, 'posted once');
  assert.deepEqual(ctx.errors, []);
});

test('the settings pressed before the wasm arrives open once it is there', async () => {
  const ctx = await browser();
  const wasm = await holdWasm(ctx);
  const page = await open(ctx, stack.pageUrl('crm'));
  await banner(page).waitFor();
  await button(page, 'settings').click();
  assert.equal(await dialog(page).count(), 0);
  wasm.release();
  await dialog(page).waitFor();
  assert.equal(await page.locator('kelisim-consent section button:not([disabled])').count(), 4, 'the banner answers again');
  await page.locator('kelisim-consent input[data-category=analytics]').check();
  await button(page, 'save').click();
  const [kept] = await keptReceipts(page, 1);
  assert.equal(kept.receipt.claims.action, 'custom');
  assert.equal(kept.receipt.claims.decisions.analytics, 'granted');
  assert.deepEqual(ctx.errors, []);
});

test('a keyboard press held for the wasm keeps its focus: Esc from the settings returns to the button', async () => {
  const ctx = await browser();
  const wasm = await holdWasm(ctx);
  const page = await open(ctx, stack.pageUrl('crm'));
  await banner(page).waitFor();
  const focused = () => focusedControl(page);
  for (let i = 0; i < 4; i++) await page.keyboard.press('Tab');
  assert.equal(await focused(), 'settings');
  await page.keyboard.press('Enter');
  await wasm.requested;
  assert.equal(await banner(page).getAttribute('aria-busy'), 'true', 'held: the buttons are disabled');
  wasm.release();
  await dialog(page).waitFor();
  await page.keyboard.press('Escape');
  await dialog(page).waitFor({ state: 'detached' });
  assert.equal(await focused(), 'settings', 'focus is back on the button that was pressed');
  assert.deepEqual(ctx.errors, []);
});

test('a remembered choice: no banner is painted, not even while the wasm is loading', async () => {
  const ctx = await browser();
  const first = await open(ctx, stack.pageUrl('crm'));
  await button(first, 'reject').click();
  await keptReceipts(first, 1);
  await first.close();

  await ctx.addInitScript(watchMount);
  const wasm = await holdWasm(ctx);
  const page = await ctx.newPage();
  await page.goto(stack.pageUrl('crm'));
  // The first layer is in the site's own loader: once it ran, the loader has seen it.
  await page.waitForFunction(() => window.kelisim !== undefined);
  wasm.release();
  // The wasm puts the remembered choice in force after the loader has seen the same first layer.
  await page.waitForFunction(() => window.kelisim.get('analytics') === false);
  assert.equal(await page.evaluate(() => window.__kelisimMounted), false, 'never mounted');
  assert.deepEqual(ctx.errors, []);
});

test('a wasm that cannot load takes its painted banner away: nothing to press that cannot be recorded', async () => {
  const ctx = await browser();
  const wasm = await holdWasm(ctx, { fail: true });
  const page = await open(ctx, stack.pageUrl('crm'));
  await banner(page).waitFor();
  await button(page, 'accept').click();
  wasm.release();
  await banner(page).waitFor({ state: 'detached' });
  assert.deepEqual(await page.evaluate(() => window.kelisim.receipts()), []);
  assert.equal(await page.evaluate(() => window.kelisim.get('analytics')), null);
  assert.ok(ctx.errors.some((e) => e.includes('[kelisim] the consent widget stopped')), ctx.errors.join('\n'));
});

/** Records, from before any page script, every URL the page fetches (the loader takes fetch at its
 * start, so it takes this one): synchronous, so what was asked for is known in the same task. */
const watchFetch = () => {
  window.__fetched = [];
  const original = window.fetch;
  window.fetch = function (input) {
    window.__fetched.push(new URL(String(input && input.url || input), location.href).pathname);
    return original.apply(this, arguments);
  };
};
const wasmFetches = (page) => page.evaluate(() => window.__fetched.filter((p) => p.endsWith('.wasm')).length);

test('a first visit loads no wasm until the visitor reaches for the banner; the choice is then recorded once', async () => {
  const ctx = await browser();
  await ctx.addInitScript(watchFetch);
  const page = await open(ctx, stack.pageUrl('crm'));
  await banner(page).waitFor();
  // The banner is painted from the first layer in the site's own loader: no request of its own,
  // and the receipt machinery is not loaded for it.
  assert.deepEqual(await page.evaluate(() => window.__fetched), []);
  assert.equal(await page.evaluate(() => window.kelisim.get('analytics')), null);
  await page.evaluate(() => document.querySelector('footer, body').scrollIntoView());
  assert.equal(await wasmFetches(page), 0, 'a page scroll is not intent');

  // The pointer moving onto the banner starts the wasm, before the press.
  await banner(page).hover();
  await page.waitForFunction(() => window.__fetched.some((p) => p.endsWith('.wasm')));
  await button(page, 'reject').click();
  const [kept] = await keptReceipts(page, 1);
  await banner(page).waitFor({ state: 'detached' });
  assert.equal(kept.receipt.claims.action, 'reject_all');
  assert.equal(await wasmFetches(page), 1);
  const atEdge = await until(async () => {
    const list = await subjectReceipts('crm-demo', kept.receipt.claims.subject);
    return list.length > 0 && list;
  }, 'the receipt at the edge');
  assert.equal(atEdge.length, 1, 'recorded once at the edge');

  // The next page view has a remembered choice: the wasm loads at once and puts it in force.
  await page.reload();
  await page.waitForFunction(() => window.kelisim.get('analytics') === false);
  assert.equal(await banner(page).count(), 0);
  assert.deepEqual(ctx.errors, []);
});

test('a first visit: the footer link, the keyboard and the JS API each start the wasm and are answered', async () => {
  const ctx = await browser();
  await ctx.addInitScript(watchFetch);
  // The footer's [data-kelisim-open] link, pressed before anything of the widget moved.
  const page = await open(ctx, stack.pageUrl('crm'));
  await banner(page).waitFor();
  assert.equal(await wasmFetches(page), 0);
  await page.locator('a[data-kelisim-open]').first().click();
  await page.locator('kelisim-consent [aria-labelledby=k-settings-title]').waitFor();
  assert.equal(new URL(page.url()).hash, '', 'the link did not navigate');
  await page.close();

  // Tab from the banner past the policy link to "accept all", Enter.
  const keyboard = await open(ctx, stack.pageUrl('crm'));
  await banner(keyboard).waitFor();
  assert.equal(await wasmFetches(keyboard), 0);
  await keyboard.keyboard.press('Tab');
  await keyboard.keyboard.press('Tab');
  await keyboard.keyboard.press('Enter');
  const [kept] = await keptReceipts(keyboard, 1);
  assert.equal(kept.receipt.claims.action, 'accept_all');
  await keyboard.close();

  // The API on another first visit (a new profile): kelisim.receipts() answers, from the wasm.
  const other = await browser();
  await other.addInitScript(watchFetch);
  const api = await open(other, stack.pageUrl('crm'));
  await banner(api).waitFor();
  assert.equal(await wasmFetches(api), 0);
  assert.deepEqual(await api.evaluate(() => window.kelisim.receipts()), []);
  assert.equal(await wasmFetches(api), 1);
  assert.deepEqual([...ctx.errors, ...other.errors], []);
});

test('the site\'s own loader carries the first layer: no request before the banner; a policy edit shows at the next page view', async () => {
  // A site of its own: this test publishes versions.
  const policy = JSON.parse(await readFile(join(ROOT, 'www/demo/policies/crm-demo.json'), 'utf8'));
  policy.site = 'loader-demo';
  const made = await stack.admin('PUT', '/v1/sites/loader-demo', { body: { origins: [pages.url] } });
  assert.ok([200, 201].includes(made.status), made.text);
  const first = await stack.admin('PUT', '/v1/sites/loader-demo/policy', { body: policy });
  assert.equal(first.status, 201, first.text);

  // The loader itself: JavaScript, revalidated on every view, 304 while nothing changed.
  const loaderUrl = `${stack.edgeUrl}/v1/sites/loader-demo/kelisim.js`;
  const served = await fetch(loaderUrl);
  assert.equal(served.status, 200);
  assert.match(served.headers.get('content-type'), /^text\/javascript/);
  assert.equal(served.headers.get('cache-control'), 'no-cache');
  const etag = served.headers.get('etag');
  assert.ok((await served.text()).includes(policy.summary.ru.slice(0, 20)), 'the Russian summary is in it');
  assert.equal((await fetch(loaderUrl, { headers: { 'If-None-Match': etag } })).status, 304);
  assert.equal((await fetch(`${stack.edgeUrl}/v1/sites/no-such-site/kelisim.js`)).status, 404);

  const ctx = await browser();
  await ctx.addInitScript(watchFetch);
  const page = await open(ctx, `${pages.url}/own-loader.html`);
  await banner(page).waitFor();
  assert.match(await banner(page).innerText(), new RegExp(policy.summary.ru.slice(0, 20)));
  assert.deepEqual(await page.evaluate(() => window.__fetched), [], 'the banner needed no request of its own');
  await button(page, 'reject').click();
  const [kept] = await keptReceipts(page, 1);
  assert.equal(kept.receipt.claims.policy.version, 1);
  assert.equal((await edgeReceipt('loader-demo', kept.receipt.claims.id)).valid, true);

  // The operator publishes a material version with a new summary: the next page view's loader
  // (revalidated: a new ETag) carries it, and the banner asks again.
  const second = { ...policy, version: 2, material: true, summary: { ...policy.summary, ru: 'Новая сводка: версия 2.' } };
  const published = await stack.admin('PUT', '/v1/sites/loader-demo/policy', { body: second });
  assert.equal(published.status, 201, published.text);
  assert.notEqual((await fetch(loaderUrl, { headers: { 'If-None-Match': etag } })).headers.get('etag'), etag);
  await page.reload();
  await banner(page).waitFor();
  assert.match(await banner(page).innerText(), /Новая сводка: версия 2\./);
  await button(page, 'accept').click();
  const [, again] = await keptReceipts(page, 2);
  assert.equal(again.receipt.claims.policy.version, 2);
  assert.equal(again.receipt.claims.action, 'accept_all');
  assert.deepEqual(ctx.errors, []);
});

test('a tag added after the page loaded still runs the necessary script at once on a first visit', async () => {
  const ctx = await browser({ locale: 'en-US' });
  const page = await open(ctx, `${pages.url}/late.html`);
  await banner(page).waitFor();
  // The loader found the marked scripts before its wasm section ran: the necessary one needs the
  // wasm now, first visit or not.
  await page.waitForFunction(() => (window.__ran ?? []).includes('late-necessary'));
  assert.deepEqual(await page.evaluate(() => window.__ran), ['late-necessary']);
  await button(page, 'accept').click();
  await page.waitForFunction(() => window.__ran.includes('late-analytics'));
  assert.deepEqual(ctx.errors, []);
});

test('storage that throws: the widget still works for the session and records unsigned receipts', async () => {
  const ctx = await browser({ locale: 'en-US' });
  await ctx.addInitScript(() => {
    const fail = () => { throw new DOMException('blocked', 'SecurityError'); };
    Object.defineProperty(window, 'localStorage', { get: fail, configurable: true });
    Object.defineProperty(window, 'indexedDB', { get: fail, configurable: true });
  });
  const page = await open(ctx, `${pages.url}/plain.html`);
  await banner(page).waitFor();
  await page.evaluate(() => {
    window.__received = new Promise((resolve) => window.kelisim.subscribe(resolve));
  });
  await button(page, 'reject').click();
  const detail = await page.evaluate(() => window.__received);
  assert.equal(detail.action, 'reject_all');
  const { receipt } = await page.evaluate(async () => {
    for (;;) {
      const [kept] = await window.kelisim.receipts();
      if (kept) return kept;
      await new Promise(requestAnimationFrame);
    }
  });
  assert.equal(receipt.claims.subject_key, null);
  assert.equal(receipt.visitor_signature, null);
  assert.match(receipt.claims.subject, /^[\w-]{43}$/);
  const stored = await edgeReceipt('crm-demo', receipt.claims.id);
  assert.equal(stored.valid, true);
  assert.equal(stored.verification.visitor_signature.status, 'absent');
  assert.deepEqual(ctx.errors, []);
});

test('a receipt the edge refuses (4xx) leaves the outbox with one warning; it is not resent', async () => {
  const ctx = await browser({ locale: 'en-US' });
  const page = await open(ctx, `${pages.url}/plain.html`);
  await banner(page).waitFor();
  const warnings = [];
  page.on('console', (m) => { if (m.type() === 'warning') warnings.push(m.text()); });
  // Two entries the edge can only refuse (400 malformed body, 422 invalid claims).
  await page.evaluate(() => localStorage.setItem('kelisim:crm-demo:outbox', JSON.stringify([
    { id: '01AAAAAAAAAAAAAAAAAAAAAAAA', body: '{"claims":{}}', attempts: 0, next_at: 0 },
    { id: '01BBBBBBBBBBBBBBBBBBBBBBBB', body: '{"claims":{"schema":99},"visitor_signature":null}', attempts: 0, next_at: 0 },
  ])));
  const posts = [];
  page.on('request', (r) => { if (r.method() === 'POST') posts.push(r.url()); });
  await page.reload();
  await page.waitForFunction(() => localStorage.getItem('kelisim:crm-demo:outbox') === null);
  assert.equal(posts.length, 2, 'each refused receipt was sent once');
  assert.equal(warnings.filter((w) => w.includes('refused a receipt')).length, 1, 'one warning per page');
  assert.deepEqual(ctx.errors.filter((e) => !e.includes('status of 4')), []);
});

test('theme and position from the tag; page styles do not leak in', async () => {
  const page = await open(await browser(), `${pages.url}/themed.html`);
  await banner(page).waitFor();
  const looks = await page.evaluate(() => {
    const root = document.querySelector('kelisim-consent').shadowRoot;
    const section = root.querySelector('section');
    const b = root.querySelector('.actions button');
    const s = getComputedStyle(b);
    return { top: Math.round(section.getBoundingClientRect().top), display: getComputedStyle(section).display,
      bg: s.backgroundColor, radius: s.borderTopLeftRadius, fontSize: s.fontSize };
  });
  assert.deepEqual(looks, { top: 16, display: 'block', bg: 'rgb(11, 122, 75)', radius: '2px', fontSize: '15px' });
  // Values that could load a resource or end the declaration are dropped (the loader's themeValue).
  const theme = await page.evaluate(() => {
    const style = document.querySelector('kelisim-consent').style;
    return ['--kelisim-accent', '--kelisim-radius', '--kelisim-border', '--kelisim-bg', '--kelisim-text']
      .map((p) => style.getPropertyValue(p));
  });
  assert.deepEqual(theme, ['#0b7a4b', '2px', '', '', '']);
  // And the widget's styles do not leak out.
  assert.equal(await page.evaluate(() => getComputedStyle(document.getElementById('page-button')).fontSize), '40px');
});

// ---- Integrity (issue 10) ----

/** An init script that moves this page's clock (Date.now and new Date) by `skewMs`. */
function shiftClock(skewMs) {
  return [(skew) => {
    const RealDate = Date;
    const now = () => RealDate.now() + skew;
    class DeviceDate extends RealDate {
      constructor(...args) { super(...(args.length ? args : [now()])); }
      static now() { return now(); }
    }
    window.Date = DeviceDate;
  }, skewMs];
}

/** Waits until a choice is remembered and nothing waits in the outbox (the receipt left it). */
const outboxEmpty = (page, site = 'crm-demo') => page.waitForFunction((s) =>
  localStorage.getItem(`kelisim:${s}`) !== null && localStorage.getItem(`kelisim:${s}:outbox`) === null, site);

for (const [label, skewMs, tag] of [
  ['15 minutes ahead', 15 * 60_000, 'plain'], ['15 minutes behind', -15 * 60_000, 'plain'],
  ['15 minutes ahead', 15 * 60_000, 'own'], ['15 minutes behind', -15 * 60_000, 'own'],
]) {
  const loader = tag === 'own' ? "the site's own loader" : 'the plain loader';
  test(`a device clock ${label} (${loader}): accept all is recorded at the edge, once, and holds after a reload`, async () => {
    const ctx = await browser({ locale: 'en-US' });
    await ctx.addInitScript(...shiftClock(skewMs));
    const page = await open(ctx, tag === 'own' ? stack.pageUrl('crm') : `${pages.url}/plain.html`);
    assert.ok(Math.abs(await page.evaluate(() => Date.now()) - Date.now() - skewMs) < 60_000, 'the page clock is moved');
    await button(page, 'accept').click();
    await outboxEmpty(page);
    const kept = await page.evaluate(() => window.kelisim.receipts());
    assert.equal(kept.length, 1, 'the receipt was countersigned, not dropped');
    const { claims } = kept[0].receipt;
    const stored = await edgeReceipt('crm-demo', claims.id);
    assert.equal(stored.valid, true);
    // Stamped on the edge's clock: the client time is the edge's, give or take the round trip.
    const drift = Date.parse(claims.client_time) - Date.parse(stored.signed.receipt.server_time);
    assert.ok(Math.abs(drift) < 5_000, `client_time is ${drift} ms from the edge's time`);
    // Stamped on the edge's clock from the start, not refused and made again.
    assert.equal(ctx.requests.filter((u) => /\/v1\/sites\/crm-demo\/receipts$/.test(u)).length, 1, 'posted once');
    await page.reload();
    await page.waitForFunction(() => window.kelisim.get('analytics') === true);
    assert.equal(await banner(page).count(), 0);
    assert.deepEqual(ctx.errors, []);
  });
}

test('a receipt already made on a wrong clock is made again once on the edge\'s clock', async () => {
  const ctx = await browser({ locale: 'en-US' });
  const page = await open(ctx, `${pages.url}/plain.html`);
  await banner(page).waitFor();
  await page.evaluate(() => window.kelisim.receipts()); // the wasm (from the edge) has booted
  // The edge unreachable: the receipt waits in the outbox; then it is stamped 15 minutes ahead by
  // hand (as a widget without the edge's offset made it), id and time both, and left unsigned
  // (its signature would no longer match).
  await stack.stopEdge();
  let moved;
  try {
    await button(page, 'accept').click();
    await page.waitForFunction(() => JSON.parse(localStorage.getItem('kelisim:crm-demo:outbox') ?? '[]')[0]?.attempts >= 1);
    moved = await page.evaluate(() => {
      const [entry] = JSON.parse(localStorage.getItem('kelisim:crm-demo:outbox'));
      const body = JSON.parse(entry.body);
      const ahead = Date.parse(body.claims.client_time) + 15 * 60_000;
      body.claims.client_time = new Date(ahead).toISOString();
      // The ULID's first 10 characters are its time.
      const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
      let t = ahead;
      let time = '';
      for (let i = 0; i < 10; i++) { time = alphabet[t % 32] + time; t = Math.floor(t / 32); }
      body.claims.id = time + body.claims.id.slice(10);
      body.claims.subject_key = null;
      const keys = Object.keys(body.claims).sort();
      const claims = `{${keys.map((k) => `${JSON.stringify(k)}:${JSON.stringify(body.claims[k])}`).join(',')}}`;
      const moved = { id: body.claims.id, body: `{"claims":${claims},"visitor_signature":null}`, attempts: 0, next_at: 0 };
      localStorage.setItem('kelisim:crm-demo:outbox', JSON.stringify([moved]));
      return moved;
    });
  } finally {
    await stack.startEdge();
  }
  assert.ok(moved.id);
  await page.reload();
  await outboxEmpty(page);
  const kept = await page.evaluate(() => window.kelisim.receipts());
  assert.equal(kept.length, 1, 'made again and countersigned');
  assert.notEqual(kept[0].receipt.claims.id, moved.id, 'a new id');
  assert.equal(kept[0].receipt.claims.action, 'accept_all', 'the same choice');
  assert.equal((await edgeReceipt('crm-demo', kept[0].receipt.claims.id)).valid, true);
  assert.equal(await page.evaluate(() => window.kelisim.get('analytics')), true);
});

test('a receipt the edge refuses for good withdraws its grants: event, warning, the banner asks again', async () => {
  const ctx = await browser({ locale: 'en-US' });
  // The page's fetch spoils receipt bodies on request, so the real edge refuses them (422).
  await ctx.addInitScript(() => {
    const real = window.fetch;
    window.fetch = function (url, init) {
      if (window.__spoil && init && init.method === 'POST') {
        init = { ...init, body: init.body.replace('"necessary":"granted"', '"necessary":"denied"') };
      }
      return real.call(this, url, init);
    };
    window.__refused = [];
    document.addEventListener('kelisim:refused', (e) => window.__refused.push(e.detail));
  });
  const page = await open(ctx, `${pages.url}/plain.html`);
  const warnings = [];
  page.on('console', (m) => { if (m.type() === 'warning') warnings.push(m.text()); });
  await banner(page).waitFor();
  await page.evaluate(() => { window.__spoil = true; });
  await button(page, 'accept').click();
  await page.waitForFunction(() => window.__refused.length === 1);
  const [refusal] = await page.evaluate(() => window.__refused);
  assert.ok(refusal.status >= 400 && refusal.status < 500, JSON.stringify(refusal));
  assert.ok(refusal.code, 'the edge\'s error code');
  assert.equal(await page.evaluate(() => window.kelisim.get('analytics')), false, 'the grant is withdrawn');
  const update = await page.evaluate(() => JSON.parse(JSON.stringify(Array.from(window.dataLayer.at(-1)))));
  assert.deepEqual(update.slice(0, 2), ['consent', 'update']);
  assert.equal(update[2].analytics_storage, 'denied');
  assert.ok(warnings.some((w) => w.includes('refused a receipt')), 'the console says why');
  assert.equal(await page.evaluate(() => localStorage.getItem('kelisim:crm-demo')), null, 'no choice remembered');
  await page.reload();
  await banner(page).waitFor();

  // A recorded refusal, then a grant the edge refuses: the recorded refusal holds.
  await button(page, 'reject').click();
  await keptReceipts(page, 1);
  await page.evaluate(() => { window.__spoil = true; window.kelisim.open(); });
  await dialog(page).waitFor();
  await button(page, 'accept').click();
  await page.waitForFunction(() => window.__refused.length === 1);
  assert.equal(await page.evaluate(() => window.kelisim.get('analytics')), false);
  await page.reload();
  await page.waitForFunction(() => window.kelisim.get('analytics') === false);
  assert.equal(await banner(page).count(), 0, 'the last recorded choice holds');
  assert.equal(await page.evaluate(() => JSON.parse(localStorage.getItem('kelisim:crm-demo')).action), 'reject_all');
  assert.ok(!(await page.evaluate(() => (window.__ran ?? []).length)), 'no analytics script ran after the reload');
});

test('the check of the edge\'s countersignature fails closed: a throwing verify keeps the receipt in the outbox', async () => {
  const ctx = await browser({ locale: 'en-US' });
  await ctx.addInitScript(() => {
    const real = SubtleCrypto.prototype.verify;
    SubtleCrypto.prototype.verify = function (...args) {
      if (localStorage.getItem('break-verify')) return Promise.reject(new Error('verify broke'));
      return real.apply(this, args);
    };
  });
  const page = await open(ctx, `${pages.url}/plain.html`);
  await banner(page).waitFor();
  await page.evaluate(() => localStorage.setItem('break-verify', '1'));
  await button(page, 'reject').click();
  const waiting = await (await page.waitForFunction(() => {
    const o = JSON.parse(localStorage.getItem('kelisim:crm-demo:outbox') ?? '[]');
    return o.length === 1 && o[0].attempts >= 1 && o[0];
  })).jsonValue();
  assert.equal((await edgeReceipt('crm-demo', waiting.id)).valid, true, 'the edge has it');
  assert.equal(await page.evaluate(() => localStorage.getItem('kelisim:crm-demo:receipts')), null, 'not kept as countersigned');
  await page.evaluate(() => localStorage.removeItem('break-verify'));
  await page.reload();
  await outboxEmpty(page);
  const kept = await page.evaluate(() => window.kelisim.receipts());
  assert.deepEqual(kept.map((k) => k.receipt.claims.id), [waiting.id], 'the same receipt, kept once checked');
});

test('the visitor key is made at the first choice, not when the banner shows', async () => {
  const ctx = await browser({ locale: 'en-US' });
  await ctx.addInitScript(() => {
    window.__keyLookups = 0;
    window.__generated = 0;
    const get = IDBObjectStore.prototype.get;
    IDBObjectStore.prototype.get = function (...args) {
      const request = get.apply(this, args);
      request.addEventListener('success', () => { window.__keyLookups++; });
      return request;
    };
    const generate = SubtleCrypto.prototype.generateKey;
    SubtleCrypto.prototype.generateKey = function (...args) {
      window.__generated++;
      return generate.apply(this, args);
    };
  });
  const page = await open(ctx, `${pages.url}/plain.html`);
  await banner(page).waitFor();
  // Once booted (on a first visit the wasm loads when asked for), the widget looked for a kept
  // key (and found none): it made none.
  await page.evaluate(() => window.kelisim.receipts());
  await page.waitForFunction(() => window.__keyLookups >= 1);
  const keys = () => page.evaluate(() => new Promise((resolve) => {
    const open = indexedDB.open('kelisim');
    open.onupgradeneeded = () => open.result.createObjectStore('keys');
    open.onsuccess = () => {
      const db = open.result;
      if (!db.objectStoreNames.contains('keys')) { db.close(); return resolve(0); }
      const count = db.transaction('keys').objectStore('keys').count();
      count.onsuccess = () => { db.close(); resolve(count.result); };
    };
  }));
  assert.equal(await page.evaluate(() => window.__generated), 0);
  assert.equal(await keys(), 0, 'no key in IndexedDB before a choice');
  await button(page, 'reject').click();
  const [kept] = await keptReceipts(page, 1);
  assert.equal(kept.receipt.claims.subject_key.kty, 'OKP');
  assert.equal(await page.evaluate(() => window.__generated), 1);
  assert.equal(await keys(), 1);
});

test('a non-material version that locks marketing on does not turn a rejection into a grant', async () => {
  const ctx = await browser({ locale: 'en-US' });
  const full = JSON.parse(await readFile(join(ROOT, 'www/demo/policies/crm-demo.json'), 'utf8'));
  for (const version of [1, 2, 3]) {
    const published = await stack.admin('PUT', '/v1/sites/forced-demo/policy', { body: { ...full, site: 'forced-demo', version } });
    assert.equal(published.status, 201, published.text);
  }
  const page = await open(ctx, `${pages.url}/forced.html`);
  await button(page, 'reject').click();
  const [kept] = await keptReceipts(page, 1);
  assert.equal(kept.receipt.claims.policy.version, 3);

  // Version 4, not material: marketing locked on. An edge that refuses such a version (issue 10)
  // is the first defence; the widget must hold on its own, so where the edge refuses, the page is
  // served that version anyway.
  const forcedCategories = full.categories.map((c) => (c.id === 'marketing' ? { ...c, switchable: false, default: true } : c));
  const v4 = await stack.admin('PUT', '/v1/sites/forced-demo/policy',
    { body: { ...full, site: 'forced-demo', version: 4, material: false, categories: forcedCategories } });
  if (v4.status !== 201) {
    assert.ok(v4.status >= 400 && v4.status < 500, v4.text);
    await page.route('**/v1/sites/forced-demo/policy*', async (route) => {
      const real = await route.fetch();
      const served = await real.json();
      served.policy.version = 4;
      served.policy.categories = served.policy.categories.map((c) =>
        (c.id === 'marketing' ? { ...c, switchable: false, default: true } : c));
      await route.fulfill({ response: real, json: served });
    });
  }
  await page.reload();
  await page.waitForFunction(() => window.kelisim.get('marketing') !== null);
  assert.equal(await page.evaluate(() => window.kelisim.get('marketing')), false);
  assert.equal(await banner(page).count(), 0, 'not material: no banner');
  const update = await page.evaluate(() => JSON.parse(JSON.stringify(Array.from(window.dataLayer.at(-1)))));
  assert.deepEqual(update.slice(0, 2), ['consent', 'update']);
  assert.equal(update[2].ad_storage, 'denied');
  assert.equal(await page.evaluate(() => window.__ran), undefined, 'the marketing script did not run');
});

for (const [label, path] of [['no CSP', '/inject.html'], ["a 'strict-dynamic' nonce CSP", '/strict-inject.html']]) {
  test(`only the page author's marked scripts run; markup injected as HTML never does (${label})`, async () => {
    const ctx = await browser({ locale: 'en-US' });
    const page = await open(ctx, pages.url + path);
    await banner(page).waitFor();
    await page.evaluate(() => {
      const box = document.getElementById('box');
      box.innerHTML = '<script type="text/plain" data-category="necessary">window.__ran.push("innerHTML-necessary")</script>'
        + '<script type="text/plain" data-category="necessary" src="ran.js?innerHTML-necessary-external"></script>';
      box.insertAdjacentHTML('beforeend',
        '<script type="text/plain" data-category="analytics">window.__ran.push("adjacent-analytics")</script>'
        + '<script type="text/plain" data-category="analytics" src="ran.js?adjacent-analytics-external"></script>');
    });
    // The parsed necessary script ran at once; the parsed analytics ones wait for consent.
    await page.waitForFunction(() => (window.__ran ?? []).includes('parsed-necessary'));
    await button(page, 'accept').click();
    await page.waitForFunction(() => window.__ran.includes('parsed-analytics-external'));
    // Added after consent by the page's own code: with the page's nonce, and through the API.
    await page.evaluate((nonce) => {
      const make = (label) => {
        const s = document.createElement('script');
        s.type = 'text/plain';
        s.dataset.category = 'analytics';
        s.src = `ran.js?${label}`;
        return s;
      };
      const nonced = make('nonced-later');
      nonced.nonce = nonce;
      document.body.append(nonced);
      const registered = make('registered-later');
      registered.nonce = nonce;
      document.body.append(registered);
      window.kelisim.register(registered);
    }, NONCE);
    await page.waitForFunction(() => window.__ran.includes('nonced-later') && window.__ran.includes('registered-later'));
    // Every script queued before those has run; the injected ones are still inert, untouched.
    const ran = await page.evaluate(() => window.__ran);
    assert.deepEqual(ran.slice(0, 3), ['parsed-necessary', 'parsed-analytics', 'parsed-analytics-external']);
    assert.deepEqual(ran.slice(3).sort(), ['nonced-later', 'registered-later']);
    const inert = await page.evaluate(() => [...document.querySelectorAll('#box script')].map((s) => s.type));
    assert.deepEqual(inert, ['text/plain', 'text/plain', 'text/plain', 'text/plain']);
    assert.deepEqual(await page.evaluate(() => window.__violations), []);
    assert.deepEqual(ctx.errors, []);
  });
}

for (const mode of ['gtag-throws', 'frozen']) {
  test(`markup and globals in the widget's way cannot stop it (shadowing elements, ${mode})`, async () => {
    const ctx = await browser({ locale: 'en-US' });
    const page = await open(ctx, `${pages.url}/shadowed.html?${mode}`);
    await banner(page).waitFor();
    assert.equal(await page.evaluate(() => typeof window.kelisim.get), 'function', 'window.kelisim is the widget\'s');
    await button(page, 'reject').click();
    const [kept] = await keptReceipts(page, 1);
    assert.equal((await edgeReceipt('crm-demo', kept.receipt.claims.id)).valid, true);
    assert.equal(await page.evaluate(() => window.kelisim.get('analytics')), false);
    if (mode === 'gtag-throws') {
      // The page's gtag threw: the commands went onto its dataLayer as the standard shim pushes them.
      const commands = await page.evaluate(() => window.dataLayer.map((a) => [a[0], a[1], a[2]?.analytics_storage]));
      assert.deepEqual(commands, [['consent', 'default', 'denied'], ['consent', 'update', 'denied']]);
    }
    assert.deepEqual(ctx.errors, [], 'nothing thrown into the page, no error logged');
  });
}
