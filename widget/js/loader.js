/*! Kelisim consent widget · Apache-2.0 · https://github.com/kelisim */
// The one file the site's tag loads. It sets the Google Consent Mode v2 defaults synchronously,
// defines window.kelisim (the JS boundary: nothing the widget does throws into the page), then
// loads the content-hashed wasm next to this file. scripts/build-widget.sh puts the wasm-bindgen
// glue where the GLUE marker is and the wasm file name in place of WASM_FILE.
(function () {
  'use strict';
  var w = window;
  var d = document;
  var failed = false;
  function report(e) {
    if (failed) return;
    failed = true;
    try { console.error('[kelisim] the consent widget stopped:', e); } catch (_) { /* no console */ }
  }

  // 1. Consent Mode defaults: everything a category drives is denied until the visitor chooses.
  try {
    w.dataLayer = w.dataLayer || [];
    if (typeof w.gtag !== 'function') {
      w.gtag = function gtag() { w.dataLayer.push(arguments); };
    }
    w.gtag('consent', 'default', {
      ad_storage: 'denied',
      ad_user_data: 'denied',
      ad_personalization: 'denied',
      analytics_storage: 'denied',
      functionality_storage: 'granted',
      security_storage: 'granted',
      wait_for_update: 500
    });
  } catch (e) { report(e); }

  var script = d.currentScript;
  if (!script || !/\/kelisim\.js(\?|#|$)/.test(script.src)) {
    script = d.querySelector('script[data-site][src*="/kelisim.js"]');
  }
  if (!script || w.kelisim) return;

  // 2. window.kelisim. Calls made before the wasm is ready wait for it.
  var ready = null;
  var waiting = [];
  function whenReady(fn, fallback) {
    if (ready) return guard(function () { return fn(ready); }, fallback);
    if (failed) return fallback;
    waiting.push([fn, fallback]);
  }
  function guard(fn, fallback) {
    try { return fn(); } catch (e) { report(e); return fallback; }
  }
  function settle(ok) {
    var list = waiting;
    waiting = [];
    list.forEach(function (item) {
      if (ok) guard(function () { item[0](ready); });
      else if (typeof item[1] === 'function') item[1]();
    });
  }
  function later(fn, empty) {
    return new Promise(function (resolve) {
      var none = function () { resolve(empty); };
      if (!ready && failed) return none();
      whenReady(function (x) { resolve(Promise.resolve(fn(x)).catch(function (e) { report(e); return empty; })); }, none);
    });
  }
  w.kelisim = Object.freeze({
    /** true / false once decided, null while undecided or for a category the policy lacks. */
    get: function (category) {
      return ready ? guard(function () { return ready.get(String(category)); }, null) : null;
    },
    /** Calls fn({decisions, action}) on every change; returns the function that unsubscribes. */
    subscribe: function (fn) {
      if (typeof fn !== 'function') return function () {};
      var id = null;
      var off = false;
      whenReady(function (x) { if (!off) id = x.subscribe(fn); });
      return function () {
        off = true;
        if (id !== null && ready) guard(function () { ready.unsubscribe(id); });
      };
    },
    /** Opens the privacy settings. */
    open: function () { whenReady(function (x) { x.open(); }); },
    /** Withdraws consent: every optional category denied, recorded as a receipt. */
    withdraw: function () { return later(function (x) { return x.withdraw(); }, undefined); },
    /** This browser's countersigned receipts for the site, oldest first. */
    receipts: function () { return later(function (x) { return x.receipts(); }, []); }
  });

  // 3. The wasm.
  /*GLUE*/
  guard(function () {
    var url = new URL('assets/WASM_FILE', script.src);
    wasm_bindgen({ module_or_path: url }).then(function () {
      wasm_bindgen.boot(script, report);
      ready = wasm_bindgen;
      settle(true);
    }).catch(function (e) {
      report(e);
      settle(false);
    });
  });
})();
