package server

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"time"

	"github.com/coder/websocket"
	"github.com/labstack/echo/v5"

	"github.com/asyncplay/asyncplay/scenarios"
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
	conn, err := websocket.Accept(c.Response(), c.Request(), nil)
	if err != nil {
		return nil // Accept has written the response
	}
	s.ws.Add(1)
	defer s.ws.Done()
	defer conn.CloseNow()

	// The run lives until the visitor goes (CloseRead's context ends when
	// the peer closes or sends anything) or the server shuts down. The
	// reader must not watch the server's context itself: a cancelled read
	// drops the connection without the close frame that says why.
	gone := conn.CloseRead(context.Background())
	ctx, cancel := context.WithCancel(s.base)
	defer cancel()
	stopWatch := context.AfterFunc(gone, cancel)
	defer stopWatch()

	st := newRunState(lang, s.sideNames())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = s.runner.Run(ctx, sc, vals, st)
	}()

	tick := time.NewTicker(s.cfg.FrameEvery)
	defer tick.Stop()
	for {
		select {
		case <-done:
			if err := s.sendFrame(conn, st, true); err != nil {
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
			if err := s.sendFrame(conn, st, false); err != nil {
				cancel()
				<-done
				return nil
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
func (s *Server) sendFrame(conn *websocket.Conn, st *runState, final bool) error {
	var buf bytes.Buffer
	if err := web.Frame(st.frame(final)).Render(context.Background(), &buf); err != nil {
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
	start time.Time

	mu    sync.Mutex
	tl    map[scenarios.Runtime]*timeline.Timeline
	ended map[scenarios.Runtime]bool
	errs  map[scenarios.Runtime]error
}

var _ scenarios.Sink = (*runState)(nil)

func newRunState(lang string, names map[scenarios.Runtime]string) *runState {
	st := &runState{lang: lang, names: names, start: time.Now(),
		tl: map[scenarios.Runtime]*timeline.Timeline{}, ended: map[scenarios.Runtime]bool{}, errs: map[scenarios.Runtime]error{}}
	for _, rt := range scenarios.Runtimes {
		st.tl[rt] = &timeline.Timeline{}
	}
	return st
}

func (st *runState) Event(rt scenarios.Runtime, e timeline.Event) {
	st.mu.Lock()
	st.tl[rt].Add(e)
	st.mu.Unlock()
}

func (st *runState) End(rt scenarios.Runtime, err error) {
	st.mu.Lock()
	st.ended[rt], st.errs[rt] = true, err
	st.mu.Unlock()
}

// frame draws both runtimes at the current instant (or, once final, at the
// end of the later one), on one clock.
func (st *runState) frame(final bool) web.RunFrame {
	st.mu.Lock()
	defer st.mu.Unlock()
	now := time.Since(st.start)
	if final {
		now = 0
		for _, rt := range scenarios.Runtimes {
			now = max(now, st.tl[rt].Last())
		}
	}
	f := web.RunFrame{Lang: st.lang, Now: now, Scale: web.Scale(now), Finished: final}
	for _, rt := range scenarios.Runtimes {
		tl := st.tl[rt]
		at := now
		if st.ended[rt] {
			at = tl.Last()
		}
		v := tl.At(at)
		side := web.SideView{Runtime: rt, Name: st.names[rt], View: v, Status: "running"}
		switch err := st.errs[rt]; {
		case st.ended[rt] && errors.Is(err, scenarios.ErrNoPython):
			side.Status, side.Err = "unavailable", web.T(st.lang, "run.nopython")
		case st.ended[rt] && err != nil:
			side.Status, side.Err = "failed", visitorMessage(err)
		case st.ended[rt]:
			side.Status = "finished"
		}
		side.Conns = timeline.Pack(v)
		if st.ended[rt] || final {
			step := timeline.Step(now, 72)
			side.Packed = timeline.ConnectionsText(side.Conns, step, web.T(st.lang, "run.connection"))
			side.Text = timeline.Text(v, step)
		}
		f.Sides = append(f.Sides, side)
	}
	return f
}

// visitorMessage is the sentence a visitor sees for a runtime's error.
func visitorMessage(err error) string {
	if errors.Is(err, scenarios.ErrPanic) {
		return scenarios.ErrPanic.Error()
	}
	return err.Error()
}
