package server

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/asyncplay/asyncplay/lessons"
	"github.com/asyncplay/asyncplay/scenarios"
	"github.com/asyncplay/asyncplay/scenarios/scenario"
	"github.com/asyncplay/asyncplay/scenarios/timeline"
	"github.com/asyncplay/asyncplay/static"
)

// panickingWorker is the worker argument that makes this test binary a Go
// worker whose semaphore scenario panics on a goroutine it starts.
const panickingWorker = "panicking-go-worker"

// panickingRegistry is the shipped registry with semaphore's Go side
// replaced by one that logs, then panics on a goroutine it started.
func panickingRegistry() *scenarios.Registry {
	var list []*scenario.Scenario
	for _, s := range scenarios.Default().All() {
		if s.ID == "semaphore" {
			c := *s
			c.Go = func(ctx context.Context, run *timeline.Recorder, v scenario.Values) error {
				main := run.Lane("main", "main")
				main.Log("before the panic")
				var wg sync.WaitGroup
				wg.Go(func() { panic("boom on a goroutine the scenario started") })
				wg.Wait()
				main.Done()
				return nil
			}
			s = &c
		}
		list = append(list, s)
	}
	r, err := scenarios.New(list...)
	if err != nil {
		panic(err)
	}
	return r
}

// newWorkerServer builds a server without Python whose Go sides run in
// workers: this test binary, started with arg (see TestMain).
func newWorkerServer(t *testing.T, arg string) *Server {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Config{Logger: quietLogger(), Lessons: lessons.Embedded(), Static: static.FS(),
		NoPython: errors.New("no python3 in this test"), GoWorker: []string{exe, arg}})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

