package queue

import (
	"fmt"
	"strings"
	"time"

	"github.com/asyncplay/asyncplay/scenarios/scenario"
	"github.com/asyncplay/asyncplay/scenarios/timeline"
)

// slack is how far apart two instants may be and still count as one: the
// tracer's virtual clock also counts the real time Python spends.
const slack = 20 * time.Millisecond

// check asserts what the lesson promises on either runtime: every item is
// handled exactly once, each producer's items in the order it made them; the
// queue never holds more than maxsize; a producer that had to wait finds the
// queue full again once its item is in (a place came free and it took it);
// and main ends with the last consumer.
func check(events []timeline.Event, v scenario.Values) []string {
	maxsize := v.Int("maxsize")
	var problems []string
	got := map[string]int{}
	next := map[int]int{} // producer -> the number of its item handled last
	lanes := map[string][]timeline.Event{}
	for _, e := range events {
		lanes[e.Lane] = append(lanes[e.Lane], e)
		if (e.Kind == timeline.Put || e.Kind == timeline.Get) && e.Value > maxsize {
			problems = append(problems, fmt.Sprintf("%s: the queue holds %d at %v; want at most %d", e.Lane, e.Value, e.At, maxsize))
		}
		if e.Kind != timeline.Log || !strings.HasPrefix(e.Lane, "consumer ") {
			continue
		}
		_, item, ok := strings.Cut(e.Label, ": got ")
		if !ok {
			continue
		}
		got[item]++
		var p, i int
		if _, err := fmt.Sscanf(item, "P%d-%d", &p, &i); err != nil {
			problems = append(problems, fmt.Sprintf("%s got %q, which no producer makes", e.Lane, item))
			continue
		}
		if want := next[p] + 1; i != want {
			problems = append(problems, fmt.Sprintf("%s got %s; want P%d-%d first (first in, first out)", e.Lane, item, p, want))
		}
		next[p] = i
	}
	for p := 1; p <= v.Int("producers"); p++ {
		for i := 1; i <= v.Int("items"); i++ {
			if item := fmt.Sprintf("P%d-%d", p, i); got[item] != 1 {
				problems = append(problems, fmt.Sprintf("%s was handled %d times; want once", item, got[item]))
			}
		}
		name := fmt.Sprintf("producer %d", p)
		var waitAt, wokeAt time.Duration = -1, -1
		for _, e := range lanes[name] {
			switch e.Kind {
			case timeline.Wait:
				waitAt, wokeAt = e.At, -1
			case timeline.Wake:
				wokeAt = e.At
			case timeline.Put:
				if waitAt >= 0 && wokeAt > waitAt && e.Value != maxsize {
					problems = append(problems, fmt.Sprintf("%s waited %v–%v to put, and then the queue held %d; want it full again (%d)", name, waitAt, wokeAt, e.Value, maxsize))
				}
				waitAt = -1
			}
		}
	}
	var last, mainEnd time.Duration
	for name, evs := range lanes {
		end := evs[len(evs)-1]
		if !end.Kind.Ends() {
			problems = append(problems, fmt.Sprintf("%s never ended", name))
			continue
		}
		if name == "main" {
			mainEnd = end.At
		} else {
			last = max(last, end.At)
		}
	}
	if (mainEnd - last).Abs() > slack {
		problems = append(problems, fmt.Sprintf("main ended at %v; want %v, with the last consumer", mainEnd, last))
	}
	return problems
}
