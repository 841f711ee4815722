// Package server is the web edge of asyncplay: the route table, the page and
// fragment handlers, and the WebSocket that streams a run. It is the only
// package that imports Echo and the WebSocket library.
package server

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"sync"
	"time"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v5"
	"github.com/labstack/echo/v5/middleware"

	"github.com/asyncplay/asyncplay/lessons"
	"github.com/asyncplay/asyncplay/scenarios"
	"github.com/asyncplay/asyncplay/scenarios/pyrun"
	"github.com/asyncplay/asyncplay/web"
)

// Config is what a server is built from.
type Config struct {
	Logger *slog.Logger
	// Lessons is the content to serve (lessons.Embedded() in production, a
	// folder on disk with --dev).
	Lessons fs.FS
	// Dev reloads Lessons on every page view, so edits show on refresh.
	Dev bool
	// Python runs the Python side; nil when none was found, and NoPython
	// says why.
	Python   *pyrun.Python
	NoPython error
	// GoWorker is the command line that starts a Go worker process (this
	// executable and scenarios.WorkerCommand); with it, each run's Go side
	// runs in a process of its own, so a panic on any of its goroutines
	// ends that run only. Nil runs the Go side inside the server (tests).
	GoWorker []string
	// Static is the static file tree (static.FS()).
	Static fs.FS
	// Limits for each run; zero means the scenarios package's defaults.
	RunDeadline  time.Duration
	RunMaxEvents int
	// PythonNice, from 1 to 19, is the niceness of each run's Python
	// interpreter, so that runs crowding the machine slow each other down
	// rather than the server; 0 leaves them at the server's.
	PythonNice int
	// MaxStarting is how many processes of each runtime (Go workers,
	// Python interpreters) may be starting at once; more runs arriving
	// together wait their turn to start (default: half the cores, at least
	// one). See scenarios.Runner.GoStarts.
	MaxStarting int
	// FrameEvery is how often a live run sends a frame (default 100 ms);
	// PingEvery, how often a socket waiting in line is pinged (default 15 s).
	FrameEvery time.Duration
	PingEvery  time.Duration
	// MaxRuns and MaxRunBytes bound the store of finished runs kept for
	// replay and moment links (defaults 500 runs, 64 MiB).
	MaxRuns     int
	MaxRunBytes int
	// Concurrent runs in all and from one address (defaults: the number of
	// CPU cores, at least 2; and 2). Each run has one Python process, so
	// this also caps Python processes. Past the cap, visitors wait in line.
	RunSlots  int
	RunsPerIP int
	// MaxPython caps the Python interpreters alive at once, for runs and
	// for visitors' own programs (default RunSlots); below RunSlots, runs'
	// Python sides wait their turn while their Go sides go on.
	MaxPython int
	// EmbedOrigins are the sites (scheme://host[:port]) whose pages may put
	// /embed/ pages in an iframe and open run WebSockets (see ParseOrigins).
	EmbedOrigins []string
	// RequestsPerSecond and RequestBurst limit requests per address
	// (defaults 20/s, bursts of 100); SocketsPerIP caps open run
	// WebSockets per address (default 8).
	RequestsPerSecond float64
	RequestBurst      int
	SocketsPerIP      int
	// AllowOwnCode adds /{lang}/own, where a visitor runs their own
	// program under the tracer. Only for a server on loopback: cmd refuses
	// it on any other address.
	AllowOwnCode bool
	// BenchBlob, when set, is served as it is at /bench/blob: the static
	// baseline asyncplay-bench measures pages against. Nil in production.
	BenchBlob []byte
	// Class sets up the classroom (rooms, their limits, the bus).
	Class ClassConfig
	// HTTP is the web server's timeouts, and how long Serve waits for
	// requests to finish once told to stop; zero means the defaults.
	HTTP HTTPTimeouts
}

// HTTPTimeouts bound a connection's requests (WebSockets are free of them
// once upgraded) and the shutdown.
type HTTPTimeouts struct {
	ReadHeader time.Duration // a request's headers (default 10 s)
	Read       time.Duration // a whole request, body included (default 30 s)
	Write      time.Duration // from the end of the headers to the end of the answer (default 2 min)
	Idle       time.Duration // a keep-alive connection between requests (default 2 min)
	Shutdown   time.Duration // the grace for requests under way at shutdown (default 10 s)
}

// Default HTTP timeouts (see HTTPTimeouts).
const (
	DefaultReadHeaderTimeout = 10 * time.Second
	DefaultReadTimeout       = 30 * time.Second
	DefaultWriteTimeout      = 2 * time.Minute
	DefaultIdleTimeout       = 2 * time.Minute
	DefaultShutdownGrace     = 10 * time.Second
)

