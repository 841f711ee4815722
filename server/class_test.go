package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/asyncplay/asyncplay/lessons"
	"github.com/asyncplay/asyncplay/server/roombus"
	"github.com/asyncplay/asyncplay/server/roombus/natstest"
	"github.com/asyncplay/asyncplay/static"
)

// classServer is a server on a real listener, with class settings.
func classServer(t *testing.T, cc ClassConfig) (*Server, *httptest.Server) {
	t.Helper()
	cfg := Config{Logger: quietLogger(), Lessons: lessons.Embedded(), Static: static.FS(),
		NoPython: errors.New("no python3 in this test"), Class: cc}
	if cfg.Class.FrameEvery == 0 {
		cfg.Class.FrameEvery = 50 * time.Millisecond
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s)
	t.Cleanup(func() {
		s.Close()
		ts.Close()
	})
	return s, ts
}

// startClass creates a room as a teacher and returns its code and the
// teacher's cookie.
func startClass(t *testing.T, ts *httptest.Server) (string, *http.Cookie) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, ts.URL+"/en/class", nil)
	req.Header.Set("Origin", ts.URL)
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasSuffix(loc, "/teach") {
		t.Fatalf("POST /en/class = %d to %q; want 303 to /class/CODE/teach", resp.StatusCode, loc)
	}
	code := strings.TrimSuffix(strings.TrimPrefix(loc, "/class/"), "/teach")
	for _, ck := range resp.Cookies() {
		if ck.Name == teacherCookie {
			if !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode || ck.Path != "/class/"+code {
				t.Errorf("teacher cookie = %+v; want HttpOnly, SameSite=Strict, Path=/class/%s", ck, code)
			}
			return code, ck
		}
	}
	t.Fatal("no teacher cookie")
	return "", nil
}

// classPeer is a browser's class socket, remembering the latest content of
// each target.
type classPeer struct {
	t    *testing.T
	conn *websocket.Conn
	mu   sync.Mutex
	seen map[string]string
	msgs chan wsMsg
	done chan struct{}
	err  error
}

func dialClass(t *testing.T, ts *httptest.Server, code string, cookies ...*http.Cookie) (*classPeer, error) {
	t.Helper()
	return dialClassVia(t, ts, code, nil, cookies...)
}

// dialClassVia opens a class socket with client (nil for the default one),
// and reads it in the background into a classPeer.
func dialClassVia(t *testing.T, ts *httptest.Server, code string, client *http.Client, cookies ...*http.Cookie) (*classPeer, error) {
	t.Helper()
	h := http.Header{"Origin": {ts.URL}}
	for _, ck := range cookies {
		h.Add("Cookie", ck.Name+"="+ck.Value)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, resp, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(ts.URL, "http")+"/class/"+code+"/ws", &websocket.DialOptions{HTTPHeader: h, HTTPClient: client})
	if err != nil {
		if resp != nil {
			return nil, errors.New(resp.Status)
		}
		return nil, err
	}
	conn.SetReadLimit(4 << 20) // a lesson's highlighted code runs past the default 32 KiB
	p := &classPeer{t: t, conn: conn, seen: map[string]string{}, msgs: make(chan wsMsg, 1024), done: make(chan struct{})}
	go func() {
		defer close(p.done)
		for {
			_, b, err := conn.Read(context.Background())
			if err != nil {
				p.mu.Lock()
				p.err = err
				p.mu.Unlock()
				return
			}
			var m wsMsg
			if err := json.Unmarshal(b, &m); err != nil {
				t.Errorf("class message is not JSON: %q", b)
				continue
			}
			p.mu.Lock()
			p.seen[m.Target] = m.Content
			p.mu.Unlock()
			select {
			case p.msgs <- m:
			default:
			}
		}
	}()
	t.Cleanup(func() { conn.CloseNow(); <-p.done })
	return p, nil
}

// waitFor waits until target's latest content satisfies ok.
func (p *classPeer) waitFor(target string, ok func(string) bool, what string) string {
	p.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		p.mu.Lock()
		got, has := p.seen[target]
		p.mu.Unlock()
		if has && ok(got) {
			return got
		}
		time.Sleep(10 * time.Millisecond)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.t.Fatalf("%s never arrived in %s; last: %.300q", what, target, p.seen[target])
	return ""
}

