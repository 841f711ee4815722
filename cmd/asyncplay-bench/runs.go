package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/semaphore"

	"github.com/asyncplay/asyncplay/server/wsconn"
)

// The runs benchmark's scenario: lesson 9's semaphore with fixed delays,
// so its ideal schedule is known and has no ties.
var (
	runDelays = []float64{0.35, 0.6, 0.45, 0.8, 0.25, 0.5}
	runLimit  = 2
)

func runQuery() string {
	ds := make([]string, len(runDelays))
	for i, d := range runDelays {
		ds[i] = strconv.FormatFloat(d, 'f', -1, 64)
	}
	return fmt.Sprintf("downloads=%d&limit=%d&delays=%s", len(runDelays), runLimit, strings.Join(ds, ","))
}

// runResult is one run socket as the client saw it.
type runResult struct {
	dialed time.Time
	frames []received
	final  frameInfo
	err    error
}

// runMany opens n run sockets at once on url and reads each to its end.
func runMany(ctx context.Context, url string, n int) []runResult {
	out := make([]runResult, n)
	var wg sync.WaitGroup
	for i := range out {
		wg.Go(func() { out[i] = runOne(ctx, url) })
	}
	wg.Wait()
	return out
}

func runOne(ctx context.Context, url string) runResult {
	var r runResult
	r.dialed = time.Now()
	// Generous: 200 CPython processes starting at once leave the server
	// little CPU for handshakes on 2 cores.
	dctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	c, _, err := wsconn.Dial(dctx, url, nil, nil)
	cancel()
	if err != nil {
		r.err = fmt.Errorf("dial: %w", err)
		return r
	}
	defer c.CloseNow()
	c.SetReadLimit(16 << 20)
	// The read loop only reads and stamps: parsing 200 sockets' frames as
	// they come would take the client's share of the two cores and delay
	// its own reads, which would then count against the server.
	type raw struct {
		at time.Time
		b  []byte
	}
	var got []raw
	for {
		b, err := c.Read(ctx)
		at := time.Now()
		if err != nil {
			if wsconn.CloseStatus(err) != wsconn.StatusNormalClosure {
				r.err = fmt.Errorf("read: %w", err)
			}
			break
		}
		got = append(got, raw{at, b})
	}
	for _, g := range got {
		f, err := parseFrame(g.b)
		if err != nil {
			r.err = err
			return r
		}
		if f.queued {
			continue
		}
		r.frames = append(r.frames, received{at: g.at, f: f})
		if f.finished {
			r.final = f
		}
	}
	if r.err == nil && !r.final.finished {
		r.err = fmt.Errorf("the run ended without a last frame")
	}
	return r
}

// runFigures are one round's figures for one side, in milliseconds.
type runFigures struct {
	failed      int
	schedErr    map[string][]float64 // by runtime
	frameLower  []float64
	frameUpper  []float64
	goDelivery  []float64
	frameBytes  []float64
	firstFailed error
}

func summarize(rs []runResult) runFigures {
	fig := runFigures{schedErr: map[string][]float64{}}
	start, finish := idealSemaphore(runDelays, runLimit)
	for _, r := range rs {
		if r.err != nil {
			fig.failed++
			if fig.firstFailed == nil {
				fig.firstFailed = r.err
			}
			continue
		}
		for _, rt := range []string{"go", "python"} {
			if errs, err := scheduleErrors(r.final.all, rt, start, finish); err == nil {
				fig.schedErr[rt] = append(fig.schedErr[rt], errs...)
			}
		}
		lower, upper, base := frameLatencies(r.frames, r.dialed)
		fig.frameLower = append(fig.frameLower, lower...)
		fig.frameUpper = append(fig.frameUpper, upper...)
		fig.goDelivery = append(fig.goDelivery, eventDelivery(r.frames, r.final.all, "go", base)...)
		for _, f := range r.frames {
			if !f.f.finished {
				fig.frameBytes = append(fig.frameBytes, float64(f.f.size))
			}
		}
	}
	return fig
}

// rawRuns is the runs baseline: each WebSocket runs the same schedule on
// bare goroutines (x/sync/semaphore and time.Sleep, times taken with
// time.Since), sends a frame of pad bytes every 100 ms with the count of
// events so far, and a last frame with every event, in the same markup the
// bench reads from asyncplay.
func rawRuns(w http.ResponseWriter, r *http.Request) {
	c, err := wsconn.Accept(w, r)
	if err != nil {
		return
	}
	defer c.CloseNow()
	ctx := c.CloseRead(r.Context())
	pad, _ := strconv.Atoi(r.URL.Query().Get("pad"))
	start := time.Now()
	var mu sync.Mutex
	var evs []playerEvent
	note := func(lane, kind string) {
		t := time.Since(start).Seconds()
		mu.Lock()
		evs = append(evs, playerEvent{T: t, RT: "go", Lane: lane, Kind: kind})
		mu.Unlock()
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		sem := semaphore.NewWeighted(int64(runLimit))
		var wg sync.WaitGroup
		for i, d := range runDelays {
			lane := fmt.Sprintf("download %d", i+1)
			if err := sem.Acquire(ctx, 1); err != nil {
				break
			}
			note(lane, "spawn")
			note(lane, "acquire")
			wg.Go(func() {
				defer sem.Release(1)
				note(lane, "sleep")
				select {
				case <-time.After(secs(d)):
				case <-ctx.Done():
				}
				note(lane, "wake")
				note(lane, "release")
			})
		}
		wg.Wait()
	}()
	frame := func(final bool) []byte {
		mu.Lock()
		n := len(evs)
		var lanes []string
		for _, e := range evs {
			if e.Kind == "spawn" {
				lanes = append(lanes, e.Lane)
			}
		}
		var js []byte
		if final {
			js, _ = json.Marshal(evs)
		}
		mu.Unlock()
		var b bytes.Buffer
		fmt.Fprintf(&b, `<div class="frame" data-finished="%v" data-now="%.3f"><section class="side" data-runtime="go">`, final, time.Since(start).Seconds())
		for _, l := range lanes {
			fmt.Fprintf(&b, `<g class="lane" data-lane="%s"></g>`, l)
		}
		fmt.Fprintf(&b, `<dd data-events="%d"></dd></section>`, n)
		if final {
			fmt.Fprintf(&b, `<script type="application/json">%s</script>`, js)
		}
		if b.Len() < pad {
			b.WriteString(`<p hidden>`)
			b.Write(bytes.Repeat([]byte("x"), pad-b.Len()))
			b.WriteString(`</p>`)
		}
		b.WriteString(`</div>`)
		return b.Bytes()
	}
	send := func(b []byte) error {
		wctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return c.Write(wctx, b)
	}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-done:
			if send(frame(true)) == nil {
				c.Close(wsconn.StatusNormalClosure, "run finished")
			}
			return
		case <-ctx.Done():
			<-done
			return
		case <-tick.C:
			if send(frame(false)) != nil {
				<-done
				return
			}
		}
	}
}

func websocketDial(ctx context.Context, url string) (*wsconn.Conn, *http.Response, error) {
	dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	return wsconn.Dial(dctx, url, nil, nil)
}
