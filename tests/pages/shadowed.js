// The page's own Consent Mode globals, hostile to the widget on request (see shadowed.html).
if (location.search.includes('gtag-throws')) {
  window.dataLayer = [];
  window.gtag = function () { throw new Error('the page gtag throws'); };
}
if (location.search.includes('frozen')) window.dataLayer = Object.freeze({});
