// Command asyncplay-bench measures asyncplay against baselines on this
// machine and prints each figure beside its target.
//
//	go run ./cmd/asyncplay-bench [-only page,runs,idle] [-rounds 3]
//
// It builds the server once (go build ./cmd/asyncplay into a temporary
// folder), starts it as a child process on 127.0.0.1, and loads it from this
// process over loopback. Every benchmark runs asyncplay and a baseline
// alternately, round after round, and reports the median ratio, because
// absolute figures on a shared 2-core machine swing 20-40% between runs:
//
//   - page: the lesson page (full middleware, page cache) against the same
//     bytes as a static blob from the same server (/bench/blob, which
//     exists only when ASYNCPLAY_BENCH_BLOB names a file), 64 connections;
//     and the page's weight with its stylesheets and scripts.
//   - runs: 200 run sockets at once on the semaphore scenario with fixed
//     delays, against a bare WebSocket server (the library's own Accept,
//     through server/wsconn) running the same schedule on bare goroutines:
//     event times against the ideal schedule, and how long frames take to
//     arrive. Once with the Go side only (the server started without
//     Python), then with both runtimes (a CPython process per run; -python
//     off skips this).
//   - idle: 5,000 idle WebSockets (by default run sockets waiting in line
//     behind one long run; -idle-path points elsewhere, e.g. a classroom
//     socket) against a bare WebSocket server: memory and goroutines per
//     connection, and what is left after they close.
//
// The baselines are this command run again as "asyncplay-bench raw".
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/asyncplay/asyncplay/cmd/internal/loadkit"
	"github.com/asyncplay/asyncplay/server/wsconn"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout)
	stop()
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "asyncplay-bench:", err)
		os.Exit(1)
	}
}

// options are the bench's flags.
type options struct {
	only                map[string]bool
	rounds              int
	conns               int
	warm, dur           time.Duration
	runs                int
	idle                int
	idlePath, idleHold  string
	server, dir, python string
	lessonPath          string
	stdout              io.Writer
	tmp                 string
	figures             []figure
	rawBin              string
	rawArgs             []string
}

// figure is one line of the report.
type figure struct {
	what, value, target, verdict string
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) > 0 && args[0] == "raw" {
		return serveRaw(ctx, stdout)
	}
	fs := flag.NewFlagSet("asyncplay-bench", flag.ContinueOnError)
	only := fs.String("only", "page,runs,idle", "which benchmarks to run, comma-separated")
	o := &options{stdout: stdout}
	fs.IntVar(&o.rounds, "rounds", 3, "rounds of asyncplay and baseline, alternately (at least 3 for a median)")
	fs.IntVar(&o.conns, "conns", 64, "page: keep-alive connections")
	fs.DurationVar(&o.warm, "warm", 500*time.Millisecond, "page: warm-up before each measured interval")
	fs.DurationVar(&o.dur, "duration", 3*time.Second, "page: each measured interval")
	fs.IntVar(&o.runs, "runs", 200, "runs: run sockets at once")
	fs.IntVar(&o.idle, "idle", 5000, "idle: idle WebSockets")
	fs.StringVar(&o.idlePath, "idle-path", "/ws/run/en/semaphore/semaphore?downloads=1&limit=1&delays=0.1", "idle: the WebSocket to open idle (a run socket waits in line behind -idle-hold)")
	fs.StringVar(&o.idleHold, "idle-hold", "/ws/run/en/semaphore/semaphore?downloads=6&limit=1&delays=10,10,10,10,10,10", "idle: a run that holds the only run slot while the idle sockets wait (empty: none)")
	fs.StringVar(&o.lessonPath, "page", "/en/lessons/semaphore", "page: the page to load")
	fs.StringVar(&o.server, "server", "", "an asyncplay binary to run (default: go build ./cmd/asyncplay in -dir)")
	fs.StringVar(&o.dir, "dir", ".", "the module to build the server from")
	fs.StringVar(&o.python, "python", "", `python3 for the server's Python side (default: the server's own choice; "off": runs measure the Go side only)`)
	if err := fs.Parse(args); err != nil {
		return err
	}
	o.only = map[string]bool{}
	for _, b := range strings.Split(*only, ",") {
		o.only[strings.TrimSpace(b)] = true
	}
	if o.rounds < 1 {
		return fmt.Errorf("-rounds %d: want at least 1", o.rounds)
	}
	files, err := loadkit.RaiseFileLimit()
	if err != nil {
		return fmt.Errorf("raise the open-file limit: %w", err)
	}
	if need := uint64(2*o.idle + 1000); o.only["idle"] && files < need {
		return fmt.Errorf("open-file limit %d; -idle %d needs about %d (ulimit -Hn)", files, o.idle, need)
	}
	if o.tmp, err = os.MkdirTemp("", "asyncplay-bench-"); err != nil {
		return err
	}
	defer os.RemoveAll(o.tmp)
	if o.server == "" {
		fmt.Fprintf(stdout, "building ./cmd/asyncplay in %s ...\n", o.dir)
		if o.server, err = loadkit.BuildServer(ctx, o.dir, o.tmp); err != nil {
			return err
		}
	}
	if o.rawBin, err = os.Executable(); err != nil {
		return err
	}
	o.rawArgs = []string{"raw"}
	fmt.Fprintf(stdout, "asyncplay-bench %s: %d cores (%s/%s), %s, open-file limit %d, %d rounds\n",
		time.Now().Format("2006-01-02"), runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, runtime.Version(), files, o.rounds)
	for _, b := range []struct {
		name string
		fn   func(context.Context, *options) error
	}{{"page", benchPage}, {"runs", benchRuns}, {"idle", benchIdle}} {
		if !o.only[b.name] {
			continue
		}
		t0 := time.Now()
		if err := b.fn(ctx, o); err != nil {
			return fmt.Errorf("%s: %w", b.name, err)
		}
		fmt.Fprintf(stdout, "(%s took %.0f s)\n", b.name, time.Since(t0).Seconds())
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "\nwhat\tfigure\ttarget\t")
	for _, f := range o.figures {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", f.what, f.value, f.target, f.verdict)
	}
	return tw.Flush()
}

