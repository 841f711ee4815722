package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/asyncplay/asyncplay/scenarios"
	"github.com/asyncplay/asyncplay/scenarios/pyrun"
)

// TestMain runs the tests; started with the worker argument (as serve
// starts this executable, see goWorker), it is a Go worker instead.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == scenarios.WorkerCommand {
		if run(context.Background(), os.Args[1:], os.Stdout, os.Stderr) != nil {
			os.Exit(1)
		}
		os.Exit(0)
	}
	goleak.VerifyTestMain(m, goleak.Cleanup(func(int) {
		if binDir != "" {
			os.RemoveAll(binDir)
		}
	}))
}

func requirePython(t *testing.T) {
	t.Helper()
	if _, err := pyrun.Find(context.Background()); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI needs python3 >= 3.11 (apt-get install python3): %v", err)
		}
		t.Skipf("SKIP: needs python3 >= 3.11 (apt-get install python3): %v", err)
	}
}

// TestVersion: `asyncplay version` names the build from its build info: a
// binary built from this checkout names the commit it was built from, and
// the Go release.
func TestVersion(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"version"}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(out.String()); !strings.HasSuffix(got, " "+runtime.Version()) {
		t.Errorf("version = %q; want it to end with the Go release, %s", got, runtime.Version())
	}
	if _, err := exec.LookPath("git"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("CI needs git (apt-get install git) to check that a build names its commit")
		}
		t.Skip("SKIP: checking that a build names its commit needs git (apt-get install git)")
	}
	head, err := exec.Command("git", "rev-parse", "HEAD").Output()
	if err != nil {
		t.Skipf("SKIP: not a git checkout git can read (git rev-parse HEAD: %v), so there is no commit for a build to name", err)
	}
	got, err := exec.Command(buildBinary(t), "version").Output()
	if err != nil {
		t.Fatal(err)
	}
	if rev := strings.TrimSpace(string(head))[:12]; !strings.Contains(string(got), rev) {
		t.Errorf("a build of commit %s says its version is %q; want the commit in it", rev, strings.TrimSpace(string(got)))
	}
}

func TestTraceLanes(t *testing.T) {
	requirePython(t)
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"trace", "--virtual", "--width", "40", "testdata/unseen.py"}, &out, &errOut)
	if err != nil {
		t.Fatalf("trace: %v\n%s", err, errOut.String())
	}
	text := out.String()
	for _, want := range []string{"main ", "worker ", "worker #2 ", "3 lanes,", "C\n"} {
		if !strings.Contains(text, want) {
			t.Errorf("trace output lacks %q:\n%s", want, text)
		}
	}
}

