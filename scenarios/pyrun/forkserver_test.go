package pyrun

import (
	"context"
	"errors"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/asyncplay/asyncplay/scenarios/timeline"
)

// pidsSource says the run's pid, parent and process group, then sleeps.
const pidsSource = `import asyncio, os
SLEEP = 0
async def main():
    print("pids", os.getpid(), os.getppid(), os.getpgrp(), os.nice(0))
    await asyncio.sleep(SLEEP)
asyncio.run(main())
`

// runPids runs pidsSource, sleeping for sleep seconds after saying its pids,
// and calls said with them.
func runPids(ctx context.Context, p Python, sleep float64, said func(pid, ppid, pgrp, nice int)) error {
	prog := Program{Name: "pids.py", Source: []byte(pidsSource), Set: map[string]any{"SLEEP": sleep}}
	return p.Run(ctx, prog, Options{Nice: 3}, func(e timeline.Event) {
		if e.Kind == timeline.Log && strings.HasPrefix(e.Label, "pids ") {
			var n [4]int
			for i, f := range strings.Fields(e.Label)[1:] {
				n[i], _ = strconv.Atoi(f)
			}
			said(n[0], n[1], n[2], n[3])
		}
	})
}

// TestForkServerRuns: a run found by Find is a child of the fork server, the
// leader of a process group of its own, at the niceness asked for; the fork
// server outlives it and serves the next run.
func TestForkServerRuns(t *testing.T) {
	p := needPython(t)
	if p.fs == nil {
		t.Fatal("Find() gave a Python with no fork server")
	}
	var parents []int
	for range 2 {
		var got [4]int
		if err := runPids(context.Background(), p, 0, func(pid, ppid, pgrp, nice int) { got = [4]int{pid, ppid, pgrp, nice} }); err != nil {
			t.Fatal(err)
		}
		servers := ForkServerPIDs()
		if got[0] == 0 || len(servers) != 1 || got[1] != servers[0] {
			t.Fatalf("the run said pid, ppid = %d, %d; fork servers %v: want it a child of the fork server", got[0], got[1], servers)
		}
		if got[2] != got[0] || got[3] < 3 {
			t.Errorf("the run said pgrp %d, nice %d; want a group of its own (%d) and nice >= 3", got[2], got[3], got[0])
		}
		if err := syscall.Kill(got[0], 0); !errors.Is(err, syscall.ESRCH) {
			t.Errorf("kill(%d, 0) = %v after the run; want ESRCH", got[0], err)
		}
		parents = append(parents, got[1])
	}
	if parents[0] != parents[1] {
		t.Errorf("two runs had fork servers %v; want one, serving both", parents)
	}
}

// TestForkServerLost: a run whose fork server is killed under it ends as
// killed, leaves no process, and the next run starts a new fork server.
// StopForkServers ends a run going in it the same way.
func TestForkServerLost(t *testing.T) {
	p := needPython(t)
	for _, how := range []string{"fork server killed", "StopForkServers"} {
		t.Run(how, func(t *testing.T) {
			var pid, server int
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			err := runPids(ctx, p, 30, func(p, pp, _, _ int) {
				pid, server = p, pp
				if how == "StopForkServers" {
					go StopForkServers() // it waits for the run's end, which comes on this goroutine
				} else {
					_ = syscall.Kill(pp, syscall.SIGKILL)
				}
			})
			if err == nil || !strings.Contains(err.Error(), "the Python fork server went away") {
				t.Fatalf("Run = %v; want the run killed as its fork server went away", err)
			}
			if ctx.Err() != nil {
				t.Fatal("the run lasted until its deadline")
			}
			for _, q := range []int{pid, server} {
				deadline := time.Now().Add(5 * time.Second)
				for syscall.Kill(q, 0) == nil && time.Now().Before(deadline) {
					var ws syscall.WaitStatus
					_, _ = syscall.Wait4(q, &ws, syscall.WNOHANG, nil) // ours, as a subreaper
					time.Sleep(10 * time.Millisecond)
				}
				if err := syscall.Kill(q, 0); !errors.Is(err, syscall.ESRCH) {
					t.Errorf("kill(%d, 0) = %v; want ESRCH: run %d, fork server %d", q, err, pid, server)
				}
			}
			var next int
			if err := runPids(context.Background(), p, 0, func(_, pp, _, _ int) { next = pp }); err != nil {
				t.Fatalf("the next run: %v", err)
			}
			if next == server || next == 0 || next == os.Getpid() {
				t.Errorf("the next run's parent is %d (the lost server was %d, this test %d); want a new fork server", next, server, os.Getpid())
			}
		})
	}
}

// TestForkServerExitStatus: a run forked by the fork server reports how it
// ended as one started on its own does: its exit status, or the signal.
func TestForkServerExitStatus(t *testing.T) {
	t.Parallel()
	p := needPython(t)
	for src, want := range map[string]ProgramError{
		"import sys\nsys.exit(3)\n":                                 {ExitCode: 3},
		"import os, signal\nos.kill(os.getpid(), signal.SIGTERM)\n": {ExitCode: -1, Signal: "terminated"},
	} {
		var pe *ProgramError
		err := p.Run(context.Background(), Program{Name: "exit.py", Source: []byte(src)}, Options{}, nil)
		if !errors.As(err, &pe) || pe.ExitCode != want.ExitCode || pe.Signal != want.Signal {
			t.Errorf("%q: Run = %v; want exit code %d, signal %q", src, err, want.ExitCode, want.Signal)
		}
	}
}

// TestForkServerLongCommandLine: a run whose command line does not fit in
// one request to the fork server starts an interpreter of its own.
func TestForkServerLongCommandLine(t *testing.T) {
	t.Parallel()
	p := needPython(t)
	long := strings.Repeat("x", maxRequest)
	src := "import os\nLONG = ''\nprint('len', len(LONG), 'parent', os.getppid())\n"
	var said string
	err := p.Run(context.Background(), Program{Name: "long.py", Source: []byte(src), Set: map[string]any{"LONG": long}}, Options{}, func(e timeline.Event) {
		if e.Kind == timeline.Log {
			said = e.Label
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := "len " + strconv.Itoa(len(long)) + " parent " + strconv.Itoa(os.Getpid()); said != want {
		t.Errorf("the run said %q; want %q", said, want)
	}
}