func (o *options) add(what, value, target string, ok *bool) {
	v := ""
	if ok != nil {
		v = "ok"
		if !*ok {
			v = "MISSES"
		}
	}
	o.figures = append(o.figures, figure{what, value, target, v})
}

func is(b bool) *bool { return &b }

// startServer starts asyncplay with extra flags and environment.
func (o *options) startServer(ctx context.Context, env []string, flags ...string) (*child, error) {
	args := append([]string{"serve", "--addr", "127.0.0.1:0"}, flags...)
	if o.python != "" && o.python != "off" {
		args = append(args, "--python", o.python)
	}
	return startChild(ctx, "asyncplay", o.tmp, o.server, args, env)
}

func (o *options) startRaw(ctx context.Context, env ...string) (*child, error) {
	return startChild(ctx, "raw", o.tmp, o.rawBin, o.rawArgs, env)
}

// serveRaw is the baselines' server: a bare WebSocket server on
// 127.0.0.1 with an idle endpoint (/ws), a runs endpoint (/run) and its
// goroutine count (/goroutines), until SIGTERM.
func serveRaw(ctx context.Context, stdout io.Writer) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "raw listening on http://%s/\n", ln.Addr())
	mux, err := rawIdleMux()
	if err != nil {
		return err
	}
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		hs.Close()
	}()
	if err := hs.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func benchPage(ctx context.Context, o *options) error {
	// The blob is the page's own bytes, from a first server.
	first, err := o.startServer(ctx, nil)
	if err != nil {
		return err
	}
	page, _, err := fetch(ctx, first.addr, o.lessonPath, false)
	first.stop()
	if err != nil {
		return err
	}
	blobFile := filepath.Join(o.tmp, "page.html")
	if err := os.WriteFile(blobFile, page, 0o644); err != nil {
		return err
	}
	srv, err := o.startServer(ctx, []string{"ASYNCPLAY_BENCH_BLOB=" + blobFile}, "--rate-limit", "1e9")
	if err != nil {
		return err
	}
	defer srv.stop()
	if blob, _, err := fetch(ctx, srv.addr, "/bench/blob", false); err != nil || string(blob) != string(page) {
		return fmt.Errorf("/bench/blob is not the page (%v)", err)
	}
	gz, plain, files, err := pageWeight(ctx, srv.addr, o.lessonPath)
	if err != nil {
		return err
	}
	// The bare baseline: the same bytes from bare net/http in another
	// process, which shows what this machine allows at all.
	raw, err := o.startRaw(ctx, "ASYNCPLAY_BENCH_BLOB="+blobFile)
	if err != nil {
		return err
	}
	defer raw.stop()
	if blob, _, err := fetch(ctx, raw.addr, "/blob", false); err != nil || string(blob) != string(page) {
		return fmt.Errorf("the bare server's /blob is not the page (%v)", err)
	}
	targets := []struct{ addr, path string }{{srv.addr, o.lessonPath}, {srv.addr, "/bench/blob"}, {raw.addr, "/blob"}}
	for _, gzip := range []bool{false, true} {
		enc := "identity"
		if gzip {
			enc = "gzip"
		}
		var rate, p99 [3][]float64 // page, blob, bare
		for i := range o.rounds {
			var res [3]loadResult
			for k := range 3 { // each round starts with the next one
				j := (i + k) % 3
				r, err := load(ctx, targets[j].addr, targets[j].path, gzip, o.conns, o.warm, o.dur)
				if err != nil {
					return err
				}
				if r.errors > 0 {
					return fmt.Errorf("%d requests for %s were not 200", r.errors, targets[j].path)
				}
				res[j] = r
			}
			for j, r := range res {
				rate[j] = append(rate[j], r.perSecond())
				p99[j] = append(p99[j], percentile(millis(r.lat), 99))
			}
			fmt.Fprintf(o.stdout, "page %s round %d: page %.0f req/s p99 %.2f ms, blob %.0f req/s p99 %.2f ms, bare net/http %.0f req/s p99 %.2f ms\n",
				enc, i+1, rate[0][i], p99[0][i], rate[1][i], p99[1][i], rate[2][i], p99[2][i])
		}
		ratio := medianRatio(rate[0], rate[1])
		o.add(fmt.Sprintf("page %s: req/s vs the same bytes as a static blob, %d connections", enc, o.conns),
			fmt.Sprintf("%.2fx (%.0f vs %.0f req/s; bare net/http %.0f)", ratio, median(rate[0]), median(rate[1]), median(rate[2])), ">= 0.8x", is(ratio >= 0.8))
		p := median(p99[0])
		o.add(fmt.Sprintf("page %s: p99 latency at %d connections, each sending as soon as answered (blob %.2f ms, bare net/http %.2f ms)", enc, o.conns, median(p99[1]), median(p99[2])),
			fmt.Sprintf("%.2f ms", p), "<= 5 ms", is(p <= 5))

		// The same connections at half the rate the blob reached: the
		// latency of a server with room to spare, not of the queue a
		// closed loop builds at its limit.
		offered := median(rate[1]) / 2
		var open [3][]float64
		for i := range o.rounds {
			for k := range 3 {
				j := (i + k) % 3
				r, err := loadAt(ctx, targets[j].addr, targets[j].path, gzip, o.conns, offered, o.warm, o.dur)
				if err != nil {
					return err
				}
				if r.errors > 0 {
					return fmt.Errorf("%d requests for %s were not 200", r.errors, targets[j].path)
				}
				open[j] = append(open[j], percentile(millis(r.lat), 99))
			}
			fmt.Fprintf(o.stdout, "page %s round %d at %.0f req/s offered: p99 page %.2f ms, blob %.2f ms, bare net/http %.2f ms\n",
				enc, i+1, offered, open[0][i], open[1][i], open[2][i])
		}
		p = median(open[0])
		o.add(fmt.Sprintf("page %s: p99 latency at %d connections, %.0f req/s offered (half the blob's rate; blob %.2f ms, bare net/http %.2f ms)", enc, o.conns, offered, median(open[1]), median(open[2])),
			fmt.Sprintf("%.2f ms", p), "<= 5 ms", is(p <= 5))
	}
	o.add(fmt.Sprintf("page weight, page + %d stylesheets and scripts, gzip", files-1),
		fmt.Sprintf("%.1f KB (%.1f KB uncompressed)", float64(gz)/1000, float64(plain)/1000), "<= 60 KB", is(gz <= 60000))
	return nil
}

