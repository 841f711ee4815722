package cpubound

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/asyncplay/asyncplay/scenarios/scenario"
	"github.com/asyncplay/asyncplay/scenarios/timeline"
)

// phase is one way of running the jobs: main logs label when it is done,
// and its work runs on lanes named prefix ("thread: count", "thread: count
// #2", ...), at most workers at once.
type phase struct {
	label   string
	prefix  string
	workers int
}

// worker is one job's lane: where its spawn and its end are in the stream.
type worker struct {
	name       string
	spawn, end int // indexes into the events; end is -1 if it never ended
}

// check asserts what the lesson promises on each runtime. On both: every
// job runs on a lane of its own and returns the right sum; the phases come
// one after another, each logged by main once all its jobs are done; on one
// worker the jobs run one after another. On CPython, timed on the real
// clock: the processes take their jobs together, and the pool of threads
// is no faster than one thread (the GIL). The Go side runs under synctest in
// the tests, where computing takes no time, so only its structure is
// checked.
func check(events []timeline.Event, v scenario.Values) []string {
	jobs, n := v.Int("jobs"), v.Int("n")
	py := isPython(events)
	phases := []phase{{"one goroutine", "goroutine: count", 1}, {"goroutines", "goroutine: count", jobs}}
	if py {
		phases = []phase{{"one thread", "thread: count", 1}, {"threads", "thread: count", jobs}, {"processes", "process: count", jobs}}
	}
	var problems []string

	// The lanes, in the order they started, and main's logs.
	byName := map[string]*worker{}
	var order []*worker
	var logs []int
	for i, e := range events {
		switch {
		case e.Lane == "main":
			if e.Kind == timeline.Log {
				logs = append(logs, i)
			}
		case e.Kind == timeline.Spawn:
			if e.Label != "count" {
				problems = append(problems, fmt.Sprintf("lane %q runs %q; want count", e.Lane, e.Label))
			}
			w := &worker{name: e.Lane, spawn: i, end: -1}
			byName[e.Lane] = w
			order = append(order, w)
		case e.Kind.Ends():
			w := byName[e.Lane]
			if w == nil {
				continue
			}
			w.end = i
			if want := strconv.Itoa(n * (n - 1) / 2); e.Kind != timeline.Done || e.Label != want {
				problems = append(problems, fmt.Sprintf("%s ended %s %q; want done %s", e.Lane, e.Kind, e.Label, want))
			}
		}
	}
	if len(logs) != len(phases) {
		return append(problems, fmt.Sprintf("main logged %d lines; want one per way of running the jobs, %d", len(logs), len(phases)))
	}

	// Each phase's lanes, its log and its wall time.
	walls := make([]time.Duration, len(phases))
	var lanes [][]*worker
	next := 0 // index in order
	for p, ph := range phases {
		var mine []*worker
		for ; next < len(order) && len(mine) < jobs; next++ {
			if !strings.HasPrefix(order[next].name, ph.prefix) {
				problems = append(problems, fmt.Sprintf("lane %q started during %s; want %s lanes", order[next].name, ph.label, ph.prefix))
				continue
			}
			mine = append(mine, order[next])
		}
		lanes = append(lanes, mine)
		if len(mine) != jobs {
			problems = append(problems, fmt.Sprintf("%s ran %d jobs; want %d", ph.label, len(mine), jobs))
		}
		log := events[logs[p]]
		text, ok := strings.CutPrefix(log.Label, ph.label+": ")
		secs, err := strconv.ParseFloat(strings.TrimSuffix(text, " s"), 64)
		if !ok || err != nil || !strings.HasSuffix(text, " s") {
			problems = append(problems, fmt.Sprintf("main logged %q; want \"%s: <seconds> s\"", log.Label, ph.label))
		}
		walls[p] = timeline.Seconds(secs)
		for i, w := range mine {
			if w.end < 0 || w.end > logs[p] {
				problems = append(problems, fmt.Sprintf("%s (%s) had not ended when main logged %q", w.name, ph.label, log.Label))
			}
			if p > 0 && w.spawn < logs[p-1] {
				problems = append(problems, fmt.Sprintf("%s (%s) started before %s was over", w.name, ph.label, phases[p-1].label))
			}
			if ph.workers == 1 && i > 0 && (mine[i-1].end < 0 || w.spawn < mine[i-1].end) {
				problems = append(problems, fmt.Sprintf("%s started before %s ended; want one job at a time on %s", w.name, mine[i-1].name, ph.label))
			}
		}
	}
	if !py || len(problems) > 0 {
		return problems
	}

	// On CPython the processes took their jobs together (every lane
	// started before the first one ended: they were all handed over at
	// once), and the pool of threads is no faster than one thread. (Whether
	// the threads overlap depends on how soon each one starts, which a busy
	// machine delays, so it is not checked.) The margin is wide:
	// a busy machine can stretch one run and not the next, and the lesson
	// holds as long as threads are not several times faster. Whether
	// processes are faster depends on free cores the test cannot count on
	// (a shared two-core machine may give a second process nothing), so
	// their time is shown, not checked.
	if jobs < 2 {
		return problems
	}
	if !together(lanes[2]) {
		problems = append(problems, "the processes did not take their jobs together: a lane ended before the last one started")
	}
	if one, threads := walls[0], walls[1]; one >= 100*time.Millisecond && threads < one/2 {
		problems = append(problems, fmt.Sprintf("threads took %v and one thread %v; want threads about as slow: under the GIL one thread at a time runs Python", threads, one))
	}
	return problems
}

// together reports whether every lane started before the first one ended.
func together(ws []*worker) bool {
	lastSpawn, firstEnd := -1, -1
	for _, w := range ws {
		lastSpawn = max(lastSpawn, w.spawn)
		if firstEnd < 0 || w.end < firstEnd {
			firstEnd = w.end
		}
	}
	return lastSpawn < firstEnd
}

// isPython tells the runtimes apart by main's spawn: the tracer names the
// lane's function after the coroutine, main; the Go side's function is
// compare.
func isPython(events []timeline.Event) bool {
	for _, e := range events {
		if e.Lane == "main" && e.Kind == timeline.Spawn {
			return e.Label == "main"
		}
	}
	return false
}
