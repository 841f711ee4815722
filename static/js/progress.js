// Progress through the course, kept in this browser only: a lesson page
// records its slug; the home page marks the lessons already opened.
(function () {
  "use strict";
  var KEY = "asyncplay.visited";
  function load() {
    try { return JSON.parse(localStorage.getItem(KEY) || "[]"); } catch (e) { return []; }
  }
  function mark() {
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
