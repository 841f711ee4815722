package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/a-h/templ"

	"github.com/asyncplay/asyncplay/lessons"
	"github.com/asyncplay/asyncplay/scenarios/scenario"
	"github.com/asyncplay/asyncplay/static"
	"github.com/asyncplay/asyncplay/web"
)

// fuzzHost is the host every fuzzed request is addressed to; fuzzOrigin is
// the matching same-origin Origin header.
const (
	fuzzHost   = "example.com"
	fuzzOrigin = "http://" + fuzzHost
)

// fuzzServer is newServer(f, nil) with the limits a fuzzer needs: every
// request comes from one address, thousands a second, so the per-address
// request and join limits are lifted (otherwise nearly every answer would
// be a 429), and a room does not close for want of a teacher's socket while
// the fuzzer runs. Errors go to the returned log, which each input empties
// (take) so that a failure shows only its own.
func fuzzServer(f *testing.F) (*Server, *logTail) {
	f.Helper()
	log := &logTail{}
	cfg := Config{
		Logger:  slog.New(slog.NewTextHandler(log, &slog.HandlerOptions{Level: slog.LevelError})),
		Lessons: lessons.Embedded(), Static: static.FS(),
		NoPython:          errors.New("no python3 in this fuzz test"),
		RequestsPerSecond: 1e9, RequestBurst: 1 << 30,
		Class: ClassConfig{JoinRate: 1e9, JoinBurst: 1 << 30, TeacherGrace: 24 * time.Hour,
			FrameEvery: 10 * time.Millisecond, Flush: 10 * time.Millisecond},
	}
	s, err := New(cfg)
	if err != nil {
		f.Fatalf("New: %v", err)
	}
	f.Cleanup(s.Close)
	return s, log
}

// fuzzRequest builds a request as net/http's server would hand it to the
// handler after reading "METHOD target HTTP/1.1", or reports false for a
// target that server would refuse before any handler saw it.
func fuzzRequest(method, target string, body string) (*http.Request, bool) {
	if !strings.HasPrefix(target, "/") || strings.ContainsAny(target, " \r\n") {
		return nil, false // the request line ends at the first space
	}
	u, err := url.ParseRequestURI(target) // what net/http's readRequest calls
	if err != nil {
		return nil, false
	}
	req, err := http.NewRequest(method, fuzzOrigin+"/", strings.NewReader(body))
	if err != nil {
		return nil, false
	}
	req.URL, req.RequestURI, req.Host = u, target, fuzzHost
	req.RemoteAddr = "192.0.2.1:1234"
	return req, true
}

// validHeaderValue reports whether net/http's server would take v as a
// header field value (no control characters but tab), and v as it would
// hand it on (without leading and trailing blanks).
func validHeaderValue(v string) (string, bool) {
	for i := 0; i < len(v); i++ {
		if b := v[i]; (b < 0x20 && b != '\t') || b == 0x7f {
			return "", false
		}
	}
	return strings.Trim(v, " \t"), true
}

// createRoom starts a class the way the teacher's browser does and returns
// its code and the teacher's cookie.
func createRoom(f *testing.F, s *Server) (string, *http.Cookie) {
	f.Helper()
	req, _ := fuzzRequest(http.MethodPost, "/en/class", "")
	req.Header.Set("Origin", fuzzOrigin)
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	loc := rec.Header().Get("Location")
	if rec.Code != http.StatusSeeOther || !strings.HasSuffix(loc, "/teach") {
		f.Fatalf("POST /en/class = %d to %q; want 303 to /class/CODE/teach", rec.Code, loc)
	}
	code := strings.TrimSuffix(strings.TrimPrefix(loc, "/class/"), "/teach")
	for _, ck := range rec.Result().Cookies() {
		if ck.Name == teacherCookie {
			return code, ck
		}
	}
	f.Fatal("POST /en/class set no teacher cookie")
	return "", nil
}

