package server

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// playerEvent is what the page's player data holds.
type playerEvent struct {
	T    float64 `json:"t"`
	RT   string  `json:"rt"`
	Lane string  `json:"lane"`
	Kind string  `json:"kind"`
	Line int     `json:"line"`
}

// finishRun opens a lesson with params, presses Run and waits for the end.
func finishRun(t *testing.T, ctx context.Context, base, query string) {
	t.Helper()
	pressRun(t, ctx, base+"/en/lessons/semaphore?"+query)
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`!!document.querySelector('.frame[data-finished="true"] .player')`,
		chromedp.WithPollingTimeout(30*time.Second))); err != nil {
		t.Fatalf("run did not finish with a player: %v", err)
	}
}

func playerEvents(t *testing.T, ctx context.Context) []playerEvent {
	t.Helper()
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('.player script[type="application/json"]').textContent`))
	if err != nil {
		t.Fatal(err)
	}
	var evs []playerEvent
	if err := json.Unmarshal([]byte(raw), &evs); err != nil {
		t.Fatal(err)
	}
	return evs
}

// playerState reads the cursor time and the highlighted lines.
type playerState struct {
	T      float64 `json:"t"`
	Py     int     `json:"py"`
	Go     int     `json:"go"`
	Row    int     `json:"row"`
	Cursor string  `json:"cursor"`
}

func readPlayer(t *testing.T, ctx context.Context) playerState {
	t.Helper()
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[string](`JSON.stringify({
		t: parseFloat(document.querySelector('.player').dataset.t),
		py: +((document.querySelector('.pane[data-lang="python"] .ln.current') || {dataset: {line: 0}}).dataset.line),
		go: +((document.querySelector('.pane[data-lang="go"] .ln.current') || {dataset: {line: 0}}).dataset.line),
		row: +((document.querySelector('.events-table tr[aria-current]') || {dataset: {i: -1}}).dataset.i),
		cursor: (document.querySelector('svg.tracks line.cursor') || {getAttribute: () => ""}).getAttribute('x1'),
	})`))
	if err != nil {
		t.Fatal(err)
	}
	var s playerState
	if err := json.Unmarshal([]byte(raw), &s); err != nil {
		t.Fatal(err)
	}
	return s
}

// expectAt computes, from the events alone, what the player should show at
// time x: the index of the last event at or before x and, per runtime, the
// line of the latest event with a line.
func expectAt(evs []playerEvent, x float64) (idx, py, goLine int) {
	idx = -1
	for i, e := range evs {
		if e.T <= x+1e-9 {
			idx = i
			if e.Line != 0 && e.RT == "python" {
				py = e.Line
			}
			if e.Line != 0 && e.RT == "go" {
				goLine = e.Line
			}
		}
	}
	return idx, py, goLine
}

func TestBrowserPlayer(t *testing.T) {
	py := requirePython(t)
	ctx := browser(t)
	base := serve(t, newServer(t, py))
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	finishRun(t, ctx, base, "downloads=3&limit=2&delays=0.3,0.5,0.2")
	evs := playerEvents(t, ctx)
	rows, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('.events-table tbody tr').length`))
	sum, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`[...document.querySelectorAll('[data-events]')].reduce((n, d) => n + +d.dataset.events, 0)`))
	if len(evs) == 0 || rows != len(evs) || sum != len(evs) {
		t.Fatalf("player has %d events, the table %d rows, the summaries count %d; want all equal", len(evs), rows, sum)
	}

	// The player opens at the end; step back three times, then forward.
	total := evs[len(evs)-1].T
	if s := readPlayer(t, ctx); math.Abs(s.T-total) > 0.002 {
		t.Errorf("player opens at %.3f; want the end, %.3f", s.T, total)
	}
	var times []float64
	for _, e := range evs {
		if len(times) == 0 || e.T > times[len(times)-1]+1e-9 {
			times = append(times, e.T)
		}
	}
	check := func(what string, wantT float64) {
		t.Helper()
		s := readPlayer(t, ctx)
		if math.Abs(s.T-wantT) > 0.0015 {
			t.Errorf("%s: cursor at %.4f; want %.4f", what, s.T, wantT)
		}
		idx, pyLine, goLine := expectAt(evs, s.T)
		if s.Row != idx || s.Py != pyLine || s.Go != goLine {
			t.Errorf("%s at %.4f: row %d, python line %d, go line %d; want %d, %d, %d", what, s.T, s.Row, s.Py, s.Go, idx, pyLine, goLine)
		}
		want := 100 * s.T / scaleOf(t, ctx)
		if got, err := strconv.ParseFloat(strings.TrimSuffix(s.Cursor, "%"), 64); err != nil || math.Abs(got-want) > 0.05 {
			t.Errorf("%s: cursor line at x=%s; want about %.3f%%", what, s.Cursor, want)
		}
	}
	n := len(times)
	for i := 1; i <= 3; i++ {
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(".p-prev"))); err != nil {
			t.Fatal(err)
		}
		check(fmt.Sprintf("back %d", i), times[n-1-i])
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(".p-next"))); err != nil {
		t.Fatal(err)
	}
	check("forward", times[n-3])

	// Keyboard only: Tab reaches the controls, arrows step, space plays.
	err := chromedp.Do(ctx,
		chromedp.Focus(chromedp.CSS(".p-prev")),
		chromedp.KeyEvent(kb.Tab),
	)
	if err != nil {
		t.Fatal(err)
	}
	if f, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.activeElement.className`)); f != "p-play" {
		t.Errorf("Tab from the back button focused %q; want the play button", f)
	}
	if err := chromedp.Do(ctx, chromedp.KeyEvent(kb.ArrowLeft)); err != nil {
		t.Fatal(err)
	}
	check("arrow left", times[n-4])
	if err := chromedp.Do(ctx, chromedp.KeyEvent(kb.ArrowRight)); err != nil {
		t.Fatal(err)
	}
	check("arrow right", times[n-3])
	// Space on a focused button presses it: play, then pause. From the
	// start, so the run is still playing when the test looks (the last
	// events can be microseconds from the end).
	// An observer notes that playing began, however short the playback,
	// so the check does not race the run's end on a slow machine.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => {
		const f = document.querySelector('.frame');
		window.__sawPlaying = false;
		new MutationObserver(() => { if (f.classList.contains('playing')) window.__sawPlaying = true; })
			.observe(f, {attributes: true, attributeFilter: ['class']});
		f.__show(0);
		return true;
	})()`)); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.KeyEvent(" ")); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`window.__sawPlaying`, chromedp.WithPollingTimeout(5*time.Second))); err != nil {
		t.Errorf("space on the play button did not start playing: %v", err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`!document.querySelector('.frame').classList.contains('playing')`,
		chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		t.Errorf("playing did not stop at the end: %v", err)
	}
	if s := readPlayer(t, ctx); math.Abs(s.T-total) > 0.002 {
		t.Errorf("after playing, cursor at %.3f; want the end %.3f", s.T, total)
	}

	// A moment link opens the stored run at that time.
	link, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('a.run-link').href`))
	if err != nil || !strings.Contains(link, "/en/runs/") {
		t.Fatalf("run link = %q, %v", link, err)
	}
	moment := times[n/2]
	u := link + "&t=" + strconv.FormatFloat(moment, 'f', 3, 64)
	if err := chromedp.Do(ctx, chromedp.Navigate(u), chromedp.WaitVisible(chromedp.CSS(".player"))); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.querySelector('svg.tracks line.cursor') !== null`)); err != nil {
		t.Fatal(err)
	}
	check("moment link", math.Round(moment*1000)/1000)
	if v, _ := chromedp.Run(ctx, chromedp.Evaluate[float64](`parseFloat(document.querySelector('.p-scrub').value)`)); math.Abs(v-moment) > 0.0006 {
		t.Errorf("slider at %v; want %.3f", v, moment)
	}
	screenshot(t, ctx, "player-moment-en")

	// An evicted run says so and offers to run again with the same parameters.
	gone := strings.Replace(link, "/runs/", "/runs/0000", 1)
	if err := chromedp.Do(ctx, chromedp.Navigate(gone), chromedp.WaitVisible(chromedp.CSS(".error-message"))); err != nil {
		t.Fatal(err)
	}
	again, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`(document.querySelector('a.run-button') || {}).href || ''`))
	if !strings.Contains(again, "/en/lessons/semaphore?") || !strings.Contains(again, "delays=0.3%2C0.5%2C0.2") {
		t.Errorf("expired run offers %q; want the lesson with the same parameters", again)
	}
}

