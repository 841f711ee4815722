package server

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/asyncplay/asyncplay/scenarios/pyrun"
)

// stalledRunSocket opens a run socket by hand on a connection with a tiny
// receive buffer, and never reads from it again after the handshake: the
// server's writes fill the buffers and then block.
func stalledRunSocket(t *testing.T, ts *httptest.Server, path string) net.Conn {
	t.Helper()
	host := strings.TrimPrefix(ts.URL, "http://")
	// The buffer is set before connecting, so the window offered in the
	// handshake is already small (set afterwards, the kernel drops what
	// overflows it and the server's retransmits back off for seconds).
	d := net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
		var serr error
		err := rc.Control(func(fd uintptr) {
			serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4<<10)
		})
		return cmp.Or(err, serr)
	}}
	conn, err := d.Dial("tcp", host)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	rawUpgrade(t, conn, host, path)
	conn.SetDeadline(time.Time{})
	return conn
}

// optionalPython is python3 when there is one; the tests that use it check
// the process only when it is there.
func optionalPython(t *testing.T) *pyrun.Python {
	py, err := pyrun.Find(context.Background())
	if err != nil {
		t.Logf("no python3 (%v): the run's process is not checked", err)
		return nil
	}
	return &py
}

// TestRunSocketStalledReaderDropped: a visitor whose browser stops reading
// in the middle of a run is dropped once a frame cannot be written within
// writeTimeout. The drop is counted (and shown in /metrics), the run is
// cancelled and its Python process killed, and another visitor's run goes
// on meanwhile without a stall.
func TestRunSocketStalledReaderDropped(t *testing.T) {
	py := optionalPython(t)
	s := newServer(t, py)
	s.cfg.FrameEvery = 25 * time.Millisecond // to fill the buffers sooner
	ts := httptest.NewServer(s)
	defer ts.Close()

	// 100 lanes make frames of about 90 KB, forty a second, for 50 s.
	delays := strings.TrimSuffix(strings.Repeat("10,", 100), ",")
	dialed := time.Now()
	stalled := stalledRunSocket(t, ts, "/ws/run/en/semaphore/semaphore?downloads=100&limit=20&delays="+delays)

	// Wait until the stalled visitor's run is going (and its Python is up).
	var stalledPIDs []int
	deadline := time.Now().Add(10 * time.Second)
	for {
		running, _ := s.queue.stats()
		if running == 1 {
			if py == nil {
				break
			}
			if stalledPIDs = children(t); len(stalledPIDs) > 0 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the stalled visitor's run never started (running %d, children %v)", running, stalledPIDs)
		}
		time.Sleep(20 * time.Millisecond)
	}

	// Another visitor runs while the first one's socket stalls.
	type result struct {
		at     []time.Time
		frames []string
		status websocket.StatusCode
	}
	good := dial(t, ts.URL, "/ws/run/en/semaphore/semaphore?downloads=2&limit=1&delays=4,4")
	defer good.CloseNow()
	goodDone := make(chan result, 1)
	go func() {
		var r result
		ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
		defer cancel()
		for {
			_, b, err := good.Read(ctx)
			if err != nil {
				r.status = websocket.CloseStatus(err)
				goodDone <- r
				return
			}
			r.at = append(r.at, time.Now())
			r.frames = append(r.frames, string(b))
		}
	}()

	// writeTimeout, and the second or so the buffers take to fill, with
	// room to spare on a loaded machine.
	deadline = dialed.Add(30 * time.Second)
	for s.count.dropped.Load() == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the socket that stopped reading was not dropped %v after it opened (writeTimeout %v)", time.Since(dialed), writeTimeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
	droppedAt := time.Now()
	took := droppedAt.Sub(dialed)
	t.Logf("dropped %v after the socket opened (writeTimeout %v)", took, writeTimeout)
	if took < writeTimeout {
		t.Errorf("dropped %v after the socket opened; a write may take writeTimeout (%v) first", took, writeTimeout)
	}

	// Its run is cancelled: its Python process goes, at once, not at the
	// end of its 50 s.
	if py != nil {
		deadline = time.Now().Add(10 * time.Second)
		for {
			left := slices.DeleteFunc(children(t), func(pid int) bool { return !slices.Contains(stalledPIDs, pid) })
			if len(left) == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the dropped run's Python process %v is still running", left)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	// The server closes the connection (whatever it had buffered drains
	// first).
	stalled.SetReadDeadline(time.Now().Add(20 * time.Second))
	if _, err := io.Copy(io.Discard, stalled); err != nil && !strings.Contains(err.Error(), "reset") {
		t.Errorf("the dropped connection was not closed by the server: %v", err)
	}

	// The other visitor's run went on meanwhile, and to its end.
	var r result
	select {
	case r = <-goodDone:
	case <-time.After(45 * time.Second):
		t.Fatal("the other visitor's run never ended")
	}
	if r.status != websocket.StatusNormalClosure || len(r.frames) < 10 || !strings.Contains(r.frames[len(r.frames)-1], `data-finished="true"`) {
		t.Fatalf("the other visitor's run ended with %v after %d frames; want a finished run", r.status, len(r.frames))
	}
	var most time.Duration
	during := 0 // frames it got while the stalled socket's write was waiting
	for i, at := range r.at {
		if i > 0 {
			most = max(most, at.Sub(r.at[i-1]))
		}
		if at.After(droppedAt.Add(-writeTimeout+time.Second)) && at.Before(droppedAt) {
			during++
		}
	}
	if most >= writeTimeout/2 {
		t.Errorf("the other visitor waited %v between two frames; want no stall behind the stalled socket", most)
	}
	if during == 0 {
		t.Errorf("the other visitor got no frame in the %v before the drop; want frames while the other socket stalled", writeTimeout-time.Second)
	}
	if n := s.count.dropped.Load(); n != 1 {
		t.Errorf("dropped counter = %d; want 1 (only the socket that stopped reading)", n)
	}
	if body := get(t, s, "/metrics").Body.String(); !strings.Contains(body, "\nasyncplay_sockets_dropped_total 1\n") {
		t.Errorf("/metrics does not count the drop:\n%s", body)
	}
	deadline = time.Now().Add(5 * time.Second)
	for running, waiting := s.queue.stats(); s.count.sockets.Load() != 0 || running != 0 || waiting != 0; running, waiting = s.queue.stats() {
		if time.Now().After(deadline) {
			t.Fatalf("after both runs: %d sockets open, %d runs, %d waiting; want none", s.count.sockets.Load(), running, waiting)
		}
		time.Sleep(20 * time.Millisecond)
	}
	waitNoChildren(t)
}

// openQuestion starts a class on the semaphore lesson with its question
// open, and returns the room's code.
func openQuestion(t *testing.T, ts *httptest.Server) string {
	t.Helper()
	code, teacher := startClass(t, ts)
	for _, c := range []struct{ op, k, v string }{{"lesson", "pick", "semaphore/semaphore"}, {"ask", "question", "total"}} {
		if st, body := command(t, ts, code, c.op, url2(c.k, c.v), teacher); st != 200 {
			t.Fatalf("%s = %d %.200q", c.op, st, body)
		}
	}
	return code
}

// closeError is how the server closed p's socket.
func (p *classPeer) closeError() websocket.CloseError {
	p.t.Helper()
	p.closed()
	var ce websocket.CloseError
	if !errors.As(p.err, &ce) {
		p.t.Fatalf("socket ended without a close frame: %v", p.err)
	}
	return ce
}

// stillOpen fails if p's socket has closed.
func (p *classPeer) stillOpen(what string) {
	p.t.Helper()
	select {
	case <-p.done:
		p.t.Fatalf("%s: the socket closed: %v", what, p.err)
	default:
	}
}

// TestClassSocketFloodClosed: a student who floods the class socket with
// messages is closed with 1008 "too many messages"; one who answers at a
// steady pace (four a second, the limiter's rate) is never closed, before,
// during or after the flood on another socket.
func TestClassSocketFloodClosed(t *testing.T) {
	_, ts := classServer(t, ClassConfig{})
	code := openQuestion(t, ts)
	steady, err := dialClass(t, ts, code, student("steady", "")...)
	if err != nil {
		t.Fatal(err)
	}
	steady.waitFor("#class-question", has(`name="choice"`), "the choices")
	// Each answer waits for the server's reply, then a quarter second:
	// however slow the server, its reads are that far apart.
	answers := 0
	pace := func(n int) {
		t.Helper()
		for range n {
			choice, mine := "0", "Your answer: A."
			if answers%2 == 1 {
				choice, mine = "1", "Your answer: B."
			}
			answers++
			steady.answer(choice)
			for deadline := time.Now().Add(10 * time.Second); !strings.Contains(steady.latest("#class-mine"), mine); {
				steady.stillOpen(fmt.Sprintf("answer %d at four a second", answers))
				if time.Now().After(deadline) {
					t.Fatalf("answer %d was never taken; last %q", answers, steady.latest("#class-mine"))
				}
				time.Sleep(10 * time.Millisecond)
			}
			time.Sleep(250 * time.Millisecond)
		}
	}
	pace(6)

	flood, err := dialClass(t, ts, code, student("flood", "")...)
	if err != nil {
		t.Fatal(err)
	}
	flood.waitFor("#class-question", has(`name="choice"`), "the choices")
	msg, _ := json.Marshal(map[string]any{"choice": "1", "headers": map[string]string{"HX-Request": "true"}})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for range 100 {
		if flood.conn.Write(ctx, websocket.MessageText, msg) != nil {
			break // closed under the flood
		}
	}
	ce := flood.closeError()
	if ce.Code != websocket.StatusPolicyViolation || ce.Reason != "too many messages" {
		t.Errorf("flooding socket closed with %v %q; want 1008 \"too many messages\"", ce.Code, ce.Reason)
	}

	pace(6)
	steady.stillOpen("after twelve answers at four a second")
}

// TestClassSocketReadLimit: a message over maxStudentMsg closes the class
// socket with 1009 (message too big); an answer with htmx's headers just
// under the limit is taken, and the server goes on serving the class.
func TestClassSocketReadLimit(t *testing.T) {
	_, ts := classServer(t, ClassConfig{})
	code := openQuestion(t, ts)
	other, err := dialClass(t, ts, code, student("other", "")...)
	if err != nil {
		t.Fatal(err)
	}
	p, err := dialClass(t, ts, code, student("big", "")...)
	if err != nil {
		t.Fatal(err)
	}
	p.waitFor("#class-question", has(`name="choice"`), "the choices")

	// An answer near the limit, as a browser with long headers sends it.
	padded, _ := json.Marshal(map[string]any{"choice": "1", "headers": map[string]string{
		"HX-Request": "true", "HX-Current-URL": "http://example.test/class/" + code + "?" + strings.Repeat("x", maxStudentMsg-150)}})
	if len(padded) > maxStudentMsg || len(padded) < maxStudentMsg-100 {
		t.Fatalf("padded answer is %d bytes; want just under %d", len(padded), maxStudentMsg)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := p.conn.Write(ctx, websocket.MessageText, padded); err != nil {
		t.Fatal(err)
	}
	p.waitFor("#class-mine", has("Your answer: B."), "the answer just under the limit")

	big, _ := json.Marshal(map[string]any{"choice": "0", "pad": strings.Repeat("x", 4*maxStudentMsg)})
	if err := p.conn.Write(ctx, websocket.MessageText, big); err != nil {
		t.Fatal(err)
	}
	if ce := p.closeError(); ce.Code != websocket.StatusMessageTooBig {
		t.Errorf("a %d-byte message closed the socket with %v %q; want 1009 (message too big)", len(big), ce.Code, ce.Reason)
	}
	if got := p.latest("#class-mine"); !strings.Contains(got, "Your answer: B.") {
		t.Errorf("the oversized message changed the answer: %q", got)
	}

	// The server is still up: the other student keeps the class, and a new
	// socket joins it.
	other.stillOpen("after another socket's oversized message")
	again, err := dialClass(t, ts, code, student("big", "")...)
	if err != nil {
		t.Fatalf("joining after the oversized message: %v", err)
	}
	again.waitFor("#class-mine", has("Your answer: B."), "the answer after reconnecting")
	other.waitFor("#class-status", has("2 connected"), "the count with the reconnected student")
}

// dialClassFrom opens a class socket from the local address ip (such as
// 127.0.0.2): the server counts it as another visitor's.
func dialClassFrom(t *testing.T, ts *httptest.Server, code, ip string, cookies ...*http.Cookie) (*classPeer, error) {
	t.Helper()
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	tr := &http.Transport{DialContext: d.DialContext}
	t.Cleanup(tr.CloseIdleConnections)
	return dialClassVia(t, ts, code, &http.Client{Transport: tr}, cookies...)
}

// TestClassSocketsPerAddress documents the class socket's protection per
// address: no cap on open sockets (a class behind one school NAT shares an
// address, and more than SocketsPerIP phones stay connected), only a rate
// of new sockets. Past the burst, an upgrade is refused with 429 and a
// sentence saying why, before any socket opens; the sockets already open
// and another address are not affected. (TestClassCapacityAndJoinRate
// checks the 429 alone.)
func TestClassSocketsPerAddress(t *testing.T) {
	const burst = 4
	s, ts := classServer(t, ClassConfig{JoinBurst: burst, JoinRate: 0.001})
	s.cfg.SocketsPerIP = 1 // the run sockets' cap does not apply to class sockets
	code, _ := startClass(t, ts)
	var open []*classPeer
	for i := range burst {
		p, err := dialClass(t, ts, code, student(string(rune('a'+i)), "")...)
		if err != nil {
			t.Fatalf("class socket %d of %d from one address: %v", i+1, burst, err)
		}
		open = append(open, p)
	}
	open[0].waitFor("#class-status", has("4 connected"), "four students from one address")

	// Past the burst: 429 before the upgrade, with a page that says why.
	req, _ := http.NewRequest(http.MethodGet, ts.URL+"/class/"+code+"/ws", nil)
	req.Header.Set("Origin", ts.URL)
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Upgrade", "websocket")
	req.Header.Set("Sec-WebSocket-Version", "13")
	req.Header.Set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
	req.Header.Set("Accept-Language", "en")
	req.AddCookie(&http.Cookie{Name: studentCookie, Value: "e"})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	resp, err := http.DefaultClient.Do(req.WithContext(ctx))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(string(body), "Too many requests from your address") {
		t.Errorf("class socket %d from one address = %d %.300q; want 429 saying there were too many requests", burst+1, resp.StatusCode, body)
	}
	if resp.StatusCode == http.StatusSwitchingProtocols || resp.Header.Get("Upgrade") != "" {
		t.Error("the refused request was upgraded")
	}

	for i, p := range open {
		p.stillOpen(fmt.Sprintf("open socket %d after the refusal", i+1))
	}

	// Another address joins while this one is limited.
	q, err := dialClassFrom(t, ts, code, "127.0.0.2", student("f", "")...)
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Op == "dial" {
		t.Skipf("SKIP: cannot connect from 127.0.0.2 here: %v", err)
	}
	if err != nil {
		t.Fatalf("a class socket from another address while the first is limited: %v", err)
	}
	q.waitFor("#class-lesson", has("<h1>"), "the lesson from another address")
	open[0].waitFor("#class-status", has("5 connected"), "the count with the other address")
}

// TestBigClassBehindOneAddress: a lecture hall of phones behind one NAT
// joins with the server's default limits. Each student loads the join
// form's answer, the class page and its socket; the server-wide request
// limit (a burst of 100) would refuse them after some thirty students, so
// those three are metered by the class's own limits instead, and the
// pages still are: past twice the join burst, a page is refused with 429.
func TestBigClassBehindOneAddress(t *testing.T) {
	const students = 150
	s, ts := classServer(t, ClassConfig{})
	code, _ := startClass(t, ts)
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	defer client.CloseIdleConnections()
	get := func(path string) int {
		t.Helper()
		resp, err := client.Get(ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	var open []*classPeer
	for i := range students {
		name := fmt.Sprintf("s%d", i)
		if got := get("/class/join?code=" + code + "&name=" + name); got != http.StatusSeeOther {
			t.Fatalf("student %d: join = %d; want 303 to the class page", i+1, got)
		}
		if got := get("/class/" + code); got != http.StatusOK {
			t.Fatalf("student %d: class page = %d; want 200", i+1, got)
		}
		p, err := dialClass(t, ts, code, student(name, name)...)
		if err != nil {
			t.Fatalf("student %d: class socket: %v", i+1, err)
		}
		open = append(open, p)
	}
	open[0].waitFor("#class-status", has(fmt.Sprintf("%d connected", students)), "every student from one address")

	// The pages are still metered: the join burst's worth of page views
	// more, and the next is refused.
	// (The bucket refills at twice the join rate, 20 a second, so allow
	// for a slow machine's requests: ten times the burst.)
	refused := false
	for range 20 * s.cfg.Class.JoinBurst {
		if get("/class/"+code) == http.StatusTooManyRequests {
			refused = true
			break
		}
	}
	if !refused {
		t.Errorf("%d more class page views from one address were all served; want 429 past the join burst", 20*s.cfg.Class.JoinBurst)
	}
	// The teacher's pages and the rest of the site keep the server-wide
	// limit, which the students did not use up.
	if got := get("/en/"); got != http.StatusOK {
		t.Errorf("home page from the class's address = %d; want 200", got)
	}
}
