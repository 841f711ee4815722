package server

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"html"
	"io"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/coder/websocket"
	"github.com/labstack/echo/v5"
	"golang.org/x/time/rate"

	"github.com/asyncplay/asyncplay/server/roombus"
	"github.com/asyncplay/asyncplay/web"
)

// hub is one instance's side of a room: the sockets of its students (and
// the teacher, if here) and the latest of each part of the page, kept
// current from the bus so a socket that joins or reconnects gets the
// room's state at once.
type hub struct {
	code string
	refs int    // sockets using the hub (guarded by Server.classMu)
	stop func() // ends the bus subscription

	mu    sync.Mutex
	conns map[*classConn]struct{}
	slots map[string]slotMsg
	ended bool
	// primed is set once an owner's snapshot has been merged: from then on
	// the bus keeps slots current, and a join need not carry the parts.
	primed bool
}

// classConn is one class socket. Its queue keeps only the newest message
// of each part of the page: every message replaces its part whole, so a
// socket that falls behind skips the frames it missed instead of queueing
// them, and is never more than one message per part behind.
type classConn struct {
	teacher bool
	student string
	kicked  chan struct{} // closed when the socket must go
	why     string        // why it was kicked (set before kicked closes)
	code    websocket.StatusCode
	once    sync.Once

	mu     sync.Mutex
	keys   []string          // parts waiting to be written, oldest first
	latest map[string][]byte // the newest message of each waiting part
	ready  chan struct{}     // holds a token while anything waits
}

func newClassConn(teacher bool, student string) *classConn {
	return &classConn{teacher: teacher, student: student, kicked: make(chan struct{}),
		latest: map[string][]byte{}, ready: make(chan struct{}, 1)}
}

// queue puts msg in line as the newest of its part, replacing one that has
// not been written yet. It never blocks.
func (c *classConn) queue(key string, msg []byte) {
	c.mu.Lock()
	if _, waiting := c.latest[key]; !waiting {
		c.keys = append(c.keys, key)
	}
	c.latest[key] = msg
	c.mu.Unlock()
	select {
	case c.ready <- struct{}{}:
	default:
	}
}

// next takes the oldest waiting part's newest message.
func (c *classConn) next() ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.keys) == 0 {
		return nil, false
	}
	k := c.keys[0]
	c.keys = c.keys[1:]
	msg := c.latest[k]
	delete(c.latest, k)
	return msg, true
}

// kick closes the socket with code and why; it reports whether this call
// was the one that did.
func (c *classConn) kick(code websocket.StatusCode, why string) (first bool) {
	c.once.Do(func() {
		c.code, c.why = code, why
		close(c.kicked)
		first = true
	})
	return first
}

func (c *classConn) wants(aud string) bool {
	switch aud {
	case audTeacher:
		return c.teacher
	case audStudent:
		return !c.teacher
	}
	return true
}

// deliver takes a message from the bus: it is kept as the latest of its
// part and passed to every socket it is for.
func (s *Server) deliver(h *hub, raw []byte) {
	var sl slotMsg
	if err := json.Unmarshal(raw, &sl); err != nil {
		s.log.Error("class message", "room", h.code, "err", err)
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if old, ok := h.slots[sl.Key]; ok && old.Seq >= sl.Seq {
		return
	}
	h.slots[sl.Key] = sl
	for c := range h.conns {
		if c.wants(sl.Aud) {
			c.queue(sl.Key, sl.Msg)
		}
	}
	if sl.End {
		h.ended = true
		for c := range h.conns {
			c.kick(websocket.StatusNormalClosure, "class ended")
		}
	}
}

// attach adds c to the hub and queues the room's current state for it:
// the snapshot from the owner merged with what the bus has brought since.
func (s *Server) attach(h *hub, c *classConn, snapshot []slotMsg) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, sl := range snapshot {
		if old, ok := h.slots[sl.Key]; !ok || old.Seq < sl.Seq {
			h.slots[sl.Key] = sl
		}
	}
	if len(snapshot) > 0 {
		h.primed = true
	}
	parts := make([]slotMsg, 0, len(h.slots))
	for _, sl := range h.slots {
		if c.wants(sl.Aud) {
			parts = append(parts, sl)
		}
	}
	slices.SortFunc(parts, func(a, b slotMsg) int { return cmp.Compare(a.Seq, b.Seq) })
	for _, sl := range parts {
		c.queue(sl.Key, sl.Msg)
	}
	h.conns[c] = struct{}{}
	if h.ended {
		c.kick(websocket.StatusNormalClosure, "class ended")
	}
}

func (h *hub) detach(c *classConn) {
	h.mu.Lock()
	delete(h.conns, c)
	h.mu.Unlock()
}

