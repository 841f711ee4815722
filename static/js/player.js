// The replay player of a finished run: play and pause, step from event to
// event, scrub, change speed. Geometry stays in the server-drawn SVG; this
// moves a cursor over it, shades what has not happened yet, highlights the
// current event's line in both code panes and its row in the event table,
// and keeps ?t= in the address bar so the link opens at that moment.
(function () {
  "use strict";
  var SVG = "http://www.w3.org/2000/svg";

  function init(frame) {
    if (frame.__player) return;
    var box = frame.querySelector(".player");
    var dataEl = box && box.querySelector('script[type="application/json"]');
    if (!dataEl) return;
    frame.__player = true;
    var events = JSON.parse(dataEl.textContent);
    var total = parseFloat(box.getAttribute("data-total")) || 0;
    var scale = parseFloat(frame.getAttribute("data-scale")) || total || 1;
    var scrub = box.querySelector(".p-scrub");
    var out = box.querySelector(".p-time");
    var now = box.querySelector(".p-now");
    var playBtn = box.querySelector(".p-play");
    var speedSel = box.querySelector(".p-speed");
    var play = frame.closest(".play") || document;
    var rows = frame.querySelectorAll(".events-table tbody tr");
    var times = events.map(function (e) { return e.t; });
    if (times.length) total = Math.max(total, times[times.length - 1]);
    var cursors = [], shades = [];
    frame.querySelectorAll("svg.tracks, svg.band-labels").forEach(function (svg) {
      var shade = document.createElementNS(SVG, "rect");
      shade.setAttribute("class", "future");
      shade.setAttribute("y", "0");
      shade.setAttribute("height", "100%");
      svg.appendChild(shade);
      shades.push(shade);
      var line = document.createElementNS(SVG, "line");
      line.setAttribute("class", "cursor");
      line.setAttribute("y1", "0");
      line.setAttribute("y2", "100%");
      svg.appendChild(line);
      cursors.push(line);
    });
    var t = 0, playing = false, last = 0, lit = [], litRow = null;
    var fmt = out.textContent.replace(/[0-9.]+/, "{}");

    // index of the last event at or before time x (-1 if none)
    function at(x) {
      var lo = 0, hi = times.length - 1, ans = -1;
      while (lo <= hi) {
        var mid = (lo + hi) >> 1;
        if (times[mid] <= x + 1e-9) { ans = mid; lo = mid + 1; } else { hi = mid - 1; }
      }
      return ans;
    }

    function highlight(i) {
      lit.forEach(function (el) { el.classList.remove("current"); });
      lit = [];
      if (litRow) { litRow.removeAttribute("aria-current"); litRow = null; }
      if (i < 0) { now.textContent = ""; return; }
      var e = events[i];
      // the latest event with a line, per runtime, up to i
      ["python", "go"].forEach(function (rt) {
        for (var j = i; j >= 0; j--) {
          var ev = events[j];
          if (ev.rt === rt && ev.line) {
            var el = play.querySelector('.pane[data-lang="' + rt + '"] .ln[data-line="' + ev.line + '"]');
            if (el) { el.classList.add("current"); lit.push(el); }
            break;
          }
        }
      });
      if (rows[i]) { litRow = rows[i]; litRow.setAttribute("aria-current", "true"); }
      now.textContent = fmt.replace("{}", e.t.toFixed(3)) + " · " + e.lane + " · " + e.kind + (e.label ? " " + e.label : "");
    }

    function show(x, keepURL) {
      t = Math.max(0, Math.min(total, x));
      var pct = (100 * t / scale).toFixed(3) + "%";
      // At the very end the whole run is in view: no shade, no cursor over
      // the last marks.
      var atEnd = t >= total - 1e-9;
      cursors.forEach(function (c) {
        c.setAttribute("x1", pct); c.setAttribute("x2", pct);
        c.setAttribute("visibility", atEnd ? "hidden" : "visible");
      });
      shades.forEach(function (s) {
        s.setAttribute("x", pct);
        s.setAttribute("width", atEnd ? "0" : Math.max(0, 100 - 100 * t / scale).toFixed(3) + "%");
      });
      scrub.value = t.toFixed(3);
      box.setAttribute("data-t", String(t));
      // Hundredths, or thousandths for a run shorter than a tenth of a second.
      out.textContent = fmt.replace("{}", t.toFixed(total < 0.1 ? 3 : 2));
      highlight(at(t));
      if (!keepURL && history.replaceState && location.pathname.indexOf("/runs/") >= 0) {
        var u = new URL(location.href);
        u.searchParams.set("t", t.toFixed(3));
        history.replaceState(history.state, "", u);
      }
    }

    function step(dir) {
      stop();
      var i = at(t);
      if (dir > 0) {
        var j = i + 1;
        while (j < times.length && times[j] <= t + 1e-9) j++;
        if (j < times.length) show(times[j]);
      } else {
        var k = i;
        while (k >= 0 && times[k] >= t - 1e-9) k--;
        show(k >= 0 ? times[k] : 0);
      }
    }

    function tick(ts) {
      if (!playing) return;
      var dt = (ts - last) / 1000;
      last = ts;
      show(t + dt * parseFloat(speedSel.value), true);
      if (t >= total) { stop(); show(total); return; }
      requestAnimationFrame(tick);
    }
    function start() {
      if (t >= total) show(0, true);
      playing = true;
      playBtn.textContent = "❚❚";
      playBtn.setAttribute("aria-label", playBtn.getAttribute("data-pause"));
      frame.classList.add("playing");
      last = performance.now();
      requestAnimationFrame(tick);
    }
    function stop() {
      if (!playing) return;
      playing = false;
      playBtn.textContent = "▶";
      playBtn.setAttribute("aria-label", playBtn.getAttribute("data-play"));
      frame.classList.remove("playing");
      show(t);
    }

    playBtn.addEventListener("click", function () { playing ? stop() : start(); });
    box.querySelector(".p-next").addEventListener("click", function () { step(1); });
    box.querySelector(".p-prev").addEventListener("click", function () { step(-1); });
    scrub.addEventListener("input", function () { stop(); show(parseFloat(scrub.value)); });
    box.addEventListener("keydown", function (ev) {
      if (ev.target.tagName === "SELECT") return;
      if (ev.key === "ArrowRight" || ev.key === "ArrowLeft") {
        ev.preventDefault();
        step(ev.key === "ArrowRight" ? 1 : -1);
      } else if (ev.key === " " && ev.target.tagName !== "BUTTON") {
        ev.preventDefault();
        playing ? stop() : start();
      }
    });
    frame.__show = show;
    frame.__step = step;
    // data-start is written to the millisecond; events can be microseconds
    // apart, so a start within a millisecond of the end is the very end
    // (else the first step back would skip the run's last few events).
    var opensAt = parseFloat(box.getAttribute("data-start")) || 0;
    show(opensAt >= total - 0.001 ? total : opensAt, true);
  }

  // Blocked-loop bands close together would write their labels over each
  // other: a label that would run into the one before it is hidden (its
  // band keeps its tint, and its tooltip in the lanes). Widths are known
  // only once drawn, so this runs on every frame, and again when the
  // window or the theme changes the text's size. Live frames too.
  function thin(root) {
    (root.querySelectorAll ? root : document).querySelectorAll("svg.band-labels").forEach(function (svg) {
      var end = -Infinity;
      svg.querySelectorAll("text.band-label").forEach(function (t) {
        t.classList.remove("crowded");
        var b = t.getBBox();
        if (b.x < end + 6) {
          t.classList.add("crowded");
        } else {
          end = b.x + b.width;
        }
      });
    });
  }

  function scan(root) {
    var r = root.querySelectorAll ? root : document;
    r.querySelectorAll('.frame[data-finished="true"]').forEach(init);
    thin(r);
  }
  new MutationObserver(function (muts) {
    muts.forEach(function (m) {
      m.addedNodes.forEach(function (n) {
        if (n.nodeType !== 1) return;
        if (n.matches && n.matches('.frame[data-finished="true"]')) { init(n); thin(n); }
        else if (n.querySelectorAll) scan(n);
      });
    });
  }).observe(document.documentElement, { childList: true, subtree: true });
  new MutationObserver(function () { thin(document); })
    .observe(document.documentElement, { attributes: true, attributeFilter: ["class"] });
  window.addEventListener("resize", function () { thin(document); });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { scan(document); });
  } else {
    scan(document);
  }
})();

