package server

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
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
		return &visitorError{status: http.StatusBadRequest, msg: web.ProblemText(lang, probs[0])}
	}
	if !s.originAllowed(c.Request()) {
		return &visitorError{status: http.StatusForbidden, why: "this page's origin may not open a run"}
	}
	// The origin is checked above, scheme and all; the library's own check
	// compares hosts only.
	conn, err := websocket.Accept(c.Response(), c.Request(), &websocket.AcceptOptions{InsecureSkipVerify: true})
	if err != nil {
		return nil // Accept has written the response
	}
	ip := c.RealIP()
	if !s.takeSocket(ip) {
		s.ws.Add(1)
		defer s.ws.Done()
		defer conn.CloseNow()
		conn.Close(websocket.StatusPolicyViolation, "too many open connections from your address")
		return nil
	}
	s.ws.Add(1)
	s.count.sockets.Add(1)
	rs := &runSocket{s: s, conn: conn, lang: lang, slug: l.Slug, sc: sc, vals: vals, ip: ip,
		reqID: c.Response().Header().Get(echo.HeaderXRequestID)}
	rs.begin()
	// The socket outlives this handler: the net/http goroutine that ran it
	// goes, and a visitor waiting in line costs only the socket's reader.
	return nil
}

// runSocket is one visitor's run socket, from its upgrade until it closes.
// It waits in line, runs, and streams frames. While it waits it holds no
// goroutine but its reader: the line tells it its place and its turn
// (lineWatcher), and a timer pings it.
type runSocket struct {
	s    *Server
	conn *websocket.Conn
	lang string
	slug string
	sc   *scenario.Scenario
	vals scenario.Values
	ip   string // counted against SocketsPerIP until finish
	// reqID is the upgrade request's id (X-Request-Id), which the run's
	// log lines carry, so they can be found beside the request's own.
	reqID string

	ctx        context.Context // ends when the visitor goes or the server stops
	cancel     context.CancelFunc
	readerDone chan struct{}
	stopWatch  func() bool // the peer-gone watch on ctx
	stopWait   func() bool // the abandon-the-line watch on ctx
	tk         *ticket

	mu      sync.Mutex
	state   int // waiting, running or over
	shown   int // the place in line last sent
	want    int // the place in line to send
	writing bool
	ping    *time.Timer
	bg      sync.WaitGroup // pings and place writes under way
	wmu     sync.Mutex     // held by a place write; the run starts after it
}

const (
	waiting = iota
	running
	over
)

// begin starts the reader, joins the line and arms the ping.
func (rs *runSocket) begin() {
	s, conn := rs.s, rs.conn
	// This socket carries frames one way: a reader answers pings and
	// notices the peer closing, and ends the run when anything else
	// arrives (a message, or a frame header claiming more than the read
	// limit), dropping the connection at once rather than reading what it
	// claims. The reader must not watch the server's context: a cancelled
	// read drops the connection without the close frame that says why.
	conn.SetReadLimit(1 << 10)
	gone, peerGone := context.WithCancel(context.Background())
	rs.readerDone = make(chan struct{})
	go func() {
		defer close(rs.readerDone)
		defer peerGone()
		_, _, _ = conn.Reader(gone)
	}()
	rs.ctx, rs.cancel = context.WithCancel(context.WithValue(s.base, requestIDKey{}, rs.reqID))
	rs.stopWatch = context.AfterFunc(gone, rs.cancel)
	rs.mu.Lock()
	defer rs.mu.Unlock() // admitted and abandon wait for rs.tk
	rs.stopWait = context.AfterFunc(rs.ctx, rs.abandon)
	rs.ping = time.AfterFunc(s.cfg.PingEvery, rs.pingPeer)
	rs.tk = s.queue.joinWatched(rs.ip, rs)
}

// abandon leaves the line when the visitor goes, or the server stops,
// before the run's turn came.
func (rs *runSocket) abandon() {
	rs.mu.Lock()
	if rs.state != waiting {
		rs.mu.Unlock()
		return // the run sees ctx end itself
	}
	rs.state = over
	rs.ping.Stop()
	rs.mu.Unlock()
	rs.tk.leave()
	if rs.s.base.Err() != nil {
		rs.conn.Close(websocket.StatusGoingAway, "server shutting down")
	}
	rs.finish()
}

