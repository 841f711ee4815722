package main

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/asyncplay/asyncplay/scenarios/pyrun"
)

// startServe runs serve with args on a free loopback port and returns its
// URL (ending in /) and the function that stops it as a signal would and
// says how serve ended; a server not stopped by then is stopped, and must
// stop cleanly, when the test ends.
func startServe(t *testing.T, args ...string) (url string, stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"--addr", "127.0.0.1:0"}, args...), pw, io.Discard)
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	go io.Copy(io.Discard, pr)
	stop = sync.OnceValue(func() error {
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(15 * time.Second):
			return errors.New("serve did not stop within 15 s")
		}
	})
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("serve after shutdown = %v", err)
		}
	})
	i := strings.Index(line, "http://")
	if err != nil || i < 0 {
		t.Fatalf("start-up line %q (%v) has no address", line, err)
	}
	return strings.TrimSpace(line[i:]), stop
}

// TestLimitsReachTheServer: limits given as flags and in the environment
// are the ones the server runs with (as /metrics reports them), and a flag
// wins over its variable, even one that cannot be read.
func TestLimitsReachTheServer(t *testing.T) {
	t.Setenv("ASYNCPLAY_MAX_RUNS", "3")
	t.Setenv("ASYNCPLAY_RUN_MAX_EVENTS", "7000")
	t.Setenv("ASYNCPLAY_MAX_PYTHON", "2")
	t.Setenv("ASYNCPLAY_RUN_DEADLINE", "soon")
	url, _ := startServe(t, "--run-deadline", "90.5s", "--run-max-events", "5000", "--max-starting", "3")
	resp, err := http.Get(url + "metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{"\nasyncplay_run_slots 3\n", "\nasyncplay_run_deadline_seconds 90.5\n", "\nasyncplay_run_max_events 5000\n", "\nasyncplay_python_slots 2\n", "\nasyncplay_start_slots 3\n"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("/metrics lacks %q", strings.TrimSpace(want))
		}
	}
}

