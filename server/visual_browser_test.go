package server

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/asyncplay/asyncplay/web"
)

// contrastJS defines contrast(fg, bg): the WCAG contrast ratio of two
// computed colours ("rgb(…)" or "rgba(…)"), and over(fg, alpha, bg): fg
// drawn at alpha over bg, as a computed colour.
const contrastJS = `
const rgbOf = s => s.match(/[\d.]+/g).slice(0, 3).map(Number);
const lum = c => { const [r, g, b] = rgbOf(c).map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); }); return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
const contrast = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
const over = (fg, alpha, bg) => { const f = rgbOf(fg), b = rgbOf(bg); return 'rgb(' + f.map((v, i) => v * alpha + b[i] * (1 - alpha)).join(',') + ')'; };
`

func evalJSON(t *testing.T, ctx context.Context, js string, v any) {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](js))
	if err != nil {
		t.Fatalf("evaluate: %v", err)
	}
	if err := json.Unmarshal([]byte(s), v); err != nil {
		t.Fatalf("evaluate: %v in %s", err, s)
	}
}

// emulateMedia has the page match a media feature as a visitor's browser
// would, e.g. prefers-color-scheme: dark.
func emulateMedia(t *testing.T, ctx context.Context, name, value string) {
	t.Helper()
	if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
		Features: []*emulation.MediaFeature{{Name: name, Value: value}},
	}); err != nil {
		t.Fatal(err)
	}
}

// runAndWait clicks the page's Run button and waits for the finished frame.
func runAndWait(t *testing.T, ctx context.Context) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(".run-button")), chromedp.Click(chromedp.CSS(".run-button"))); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`!!document.querySelector('.frame[data-finished="true"] g.lane')`,
		chromedp.WithPollingTimeout(40*time.Second))); err != nil {
		t.Fatalf("run did not finish: %v", err)
	}
}

// TestBrowserProjectorScalesAllText: the projector theme sets the root's
// size, so rem-sized headings and summaries grow with the body text (a
// heading is never smaller than the text under it), and the timeline's
// small print (axis ticks, chart labels, lane names) is large enough to
// read from the back of a classroom.
func TestBrowserProjectorScalesAllText(t *testing.T) {
	ctx := browser(t)
	base := serve(t, newServer(t, nil))
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/en/"), chromedp.WaitVisible(chromedp.CSS(".theme-toggle")),
		chromedp.Click(chromedp.CSS(".theme-toggle"))); err != nil {
		t.Fatal(err)
	}
	var home struct{ Body, H1, H2, Summary float64 }
	evalJSON(t, ctx, `(() => { const px = s => parseFloat(getComputedStyle(document.querySelector(s)).fontSize);
		return JSON.stringify({Body: px('body'), H1: px('h1'), H2: px('h2'), Summary: px('ol.lessons .summary')}); })()`, &home)
	if home.Body != 22 {
		t.Errorf("projector body text %vpx; want 22px", home.Body)
	}
	if home.H2 < 1.2*home.Body || home.H1 <= home.H2 {
		t.Errorf("projector headings: h1 %vpx, h2 %vpx, body %vpx; want h1 > h2 >= 1.2 × body", home.H1, home.H2, home.Body)
	}
	if home.Summary < 0.9*home.Body {
		t.Errorf("projector lesson summary %vpx with body %vpx; want it to scale with the body (>= 90%%)", home.Summary, home.Body)
	}

	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/en/lessons/semaphore")); err != nil {
		t.Fatal(err)
	}
	runAndWait(t, ctx)
	var run struct {
		H2, Axis, Chart, Names, Legend, End float64
		AxisClipped                         bool
	}
	evalJSON(t, ctx, `(() => { const f = document.querySelector('.frame[data-finished="true"]');
		const px = s => parseFloat(getComputedStyle(f.querySelector(s)).fontSize);
		const svg = f.querySelector('.axis svg').getBoundingClientRect();
		const clipped = [...f.querySelectorAll('.axis text')].some(t => t.getBoundingClientRect().bottom > svg.bottom + 1);
		return JSON.stringify({H2: parseFloat(getComputedStyle(document.querySelector('h2')).fontSize),
			Axis: px('.axis text'), Chart: px('.chart-label'), Names: px('ol.names'), Legend: px('ul.legend'), End: px('text.end'),
			AxisClipped: clipped}); })()`, &run)
	const readable = 16 // px: the smallest text a projector shows
	for name, got := range map[string]float64{"axis ticks": run.Axis, "chart label": run.Chart, "lane names": run.Names, "legend": run.Legend, "end marks": run.End} {
		if got < readable {
			t.Errorf("projector %s %vpx; want >= %dpx", name, got, readable)
		}
	}
	if run.H2 < 1.2*22 {
		t.Errorf("projector lesson h2 %vpx; want >= 1.2 × 22px", run.H2)
	}
	if run.AxisClipped {
		t.Errorf("projector axis labels run below the axis (its svg did not grow with its text)")
	}
	screenshot(t, ctx, "projector-scaled-en")
}