func (p *classPeer) latest(target string) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.seen[target]
}

// closed waits for the socket to close and returns its close status.
func (p *classPeer) closed() websocket.StatusCode {
	p.t.Helper()
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		p.t.Fatal("socket never closed")
	}
	return websocket.CloseStatus(p.err)
}

func (p *classPeer) answer(choice string) {
	p.t.Helper()
	b, _ := json.Marshal(map[string]any{"choice": choice, "headers": map[string]string{"HX-Request": "true"}})
	if err := p.conn.Write(context.Background(), websocket.MessageText, b); err != nil {
		p.t.Fatal(err)
	}
}

// command posts a teacher's command as htmx does.
func command(t *testing.T, ts *httptest.Server, code, op string, form url.Values, cookies ...*http.Cookie) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, ts.URL+"/class/"+code+"/"+op, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", ts.URL)
	req.Header.Set("HX-Request", "true")
	for _, ck := range cookies {
		req.AddCookie(ck)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func student(id, name string) []*http.Cookie {
	cks := []*http.Cookie{{Name: studentCookie, Value: id}}
	if name != "" {
		cks = append(cks, &http.Cookie{Name: nameCookie, Value: url.QueryEscape(name)})
	}
	return cks
}

func has(sub string) func(string) bool {
	return func(s string) bool { return strings.Contains(s, sub) }
}

func TestClassFollowPredictRunReveal(t *testing.T) {
	_, ts := classServer(t, ClassConfig{})
	code, teacher := startClass(t, ts)

	tp, err := dialClass(t, ts, code, teacher)
	if err != nil {
		t.Fatal(err)
	}
	tp.waitFor("#class-controls", has("class-pick"), "the teacher's controls")
	a, err := dialClass(t, ts, code, student("s-a", "Aiko")...)
	if err != nil {
		t.Fatal(err)
	}
	b, err := dialClass(t, ts, code, student("s-b", `<b>Bob</b>`)...)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []*classPeer{a, b} {
		p.waitFor("#class-lesson", has("<h1>"), "the lesson")
		p.waitFor("#class-status", has("2 connected"), "the count")
		if p.latest("#class-controls") != "" {
			t.Errorf("a student received the teacher's controls")
		}
	}
	names := tp.waitFor("#class-status", has("Aiko"), "the teacher's list of names")
	if !strings.Contains(names, "&lt;b&gt;Bob&lt;/b&gt;") || strings.Contains(names, "<b>Bob") {
		t.Errorf("teacher's status = %q; want the name escaped", names)
	}
	if strings.Contains(a.latest("#class-status"), "Aiko") {
		t.Errorf("a student sees names: %q", a.latest("#class-status"))
	}

	// Follow: the teacher moves to the semaphore lesson.
	if st, body := command(t, ts, code, "lesson", url.Values{"pick": {"semaphore/semaphore"}}, teacher); st != 200 || !strings.Contains(body, "semaphore/semaphore") {
		t.Fatalf("lesson command = %d %.200q", st, body)
	}
	for _, p := range []*classPeer{a, b} {
		p.waitFor("#class-lesson", has("Limiting concurrency"), "the semaphore lesson")
	}

	// Predict: ask, two answers, a live tally for the teacher only.
	if st, _ := command(t, ts, code, "ask", url.Values{"question": {"total"}}, teacher); st != 200 {
		t.Fatalf("ask = %d", st)
	}
	a.waitFor("#class-question", has(`name="choice"`), "the choices")
	a.answer("1")
	b.answer("2")
	a.waitFor("#class-mine", has("B. about 5.8 s"), "Aiko's own answer")
	tp.waitFor("#class-tally", has("2 of 2 answered"), "the live tally")
	if got := a.latest("#class-tally"); got != "" {
		t.Errorf("students see the tally before the reveal: %.200q", got)
	}
	if strings.Contains(tp.latest("#class-tally"), "Aiko") {
		t.Error("the tally names a student")
	}

	// A bad value is refused next to its field, and nothing runs.
	if st, body := command(t, ts, code, "run", url.Values{"downloads": {"0"}}, teacher); st != http.StatusUnprocessableEntity || !strings.Contains(body, "field-error") {
		t.Errorf("run with downloads=0 = %d %.200q; want 422 with the problem", st, body)
	}
	// Of a repeated value the first counts, and the form shows that one.
	st, body := command(t, ts, code, "run", url.Values{"downloads": {"0", "3"}}, teacher)
	if st != http.StatusUnprocessableEntity || !strings.Contains(body, `name="downloads" type="text" value="0"`) {
		t.Errorf("run with downloads=0&downloads=3 = %d; want 422 and the field showing 0:\n%s", st, body)
	}
	// Run: one run, the same frames to both students; it ends with the
	// reveal.
	if st, _ := command(t, ts, code, "run", url.Values{"downloads": {"3"}, "limit": {"2"}, "delays": {"0.2,0.2,0.2"}}, teacher); st != 200 {
		t.Fatalf("run = %d", st)
	}
	for _, p := range []*classPeer{a, b} {
		p.waitFor("#class-lesson", has("0.2,0.2,0.2"), "the teacher's values")
		p.waitFor("#class-run", has(`data-finished="true"`), "the finished run")
		p.waitFor("#class-tally", has("1 of 2 right"), "the revealed tally")
	}
	if !strings.Contains(a.latest("#class-tally"), `class="correct"`) {
		t.Errorf("the revealed tally marks no correct answer: %.300q", a.latest("#class-tally"))
	}
	if a.latest("#class-run") != b.latest("#class-run") {
		t.Error("the two students' final frames differ; want one run fanned out")
	}
	// A late answer changes nothing.
	b.answer("1")
	time.Sleep(100 * time.Millisecond)
	if got := tp.latest("#class-tally"); !strings.Contains(got, "1 of 2 right") {
		t.Errorf("tally after a late answer = %.200q; want still 1 of 2 right", got)
	}
}

func TestClassAuth(t *testing.T) {
	_, ts := classServer(t, ClassConfig{})
	code, teacher := startClass(t, ts)
	forged := &http.Cookie{Name: teacherCookie, Value: "not-the-secret"}
	for _, op := range []string{"lesson", "run", "ask", "reveal", "end"} {
		if st, _ := command(t, ts, code, op, url.Values{"pick": {"gather/gather"}}, forged); st != http.StatusForbidden {
			t.Errorf("%s with a forged secret = %d; want 403", op, st)
		}
		if st, _ := command(t, ts, code, op, url.Values{"pick": {"gather/gather"}}); st != http.StatusForbidden {
			t.Errorf("%s with no secret = %d; want 403", op, st)
		}
	}
	// The teacher's page refuses a browser without the secret.
	for _, tc := range []struct {
		ck   []*http.Cookie
		want int
	}{{nil, 403}, {[]*http.Cookie{forged}, 403}, {[]*http.Cookie{teacher}, 200}} {
		req, _ := http.NewRequest(http.MethodGet, ts.URL+"/class/"+code+"/teach", nil)
		for _, ck := range tc.ck {
			req.AddCookie(ck)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("GET teach with %v = %d; want %d", tc.ck, resp.StatusCode, tc.want)
		}
	}
	// A command from another site's page is refused even with the secret.
	req, _ := http.NewRequest(http.MethodPost, ts.URL+"/class/"+code+"/end", nil)
	req.Header.Set("Origin", "http://evil.example")
	req.AddCookie(teacher)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-origin end = %d; want 403", resp.StatusCode)
	}
	// A forged teacher cookie on the socket is an ordinary student.
	p, err := dialClass(t, ts, code, forged)
	if err != nil {
		t.Fatal(err)
	}
	p.waitFor("#class-lesson", has("<h1>"), "the lesson")
	if p.latest("#class-controls") != "" {
		t.Error("a forged secret got the teacher's controls")
	}
	// A student who sends anything but an answer is dropped.
	if err := p.conn.Write(context.Background(), websocket.MessageText, []byte(`{"op":"run"}`)); err != nil {
		t.Fatal(err)
	}
	if st := p.closed(); st != websocket.StatusUnsupportedData {
		t.Errorf("close after a non-answer = %v; want %v", st, websocket.StatusUnsupportedData)
	}
}