// Server serves asyncplay.
type Server struct {
	cfg     Config
	log     *slog.Logger
	e       *echo.Echo
	reg     *scenarios.Registry
	catalog *lessons.Catalog
	code    map[string][2]web.Code // highlighted Python and Go, by scenario id
	codeCSS []byte
	runner  *scenarios.Runner
	runs    *runStore
	queue   *runQueue
	pages   *pageCache // rendered lesson pages (not used with Dev)

	benchOnce sync.Once   // compresses Config.BenchBlob on first use
	benchPage *cachedPage // Config.BenchBlob as a page

	count counters

	classState

	socketsMu   sync.Mutex
	socketsByIP map[string]int

	// Config.HTTP with its defaults filled in; tests shorten them.
	readHeaderTimeout, readTimeout, writeTimeout, idleTimeout, shutdownGrace time.Duration

	// base ends when the server shuts down; every WebSocket watches it.
	base context.Context
	stop context.CancelFunc
	ws   sync.WaitGroup
}

// New checks the content and builds the server. An error names the file or
// scenario at fault.
func New(cfg Config) (*Server, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.FrameEvery <= 0 {
		cfg.FrameEvery = 100 * time.Millisecond
	}
	if cfg.PingEvery <= 0 {
		cfg.PingEvery = 15 * time.Second
	}
	s := &Server{cfg: cfg, log: cfg.Logger, reg: scenarios.Default(), code: map[string][2]web.Code{}}
	cat, err := lessons.Load(cfg.Lessons, s.scenarioParams)
	if err != nil {
		return nil, fmt.Errorf("load lessons: %w", err)
	}
	s.catalog = cat
	for _, l := range cat.Lessons {
		for _, id := range l.Scenarios {
			if _, done := s.code[id]; done {
				continue
			}
			sc := s.reg.Get(id)
			py := sc.PythonSource()
			pyCode, err := web.Highlight(py.Name, "python", py.Code, py.FirstLine)
			if err != nil {
				return nil, err
			}
			gs := sc.GoSource()
			goCode, err := web.Highlight(gs.Name, "go", gs.Code, gs.FirstLine)
			if err != nil {
				return nil, err
			}
			s.code[id] = [2]web.Code{pyCode, goCode}
		}
	}
	css, err := web.CodeCSS()
	if err != nil {
		return nil, fmt.Errorf("code stylesheet: %w", err)
	}
	s.codeCSS = []byte(css)
	starting := cfg.MaxStarting
	if starting <= 0 {
		starting = max(1, runtime.NumCPU()/2)
	}
	s.runner = &scenarios.Runner{Python: cfg.Python, NoPython: cfg.NoPython,
		Deadline: cfg.RunDeadline, MaxEvents: cfg.RunMaxEvents,
		GoWorker: cfg.GoWorker, LiveWorkers: &s.count.goWorkers, PythonNice: cfg.PythonNice,
		GoStarts: make(chan struct{}, starting), PythonStarts: make(chan struct{}, starting),
		WaitingToStart: &s.count.waitingToStart}
	if s.cfg.RequestsPerSecond <= 0 {
		s.cfg.RequestsPerSecond = 20
	}
	if s.cfg.RequestBurst <= 0 {
		s.cfg.RequestBurst = 100
	}
	if s.cfg.SocketsPerIP <= 0 {
		s.cfg.SocketsPerIP = 8
	}
	s.socketsByIP = map[string]int{}
	s.cfg.Class.defaults()
	s.rooms, s.hubs = map[string]*room{}, map[string]*hub{}
	s.joins = middleware.NewRateLimiterMemoryStoreWithConfig(middleware.RateLimiterMemoryStoreConfig{
		Rate: s.cfg.Class.JoinRate, Burst: s.cfg.Class.JoinBurst, ExpiresIn: 3 * time.Minute})
	s.classPages = middleware.NewRateLimiterMemoryStoreWithConfig(middleware.RateLimiterMemoryStoreConfig{
		Rate: 2 * s.cfg.Class.JoinRate, Burst: 2 * s.cfg.Class.JoinBurst, ExpiresIn: 3 * time.Minute})
	s.runs = newRunStore(cfg.MaxRuns, cfg.MaxRunBytes)
	if s.cfg.RunSlots <= 0 {
		s.cfg.RunSlots = max(2, runtime.NumCPU())
	}
	if s.cfg.RunsPerIP <= 0 {
		s.cfg.RunsPerIP = 2
	}
	if s.cfg.MaxPython <= 0 {
		s.cfg.MaxPython = s.cfg.RunSlots
	}
	s.runner.PythonSlots = make(chan struct{}, s.cfg.MaxPython)
	s.queue = newRunQueue(s.cfg.RunSlots, s.cfg.RunsPerIP)
	s.queue.tellEvery = s.cfg.FrameEvery
	s.pages = newPageCache(0)
	h := cfg.HTTP
	s.readHeaderTimeout = cmp.Or(h.ReadHeader, DefaultReadHeaderTimeout)
	s.readTimeout = cmp.Or(h.Read, DefaultReadTimeout)
	s.writeTimeout = cmp.Or(h.Write, DefaultWriteTimeout)
	s.idleTimeout = cmp.Or(h.Idle, DefaultIdleTimeout)
	s.shutdownGrace = cmp.Or(h.Shutdown, DefaultShutdownGrace)
	s.base, s.stop = context.WithCancel(context.Background())
	s.e = echo.NewWithConfig(echo.Config{
		Logger:           cfg.Logger,
		HTTPErrorHandler: s.handleError,
		IPExtractor:      echo.ExtractIPDirect(),
	})
	s.routes()
	return s, nil
}