// TestBrowserDarkAccentContrast: text on the accent colour (the Run
// button, the pressed projector toggle) and the connection numbers on
// their bars keep WCAG AA contrast (4.5:1) in the dark theme, whether it
// comes from the reader's preference or an embed's ?theme=dark; the light
// theme's Run button is unchanged.
func TestBrowserDarkAccentContrast(t *testing.T) {
	ctx := browser(t)
	base := serve(t, newServer(t, nil))
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	type colours struct {
		Run, Toggle, Conn float64
		RunFG, RunBG      string
	}
	measure := func() colours {
		var c colours
		evalJSON(t, ctx, `(() => { `+contrastJS+`
			const cs = s => getComputedStyle(document.querySelector(s));
			const pair = s => { const e = document.querySelector(s); if (!e) return 0; const c = getComputedStyle(e); return contrast(c.color, c.backgroundColor); };
			const n = document.querySelector('.frame text.conn-n');
			const conn = n ? contrast(getComputedStyle(n).fill, getComputedStyle(n.parentNode.querySelector('rect')).fill) : 0;
			return JSON.stringify({Run: pair('.run-button'), Toggle: pair('.theme-toggle[aria-pressed="true"]'), Conn: conn,
				RunFG: cs('.run-button').color, RunBG: cs('.run-button').backgroundColor}); })()`, &c)
		return c
	}

	// Light: white on the dark blue accent, as before.
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/en/lessons/semaphore"), chromedp.WaitVisible(chromedp.CSS(".run-button"))); err != nil {
		t.Fatal(err)
	}
	if c := measure(); c.RunFG != "rgb(255, 255, 255)" || c.RunBG != "rgb(31, 111, 178)" || c.Run < 4.5 {
		t.Errorf("light Run button %s on %s (%.2f:1); want white on rgb(31, 111, 178)", c.RunFG, c.RunBG, c.Run)
	}

	// Dark from the reader's preference, projector toggle pressed, after a run.
	emulateMedia(t, ctx, "prefers-color-scheme", "dark")
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/en/lessons/semaphore"), chromedp.WaitVisible(chromedp.CSS(".theme-toggle")),
		chromedp.Click(chromedp.CSS(".theme-toggle"))); err != nil {
		t.Fatal(err)
	}
	runAndWait(t, ctx)
	c := measure()
	if c.Run < 4.5 {
		t.Errorf("dark Run button %s on %s: contrast %.2f:1; want >= 4.5", c.RunFG, c.RunBG, c.Run)
	}
	if c.Toggle < 4.5 {
		t.Errorf("dark pressed projector toggle: contrast %.2f:1; want >= 4.5", c.Toggle)
	}
	if c.Conn == 0 {
		t.Errorf("no connection numbers after a semaphore run")
	} else if c.Conn < 4.5 {
		t.Errorf("dark connection number on its bar: contrast %.2f:1; want >= 4.5", c.Conn)
	}
	screenshot(t, ctx, "dark-accent-en")

	// Dark forced by an embed, under a light preference.
	emulateMedia(t, ctx, "prefers-color-scheme", "light")
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/embed/semaphore/semaphore?theme=dark"), chromedp.WaitVisible(chromedp.CSS(".run-button"))); err != nil {
		t.Fatal(err)
	}
	if c := measure(); c.Run < 4.5 {
		t.Errorf("embed ?theme=dark Run button %s on %s: contrast %.2f:1; want >= 4.5", c.RunFG, c.RunBG, c.Run)
	}
}