// A live run whose socket the server closes before the run's last frame
// says why, in the run area. The server closes with 1000 only after the
// final frame; 1008 when this address has too many sockets open, 1001 when
// it is shutting down; anything else (1006: the connection dropped) is a
// run that ended unseen. The sentences come from the page, in its
// language, on the socket's element (web.Play); htmx's hx-ws extension
// reports the close as htmx:ws:close with the code, and reason "closed"
// (not "removed": a new run replacing this one).
(function () {
  "use strict";
  document.addEventListener("htmx:ws:close", function (ev) {
    var live = ev.target, d = ev.detail || {};
    if (!live.matches || !live.matches(".live[data-closed]") || d.reason !== "closed" || d.code === 1000) return;
    live.setAttribute("data-closed-code", String(d.code));
    // A note that the run is starting, or waiting in line, is not true any
    // more; the last live frame stays, marked as cut off by the CSS.
    live.querySelectorAll(".waiting-note, .frame.queued").forEach(function (n) { n.remove(); });
    var note = live.parentNode.querySelector(".run-closed");
    if (!note) {
      note = document.createElement("p");
      note.className = "run-error run-closed";
      note.setAttribute("role", "alert");
      live.parentNode.insertBefore(note, live.nextSibling);
    }
    note.textContent = live.getAttribute("data-closed-" + d.code) || live.getAttribute("data-closed");
  });
})();