// TestServeRefusesBadLimits: a limit that cannot be read, or is out of
// range, stops the server before it starts, naming the variable or flag;
// it is never quietly replaced by a default.
func TestServeRefusesBadLimits(t *testing.T) {
	tests := []struct {
		env, val string // a variable to set, if any
		args     []string
		want     string
	}{
		{"ASYNCPLAY_MAX_RUNS", "ten", nil, `ASYNCPLAY_MAX_RUNS="ten": want a whole number`},
		{"ASYNCPLAY_RATE_LIMIT", "fast", nil, `ASYNCPLAY_RATE_LIMIT="fast": want a number`},
		{"ASYNCPLAY_RATE_LIMIT", "NaN", nil, `ASYNCPLAY_RATE_LIMIT="NaN": want a number`},
		{"ASYNCPLAY_RUN_DEADLINE", "60", nil, `ASYNCPLAY_RUN_DEADLINE="60": want a duration`},
		{"ASYNCPLAY_CLASS_CAPACITY", "1e3", nil, `ASYNCPLAY_CLASS_CAPACITY="1e3": want a whole number`},
		{"", "", []string{"--max-runs", "-1"}, "--max-runs -1: want 1 or more, or 0"},
		{"", "", []string{"--max-runs-per-client", "0"}, "--max-runs-per-client 0: want 1 or more"},
		{"", "", []string{"--max-python", "-2"}, "--max-python -2: want 1 or more, or 0"},
		{"", "", []string{"--max-sockets-per-client", "-3"}, "--max-sockets-per-client -3: want 1 or more"},
		{"", "", []string{"--rate-limit", "0"}, "--rate-limit 0: want 0.1 or more"},
		{"", "", []string{"--keep-runs", "0"}, "--keep-runs 0: want 1 or more"},
		{"", "", []string{"--keep-runs-mib", "-1"}, "--keep-runs-mib -1: want 1 or more"},
		{"", "", []string{"--run-deadline", "10ms"}, "--run-deadline 10ms: want a second or more"},
		{"", "", []string{"--run-max-events", "5"}, "--run-max-events 5: want 100 or more"},
		{"", "", []string{"--keep-runs-mib", "9999999999999"}, "--keep-runs-mib 9999999999999: want at most 1048576"},
		{"", "", []string{"--rate-limit", "1e300"}, "--rate-limit 1e+300: want at most a billion"},
		{"", "", []string{"--allow-own-code", "--http-write-timeout", "30s"}, "--http-write-timeout 30s: with --allow-own-code, want 50s or more"},
		{"ASYNCPLAY_MAX_RUNS", "-1", nil, "--max-runs -1: want 1 or more, or 0 for the default (the CPU cores, at least 2) (the flag, or ASYNCPLAY_MAX_RUNS)"},
		{"", "", []string{"--http-write-timeout", "0s"}, "--http-write-timeout 0s: want a second or more"},
		{"", "", []string{"--shutdown-grace", "-1s"}, "--shutdown-grace -1s: want a second or more"},
		{"ASYNCPLAY_HTTP_IDLE_TIMEOUT", "forever", nil, `ASYNCPLAY_HTTP_IDLE_TIMEOUT="forever": want a duration`},
		{"", "", []string{"--class-capacity", "0"}, "--class-capacity 0: want 1 or more"},
		{"", "", []string{"--max-classes", "-1"}, "--max-classes -1: want 1 or more"},
		{"", "", []string{"--class-join-rate", "0"}, "--class-join-rate 0: want 1 or more"},
		{"ASYNCPLAY_PYTHON_NICE", "25", nil, "--python-nice 25: want 0 (the server's priority) to 19 (the lowest) (the flag, or ASYNCPLAY_PYTHON_NICE)"},
		{"ASYNCPLAY_MAX_STARTING", "-1", nil, "--max-starting -1: want 1 or more, or 0 for the default (half the CPU cores) (the flag, or ASYNCPLAY_MAX_STARTING)"},
		// A variable that cannot be read still stops the server when
		// another flag is given.
		{"ASYNCPLAY_MAX_RUNS", "ten", []string{"--max-python", "2"}, `ASYNCPLAY_MAX_RUNS="ten": want a whole number`},
		// A misspelt command is not taken for serve's arguments.
		{"", "", []string{"tracee", "prog.py"}, `"tracee" is not a command or a flag`},
	}
	for _, tt := range tests {
		name := tt.env + "=" + tt.val
		if tt.env == "" {
			name = strings.Join(tt.args, " ")
		}
		t.Run(name, func(t *testing.T) {
			if tt.env != "" {
				t.Setenv(tt.env, tt.val)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			err := run(ctx, append([]string{"--addr", "127.0.0.1:0"}, tt.args...), io.Discard, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("serve = %v; want an error saying %q", err, tt.want)
			}
		})
	}
}

// TestBlankVariablesAreDefaults: a variable set to nothing (as a compose
// file's empty entry leaves it) means the default, not an error.
func TestBlankVariablesAreDefaults(t *testing.T) {
	_, noPython := pyrun.Find(context.Background()) // before the variable is blanked
	t.Setenv("ASYNCPLAY_MAX_RUNS", " ")
	t.Setenv("ASYNCPLAY_RUN_DEADLINE", "")
	// Text as well: a blank NATS URL, public URL or embed list would stop
	// the server, and a blank interpreter would quietly mean none.
	for _, name := range []string{"ASYNCPLAY_PYTHON", "ASYNCPLAY_NATS", "ASYNCPLAY_PUBLIC_URL", "ASYNCPLAY_EMBED_ORIGINS"} {
		t.Setenv(name, " ")
	}
	url, _ := startServe(t)
	if noPython == nil {
		page, err := http.Get(url + "en/lessons/semaphore")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(page.Body)
		page.Body.Close()
		if strings.Contains(string(b), "is not installed on this server") {
			t.Error("a blank ASYNCPLAY_PYTHON left the server without python3; want python3 on PATH, the default")
		}
	}
	resp, err := http.Get(url + "metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(b), "\nasyncplay_run_deadline_seconds 60\n") {
		t.Error("/metrics: a blank ASYNCPLAY_RUN_DEADLINE did not leave the default of 60 s")
	}
}

// TestHTTPTimeoutFlagReachesTheServer: --http-idle-timeout is the one the
// server keeps: an idle keep-alive connection is closed after 1 s, not the
// default two minutes.
func TestHTTPTimeoutFlagReachesTheServer(t *testing.T) {
	url, _ := startServe(t, "--http-idle-timeout", "1s")
	conn, err := net.Dial("tcp", strings.TrimSuffix(strings.TrimPrefix(url, "http://"), "/"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(conn)
	resp, err := http.ReadResponse(r, nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	idle := time.Now()
	if _, err := r.ReadByte(); err != io.EOF {
		t.Fatalf("idle connection: read %v; want the server to close it", err)
	}
	if took := time.Since(idle); took > 5*time.Second {
		t.Errorf("the idle connection was closed after %v; want about the 1 s given", took)
	}
}