// getHub returns the room's hub on this instance, subscribing to the room
// on the bus when it is the first socket here.
func (s *Server) getHub(code string) (*hub, error) {
	s.classMu.Lock()
	defer s.classMu.Unlock()
	if h := s.hubs[code]; h != nil {
		h.refs++
		return h, nil
	}
	h := &hub{code: code, refs: 1, conns: map[*classConn]struct{}{}, slots: map[string]slotMsg{}}
	stop, err := s.cfg.Class.Bus.Subscribe(code, func(msg []byte) { s.deliver(h, msg) })
	if err != nil {
		return nil, err
	}
	h.stop = stop
	s.hubs[code] = h
	return h, nil
}

func (s *Server) putHub(h *hub) {
	s.classMu.Lock()
	h.refs--
	last := h.refs == 0
	if last {
		delete(s.hubs, h.code)
	}
	s.classMu.Unlock()
	if last {
		h.stop() // not under any lock: a delivery may be waiting for one
	}
}

// ask sends a request to the room's owner, wherever it is.
func (s *Server) ask(ctx context.Context, code string, req roomReq) (roomResp, error) {
	b, _ := json.Marshal(req)
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	raw, err := s.cfg.Class.Bus.Request(ctx, code, b)
	if err != nil {
		return roomResp{}, err
	}
	var resp roomResp
	if err := json.Unmarshal(raw, &resp); err != nil {
		return roomResp{}, err
	}
	return resp, nil
}

// classPublish sends a part of the page to every instance in the room.
func (s *Server) classPublish(code string, sl slotMsg) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // the browser's message, byte for byte
	_ = enc.Encode(sl)
	if err := s.cfg.Class.Bus.Publish(code, buf.Bytes()); err != nil {
		s.log.Error("publish class message", "room", code, "err", err)
	}
}

// studentMsg is the one message a student's page sends: an answer. hx-ws
// sends the form's fields as strings, with htmx's headers beside them.
type studentMsg struct {
	Choice string `json:"choice"`
}

// maxStudentMsg bounds a student's message; an answer is a few dozen bytes
// plus htmx's headers.
const maxStudentMsg = 2 << 10

// parseAnswer reads a student's message: the index of the chosen answer.
func parseAnswer(b []byte) (int, error) {
	if len(b) > maxStudentMsg {
		return 0, errors.New("message too long")
	}
	var m studentMsg
	if err := json.Unmarshal(b, &m); err != nil {
		return 0, err
	}
	n, err := strconv.Atoi(m.Choice)
	if err != nil || n < 0 || n > 25 {
		return 0, errors.New("no such choice")
	}
	return n, nil
}

// handleClassSocket is a class's WebSocket, for a student or the teacher.
// It carries the room's parts one way, and a student's answers the other.
func (s *Server) handleClassSocket(c *echo.Context) error {
	code := normalizeCode(c.Param("code"))
	if code == "" {
		return echo.ErrNotFound
	}
	if !s.originAllowed(c.Request()) {
		return &visitorError{status: http.StatusForbidden, why: "this page's origin may not join a class"}
	}
	secret := cookieValue(c, teacherCookie)
	student := cookieValue(c, studentCookie)
	if student == "" {
		student = newSecret() // a page from before the cookie; answers last this socket
	}
	name := cookieValue(c, nameCookie)

	conn, err := websocket.Accept(c.Response(), c.Request(), &websocket.AcceptOptions{InsecureSkipVerify: true})
	if err != nil {
		return nil
	}
	s.ws.Add(1)
	defer s.ws.Done()
	defer conn.CloseNow()
	s.count.classSockets.Add(1)
	defer s.count.classSockets.Add(-1)
	conn.SetReadLimit(maxStudentMsg)

	h, err := s.getHub(code)
	if err != nil {
		conn.Close(websocket.StatusInternalError, "class service unavailable")
		return nil
	}
	defer s.putHub(h)
	join := roomReq{Op: "join", Student: student, Name: name}
	cc := newClassConn(false, student)
	if secret != "" {
		resp, err := s.ask(s.base, code, roomReq{Op: "auth", Secret: secret})
		cc.teacher = err == nil && resp.Err == ""
	}
	if cc.teacher {
		join = roomReq{Op: "join", Secret: secret}
	}
	h.mu.Lock()
	join.Have = h.primed
	h.mu.Unlock()
	resp, err := s.ask(s.base, code, join)
	switch {
	case errors.Is(err, roombus.ErrNoRoom) || resp.Err == "ended":
		s.closeWith(conn, code, resp.Lang, "class.ended", websocket.StatusNormalClosure, "no such class")
		return nil
	case err != nil:
		conn.Close(websocket.StatusTryAgainLater, "class service unavailable")
		return nil
	case resp.Err == "full":
		s.closeWith(conn, code, resp.Lang, "class.full", websocket.StatusPolicyViolation, "class is full")
		return nil
	case resp.Err != "":
		conn.Close(websocket.StatusPolicyViolation, "refused")
		return nil
	}
	defer func() {
		leave := roomReq{Op: "leave", Student: student}
		if cc.teacher {
			leave = roomReq{Op: "leave", Secret: secret}
		}
		_, _ = s.ask(context.Background(), code, leave)
	}()
	s.attach(h, cc, resp.Slots)
	defer h.detach(cc)
	if resp.Mine != "" {
		cc.queue("mine", encodeWS("#class-mine", s.renderString(web.ClassMine(resp.Lang, resp.Mine))))
	}

	// The reader takes answers (a student's only messages), at most a few
	// a second; anything else, or a flood, closes the socket.
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		lim := rate.NewLimiter(4, 8)
		for {
			b, err := readAnswer(conn, cc)
			if err != nil {
				cc.kick(websocket.StatusNormalClosure, "")
				return
			}
			if !lim.Allow() {
				cc.kick(websocket.StatusPolicyViolation, "too many messages")
				return
			}
			choice, err := parseAnswer(b)
			if err != nil || cc.teacher {
				cc.kick(websocket.StatusUnsupportedData, "a class socket takes only answers")
				return
			}
			r, err := s.ask(s.base, code, roomReq{Op: "answer", Student: student, Choice: choice})
			if err == nil && r.Err == "" {
				cc.queue("mine", encodeWS("#class-mine", s.renderString(web.ClassMine(r.Lang, r.Mine))))
			}
		}
	}()
	defer func() {
		conn.CloseNow()
		<-readerDone
	}()

	s.classWriter(conn, cc)
	return nil
}

