// Inside an embedded asyncplay iframe: tell the embedding page how tall the
// content is, whenever it changes, so the iframe fits it without scrolling.
(function () {
  "use strict";
  if (window.parent === window) return;
  var last = 0;
  function report() {
    var h = Math.ceil(document.documentElement.scrollHeight);
    if (h === last) return;
    last = h;
    window.parent.postMessage({ asyncplay: "resize", height: h }, "*");
  }
  if (window.ResizeObserver) {
    new ResizeObserver(report).observe(document.documentElement);
  }
  new MutationObserver(report).observe(document.documentElement, { childList: true, subtree: true });
  window.addEventListener("load", report);
  report();
})();