func TestClassJoinForm(t *testing.T) {
	s, ts := classServer(t, ClassConfig{})
	code, _ := startClass(t, ts)
	for _, tc := range []struct {
		name, query string
		status      int
		body        string
	}{
		{"bad code", "code=12&lang=en", 422, "six letters"},
		{"unknown code", "code=ZZZZZZ&lang=en", 404, "no class with the code ZZZZZZ"},
		{"lower case with a dash", "code=" + strings.ToLower(code[:3]) + "-" + strings.ToLower(code[3:]) + "&lang=en", 303, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := get(t, s, "/class/join?"+tc.query)
			if rec.Code != tc.status || !strings.Contains(rec.Body.String(), tc.body) {
				t.Errorf("join %s = %d %.200q; want %d containing %q", tc.query, rec.Code, rec.Body.String(), tc.status, tc.body)
			}
			if tc.status == 303 && rec.Header().Get("Location") != "/class/"+code {
				t.Errorf("join redirects to %q; want /class/%s", rec.Header().Get("Location"), code)
			}
		})
	}
	if rec := get(t, s, "/class/"+code); rec.Code != 200 || !strings.Contains(rec.Body.String(), "/class/"+code+"/ws") {
		t.Errorf("student page = %d; want 200 with the socket", rec.Code)
	}
	if rec := get(t, s, "/class/"+code+"/qr.svg"); rec.Code != 200 || !strings.HasPrefix(rec.Body.String(), "<svg") {
		t.Errorf("qr = %d %.40q; want an SVG", rec.Code, rec.Body.String())
	}
	if got := cleanName(strings.Repeat("名", 40) + "\x00\u202e"); len([]rune(got)) != maxNameRunes {
		t.Errorf("cleanName of 40 runes and controls = %d runes; want %d", len([]rune(got)), maxNameRunes)
	}
}

