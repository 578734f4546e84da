// Adds the widget's tag once the page has loaded (late.html; the tag's URL is on <html>).
window.addEventListener('load', function () {
  var tag = document.createElement('script');
  tag.src = document.documentElement.dataset.tag;
  tag.setAttribute('data-site', 'crm-demo');
  document.head.appendChild(tag);
});
