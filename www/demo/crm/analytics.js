// Kelisim demo: a stand-in for a third-party script of the category "analytics".
// The page marks it <script type="text/plain" data-category="analytics">, so it runs only once the
// visitor allows that category. It may run long after DOMContentLoaded, so it checks readyState.
(function () {
  'use strict';
  var CATEGORY = 'analytics';
  var MESSAGE = 'Аналитика: счётчик посещений запущен, установлена cookie demo_analytics=1';
  (window.__kelisimDemoRan = window.__kelisimDemoRan || []).push(CATEGORY);
  document.cookie = 'demo_analytics=1; path=/; SameSite=Lax';

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
