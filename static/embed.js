// asyncplay embeds for docs sites. Put
//   <div data-asyncplay="semaphore" data-lang="ja"></div>
//   <script src="https://YOUR-ASYNCPLAY/static/embed.js" defer></script>
// on a page: each div becomes a lazy-loaded iframe of that lesson's scenario,
// sized to its content. Optional data attributes: data-scenario (default:
// the lesson's first), data-theme (light, dark, projector), data-panes
// ("python", "go" or "python,go"), data-params (a query string of preset
// parameters, e.g. "limit=2&downloads=6").
(function () {
  "use strict";
  var me = document.currentScript;
  var base = me ? new URL(me.src).origin : "";
  var frames = [];
  window.addEventListener("message", function (ev) {
    if (ev.origin !== base || !ev.data || ev.data.asyncplay !== "resize") return;
    for (var i = 0; i < frames.length; i++) {
      if (frames[i].contentWindow === ev.source) {
        frames[i].style.height = Math.max(120, +ev.data.height || 0) + "px";
      }
    }
  });
  function mount(div) {
    if (div.__asyncplay) return;
    div.__asyncplay = true;
    var lesson = div.getAttribute("data-asyncplay");
    // Without data-scenario the server picks the lesson's first.
    var scenario = div.getAttribute("data-scenario");
    var q = new URLSearchParams(div.getAttribute("data-params") || "");
    ["lang", "theme", "panes"].forEach(function (k) {
      var v = div.getAttribute("data-" + k);
      if (v) q.set(k, v);
    });
    var f = document.createElement("iframe");
    f.src = base + "/embed/" + encodeURIComponent(lesson) + (scenario ? "/" + encodeURIComponent(scenario) : "") + "?" + q.toString();
    f.loading = "lazy";
    f.title = "asyncplay: " + lesson;
    f.style.width = "100%";
    f.style.height = "480px";
    f.style.border = "0";
    frames.push(f);
    div.appendChild(f);
  }
  function scan() {
    var divs = document.querySelectorAll("div[data-asyncplay]");
    for (var i = 0; i < divs.length; i++) mount(divs[i]);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", scan);
  else scan();
})();