func TestClassCapacityAndJoinRate(t *testing.T) {
	_, ts := classServer(t, ClassConfig{Capacity: 2, JoinBurst: 4, JoinRate: 0.001})
	code, _ := startClass(t, ts)
	for i, id := range []string{"a", "b"} {
		p, err := dialClass(t, ts, code, student(id, "")...)
		if err != nil {
			t.Fatalf("student %d: %v", i, err)
		}
		p.waitFor("#class-lesson", has("<h1>"), "the lesson")
	}
	third, err := dialClass(t, ts, code, student("c", "")...)
	if err != nil {
		t.Fatal(err)
	}
	if st := third.closed(); st != websocket.StatusPolicyViolation {
		t.Errorf("third student's close = %v; want policy violation (full)", st)
	}
	if !strings.Contains(third.latest("#class-status"), "full") {
		t.Errorf("third student was told %q; want that the class is full", third.latest("#class-status"))
	}
	// The fourth socket from this address used the burst; the fifth is refused.
	if _, err := dialClass(t, ts, code, student("a", "")...); err != nil {
		t.Fatalf("fourth socket: %v", err)
	}
	if _, err := dialClass(t, ts, code, student("a", "")...); err == nil || !strings.Contains(err.Error(), "429") {
		t.Errorf("fifth socket from one address: err = %v; want 429", err)
	}
}

func TestClassReconnectResumes(t *testing.T) {
	_, ts := classServer(t, ClassConfig{})
	code, teacher := startClass(t, ts)
	p, err := dialClass(t, ts, code, student("s1", "")...)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ op, k, v string }{{"lesson", "pick", "semaphore/semaphore"}, {"ask", "question", "total"}} {
		if st, body := command(t, ts, code, c.op, url2(c.k, c.v), teacher); st != 200 {
			t.Fatalf("%s = %d %.200q", c.op, st, body)
		}
	}
	p.waitFor("#class-question", has(`name="choice"`), "the choices")
	p.answer("0")
	p.waitFor("#class-mine", has("A."), "the answer")
	p.conn.CloseNow() // the phone sleeps
	<-p.done

	q, err := dialClass(t, ts, code, student("s1", "")...)
	if err != nil {
		t.Fatal(err)
	}
	q.waitFor("#class-lesson", has("Limiting concurrency"), "the lesson after reconnecting")
	q.waitFor("#class-question", has(`name="choice"`), "the open question after reconnecting")
	q.waitFor("#class-mine", has("A."), "the student's answer after reconnecting")
}

