package web

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/asyncplay/asyncplay/scenarios/timeline"
)

var (
	nowLines = regexp.MustCompile(`<line class="now" x1="([0-9.]+)%"`)
	clockRe  = regexp.MustCompile(`<span class="time">([^<]*)</span>`)
	drawnRe  = regexp.MustCompile(`data-now="([0-9.]+)"`)
)

// TestLiveFrameShowsTheSidesClock: a live frame shows the latest of the
// sides' own clocks, not the time since Run was pressed, which runs ahead
// of every lane by the wait to start. So a side that has ended draws its
// "now" line where the running side draws its own, and the clock does not
// go back when the run finishes. data-now keeps the time since the run
// began (the bench counts a frame's latency from it).
func TestLiveFrameShowsTheSidesClock(t *testing.T) {
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	var goTL, pyTL timeline.Timeline
	goTL.Add(timeline.Event{At: 0, Lane: "main", Kind: timeline.Spawn, Label: "main"})
	goTL.Add(timeline.Event{At: ms(1220), Lane: "main", Kind: timeline.Done})
	pyTL.Add(timeline.Event{At: 0, Lane: "main", Kind: timeline.Spawn, Label: "main"})
	pyTL.Add(timeline.Event{At: 0, Lane: "main", Kind: timeline.Sleep, Dur: ms(1300)})
	sides := func(pyEnded bool) []Side {
		py := Side{Runtime: "python", Name: "CPython", TL: &pyTL, Status: "running", Lag: ms(150)}
		if pyEnded {
			py.Ended, py.Status = true, "finished"
		}
		return []Side{py, {Runtime: "go", Name: "Go", TL: &goTL, Ended: true, Status: "finished", Cache: &SideCache{}}}
	}
	render := func(f RunFrame) string {
		var buf bytes.Buffer
		if err := Frame(f).Render(context.Background(), &buf); err != nil {
			t.Fatal(err)
		}
		return buf.String()
	}

	// 1.4 s after Run; CPython started 0.15 s late, so its clock reads 1.25.
	live := BuildFrame("en", sides(false), ms(1400), false, 0, 0)
	if live.Now != ms(1250) || live.Drawn != ms(1400) {
		t.Fatalf("live frame: Now %v, Drawn %v; want 1.25s (CPython's clock) and 1.4s (since Run)", live.Now, live.Drawn)
	}
	out := render(live)
	if m := clockRe.FindStringSubmatch(out); m == nil || !strings.HasPrefix(m[1], "1.25") {
		t.Errorf("live clock reads %v; want 1.25 s", m)
	}
	if m := drawnRe.FindStringSubmatch(out); m == nil || m[1] != "1.400" {
		t.Errorf("live data-now %v; want 1.400", m)
	}
	lines := nowLines.FindAllStringSubmatch(out, -1)
	if len(lines) != 2 || lines[0][1] != lines[1][1] {
		t.Errorf("now lines %v; want the ended Go side's where the running CPython side's is", lines)
	}

	// Go has ended and CPython has not begun: the clock is Go's end.
	var none timeline.Timeline
	early := BuildFrame("en", []Side{{Runtime: "python", TL: &none, Status: "running"}, sides(false)[1]}, ms(3000), false, 0, 0)
	if early.Now != ms(1220) {
		t.Errorf("with CPython still starting, the clock is %v; want Go's end (1.22s), not the 3 s since Run", early.Now)
	}
	nothing := BuildFrame("en", []Side{{Runtime: "python", TL: &none, Status: "running"}, {Runtime: "go", TL: &none, Status: "running"}}, ms(500), false, 0, 0)
	if nothing.Now != 0 {
		t.Errorf("with both sides starting, the clock is %v; want 0", nothing.Now)
	}

	// Go is behind (a run of its own, 0.5 s late) when CPython ends: the
	// clock stays at CPython's clock when its end was seen (1.33 s), not
	// back at its last event (1.3 s).
	late := []Side{
		{Runtime: "python", TL: &pyTL, Ended: true, Status: "finished", Until: ms(1330)},
		{Runtime: "go", TL: &goTL, Status: "running", Lag: ms(500)},
	}
	pyTL.Add(timeline.Event{At: ms(1300), Lane: "main", Kind: timeline.Done})
	if c := BuildFrame("en", late, ms(1500), false, 0, 0).Now; c != ms(1330) {
		t.Errorf("after CPython ended, the clock is %v; want 1.33s, where it was when its end was seen", c)
	}

	// CPython's sleep ends at 1.3 s on its clock: the finished frame's
	// clock is where the live one was heading, not back from 1.4 s.
	final := BuildFrame("en", sides(true), ms(1500), true, 0, 0)
	if final.Now != ms(1300) {
		t.Errorf("final frame at %v after a live one at %v; want 1.3s", final.Now, live.Now)
	}
	if m := drawnRe.FindStringSubmatch(render(final)); m == nil || m[1] != "1.300" {
		t.Errorf("final data-now %v; want the run's end, 1.300", m)
	}
}