// storeRun runs coroutines (Go side only, 0.2 s) and keeps it in the run
// store, for a real /runs/{id} page; it returns the id.
func storeRun(f *testing.F, s *Server) string {
	f.Helper()
	sc := s.reg.Get("coroutines")
	vals, probs := sc.Parse(url.Values{"delays": {"0.1,0.1"}})
	if len(probs) > 0 {
		f.Fatalf("coroutines refused delays=0.1,0.1: %v", probs)
	}
	st, done := s.startRun(context.Background(), "en", sc, vals)
	<-done
	return s.runs.put(st.stored("coroutines", sc.ID, vals.Query()))
}

// reflected reports whether text occurs in what the visitor sent: the
// target as sent and decoded, and each query key and value. Control and
// format characters are dropped from both sides first, since a display
// name loses them before it is shown.
func reflected(text string, u *url.URL, target string) bool {
	drop := func(s string) string {
		return strings.Map(func(r rune) rune {
			if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
				return -1
			}
			return r
		}, s)
	}
	sent := []string{target, u.Path, u.RawQuery}
	if s, err := url.PathUnescape(target); err == nil {
		sent = append(sent, s)
	}
	q, _ := url.ParseQuery(u.RawQuery)
	for k, vs := range q {
		sent = append(sent, k)
		sent = append(sent, vs...)
	}
	for _, s := range sent {
		if strings.Contains(drop(s), drop(text)) {
			return true
		}
	}
	return false
}

