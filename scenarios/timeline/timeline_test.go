package timeline

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func ms(n int) time.Duration { return time.Duration(n) * time.Millisecond }

// twoDownloads is a semaphore of one permit shared by two downloads.
var twoDownloads = []Event{
	{At: 0, Lane: "main", Kind: Spawn, Label: "main"},
	{At: 0, Lane: "download 1", Kind: Spawn, Label: "download"},
	{At: 0, Lane: "download 2", Kind: Spawn, Label: "download"},
	{At: 0, Lane: "main", Kind: Wait, Label: "taskgroup"},
	{At: 0, Lane: "download 1", Kind: Acquire, Label: "semaphore", Value: 1},
	{At: 0, Lane: "download 1", Kind: Sleep, Dur: ms(1000)},
	{At: 0, Lane: "download 2", Kind: Wait, Label: "semaphore"},
	{At: ms(1000), Lane: "download 1", Kind: Wake},
	{At: ms(1000), Lane: "download 1", Kind: Release, Label: "semaphore"},
	{At: ms(1000), Lane: "download 1", Kind: Done},
	{At: ms(1000), Lane: "download 2", Kind: Acquire, Label: "semaphore", Value: 1},
	{At: ms(1000), Lane: "download 2", Kind: Sleep, Dur: ms(500)},
	{At: ms(1500), Lane: "download 2", Kind: Wake},
	{At: ms(1500), Lane: "download 2", Kind: Release, Label: "semaphore"},
	{At: ms(1500), Lane: "download 2", Kind: Done},
	{At: ms(1500), Lane: "main", Kind: Wake},
	{At: ms(1500), Lane: "main", Kind: Done},
}

func build(events []Event) *Timeline {
	var tl Timeline
	for _, e := range events {
		tl.Add(e)
	}
	return &tl
}

func TestViewMidRun(t *testing.T) {
	v := build(twoDownloads).At(ms(500))
	if v.Busy != 1 || v.Waiting != 1 {
		t.Errorf("At(0.5s) busy/waiting = %d/%d; want 1/1", v.Busy, v.Waiting)
	}
	if len(v.Lanes) != 3 {
		t.Fatalf("At(0.5s) has %d lanes; want 3", len(v.Lanes))
	}
	d2 := v.Lanes[2]
	if len(d2.Segments) != 1 || d2.Segments[0].State != Waiting || !d2.Segments[0].Open || d2.Segments[0].End != ms(500) {
		t.Errorf("download 2 at 0.5s = %+v; want one open wait segment to 0.5s", d2.Segments)
	}
	main := v.Lanes[0]
	if got := main.Segments[len(main.Segments)-1]; got.State != Joining || got.Label != "taskgroup" {
		t.Errorf("main's last segment = %+v; want joining on taskgroup", got)
	}
}

func TestViewFinished(t *testing.T) {
	tl := build(twoDownloads)
	v := tl.At(tl.Last())
	if v.MaxHeld != 1 {
		t.Errorf("MaxHeld = %d; want 1", v.MaxHeld)
	}
	if v.Events != len(twoDownloads) {
		t.Errorf("Events = %d; want %d", v.Events, len(twoDownloads))
	}
	if len(v.Holds) != 2 || v.Holds[0].End != ms(1000) || v.Holds[1].Start != ms(1000) || v.Holds[1].End != ms(1500) {
		t.Errorf("Holds = %+v; want [0,1s) and [1s,1.5s)", v.Holds)
	}
	for _, l := range v.Lanes {
		if l.End != Done {
			t.Errorf("lane %s ended %q; want done", l.Name, l.End)
		}
	}
	d1 := v.Lanes[1]
	if len(d1.Segments) != 1 || d1.Segments[0].State != IO || d1.Segments[0].End != ms(1000) {
		t.Errorf("download 1 segments = %+v; want one I/O segment [0,1s)", d1.Segments)
	}
}

func TestPackAndText(t *testing.T) {
	tl := build(twoDownloads)
	v := tl.At(tl.Last())
	rows := Pack(v)
	if len(rows) != 1 || len(rows[0].Holds) != 2 {
		t.Fatalf("Pack = %+v; want one row of two holds", rows)
	}
	got := ConnectionsText(rows, ms(100), "Connection")
	want := "Connection 1: 1---------2----\n"
	if got != want {
		t.Errorf("ConnectionsText = %q; want %q", got, want)
	}
	text := Text(v, ms(100))
	for _, line := range []string{
		"main       ~~~~~~~~~~~~~~~|",
		"download 1 ----------|",
		"download 2 ..........-----|",
	} {
		if !strings.Contains(text, line+"\n") {
			t.Errorf("Text is missing %q; got\n%s", line, text)
		}
	}
}