func TestClassQueueKeepsNewestOfEachPart(t *testing.T) {
	s, _ := classServer(t, ClassConfig{})
	h := &hub{code: "ABCDEF", conns: map[*classConn]struct{}{}, slots: map[string]slotMsg{}}
	c := newClassConn(false, "s")
	s.attach(h, c, nil)
	for i := range 50 {
		for _, key := range []string{"run", "status@s"} {
			sl := slotMsg{Seq: uint64(2*i + len(key)), Key: key, Aud: audAll, Msg: encodeWS("#"+key, fmt.Sprint(key, i))}
			b, _ := json.Marshal(sl)
			s.deliver(h, b) // never blocks, however far behind the socket is
		}
	}
	var got []string
	for {
		msg, ok := c.next()
		if !ok {
			break
		}
		var m wsMsg
		_ = json.Unmarshal(msg, &m)
		got = append(got, m.Content)
	}
	if want := []string{"run49", "status@s49"}; !slices.Equal(got, want) {
		t.Errorf("a socket 50 messages behind has %q waiting; want only the newest of each part, %q", got, want)
	}
}

// TestClassStalledSocketDropped: a student whose browser stops reading is
// dropped once a write stalls, while another student gets every frame.
func TestClassStalledSocketDropped(t *testing.T) {
	// A second: a stall for the socket that never reads, but room for the
	// good student's reader, slowed by the race detector.
	s, ts := classServer(t, ClassConfig{WriteTimeout: time.Second})
	code, _ := startClass(t, ts)
	good, err := dialClass(t, ts, code, student("good", "")...)
	if err != nil {
		t.Fatal(err)
	}
	good.waitFor("#class-lesson", has("<h1>"), "the lesson")
	// The stalled student: a socket that never reads after the upgrade.
	h := http.Header{"Origin": {ts.URL}, "Cookie": {studentCookie + "=stalled"}}
	stalled, _, err := websocket.Dial(context.Background(), "ws"+strings.TrimPrefix(ts.URL, "http")+"/class/"+code+"/ws", &websocket.DialOptions{HTTPHeader: h})
	if err != nil {
		t.Fatal(err)
	}
	defer stalled.CloseNow()
	good.waitFor("#class-status", has("2 connected"), "both students")

	// Big frames, each a part of its own so none is skipped, until the
	// stalled socket's buffers are full and a write times out.
	s.classMu.Lock()
	hb := s.hubs[code]
	s.classMu.Unlock()
	big := strings.Repeat("x", 256<<10)
	deadline := time.Now().Add(20 * time.Second)
	for i := 0; s.count.classDropped.Load() == 0; i++ {
		if time.Now().After(deadline) {
			t.Fatal("the stalled socket was never dropped")
		}
		sl := slotMsg{Seq: uint64(1<<40 + i), Key: fmt.Sprint("big", i%8), Aud: audAll, Msg: encodeWS("#class-big", big)}
		b, _ := json.Marshal(sl)
		s.deliver(hb, b)
		time.Sleep(5 * time.Millisecond)
	}
	good.waitFor("#class-status", has("1 connected"), "the count without the stalled student")
	if good.err != nil {
		t.Errorf("the student who kept up lost the socket: %v", good.err)
	}
}

