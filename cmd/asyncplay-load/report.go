package main

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/asyncplay/asyncplay/cmd/internal/loadkit"
)

// raiseFileLimit lifts this process's open-file limit to its hard limit
// (Go does so at start on Linux already; this says so when it is still
// too low for need sockets).
func raiseFileLimit(need uint64) error {
	n, err := loadkit.RaiseFileLimit()
	if err != nil {
		return err
	}
	if n < need {
		return fmt.Errorf("open-file limit %d; this load needs about %d (raise ulimit -Hn)", n, need)
	}
	return nil
}

// openAll opens perRoom students in every room, 64 dials at a time;
// student i dials through clients[i/perAddr].
func (o *options) openAll(ctx context.Context, rooms []*teacher, perRoom int, clients []*http.Client) ([]*student, []error) {
	n := len(rooms) * perRoom
	out := make([]*student, n)
	errs := make([]error, n)
	sem := make(chan struct{}, 64)
	var wg sync.WaitGroup
	for i := range n {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			out[i], errs[i] = join(ctx, rooms[i/perRoom], clients[i/o.perAddr])
		})
	}
	wg.Wait()
	var ok []*student
	var failed []error
	for i := range n {
		if errs[i] != nil {
			failed = append(failed, errs[i])
		} else {
			ok = append(ok, out[i])
		}
	}
	return ok, failed
}

// reading is the server's memory and goroutines at one moment.
type reading struct {
	rssKB      int64
	goroutines float64
	hasG       bool
}

func (o *options) reading(ctx context.Context, srv *child) (reading, error) {
	var r reading
	var err error
	if r.rssKB, err = srv.rssKB(); err != nil {
		return r, err
	}
	r.goroutines, r.hasG, err = srv.goroutines(ctx)
	return r, err
}

// spread is the least, the median and the most of xs.
func spread(xs []int) string {
	if len(xs) == 0 {
		return "-"
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return fmt.Sprintf("%d / %d / %d", s[0], s[len(s)/2], s[len(s)-1])
}

// kib rounds byte counts to KiB.
func kib(xs []int) []int {
	out := make([]int, len(xs))
	for i, x := range xs {
		out[i] = (x + 512) / 1024
	}
	return out
}

func verdict(ok bool) string {
	if ok {
		return "ok"
	}
	return "MISSED"
}

func msf(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond)) }

// report prints one load's figures, each beside its target.
func (o *options) report(l load, students []*student, joinErrs []error, joined int, joinTime, runTime time.Duration, before, after reading) {
	n := l.rooms * l.students
	var all []time.Duration
	var msgs, frames []int
	var sizes []int
	var bytes int64
	bad := 0
	dropped := map[string]int{}
	nDropped := 0
	for _, s := range students {
		all = append(all, s.latency...)
		msgs = append(msgs, s.msgs)
		frames = append(frames, s.frames)
		bytes += s.bytes
		if len(sizes) == 0 {
			sizes = slices.Clone(s.sizes) // every student of a room reads the same frames
		}
		bad += s.bad
		if !s.gotLast {
			nDropped++
			dropped[closeStatus(s.err)]++
		}
	}
	lat := summarize(all)

	w := tabwriter.NewWriter(o.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(w, "figure\tmeasured\ttarget\t\n")
	fmt.Fprintf(w, "students joined\t%d of %d in %.2f s\t\t\n", joined, n, joinTime.Seconds())
	if len(joinErrs) > 0 {
		fmt.Fprintf(w, "  failed to connect\t%d, the first: %v\t\t\n", len(joinErrs), joinErrs[0])
	}
	fmt.Fprintf(w, "run, asked to last frame everywhere\t%.2f s\t\t\n", runTime.Seconds())
	fmt.Fprintf(w, "delivery latency p50\t%s\t\t\n", msf(lat.p50))
	fmt.Fprintf(w, "delivery latency p99\t%s\t<= 50 ms at 500 students\t%s\n", msf(lat.p99), verdict(lat.n > 0 && lat.p99 <= 50*time.Millisecond))
	fmt.Fprintf(w, "delivery latency max\t%s\t\t\n", msf(lat.max))
	fmt.Fprintf(w, "  run frames timed\t%d\t\t\n", lat.n)
	fmt.Fprintf(w, "messages per student (least / median / most)\t%s\t\t\n", spread(msgs))
	fmt.Fprintf(w, "  of which the run's frames\t%s\t\t\n", spread(frames))
	fmt.Fprintf(w, "  a run frame's size in room 1 (least / median / most)\t%s KiB\t\t\n", spread(kib(sizes)))
	if len(students) > 0 {
		fmt.Fprintf(w, "  bytes read per student\t%.0f KiB\t\t\n", float64(bytes)/1024/float64(len(students)))
	}
	if bad > 0 {
		fmt.Fprintf(w, "  messages that did not parse\t%d\t\t\n", bad)
	}
	fmt.Fprintf(w, "dropped (closed before the last frame)\t%d of %d\t0 for students who keep up\t%s\n", nDropped, len(students), verdict(nDropped == 0 && len(students) == n))
	var why []string
	for k, v := range dropped {
		why = append(why, fmt.Sprintf("%d %s", v, k))
	}
	sort.Strings(why)
	for _, k := range why {
		fmt.Fprintf(w, "  \t%s\t\t\n", k)
	}
	if joined > 0 {
		d := after.rssKB - before.rssKB
		fmt.Fprintf(w, "server memory per connection\t%.1f KiB\t\t\n", float64(d)/float64(joined))
		fmt.Fprintf(w, "  server RSS before / with the sockets\t%.1f / %.1f MiB\t\t\n", float64(before.rssKB)/1024, float64(after.rssKB)/1024)
		if before.hasG && after.hasG {
			fmt.Fprintf(w, "server goroutines per connection\t%.2f\t\t\n", (after.goroutines-before.goroutines)/float64(joined))
			fmt.Fprintf(w, "  go_goroutines before / with the sockets\t%.0f / %.0f\t\t\n", before.goroutines, after.goroutines)
		}
	}
	w.Flush()
	if nDropped > 0 || len(joinErrs) > 0 {
		fmt.Fprintln(o.stdout, "note: every student reads as fast as it can; a drop here is the server's (or this machine's CPUs)")
	}
}