func TestPackNeverExceedsPermits(t *testing.T) {
	// Three holds where the third starts exactly as the first ends: two rows.
	events := []Event{
		{At: 0, Lane: "a", Kind: Acquire, Label: "semaphore"},
		{At: ms(100), Lane: "b", Kind: Acquire, Label: "semaphore"},
		{At: ms(300), Lane: "a", Kind: Release, Label: "semaphore"},
		{At: ms(300), Lane: "c", Kind: Acquire, Label: "semaphore"},
		{At: ms(400), Lane: "b", Kind: Release, Label: "semaphore"},
		{At: ms(500), Lane: "c", Kind: Release, Label: "semaphore"},
	}
	tl := build(events)
	v := tl.At(tl.Last())
	if rows := Pack(v); len(rows) != 2 {
		t.Errorf("Pack gave %d rows; want 2", len(rows))
	}
	if v.MaxHeld != 2 {
		t.Errorf("MaxHeld = %d; want 2 (a release before an acquire at the same instant)", v.MaxHeld)
	}
}

func TestJSONRoundTrip(t *testing.T) {
	e := Event{At: ms(1500), Lane: "download 1", Kind: Sleep, Line: 12, Dur: ms(250)}
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"t":1.5,"lane":"download 1","kind":"sleep","line":12,"dur":0.25}`; string(b) != want {
		t.Errorf("Marshal = %s; want %s", b, want)
	}
	var back Event
	if err := json.Unmarshal(b, &back); err != nil || back != e {
		t.Errorf("Unmarshal(%s) = %+v, %v; want %+v", b, back, err, e)
	}
}

func TestJSONRefusesBadEvents(t *testing.T) {
	for _, in := range []string{
		`{"t":1,"lane":"a","kind":"explode"}`,
		`{"t":1,"kind":"done"}`,
		`{"t":-1,"lane":"a","kind":"done"}`,
		`{"t":1e300,"lane":"a","kind":"done"}`,
		`{"t":"soon","lane":"a","kind":"done"}`,
	} {
		var e Event
		if err := json.Unmarshal([]byte(in), &e); err == nil {
			t.Errorf("Unmarshal(%s) = nil error; want a refusal", in)
		}
	}
}

func TestStep(t *testing.T) {
	for _, tc := range []struct {
		total time.Duration
		width int
		want  time.Duration
	}{
		{ms(7000), 72, ms(100)},
		{ms(700), 72, ms(10)},
		{ms(30000), 72, ms(500)},
	} {
		if got := Step(tc.total, tc.width); got != tc.want {
			t.Errorf("Step(%v, %d) = %v; want %v", tc.total, tc.width, got, tc.want)
		}
	}
}

// TestReleaseByAnotherLane: main takes the permits and each task gives its
// own back; the holds must close, not pile up.
func TestReleaseByAnotherLane(t *testing.T) {
	tl := build([]Event{
		{At: 0, Lane: "main", Kind: Acquire, Label: "semaphore"},
		{At: 0, Lane: "main", Kind: Acquire, Label: "semaphore"},
		{At: ms(100), Lane: "a", Kind: Release, Label: "semaphore"},
		{At: ms(100), Lane: "main", Kind: Acquire, Label: "semaphore"},
		{At: ms(200), Lane: "b", Kind: Release, Label: "semaphore"},
		{At: ms(300), Lane: "c", Kind: Release, Label: "semaphore"},
	})
	v := tl.At(ms(300))
	if v.MaxHeld != 2 {
		t.Errorf("MaxHeld = %d; want 2", v.MaxHeld)
	}
	for i, h := range v.Holds {
		if h.Open {
			t.Errorf("hold %d still open: %+v", i, h)
		}
	}
	if v.Holds[0].Lane != "a" || v.Holds[1].Lane != "b" || v.Holds[2].Lane != "c" {
		t.Errorf("holds belong to %s, %s, %s; want the lanes that gave them back (a, b, c)", v.Holds[0].Lane, v.Holds[1].Lane, v.Holds[2].Lane)
	}
	if v.Holds[0].End != ms(100) || v.Holds[1].End != ms(200) || v.Holds[2].End != ms(300) {
		t.Errorf("holds end at %v, %v, %v; want the oldest released first", v.Holds[0].End, v.Holds[1].End, v.Holds[2].End)
	}
}

// TestWaitStates: which state a wait puts a lane in follows its label:
// asyncio's "future" and a Go request's "response" are I/O, joins are
// joining, anything else a shared resource.
func TestWaitStates(t *testing.T) {
	for label, want := range map[string]State{"future": IO, "response": IO, "request": IO, "waitgroup": Joining, "task: b": Joining, "connection": Waiting, "semaphore": Waiting} {
		v := build([]Event{{At: 0, Lane: "a", Kind: Spawn}, {At: ms(10), Lane: "a", Kind: Wait, Label: label}}).At(ms(20))
		segs := v.Lanes[0].Segments
		if got := segs[len(segs)-1]; got.State != want {
			t.Errorf("wait %q: lane in state %q; want %q", label, got.State, want)
		}
	}
}
