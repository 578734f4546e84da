// A stand-in third-party script: records that it ran (and under which query) in window.__ran.
(window.__ran = window.__ran || []).push(new URL(document.currentScript.src).search.slice(1));
