package server

import (
	"context"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/asyncplay/asyncplay/web"
)

func ownPost(t *testing.T, s *Server, host, origin, code string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/en/own", strings.NewReader(url.Values{"code": {code}}.Encode()))
	req.Host = host
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("HX-Request", "true")
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	return rec
}

func TestOwnCode(t *testing.T) {
	off := newServer(t, nil)
	if rec := get(t, off, "/en/own"); rec.Code != 404 {
		t.Errorf("/en/own without --allow-own-code = %d; want 404", rec.Code)
	}
	py := requirePython(t)
	s := newServer(t, py)
	s.cfg.AllowOwnCode = true
	const host = "127.0.0.1:8080"
	ok := ownPost(t, s, host, "http://"+host, ownExample)
	body := ok.Body.String()
	if ok.Code != 200 || !strings.Contains(body, `data-lane="fast"`) || !strings.Contains(body, `data-lane="slow"`) || !strings.Contains(body, `class="player"`) {
		t.Fatalf("own program = %d; want its lanes and the player:\n%.600s", ok.Code, body)
	}
	// What it printed, in order, each line with its time and task.
	printed := body[strings.Index(body, `class="own-output"`)+1:]
	if !strings.Contains(body, `class="own-output"`) || !regexp.MustCompile(`(?s)<span class="at">0\.\d{3} s</span> <span class="lane">fast</span> fast 0\n.*<span class="lane">slow</span> slow 0\n`).MatchString(printed) {
		t.Errorf("own program: want what it printed, line by line with time and task:\n%s", printed)
	}
	bad := ownPost(t, s, host, "http://"+host, "def (:\n")
	if n := strings.Count(bad.Body.String(), "SyntaxError"); n != 1 {
		t.Errorf("invalid Python: its SyntaxError shown %d times; want once:\n%.900s", n, bad.Body.String())
	}
	// A visitor's program runs at --python-nice, as scenario runs do (or at
	// the tests' own niceness, if that is already lower: it cannot be raised).
	out, err := exec.Command(py.Path, "-c", "import os; print(os.nice(0))").Output()
	if err != nil {
		t.Fatal(err)
	}
	own, err := strconv.Atoi(strings.TrimSpace(string(out)))
	if err != nil {
		t.Fatal(err)
	}
	s.cfg.PythonNice = 7
	niced := ownPost(t, s, host, "http://"+host, "import asyncio, os\nasync def main():\n    await asyncio.sleep(0.2)\n    print('nice', os.nice(0))\nasyncio.run(main())\n")
	if want := fmt.Sprintf("nice %d", max(7, own)); !strings.Contains(niced.Body.String(), want) {
		t.Errorf("own program at --python-nice 7: want it to print %s:\n%.600s", want, niced.Body.String())
	}
	if empty := ownPost(t, s, host, "http://"+host, "  "); !strings.Contains(empty.Body.String(), "Type or paste a program first.") {
		t.Error("an empty program is not refused with a message")
	}
	for _, tc := range []struct{ name, host, origin string }{
		{"another site's form", host, "https://evil.example"},
		{"no origin", host, ""},
		{"DNS rebinding", "evil.example:8080", "http://evil.example:8080"},
	} {
		if rec := ownPost(t, s, tc.host, tc.origin, ownExample); rec.Code != http.StatusForbidden {
			t.Errorf("%s: %d; want 403", tc.name, rec.Code)
		}
	}
}

// openOwnCode serves /en/own with own code allowed, opens it in a
// browser, puts code in the form unless it is empty (the page's own
// example then) and presses Run. The context ends with the test.
func openOwnCode(t *testing.T, code string) context.Context {
	t.Helper()
	py := requirePython(t)
	s := newServer(t, py)
	s.cfg.AllowOwnCode = true
	base := serve(t, s)
	ctx, cancel := context.WithTimeout(browser(t), 40*time.Second)
	t.Cleanup(cancel)
	actions := []chromedp.Action[chromedp.Void]{
		chromedp.Navigate(base + "/en/own"),
		chromedp.WaitVisible(chromedp.ID("own-code")),
	}
	if code != "" {
		actions = append(actions, chromedp.SetValue(chromedp.ID("own-code"), code))
	}
	actions = append(actions, chromedp.Click(chromedp.CSS(".own-form .run-button")))
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatal(err)
	}
	return ctx
}