// admitted runs when the ticket gets its slot (lineWatcher).
func (rs *runSocket) admitted() {
	rs.mu.Lock()
	if rs.state != waiting {
		rs.mu.Unlock()
		return // abandoned: leave gave the slot back
	}
	rs.state = running
	rs.ping.Stop()
	rs.mu.Unlock()
	rs.stopWait()
	rs.wmu.Lock() // a place in line being written goes out before the first frame
	rs.wmu.Unlock()
	rs.run()
	rs.tk.leave()
	rs.finish()
}

// place sends the place in line when it changed (lineWatcher); one write
// at a time, the newest place winning.
func (rs *runSocket) place(pos int) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if rs.state != waiting || pos <= 0 {
		return
	}
	rs.want = pos
	if rs.writing || rs.want == rs.shown {
		return
	}
	rs.writing = true
	rs.bg.Add(1)
	go rs.writePlaces()
}

func (rs *runSocket) writePlaces() {
	defer rs.bg.Done()
	for {
		rs.wmu.Lock()
		rs.mu.Lock()
		pos := rs.want
		if rs.state != waiting || pos == rs.shown {
			rs.writing = false
			rs.mu.Unlock()
			rs.wmu.Unlock()
			return
		}
		rs.shown = pos
		rs.mu.Unlock()
		var buf bytes.Buffer
		err := web.Queued(rs.lang, pos).Render(context.Background(), &buf)
		if err == nil {
			wctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
			err = rs.conn.Write(wctx, websocket.MessageText, buf.Bytes())
			cancel()
		}
		rs.wmu.Unlock()
		if err != nil {
			rs.mu.Lock()
			rs.writing = false
			rs.mu.Unlock()
			rs.cancel() // a visitor who cannot take a write leaves the line
			return
		}
	}
}

// pingPeer pings a socket waiting in line: it gets no frames while its
// place holds, and a ping finds out whether the visitor is still there.
func (rs *runSocket) pingPeer() {
	rs.mu.Lock()
	if rs.state != waiting {
		rs.mu.Unlock()
		return
	}
	rs.bg.Add(1)
	rs.mu.Unlock()
	defer rs.bg.Done()
	pctx, cancel := context.WithTimeout(rs.ctx, writeTimeout)
	err := rs.conn.Ping(pctx)
	cancel()
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if err != nil {
		rs.cancel()
		return
	}
	if rs.state == waiting {
		rs.ping.Reset(rs.s.cfg.PingEvery)
	}
}

// finish closes the socket, waits for its goroutines and gives back what
// it counted.
func (rs *runSocket) finish() {
	s := rs.s
	rs.conn.CloseNow()
	<-rs.readerDone
	rs.bg.Wait()
	rs.stopWatch()
	rs.cancel()
	s.giveSocket(rs.ip)
	s.count.sockets.Add(-1)
	s.ws.Done()
}

// run runs the scenario and streams its frames until it ends, the visitor
// goes or the server stops.
func (rs *runSocket) run() {
	s, conn, ctx, sc := rs.s, rs.conn, rs.ctx, rs.sc
	st, done := s.startRun(ctx, rs.lang, sc, rs.vals)
	first := true // the first frame announces the start
	// Runs started together (a room of visitors pressing Run at once)
	// would all draw a frame in the same instant every tick, and the last
	// in that queue waits for all the others; a random phase per run
	// spreads the drawing over the tick.
	tick := time.NewTimer(rand.N(s.cfg.FrameEvery))
	defer tick.Stop()
	var buf bytes.Buffer // each frame is drawn over the last, at its size
	for {
		select {
		case <-done:
			runID := s.runs.put(st.stored(rs.slug, sc.ID, rs.vals.Query()))
			if err := s.sendFrame(conn, &buf, st, true, runID, rs.slug, rs.vals.Query().Encode(), "play-"+sc.ID+"-announce"); err != nil {
				return
			}
			conn.Close(websocket.StatusNormalClosure, "run finished")
			return
		case <-ctx.Done():
			<-done // the run's goroutines and processes are gone
			if s.base.Err() != nil {
				conn.Close(websocket.StatusGoingAway, "server shutting down")
			}
			return
		case <-tick.C:
			announce := ""
			if first {
				announce, first = "play-"+sc.ID+"-announce", false
			}
			if err := s.sendFrame(conn, &buf, st, false, "", "", "", announce); err != nil {
				s.count.dropped.Add(1)
				rs.cancel()
				<-done
				return
			}
			tick.Reset(s.cfg.FrameEvery)
		}
	}
}

