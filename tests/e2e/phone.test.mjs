// The demo sites on a phone, in real headless Chromium against the edge on real workerd: on a
// 360 × 740 touch screen (device pixel ratio 3) each demo page fits the screen's width — no
// horizontal scrolling, the layout viewport not widened by its content — and the consent banner's
// three buttons (accept, reject, settings) are fully on screen and not covered, before any
// scrolling. Screenshots go to tests/artifacts/phone-<site>.png. Nothing sleeps: every wait is on
// a condition.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ROOT, startStack } from '../lib/stack.mjs';
import { launchBrowser } from '../lib/browser.mjs';

const ARTIFACTS = join(ROOT, 'tests/artifacts');
/** A small current phone: 360 CSS px wide (the narrowest common Android width), 740 tall. */
const PHONE = { viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true, deviceScaleFactor: 3 };
const BUTTONS = ['accept', 'reject', 'settings'];

let stack;
const browsers = [];

/** Routes /v1/kelisim.js and /v1/assets/* to the static assets (www/dist) rather than the worker. */
function serveWidgetAssets(config) {
  if (config.includes('"!/v1/kelisim.js"')) return config;
  return config.replace(/^run_worker_first = \[/m, 'run_worker_first = ["!/v1/kelisim.js", "!/v1/assets/*", ');
}

before(async () => {
  stack = await startStack({ name: 'phone', editConfig: serveWidgetAssets });
  await mkdir(ARTIFACTS, { recursive: true });
});

after(async () => {
  const bounded = (p) => Promise.race([p, new Promise((r) => setTimeout(r, 10_000).unref())]);
  await stack?.stop();
  await bounded(Promise.all(browsers.map((b) => b.close().catch(() => {}))));
});

/** Where an element is on the screen (CSS px of the visual viewport) and what is on top at its centre. */
function placement(el) {
  const r = el.getBoundingClientRect();
  const vv = window.visualViewport;
  const x = r.left + r.width / 2;
  const y = r.top + r.height / 2;
  // The topmost element at the button's centre, descending through open shadow roots.
  let hit = document.elementFromPoint(x, y);
  while (hit && hit.shadowRoot) {
    const inner = hit.shadowRoot.elementFromPoint(x, y);
    if (!inner || inner === hit) break;
    hit = inner;
  }
  return {
    left: r.left - vv.offsetLeft, top: r.top - vv.offsetTop, right: r.right - vv.offsetLeft, bottom: r.bottom - vv.offsetTop,
    width: r.width, height: r.height, screenWidth: vv.width, screenHeight: vv.height,
    onTop: Boolean(hit) && (hit === el || el.contains(hit)),
  };
}

for (const [key, label] of [['crm', 'CRM'], ['services', 'services']]) {
  test(`${label} demo on a 360 px phone: no horizontal overflow, the banner's three buttons fully on screen`, async () => {
    const ctx = await launchBrowser(PHONE);
    browsers.push(ctx);
    const errors = [];
    const page = ctx.pages()[0] ?? (await ctx.newPage());
    page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
    await page.goto(stack.pageUrl(key));
    const banner = page.locator('kelisim-consent section[role=region]');
    await banner.waitFor({ state: 'visible' });
    for (const action of BUTTONS) await banner.locator(`[data-action=${action}]`).waitFor({ state: 'visible' });
    await page.screenshot({ path: join(ARTIFACTS, `phone-${key}.png`) });

    const widths = await page.evaluate(() => ({
      innerWidth: window.innerWidth, scrollWidth: document.scrollingElement.scrollWidth,
      scrollX: window.scrollX, scrollY: window.scrollY, scale: window.visualViewport.scale,
    }));
    // A page wider than the screen widens a phone's layout viewport (innerWidth grows past the
    // device width) and then scrolls sideways within it: both are overflow.
    assert.equal(widths.innerWidth, PHONE.viewport.width, `the layout viewport stays the screen's width (${JSON.stringify(widths)})`);
    assert.ok(widths.scrollWidth <= widths.innerWidth, `no horizontal scroll: scrollWidth ${widths.scrollWidth} > innerWidth ${widths.innerWidth}`);
    assert.deepEqual([widths.scrollX, widths.scrollY, widths.scale], [0, 0, 1], 'nothing scrolled or zoomed');

    for (const action of BUTTONS) {
      const p = await banner.locator(`[data-action=${action}]`).evaluate(placement);
      const where = `${action}: ${JSON.stringify(p)}`;
      assert.ok(p.width > 0 && p.height > 0, `${where} has a size`);
      assert.ok(p.left >= 0 && p.top >= 0, `${where} starts on screen`);
      assert.ok(p.right <= p.screenWidth && p.bottom <= p.screenHeight, `${where} ends on screen`);
      assert.ok(p.onTop, `${where} is not covered by anything`);
    }
    assert.deepEqual(errors, []);
    await ctx.close();
  });
}
