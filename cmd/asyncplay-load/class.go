package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/asyncplay/asyncplay/server/wsconn"
)

// teacher is a room's teacher: its code and the secret cookie.
type teacher struct {
	base   string // http://127.0.0.1:port
	code   string
	cookie *http.Cookie
	client *http.Client
	// runStart is when the teacher asked for the run (Unix nanoseconds);
	// frames encoded before it are the room's earlier state, not the run.
	runStart atomic.Int64
}

// newClass creates a room as a teacher does (POST /en/class) and moves it
// to the lesson of pick ("slug/scenario").
func newClass(ctx context.Context, base, pick string) (*teacher, error) {
	t := &teacher{base: base, client: &http.Client{
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
	resp, err := t.post(ctx, "/en/class", nil)
	if err != nil {
		return nil, err
	}
	loc := resp.Header.Get("Location")
	code, ok := strings.CutPrefix(loc, "/class/")
	code, teach := strings.CutSuffix(code, "/teach")
	if resp.StatusCode != http.StatusSeeOther || !ok || !teach {
		return nil, fmt.Errorf("POST /en/class = %s to %q; want 303 to /class/CODE/teach", resp.Status, loc)
	}
	t.code = code
	for _, ck := range resp.Cookies() {
		if ck.Name == "asyncplay_teacher" {
			t.cookie = ck
		}
	}
	if t.cookie == nil {
		return nil, errors.New("POST /en/class set no asyncplay_teacher cookie")
	}
	if err := t.command(ctx, "lesson", url.Values{"pick": {pick}}); err != nil {
		return nil, err
	}
	return t, nil
}

// post sends a form from the server's own origin, with the teacher's
// cookie once there is one.
func (t *teacher) post(ctx context.Context, path string, form url.Values) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.base+path, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Origin", t.base)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("HX-Request", "true")
	if t.cookie != nil {
		req.AddCookie(t.cookie)
	}
	resp, err := t.client.Do(req)
	if err != nil {
		return nil, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp, nil
}

// command posts a teacher's command (lesson, run...) to the room.
func (t *teacher) command(ctx context.Context, op string, form url.Values) error {
	resp, err := t.post(ctx, "/class/"+t.code+"/"+op, form)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("POST /class/%s/%s = %s", t.code, op, resp.Status)
	}
	return nil
}

// run starts the room's run, noting when it was asked for.
func (t *teacher) run(ctx context.Context, params url.Values) error {
	t.runStart.Store(time.Now().UnixNano())
	return t.command(ctx, "run", params)
}

// student is one student's class socket. Its reader owns the counts until
// done is closed.
type student struct {
	room     *teacher
	conn     *wsconn.Conn
	joined   chan struct{} // the lesson has arrived
	finished chan struct{} // the run's last frame has arrived
	done     chan struct{} // the reader has ended
	msgs     int           // every message read
	frames   int           // the run's frames (encoded after it was asked for)
	bad      int           // messages that did not parse
	latency  []time.Duration
	sizes    []int  // the run's frames' sizes, in bytes
	bytes    int64  // every message's bytes
	last     []byte // the run's last frame, as read
	gotLast  bool
	err      error // why the socket ended
}

// dialer dials from one loopback source address, so the server's
// per-address limits see students spread over several addresses, as a
// school's do.
func dialer(src net.IP) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: src}, Timeout: 10 * time.Second}
	return &http.Client{Transport: &http.Transport{DialContext: d.DialContext, MaxIdleConnsPerHost: -1}}
}

// join opens a student's socket to t's room with a fresh student id.
func join(ctx context.Context, t *teacher, client *http.Client) (*student, error) {
	id := make([]byte, 16)
	rand.Read(id)
	h := http.Header{"Origin": {t.base}, "Cookie": {"asyncplay_student=" + hex.EncodeToString(id)}}
	ws := "ws" + strings.TrimPrefix(t.base, "http") + "/class/" + t.code + "/ws"
	dctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	conn, resp, err := wsconn.Dial(dctx, ws, h, client)
	if err != nil {
		if resp != nil {
			return nil, fmt.Errorf("dial: %s", resp.Status)
		}
		return nil, err
	}
	conn.SetReadLimit(8 << 20) // a lesson's highlighted code is far past the default 32 KiB
	s := &student{room: t, conn: conn, joined: make(chan struct{}), finished: make(chan struct{}), done: make(chan struct{})}
	go s.read()
	return s, nil
}

// read counts messages and times the run's frames until the socket ends.
func (s *student) read() {
	defer close(s.done)
	joined := false
	// One buffer for every message: a thousand students reading tens of
	// KiB ten times a second would otherwise make this process's garbage
	// collector a rival of the server for the CPUs.
	// It starts big enough for the largest frame (47 KiB for the default
	// run), so that it does not grow (allocate and copy, 500 times over)
	// just as the run's biggest frame arrives: that growth once put 15 ms
	// on this client's p99, which then depended on how big an earlier
	// message had happened to make the buffer.
	var buf bytes.Buffer
	buf.Grow(256 << 10)
	for {
		buf.Reset()
		r, err := s.conn.Reader(context.Background())
		if err == nil {
			_, err = buf.ReadFrom(r)
		}
		now := time.Now().UnixNano()
		if err != nil {
			s.err = err
			return
		}
		b := buf.Bytes()
		s.msgs++
		s.bytes += int64(len(b))
		m, err := parseClassMsg(b)
		if err != nil {
			s.bad++
			continue
		}
		if !joined && m.target == "#class-lesson" {
			joined = true
			close(s.joined)
		}
		start := s.room.runStart.Load()
		if m.target != "#class-run" || start == 0 || m.sent < start {
			continue
		}
		s.frames++
		s.latency = append(s.latency, time.Duration(now-m.sent))
		s.sizes = append(s.sizes, len(b))
		if m.finished && !s.gotLast {
			s.gotLast, s.last = true, bytes.Clone(b)
			close(s.finished)
		}
	}
}

// closeStatus names how a socket that ended early was closed.
func closeStatus(err error) string {
	if code := wsconn.CloseStatus(err); code != -1 {
		return fmt.Sprintf("close %d (%s)", int(code), code)
	}
	if err == nil {
		return "open"
	}
	return err.Error()
}
