// Package queue is lesson 13's scenario: producers that outpace their
// consumers through a bounded queue, so that once it is full the producers
// wait to put (backpressure).
package queue

import (
	"context"
	"embed"
	"fmt"
	"net/url"
	"sync"
	"time"

	"github.com/asyncplay/asyncplay/scenarios/scenario"
	"github.com/asyncplay/asyncplay/scenarios/timeline"
)

//go:embed queue.go producer_consumer.py
var files embed.FS

// Producer p starts p × producerStart after the run does, consumer c
// c × consumerStart after: the 0.1 and 0.4 in producer_consumer.py. They
// start apart so that no two of them reach the queue at the same instant,
// where which goes first would be up to each runtime's scheduler.
const (
	producerStart = 100 * time.Millisecond
	consumerStart = 400 * time.Millisecond
)

// Scenario runs pipeline in Go and producer_consumer.py in CPython.
var Scenario = scenario.Scenario{
	ID: "queue",
	Params: []scenario.Param{
		{Name: "items", Kind: scenario.Int, Min: 1, Max: 50, Default: "8"},
		// asyncio.Queue(0) is unbounded, but a Go channel with no buffer
		// is a rendezvous, and Go has no unbounded channel: the page starts
		// at 1, where both mean the same, and the lesson says why.
		{Name: "maxsize", Kind: scenario.Int, Min: 1, Max: 50, Default: "2"},
		{Name: "producers", Kind: scenario.Int, Min: 1, Max: 3, Default: "1"},
		{Name: "consumers", Kind: scenario.Int, Min: 1, Max: 5, Default: "2"},
		// One number of seconds each. The list kind is the only kind with
		// fractions; a visitor who types more than one gets the first.
		{Name: "produce", Kind: scenario.Seconds, Min: 0.1, Max: 5, Default: "0.2"},
		{Name: "consume", Kind: scenario.Seconds, Min: 0.1, Max: 5, Default: "1"},
	},
	Files:  files,
	Python: "producer_consumer.py",
	PythonSet: func(v scenario.Values) map[string]any {
		return map[string]any{
			"ITEMS": v.Int("items"), "MAXSIZE": v.Int("maxsize"),
			"PRODUCERS": v.Int("producers"), "CONSUMERS": v.Int("consumers"),
			"PRODUCE": seconds(v, "produce").Seconds(), "CONSUME": seconds(v, "consume").Seconds(),
		}
	},
	GoFile:   "queue.go",
	GoShow:   "pipeline",
	QueueCap: "maxsize",
	Go: func(ctx context.Context, run *timeline.Recorder, v scenario.Values) error {
		return pipeline(ctx, run, v.Int("items"), v.Int("maxsize"), v.Int("producers"), v.Int("consumers"),
			seconds(v, "produce"), seconds(v, "consume"))
	},
	// TestNoTies holds every set to its promise: no two timers on two
	// lanes end at the same instant.
	Sets: []scenario.Set{
		{Name: "default"},
		{Name: "roomy", Query: url.Values{"maxsize": {"10"}}},
		{Name: "one-slot", Query: url.Values{"maxsize": {"1"}, "consumers": {"1"}, "items": {"5"}}},
		{Name: "slow-producer", Query: url.Values{"produce": {"0.6"}, "consume": {"0.5"}, "items": {"5"}}},
		{Name: "two-producers", Query: url.Values{"producers": {"2"}, "consumers": {"3"}, "items": {"4"}, "produce": {"0.45"}, "consume": {"1.3"}, "maxsize": {"3"}}},
	},
	Compare: scenario.Compare{
		// Every lane but main, and every kind but spawn, put and get: the
		// producers' waits on a full queue, the consumers' waits on an
		// empty one, what each consumer prints and when each one ends.
		// Puts and gets are left to TestPutsAndGets, which compares their
		// times: a put's or get's size differs on purpose
		// (a Go send to a waiting receiver skips the buffer, and a receive
		// from a full channel refills it from a waiting sender at once, so
		// Go's size never shows asyncio's brief dips; the lesson says so).
		// Main differs on purpose: it puts one None per consumer in Python
		// and closes the channel in Go, and waits on a TaskGroup or a
		// WaitGroup; check holds it to ending with the last consumer.
		Kinds: []timeline.Kind{timeline.Wait, timeline.Wake, timeline.Sleep, timeline.Log, timeline.Done},
		Lanes: func(name string) bool { return name != "main" },
		Check: check,
	},
}

// seconds is a one-number Seconds parameter: its first value, or its
// default if the field was left empty.
func seconds(v scenario.Values, name string) time.Duration {
	if d := v.Durations(name); len(d) > 0 {
		return d[0]
	}
	return defaults[name]
}

// defaults are the produce and consume parameters' defaults.
var defaults = map[string]time.Duration{"produce": 200 * time.Millisecond, "consume": time.Second}

// show pipeline
// pipeline passes items from producers to consumers through a channel that
// holds at most maxsize: a send waits while it is full, a receive while it
// is empty. Once every producer is done, main closes the channel, and each
// consumer's receive reports "closed" when nothing is left in it.
func pipeline(ctx context.Context, run *timeline.Recorder, items, maxsize, producers, consumers int, produce, consume time.Duration) error {
	main := run.Lane("main", "pipeline")
	q := make(chan string, maxsize)
	var takers, makers sync.WaitGroup
	for c := 1; c <= consumers; c++ {
		lane := run.Lane(fmt.Sprintf("consumer %d", c), "consumer")
		takers.Go(func() { consumer(ctx, lane, c, q, consume) })
	}
	for p := 1; p <= producers; p++ {
		lane := run.Lane(fmt.Sprintf("producer %d", p), "producer")
		makers.Go(func() { producer(ctx, lane, p, q, items, produce) })
	}
	main.Wait("waitgroup")
	makers.Wait() // every item is in the channel
	main.Wake()
	close(q) // no more items
	main.Wait("waitgroup")
	takers.Wait()
	main.Wake()
	main.End(ctx.Err())
	return ctx.Err()
}

// producer makes items, one every produce, and sends each into q.
func producer(ctx context.Context, pr *timeline.Lane, p int, q chan<- string, items int, produce time.Duration) {
	if err := pr.Sleep(ctx, time.Duration(p)*producerStart); err != nil { // start one after another
		pr.End(err)
		return
	}
	for i := 1; i <= items; i++ {
		if err := pr.Sleep(ctx, produce); err != nil { // make an item
			pr.End(err)
			return
		}
		pr.Wait("queue.put")
		select {
		case q <- fmt.Sprintf("P%d-%d", p, i): // waits while q is full
		case <-ctx.Done():
			pr.End(ctx.Err())
			return
		}
		pr.Wake()
		pr.Put(len(q))
	}
	pr.Done()
}

// consumer handles items from q, each for consume, until q is closed and
// empty.
func consumer(ctx context.Context, co *timeline.Lane, c int, q <-chan string, consume time.Duration) {
	if err := co.Sleep(ctx, time.Duration(c)*consumerStart); err != nil { // start one after another
		co.End(err)
		return
	}
	for {
		co.Wait("queue.get")
		item, ok := <-q // waits while q is empty
		co.Wake()
		co.Get(len(q))
		if !ok { // closed, and nothing left in it
			break
		}
		co.Log("consumer %d: got %s", c, item)
		if err := co.Sleep(ctx, consume); err != nil { // handle the item
			co.End(err)
			return
		}
	}
	co.Done()
}

// end
