package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// percentile is the nearest-rank p-th percentile (0 < p <= 100) of xs, which
// it does not modify; NaN for no values.
func percentile(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	rank := int(math.Ceil(p / 100 * float64(len(s))))
	return s[min(max(rank, 1), len(s))-1]
}

// median is the middle value of xs (the mean of the middle two for an even
// count); NaN for no values.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// medianRatio is the median of ours[i]/base[i] over the rounds: each round
// measured both sides back to back, so each ratio compares like with like
// even when the machine's speed drifts between rounds.
func medianRatio(ours, base []float64) float64 {
	var r []float64
	for i := range min(len(ours), len(base)) {
		if base[i] != 0 {
			r = append(r, ours[i]/base[i])
		}
	}
	return median(r)
}

// millis turns durations into milliseconds.
func millis(ds []time.Duration) []float64 {
	out := make([]float64, len(ds))
	for i, d := range ds {
		out[i] = float64(d) / float64(time.Millisecond)
	}
	return out
}

// frameInfo is what the bench reads from one frame a run socket sends.
type frameInfo struct {
	queued   bool                       // a place-in-line frame, before the run
	now      float64                    // seconds since the run started, when the frame was drawn
	finished bool                       // the last frame
	events   map[string]int             // events in all, by runtime (last frame only)
	lanes    map[string]map[string]bool // lanes drawn, by runtime
	all      []playerEvent              // the finished run's events (last frame only)
	hasNow   bool                       // the frame carried data-now
	size     int                        // bytes
}

// playerEvent is one event as the final frame's player data lists it.
type playerEvent struct {
	T    float64 `json:"t"`
	RT   string  `json:"rt"`
	Lane string  `json:"lane"`
	Kind string  `json:"kind"`
}

var (
	attrRE   = regexp.MustCompile(`data-(now|finished|queued)="([^"]*)"`)
	eventsRE = regexp.MustCompile(`class="side" data-runtime="([a-z]+)"|data-events="([0-9]+)"`)
	playerRE = regexp.MustCompile(`(?s)<script[^>]*type="application/json"[^>]*>(.*?)</script>`)
)

var (
	classFrame = []byte(`class="frame`)
	classAttr  = []byte(`class="`)
	sideAttr   = []byte(`side" data-runtime="`)
	laneAttr   = []byte(`lane" data-lane="`)
	connsAttr  = []byte(`conns"`)
)

// parseFrame reads a frame: when it was drawn, which lanes each runtime
// has drawn, and, in the last frame, every event and their counts. It
// scans with bytes.Index rather than regular expressions over the whole
// frame: the client reads 2,000 frames a second and must not take the CPU
// the server needs.
func parseFrame(b []byte) (frameInfo, error) {
	f := frameInfo{events: map[string]int{}, lanes: map[string]map[string]bool{}, size: len(b)}
	i := bytes.Index(b, classFrame)
	if i < 0 {
		return f, fmt.Errorf("not a frame: %.80q", b)
	}
	head := b[i:]
	if j := bytes.IndexByte(head, '>'); j >= 0 {
		head = head[:j]
	}
	for _, m := range attrRE.FindAllSubmatch(head, -1) {
		switch v := string(m[2]); string(m[1]) {
		case "now":
			n, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return f, fmt.Errorf("data-now %q: %w", v, err)
			}
			f.now, f.hasNow = n, true
		case "finished":
			f.finished = v == "true"
		case "queued":
			f.queued = true
		}
	}
	rt := ""
	for rest := b; ; {
		j := bytes.Index(rest, classAttr)
		if j < 0 {
			break
		}
		rest = rest[j+len(classAttr):]
		switch {
		case bytes.HasPrefix(rest, sideAttr):
			rest = rest[len(sideAttr):]
			rt = string(rest[:max(bytes.IndexByte(rest, '"'), 0)])
		case bytes.HasPrefix(rest, laneAttr) && rt != "":
			rest = rest[len(laneAttr):]
			name := html.UnescapeString(string(rest[:max(bytes.IndexByte(rest, '"'), 0)]))
			if f.lanes[rt] == nil {
				f.lanes[rt] = map[string]bool{}
			}
			f.lanes[rt][name] = true
		case bytes.HasPrefix(rest, connsAttr):
			rt = "" // the connections view: no more sides
		}
	}
	if f.finished {
		rt := ""
		for _, m := range eventsRE.FindAllSubmatch(b, -1) {
			if len(m[1]) > 0 {
				rt = string(m[1])
			} else if rt != "" {
				f.events[rt], _ = strconv.Atoi(string(m[2]))
				rt = ""
			}
		}
		if m := playerRE.FindSubmatch(b); m != nil {
			if err := json.Unmarshal(m[1], &f.all); err != nil {
				return f, fmt.Errorf("player data: %w", err)
			}
		}
	}
	return f, nil
}