// FuzzPages sends a fuzzed GET (any request target net/http would accept,
// any Accept-Language, with or without htmx's header) through the whole
// router. No answer is a 5xx; no body shows a stack trace or a source
// position that the visitor did not type themselves; every answer carries
// the security headers, and a 2xx HTML page the CSP with scripts from this
// site only; every redirect stays on this site.
func FuzzPages(f *testing.F) {
	s, log := fuzzServer(f)
	code, _ := createRoom(f, s)
	runID := storeRun(f, s)
	targets := []string{
		"/", "/en/", "/ja/", "/zh/", "/en", "/xx/", "/en/nothing/here", "//", "/%2e%2e/", "/en/%00",
		"/lessons/semaphore?limit=2", "/lessons/%2F%2Fevil.com",
		"/en/lessons/semaphore?panes=python,go", "/en/lessons/semaphore?theme=projector&lang=ja",
		"/en/lessons/semaphore?limit=50", "/en/lessons/semaphore?limit=abc&downloads=%EF%BC%93&delays=1,x",
		"/en/lessons/semaphore/play/semaphore?downloads=3&limit=2&delays=1,2,3",
		"/en/lessons/semaphore/play/semaphore?downloads=3&delays=1,2",
		"/en/lessons/coroutines/play/coroutines?delays=1,2", "/en/lessons/coroutines/play/coroutines?delays=",
		"/en/lessons/semaphore/play/nope",
		"/en/runs/" + runID, "/en/runs/" + runID + "?t=0.1", "/ja/runs/" + runID + "?t=-1", "/en/runs/" + runID + "?t=NaN",
		"/en/runs/abc?lesson=semaphore&q=limit%3D2", "/en/runs/abc?lesson=semaphore&q=%zz", "/runs/x", "/runs/x?t=1.5",
		"/embed/semaphore/semaphore", "/embed/semaphore/semaphore?lang=ja&theme=dark&panes=python&limit=2",
		"/embed/semaphore/semaphore?limit=0", "/embed-demo",
		"/en/class", "/class/join?code=", "/class/join?code=" + code + "&name=Ann", "/class/join?code=ab-cd-ef&lang=zh",
		"/class/join?code=ABCDEF&name=%E2%80%AEx", "/class/ABCD", "/class/" + code, "/class/" + strings.ToLower(code),
		"/class/" + code + "/teach", "/class/" + code + "/qr.svg", "/class/" + code + "/ws", "/class/abc-def/teach",
		"/ws/run/en/semaphore/semaphore?limit=2", "/ws/run/en/semaphore/semaphore?limit=99", "/en/own",
		"/static/css/app.css", "/static/css/code.css", "/static/vendor/htmx.min.js", "/static/", "/static/../go.mod",
		"/static/%2e%2e/static.go", "/favicon.ico", "/healthz", "/readyz", "/metrics",
	}
	for _, l := range s.catalog.Lessons {
		targets = append(targets, "/en/lessons/"+l.Slug)
		for _, id := range l.Scenarios {
			v, _ := s.reg.Get(id).Parse(nil)
			q := v.Query().Encode()
			targets = append(targets, "/ja/lessons/"+l.Slug+"/play/"+id+"?"+q, "/embed/"+l.Slug+"/"+id+"?"+q)
		}
	}
	languages := []string{"", "en", "ja-JP,ja;q=0.9,en;q=0.5", "zh-CN", "fr", "*", "ja;q=abc", "en;q=1e400,zh", ",,;"}
	for i, target := range targets {
		f.Add(target, languages[i%len(languages)], i%2 == 0)
	}
	f.Fuzz(func(t *testing.T, target, acceptLanguage string, htmx bool) {
		req, ok := fuzzRequest(http.MethodGet, target, "")
		if !ok {
			return
		}
		lang, ok := validHeaderValue(acceptLanguage)
		if !ok {
			return
		}
		if lang != "" {
			req.Header.Set("Accept-Language", lang)
		}
		if htmx {
			req.Header.Set("HX-Request", "true")
		}
		log.take()
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		body, h := rec.Body.String(), rec.Header()
		if rec.Code >= 500 {
			t.Fatalf("GET %q = %d\nbody: %.500s\nlog: %s", target, rec.Code, body, log.take())
		}
		for _, m := range internals.FindAllString(body, -1) {
			if !reflected(m, req.URL, target) {
				t.Fatalf("GET %q = %d shows %q, which the request did not contain:\n%.2000s", target, rec.Code, m, body)
			}
		}
		if h.Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(h.Get("Content-Security-Policy"), "default-src 'self'") {
			t.Fatalf("GET %q = %d without the security headers: %v", target, rec.Code, h)
		}
		if rec.Code < 300 && strings.HasPrefix(h.Get("Content-Type"), "text/html") {
			csp := h.Get("Content-Security-Policy")
			frames := "frame-ancestors 'none'"
			if strings.HasPrefix(req.URL.Path, "/embed/") {
				frames = "frame-ancestors 'self'"
			}
			if !strings.Contains(csp, "script-src 'self';") || !strings.Contains(csp, frames) {
				t.Fatalf("GET %q = %d: HTML with CSP %q", target, rec.Code, csp)
			}
		}
		if rec.Code < 300 && body != "" && h.Get("Content-Type") == "" {
			t.Fatalf("GET %q = %d: a body with no Content-Type", target, rec.Code)
		}
		if rec.Code >= 300 && rec.Code < 400 {
			loc := h.Get("Location")
			if !strings.HasPrefix(loc, "/") || strings.HasPrefix(loc, "//") || strings.HasPrefix(loc, "/\\") {
				t.Fatalf("GET %q = %d redirects off the site, to %q", target, rec.Code, loc)
			}
		}
	})
}

// classOps are the teacher's commands that leave the room open.
var classOps = []string{"lesson", "run", "ask", "reveal"}

