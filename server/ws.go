package server

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"github.com/labstack/echo/v5"

	"github.com/asyncplay/asyncplay/scenarios"
	"github.com/asyncplay/asyncplay/scenarios/scenario"
	"github.com/asyncplay/asyncplay/scenarios/timeline"
	"github.com/asyncplay/asyncplay/web"
)

// writeTimeout bounds each frame's write: a peer that stops reading is
// dropped rather than waited for.
const writeTimeout = 5 * time.Second

// handleRunSocket runs a scenario on both runtimes and streams frames of its
// timeline over a WebSocket until the run ends, the visitor leaves, or the
// server shuts down. Parameters are checked again here: a refused one is a
// 400 before any upgrade, and nothing runs.
func (s *Server) handleRunSocket(c *echo.Context) error {
	lang, l, err := s.lesson(c)
	if err != nil {
		return err
	}
	sc := s.scenarioOf(l, c.Param("scenario"))
	if sc == nil {
		return echo.ErrNotFound
	}
	vals, probs := sc.Parse(c.QueryParams())
	if len(probs) > 0 {
		return echo.NewHTTPError(400, web.ProblemText(lang, probs[0]))
	}
	if !s.originAllowed(c.Request()) {
		return echo.NewHTTPError(http.StatusForbidden, "this page's origin may not open a run")
	}
	// The origin is checked above, scheme and all; the library's own check
	// compares hosts only.
	conn, err := websocket.Accept(c.Response(), c.Request(), &websocket.AcceptOptions{InsecureSkipVerify: true})
	if err != nil {
		return nil // Accept has written the response
	}
	s.ws.Add(1)
	defer s.ws.Done()
	defer conn.CloseNow()
	s.count.sockets.Add(1)
	defer s.count.sockets.Add(-1)
	ip := c.RealIP()
	if !s.takeSocket(ip) {
		conn.Close(websocket.StatusPolicyViolation, "too many open connections from your address")
		return nil
	}
	defer s.giveSocket(ip)

	// The run lives until the visitor goes or the server shuts down. This
	// socket carries frames one way: a reader answers pings and notices the
	// peer closing, and ends the run when anything else arrives (a message,
	// or a frame header claiming more than the read limit), dropping the
	// connection at once rather than reading what it claims. The reader
	// must not watch the server's context: a cancelled read drops the
	// connection without the close frame that says why.
	conn.SetReadLimit(1 << 10)
	gone, peerGone := context.WithCancel(context.Background())
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		defer peerGone()
		_, _, _ = conn.Reader(gone)
	}()
	defer func() {
		conn.CloseNow()
		<-readerDone
	}()
	ctx, cancel := context.WithCancel(s.base)
	defer cancel()
	stopWatch := context.AfterFunc(gone, cancel)
	defer stopWatch()

	// Wait for a slot, showing the visitor their place in line.
	tk := s.queue.join(c.RealIP())
	defer tk.leave()
	if err := s.waitTurn(ctx, conn, tk, lang); err != nil {
		if s.base.Err() != nil {
			conn.Close(websocket.StatusGoingAway, "server shutting down")
		}
		return nil
	}

	st, done := s.startRun(ctx, lang, sc, vals)

	first := true // the first frame announces the start
	tick := time.NewTicker(s.cfg.FrameEvery)
	defer tick.Stop()
	for {
		select {
		case <-done:
			runID := s.runs.put(st.stored(l.Slug, sc.ID, vals.Query()))
			if err := s.sendFrame(conn, st, true, runID, l.Slug, vals.Query().Encode(), "play-"+sc.ID+"-announce"); err != nil {
				return nil
			}
			conn.Close(websocket.StatusNormalClosure, "run finished")
			return nil
		case <-ctx.Done():
			cancel()
			<-done // the run's goroutines and processes are gone
			if s.base.Err() != nil {
				conn.Close(websocket.StatusGoingAway, "server shutting down")
			}
			return nil
		case <-tick.C:
			announce := ""
			if first {
				announce, first = "play-"+sc.ID+"-announce", false
			}
			if err := s.sendFrame(conn, st, false, "", "", "", announce); err != nil {
				s.count.dropped.Add(1)
				cancel()
				<-done
				return nil
			}
		}
	}
}

// startRun runs sc with vals on both runtimes until they end or ctx does;
// done closes when the run's goroutines and processes are gone. The state
// collects the events for frames.
func (s *Server) startRun(ctx context.Context, lang string, sc *scenario.Scenario, vals scenario.Values) (*runState, <-chan struct{}) {
	st := newRunState(lang, s.sideNames(), capsOf(sc, vals))
	st.events, st.log = &s.count.events, s.log
	s.count.runs.Add(1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = s.runner.Run(ctx, sc, vals, st)
	}()
	return st, done
}

// takeSocket counts a run socket against its address; false when the
// address already has SocketsPerIP open.
func (s *Server) takeSocket(ip string) bool {
	s.socketsMu.Lock()
	defer s.socketsMu.Unlock()
	if s.socketsByIP[ip] >= s.cfg.SocketsPerIP {
		return false
	}
	s.socketsByIP[ip]++
	return true
}

func (s *Server) giveSocket(ip string) {
	s.socketsMu.Lock()
	defer s.socketsMu.Unlock()
	if s.socketsByIP[ip]--; s.socketsByIP[ip] <= 0 {
		delete(s.socketsByIP, ip)
	}
}

