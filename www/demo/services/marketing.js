// Kelisim demo: a stand-in for a third-party script of the category "marketing".
// The page marks it <script type="text/plain" data-category="marketing">, so it runs only once the
// visitor allows that category. It may run long after DOMContentLoaded, so it checks readyState.
(function () {
  'use strict';
  var CATEGORY = 'marketing';
  var MESSAGE = 'Маркетинг: рекламный пиксель загружен';
  (window.__kelisimDemoRan = window.__kelisimDemoRan || []).push(CATEGORY);

  function report() {
    var list = document.getElementById('demo-effects');
    if (!list) return;
    var item = document.createElement('li');
    item.setAttribute('data-category', CATEGORY);
    var time = new Date().toLocaleTimeString('ru-RU');
    item.textContent = time + ' · ' + MESSAGE;
    list.appendChild(item);
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', report, { once: true });
  } else {
    report();
  }
})();