// FuzzClassCommands posts fuzzed form bodies to a room's teacher commands,
// with the teacher's cookie and a same-origin Origin. The answer is exactly
// the one the room's state calls for: 413 for a body over the limit, 400
// for a body that is no form, and otherwise 200 or, for what the room
// refuses, 400 (an unknown lesson, question, or a reveal with nothing
// asked) or 422 (a run whose values have problems, each shown in the
// answer). Never a 403, 404, 429 or 5xx. The room takes what it accepted,
// and the teacher's page still loads afterwards.
func FuzzClassCommands(f *testing.F) {
	s, log := fuzzServer(f)
	code, teacher := createRoom(f, s)
	s.classMu.Lock()
	r := s.rooms[code]
	s.classMu.Unlock()
	for _, l := range s.catalog.Lessons {
		for _, id := range l.Scenarios {
			f.Add(uint8(0), url.Values{"pick": {l.Slug + "/" + id}}.Encode())
			v, _ := s.reg.Get(id).Parse(nil)
			f.Add(uint8(1), v.Query().Encode())
		}
		for _, q := range l.Quiz {
			f.Add(uint8(2), url.Values{"question": {q.ID}}.Encode())
		}
	}
	for _, seed := range []struct {
		op   uint8
		body string
	}{
		{0, "pick=semaphore"}, {0, "pick=/"}, {0, "pick=semaphore/coroutines"}, {0, "pick=%zz"}, {0, ""},
		{1, "delays=1,2&x=1"}, {1, "delays=1&delays=2,3"}, {1, "delays=0.1,0.1"}, {1, "delays="}, {1, "downloads=0&limit=abc"},
		{1, "a;b=1"}, {1, strings.Repeat("x", 70<<10)}, {1, "delays=" + strings.Repeat("1,", 1500) + "1"},
		{1, "requests=%EA"}, {1, "requests=0"}, {1, "connections=abc&latency=1e3"}, {1, "requests=2&requests=100"},
		{2, "question=total"}, {2, "question="}, {2, "question=nope"}, {3, ""}, {3, "x=1"},
	} {
		f.Add(seed.op, seed.body)
	}
	f.Fuzz(func(t *testing.T, opIndex uint8, body string) {
		op := classOps[int(opIndex)%len(classOps)]
		r.mu.Lock()
		lesson, sc, asked := r.lesson, r.scenario, r.q
		// A run an earlier input started may end during this one, and its
		// end reveals the question then asked.
		wasRunning := r.running
		r.mu.Unlock()
		form, formErr := url.ParseQuery(body)
		want, params := http.StatusOK, url.Values{}
		var probs []scenario.Problem
		switch {
		case len(body) > 64<<10:
			want = http.StatusRequestEntityTooLarge
		case formErr != nil:
			want = http.StatusBadRequest
		case op == "lesson":
			slug, id, _ := strings.Cut(form.Get("pick"), "/")
			if l := s.catalog.Get(slug); l == nil || !slices.Contains(l.Scenarios, id) {
				want = http.StatusBadRequest
			}
		case op == "run":
			for _, p := range sc.Params {
				if v, ok := form[p.Name]; ok {
					params.Set(p.Name, v[0]) // the first of a repeated key counts
				}
			}
			if _, probs = sc.Parse(params); len(probs) > 0 {
				want = http.StatusUnprocessableEntity
			}
		case op == "ask":
			if !slices.ContainsFunc(lesson.Quiz, func(q lessons.Question) bool { return q.ID == form.Get("question") }) {
				want = http.StatusBadRequest
			}
		case op == "reveal":
			if asked == nil {
				want = http.StatusBadRequest
			}
		}
		req, _ := fuzzRequest(http.MethodPost, "/class/"+code+"/"+op, body)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", fuzzOrigin)
		req.Header.Set("HX-Request", "true")
		req.AddCookie(teacher)
		log.take()
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if rec.Code != want {
			t.Fatalf("POST %s %.200q = %d; want %d (lesson %s, scenario %s)\nbody: %.500s\nlog: %s",
				op, body, rec.Code, want, lesson.Slug, sc.ID, rec.Body.String(), log.take())
		}
		if want == http.StatusOK || want == http.StatusUnprocessableEntity {
			if !strings.Contains(rec.Body.String(), "<") {
				t.Fatalf("POST %s %.200q = %d with no controls: %.500q", op, body, rec.Code, rec.Body.String())
			}
		}
		for _, p := range probs {
			if msg := viaBus(templ.EscapeString(web.ProblemText(r.lang, p))); !strings.Contains(rec.Body.String(), msg) {
				t.Fatalf("POST run %.200q = 422 without the problem %q", body, msg)
			}
		}
		if want == http.StatusOK {
			r.mu.Lock()
			switch op {
			case "lesson":
				if r.lesson.Slug+"/"+r.scenario.ID != form.Get("pick") {
					t.Errorf("lesson %q accepted, but the room shows %s/%s", form.Get("pick"), r.lesson.Slug, r.scenario.ID)
				}
			case "run":
				if !reflect.DeepEqual(r.values, params) {
					t.Errorf("run %q accepted, but the room keeps the values %v; want %v", body, r.values, params)
				}
			case "ask":
				if r.q == nil || r.q.ID != form.Get("question") || (r.revealed && !wasRunning) {
					t.Errorf("question %q accepted, but the room asks %v (revealed %v)", form.Get("question"), r.q, r.revealed)
				}
			case "reveal":
				if !r.revealed {
					t.Error("reveal accepted, but the room has not revealed")
				}
			}
			r.mu.Unlock()
		}
		page, _ := fuzzRequest(http.MethodGet, "/class/"+code+"/teach", "")
		page.AddCookie(teacher)
		rec = httptest.NewRecorder()
		s.ServeHTTP(rec, page)
		if rec.Code != http.StatusOK {
			t.Fatalf("after POST %s %.200q, the teacher's page = %d\nlog: %s", op, body, rec.Code, log.take())
		}
	})
}