func scaleOf(t *testing.T, ctx context.Context) float64 {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('.frame').dataset.scale`))
	if err != nil {
		t.Fatal(err)
	}
	f, _ := strconv.ParseFloat(v, 64)
	return f
}

// TestBrowserReducedMotion: the live badge pulses, except when the visitor
// asks for reduced motion.
func TestBrowserReducedMotion(t *testing.T) {
	py := requirePython(t)
	ctx := browser(t)
	base := serve(t, newServer(t, py))
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	anim := func() string {
		err := chromedp.Do(ctx,
			chromedp.Navigate(base+"/en/lessons/semaphore?downloads=2&limit=1&delays=2,2"),
			chromedp.WaitVisible(chromedp.CSS(".run-button")),
			chromedp.Click(chromedp.CSS(".run-button")),
			chromedp.WaitVisible(chromedp.CSS(".badge.live")),
		)
		if err != nil {
			t.Fatal(err)
		}
		name, err := chromedp.Run(ctx, chromedp.Evaluate[string](`getComputedStyle(document.querySelector('.badge.live'), '::before').animationName`))
		if err != nil {
			t.Fatal(err)
		}
		return name
	}
	if got := anim(); got == "none" {
		t.Errorf("live badge animation = %q without reduced motion; want the pulse", got)
	}
	emulateMedia(t, ctx, "prefers-reduced-motion", "reduce")
	if got := anim(); got != "none" {
		t.Errorf("live badge animation = %q with reduced motion; want none", got)
	}
}

// TestBrowserProjectorTheme: the header toggle gives large type, and the
// choice survives a reload.
func TestBrowserProjectorTheme(t *testing.T) {
	ctx := browser(t)
	base := serve(t, newServer(t, nil))
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	size := func() string {
		s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`getComputedStyle(document.body).fontSize`))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/en/"), chromedp.WaitVisible(chromedp.CSS(".theme-toggle"))); err != nil {
		t.Fatal(err)
	}
	if got := size(); got != "16px" {
		t.Errorf("body font before = %s; want 16px", got)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(".theme-toggle"))); err != nil {
		t.Fatal(err)
	}
	if got := size(); got != "22px" {
		t.Errorf("body font in projector theme = %s; want 22px", got)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/en/lessons/semaphore"), chromedp.WaitVisible(chromedp.CSS(".theme-toggle"))); err != nil {
		t.Fatal(err)
	}
	pressed, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('.theme-toggle').getAttribute('aria-pressed')`))
	if got := size(); got != "22px" || pressed != "true" {
		t.Errorf("after a new page: font %s, toggle pressed %q; want 22px and true", got, pressed)
	}
	screenshot(t, ctx, "projector-en")
}