// waitTurn blocks until tk is admitted, sending a frame with the place in
// line whenever it changes; it returns ctx's error if the visitor leaves or
// the server stops first.
func (s *Server) waitTurn(ctx context.Context, conn *websocket.Conn, tk *ticket, lang string) error {
	last := -1
	tick := time.NewTicker(s.cfg.FrameEvery)
	defer tick.Stop()
	ping := time.NewTicker(s.cfg.PingEvery)
	defer ping.Stop()
	for {
		select {
		case <-tk.ready:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		case <-ping.C:
			// A visitor waiting in line gets no frames while their place
			// holds; a ping finds out whether they are still there.
			pctx, cancel := context.WithTimeout(ctx, writeTimeout)
			err := conn.Ping(pctx)
			cancel()
			if err != nil {
				return err
			}
		case <-tick.C:
			pos := tk.position()
			if pos == last || pos == 0 {
				continue
			}
			last = pos
			var buf bytes.Buffer
			if err := web.Queued(lang, pos).Render(context.Background(), &buf); err != nil {
				return err
			}
			wctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
			err := conn.Write(wctx, websocket.MessageText, buf.Bytes())
			cancel()
			if err != nil {
				return err
			}
		}
	}
}

func (s *Server) sideNames() map[scenarios.Runtime]string {
	py := "CPython"
	if s.cfg.Python != nil {
		py = "CPython " + s.cfg.Python.Version
	}
	return map[scenarios.Runtime]string{scenarios.Python: py, scenarios.Go: goName()}
}

// sendFrame writes one frame. Its deadline is its own, not the run's: a
// write interrupted by a cancelled context drops the connection, and a
// shutting-down server still owes the visitor a close frame that says why.
func (s *Server) sendFrame(conn *websocket.Conn, st *runState, final bool, runID, lesson, query, announceID string) error {
	f := st.frame(final)
	f.RunID, f.Lesson, f.Query = runID, lesson, query
	if announceID != "" {
		f.AnnounceID, f.Announce = announceID, web.T(st.lang, "announce.started")
		if final {
			f.Announce = f.Summary()
		}
	}
	var buf bytes.Buffer
	if err := web.Frame(f).Render(context.Background(), &buf); err != nil {
		return err
	}
	wctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
	defer cancel()
	return conn.Write(wctx, websocket.MessageText, buf.Bytes())
}

// runState collects a live run's events from both runtimes; it is the run's
// scenarios.Sink, and draws frames from what it has.
type runState struct {
	lang  string
	names map[scenarios.Runtime]string
	caps  [2]int
	start time.Time

	mu     sync.Mutex
	sides  map[scenarios.Runtime]*side
	events *atomic.Int64 // the server's event counter, if any
	log    *slog.Logger  // where a side's failure is logged in full, if set
}

// side is one runtime's part of a run: its events so far and how it ended.
type side struct {
	tl     timeline.Timeline
	ended  bool
	status string // "running", "finished", "failed", "unavailable"
	err    string // what the visitor reads when it failed
}

var _ scenarios.Sink = (*runState)(nil)

func newRunState(lang string, names map[scenarios.Runtime]string, caps [2]int) *runState {
	st := &runState{lang: lang, names: names, caps: caps, start: time.Now(), sides: map[scenarios.Runtime]*side{}}
	for _, rt := range scenarios.Runtimes {
		st.sides[rt] = &side{status: "running"}
	}
	return st
}

func (st *runState) Event(rt scenarios.Runtime, e timeline.Event) {
	if st.events != nil {
		st.events.Add(1)
	}
	st.mu.Lock()
	st.sides[rt].tl.Add(e)
	st.mu.Unlock()
}

func (st *runState) End(rt scenarios.Runtime, err error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	sd := st.sides[rt]
	sd.ended = true
	switch {
	case errors.Is(err, scenarios.ErrNoPython):
		sd.status, sd.err = "unavailable", web.T(st.lang, "run.nopython")
	case err != nil:
		sd.status, sd.err = "failed", visitorMessage(err)
		if st.log != nil && !errors.Is(err, context.Canceled) {
			var stack string
			if pe := (*scenarios.PanicError)(nil); errors.As(err, &pe) {
				stack = pe.Stack
			}
			st.log.Warn("run side failed", "runtime", string(rt), "err", err, "stack", stack)
		}
	default:
		sd.status = "finished"
	}
}

// frame draws both runtimes at the current instant (or, once final, at the
// end of the later one), on one clock.
func (st *runState) frame(final bool) web.RunFrame {
	st.mu.Lock()
	defer st.mu.Unlock()
	return buildFrame(st.lang, st.names, st.sides, time.Since(st.start), final, st.caps)
}

// stored copies the finished run for the run store.
func (st *runState) stored(lesson, scenario string, q url.Values) *storedRun {
	st.mu.Lock()
	defer st.mu.Unlock()
	r := &storedRun{Lesson: lesson, Scenario: scenario, Query: q, Names: st.names,
		Events: map[scenarios.Runtime][]timeline.Event{}, Status: map[scenarios.Runtime]string{},
		Errs: map[scenarios.Runtime]string{}, Finished: time.Now()}
	for rt, sd := range st.sides {
		r.Events[rt] = append([]timeline.Event(nil), sd.tl.Events()...)
		r.Status[rt], r.Errs[rt] = sd.status, sd.err
	}
	return r
}

// visitorMessage is the sentence a visitor sees for a runtime's error.
// A panic shows its value's first line (the scenario's own code panicked,
// so the value is ours, not the visitor's); its stack stays out of it.
func visitorMessage(err error) string {
	if pe := (*scenarios.PanicError)(nil); errors.As(err, &pe) {
		return pe.Error()
	}
	if errors.Is(err, scenarios.ErrPanic) {
		return scenarios.ErrPanic.Error()
	}
	return err.Error()
}