// benchRuns runs the runs benchmark twice: with the Go side only (the
// server started without Python), which measures the server itself, and
// with both runtimes, where every run also starts a CPython process.
func benchRuns(ctx context.Context, o *options) error {
	if err := o.runsWith(ctx, false); err != nil {
		return err
	}
	if o.python == "off" {
		return nil
	}
	return o.runsWith(ctx, true)
}

func (o *options) runsWith(ctx context.Context, python bool) error {
	n := fmt.Sprint(o.runs)
	flags := []string{"--max-runs", n, "--max-runs-per-client", n,
		"--max-sockets-per-client", fmt.Sprint(o.runs + 10), "--rate-limit", "1e9"}
	label := "Go side only"
	if python {
		label = "both runtimes, a CPython process per run"
	} else {
		// No interpreter there: the server runs the Go side only.
		flags = append(flags, "--python", filepath.Join(o.tmp, "no-python3"))
	}
	saved := o.python
	if !python || o.python == "off" {
		o.python = ""
	}
	srv, err := o.startServer(ctx, nil, flags...)
	o.python = saved
	if err != nil {
		return err
	}
	defer srv.stop()
	raw, err := o.startRaw(ctx)
	if err != nil {
		return err
	}
	defer raw.stop()
	ours := "ws://" + srv.addr + "/ws/run/en/semaphore/semaphore?" + runQuery()
	var (
		goErr, pyErr, lower, upper, deliv, frameKB, wall []float64
		rawErr, rawLower, rawUpper, rawDeliv, ratios     []float64
		failed                                           int
	)
	for i := range o.rounds {
		rctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
		t0 := time.Now()
		fig := summarize(runMany(rctx, ours, o.runs))
		wall = append(wall, time.Since(t0).Seconds())
		pad := int(median(fig.frameBytes))
		base := summarize(runMany(rctx, "ws://"+raw.addr+fmt.Sprintf("/run?pad=%d", pad), o.runs))
		cancel()
		if fig.failed > o.runs/2 || base.failed > 0 {
			return fmt.Errorf("round %d: %d of our runs and %d baseline runs failed; first: %v %v", i+1, fig.failed, base.failed, fig.firstFailed, base.firstFailed)
		}
		if fig.failed > 0 {
			fmt.Fprintf(o.stdout, "runs round %d: %d of %d runs failed (figures from the rest); the first: %v\n", i+1, fig.failed, o.runs, fig.firstFailed)
		}
		failed += fig.failed
		goErr = append(goErr, percentile(fig.schedErr["go"], 99))
		pyErr = append(pyErr, percentile(fig.schedErr["python"], 99))
		lower = append(lower, percentile(fig.frameLower, 99))
		upper = append(upper, percentile(fig.frameUpper, 99))
		deliv = append(deliv, percentile(fig.goDelivery, 99))
		frameKB = append(frameKB, float64(pad)/1000)
		rawErr = append(rawErr, percentile(base.schedErr["go"], 99))
		rawLower = append(rawLower, percentile(base.frameLower, 99))
		rawUpper = append(rawUpper, percentile(base.frameUpper, 99))
		rawDeliv = append(rawDeliv, percentile(base.goDelivery, 99))
		ratios = append(ratios, goErr[i]/rawErr[i])
		fmt.Fprintf(o.stdout, "runs (%s) round %d: all %d done in %.1f s; p99 event error Go %.2f ms, CPython %.2f ms (bare %.2f ms); frame latency p99 %.2f-%.2f ms (bare %.2f-%.2f); Go lane to client p99 %.1f ms (bare %.1f); frames %.1f KB\n",
			label, i+1, o.runs, wall[i], goErr[i], pyErr[i], rawErr[i], lower[i], upper[i], rawLower[i], rawUpper[i], deliv[i], rawDeliv[i], frameKB[i])
	}
	what := fmt.Sprintf("%d runs at once (%s)", o.runs, label)
	if failed > 0 {
		what += fmt.Sprintf(", %d runs failed", failed)
	}
	o.add(what+": all done in (ideal 1.55 s plus start-up)", fmt.Sprintf("%.1f s", median(wall)), "", nil)
	o.add(what+": p99 |event time - ideal schedule|, Go side",
		fmt.Sprintf("%.2f ms (bare goroutines %.2f ms, %.1fx)", median(goErr), median(rawErr), median(ratios)), "<= 5 ms", is(median(goErr) <= 5))
	if python {
		o.add(what+": p99 |event time - ideal schedule|, CPython side", fmt.Sprintf("%.2f ms", median(pyErr)), "<= 5 ms", is(median(pyErr) <= 5))
	}
	o.add(what+": frame latency, drawn to read, p99",
		fmt.Sprintf("%.2f-%.2f ms (bare %.2f-%.2f ms)", median(lower), median(upper), median(rawLower), median(rawUpper)), "<= 20 ms", is(median(lower) <= 20))
	o.add(what+": Go lane, spawned to drawn at the client, p99",
		fmt.Sprintf("%.1f ms (bare %.1f ms)", median(deliv), median(rawDeliv)), "n/a: 100 ms frames", nil)
	return nil
}

