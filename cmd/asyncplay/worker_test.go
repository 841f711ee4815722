package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/asyncplay/asyncplay/scenarios"
	"github.com/asyncplay/asyncplay/scenarios/timeline"
)

// events reads a worker's stdout: one JSON event per line.
func events(t *testing.T, out []byte) []timeline.Event {
	t.Helper()
	var evs []timeline.Event
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		var e timeline.Event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("worker line %q is not an event: %v", sc.Text(), err)
		}
		evs = append(evs, e)
	}
	return evs
}

// checkSemaphore checks the events of semaphore with two downloads, one at a time.
func checkSemaphore(t *testing.T, evs []timeline.Event) {
	t.Helper()
	lanes := map[string]bool{}
	for _, e := range evs {
		lanes[e.Lane] = true
	}
	if len(evs) == 0 || evs[0].Kind != timeline.Spawn || evs[0].Lane != "main" || len(lanes) != 3 {
		t.Errorf("events = %v; want main spawned first and 3 lanes", evs)
	}
	if !slices.ContainsFunc(evs, func(e timeline.Event) bool { return e.Kind == timeline.Acquire && e.Line > 0 }) {
		t.Errorf("no acquire with a source line in %v", evs)
	}
}

var semaphoreArgs = []string{"-max-events", "1000", "semaphore", "downloads=2&limit=1&delays=0.1,0.1"}

// TestGoWorkerSubcommand runs the hidden go-worker subcommand on a real
// scenario, in this process and as serve starts it (this executable,
// which TestMain turns into a worker): it prints one JSON event per line.
func TestGoWorkerSubcommand(t *testing.T) {
	var out, errOut bytes.Buffer
	if err := run(context.Background(), append([]string{scenarios.WorkerCommand}, semaphoreArgs...), &out, &errOut); err != nil {
		t.Fatalf("run go-worker = %v; stderr:\n%s", err, errOut.String())
	}
	checkSemaphore(t, events(t, out.Bytes()))

	worker, err := goWorker()
	if err != nil {
		t.Fatal(err)
	}
	exe, _ := os.Executable()
	if len(worker) != 2 || worker[0] != exe || worker[1] != scenarios.WorkerCommand {
		t.Fatalf("goWorker() = %q; want [%s %s]", worker, exe, scenarios.WorkerCommand)
	}
	cmd := exec.Command(worker[0], append(worker[1:], semaphoreArgs...)...)
	cmd.Stderr = &errOut
	b, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s = %v; stderr:\n%s", worker, err, errOut.String())
	}
	checkSemaphore(t, events(t, b))
}

func TestGoWorkerRefusesBadArgs(t *testing.T) {
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{scenarios.WorkerCommand, "no-such-scenario", ""}, &out, &errOut)
	var exit exitError
	if !errors.As(err, &exit) || exit != 1 {
		t.Errorf("run go-worker no-such-scenario = %v; want exit status 1", err)
	}
	if !strings.Contains(errOut.String(), `no-such-scenario`) || out.Len() > 0 {
		t.Errorf("stdout %q, stderr %q; want the reason on stderr only", out.String(), errOut.String())
	}
}

// runSink keeps the Go side's events and end.
type runSink struct {
	mu     sync.Mutex
	events []timeline.Event
	end    error
}

func (s *runSink) Event(rt scenarios.Runtime, e timeline.Event) {
	if rt == scenarios.Go {
		s.mu.Lock()
		s.events = append(s.events, e)
		s.mu.Unlock()
	}
}

func (s *runSink) End(rt scenarios.Runtime, err error) {
	if rt == scenarios.Go {
		s.mu.Lock()
		s.end = err
		s.mu.Unlock()
	}
}

// TestServeRunsGoInWorker runs a scenario through a Runner wired as serve
// wires its server: the Go side comes back from a worker process.
func TestServeRunsGoInWorker(t *testing.T) {
	worker, err := goWorker()
	if err != nil {
		t.Fatal(err)
	}
	r := &scenarios.Runner{GoWorker: worker, NoPython: errors.New("not in this test")}
	s := scenarios.Default().Get("semaphore")
	v, _ := s.Parse(map[string][]string{"downloads": {"2"}, "limit": {"1"}, "delays": {"0.1,0.1"}})
	sink := &runSink{}
	if err := r.Run(context.Background(), s, v, sink); err != nil {
		t.Fatal(err)
	}
	if sink.end != nil {
		t.Fatalf("Go side ended with %v", sink.end)
	}
	checkSemaphore(t, sink.events)
}
