package server

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/asyncplay/asyncplay/scenarios"
	"github.com/asyncplay/asyncplay/scenarios/timeline"
)

func runWith(events int) *storedRun {
	evs := make([]timeline.Event, events)
	for i := range evs {
		evs[i] = timeline.Event{At: time.Duration(i) * time.Millisecond, Lane: "a", Kind: timeline.Log, Label: "x"}
	}
	return &storedRun{Events: map[scenarios.Runtime][]timeline.Event{scenarios.Go: evs}}
}

func TestRunStoreEvictsOldestByCount(t *testing.T) {
	s := newRunStore(3, 1<<30)
	var ids []string
	for range 5 {
		ids = append(ids, s.put(runWith(1)))
	}
	for i, id := range ids {
		if got := s.get(id) != nil; got != (i >= 2) {
			t.Errorf("run %d kept = %v; want %v (only the newest 3)", i, got, i >= 2)
		}
	}
	if n, _ := s.stats(); n != 3 {
		t.Errorf("stats runs = %d; want 3", n)
	}
}

func TestRunStoreEvictsOldestByBytes(t *testing.T) {
	one := sizeOf(runWith(100))
	s := newRunStore(100, 2*one+one/2) // room for two such runs
	a, b, c := s.put(runWith(100)), s.put(runWith(100)), s.put(runWith(100))
	if s.get(a) != nil || s.get(b) == nil || s.get(c) == nil {
		t.Errorf("kept a=%v b=%v c=%v; want only b and c", s.get(a) != nil, s.get(b) != nil, s.get(c) != nil)
	}
	if _, bytes := s.stats(); bytes > 2*one+one/2 {
		t.Errorf("store holds %d bytes; cap %d", bytes, 2*one+one/2)
	}
	huge := s.put(runWith(10000))
	if s.get(huge) != nil {
		t.Error("a run larger than the whole store was kept")
	}
	if s.get(b) == nil || s.get(c) == nil {
		t.Error("storing an oversized run evicted the others")
	}
}

func TestRunStoreIDs(t *testing.T) {
	s := newRunStore(10, 1<<20)
	a, b := s.put(runWith(1)), s.put(runWith(1))
	if a == b || len(a) != 18 || strings.Trim(a, "0123456789abcdef") != "" {
		t.Errorf("ids %q and %q; want two different 18-hex-digit ids", a, b)
	}
	if s.get("nope") != nil {
		t.Error("get of an unknown id returned a run")
	}
}

// TestRunPageSaysWhatRan: a replay says when the run finished in words a
// reader takes in (with the exact instant for machines), which values it
// ran with under the lesson's labels, and its Python pane says them too.
func TestRunPageSaysWhatRan(t *testing.T) {
	s := newServer(t, nil)
	sc := s.reg.Get("semaphore")
	vals, probs := sc.Parse(url.Values{"downloads": {"2"}, "limit": {"2"}, "delays": {"0.5,1.25"}})
	if len(probs) > 0 {
		t.Fatal(probs)
	}
	r := runWith(3)
	r.Lesson, r.Scenario, r.Query = "semaphore", "semaphore", vals.Query()
	r.Status = map[scenarios.Runtime]string{scenarios.Go: "finished"}
	r.Finished = time.Date(2026, 11, 24, 4, 7, 33, 0, time.UTC)
	id := s.runs.put(r)
	rec := get(t, s, "/en/runs/"+id)
	body := rec.Body.String()
	if rec.Code != 200 {
		t.Fatalf("GET /en/runs/%s = %d", id, rec.Code)
	}
	for _, want := range []string{
		`<time datetime="2026-11-24T04:07:33Z">2026-11-24 04:07 UTC</time>`,
		`<dt>Limit</dt><dd>2</dd>`, `<dt>Delays (s)</dt><dd>0.5,1.25</dd>`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the run page lacks %s", want)
		}
	}
	if strings.Contains(body, `<dd>1</dd></div></dl>`) {
		t.Error("the run page lists the seed, though the delays were typed")
	}
	if py := paneText(t, body, "python"); !strings.Contains(py, "LIMIT = 2  #") {
		t.Errorf("the run page's Python pane does not say LIMIT = 2:\n%s", py)
	}
	// Delays drawn from a seed: the seed is listed, not the word random.
	r2 := runWith(3)
	r2.Lesson, r2.Scenario, r2.Finished = "semaphore", "semaphore", r.Finished
	r2.Query = url.Values{"downloads": {"2"}, "limit": {"2"}, "delays": {"random"}, "seed": {"7"}}
	body = get(t, s, "/en/runs/"+s.runs.put(r2)).Body.String()
	if !strings.Contains(body, `<dt>Seed</dt><dd>7</dd>`) || strings.Contains(body, `<dd>random</dd>`) {
		t.Errorf("a run with delays=random&seed=7 does not list its seed (or lists \"random\"):\n%s", body[strings.Index(body, `class="class-params`):][:400])
	}
}