func TestBrowserOwnCode(t *testing.T) {
	ctx := openOwnCode(t, "")
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.querySelectorAll('#own-result g.lane').length === 3`,
		chromedp.WithPollingTimeout(30*time.Second))); err != nil {
		t.Fatalf("own program's lanes did not show: %v", err)
	}
	screenshot(t, ctx, "own-code")
}

// crowdedBands blocks its loop three times in quick succession in a run
// of over two seconds, so the three blocked-loop bands lie within a label's
// width of each other.
const crowdedBands = `import asyncio
import time


async def main():
    for _ in range(3):
        time.sleep(0.08)
        await asyncio.sleep(0.01)
    await asyncio.sleep(2)


asyncio.run(main())
`

// TestBrowserCrowdedBandLabels: blocked-loop bands close together do not
// write their labels over each other: the first keeps its label, and a
// label that would run into the one shown before it is hidden.
func TestBrowserCrowdedBandLabels(t *testing.T) {
	ctx := openOwnCode(t, crowdedBands)
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.querySelectorAll('#own-result svg.band-labels text.band-label').length >= 3`,
		chromedp.WithPollingTimeout(30*time.Second))); err != nil {
		t.Fatalf("the three blocked-loop bands' labels did not show: %v", err)
	}
	var got struct {
		Labels, Shown int
		Overlaps      []string
	}
	evalJSON(t, ctx, `(() => {
  const ts = [...document.querySelectorAll('#own-result svg.band-labels text.band-label')];
  const shown = ts.filter(t => getComputedStyle(t).visibility !== 'hidden').map(t => t.getBoundingClientRect());
  const overlaps = [];
  for (let i = 1; i < shown.length; i++) {
    if (shown[i].left < shown[i-1].right) overlaps.push(shown[i-1].right.toFixed(0) + ' > ' + shown[i].left.toFixed(0));
  }
  return JSON.stringify({labels: ts.length, shown: shown.length, overlaps: overlaps});
})()`, &got)
	if got.Shown < 1 || len(got.Overlaps) > 0 {
		t.Errorf("%d band labels, %d shown, overlapping at %v; want at least one shown and none over another", got.Labels, got.Shown, got.Overlaps)
	}
	screenshot(t, ctx, "own-crowded-bands")
}

// ownPostBody posts body to /{lang}/own as htmx does from this machine's
// page; with chunked, no length is declared.
func ownPostBody(t *testing.T, s *Server, lang string, body string, chunked bool) *httptest.ResponseRecorder {
	t.Helper()
	var r io.Reader = strings.NewReader(body)
	if chunked {
		r = io.MultiReader(r) // no length for httptest to declare
	}
	req := httptest.NewRequest(http.MethodPost, "/"+lang+"/own", r)
	req.Host = "127.0.0.1:8080"
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("HX-Request", "true")
	req.Header.Set("Origin", "http://127.0.0.1:8080")
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	return rec
}

// browserForm encodes a program as a browser posts a textarea: line breaks
// as CR LF, then percent-encoded.
func browserForm(code string) string {
	return url.Values{"code": {strings.ReplaceAll(code, "\n", "\r\n")}}.Encode()
}

// padProgram makes a valid asyncio program of exactly n bytes whose
// padding is line, repeated (and cut to fit at a character's edge).
func padProgram(n int, line string) string {
	head := "import asyncio\n\n\nasync def main():\n    print('traced')\n\n\nasyncio.run(main())\n"
	var b strings.Builder
	b.WriteString(head)
	for b.Len()+len(line) <= n {
		b.WriteString(line)
	}
	for b.Len() < n {
		b.WriteString("\n")
	}
	return b.String()
}

// TestOwnCodeSize: the 48 KiB limit counts the program's bytes, not its
// form-encoded body: a program at the limit is traced whatever its script
// and however many lines it has; one byte more is refused saying so; and a
// body too big to hold a program within the limit is refused with the same
// sentence and 413, whether its length was declared or not (it used to
// read as no program at all).
func TestOwnCodeSize(t *testing.T) {
	py := requirePython(t)
	s := newServer(t, py)
	s.cfg.AllowOwnCode = true
	toolong := web.T("ja", "own.toolong", 48)
	for _, tc := range []struct{ name, line string }{
		{"Japanese comments", "# 非同期のタスクを数える。ここは日本語のコメントです。\n"},
		{"empty lines", "\n"}, // the most a byte can cost: CR LF, six once encoded
	} {
		code := padProgram(ownCodeMax, tc.line)
		body := browserForm(code)
		if len(body) <= 64<<10 {
			t.Fatalf("%s: the body is %d bytes; the test wants one past the site-wide 64 KiB", tc.name, len(body))
		}
		for _, chunked := range []bool{false, true} {
			rec := ownPostBody(t, s, "ja", body, chunked)
			if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `data-status="finished"`) || !strings.Contains(rec.Body.String(), "traced") {
				t.Errorf("%s: a program of %d bytes in a body of %d (chunked %v) = %d; want it traced:\n%.600s",
					tc.name, len(code), len(body), chunked, rec.Code, rec.Body.String())
			}
		}
	}
	over := padProgram(ownCodeMax+1, "# x\n")
	if rec := ownPostBody(t, s, "ja", browserForm(over), false); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), toolong) {
		t.Errorf("a program of %d bytes = %d; want %q:\n%.600s", len(over), rec.Code, toolong, rec.Body.String())
	}
	huge := browserForm(strings.Repeat("あ", ownBodyMax/9+1))
	for _, chunked := range []bool{false, true} {
		rec := ownPostBody(t, s, "ja", huge, chunked)
		if rec.Code != http.StatusRequestEntityTooLarge || !strings.Contains(rec.Body.String(), toolong) {
			t.Errorf("a body of %d bytes (chunked %v) = %d; want 413 and %q:\n%.600s", len(huge), chunked, rec.Code, toolong, rec.Body.String())
		}
	}
}

