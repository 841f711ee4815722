// Small site behaviours, kept in this browser only: progress through the
// course (a lesson page records its slug; the home page marks the lessons
// already opened) and the projector theme (large type for a classroom).
(function () {
  "use strict";
  var KEY = "asyncplay.visited", THEME = "asyncplay.projector";
  function projector(on) {
    document.documentElement.classList.toggle("projector", on);
    var b = document.querySelector(".theme-toggle");
    if (b) b.setAttribute("aria-pressed", on ? "true" : "false");
  }
  try { projector(localStorage.getItem(THEME) === "1"); } catch (e) { /* no storage */ }
  function load() {
    try { return JSON.parse(localStorage.getItem(KEY) || "[]"); } catch (e) { return []; }
  }
  function mark() {
    var toggle = document.querySelector(".theme-toggle");
    if (toggle && !toggle.__wired) {
      toggle.__wired = true;
      toggle.hidden = false;
      projector(document.documentElement.classList.contains("projector"));
      toggle.addEventListener("click", function () {
        var on = !document.documentElement.classList.contains("projector");
        projector(on);
        try { localStorage.setItem(THEME, on ? "1" : "0"); } catch (e) { /* no storage */ }
      });
    }
    var seen = load();
    var lesson = document.querySelector("article.lesson[data-lesson]");
    if (lesson) {
      var slug = lesson.getAttribute("data-lesson");
      if (seen.indexOf(slug) < 0) {
        seen.push(slug);
        try { localStorage.setItem(KEY, JSON.stringify(seen)); } catch (e) { /* private mode: no progress */ }
      }
    }
    var items = document.querySelectorAll("ol.lessons li[data-lesson]");
    for (var i = 0; i < items.length; i++) {
      var li = items[i];
      if (seen.indexOf(li.getAttribute("data-lesson")) >= 0 && !li.classList.contains("visited")) {
        li.classList.add("visited");
        var tag = document.createElement("span");
        tag.className = "visited-tag";
        tag.textContent = li.getAttribute("data-visited-label");
        li.insertBefore(tag, li.firstChild.nextSibling);
      }
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", mark);
  } else {
    mark();
  }
})();

// The classroom: a student who steps out of a class to explore a lesson
// alone gets a banner on every page that takes them back in one click.
// The class page remembers itself when left through its step-out link and
// forgets when rejoined. Kept for this tab only.
(function () {
  "use strict";
  var KEY = "asyncplay.class";
  function wire() {
    var cls = document.querySelector(".class[data-class]");
    if (cls) {
      try { sessionStorage.removeItem(KEY); } catch (e) { /* no storage */ }
      document.addEventListener("click", function (ev) {
        var a = ev.target.closest && ev.target.closest("a[data-class-code]");
        if (!a) return;
        try {
          sessionStorage.setItem(KEY, JSON.stringify({ code: cls.getAttribute("data-class"), label: cls.getAttribute("data-rejoin") }));
        } catch (e) { /* no storage: no banner */ }
      });
      return;
    }
    var saved = null;
    try { saved = JSON.parse(sessionStorage.getItem(KEY) || "null"); } catch (e) { saved = null; }
    if (!saved || !/^[A-Z0-9]{6}$/.test(saved.code) || document.querySelector(".rejoin-banner")) return;
    var p = document.createElement("p");
    p.className = "rejoin-banner";
    var a = document.createElement("a");
    a.href = "/class/" + saved.code;
    a.textContent = "↩ " + String(saved.label || saved.code);
    p.appendChild(a);
    var header = document.querySelector("header.site");
    if (header && header.parentNode) header.parentNode.insertBefore(p, header.nextSibling);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", wire);
  } else {
    wire();
  }
})();