// ServeHTTP lets the server be used as an http.Handler (tests go through it).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.e.ServeHTTP(w, r) }

// scenarioParams tells the lesson loader which scenarios exist and what
// parameters each has.
func (s *Server) scenarioParams(id string) ([]string, bool) {
	sc := s.reg.Get(id)
	if sc == nil {
		return nil, false
	}
	names := make([]string, len(sc.Params))
	for i, p := range sc.Params {
		names[i] = p.Name
	}
	return names, true
}

// lessonsNow is the catalog to serve: reloaded from disk in dev mode.
func (s *Server) lessonsNow() (*lessons.Catalog, error) {
	if !s.cfg.Dev {
		return s.catalog, nil
	}
	return lessons.Load(s.cfg.Lessons, s.scenarioParams)
}

// Serve accepts connections on ln until ctx ends, then shuts down: open
// WebSockets are told (close 1001), their runs and visitors' own programs
// cancelled and their Python processes killed; it returns once every
// handler has finished, or after the grace period, saying what was still
// under way.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	// ReadTimeout bounds the whole request, body included; no route takes a
	// body over 64 KiB but the own-code form (ownBodyMax, 292 KiB, on
	// loopback). WriteTimeout runs from the end of the request's headers to
	// the end of the response, so it bounds the handler and the write
	// together. The slowest handler is POST /{lang}/own (up to 20 s
	// waiting for its turn to start and 25 s running); the largest responses
	// are replay pages, and one with both sides at the 20,000-event cap is
	// about 12 MB, 850 KB gzipped, which two minutes lets through at 7 KB/s.
	// Neither timeout reaches a WebSocket: net/http clears both deadlines
	// when a handler hijacks the connection, and coder/websocket sets none
	// of its own on it (TestTimeoutsSpareWebSockets).
	hs := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: s.readHeaderTimeout,
		ReadTimeout:       s.readTimeout,
		WriteTimeout:      s.writeTimeout,
		IdleTimeout:       s.idleTimeout,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		s.halt()
		s.waitAll()
		return err
	case <-ctx.Done():
	}
	grace, cancel := context.WithTimeout(context.Background(), s.shutdownGrace)
	defer cancel()
	s.halt() // tells every WebSocket to close with 1001 and cancels its run; own-code runs watch s.base too
	err := hs.Shutdown(grace)
	if err != nil {
		err = fmt.Errorf("shutdown: HTTP requests still under way after the grace period: %w", err)
	}
	done := make(chan struct{})
	go func() { s.waitAll(); close(done) }()
	select {
	case <-done:
	case <-grace.Done():
		// A request that held Shutdown to the end of the grace leaves no
		// time for the sockets, which it did not wait for: those already
		// closed finish in an instant, and only what is still open after
		// that moment is reported (this once named WebSockets when a
		// plain request was what stayed).
		select {
		case <-done:
		case <-time.After(250 * time.Millisecond):
			err = errors.Join(err, errors.New("shutdown: WebSockets or class runs still open after the grace period"))
		}
	}
	if serveErr := <-errc; serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed) {
		err = errors.Join(err, serveErr)
	}
	return err
}

// Close stops every WebSocket and waits for them (for tests that use
// ServeHTTP without Serve).
func (s *Server) Close() {
	s.halt()
	s.waitAll()
}

// halt stops taking work: sockets close with 1001, runs are cancelled, no
// class starts a room or a run.
func (s *Server) halt() {
	s.stop()
	s.classMu.Lock()
	s.classClosed = true
	s.classMu.Unlock()
}

// waitAll waits for every socket, room and class run to finish.
func (s *Server) waitAll() {
	s.ws.Wait()
	s.classWG.Wait()
	s.queue.stop()
}

// render writes a templ component as an HTML response.
func render(c *echo.Context, status int, comp templ.Component) error {
	var buf bytes.Buffer
	if err := comp.Render(c.Request().Context(), &buf); err != nil {
		return fmt.Errorf("render: %w", err)
	}
	return c.HTMLBlob(status, buf.Bytes())
}

func goName() string { return "Go " + runtime.Version()[2:] }
