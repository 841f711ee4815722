package web

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/asyncplay/asyncplay/scenarios/timeline"
)

// endedSide is a side that ended at 2 s: two tasks on a semaphore, a held
// connection, a blocked loop, a set event and an error.
func endedSide() *timeline.Timeline {
	var tl timeline.Timeline
	for _, e := range []timeline.Event{
		{At: 0, Lane: "main", Kind: timeline.Spawn, Label: "main"},
		{At: 0, Lane: "main", Kind: timeline.Wait, Label: "taskgroup"},
		{At: 0, Lane: "main", Kind: timeline.Deadline, Dur: 3 * time.Second},
		{At: 0, Lane: "download 1", Kind: timeline.Spawn},
		{At: 0, Lane: "download 1", Kind: timeline.Acquire, Label: "semaphore"},
		{At: 0, Lane: "download 2", Kind: timeline.Spawn},
		{At: 0, Lane: "download 2", Kind: timeline.Wait, Label: "semaphore"},
		{At: 200 * time.Millisecond, Lane: "download 1", Kind: timeline.Blocked, Dur: 300 * time.Millisecond},
		{At: 500 * time.Millisecond, Lane: "download 1", Kind: timeline.Set, Label: "event"},
		{At: time.Second, Lane: "download 1", Kind: timeline.Put, Value: 1},
		{At: time.Second, Lane: "download 1", Kind: timeline.Release, Label: "semaphore"},
		{At: time.Second, Lane: "download 1", Kind: timeline.Done},
		{At: time.Second, Lane: "download 2", Kind: timeline.Acquire, Label: "semaphore"},
		{At: time.Second, Lane: "conn", Kind: timeline.Acquire, Label: "connection"},
		{At: 1500 * time.Millisecond, Lane: "conn", Kind: timeline.Release, Label: "connection"},
		{At: 2 * time.Second, Lane: "download 2", Kind: timeline.Release, Label: "semaphore"},
		{At: 2 * time.Second, Lane: "download 2", Kind: timeline.Error, Label: "ValueError: boom"},
		{At: 2 * time.Second, Lane: "main", Kind: timeline.Done},
	} {
		tl.Add(e)
	}
	return &tl
}

// TestSideCacheDrawsWhatTheEventsDraw: live frames of a run whose Python
// side has ended while its Go side goes on are the same bytes with the
// ended side's cache as without it, frame after frame, across changes of
// scale and of the text views' step, full and lean, in every locale: each
// language and form in a cache of its own, and all of them through one
// cache in turn. The cache is used: it holds the side's three parts.
func TestSideCacheDrawsWhatTheEventsDraw(t *testing.T) {
	py := endedSide()
	var goTL timeline.Timeline
	goTL.Add(timeline.Event{At: 0, Lane: "main", Kind: timeline.Spawn, Label: "main"})
	goTL.Add(timeline.Event{At: 0, Lane: "main", Kind: timeline.Sleep})
	type form struct {
		lang string
		lean bool
	}
	own := map[form]*SideCache{}
	var shared SideCache
	for now := 2 * time.Second; now <= 40*time.Second; now += 300 * time.Millisecond {
		for _, l := range Locales {
			for _, lean := range []bool{false, true} {
				fm := form{l.Code, lean}
				if own[fm] == nil {
					own[fm] = &SideCache{}
				}
				render := func(c *SideCache) string {
					f := BuildFrame(l.Code, []Side{
						{Runtime: "python", Name: "CPython", TL: py, Ended: true, Status: "failed", Err: "ValueError: boom", Cache: c},
						{Runtime: "go", Name: "Go", TL: &goTL, Status: "running"},
					}, now, false, 2, 1)
					f.Lean = lean
					var buf bytes.Buffer
					if err := Frame(f).Render(context.Background(), &buf); err != nil {
						t.Fatal(err)
					}
					return buf.String()
				}
				want := render(nil)
				for name, c := range map[string]*SideCache{"its own": own[fm], "a shared": &shared} {
					if got := render(c); got != want {
						t.Fatalf("%s, lean %v, now %v: the frame drawn from %s cache differs from the one drawn from the events:\n got %s\nwant %s", l.Code, lean, now, name, got, want)
					}
				}
			}
		}
	}
	for fm, c := range own {
		if c.view == nil || len(c.parts) != 3 {
			t.Errorf("%s, lean %v: the cache has view %v and %d parts; want a view and 3 parts (charts, tracks, conns)", fm.lang, fm.lean, c.view != nil, len(c.parts))
		}
	}
}

// TestSideCacheFollowsItsSide: a side's cache is not used by a final frame,
// nor for a side still running, and starts again if the side it was drawn
// from changes after all (an event, a status, an error).
func TestSideCacheFollowsItsSide(t *testing.T) {
	tl := endedSide()
	var cache SideCache
	draw := func(ended, final bool, status, errText string) string {
		f := BuildFrame("en", []Side{{Runtime: "python", Name: "CPython", TL: tl, Ended: ended, Status: status, Err: errText, Cache: &cache}}, 3*time.Second, final, 2, 0)
		var buf bytes.Buffer
		if err := Frame(f).Render(context.Background(), &buf); err != nil {
			t.Fatal(err)
		}
		return buf.String()
	}
	draw(false, false, "running", "")
	if cache.view != nil || cache.parts != nil {
		t.Fatal("a running side's frame filled its cache")
	}
	draw(true, true, "finished", "")
	if cache.view != nil || cache.parts != nil {
		t.Fatal("a final frame filled the cache")
	}
	first := draw(true, false, "finished", "")
	if cache.view == nil || len(cache.parts) == 0 {
		t.Fatal("a live frame of an ended side left its cache empty")
	}
	tl.Add(timeline.Event{At: 2500 * time.Millisecond, Lane: "late", Kind: timeline.Spawn})
	if got := draw(true, false, "finished", ""); got == first || !strings.Contains(got, `data-lane="late"`) {
		t.Error("an event added after the side ended is not drawn")
	}
	if got := draw(true, false, "failed", "it broke"); !strings.Contains(got, "it broke") || !strings.Contains(got, `data-status="failed"`) {
		t.Error("a status and error changed after the side ended are not drawn")
	}
}
