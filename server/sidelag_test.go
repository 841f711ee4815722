package server

import (
	"bytes"
	"context"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/asyncplay/asyncplay/scenarios"
	"github.com/asyncplay/asyncplay/scenarios/timeline"
	"github.com/asyncplay/asyncplay/web"
)

var nowLine = regexp.MustCompile(`<line class="now" x1="([0-9.]+)%"`)

// TestLiveFrameDrawsEachSideOnItsOwnClock: a side whose process started
// late (here 2 s into the run) counts its events from its own start, so a
// live frame draws it at its own now: its sleep so far is as long as it
// has really been, not stretched by the 2 s it waited to start. The other
// side, on time, is drawn at the run's now.
func TestLiveFrameDrawsEachSideOnItsOwnClock(t *testing.T) {
	st := newRunState("en", map[scenarios.Runtime]string{scenarios.Go: "Go", scenarios.Python: "CPython"}, [2]int{})
	st.Event(scenarios.Go, timeline.Event{At: 0, Lane: "main", Kind: timeline.Spawn, Label: "main"})
	st.start = st.start.Add(-2 * time.Second) // 2 s go by
	st.Event(scenarios.Python, timeline.Event{At: 0, Lane: "main", Kind: timeline.Spawn, Label: "main"})
	st.Event(scenarios.Python, timeline.Event{At: 0, Lane: "main", Kind: timeline.Sleep, Dur: 5 * time.Second})
	f := st.frame(false)
	nows := map[scenarios.Runtime]time.Duration{}
	for _, sd := range f.Sides {
		nows[sd.Runtime] = sd.View.Now
	}
	if py := nows[scenarios.Python]; py > 500*time.Millisecond {
		t.Errorf("the Python side, started 2 s late, is drawn at %v; want its own now (well under 0.5 s)", py)
	}
	if g := nows[scenarios.Go]; g < 2*time.Second {
		t.Errorf("the Go side is drawn at %v; want the run's now (2 s on)", g)
	}
	// Each side's "now" line is at its own now: the late side's well left
	// of the other's.
	var buf bytes.Buffer
	if err := web.Frame(f).Render(context.Background(), &buf); err != nil {
		t.Fatal(err)
	}
	lines := nowLine.FindAllStringSubmatch(buf.String(), -1)
	if len(lines) != 2 {
		t.Fatalf("%d now lines in the live frame; want one a side", len(lines))
	}
	pyX, _ := strconv.ParseFloat(lines[0][1], 64)
	goX, _ := strconv.ParseFloat(lines[1][1], 64)
	if pyX >= goX/2 {
		t.Errorf("now lines at %v%% (CPython, 2 s late) and %v%% (Go); want the late side's well behind", pyX, goX)
	}
	st.End(scenarios.Go, nil)
	st.End(scenarios.Python, nil)
	if final := st.frame(true); final.Now != 0 {
		t.Errorf("final frame at %v; want the end of the latest side (0)", final.Now)
	}
}

// TestSideLagIsTheLeastSeen: a side's first event may reach the server late
// (a tracer holds a task's spawn back until its next event), so the lag is
// the least arrival-less-time over the side's events, not the first's.
func TestSideLagIsTheLeastSeen(t *testing.T) {
	st := newRunState("en", map[scenarios.Runtime]string{scenarios.Go: "Go", scenarios.Python: "CPython"}, [2]int{})
	st.start = st.start.Add(-2 * time.Second)
	// Stamped 0, it arrives 2 s into the run: it was held back.
	st.Event(scenarios.Python, timeline.Event{At: 0, Lane: "main", Kind: timeline.Spawn, Label: "main"})
	// Stamped 1.9 s, it arrives at once: the side is 0.1 s behind, not 2 s.
	st.Event(scenarios.Python, timeline.Event{At: 1900 * time.Millisecond, Lane: "main", Kind: timeline.Sleep, Dur: 5 * time.Second})
	st.start = st.start.Add(-time.Second) // a second goes by with no event
	var py time.Duration
	for _, sd := range st.frame(false).Sides {
		if sd.Runtime == scenarios.Python {
			py = sd.View.Now
		}
	}
	// Taking the first event's lag would draw it at 1 s; the slack above
	// is for a test paused between its steps (the clock is the real one).
	if py < 2500*time.Millisecond || py > 3500*time.Millisecond {
		t.Errorf("the Python side is drawn at %v; want about 2.9 s (the run's 3 s less its 0.1 s lag)", py)
	}
}