func TestTraceJSON(t *testing.T) {
	requirePython(t)
	var out bytes.Buffer
	err := run(context.Background(), []string{"trace", "--json", "--virtual", "--set", "JOBS=[0.1,0.1]", "testdata/unseen.py"}, &out, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	lanes := map[string]bool{}
	var last struct {
		T    float64 `json:"t"`
		Lane string  `json:"lane"`
		Kind string  `json:"kind"`
		Line int     `json:"line"`
	}
	sc := bufio.NewScanner(&out)
	n := 0
	for sc.Scan() {
		if err := json.Unmarshal(sc.Bytes(), &last); err != nil {
			t.Fatalf("line %d is not JSON: %q", n+1, sc.Text())
		}
		if last.Kind == "" || last.Lane == "" {
			t.Errorf("line %d lacks kind or lane: %s", n+1, sc.Text())
		}
		lanes[last.Lane] = true
		n++
	}
	if len(lanes) != 3 || last.Lane != "main" || last.Kind != "done" {
		t.Errorf("lanes %v, last event %+v; want main and two workers, main done last", lanes, last)
	}
	if last.T < 0.09 || last.T > 0.2 {
		t.Errorf("program ended at t=%.3f; want about 0.1 s with --set JOBS=[0.1,0.1]", last.T)
	}
}

func TestTraceErrors(t *testing.T) {
	requirePython(t)
	if err := run(context.Background(), []string{"trace"}, io.Discard, io.Discard); err == nil {
		t.Error("trace with no program = nil error")
	}
	if err := run(context.Background(), []string{"trace", "testdata/no-such.py"}, io.Discard, io.Discard); err == nil {
		t.Error("trace of a missing file = nil error")
	}
	bad := t.TempDir() + "/bad.py"
	if err := os.WriteFile(bad, []byte("def (:\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := run(context.Background(), []string{"trace", bad}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "SyntaxError") {
		t.Errorf("trace of invalid Python = %v; want a SyntaxError", err)
	}
	plain := t.TempDir() + "/plain.py"
	if err := os.WriteFile(plain, []byte("print('no asyncio here')\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	err = run(context.Background(), []string{"trace", plain}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "never started an asyncio event loop") {
		t.Errorf("trace of a program without asyncio = %v; want it said", err)
	}
	slow := t.TempDir() + "/slow.py"
	if err := os.WriteFile(slow, []byte("import asyncio\nasyncio.run(asyncio.sleep(30))\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	err = run(context.Background(), []string{"trace", "--timeout", "500ms", slow}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "longer than") {
		t.Errorf("trace past --timeout = %v; want the deadline said", err)
	}
}

// TestServeAndShutdown starts the real server on a free port, fetches a
// page, and stops it with the context, as a signal would.
func TestServeAndShutdown(t *testing.T) {
	url, stop := startServe(t)
	resp, err := http.Get(url + "en/lessons/semaphore")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("GET lesson = %d; want 200", resp.StatusCode)
	}
	if err := stop(); err != nil {
		t.Errorf("run after shutdown = %v; want nil", err)
	}
}

func TestServeRefusesBadFlag(t *testing.T) {
	if err := run(context.Background(), []string{"--nope"}, io.Discard, io.Discard); err == nil {
		t.Error("run --nope = nil error")
	}
}

func TestAllowOwnCodeStaysOnLoopback(t *testing.T) {
	err := run(context.Background(), []string{"--allow-own-code", "--addr", "192.0.2.1:8080"}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "loopback only") {
		t.Errorf("--allow-own-code on a public address = %v; want a refusal", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"--allow-own-code", "--addr", ":0"}, pw, io.Discard)
		pw.Close()
	}()
	r := bufio.NewReader(pr)
	first, _ := r.ReadString('\n')
	second, _ := r.ReadString('\n')
	go io.Copy(io.Discard, pr)
	if !strings.Contains(first, "loopback only (127.0.0.1:0)") || !strings.Contains(second, "http://127.0.0.1:") {
		t.Errorf("start-up said %q then %q; want loopback only", first, second)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("run = %v", err)
	}
}

// TestPythonNiceRange: --python-nice outside 0-19 is refused, naming the flag.
func TestPythonNiceRange(t *testing.T) {
	for _, v := range []string{"-1", "20"} {
		err := run(context.Background(), []string{"--addr", "127.0.0.1:0", "--python-nice", v}, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "--python-nice "+v) {
			t.Errorf("--python-nice %s: %v; want an error naming the flag", v, err)
		}
	}
}

// TestMaxStartingRange: a negative --max-starting is refused, naming the flag.
func TestMaxStartingRange(t *testing.T) {
	err := run(context.Background(), []string{"--addr", "127.0.0.1:0", "--max-starting", "-1"}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "--max-starting -1") {
		t.Errorf("--max-starting -1: %v; want an error naming the flag", err)
	}
}

var (
	binOnce sync.Once
	binDir  string
	bin     string
	binErr  error
)

// buildBinary builds this command once for the tests that need the real
// executable (its main, its signals), stamped with its commit where git
// can say it; the binary is removed when the tests end (see TestMain).
func buildBinary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		binDir, binErr = os.MkdirTemp("", "asyncplay-bin-")
		if binErr != nil {
			return
		}
		bin = filepath.Join(binDir, "asyncplay")
		vcs := "-buildvcs=auto"
		if _, err := exec.LookPath("git"); err == nil {
			vcs = "-buildvcs=true"
		}
		if b, err := exec.Command("go", "build", vcs, "-o", bin, ".").CombinedOutput(); err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, b)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return bin
}

// TestSIGTERMDrains runs the real executable and sends it SIGTERM, as a
// service manager would: it stops listening, says so, and exits 0 within
// the shutdown bound, leaving no process of its own behind.
func TestSIGTERMDrains(t *testing.T) {
	exe := buildBinary(t)
	cmd := exec.Command(exe, "--addr", "127.0.0.1:0")
	cmd.Env = append(os.Environ(), "ASYNCPLAY_PYTHON=/nonexistent/python3") // no interpreter to wait for
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	line, err := bufio.NewReader(out).ReadString('\n')
	i := strings.Index(line, "http://")
	if err != nil || i < 0 {
		t.Fatalf("start-up line %q (%v); stderr:\n%s", line, err, stderr.String())
	}
	url := strings.TrimSpace(line[i:])
	resp, err := http.Get(url + "en/lessons/semaphore")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("after SIGTERM the server exited with %v; want 0\nstderr:\n%s", err, stderr.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("the server was still running 15 s after SIGTERM\nstderr:\n%s", stderr.String())
	}
	if _, err := http.Get(url + "healthz"); err == nil {
		t.Error("the server still answered after it exited")
	}
}