// answerBodyWait is how long an answer's bytes may take to arrive once its
// frame has begun. An answer is a few bytes, sent whole; a frame whose
// header claims more (up to 2^63 bytes) and then trickles or stops would
// otherwise hold the socket until the next ping went unanswered.
const answerBodyWait = 5 * time.Second

// readAnswer waits, as long as it takes, for the next message on a class
// socket, then gives its bytes answerBodyWait to arrive (the read limit
// bounds how many) before it drops the socket.
func readAnswer(conn *websocket.Conn, cc *classConn) ([]byte, error) {
	_, r, err := conn.Reader(context.Background())
	if err != nil {
		return nil, err
	}
	late := time.AfterFunc(answerBodyWait, func() {
		// The peer is mid-frame, so no close handshake can finish: close
		// first, then tell the writer. (The other way round, the writer's
		// Close could start first and wait out its handshake, and CloseNow
		// would wait for that.)
		conn.CloseNow()
		cc.kick(websocket.StatusPolicyViolation, "an answer must arrive whole")
	})
	defer late.Stop()
	return io.ReadAll(r)
}

// classWriter is a class socket's writer: it writes cc's messages to conn
// in order and pings it, until cc is kicked (then it closes conn as the kick
// says), a write fails, or the server shuts down. It is the one path from a
// room's fan-out (deliver, send) to the wire.
func (s *Server) classWriter(conn *websocket.Conn, cc *classConn) {
	ping := time.NewTicker(s.cfg.PingEvery)
	defer ping.Stop()
	// write sends one message; a write that cannot finish within
	// WriteTimeout means the peer has stalled: it is dropped (and its
	// browser reconnects to the class as it is then).
	write := func(msg []byte) bool {
		wctx, cancel := context.WithTimeout(context.Background(), s.cfg.Class.WriteTimeout)
		defer cancel()
		if err := conn.Write(wctx, websocket.MessageText, msg); err != nil {
			if wctx.Err() != nil {
				s.count.classDropped.Add(1)
			}
			return false
		}
		return true
	}
	for {
		select {
		case <-cc.ready:
			for {
				msg, ok := cc.next()
				if !ok {
					break
				}
				if !write(msg) {
					return
				}
			}
		case <-cc.kicked:
			// Send what is waiting first: the class's last words, say.
			for cc.code == websocket.StatusNormalClosure {
				msg, ok := cc.next()
				if !ok || !write(msg) {
					break
				}
			}
			conn.Close(cc.code, cc.why)
			return
		case <-ping.C:
			pctx, cancel := context.WithTimeout(context.Background(), s.cfg.Class.WriteTimeout)
			err := conn.Ping(pctx)
			cancel()
			if err != nil {
				return
			}
		case <-s.base.Done():
			conn.Close(websocket.StatusGoingAway, "server shutting down")
			return
		}
	}
}

// closeWith tells the page why before closing.
func (s *Server) closeWith(conn *websocket.Conn, code, lang, key string, status websocket.StatusCode, why string) {
	if !web.HasLocale(lang) {
		lang = "en"
	}
	msg := encodeWS("#class-status", "<strong class=\"class-ended\">"+html.EscapeString(web.T(lang, key))+"</strong>")
	wctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
	_ = conn.Write(wctx, websocket.MessageText, msg)
	cancel()
	conn.Close(status, why)
}
