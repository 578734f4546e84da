// Injected at document start into every benchmarked page (context.addInitScript), before any
// page script. Records, in window.__bench, with performance.now() (ms since navigation start):
//   visible      first moment the consent banner is rendered visible
//   interactive  first moment its accept button is present, visible, enabled and hit-testable
//                AND the page's readiness marker (window.__cmpReady) is set
//   cls          sum of layout-shift values without recent input
//   longtasks    [{start, duration}] from the longtask observer
//   approach     first pointerover/mouseover anywhere (the pointer arriving on what will be pressed)
//   press        first pointerdown or click (capture phase on document), with pressVia its type
//   gone         first animation frame after the press where the banner is no longer visible
//                (no longer found, detached, hidden, transparent or a zero box: the same test
//                as `visible`, re-run on the banner the selector path finds in that frame)
// How the banner is found: SPEC (filled in by the harness) gives, per product, a path of
// selectors where each step after the first is looked up in the previous match's open shadow
// root. When the path finds nothing, a generic fallback looks for a child of <body> with an open
// shadow root that contains a button (the shape of a shadow-DOM widget), then for any element
// marked [data-kelisim-host]. Checks run on every DOM mutation (document and every shadow root
// seen) and on every animation frame, so CSS transitions are seen as well as insertions.
(() => {
  const SPEC = __SPEC__;
  const B = (window.__bench = {
    visible: null, interactive: null, cls: 0, shifts: 0, longtasks: [], via: null, fcp: null,
    approach: null, press: null, pressVia: null, gone: null,
  });
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) if (!e.hadRecentInput) { B.cls += e.value; B.shifts += 1; }
    }).observe({ type: 'layout-shift', buffered: true });
  } catch { B.cls = null; }
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) B.longtasks.push({ start: e.startTime, duration: e.duration });
    }).observe({ type: 'longtask', buffered: true });
  } catch { B.longtasks = null; }
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) if (e.name === 'first-contentful-paint') B.fcp = e.startTime;
    }).observe({ type: 'paint', buffered: true });
  } catch { /* no paint timing */ }

  function follow(path) {
    let scope = document;
    let el = null;
    for (let i = 0; i < path.length; i++) {
      if (!scope) return null;
      el = scope.querySelector(path[i]);
      if (!el) return null;
      scope = el.shadowRoot;
    }
    return el;
  }
  function generic() {
    const hosts = [...(document.body?.children ?? [])].filter((e) => e.shadowRoot?.querySelector('button'));
    const marked = document.querySelector('[data-kelisim-host]');
    if (marked) hosts.push(marked);
    for (const host of hosts) {
      const root = host.shadowRoot ?? host;
      const buttons = [...root.querySelectorAll('button')];
      const accept = buttons.find((b) => SPEC.acceptText && SPEC.acceptText.test(b.textContent)) ?? buttons[0];
      if (accept) return { banner: accept.closest('section,[role=region],[role=dialog],div') ?? host, accept };
    }
    return null;
  }
  function visible(el) {
    if (!el || !el.isConnected) return false;
    const r = el.getBoundingClientRect();
    if (r.width <= 0 || r.height <= 0) return false;
    if (r.bottom <= 0 || r.right <= 0 || r.top >= innerHeight || r.left >= innerWidth) return false;
    return el.checkVisibility({ opacityProperty: true, visibilityProperty: true, contentVisibilityAuto: true });
  }
  function hittable(btn) {
    const r = btn.getBoundingClientRect();
    const x = r.left + r.width / 2;
    const y = r.top + r.height / 2;
    let hit = document.elementFromPoint(x, y);
    while (hit && hit.shadowRoot) {
      const inner = hit.shadowRoot.elementFromPoint(x, y);
      if (!inner || inner === hit) break;
      hit = inner;
    }
    return Boolean(hit) && (hit === btn || btn.contains(hit));
  }
  function enabled(btn) {
    return !btn.disabled && !btn.closest('[inert]') && getComputedStyle(btn).pointerEvents !== 'none';
  }
  const observed = new WeakSet();
  const mo = new MutationObserver(() => { watchShadows(); check(); });
  function watchShadows() {
    for (const el of document.body ? document.body.children : []) {
      if (el.shadowRoot && !observed.has(el.shadowRoot)) {
        observed.add(el.shadowRoot);
        mo.observe(el.shadowRoot, { childList: true, subtree: true, attributes: true });
      }
    }
  }
  function check() {
    if (B.interactive !== null) return;
    const now = performance.now();
    let banner = follow(SPEC.banner);
    let accept = follow(SPEC.accept);
    let via = 'spec';
    if (!banner && SPEC.generic) {
      const g = generic();
      if (g) { banner = g.banner; accept = g.accept; via = 'generic'; }
    }
    if (B.visible === null && visible(banner)) { B.visible = now; B.via = via; }
    if (B.visible !== null && accept && visible(accept) && enabled(accept) && hittable(accept) && window.__cmpReady != null) {
      B.interactive = now;
    }
  }
  mo.observe(document, { childList: true, subtree: true, attributes: true });
  const frame = () => { check(); if (B.interactive === null) requestAnimationFrame(frame); };
  requestAnimationFrame(frame);

  // After the press: the banner the path (or the fallback) finds in each frame, until none is
  // visible. Looked up again every frame, as a product may replace its banner element.
  function banner() {
    const el = follow(SPEC.banner);
    if (el || !SPEC.generic) return el;
    return generic()?.banner ?? null;
  }
  const afterPress = () => {
    if (visible(banner())) requestAnimationFrame(afterPress);
    else B.gone = performance.now();
  };
  const approached = () => { if (B.approach === null) B.approach = performance.now(); };
  const pressed = (e) => {
    if (B.press !== null) return;
    B.press = performance.now();
    B.pressVia = e.type;
    requestAnimationFrame(afterPress);
  };
  for (const type of ['pointerover', 'mouseover']) document.addEventListener(type, approached, { capture: true });
  for (const type of ['pointerdown', 'click']) document.addEventListener(type, pressed, { capture: true });
})();
