package server

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/asyncplay/asyncplay/lessons"
	"github.com/asyncplay/asyncplay/static"
	"github.com/asyncplay/asyncplay/web"
)

// logTail keeps what a logger writes, for a failed test to show.
type logTail struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logTail) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// take is everything written since the last take, which it forgets.
func (l *logTail) take() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.b.String()
	l.b.Reset()
	return s
}

// last is the last n lines written.
func (l *logTail) last(n int) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	lines := strings.Split(strings.TrimRight(l.b.String(), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// TestBrowserClassroom drives a class with a teacher and two students, each
// in a browser context of their own (their own cookies): follow the
// teacher, predict, one run for everyone, the tally, then a student steps
// out and rejoins.
func TestBrowserClassroom(t *testing.T) {
	py := requirePython(t)
	root := browser(t)
	// The server's log is kept, so that a failed step can say what the
	// server saw (CI once timed out at a join with nothing else to go on).
	logs := &logTail{}
	cfg := Config{Logger: slog.New(slog.NewTextHandler(logs, nil)), Lessons: lessons.Embedded(), Static: static.FS(), Python: py}
	srv, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	base := serve(t, srv)
	root, cancel := context.WithTimeout(root, 180*time.Second)
	defer cancel()
	person := func() context.Context {
		ctx, cancel := chromedp.NewContext(root, chromedp.WithNewBrowserContext())
		t.Cleanup(cancel)
		// Open the tab now, on this context: a tab opened by a step's
		// shorter context would close when that step ends.
		if err := chromedp.Do(ctx); err != nil {
			t.Fatal(err)
		}
		return ctx
	}
	teacher, aiko, ben := root, person(), person()
	// Each step has 30 s; one that fails says where the page was and what
	// it showed, and leaves a screenshot, while the test's context lives.
	run := func(ctx context.Context, who string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		step, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		if err := chromedp.Do(step, actions...); err != nil {
			state, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`location.href + " | status: " +
				((document.querySelector('#class-status')||{}).textContent||"none") + " | visibility: " +
				document.visibilityState + " | socket: " +
				String(document.querySelector('.class-live')?._htmx?.ws?.connection?.socket?.readyState) + " | run: " +
				((document.querySelector('#class-run')||{}).outerHTML||"none").slice(0, 400)`))
			state += fmt.Sprintf(" | class sockets open on the server: %d", srv.count.classSockets.Load())
			screenshot(t, ctx, "class-failure-"+who)
			t.Fatalf("%s: %v; the page: %s\nthe server's log, last lines:\n%s", who, err, state, logs.last(40))
		}
	}
	eval := func(ctx context.Context, expr string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr))
		if err != nil {
			t.Fatalf("evaluate %s: %v", expr, err)
		}
		return s
	}
	text := func(ctx context.Context, sel string) string {
		t.Helper()
		return eval(ctx, `(document.querySelector(`+jsString(sel)+`)||{}).textContent||""`)
	}
	waitText := func(ctx context.Context, who, sel, want string) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			s, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`(document.querySelector(`+jsString(sel)+`)||{}).textContent||""`))
			if strings.Contains(s, want) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: %s never said %q; it says %q\nthe server's log, last lines:\n%s", who, sel, want, s, logs.last(40))
			}
			time.Sleep(50 * time.Millisecond)
		}
	}

	// The teacher starts a class.
	run(teacher, "teacher",
		chromedp.Navigate(base+"/en/class"),
		chromedp.Click(chromedp.CSS(`form[action="/en/class"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`#class-controls .class-pick`)),
	)
	code := strings.TrimSpace(text(teacher, ".join-code"))
	if len(code) != 6 {
		t.Fatalf("join code %q; want six characters", code)
	}
	if eval(teacher, `String(document.querySelector("img.qr").naturalWidth > 0)`) != "true" {
		t.Error("the QR code image did not load")
	}

	// Aiko types the code in lower case with her name; Ben opens the
	// join link (what the QR code holds).
	run(aiko, "aiko",
		chromedp.Navigate(base+"/en/class"),
		chromedp.SendKeys(chromedp.CSS(`#class-code`), strings.ToLower(code)),
		chromedp.SendKeys(chromedp.CSS(`#class-name`), "Aiko"),
		chromedp.Click(chromedp.CSS(`.class-join button`)),
		chromedp.WaitVisible(chromedp.CSS(`#class-lesson h1`)),
	)
	run(ben, "ben", chromedp.Navigate(base+"/class/"+code), chromedp.WaitVisible(chromedp.CSS(`#class-lesson h1`)))
	waitText(teacher, "teacher", "#class-status", "2 connected")
	waitText(teacher, "teacher", "#class-status", "Aiko")
	waitText(ben, "ben", "#class-status", "2 connected")
	if eval(ben, `String(document.querySelectorAll("#class-controls, .class-pick").length)`) != "0" {
		t.Error("a student's page has the teacher's controls")
	}

	// Follow: the teacher moves to the semaphore lesson.
	run(teacher, "teacher",
		chromedp.SetValue(chromedp.CSS(`#class-pick`), "semaphore/semaphore"),
		chromedp.Click(chromedp.CSS(`.class-pick button`)),
	)
	for who, ctx := range map[string]context.Context{"aiko": aiko, "ben": ben} {
		waitText(ctx, who, "#class-lesson h1", "semaphore")
	}
	// Everyone gets the same fragments; each role sees its own notes, and
	// only students are offered to step out.
	shown := func(ctx context.Context, sel string) string {
		return eval(ctx, `Array.from(document.querySelectorAll(`+jsString(sel)+`)).filter(e => e.offsetParent !== null).map(e => e.textContent.trim()).join(" | ")`)
	}
	waitText(teacher, "teacher", "#class-lesson h1", "semaphore")
	if got := shown(teacher, "#class-run .idle-note, .step-out"); !strings.Contains(got, "Run for everyone") || strings.Contains(got, "Waiting for the teacher") || strings.Contains(got, "Step out") {
		t.Errorf("the teacher's page shows %q; want the note telling them to run, and neither the students' note nor stepping out", got)
	}
	if got := shown(ben, "#class-run .idle-note, .step-out"); !strings.Contains(got, "Waiting for the teacher") || !strings.Contains(got, "Step out") || strings.Contains(got, "Run for everyone") {
		t.Errorf("a student's page shows %q; want the waiting note and stepping out, not the teacher's note", got)
	}

	// Predict: the teacher asks; Aiko answers B (right), Ben A (wrong).
	run(teacher, "teacher", chromedp.WaitVisible(chromedp.CSS(`.class-ask button`)), chromedp.Click(chromedp.CSS(`.class-ask button`)))
	for who, c := range map[string]struct {
		ctx    context.Context
		choice int
	}{"aiko": {aiko, 1}, "ben": {ben, 0}} {
		sel := `.choices form:nth-child(` + string(rune('1'+c.choice)) + `) button`
		run(c.ctx, who, chromedp.WaitVisible(chromedp.CSS(sel)), chromedp.Click(chromedp.CSS(sel)))
		waitText(c.ctx, who, "#class-mine", "Your answer: "+string(rune('A'+c.choice)))
	}
	waitText(teacher, "teacher", "#class-tally", "2 of 2 answered")
	screenshot(t, teacher, "class-teacher-tally")
	if got := text(aiko, "#class-tally"); got != "" {
		t.Errorf("a student sees the tally before the run: %q", got)
	}

	// One run for everyone, with the teacher's values.
	run(teacher, "teacher",
		chromedp.SetValue(chromedp.CSS(`#class-p-downloads`), "4"),
		chromedp.SetValue(chromedp.CSS(`#class-p-delays`), "0.4,0.3,0.5,0.2"),
		chromedp.Click(chromedp.CSS(`.class-run .run-button`)),
	)
	for who, ctx := range map[string]context.Context{"teacher": teacher, "aiko": aiko, "ben": ben} {
		run(ctx, who, chromedp.WaitVisible(chromedp.CSS(`#class-run .frame[data-finished="true"]`)))
		waitText(ctx, who, "#class-tally", "1 of 2 right")
	}
	waitText(aiko, "aiko", "#class-lesson .class-params", "0.4,0.3,0.5,0.2")
	if lanes := eval(ben, `String(document.querySelectorAll('#class-run .side[data-runtime="go"] g.lane').length)`); lanes < "5" || len(lanes) != 1 {
		t.Errorf("ben's run shows %s Go lanes; want main and 4 downloads", lanes)
	}
	screenshot(t, aiko, "class-student-after-run")
	run(ben, "ben", chromedp.EmulateViewport(390, 844))
	if wide := eval(ben, phoneOverflow); wide != "" {
		t.Errorf("the class page is wider than a phone: %s", wide)
	}
	screenshot(t, ben, "class-student-phone")
	screenshot(t, teacher, "class-teacher-after-run")

	// Ben steps out to explore alone, then rejoins in one click and finds
	// the class as it is.
	run(ben, "ben",
		chromedp.Click(chromedp.CSS(`.step-out a`)),
		chromedp.WaitVisible(chromedp.CSS(`article.lesson`)),
		chromedp.WaitVisible(chromedp.CSS(`.rejoin-banner a`)),
	)
	url, _ := chromedp.Run(ben, chromedp.Location())
	if !strings.Contains(url, "/en/lessons/semaphore?") || !strings.Contains(url, "delays=0.4%2C0.3%2C0.5%2C0.2") {
		t.Errorf("step-out went to %q; want the semaphore lesson with the class's values", url)
	}
	screenshot(t, ben, "class-student-stepped-out")
	run(ben, "ben",
		chromedp.Click(chromedp.CSS(`.rejoin-banner a`)),
		chromedp.WaitVisible(chromedp.CSS(`#class-run .frame[data-finished="true"]`)),
	)
	waitText(ben, "ben", "#class-tally", "1 of 2 right")
	waitText(teacher, "teacher", "#class-status", "2 connected")
}

func jsString(s string) string { return "'" + strings.ReplaceAll(s, "'", `\'`) + "'" }

// phoneOverflow names the elements that stick out past the viewport's
// right edge, or is "" when the page fits.
const phoneOverflow = `(() => {
  const w = document.documentElement.clientWidth;
  if (document.documentElement.scrollWidth <= w) return "";
  const out = [];
  for (const el of document.querySelectorAll("body *")) {
    const r = el.getBoundingClientRect();
    if (r.right > w + 1 && r.width > 0) out.push(el.tagName.toLowerCase() + "." + el.className + " right=" + Math.round(r.right));
    if (out.length > 6) break;
  }
  return "scrollWidth " + document.documentElement.scrollWidth + " > " + w + ": " + out.join("; ");
})()`

// TestBrowserSlowWebSocketExtension: a page whose WebSocket is in its first
// HTML (a class page) connects even when htmx's WebSocket extension arrives
// well after htmx itself. With both scripts deferred, htmx went over the
// page before the extension was there, and the page never connected.
func TestBrowserSlowWebSocketExtension(t *testing.T) {
	py := requirePython(t)
	ctx := browser(t)
	srv := newServer(t, py)
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/hx-ws.js") {
			time.Sleep(700 * time.Millisecond)
		}
		srv.ServeHTTP(w, r)
	}))
	defer slow.Close()
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	err := chromedp.Do(ctx,
		chromedp.Navigate(slow.URL+"/en/class"),
		chromedp.Click(chromedp.CSS(`form[action="/en/class"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`#class-controls .class-pick`)),
	)
	if err != nil {
		t.Fatalf("start a class: %v", err)
	}
	reconnecting := web.T("en", "class.reconnecting")
	_, err = chromedp.Run(ctx, chromedp.Poll[bool](`(document.querySelector('#class-status')||{}).textContent.trim() !== `+jsString(reconnecting),
		chromedp.WithPollingTimeout(15*time.Second)))
	if err != nil {
		state, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`(document.querySelector('#class-status')||{}).textContent + " | socket: " +
			String(document.querySelector('.class-live')?._htmx?.ws?.connection?.socket?.readyState)`))
		t.Fatalf("the class page never connected with a slow extension: %v; status %s", err, state)
	}
}