// requestIDKey is the context key of the id of the request a run came
// from, as the request log names it ("id").
type requestIDKey struct{}

// startRun runs sc with vals on both runtimes until they end or ctx does;
// done closes when the run's goroutines and processes are gone. The state
// collects the events for frames.
func (s *Server) startRun(ctx context.Context, lang string, sc *scenario.Scenario, vals scenario.Values) (*runState, <-chan struct{}) {
	st := newRunState(lang, s.sideNames(), capsOf(sc, vals))
	st.events, st.log, st.bounds = &s.count.events, s.log, s.runBounds()
	if id, _ := ctx.Value(requestIDKey{}).(string); id != "" {
		st.log = s.log.With("id", id)
	}
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

func (s *Server) sideNames() map[scenarios.Runtime]string {
	py := "CPython"
	if s.cfg.Python != nil {
		py = "CPython " + s.cfg.Python.Version
	}
	return map[scenarios.Runtime]string{scenarios.Python: py, scenarios.Go: goName()}
}

// sendFrame draws one frame in buf and writes it. Its deadline is its own,
// not the run's: a write interrupted by a cancelled context drops the
// connection, and a shutting-down server still owes the visitor a close
// frame that says why.
func (s *Server) sendFrame(conn *websocket.Conn, buf *bytes.Buffer, st *runState, final bool, runID, lesson, query, announceID string) error {
	f := st.frame(final)
	f.RunID, f.Lesson, f.Query = runID, lesson, query
	if announceID != "" {
		f.AnnounceID, f.Announce = announceID, web.T(st.lang, "announce.started")
		if final {
			f.Announce = f.Summary()
		}
	}
	buf.Reset()
	if err := web.Frame(f).Render(context.Background(), buf); err != nil {
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
	bounds runBounds     // the run's limits, which a side's failure may name
}

// side is one runtime's part of a run: its events so far and how it ended.
type side struct {
	tl     timeline.Timeline
	ended  bool
	status string // "running", "finished", "failed", "unavailable"
	// errs is what the visitor reads when the side failed or could not
	// run, in each of the site's languages: a stored run's replay, or an
	// export, may be read in another language than the run's.
	errs map[string]string
	// A side's event times count from its own process's start, which may
	// come well after the run's (a turn to wait, an interpreter to boot).
	// lag is how far behind the run's clock the side's is, so live frames
	// draw the side at its own now. Each event's arrival less its time can
	// only overstate it (a tracer may hold an event back a while), so the
	// least over the events so far is the estimate.
	lag  time.Duration
	seen bool
	// until is the side's own clock when its end was seen (see
	// web.Side.Until).
	until time.Duration
	// cache keeps the side's drawing once it has ended, for the frames
	// drawn while the other side goes on. Frames are drawn one at a time
	// (by the run's socket, or by its class), never two at once.
	cache web.SideCache
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
	sd := st.sides[rt]
	if l := max(time.Since(st.start)-e.At, 0); !sd.seen || l < sd.lag {
		sd.seen, sd.lag = true, l
	}
	sd.tl.Add(e)
	st.mu.Unlock()
}

func (st *runState) End(rt scenarios.Runtime, err error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	sd := st.sides[rt]
	sd.ended = true
	if sd.seen {
		sd.until = max(time.Since(st.start)-sd.lag, 0)
	}
	switch {
	case errors.Is(err, scenarios.ErrNoPython):
		sd.status, sd.errs = "unavailable", inEveryLanguage(func(lang string) string { return web.T(lang, "run.nopython") })
	case err != nil:
		b := st.bounds
		b.started = sd.seen
		sd.status, sd.errs = "failed", inEveryLanguage(func(lang string) string { return stopText(lang, rt, err, b) })
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
		Errs: map[scenarios.Runtime]map[string]string{}, Finished: time.Now()}
	for rt, sd := range st.sides {
		r.Events[rt] = append([]timeline.Event(nil), sd.tl.Events()...)
		r.Status[rt], r.Errs[rt] = sd.status, sd.errs
	}
	return r
}

// runBounds are the limits this server gives each run.
func (s *Server) runBounds() runBounds {
	return runBounds{deadline: cmp.Or(s.cfg.RunDeadline, scenarios.DefaultDeadline),
		maxEvents: cmp.Or(s.cfg.RunMaxEvents, scenarios.DefaultMaxEvents)}
}