// idealSemaphore is the schedule of downloads sharing limit permits, first
// come first served: when each starts and finishes, in seconds.
func idealSemaphore(delays []float64, limit int) (start, finish []float64) {
	free := make([]float64, limit) // when each permit is next free
	for _, d := range delays {
		i := 0
		for j := range free {
			if free[j] < free[i] {
				i = j
			}
		}
		start = append(start, free[i])
		finish = append(finish, free[i]+d)
		free[i] += d
	}
	return start, finish
}

// scheduleErrors compares one runtime's events on the "download N" lanes
// with the ideal schedule: acquire and sleep belong at download N's start,
// wake and release at its finish. Times count from the runtime's first
// acquire, the schedule's zero. It returns |error| in milliseconds, one per
// event, and fails if an expected event is missing.
func scheduleErrors(evs []playerEvent, rt string, start, finish []float64) ([]float64, error) {
	type key struct {
		n    int
		kind string
	}
	seen := map[key]float64{}
	t0 := math.Inf(1)
	for _, e := range evs {
		if e.RT != rt {
			continue
		}
		ns, ok := strings.CutPrefix(e.Lane, "download ")
		if !ok {
			continue
		}
		n, err := strconv.Atoi(ns)
		if err != nil || n < 1 || n > len(start) {
			continue
		}
		k := key{n, e.Kind}
		if _, dup := seen[k]; !dup {
			seen[k] = e.T
		}
		if e.Kind == "acquire" {
			t0 = min(t0, e.T)
		}
	}
	var errs []float64
	for n := 1; n <= len(start); n++ {
		for kind, want := range map[string]float64{"acquire": start[n-1], "sleep": start[n-1], "wake": finish[n-1], "release": finish[n-1]} {
			at, ok := seen[key{n, kind}]
			if !ok {
				return nil, fmt.Errorf("%s: no %s event on download %d", rt, kind, n)
			}
			errs = append(errs, math.Abs(at-t0-want)*1000)
		}
	}
	return errs, nil
}

// received is a frame and when the client had read it.
type received struct {
	at time.Time
	f  frameInfo
}

// frameLatencies bounds how long each frame took from being drawn to being
// read. The client cannot see the server's clock, but each frame says how
// long after the run's start it was drawn (data-now): read time minus that
// is the run's start plus the frame's latency. The smallest such value over
// the run's frames stands in for the start, so lower[i] is frame i's
// latency beyond the run's fastest frame (a lower bound); the run cannot
// have started before the client asked for it, so upper[i], measured from
// the dial, is an upper bound. Both in milliseconds; base is the start
// estimate. The last frame is left out: its data-now is the end of the run,
// not when it was drawn.
func frameLatencies(frames []received, dialed time.Time) (lower, upper []float64, base time.Time) {
	first := true
	for _, r := range frames {
		if !r.f.hasNow || r.f.finished {
			continue
		}
		s := r.at.Add(-secs(r.f.now))
		if first || s.Before(base) {
			base, first = s, false
		}
	}
	for _, r := range frames {
		if !r.f.hasNow || r.f.finished {
			continue
		}
		lower = append(lower, ms(r.at.Sub(base.Add(secs(r.f.now)))))
		upper = append(upper, ms(r.at.Sub(dialed.Add(secs(r.f.now)))))
	}
	return lower, upper, base
}

// eventDelivery is, for each lane runtime rt spawned, how long after the
// spawn (base plus its time) the client read the first frame that draws
// the lane, in milliseconds. Live frames draw lanes but do not count
// events, so a lane's first appearance is what the client can see arrive.
// It is only meaningful for a runtime whose clock starts with the run (the
// Go side; CPython's starts in its own process, some way into the run).
func eventDelivery(frames []received, evs []playerEvent, rt string, base time.Time) []float64 {
	var out []float64
	for _, e := range evs {
		if e.RT != rt || e.Kind != "spawn" {
			continue
		}
		for _, r := range frames {
			if r.f.lanes[rt][e.Lane] {
				out = append(out, ms(r.at.Sub(base.Add(secs(e.T)))))
				break
			}
		}
	}
	return out
}

func secs(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }
func ms(d time.Duration) float64   { return float64(d) / float64(time.Millisecond) }
