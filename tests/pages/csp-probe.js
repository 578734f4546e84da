// Records every CSP violation on the page in window.__violations (inline scripts cannot do this
// under the test's policy).
window.__violations = [];
document.addEventListener('securitypolicyviolation', function (e) {
  window.__violations.push({ directive: e.violatedDirective, blocked: e.blockedURI, sample: e.sample });
});