// TestBrowserBandLabelClearOfBars: the "loop blocked" label sits above
// the lanes, where no lane's bar covers it, and reads (4.5:1 against the
// band's tint) in the light, dark and projector themes. The blocking lesson
// blocks the loop for a second on purpose (the cpu-bound lesson shows the
// same band, but only when its timing happens to hold the loop long enough).
func TestBrowserBandLabelClearOfBars(t *testing.T) {
	py := requirePython(t)
	ctx := browser(t)
	base := serve(t, newServer(t, py))
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/zh/lessons/blocking")); err != nil {
		t.Fatal(err)
	}
	runAndWait(t, ctx)
	check := func(theme string) {
		t.Helper()
		var got struct {
			Labels, Bars int
			Overlaps     []string
			BelowTop     bool
			Contrast     float64
		}
		evalJSON(t, ctx, `(() => { `+contrastJS+`
			const side = document.querySelector('.frame[data-finished="true"] .side[data-runtime="python"]');
			const labels = [...side.querySelectorAll('text.band-label')];
			const tracks = side.querySelector('svg.tracks');
			const bars = [...tracks.querySelectorAll('rect.seg, rect.hold, rect.blocked-lane, rect.log-mark, line.deadline')];
			const hit = (a, b) => a.left < b.right - 0.5 && b.left < a.right - 0.5 && a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5;
			const overlaps = [];
			let contrastMin = 99, belowTop = false;
			const panel = getComputedStyle(side.closest('.run')).backgroundColor;
			for (const l of labels) {
				const r = l.getBoundingClientRect();
				if (r.bottom > tracks.getBoundingClientRect().top + 0.5) belowTop = true;
				for (const b of bars) {
					if (hit(r, b.getBoundingClientRect())) overlaps.push(b.getAttribute('class') + ' in ' + b.closest('g.lane')?.dataset.lane);
				}
				const band = l.previousElementSibling, bs = getComputedStyle(band);
				const under = band && band.classList.contains('blocked-band') ? over(bs.fill, parseFloat(bs.fillOpacity), panel) : panel;
				contrastMin = Math.min(contrastMin, contrast(getComputedStyle(l).fill, under));
			}
			return JSON.stringify({Labels: labels.length, Bars: bars.length, Overlaps: overlaps, BelowTop: belowTop, Contrast: contrastMin}); })()`, &got)
		if got.Labels == 0 || got.Bars == 0 {
			t.Fatalf("%s: %d band labels and %d bars in the Python timeline; want some of each", theme, got.Labels, got.Bars)
		}
		if len(got.Overlaps) > 0 {
			t.Errorf("%s: a band label overlaps %v", theme, got.Overlaps)
		}
		if got.BelowTop {
			t.Errorf("%s: a band label reaches into the lanes; want it above them", theme)
		}
		if got.Contrast < 4.5 {
			t.Errorf("%s: band label contrast %.2f:1 on the band; want >= 4.5", theme, got.Contrast)
		}
	}
	check("light")
	screenshot(t, ctx, "band-label-light-zh")
	emulateMedia(t, ctx, "prefers-color-scheme", "dark")
	check("dark")
	screenshot(t, ctx, "band-label-dark-zh")
	emulateMedia(t, ctx, "prefers-color-scheme", "light")
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(".theme-toggle"))); err != nil {
		t.Fatal(err)
	}
	check("projector")
	screenshot(t, ctx, "band-label-projector-zh")
	// The player shades and marks the label row as it does the lanes, so
	// scrubbing back leaves no label of a band still to come in full view.
	var row string
	evalJSON(t, ctx, `JSON.stringify([...document.querySelectorAll('.frame[data-finished="true"] svg.band-labels')].map(s => s.querySelectorAll('rect.future').length + '/' + s.querySelectorAll('line.cursor').length).join(','))`, &row)
	if row != "1/1" {
		t.Errorf("the band label row has shade/cursor %q; want 1/1, like the lanes", row)
	}
}

// axisAndNamesJS measures, in the finished frame, the axis labels shown
// (each one's left and right, and whether the last ends inside its axis)
// and the lane names cut short (a name whose text overflows its box).
const axisAndNamesJS = `(() => {
  const out = {axes: [], cut: [], names: 0};
  for (const svg of document.querySelectorAll('.frame[data-finished="true"] .axis svg')) {
    const box = svg.getBoundingClientRect();
    const shown = [...svg.querySelectorAll('text')].filter(e => getComputedStyle(e).display !== 'none')
      .map(e => { const r = e.getBoundingClientRect(); return {text: e.textContent, left: r.left, right: r.right}; });
    out.axes.push({right: box.right, labels: shown});
  }
  for (const li of document.querySelectorAll('.frame[data-finished="true"] .side ol.names li')) {
    out.names++;
    // Cut by an ellipsis on one line (wider than its box), or by a clamp
    // to two lines (a third line's worth taller than its box).
    const s = li.querySelector('span');
    const block = s && getComputedStyle(s).display !== 'inline';
    if (li.scrollWidth > li.clientWidth + 1 || (block && s.scrollHeight > s.clientHeight + 6)) out.cut.push(li.textContent);
  }
  return JSON.stringify(out);
})()`