// getStatus sends a GET through the real listener.
func getStatus(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestGoPanicOnGoroutineEndsOnlyItsRun: a panic on a goroutine the Go code
// started (which no recover in the server could catch) ends that run with
// an error the visitor sees in the final frame, and the server goes on.
func TestGoPanicOnGoroutineEndsOnlyItsRun(t *testing.T) {
	s := newWorkerServer(t, panickingWorker)
	ts := httptest.NewServer(s)
	defer ts.Close()
	c := dial(t, ts.URL, "/ws/run/en/semaphore/semaphore?downloads=2&limit=1&delays=0.1,0.1")
	defer c.CloseNow()
	frames, status := readAll(t, c, 20*time.Second)
	if status != websocket.StatusNormalClosure || len(frames) == 0 {
		t.Fatalf("closed with %v after %d frames; want a normal closure", status, len(frames))
	}
	last := frames[len(frames)-1]
	if !strings.Contains(last, `data-finished="true"`) {
		t.Fatalf("last frame is not final:\n%s", last)
	}
	g := section(last, "go")
	if !strings.Contains(g, `data-status="failed"`) || !strings.Contains(g, `class="run-error side-error"`) || !strings.Contains(g, "The Go code panicked: boom on a goroutine the scenario started<") {
		t.Errorf("Go section does not show the panic as an error:\n%s", g)
	}
	if !strings.Contains(g, `<g class="lane"`) {
		t.Errorf("Go section lost the events from before the panic:\n%s", g)
	}
	if internals.MatchString(g) {
		t.Errorf("Go section shows a stack trace:\n%s", g)
	}
	for _, path := range []string{"/healthz", "/en/"} {
		if code, _ := getStatus(t, ts.URL+path); code != http.StatusOK {
			t.Errorf("GET %s after the panic = %d; want 200", path, code)
		}
	}
	waitNoChildren(t)
	if _, body := getStatus(t, ts.URL+"/metrics"); !strings.Contains(body, "\nasyncplay_go_workers 0\n") {
		t.Errorf("metrics after the run do not say 0 Go workers:\n%s", body)
	}
}

// TestRunSocketGoWorker: a run whose Go side is in a worker streams live
// frames, finishes, counts its worker in /metrics while it runs, and leaves
// no process behind.
func TestRunSocketGoWorker(t *testing.T) {
	s := newWorkerServer(t, scenarios.WorkerCommand)
	ts := httptest.NewServer(s)
	defer ts.Close()
	c := dial(t, ts.URL, "/ws/run/en/semaphore/semaphore?downloads=2&limit=1&delays=0.6,0.6")
	defer c.CloseNow()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for { // until the Go side is live
		_, b, err := c.Read(ctx)
		if err != nil {
			t.Fatalf("read: %v", err)
		}
		if strings.Contains(section(string(b), "go"), `<g class="lane"`) {
			if !strings.Contains(string(b), `data-finished="false"`) {
				t.Error("the first frame with Go lanes is not a live one")
			}
			break
		}
	}
	if _, body := getStatus(t, ts.URL+"/metrics"); !strings.Contains(body, "\nasyncplay_go_workers 1\n") {
		t.Errorf("metrics during the run do not say 1 Go worker:\n%s", body)
	}
	frames, status := readAll(t, c, 10*time.Second)
	if status != websocket.StatusNormalClosure || len(frames) == 0 {
		t.Fatalf("closed with %v after %d more frames", status, len(frames))
	}
	if g := section(frames[len(frames)-1], "go"); !strings.Contains(g, `data-status="finished"`) || maxOverlap(g) != 1 {
		t.Errorf("Go side did not finish one download at a time:\n%s", g)
	}
	waitNoChildren(t)
}

// TestRunWaitsItsTurnToStart: with the one place to start a Go worker taken,
// a run's Go side waits, /metrics counts it waiting, and once the place is
// free the run starts, goes live and finishes.
func TestRunWaitsItsTurnToStart(t *testing.T) {
	s := newWorkerServer(t, scenarios.WorkerCommand)
	if cap(s.runner.GoStarts) < 1 {
		t.Fatalf("the server starts Go workers with no limit (cap %d)", cap(s.runner.GoStarts))
	}
	for range cap(s.runner.GoStarts) { // every place taken by starts that never finish
		s.runner.GoStarts <- struct{}{}
	}
	ts := httptest.NewServer(s)
	defer ts.Close()
	c := dial(t, ts.URL, "/ws/run/en/semaphore/semaphore?downloads=2&limit=1&delays=0.2,0.2")
	defer c.CloseNow()
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, body := getStatus(t, ts.URL+"/metrics")
		if strings.Contains(body, "\nasyncplay_processes_waiting_to_start 1\n") {
			if !strings.Contains(body, "\nasyncplay_go_workers 0\n") {
				t.Errorf("a worker runs while its run waits to start:\n%s", body)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/metrics never counted the run waiting to start:\n%s", body)
		}
		time.Sleep(20 * time.Millisecond)
	}
	for range cap(s.runner.GoStarts) {
		<-s.runner.GoStarts
	}
	frames, status := readAll(t, c, 10*time.Second)
	if status != websocket.StatusNormalClosure || len(frames) == 0 {
		t.Fatalf("closed with %v after %d frames", status, len(frames))
	}
	last := frames[len(frames)-1]
	if g := section(last, "go"); !strings.Contains(g, `data-status="finished"`) || strings.Count(g, `<g class="lane"`) < 3 {
		t.Errorf("the run did not finish its Go side once its turn came:\n%.800s", g)
	}
	if _, body := getStatus(t, ts.URL+"/metrics"); !strings.Contains(body, "\nasyncplay_processes_waiting_to_start 0\n") || !strings.Contains(body, "\nasyncplay_processes_starting 0\n") {
		t.Errorf("metrics after the run still count processes starting or waiting:\n%s", body)
	}
	waitNoChildren(t)
}

// TestRunFailureLoggedWithRequestID: the log line a failed run side writes
// carries the id of the request that opened its socket, the same id as the
// request's own log line, so the two can be found together.
func TestRunFailureLoggedWithRequestID(t *testing.T) {
	logs := &logTail{}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Config{Logger: slog.New(slog.NewTextHandler(logs, nil)), Lessons: lessons.Embedded(), Static: static.FS(),
		NoPython: errors.New("no python3 in this test"), GoWorker: []string{exe, panickingWorker}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	ts := httptest.NewServer(s)
	defer ts.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	const id = "req-7c1f0a"
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(ts.URL, "http")+"/ws/run/en/semaphore/semaphore?downloads=2&limit=1&delays=0.1,0.1",
		&websocket.DialOptions{HTTPHeader: http.Header{"X-Request-Id": {id}}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	c.SetReadLimit(8 << 20)
	readAll(t, c, 20*time.Second)
	var failed, request string
	for _, line := range strings.Split(logs.last(1000), "\n") {
		switch {
		case strings.Contains(line, `msg="run side failed"`):
			failed = line
		case strings.Contains(line, "/ws/run/"):
			request = line
		}
	}
	if !strings.Contains(failed, "id="+id) {
		t.Errorf("the failed side's log line %q does not carry the request id %s", failed, id)
	}
	if !strings.Contains(request, "id="+id) {
		t.Errorf("the request's own log line %q does not carry id %s", request, id)
	}
}