func benchIdle(ctx context.Context, o *options) error {
	var ours, bare []idleFigures
	for i := range o.rounds {
		var of, bf idleFigures
		var oerr, berr error
		if i%2 == 0 {
			of, oerr = o.idleOurs(ctx)
			bf, berr = o.idleRaw(ctx)
		} else {
			bf, berr = o.idleRaw(ctx)
			of, oerr = o.idleOurs(ctx)
		}
		if err := errors.Join(oerr, berr); err != nil {
			return err
		}
		ours, bare = append(ours, of), append(bare, bf)
		fmt.Fprintf(o.stdout, "idle round %d: asyncplay %.1f KB and %.2f goroutines per socket (RSS %d -> %d -> %d kB, goroutines %.0f -> %.0f -> %.0f, %d sockets in %.1f s, %.2f cores while idle); bare %.1f KB, %.2f goroutines (RSS %d -> %d -> %d kB, %.2f cores)\n",
			i+1, of.kbPerConn(), of.goroutinesPerConn(), of.rssBeforeKB, of.rssOpenKB, of.rssClosedKB, of.gorBefore, of.gorOpen, of.gorClosed, of.conns, of.connectSeconds, of.idleCPU,
			bf.kbPerConn(), bf.goroutinesPerConn(), bf.rssBeforeKB, bf.rssOpenKB, bf.rssClosedKB, bf.idleCPU)
	}
	col := func(fs []idleFigures, f func(idleFigures) float64) []float64 {
		var out []float64
		for _, x := range fs {
			out = append(out, f(x))
		}
		return out
	}
	kb, bareKB := col(ours, idleFigures.kbPerConn), col(bare, idleFigures.kbPerConn)
	gor := col(ours, idleFigures.goroutinesPerConn)
	left := col(ours, func(f idleFigures) float64 { return f.gorClosed - f.gorBefore })
	ratio := medianRatio(kb, bareKB)
	what := fmt.Sprintf("%d idle WebSockets (%s)", o.idle, strings.SplitN(o.idlePath, "?", 2)[0])
	o.add(what+": RSS per socket vs a bare "+wsconn.Library+" server",
		fmt.Sprintf("%.2fx (%.1f vs %.1f KB)", ratio, median(kb), median(bareKB)), "<= 1.5x", is(ratio <= 1.5))
	o.add(what+": RSS per socket", fmt.Sprintf("%.1f KB", median(kb)), "<= 50 KB", is(median(kb) <= 50))
	o.add(what+": goroutines per socket (go_goroutines on /metrics)", fmt.Sprintf("%.2f (bare %.2f)", median(gor), median(col(bare, idleFigures.goroutinesPerConn))), "<= 2", is(median(gor) <= 2.05))
	o.add(what+": server CPU while they sit idle", fmt.Sprintf("%.2f cores (bare %.2f)", median(col(ours, func(f idleFigures) float64 { return f.idleCPU })), median(col(bare, func(f idleFigures) float64 { return f.idleCPU }))), "", nil)
	o.add(what+": goroutines left after closing all", fmt.Sprintf("%.0f (worst round)", slices.Max(left)), "all reclaimed", is(slices.Max(left) <= 2))
	return nil
}

