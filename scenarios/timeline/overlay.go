package timeline

import (
	"sort"
	"time"
)

// Span is a stretch of time during which a count stayed the same.
type Span struct {
	Start, End time.Duration
	N          int
}

// HeldSteps is the number of permits or locks held over time, from the
// view's holds (what the "permits in use" overlay draws).
func (v View) HeldSteps() []Span {
	type edge struct {
		at time.Duration
		d  int
		i  int
	}
	var edges []edge
	for i, h := range v.Holds {
		edges = append(edges, edge{h.Start, +1, 2 * i}, edge{h.End, -1, 2*i + 1})
	}
	// At one instant, releases come before acquires, as they happened.
	sort.SliceStable(edges, func(i, j int) bool {
		if edges[i].at != edges[j].at {
			return edges[i].at < edges[j].at
		}
		return edges[i].d < edges[j].d
	})
	return steps(len(edges), v.Now, func(i int) (time.Duration, int, bool) {
		return edges[i].at, edges[i].d, true
	})
}

// QueueSteps is a queue's size over time, from the values of put and get
// events (what the "queue depth" overlay draws).
func (v View) QueueSteps() []Span {
	var marks []Event
	for _, l := range v.Lanes {
		for _, m := range l.Marks {
			if m.Kind == Put || m.Kind == Get {
				marks = append(marks, m)
			}
		}
	}
	sort.SliceStable(marks, func(i, j int) bool { return marks[i].At < marks[j].At })
	var out []Span
	for i, m := range marks {
		end := v.Now
		if i+1 < len(marks) {
			end = marks[i+1].At
		}
		if end > m.At {
			out = append(out, Span{Start: m.At, End: end, N: m.Value})
		}
	}
	return out
}

// steps turns +1/-1 edges into constant stretches up to now, merging
// neighbours with the same count.
func steps(n int, now time.Duration, edge func(i int) (time.Duration, int, bool)) []Span {
	var out []Span
	add := func(s Span) {
		if k := len(out) - 1; k >= 0 && out[k].N == s.N && out[k].End == s.Start {
			out[k].End = s.End
			return
		}
		out = append(out, s)
	}
	count := 0
	var since time.Duration
	for i := range n {
		at, d, _ := edge(i)
		if at > since && count > 0 {
			add(Span{Start: since, End: at, N: count})
		}
		if at > since {
			since = at
		}
		count += d
	}
	if count > 0 && now > since {
		add(Span{Start: since, End: now, N: count})
	}
	return out
}

// MaxN is the largest count in steps.
func MaxN(steps []Span) int {
	m := 0
	for _, s := range steps {
		m = max(m, s.N)
	}
	return m
}

// Instants returns every mark of the given kinds, across lanes, in time order.
func (v View) Instants(kinds ...Kind) []Event {
	want := map[Kind]bool{}
	for _, k := range kinds {
		want[k] = true
	}
	var out []Event
	for _, l := range v.Lanes {
		for _, m := range l.Marks {
			if want[m.Kind] {
				out = append(out, m)
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].At < out[j].At })
	return out
}