// TestOwnCodeStopsInVisitorsLanguage: why a visitor's program stopped is
// said in the page's language; what the program wrote (its SyntaxError)
// stays as it is, after that sentence.
func TestOwnCodeStopsInVisitorsLanguage(t *testing.T) {
	py := requirePython(t)
	s := newServer(t, py)
	s.cfg.AllowOwnCode = true
	for _, tc := range []struct{ name, lang, code, want string }{
		{"too much output", "ja", "import asyncio, sys\n\n\nasync def main():\n    sys.stderr.write('x' * (2 << 20))\n\n\nasyncio.run(main())\n",
			"Python のプログラムの出力が 1 MiB を超えたため停止しました。"},
		{"a signal", "zh", "import asyncio, os, signal\n\n\nasync def main():\n    os.kill(os.getpid(), signal.SIGSEGV)\n\n\nasyncio.run(main())\n",
			"Python 程序被信号（segmentation fault）终止了。"},
		{"a SyntaxError", "ja", "def (:\n", "Python のプログラムが失敗しました(終了ステータス 1)。\n"},
	} {
		rec := ownPostBody(t, s, tc.lang, browserForm(tc.code), false)
		m := sideErrRE.FindStringSubmatch(rec.Body.String())
		if m == nil {
			t.Errorf("%s: no error shown:\n%.800s", tc.name, rec.Body.String())
			continue
		}
		got := html.UnescapeString(m[2])
		if !strings.HasPrefix(got, tc.want) {
			t.Errorf("%s on /%s/own: %q; want it to start %q", tc.name, tc.lang, got, tc.want)
		}
		if tc.name == "a SyntaxError" && !strings.Contains(got, "SyntaxError: invalid syntax") {
			t.Errorf("%s: %q; want the interpreter's own SyntaxError after the sentence", tc.name, got)
		}
	}
}

// TestShutdownStopsOwnCode: a visitor's program still running when the
// server is told to stop is stopped at once, its visitor told why in the
// page's language, and Serve returns cleanly well within the grace (it
// used to run on to its 20 s deadline, past the grace, and Serve failed
// naming WebSockets that were not open).
func TestShutdownStopsOwnCode(t *testing.T) {
	py := requirePython(t)
	s := newServer(t, py)
	s.cfg.AllowOwnCode = true
	s.shutdownGrace = 5 * time.Second
	base, stop, served := serveUntil(t, s)
	host := strings.TrimPrefix(base, "http://")
	client := &http.Client{Transport: &http.Transport{}}
	defer client.CloseIdleConnections()
	type answer struct {
		status int
		body   string
		err    error
	}
	answered := make(chan answer, 1)
	go func() {
		req, _ := http.NewRequest(http.MethodPost, base+"/ja/own", strings.NewReader(browserForm(
			"import asyncio\n\n\nasync def main():\n    print('waiting')\n    await asyncio.sleep(30)\n\n\nasyncio.run(main())\n")))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", "http://"+host)
		req.Header.Set("HX-Request", "true")
		resp, err := client.Do(req)
		if err != nil {
			answered <- answer{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		answered <- answer{resp.StatusCode, string(b), err}
	}()
	// Stop once the program is running.
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, m := getStatus(t, base+"/metrics")
		if strings.Contains(m, "\nasyncplay_python_processes 1\n") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the program did not start within 10 s:\n%s", m)
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond) // into its sleep
	stop()
	start := time.Now()
	select {
	case err := <-served:
		if took := time.Since(start); err != nil || took > 3*time.Second {
			t.Errorf("Serve = %v after %v; want nil, well within the 5 s grace", err, took)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("Serve still running 15 s after the stop")
	}
	a := <-answered
	if a.err != nil || a.status != http.StatusOK || !strings.Contains(a.body, web.T("ja", "run.shutdown")) {
		t.Errorf("the visitor got %d %v:\n%.800s\nwant 200 and %q", a.status, a.err, a.body, web.T("ja", "run.shutdown"))
	}
	waitNoChildren(t)
}