// viaBus is s as it comes out of the room bus, which carries the controls
// as a JSON string: each byte that is not UTF-8 becomes U+FFFD.
func viaBus(s string) string {
	b, _ := json.Marshal(s)
	var out string
	_ = json.Unmarshal(b, &out)
	return out
}

// fuzzSecret stands for the room's teacher secret in FuzzRoomHandle's input.
const fuzzSecret = "$SECRET"

// FuzzRoomHandle feeds a fresh room a sequence of bus requests (one per
// line, up to eight; "$SECRET" stands for the teacher's secret), as the
// owner reads them from the room bus. It never panics, and every answer is
// JSON that decodes to the answer type and encodes back to the same bytes.
// A request that is no JSON request is "bad"; a teacher's request without
// the secret is "forbidden"; the room answers in its language; after "end"
// with the secret it answers only "ended"; a request it accepts encodes and
// decodes to itself; the parts it sends are browser messages.
func FuzzRoomHandle(f *testing.F) {
	s, _ := fuzzServer(f)
	cat := s.catalog
	for _, seed := range []string{
		`{"op":"info"}`, `{"op":"auth","secret":"$SECRET"}`, `{"op":"auth","secret":"nope"}`, `{"op":"auth"}`,
		`{"op":"join","student":"s1","name":"Ann"}` + "\n" + `{"op":"join","student":"s1","name":"Ann","have":true}` +
			"\n" + `{"op":"leave","student":"s1"}` + "\n" + `{"op":"leave","student":"s1"}`,
		`{"op":"join","secret":"$SECRET"}` + "\n" + `{"op":"leave","secret":"$SECRET"}` + "\n" + `{"op":"join","secret":"x"}`,
		`{"op":"join","student":"s1"}` + "\n" + `{"op":"ask","secret":"$SECRET","question":"total"}` + "\n" +
			`{"op":"answer","student":"s1","choice":2}` + "\n" + `{"op":"reveal","secret":"$SECRET"}` + "\n" +
			`{"op":"answer","student":"s1","choice":1}`,
		`{"op":"answer","student":"s1","choice":-1}`, `{"op":"answer","student":"s1","choice":1e99}`,
		`{"op":"lesson","secret":"$SECRET","pick":"semaphore/semaphore"}` + "\n" + `{"op":"run","secret":"$SECRET","query":"limit=2&downloads=2&delays=0.1,0.1"}`,
		`{"op":"run","secret":"$SECRET","query":"delays=1,2,3"}`, `{"op":"run","secret":"$SECRET","query":"%zz"}`,
		`{"op":"lesson","secret":"$SECRET","pick":"nope/nope"}`, `{"op":"reveal","secret":"$SECRET"}`,
		`{"op":"end","secret":"$SECRET"}` + "\n" + `{"op":"info"}`, `{"op":"end"}`, `{"op":"nope","secret":"$SECRET"}`,
		`{"OP":"info","Secret":"$SECRET"}`, `{"op":"info","op":"end","secret":"$SECRET"}`, `{"op":1}`,
		`not json`, ``, `null`, `[]`, `{"op":"join","student":"s1","name":"\u202e\u0000` + strings.Repeat("é", 40) + `"}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, input []byte) {
		lines := bytes.SplitN(input, []byte("\n"), 9)
		if len(lines) > 8 {
			lines = lines[:8]
		}
		secret := newSecret()
		first := cat.Lessons[0]
		r, err := s.newRoom("ja", secret, "192.0.2.1", first, s.reg.Get(first.Scenarios[0]))
		if err != nil {
			t.Fatalf("newRoom: %v", err)
		}
		defer func() {
			r.mu.Lock()
			r.closeLocked()
			r.mu.Unlock()
		}()
		ended := false
		for _, line := range lines {
			msg := bytes.ReplaceAll(line, []byte(fuzzSecret), []byte(secret))
			out := r.handle(msg)
			var resp roomResp
			dec := json.NewDecoder(bytes.NewReader(out))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&resp); err != nil {
				t.Fatalf("handle(%q) = %q, which is no answer: %v", msg, out, err)
			}
			if again, _ := json.Marshal(resp); !bytes.Equal(again, out) {
				t.Fatalf("handle(%q) = %q, which encodes back as %q", msg, out, again)
			}
			var req roomReq
			if err := json.Unmarshal(msg, &req); err != nil {
				if !reflect.DeepEqual(resp, roomResp{Err: "bad"}) {
					t.Fatalf("handle(%q), no request, = %+v; want only bad", msg, resp)
				}
				continue
			}
			b, _ := json.Marshal(req)
			var back roomReq
			if err := json.Unmarshal(b, &back); err != nil || back != req {
				t.Fatalf("request %+v encodes as %q, which decodes as %+v (%v)", req, b, back, err)
			}
			if ended {
				if !reflect.DeepEqual(resp, roomResp{Err: "ended"}) {
					t.Fatalf("handle(%q) after end = %+v; want only ended", msg, resp)
				}
				continue
			}
			if resp.Lang != "ja" {
				t.Fatalf("handle(%q) = %+v; want the room's language, ja", msg, resp)
			}
			teacherOp := !slices.Contains([]string{"join", "leave", "answer", "info"}, req.Op)
			if (teacherOp || (req.Op == "join" && req.Secret != "")) && req.Secret != secret && resp.Err != "forbidden" {
				t.Fatalf("handle(%q) without the secret = %+v; want forbidden", msg, resp)
			}
			switch resp.Err {
			case "", "bad", "forbidden":
			default:
				t.Fatalf("handle(%q) = %+v; want no error, bad or forbidden", msg, resp)
			}
			controls := slices.Contains([]string{"lesson", "run", "ask", "reveal"}, req.Op)
			if (resp.HTML != "") != (controls && resp.Err == "") {
				t.Fatalf("handle(%q) = %+v; want the controls exactly for an accepted teacher's command", msg, resp)
			}
			for _, sl := range resp.Slots {
				var m wsMsg
				if err := json.Unmarshal(sl.Msg, &m); err != nil || m.Target == "" {
					t.Fatalf("handle(%q) sends part %s as %q, which is no browser message", msg, sl.Key, sl.Msg)
				}
			}
			if req.Op == "end" && resp.Err == "" {
				ended = true
			}
		}
		var resp roomResp
		_ = json.Unmarshal(r.handle([]byte(`{"op":"info"}`)), &resp)
		if want := map[bool]string{true: "ended", false: ""}[ended]; resp.Err != want {
			t.Fatalf("after %q, info = %+v; want err %q", input, resp, want)
		}
	})
}

// FuzzHubDeliver feeds an instance's hub a sequence of bus messages (one per
// line, up to sixteen), as published by a room's owner. It never panics. A
// message that is JSON for a part is kept only when it is newer than the
// part kept before (by Seq), and it goes to the sockets its audience names:
// the teacher's for "t", the students' for "s", both otherwise. An ending
// message marks the hub ended and closes both sockets. Every message queued
// for a browser is the part's msg, byte for byte: JSON, or nothing for a
// part that has none ("{}" decodes as such a part and is forwarded as an
// empty message; the owner never publishes one, since encodeWS always
// gives JSON, so the hub does not check).
func FuzzHubDeliver(f *testing.F) {
	s, _ := fuzzServer(f)
	part := func(seq int, key, aud string, end bool) string {
		b, _ := json.Marshal(slotMsg{Seq: uint64(seq), Key: key, Aud: aud, Msg: encodeWS("#class-"+key, "<p>x</p>"), End: end})
		return string(b)
	}
	for _, seed := range []string{
		part(1, "lesson", audAll, false),
		part(2, "controls", audTeacher, false) + "\n" + part(3, "status@s", audStudent, false) + "\n" + part(1, "controls", audTeacher, false),
		part(5, "run", audAll, false) + "\n" + part(5, "run", audStudent, false) + "\n" + part(6, "run", "x", false),
		part(9, "status@a", audAll, true) + "\n" + part(10, "lesson", audAll, false),
		`{"seq":1,"key":"k","aud":"a","msg":null}`, `{"seq":-1,"key":"k"}`, `{"seq":1e30,"key":"k","msg":{}}`,
		`{"seq":1,"key":"k","msg":"\u003cb\u003e"}`, `{"Seq":2,"KEY":"k","Msg":[1,2]}`, `not json`, ``, `[]`, `{}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, input []byte) {
		lines := bytes.SplitN(input, []byte("\n"), 17)
		if len(lines) > 16 {
			lines = lines[:16]
		}
		teacher, pupil := newClassConn(true, ""), newClassConn(false, "s1")
		h := &hub{code: "ABCDEF", conns: map[*classConn]struct{}{teacher: {}, pupil: {}}, slots: map[string]slotMsg{}}
		kept := map[string]slotMsg{}
		queued := map[*classConn]map[string][]byte{teacher: {}, pupil: {}}
		ended := false
		for _, line := range lines {
			s.deliver(h, line)
			var sl slotMsg
			if json.Unmarshal(line, &sl) != nil {
				continue
			}
			if old, ok := kept[sl.Key]; ok && old.Seq >= sl.Seq {
				continue
			}
			kept[sl.Key] = sl
			if sl.Aud != audStudent {
				queued[teacher][sl.Key] = sl.Msg
			}
			if sl.Aud != audTeacher {
				queued[pupil][sl.Key] = sl.Msg
			}
			ended = ended || sl.End
		}
		h.mu.Lock()
		defer h.mu.Unlock()
		if !reflect.DeepEqual(h.slots, kept) || h.ended != ended {
			t.Fatalf("after %q the hub keeps %v (ended %v); want %v (ended %v)", input, h.slots, h.ended, kept, ended)
		}
		for c, want := range queued {
			c.mu.Lock()
			got := c.latest
			c.mu.Unlock()
			if len(got) != len(want) {
				t.Fatalf("after %q a socket (teacher %v) has %d parts waiting; want %d", input, c.teacher, len(got), len(want))
			}
			for k, msg := range want {
				if !bytes.Equal(got[k], msg) || (len(msg) > 0 && !json.Valid(got[k])) {
					t.Fatalf("after %q a socket (teacher %v) has part %s = %q; want %q, JSON", input, c.teacher, k, got[k], msg)
				}
			}
			select {
			case <-c.kicked:
				if !ended {
					t.Fatalf("after %q a socket was closed, but no part ended the room", input)
				}
			default:
				if ended {
					t.Fatalf("after %q the room ended, but a socket is still open", input)
				}
			}
		}
	})
}

