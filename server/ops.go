package server

import (
	"cmp"
	"fmt"
	"log/slog"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/labstack/echo/v5"
	"github.com/labstack/echo/v5/middleware"

	"github.com/asyncplay/asyncplay/scenarios"
	"github.com/asyncplay/asyncplay/scenarios/pyrun"
)

// counters are the server's running totals for /metrics.
type counters struct {
	sockets  atomic.Int64 // run WebSockets open now
	runs     atomic.Int64 // runs started, ever
	events   atomic.Int64 // events received from both runtimes, ever
	dropped  atomic.Int64 // run sockets dropped because a write failed or timed out
	requests atomic.Int64
	// goWorkers counts Go worker processes running now (Config.GoWorker).
	goWorkers atomic.Int64
	// waitingToStart counts run processes waiting for their turn to start.
	waitingToStart atomic.Int64

	classSockets atomic.Int64 // class WebSockets open now
	classDropped atomic.Int64 // class sockets dropped for falling behind
}

// requestLog logs each request once, with its id, through slog.
func (s *Server) requestLog() echo.MiddlewareFunc {
	return middleware.RequestLoggerWithConfig(middleware.RequestLoggerConfig{
		LogStatus: true, LogURIPath: true, LogMethod: true, LogLatency: true, LogRequestID: true, LogRemoteIP: true,
		HandleError: true,
		LogValuesFunc: func(c *echo.Context, v middleware.RequestLoggerValues) error {
			s.count.requests.Add(1)
			level := slog.LevelInfo
			if v.Status >= 500 {
				level = slog.LevelError
			}
			s.log.Log(c.Request().Context(), level, "request",
				"id", v.RequestID, "method", v.Method, "path", v.URIPath, "status", v.Status,
				"ms", v.Latency.Milliseconds(), "ip", v.RemoteIP)
			return nil
		},
	})
}

// handleReady answers 200 while the server takes new work, 503 once it is
// shutting down.
func (s *Server) handleReady(c *echo.Context) error {
	if s.base.Err() != nil {
		return c.String(http.StatusServiceUnavailable, "shutting down\n")
	}
	return c.String(http.StatusOK, "ready\n")
}

// handleMetrics writes the Prometheus text format.
func (s *Server) handleMetrics(c *echo.Context) error {
	running, waiting := s.queue.stats()
	stored, bytes := s.runs.stats()
	var b strings.Builder
	metric := func(name, kind, help string, v int64) {
		fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s %s\n%s %d\n", name, help, name, kind, name, v)
	}
	metric("asyncplay_websockets_open", "gauge", "Run WebSockets open now.", s.count.sockets.Load())
	metric("asyncplay_runs_active", "gauge", "Runs going now (each has one Python process when Python is available).", int64(running))
	metric("asyncplay_runs_queued", "gauge", "Runs waiting for a free slot.", int64(waiting))
	metric("asyncplay_run_slots", "gauge", "Runs that may go at once (--max-runs).", int64(s.cfg.RunSlots))
	metric("asyncplay_python_slots", "gauge", "Python interpreters that may be alive at once (--max-python).", int64(s.cfg.MaxPython))
	deadline := cmp.Or(s.cfg.RunDeadline, scenarios.DefaultDeadline).Seconds()
	fmt.Fprintf(&b, "# HELP %[1]s Longest a run may take (--run-deadline).\n# TYPE %[1]s gauge\n%[1]s %[2]s\n", "asyncplay_run_deadline_seconds", strconv.FormatFloat(deadline, 'g', -1, 64))
	metric("asyncplay_run_max_events", "gauge", "Events one side of a run may record (--run-max-events).", int64(cmp.Or(s.cfg.RunMaxEvents, scenarios.DefaultMaxEvents)))
	metric("asyncplay_python_processes", "gauge", "Python interpreters running now, for runs and for visitors' own programs, from their start until they are reaped.", pyrun.Running())
	isolated := int64(0)
	if pyrun.Isolated() {
		isolated = 1
	}
	metric("asyncplay_python_isolated", "gauge", "1 while interpreters start in PID namespaces of their own, so nothing a program starts outlives its run; 0 once the kernel has refused every way of making one.", isolated)
	metric("asyncplay_go_workers", "gauge", "Go worker processes (one per run's Go side) running now.", s.count.goWorkers.Load())
	metric("asyncplay_start_slots", "gauge", "Processes of each runtime that may start at once (--max-starting).", int64(cap(s.runner.GoStarts)))
	starting := int64(len(s.runner.GoStarts) + len(s.runner.PythonStarts))
	metric("asyncplay_processes_starting", "gauge", "Run processes (Go workers and Python interpreters) starting now: from their start to their first event.", starting)
	metric("asyncplay_processes_waiting_to_start", "gauge", "Run processes waiting for their turn to start (--max-starting), or for a free interpreter (--max-python).", s.count.waitingToStart.Load())
	metric("asyncplay_runs_started_total", "counter", "Runs started since the server started.", s.count.runs.Load())
	metric("asyncplay_events_total", "counter", "Timeline events received from both runtimes.", s.count.events.Load())
	metric("asyncplay_sockets_dropped_total", "counter", "Run WebSockets dropped because a frame could not be written in time.", s.count.dropped.Load())
	metric("asyncplay_runs_stored", "gauge", "Finished runs kept for replay.", int64(stored))
	metric("asyncplay_runs_stored_bytes", "gauge", "Estimated memory of the kept runs.", int64(bytes))
	s.classMu.Lock()
	rooms, hubs := len(s.rooms), len(s.hubs)
	s.classMu.Unlock()
	metric("asyncplay_class_rooms", "gauge", "Classes this server owns now.", int64(rooms))
	metric("asyncplay_class_rooms_joined", "gauge", "Classes with sockets on this server now.", int64(hubs))
	metric("asyncplay_class_websockets_open", "gauge", "Class WebSockets open now.", s.count.classSockets.Load())
	metric("asyncplay_class_sockets_dropped_total", "counter", "Class sockets dropped because they fell behind or a write failed.", s.count.classDropped.Load())
	metric("asyncplay_http_requests_total", "counter", "HTTP requests served.", s.count.requests.Load())
	pages, pageBytes := s.pages.stats()
	metric("asyncplay_pages_cached", "gauge", "Rendered lesson pages kept in the page cache.", int64(pages))
	metric("asyncplay_pages_cached_bytes", "gauge", "Bytes of the kept pages, as they are and compressed.", int64(pageBytes))
	metric("go_goroutines", "gauge", "Number of goroutines that currently exist.", int64(runtime.NumGoroutine()))
	return c.Blob(http.StatusOK, "text/plain; version=0.0.4; charset=utf-8", []byte(b.String()))
}