func (o *options) idleOurs(ctx context.Context) (idleFigures, error) {
	srv, err := o.startServer(ctx, nil, "--max-runs", "1", "--max-runs-per-client", "1",
		"--max-sockets-per-client", fmt.Sprint(o.idle+10), "--rate-limit", "1e9")
	if err != nil {
		return idleFigures{}, err
	}
	defer srv.stop()
	if o.idleHold != "" {
		hctx, cancel := context.WithCancel(ctx)
		defer cancel()
		started := make(chan struct{})
		go holdRun(hctx, "ws://"+srv.addr+o.idleHold, started)
		select {
		case <-started:
		case <-time.After(30 * time.Second):
			return idleFigures{}, errors.New("the holding run did not start within 30 s")
		}
	}
	return measureIdle(ctx, srv, o.idlePath, o.idle)
}

func (o *options) idleRaw(ctx context.Context) (idleFigures, error) {
	raw, err := o.startRaw(ctx)
	if err != nil {
		return idleFigures{}, err
	}
	defer raw.stop()
	return measureIdle(ctx, raw, "/ws", o.idle)
}

// holdRun keeps a run going on url, closing started once its first frame
// of the run (not of the line) arrives.
func holdRun(ctx context.Context, url string, started chan<- struct{}) {
	c, _, err := websocketDial(ctx, url)
	if err != nil {
		return
	}
	defer c.CloseNow()
	c.SetReadLimit(16 << 20)
	once := false
	for {
		b, err := c.Read(ctx)
		if err != nil {
			return
		}
		if f, err := parseFrame(b); err == nil && !f.queued && !once {
			close(started)
			once = true
		}
	}
}