// FuzzParseOrigins reads a fuzzed --embed-origins list. It never panics.
// What it accepts has one origin for each non-blank entry, each of the form
// scheme://host[:port]: http or https, a host name, a port only of digits,
// in lower case, with no user, path, query or fragment; the list it gives
// reads back as itself; and a server with those origins lets each of them
// open a WebSocket. What it refuses is named in the error.
func FuzzParseOrigins(f *testing.F) {
	for _, seed := range []string{
		"", ",", " https://Docs.Example.com, http://localhost:3000 ,", "https://x.org/", "http://[::1]:8080",
		"docs.example.com", "ftp://x.org", "https://x.org/path", "https://u@x.org", "https://x.org?q=1", "https://",
		"https://x.org#f", "https://x.org?", "https:x.org", "//x.org", "https://x.org:99999", "https://x.org:port",
		"HTTPS://X.ORG", "https://bücher.de", "https://%41.org", "http://x.org,ftp://y.org", "https://x.org\t", "https://:80", "http://x.org:",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, list string) {
		out, err := ParseOrigins(list)
		var entries []string
		for _, e := range strings.Split(list, ",") {
			if e = strings.TrimSpace(e); e != "" {
				entries = append(entries, e)
			}
		}
		if err != nil {
			if out != nil {
				t.Fatalf("ParseOrigins(%q) = %q with the error %v", list, out, err)
			}
			if !slices.ContainsFunc(entries, func(e string) bool { return strings.Contains(err.Error(), strconv.Quote(e)) }) {
				t.Fatalf("ParseOrigins(%q): the error %q names none of the entries", list, err)
			}
			return
		}
		if len(out) != len(entries) {
			t.Fatalf("ParseOrigins(%q) = %q for %d entries", list, out, len(entries))
		}
		for _, o := range out {
			scheme, hostport, ok := strings.Cut(o, "://")
			u, perr := url.Parse(o)
			if !ok || (scheme != "http" && scheme != "https") || perr != nil || u.Scheme != scheme || u.Host != hostport ||
				u.User != nil || u.Path != "" || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || u.Opaque != "" {
				t.Fatalf("ParseOrigins(%q) accepted %q, which is no scheme://host[:port]", list, o)
			}
			if (u.Hostname() == "" || strings.HasSuffix(hostport, ":")) ||
				strings.Trim(u.Port(), "0123456789") != "" {
				t.Fatalf("ParseOrigins(%q) accepted %q: host %q, port %q", list, o, u.Hostname(), u.Port())
			}
			if o != strings.ToLower(o) {
				t.Fatalf("ParseOrigins(%q) accepted %q, not in lower case", list, o)
			}
			req := httptest.NewRequest(http.MethodGet, "/ws/run/en/semaphore/semaphore", nil)
			req.Header.Set("Origin", o)
			if !(&Server{cfg: Config{EmbedOrigins: out}}).originAllowed(req) {
				t.Fatalf("ParseOrigins(%q) accepted %q, but a server with %q refuses it as an Origin", list, o, out)
			}
		}
		again, err := ParseOrigins(strings.Join(out, ","))
		if err != nil || !slices.Equal(again, out) {
			t.Fatalf("ParseOrigins(%q) = %q, which reads back as %q, %v", list, out, again, err)
		}
	})
}