// TestBrowserAxisAndLaneNamesFit: on a desktop and on a phone, the axis's
// labels are apart from each other and the last ends inside the axis
// rather than hanging out of the frame; on a phone, where there is no
// tooltip, lane names such as "goroutine: count #8" are shown whole (on
// two lines) rather than all cut to "goroutine: c…".
func TestBrowserAxisAndLaneNamesFit(t *testing.T) {
	py := requirePython(t)
	ctx := browser(t)
	base := serve(t, newServer(t, py))
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	for _, tc := range []struct {
		name          string
		width, height int64
	}{{"desktop", 1280, 900}, {"phone", 390, 844}} {
		if err := chromedp.Do(ctx,
			chromedp.EmulateViewport(tc.width, tc.height),
			chromedp.Navigate(base+"/zh/lessons/cpu-bound?jobs=8&n=300000"),
		); err != nil {
			t.Fatal(err)
		}
		runAndWait(t, ctx)
		var got struct {
			Axes []struct {
				Right  float64
				Labels []struct {
					Text        string
					Left, Right float64
				}
			}
			Cut   []string
			Names int
		}
		evalJSON(t, ctx, axisAndNamesJS, &got)
		if len(got.Axes) != 2 || got.Names < 18 {
			t.Fatalf("%s: %d axes and %d lane names in the finished frame; want 2 and 18 or more", tc.name, len(got.Axes), got.Names)
		}
		for _, a := range got.Axes {
			ls := a.Labels
			if len(ls) < 3 {
				t.Errorf("%s: %d axis labels shown; want 3 or more", tc.name, len(ls))
				continue
			}
			for i := 1; i < len(ls); i++ {
				if ls[i].Left < ls[i-1].Right+3 {
					t.Errorf("%s: axis labels %q and %q are %.1f px apart; want 3 px or more", tc.name, ls[i-1].Text, ls[i].Text, ls[i].Left-ls[i-1].Right)
				}
			}
			if last := ls[len(ls)-1]; last.Right > a.Right+1 {
				t.Errorf("%s: the last axis label %q ends at %.0f px, past its axis's edge at %.0f", tc.name, last.Text, last.Right, a.Right)
			}
		}
		if len(got.Cut) > 0 {
			t.Errorf("%s: %d lane names are cut short, e.g. %q", tc.name, len(got.Cut), got.Cut[0])
		}
		screenshot(t, ctx, "axis-names-"+tc.name)
	}
}

// TestBrowserLessonsFitAPhone: no lesson page, in any language, scrolls
// sideways on a 390 px screen: a title that names a call (lesson 6's
// gather(return_exceptions=True)) and code in the prose (lesson 17's
// aiohttp) once did. Wide code scrolls inside its own box.
func TestBrowserLessonsFitAPhone(t *testing.T) {
	ctx := browser(t)
	s := newServer(t, nil)
	base := serve(t, s)
	cat, err := s.lessonsNow()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(ctx, 120*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 844)); err != nil {
		t.Fatal(err)
	}
	// The page's width, and the elements that reach past the screen, or
	// whose text spills out of them, with no scrolling box to hold them.
	const overflowJS = `(() => {
  const w = window.innerWidth, out = [];
  if (document.documentElement.scrollWidth <= w + 1) return "";
  for (const e of document.querySelectorAll("main *")) {
    const r = e.getBoundingClientRect();
    const spills = e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflowX === "visible";
    if ((r.right <= w + 1 && !spills) || r.width === 0) continue;
    let held = false;
    for (let p = e.parentElement; p && p !== document.body; p = p.parentElement) {
      const o = getComputedStyle(p).overflowX;
      if (o === "auto" || o === "scroll" || o === "hidden") { held = true; break; }
    }
    if (!held) out.push(e.tagName.toLowerCase() + "." + e.className + " " + Math.round(r.right) + "px");
  }
  return "scrollWidth " + document.documentElement.scrollWidth + ": " + out.slice(0, 4).join("; ");
})()`
	for _, l := range cat.Lessons {
		for _, loc := range web.Locales {
			if err := chromedp.Do(ctx, chromedp.Navigate(base+"/"+loc.Code+"/lessons/"+l.Slug)); err != nil {
				t.Fatal(err)
			}
			if wide, err := chromedp.Run(ctx, chromedp.Evaluate[string](overflowJS)); err != nil || wide != "" {
				t.Errorf("/%s/lessons/%s scrolls sideways on a 390px screen: %s %v", loc.Code, l.Slug, wide, err)
			}
		}
	}
}