func TestClassEndsWhenTeacherGone(t *testing.T) {
	// The grace leaves the teacher's socket time to join after the class
	// is made, and the "has left" note time to be seen before "has ended"
	// replaces it, on a busy machine.
	s, ts := classServer(t, ClassConfig{TeacherGrace: time.Second, Flush: 20 * time.Millisecond})
	code, teacher := startClass(t, ts)
	tp, err := dialClass(t, ts, code, teacher)
	if err != nil {
		t.Fatal(err)
	}
	p, err := dialClass(t, ts, code, student("s1", "")...)
	if err != nil {
		t.Fatal(err)
	}
	p.waitFor("#class-status", has("1 connected"), "the count")
	time.Sleep(1500 * time.Millisecond) // past the grace
	if strings.Contains(p.latest("#class-status"), "ended") {
		t.Fatal("the class ended while the teacher was connected")
	}
	tp.conn.Close(websocket.StatusNormalClosure, "")
	p.waitFor("#class-status", has("teacher has left"), "the teacher-away note")
	if st := p.closed(); st != websocket.StatusNormalClosure {
		t.Errorf("student's close when the class ended = %v; want normal (no reconnect)", st)
	}
	if !strings.Contains(p.latest("#class-status"), "has ended") {
		t.Errorf("student was told %q; want that the class has ended", p.latest("#class-status"))
	}
	if rec := get(t, s, "/class/"+code); rec.Code != http.StatusNotFound {
		t.Errorf("student page after the end = %d; want 404", rec.Code)
	}
}

// TestClassAcrossInstances runs the class on two servers joined by NATS:
// the teacher on one, students on both.
func TestClassAcrossInstances(t *testing.T) {
	natsURL := natstest.Start(t)
	var servers []*httptest.Server
	for range 2 {
		nc, err := roombus.Dial(natsURL, t.Name())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(nc.Close)
		_, ts := classServer(t, ClassConfig{Bus: roombus.NewNATS(nc)})
		servers = append(servers, ts)
	}
	code, teacher := startClass(t, servers[0])
	a, err := dialClass(t, servers[0], code, student("a", "")...)
	if err != nil {
		t.Fatal(err)
	}
	b, err := dialClass(t, servers[1], code, student("b", "")...)
	if err != nil {
		t.Fatal(err)
	}
	// The teacher's commands work through either instance.
	if st, _ := command(t, servers[1], code, "lesson", url2("pick", "semaphore/semaphore"), teacher); st != 200 {
		t.Fatalf("lesson via the other instance = %d", st)
	}
	if st, _ := command(t, servers[0], code, "ask", url2("question", "total"), teacher); st != 200 {
		t.Fatalf("ask = %d", st)
	}
	for _, p := range []*classPeer{a, b} {
		p.waitFor("#class-status", has("2 connected"), "the count across instances")
		p.waitFor("#class-question", has(`name="choice"`), "the question")
	}
	a.answer("1")
	b.answer("1")
	tp, err := dialClass(t, servers[1], code, teacher)
	if err != nil {
		t.Fatal(err)
	}
	tp.waitFor("#class-tally", has("2 of 2 answered"), "the tally counting both instances")
	command(t, servers[0], code, "run", url.Values{"downloads": {"2"}, "limit": {"1"}, "delays": {"0.1,0.1"}}, teacher)
	for _, p := range []*classPeer{a, b} {
		p.waitFor("#class-run", has(`data-finished="true"`), "the run on both instances")
		p.waitFor("#class-tally", has("2 of 2 right"), "the reveal on both instances")
	}
}

func url2(k, v string) url.Values { return url.Values{k: {v}} }

func TestClassTeacherEndsClass(t *testing.T) {
	s, ts := classServer(t, ClassConfig{})
	code, teacher := startClass(t, ts)
	p, err := dialClass(t, ts, code, student("s1", "")...)
	if err != nil {
		t.Fatal(err)
	}
	p.waitFor("#class-lesson", has("<h1>"), "the lesson")
	st, _ := command(t, ts, code, "end", nil, teacher)
	if st != http.StatusSeeOther {
		t.Errorf("end = %d; want 303 back to the classroom page", st)
	}
	if got := p.closed(); got != websocket.StatusNormalClosure {
		t.Errorf("student's close = %v; want normal (no reconnect)", got)
	}
	if !strings.Contains(p.latest("#class-status"), "has ended") {
		t.Errorf("student was told %q; want that the class has ended", p.latest("#class-status"))
	}
	if st, _ := command(t, ts, code, "run", nil, teacher); st != http.StatusNotFound {
		t.Errorf("a command after the end = %d; want 404", st)
	}
	s.classMu.Lock()
	rooms := len(s.rooms)
	s.classMu.Unlock()
	if rooms != 0 {
		t.Errorf("%d rooms kept after the end; want 0", rooms)
	}
}
