/*! Kelisim consent widget · Apache-2.0 · https://github.com/kelisim */
// The one file the site's tag loads. It sets the Google Consent Mode v2 defaults synchronously,
// defines window.kelisim (the JS boundary: nothing the widget does throws into the page), asks
// the edge for the policy's first layer and paints the banner from it. The content-hashed wasm
// next to this file loads beside it, except on a first visit (section 10): the banner needs none
// of it, so it loads when the visitor reaches for the banner.
//
// The wasm (widget/src) decides everything: what is shown, which decisions hold, what a receipt
// says, whether the edge's countersignature covers it, what the outbox does next. This file is
// its hands in the browser: fetch, WebCrypto, IndexedDB, localStorage, the DOM (built from the
// wasm's element trees, never from markup), events. scripts/build-widget.sh puts the
// wasm-bindgen glue where the GLUE marker is and the wasm file name in place of WASM_FILE.
(function () {
  'use strict';
  // 0. The browser's built-ins, taken now: the page's markup (an <img name="body"> shadows
  // document.body, a <form name="kelisim"> shows up as window.kelisim) and its later code (a
  // global reassigned) cannot change what the widget calls. These locals shadow the globals of
  // the same name for all of this file, the wasm-bindgen glue included.
  var w = window;
  var d = document;
  var apply = Reflect.apply;
  var fetch = w.fetch;
  var setTimeout = w.setTimeout;
  var clearTimeout = w.clearTimeout;
  var JSON = { parse: w.JSON.parse, stringify: w.JSON.stringify };
  var Date = { now: w.Date.now };
  var URL = w.URL;
  var Promise = w.Promise;
  var CustomEvent = w.CustomEvent;
  var MutationObserver = w.MutationObserver;
  var Element = w.Element;
  var HTMLScriptElement = w.HTMLScriptElement;
  var console = w.console;
  var crypto = w.crypto;
  var subtle = crypto && crypto.subtle;
  var navigator = w.navigator;
  var indexedDB = null;
  try { indexedDB = w.indexedDB; } catch (_) { /* disabled */ }
  var local = null;
  try { local = w.localStorage; } catch (_) { /* disabled */ }
  /** f(self, ...args) for the method `name` of `proto` as it is now. */
  function method(proto, name) {
    var f = proto[name];
    return function (self) { return apply(f, self, [].slice.call(arguments, 1)); };
  }
  /** f(self) for the getter `name` of `proto` as it is now. */
  function getter(proto, name) {
    var g = Object.getOwnPropertyDescriptor(proto, name).get;
    return function (self) { return apply(g, self, []); };
  }
  var Doc = w.Document.prototype;
  var El = Element.prototype;
  var Target = w.EventTarget.prototype;
  var on = method(Target, 'addEventListener');
  var dispatch = method(Target, 'dispatchEvent');
  var body = getter(Doc, 'body');
  var documentElement = getter(Doc, 'documentElement');
  var activeElement = getter(Doc, 'activeElement');
  var readyState = getter(Doc, 'readyState');
  var createElement = method(Doc, 'createElement');
  var createTextNode = method(Doc, 'createTextNode');
  var find = method(Doc, 'querySelector');
  var closest = method(El, 'closest');
  var matches = method(El, 'matches');
  var findAllIn = method(El, 'querySelectorAll');
  var findAll = method(Doc, 'querySelectorAll');
  var subtleOp = function (name) { return subtle && method(w.SubtleCrypto.prototype, name); };
  var generateKey = subtleOp('generateKey');
  var exportKey = subtleOp('exportKey');
  var importKey = subtleOp('importKey');
  var sign = subtleOp('sign');
  var verifySignature = subtleOp('verify');
  var getRandomValues = crypto && method(w.Crypto.prototype, 'getRandomValues');
  var CryptoKey = w.CryptoKey;
  var TextEncoder = w.TextEncoder;
  var Uint8Array = w.Uint8Array;
  function warn(message) {
    try { apply(console.warn, console, ['[kelisim] ' + message]); } catch (_) { /* no console */ }
  }

  var failed = false;
  function report(e) {
    if (failed) return;
    failed = true;
    try { apply(console.error, console, ['[kelisim] the consent widget stopped:', e]); } catch (_) { /* no console */ }
  }
  function guard(fn, fallback) {
    try { return fn(); } catch (e) { report(e); return fallback; }
  }

  // 1. Consent Mode: the page's gtag if it has one, else the standard shim onto dataLayer. A page
  // whose gtag throws gets the command pushed onto dataLayer directly (as the shim would); a
  // dataLayer that refuses it is the page's to fix: said once, never thrown into the page.
  var consentWarned = false;
  function consent(kind, signals) {
    try {
      if (typeof w.gtag === 'function') return void w.gtag('consent', kind, signals);
    } catch (_) { /* the page's gtag threw: push the command itself */ }
    try {
      w.dataLayer.push((function () { return arguments; })('consent', kind, signals));
    } catch (_) {
      if (!consentWarned) warn('Google Consent Mode could not be updated: the page\'s gtag and dataLayer refuse it');
      consentWarned = true;
    }
  }
  // Everything a category drives is denied until the visitor chooses.
  try {
    if (!w.dataLayer) w.dataLayer = [];
    if (typeof w.gtag !== 'function') w.gtag = function gtag() { w.dataLayer.push(arguments); };
  } catch (_) { /* the page's own dataLayer or gtag, read-only */ }
  consent('default', {
    ad_storage: 'denied',
    ad_user_data: 'denied',
    ad_personalization: 'denied',
    analytics_storage: 'denied',
    functionality_storage: 'granted',
    security_storage: 'granted',
    wait_for_update: 500
  });

  var script = getter(Doc, 'currentScript')(d);
  if (!script || !/\/kelisim\.js(\?|#|$)/.test(script.src)) {
    script = find(d, 'script[data-site][src*="/kelisim.js"]');
  }
  // Once per page, whatever the page calls kelisim.
  var LOADED = w.Symbol.for('kelisim.loader');
  if (!script || w[LOADED]) return;
  w[LOADED] = true;
  // The page's CSP nonce, as its author gave it to this tag: marked scripts the page's own code
  // adds later run only with it (section 5).
  var pageNonce = script.nonce || '';

  // 2. window.kelisim. Calls made before the wasm is ready wait for it (and start it, section 10).
  var ready = null; // the wasm's Widget
  // Section 10's state, set here: a necessary script found in section 5 may start the wasm
  // before section 10 has run.
  var paints = false; // the loader paints the banner from the first layer (paintEarly)
  var started = false; // the wasm was asked for
  var wanted = false; // start() was called before section 10 ran
  var bootable = false; // section 10 has run: start() may boot
  var waiting = [];
  var subscribers = [];
  function whenReady(fn, fallback) {
    if (ready) return guard(function () { return fn(ready); }, fallback);
    if (failed) return fallback;
    waiting.push([fn, fallback]);
    start();
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
  var api = Object.freeze({
    /** true / false once decided, null while undecided or for a category the policy lacks. */
    get: function (category) {
      var v = ready && guard(function () { return ready.on('get', String(category), ''); });
      return v ? v === 'true' : null;
    },
    /** Calls fn({decisions, action}) on every change; returns the function that unsubscribes. */
    subscribe: function (fn) {
      if (typeof fn !== 'function') return function () {};
      var entry = [fn];
      subscribers.push(entry);
      return function () { subscribers = subscribers.filter(function (s) { return s !== entry; }); };
    },
    /** Opens the privacy settings. */
    open: function () { whenReady(function (x) { x.on('open', '', ''); }); },
    /** Withdraws consent: every optional category denied, recorded as a receipt. */
    withdraw: function () { return later(function (x) { x.on('withdraw', '', ''); }, undefined); },
    /** This browser's countersigned receipts for the site, oldest first. */
    receipts: function () { return later(function (x) { return JSON.parse(x.on('receipts', '', '')); }, []); },
    /** Proves a kept receipt is in the site's log: checkpoint signed by the edge's key, the leaf
     * rebuilt from the receipt, its inclusion proof (js/prove.js, loaded only when asked). */
    prove: function (id) {
      return api.receipts().then(function (all) {
        var kept = all.filter(function (r) { return r && r.receipt && r.receipt.claims && r.receipt.claims.id === id; })[0];
        if (!kept) return { verified: false, reason: 'no such receipt kept in this browser' };
        return import(origin + '/v1/kelisim-prove.js').then(function (m) { return m.prove(origin, site, kept); });
      }).catch(function (e) { return { verified: false, reason: String(e && e.message || e) }; });
    },
    /** Adds a marked script the page's own code made (a <script type="text/plain"
     * data-category>, in the document); returns whether it was taken. */
    register: function (element) { return guard(function () { return trust(element); }, false); }
  });
  try {
    Object.defineProperty(w, 'kelisim', { value: api, enumerable: true, configurable: true });
  } catch (e) { report(e); }

  // 3. The policy's first layer (what the banner shows), for the URL the wasm will ask for first
  // (the site and the first usable language of data-lang, <html lang>, navigator.languages; see
  // i18n.rs). The site's own loader (/v1/sites/{site}/kelisim.js, edge/src/site_loader.rs) has
  // it written in, every language of the policy (EMBEDDED below, a JSON object; anything else
  // here means none): no request then. Otherwise it is requested. The wasm's request is this one
  // only if its URL is exactly the same. The whole policy is fetched when the visitor opens it
  // (host.fetch).
  var EMBEDDED = 'KELISIM_FIRST_LAYERS';
  var origin = guard(function () { return new URL(script.src).origin; });
  var site = (script.getAttribute('data-site') || '').trim();
  // Layers written for another site than the tag's data-site are not this page's.
  var embedded = guard(function () {
    var path = new URL(script.src).pathname;
    return EMBEDDED.charAt(0) === '{' && path === '/v1/sites/' + site + '/kelisim.js' ? JSON.parse(EMBEDDED) : null;
  });
  function request(url, init) {
    init.credentials = 'omit';
    init.mode = 'cors';
    return fetch(url, init).then(answer);
  }
  // [status, body, Date header]: the edge's clock is the receipts' (widget/src/clock.rs).
  function answer(r) {
    return r.text().then(function (t) { return [r.status, t, r.headers.get('Date') || '']; });
  }
  function noAnswer() { return [0, '', '']; }
  var early = guard(function () {
    if (!/^[a-z0-9][a-z0-9_-]{0,63}$/.test(site)) return undefined;
    var root = documentElement(d);
    var tags = [script.getAttribute('data-lang'), root && root.getAttribute('lang')]
      .concat(Array.prototype.slice.call(navigator.languages || []));
    var lang = '';
    for (var i = 0; i < tags.length && !lang; i++) {
      var primary = tags[i] == null ? '' : String(tags[i]).trim().split(/[-_]/)[0].toLowerCase();
      if (/^[a-z]{2,3}$/.test(primary)) lang = primary;
    }
    var url = origin + '/v1/sites/' + site + '/policy' + (lang ? '?lang=' + lang + '&' : '?') + 'layer=banner';
    var own = embedded && lang && Object.prototype.hasOwnProperty.call(embedded, lang) ? embedded[lang] : null;
    var answered = typeof own === 'string' ? Promise.resolve([200, own, ''])
      : request(url, { cache: 'no-cache' }).catch(noAnswer);
    answered.then(function (a) { guard(function () { paintEarly(a, lang); }); });
    return [url, answered, typeof own === 'string'];
  });
  // The banner, painted from the first layer as soon as it arrives, before the wasm is ready:
  // when the edge answered in the visitor's first language (so the wasm will not ask again in
  // another) and no remembered choice holds (what the wasm stores under kelisim:{site}: its
  // policy version against the first layer's last material version, its expiry; see
  // widget/src/state.rs). The wasm still decides: once it has the first layer (handOver), a
  // banner it does not want goes, and a press made before it was ready is handed to it then.
  function paintEarly(a, lang) {
    if (bannerWanted !== null || a[0] !== 200 || !lang) return;
    var doc = JSON.parse(a[1]);
    if (doc.language !== lang || remembered(doc.last_material_version)) return;
    language = lang;
    paints = true;
    withView(function (v) {
      if (bannerWanted === null) paint(v, a[1]);
    });
  }
  function remembered(lastMaterial) {
    try {
      var r = JSON.parse(local.getItem('kelisim:' + site));
      return r.version >= lastMaterial && Date.now() < r.expires;
    } catch (_) { return false; }
  }
  function policy(W) {
    var root = documentElement(d);
    var languages = JSON.stringify(Array.prototype.slice.call(navigator.languages || []));
    var url = W.on('languages', root && root.getAttribute('lang') || '', languages);
    var first = early && early[0] === url ? early[1] : request(url, { cache: 'no-cache' }).catch(noAnswer);
    early = null;
    first.then(function (a) {
      W.on('clock', a[2], '');
      var again = W.on('policy', String(a[0]), hand(a));
      if (!again) return handOver(W);
      return request(again, { cache: 'no-cache' }).catch(noAnswer).then(function (b) {
        W.on('clock', b[2], '');
        W.on('policy-again', String(b[0]), hand(b));
        handOver(W);
      });
    }).catch(report);
  }
  // The first layer the wasm gets: the banner it may ask for is painted from it.
  function hand(a) {
    layer = a[1];
    guard(function () { language = a[0] === 200 && JSON.parse(layer).language || language; });
    return layer;
  }
  // The wasm has its first layer and has decided about the banner.
  function handOver(W) {
    handed = true;
    if (bannerWanted !== true) {
      bannerWanted = false;
      if (view && view.banner) { view.banner.remove(); view.banner = null; }
    }
    busy(false);
    var p = pressed;
    pressed = null;
    if (p) W.on('press', p[0], p[1]);
  }

  // 4. The widget's DOM: a host element with an open shadow root (one constructable stylesheet,
  // so no CSP 'unsafe-inline'), the banner and a stack of modal dialogs. The wasm describes its
  // dialogs as trees, ["tag", {attributes}, children…] in JSON (widget/src/ui.rs); the banner's
  // tree is made here from the first layer (bannerTree). build() makes a tree elements and text
  // nodes, never markup: no text of a policy is ever parsed as HTML.
  var FOCUSABLE = 'button:not([disabled]), input:not([disabled]), a[href], [tabindex="0"]';
  var view = null;
  var unmounted = [];
  // The stylesheet, widget/src/widget.css minified (scripts/build-widget.sh puts it here).
  var CSS = 'CSS_TEXT';
  // The banner's words per interface language: [title (its accessible name), before the
  // operator's name, the policy link, accept all, reject all, settings]; any other language gets
  // English, as in widget/src/i18n.rs, whose native test pins these to the words it shares.
  var BANNER_WORDS = {
    "ru": ["Согласие на обработку данных", "Оператор персональных данных:", "Читать политику конфиденциальности", "Принять все", "Отклонить все", "Настроить"],
    "kk": ["Деректерді өңдеуге келісім", "Дербес деректер операторы:", "Құпиялылық саясатын оқу", "Барлығын қабылдау", "Барлығынан бас тарту", "Баптау"],
    "en": ["Consent to data processing", "Data controller:", "Read the privacy policy", "Accept all", "Reject all", "Settings"]
  };
  // The theme: each attribute of the tag sets a custom property on the host element (the page's
  // CSS may set them too). A value is set with style.setProperty (CSSOM, fine under a strict
  // CSP), which parses it as one value; anything that could end a declaration or a block, or
  // load a resource, is still refused, so a value can only be a colour, a length or a font list.
  var THEME = [['data-accent', '--kelisim-accent'], ['data-accent-text', '--kelisim-accent-text'],
    ['data-background', '--kelisim-bg'], ['data-text', '--kelisim-text'], ['data-border', '--kelisim-border'],
    ['data-radius', '--kelisim-radius'], ['data-font', '--kelisim-font']];
  var MAX_THEME_VALUE_CHARS = 120; // longer is not a colour, length or font list
  function themeValue(v) {
    v = v == null ? '' : String(v).trim();
    var ok = v !== '' && Array.from(v).length <= MAX_THEME_VALUE_CHARS && !/[;{}<>\\@\u0000-\u001f\u007f-\u009f]/.test(v) &&
      !/url\(|image|expression/.test(v.toLowerCase());
    return ok ? v : '';
  }
  var position = (script.getAttribute('data-position') || '').trim();
  var bannerClass = 'banner ' + (position === 'top' || position === 'center' ? position : 'bottom');
  var language = ''; // of the first layer shown: the host element's lang
  var layer = null; // the text of the first layer last handed to the wasm
  var painted = null; // the text of the first layer the banner on screen was made from
  var bannerWanted = null; // the wasm's decision, once it has the first layer
  var handed = false; // the wasm has the first layer (handOver)
  var pressed = null; // [action, switches]: the press made before handOver, honoured then, once
  function build(tree) {
    function node(n) {
      if (typeof n === 'string') return createTextNode(d, n);
      var e = createElement(d, n[0]);
      for (var name in n[1]) e.setAttribute(name, n[1][name]);
      for (var i = 2; i < n.length; i++) if (n[i] !== '') e.appendChild(node(n[i]));
      return e;
    }
    return node(typeof tree === 'string' ? JSON.parse(tree) : tree);
  }
  // A localised text of the first layer ({lang: text}): the language's, else the first one's.
  function localized(m, lang) {
    if (!m || typeof m !== 'object') return '';
    var v = Object.prototype.hasOwnProperty.call(m, lang) ? m[lang] : m[Object.keys(m)[0]];
    return typeof v === 'string' ? v : '';
  }
  // The banner: a labelled region with the operator, the summary, a link to the whole policy and
  // three equal buttons, from the first layer's text.
  function bannerTree(text) {
    var doc = JSON.parse(text);
    var lang = doc.language;
    var p = doc.policy;
    var words = BANNER_WORDS[lang] || BANNER_WORDS.en;
    var button = function (cls, action, label) {
      return ['button', { class: cls, type: 'button', 'data-action': action }, label];
    };
    var name = p.operator && p.operator.legal_name;
    return ['section', { class: bannerClass, role: 'region', 'aria-labelledby': 'k-banner-title', tabindex: '-1' },
      ['h2', { id: 'k-banner-title' }, words[0]],
      ['p', { class: 'op' }, words[1], ' ', typeof name === 'string' ? name : ''],
      ['p', {}, localized(p.summary, lang)],
      ['p', {}, button('link', 'policy', words[2])],
      ['div', { class: 'actions' }, button('btn', 'accept', words[3]), button('btn', 'reject', words[4]),
        button('btn', 'settings', words[5])]];
  }
  function paint(v, text) {
    if (v.banner) v.banner.remove();
    v.banner = v.root.appendChild(build(bannerTree(text)));
    painted = text;
    // Focus moves into the banner only if the visitor is not already somewhere on the page.
    if (!activeElement(d) || activeElement(d) === body(d)) focus(v.banner);
    // Reaching for the banner starts the wasm (section 10); listened for after the focus above,
    // which is not the visitor's.
    if (!started) INTENT.forEach(function (type) { on(v.host, type, start, { passive: true, once: true }); });
  }
  // A press on the widget: the wasm's once it has the first layer; before, the first press waits
  // for it, the banner's buttons disabled meanwhile (so it counts once).
  function press(action) {
    var on = JSON.stringify(switches());
    if (handed) return void ready.on('press', action, on);
    if (pressed) return;
    pressed = [action, on];
    busy(true);
    start();
  }
  var heldFocus = null; // the banner's control focused when its buttons were disabled
  function busy(on) {
    var b = view && view.banner;
    if (!b) return;
    if (on) {
      b.setAttribute('aria-busy', 'true');
      var f = focused(view);
      heldFocus = f && b.contains(f) ? f : null;
    } else {
      b.removeAttribute('aria-busy');
    }
    [].forEach.call(b.querySelectorAll('button'), function (x) { x.disabled = on; });
    // A disabled button loses focus to the page: it gets it back, so a keyboard visitor stays
    // where they pressed (and a dialog opened by the press returns focus there).
    if (!on && heldFocus && heldFocus.isConnected && !b.contains(focused(view))) focus(heldFocus);
    if (!on) heldFocus = null;
  }
  function focus(e) {
    try { e.focus({ preventScroll: true }); } catch (_) { /* not focusable */ }
  }
  function focused(v) {
    var a = activeElement(d);
    return a === v.host ? v.root.activeElement : a;
  }
  function withView(fn) {
    if (view) return fn(view);
    // The tag may run before <body> is parsed.
    if (!body(d)) {
      if (unmounted.push(fn) === 1) {
        on(d, 'DOMContentLoaded', function () {
          guard(function () { unmounted.splice(0).forEach(function (f) { withView(f); }); });
        });
      }
      return;
    }
    var host = createElement(d, 'kelisim-consent');
    THEME.forEach(function (t) {
      var value = themeValue(script.getAttribute(t[0]));
      if (value) host.style.setProperty(t[1], value);
    });
    host.setAttribute('lang', language);
    var root = host.attachShadow({ mode: 'open' });
    var sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS);
    root.adoptedStyleSheets = [sheet];
    // A polite live region, there from the start: says "saved" after a choice.
    var status = root.appendChild(build('["p",{"class":"sr","role":"status"}]'));
    body(d).appendChild(host);
    root.addEventListener('click', function (e) {
      guard(function () {
        var b = e.target.closest('[data-action]');
        if (!b) return;
        var action = b.getAttribute('data-action');
        if (action === 'close') pop(view);
        else press(action);
      });
    });
    view = { host: host, root: root, status: status, banner: null, dialogs: [] };
    return fn(view);
  }
  function top(v) {
    return v && v.dialogs[v.dialogs.length - 1];
  }
  function show(kind, tree) {
    if (kind === 'banner') bannerWanted = true;
    withView(function (v) {
      // The banner painted from this same first layer before the wasm was ready stays as it is.
      if (kind === 'banner') return v.banner && painted === layer || paint(v, layer);
      if (v.dialogs.some(function (x) { return x.kind === kind; })) return;
      var overlay = build(tree);
      var back = focused(v);
      if (top(v)) top(v).overlay.setAttribute('hidden', '');
      v.root.appendChild(overlay);
      var dialog = overlay.firstElementChild;
      focus(dialog.querySelector(FOCUSABLE) || dialog);
      v.dialogs.push({ kind: kind, overlay: overlay, dialog: dialog, back: back });
    });
  }
  // Closes the top dialog; focus returns where it was.
  function pop(v) {
    var closing = v.dialogs.pop();
    if (!closing) return;
    closing.overlay.remove();
    var below = top(v);
    if (below) below.overlay.removeAttribute('hidden');
    var back = closing.back && closing.back.isConnected ? closing.back : below && below.dialog;
    if (back) focus(back);
  }
  // Keeps Tab and Shift+Tab inside the top dialog; returns whether focus was moved.
  function trap(v, backwards) {
    var dialog = top(v).dialog;
    var items = dialog.querySelectorAll(FOCUSABLE);
    var first = items[0];
    var last = items[items.length - 1];
    if (!first) { focus(dialog); return true; }
    var current = focused(v);
    if (!(current && dialog.contains(current)) || current === (backwards ? first : last)) {
      focus(backwards ? last : first);
      return true;
    }
    return false;
  }
  function switches() {
    var settings = view.dialogs.filter(function (x) { return x.kind === 'settings'; })[0];
    var on = settings ? settings.dialog.querySelectorAll('input[data-category]:checked') : [];
    return Array.prototype.map.call(on, function (i) { return i.getAttribute('data-category'); });
  }

  // 5. Marked scripts (<script type="text/plain" data-category>). Only the page author's run:
  // those in the parsed document (taken at DOMContentLoaded, or when this file runs after it),
  // and those the page's own code adds later with the page's CSP nonce (this tag's) or through
  // kelisim.register(). Markup inserted later as HTML (innerHTML, insertAdjacentHTML) carries no
  // nonce and is never run, which is what browsers do with scripts inserted that way. The wasm
  // says which runs next (widget/src/scripts.rs); each is replaced by a runnable copy, an
  // external one awaited before the next, so document order holds.
  var MARKED = 'script[type="text/plain"][data-category]';
  var scripts = []; // the trusted marked scripts; a handle is an index
  var running = false;
  function trust(element) {
    if (!(element instanceof HTMLScriptElement) || !matches(element, MARKED) || scripts.indexOf(element) >= 0) {
      return false;
    }
    var handle = String(scripts.push(element) - 1);
    // A necessary script runs before any choice, so it needs the wasm now.
    if (element.getAttribute('data-category') === 'necessary') start();
    if (ready) {
      ready.on('script', element.getAttribute('data-category'), handle);
      runScripts(ready);
    }
    return true;
  }
  function parsed() {
    [].forEach.call(findAll(d, MARKED), trust);
    new MutationObserver(function (records) {
      guard(function () {
        records.forEach(function (r) {
          r.addedNodes.forEach(function (n) {
            if (!(n instanceof Element) || !pageNonce) return;
            var found = matches(n, MARKED) ? [n] : findAllIn(n, MARKED);
            [].forEach.call(found, function (s) { if (s.nonce === pageNonce) trust(s); });
          });
        });
      });
    }).observe(documentElement(d), { childList: true, subtree: true });
  }
  if (readyState(d) === 'loading') on(d, 'DOMContentLoaded', function () { guard(parsed); });
  else guard(parsed);
  function activate(W, marked) {
    return new Promise(function (resolve) {
      if (!marked.isConnected) return resolve();
      var fresh = createElement(d, 'script');
      [].forEach.call(marked.attributes, function (a) {
        if (W.on('copies', a.name, '') === '') fresh.setAttribute(a.name, a.value);
      });
      fresh.nonce = marked.nonce;
      // Inserted scripts are async by default; order is kept by waiting here instead.
      if (marked.hasAttribute('src')) {
        fresh.addEventListener('load', resolve);
        fresh.addEventListener('error', resolve);
      } else {
        fresh.text = marked.text;
        resolve();
      }
      marked.replaceWith(fresh);
    });
  }
  function runScripts(W) {
    if (running) return;
    running = true;
    (function next() {
      var i = guard(function () { return W.on('next-script', '', ''); });
      if (i === undefined) { running = false; return; }
      activate(W, scripts[+i]).catch(report).then(next);
    })();
  }

  // 6. The visitor's key: Ed25519 made by WebCrypto at the visitor's first choice (not before),
  // the private half non-extractable, kept in IndexedDB (kelisim/keys) as a CryptoKey: {key, x},
  // or null where the browser has no Ed25519 or nowhere to keep a key. key(false) only looks for
  // one already kept (so a choice does not wait for IndexedDB).
  var visitorKey = null;
  function idb(req) {
    return new Promise(function (resolve, reject) {
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
    });
  }
  function key(create) {
    if (visitorKey) return visitorKey;
    var found = new Promise(function (resolve) {
      var open = apply(w.IDBFactory.prototype.open, indexedDB, ['kelisim', 1]);
      open.onupgradeneeded = function () {
        if (!open.result.objectStoreNames.contains('keys')) open.result.createObjectStore('keys');
      };
      resolve(idb(open).then(function (db) {
        return idb(db.transaction('keys').objectStore('keys').get(site)).then(function (kept) {
          if (kept && kept.key instanceof CryptoKey && typeof kept.x === 'string') return kept;
          if (!create) return null;
          return generateKey(subtle, 'Ed25519', false, ['sign', 'verify']).then(function (pair) {
            return exportKey(subtle, 'jwk', pair.publicKey).then(function (jwk) {
              var record = { key: pair.privateKey, x: jwk.x };
              return idb(db.transaction('keys', 'readwrite').objectStore('keys').put(record, site)).then(function () {
                return record;
              });
            });
          });
        });
      }));
    }).catch(function () { return null; });
    return found.then(function (k) {
      if (k || create) visitorKey = found;
      return k;
    });
  }
  function utf8(text) {
    return new TextEncoder().encode(text);
  }

  // 7. Receipts: each queued choice becomes claims (the wasm), signed by the visitor key if
  // there is one; then the outbox is delivered in order, and each countersignature checked
  // against the edge's JWKS before the receipt is kept.
  var recording = false;
  var flushing = false;
  var flushAgain = false;
  var timer = null;
  var edgeKeys = {};
  function record(W) {
    if (recording) return;
    recording = true;
    (function next() {
      key(true).then(function (k) {
        var input = W.on('claims', k ? k.x : '', '');
        if (input === undefined) { recording = false; return flush(W); }
        if (input === '') return next();
        return sign(subtle, 'Ed25519', k.key, utf8(input)).then(function (s) {
          W.on('signed', JSON.stringify(Array.from(new Uint8Array(s))), '');
        }, function () {
          W.on('signed', '', '');
        }).then(next);
      }).catch(report);
    })();
  }
  function edgeKey(kid) {
    if (edgeKeys[kid]) return Promise.resolve(edgeKeys[kid]);
    return request(origin + '/.well-known/jwks.json', {}).then(function (a) {
      var found = (a[0] === 200 && JSON.parse(a[1]).keys || []).filter(function (k) {
        return k.kid === kid && k.kty === 'OKP' && k.crv === 'Ed25519' && k.alg === 'EdDSA' && k.use === 'sig' &&
          typeof k.x === 'string';
      })[0];
      return found ? (edgeKeys[kid] = found.x) : null;
    }).catch(function () { return null; });
  }
  // [kid, signing input, signature] → valid, invalid, unknown (key), unchecked (no Ed25519 in
  // this browser) or error (anything else threw: the wasm then does not keep the receipt).
  function verify(check) {
    return edgeKey(check[0]).then(function (x) {
      if (!x) return 'unknown';
      return importKey(subtle, 'jwk', { kty: 'OKP', crv: 'Ed25519', x: x }, 'Ed25519', false, ['verify'])
        .then(function (k) { return verifySignature(subtle, 'Ed25519', k, new Uint8Array(check[2]), utf8(check[1])); })
        .then(function (ok) { return ok === true ? 'valid' : 'invalid'; });
    }).catch(function (e) { return e && e.name === 'NotSupportedError' ? 'unchecked' : 'error'; });
  }
  function flush(W) {
    if (flushing) { flushAgain = true; return; }
    flushing = true;
    flushAgain = false;
    (function next() {
      var entry = JSON.parse(W.on('due', '', ''));
      if (!Array.isArray(entry) && flushAgain) { flushAgain = false; return next(); }
      if (!Array.isArray(entry)) {
        flushing = false;
        clearTimeout(timer);
        if (entry != null) timer = setTimeout(function () { flush(W); }, Math.min(Math.max(entry - Date.now(), 0), 2147483647));
        return;
      }
      request(origin + '/v1/sites/' + site + '/receipts', {
        method: 'POST',
        keepalive: true, // the request finishes when the visitor leaves the page
        body: entry[1],
        headers: { 'Content-Type': 'application/json' }
      }).catch(noAnswer).then(function (a) {
        W.on('clock', a[2], '');
        var check = W.on('answer', String(a[0]), a[1]);
        return check && verify(JSON.parse(check)).then(function (v) { W.on('verified', v, ''); });
      }).then(next, function (e) { flushing = false; report(e); });
    })();
  }

  // 8. Storage: localStorage (taken in section 0), with an in-memory copy that also serves the
  // page when it is missing or throws (private modes, disabled storage, quota).
  var memory = Object.create(null);

  // 9. The host the wasm calls (widget/src/web/host.rs): host.call(op, a, b, c). Nothing here
  // throws into the wasm.
  function host(W) {
    var ops = {
      load: function (k) {
        if (k in memory) return memory[k];
        try { return local.getItem(k); } catch (_) { return null; }
      },
      save: function (k, v) {
        try { local.setItem(k, v); delete memory[k]; } catch (_) { memory[k] = v; }
      },
      remove: function (k) {
        try { local.removeItem(k); delete memory[k]; } catch (_) { memory[k] = null; }
      },
      show: show,
      closeAll: function () {
        var v = view;
        if (!v) return;
        var back = v.dialogs[0] && v.dialogs[0].back;
        v.dialogs.splice(0).forEach(function (x) { x.overlay.remove(); });
        if (v.banner) v.banner.remove();
        v.banner = null;
        painted = null;
        if (back && back.isConnected && !v.host.contains(back)) focus(back);
      },
      status: function (message) { if (view) view.status.textContent = message; },
      apply: function (decisions, action, update) {
        var copy = function () { return { decisions: JSON.parse(decisions), action: action }; };
        consent('update', JSON.parse(update));
        dispatch(d, new CustomEvent('kelisim:change', { detail: copy() }));
        subscribers.slice().forEach(function (s) {
          try { s[0](copy()); } catch (e) { apply(console.error, console, ['[kelisim] a subscriber threw:', e]); }
        });
        runScripts(W());
      },
      refused: function (detail) { dispatch(d, new CustomEvent('kelisim:refused', { detail: JSON.parse(detail) })); },
      warm: function () { key(false); },
      fetch: function (url) {
        request(url, { cache: 'no-cache' }).catch(noAnswer).then(function (a) {
          W().on('clock', a[2], '');
          W().on('full', String(a[0]), a[1]);
        }).catch(report);
      },
      record: function () { record(W()); },
      warn: warn,
      random: function (n) { return JSON.stringify(Array.from(getRandomValues(crypto, new Uint8Array(+n)))); },
      now: function () { return String(Date.now()); }
    };
    return {
      call: function (op, a, b, c) {
        return guard(function () {
          var answer = ops[op](a, b, c);
          return typeof answer === 'string' ? answer : undefined;
        });
      }
    };
  }

  // 10. The wasm. On a first visit (nothing stored for the site: no choice, no outbox, no
  // receipts) with the banner painted from the first layer, nothing needs it until the visitor
  // reaches for the banner (INTENT on the widget, a press, a [data-kelisim-open] link), the page
  // calls window.kelisim, or a necessary script is on the page: it loads then, and a press made
  // before it is ready waits for it (section 4). Every other page view loads it at once.
  /*GLUE*/
  var INTENT = ['pointerdown', 'touchstart', 'mouseover', 'keydown', 'focusin'];
  function start() {
    if (!bootable) { wanted = true; return; }
    if (started) return;
    started = true;
    guard(boot);
  }
  function firstVisit() {
    return ['', ':outbox', ':receipts'].every(function (suffix) {
      try { return local.getItem('kelisim:' + site + suffix) === null; } catch (_) { return true; }
    });
  }
  // Page links with data-kelisim-open (capture: before the page's own handlers).
  on(d, 'click', function (e) {
    guard(function () {
      if (e.target instanceof Element && closest(e.target, '[data-kelisim-open]')) {
        e.preventDefault();
        api.open();
      }
    });
  }, true);
  bootable = true;
  if (wanted || !early || !guard(firstVisit, false)) start();
  else early[1].then(function () { if (!paints) start(); });
  function boot() {
    var url = new URL('/v1/assets/WASM_FILE', script.src);
    // Compiled and started only once the first layer has been handled (the banner painted or
    // not): its start does not hold up the paint.
    var bytes = fetch(url);
    bytes.catch(function () { /* the glue's await below sees the failure */ });
    // A first layer from the site's own loader carries no Date: with a banner to answer, the same
    // request is made now, beside the wasm (a press waits for the wasm anyway), so the receipt is
    // stamped on the edge's clock (widget/src/clock.rs), not a device clock that may be off.
    if (early && early[2] && paints) {
      var written = early[1];
      early[1] = request(early[0], { cache: 'no-cache' })
        .then(function (a) { return a[0] === 200 ? a : written; }, function () { return written; });
    }
    var painting = early ? early[1] : Promise.resolve();
    painting.then(function () { return wasm_bindgen({ module_or_path: bytes }); }).then(function () {
      var attributes = {};
      Array.prototype.forEach.call(script.attributes, function (a) { attributes[a.name] = a.value; });
      var W = new wasm_bindgen.Widget(host(function () { return W; }), origin, JSON.stringify(attributes),
        navigator.globalPrivacyControl === true);
      // Esc and the focus trap, wherever focus is while a dialog is open.
      on(d, 'keydown', function (e) {
        guard(function () {
          if (!top(view)) return;
          if (e.key === 'Escape') {
            e.preventDefault();
            e.stopPropagation();
            pop(view);
          } else if (e.key === 'Tab' && trap(view, e.shiftKey)) {
            e.preventDefault();
          }
        });
      }, true);
      // Back online: deliver what waits.
      on(w, 'online', function () { guard(function () { flush(W); }); });
      scripts.forEach(function (s, i) { W.on('script', s.getAttribute('data-category'), String(i)); });
      ready = W;
      runScripts(W);
      flush(W);
      policy(W);
      settle(true);
    }).catch(function (e) {
      report(e);
      settle(false);
      // Nothing can be recorded without the wasm: a painted banner goes, unanswered, and none is
      // painted later.
      bannerWanted = false;
      pressed = null;
      if (view && view.banner) { view.banner.remove(); view.banner = null; }
    });
  }
})();
