/*! Kelisim consent widget · Apache-2.0 · https://github.com/kelisim */
// The one file the site's tag loads. It sets the Google Consent Mode v2 defaults synchronously,
// defines window.kelisim (the JS boundary: nothing the widget does throws into the page), asks
// the edge for the policy and loads the content-hashed wasm next to this file, both at once.
// scripts/build-widget.sh puts the wasm-bindgen glue where the GLUE marker is and the wasm file
// name in place of WASM_FILE.
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

  // 3. The policy, requested while the wasm loads: the URL the wasm will ask for first (the site
  // and the first usable language of data-lang, <html lang>, navigator.languages; see i18n.rs).
  // The wasm uses this request only if its URL is exactly the one it wants.
  var early = guard(function () {
    var site = (script.getAttribute('data-site') || '').trim();
    if (!/^[a-z0-9][a-z0-9_-]{0,63}$/.test(site)) return undefined;
    var root = d.documentElement;
    var tags = [script.getAttribute('data-lang'), root && root.getAttribute('lang')]
      .concat(Array.prototype.slice.call(navigator.languages || []));
    var lang = '';
    for (var i = 0; i < tags.length && !lang; i++) {
      var primary = tags[i] == null ? '' : String(tags[i]).trim().split(/[-_]/)[0].toLowerCase();
      if (/^[a-z]{2,3}$/.test(primary)) lang = '?lang=' + primary;
    }
    var url = new URL(script.src).origin + '/v1/sites/' + site + '/policy' + lang;
    var response = fetch(url, { cache: 'no-cache', credentials: 'omit', mode: 'cors' });
    response.catch(function () { /* the wasm sees the failure when it reads the response */ });
    return [url, response];
  });

  // 4. The widget's DOM: the wasm describes what it shows as a tree, ["tag", {attributes},
  // children…] in JSON (see widget/src/ui.rs); this makes it elements and text nodes, never
  // markup.
  function build(json) {
    function node(n) {
      if (typeof n === 'string') return d.createTextNode(n);
      var e = d.createElement(n[0]);
      for (var name in n[1]) e.setAttribute(name, n[1][name]);
      for (var i = 2; i < n.length; i++) e.appendChild(node(n[i]));
      return e;
    }
    return node(JSON.parse(json));
  }

  // 5. The wasm.
  /*GLUE*/
  guard(function () {
    var url = new URL('assets/WASM_FILE', script.src);
    wasm_bindgen({ module_or_path: url }).then(function () {
      ready = wasm_bindgen.boot(script, report, build, early);
      settle(true);
    }).catch(function (e) {
      report(e);
      settle(false);
    });
  });
})();
