package server

import (
	"context"
	"errors"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/asyncplay/asyncplay/lessons"
	"github.com/asyncplay/asyncplay/scenarios"
	"github.com/asyncplay/asyncplay/scenarios/pyrun"
	"github.com/asyncplay/asyncplay/scenarios/timeline"
	"github.com/asyncplay/asyncplay/static"
)

// TestStopText: each kind of error a run side can stop with reads, in
// every language, as its own sentence with the limit it names; only what
// the program wrote (a traceback, a panic's value, a signal's name) is
// left as it came. The English the runtimes wrote for the log never shows
// on a Japanese or Chinese page.
func TestStopText(t *testing.T) {
	b := runBounds{deadline: time.Minute, maxEvents: 100, started: true}
	traceback := "  File \"your_program.py\", line 1\n    def (:\n        ^\nSyntaxError: invalid syntax"
	for _, tc := range []struct {
		name string
		rt   scenarios.Runtime
		err  error
		b    runBounds
		want map[string]string // by language, what the sentence holds
	}{
		{"python deadline", scenarios.Python, &pyrun.LimitError{Reason: pyrun.ErrDeadline, Limit: "20s", Deadline: 20 * time.Second}, b, map[string]string{
			"en": "The Python run took longer than 20 s and was stopped.",
			"ja": "Python の実行が 20 秒を超えたため停止しました。",
			"zh": "Python 运行超过了 20 秒，已被停止。"}},
		{"python events", scenarios.Python, &pyrun.LimitError{Reason: pyrun.ErrTooManyEvents, Limit: "100 events", Events: 100}, b, map[string]string{
			"en": "The Python run produced more than 100 events and was stopped.",
			"ja": "Python の実行のイベントが 100 件を超えたため停止しました。",
			"zh": "Python 运行产生的事件超过了 100 个，已被停止。"}},
		{"python output", scenarios.Python, &pyrun.LimitError{Reason: pyrun.ErrTooMuchOutput, Limit: "1 MiB"}, b, map[string]string{
			"en": "The Python program wrote more than 1 MiB of output and was stopped.",
			"ja": "Python のプログラムの出力が 1 MiB を超えたため停止しました。",
			"zh": "Python 程序的输出超过了 1 MiB，已被停止。"}},
		{"python output in bytes", scenarios.Python, &pyrun.LimitError{Reason: pyrun.ErrTooMuchOutput, Limit: "1000 bytes"}, b, map[string]string{
			"ja": "Python のプログラムの出力が 1000 B を超えたため停止しました。"}},
		{"go events", scenarios.Go, timeline.ErrTooManyEvents, b, map[string]string{
			"en": "The Go run produced more than 100 events and was stopped.",
			"ja": "Go の実行のイベントが 100 件を超えたため停止しました。",
			"zh": "Go 运行产生的事件超过了 100 个，已被停止。"}},
		{"go deadline", scenarios.Go, &scenarios.DeadlineError{Deadline: time.Minute}, b, map[string]string{
			"en": "The Go run took longer than 60 s and was stopped.",
			"ja": "Go の実行が 60 秒を超えたため停止しました。",
			"zh": "Go 运行超过了 60 秒，已被停止。"}},
		{"go deadline of its own", scenarios.Go, &scenarios.DeadlineError{Deadline: 1500 * time.Millisecond}, b, map[string]string{
			"en": "The Go run took longer than 1.5 s and was stopped.",
			"ja": "Go の実行が 1.5 秒を超えたため停止しました。"}},
		{"still waiting at the deadline", scenarios.Python, fmt.Errorf("the Python run was still waiting to start at its deadline, with the server busy starting others: %w", context.DeadlineExceeded),
			runBounds{deadline: time.Minute, maxEvents: 100}, map[string]string{
				"en": "The Python run was still waiting for its turn to start when its 60 s ran out",
				"ja": "Python の実行は 60 秒の制限時間内に始められませんでした",
				"zh": "Python 运行在 60 秒的时限内没能轮到开始"}},
		{"killed by a signal", scenarios.Python, &pyrun.ProgramError{ExitCode: -1, Signal: "segmentation fault"}, b, map[string]string{
			"en": "The Python program was killed by a signal (segmentation fault).",
			"ja": "Python のプログラムはシグナル(segmentation fault)で強制終了されました。",
			"zh": "Python 程序被信号（segmentation fault）终止了。"}},
		{"traceback", scenarios.Python, &pyrun.ProgramError{ExitCode: 1, Stderr: traceback}, b, map[string]string{
			"en": "The Python program failed (exit status 1).\n" + traceback,
			"ja": "Python のプログラムが失敗しました(終了ステータス 1)。\n" + traceback,
			"zh": "Python 程序失败了（退出状态 1）。\n" + traceback}},
		{"panic", scenarios.Go, &scenarios.PanicError{Value: "boom", Stack: "goroutine 7 [running]:"}, b, map[string]string{
			"en": "The Go code panicked: boom",
			"ja": "Go のコードがパニックしました：boom",
			"zh": "Go 代码发生了 panic：boom"}},
		{"worker killed", scenarios.Go, &scenarios.WorkerError{ExitCode: -1, Signal: "killed"}, b, map[string]string{
			"en": "The Go worker process ended unexpectedly: killed",
			"ja": "Go のワーカープロセスが予期せず終了しました：killed"}},
		{"tracer", scenarios.Python, &pyrun.BadOutputError{Line: "junk", Err: errors.New("invalid character")}, b, map[string]string{
			"en": "The Python tracer wrote something it should not have",
			"zh": "Python 追踪器输出了不该有的内容"}},
		{"unknown", scenarios.Go, errors.New("start the test server: listen tcp 127.0.0.1:0: too many open files"), b, map[string]string{
			"en": "The Go run stopped with an error; the details are in the server's log.",
			"ja": "Go の実行はエラーで止まりました。",
			"zh": "Go 运行因错误停止了；"}},
	} {
		for lang, want := range tc.want {
			got := stopText(lang, tc.rt, tc.err, tc.b)
			if !strings.Contains(got, want) {
				t.Errorf("%s in %s: %q; want %q", tc.name, lang, got, want)
			}
			if lang != "en" && (strings.Contains(got, "was stopped") || strings.Contains(got, "the Python") || strings.Contains(got, "the Go") || strings.Contains(got, "failed (")) {
				t.Errorf("%s in %s: %q still has the runtime's English", tc.name, lang, got)
			}
			if tc.name == "unknown" && strings.Contains(got, "too many open files") {
				t.Errorf("%s in %s: %q shows an internal error", tc.name, lang, got)
			}
		}
	}
}

// sideErrRE finds each side's error in a frame.
var sideErrRE = regexp.MustCompile(`(?s)<section class="side" data-runtime="(\w+)".*?<p class="run-error side-error" role="alert">(.*?)</p>`)

// finalSideErrors runs path on s and returns each side's error in its
// final frame, by runtime.
func finalSideErrors(t *testing.T, s *Server, path string) map[string]string {
	t.Helper()
	return sideErrors(finalFrame(t, s, path))
}

// finalFrame runs path on s and returns its last frame.
func finalFrame(t *testing.T, s *Server, path string) string {
	t.Helper()
	ts := httptest.NewServer(s)
	defer ts.Close()
	c := dial(t, ts.URL, path)
	defer c.CloseNow()
	frames, _ := readAll(t, c, 60*time.Second)
	if len(frames) == 0 {
		t.Fatalf("%s: no frames", path)
	}
	return frames[len(frames)-1]
}

// sideErrors returns each side's error in a frame or page, by runtime.
func sideErrors(page string) map[string]string {
	errs := map[string]string{}
	for _, m := range sideErrRE.FindAllStringSubmatch(page, -1) {
		errs[m[1]] = html.UnescapeString(m[2])
	}
	return errs
}

// TestRunStopsInVisitorsLanguage: a run stopped by the server's limits
// says so in the page's language on both sides (the tester's repro: too
// many events on /zh/, the deadline on /ja/).
func TestRunStopsInVisitorsLanguage(t *testing.T) {
	py := requirePython(t)
	newLimited := func(cfg Config) *Server {
		cfg.Logger, cfg.Lessons, cfg.Static, cfg.Python = quietLogger(), lessons.Embedded(), static.FS(), py
		s, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(s.Close)
		return s
	}
	// The tester's run had random delays; short ones make it quick.
	delays := strings.TrimSuffix(strings.Repeat("0.1,", 100), ",")
	errs := finalSideErrors(t, newLimited(Config{RunMaxEvents: 100}), "/ws/run/zh/semaphore/semaphore?downloads=100&limit=20&delays="+delays)
	for rt, want := range map[string]string{"python": "Python 运行产生的事件超过了 100 个，已被停止。", "go": "Go 运行产生的事件超过了 100 个，已被停止。"} {
		if errs[rt] != want {
			t.Errorf("zh, 100 events at most: %s side says %q; want %q", rt, errs[rt], want)
		}
	}
	deadline := regexp.MustCompile(`^(Python|Go) の実行が [0-9.]+ 秒を超えたため停止しました。$`)
	errs = finalSideErrors(t, newLimited(Config{RunDeadline: 2 * time.Second}), "/ws/run/ja/semaphore/semaphore?downloads=4&limit=1&delays=3,3,3,3")
	for _, rt := range []string{"python", "go"} {
		if !deadline.MatchString(errs[rt]) {
			t.Errorf("ja, a 2 s deadline: %s side says %q; want the deadline in Japanese", rt, errs[rt])
		}
	}
	// As in production, the Go side in a worker process, which ends with
	// its scenario's error as text.
	w := newWorkerServer(t, scenarios.WorkerCommand)
	w.cfg.RunDeadline, w.runner.Deadline = 2*time.Second, 2*time.Second
	if errs := finalSideErrors(t, w, "/ws/run/ja/semaphore/semaphore?downloads=4&limit=1&delays=3,3,3,3"); !deadline.MatchString(errs["go"]) {
		t.Errorf("ja, a 2 s deadline, Go in a worker: the Go side says %q; want the deadline in Japanese", errs["go"])
	}
}

var runLinkRE = regexp.MustCompile(`<a class="run-link" href="/zh(/runs/[^"]+)"`)

// TestReplayStopsInReadersLanguage: a stored run that was stopped says
// why in the language of whoever opens its link, not only in the language
// it ran in.
func TestReplayStopsInReadersLanguage(t *testing.T) {
	py := requirePython(t)
	s, err := New(Config{Logger: quietLogger(), Lessons: lessons.Embedded(), Static: static.FS(), Python: py, RunMaxEvents: 100})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	delays := strings.TrimSuffix(strings.Repeat("0.1,", 100), ",")
	frame := finalFrame(t, s, "/ws/run/zh/semaphore/semaphore?downloads=100&limit=20&delays="+delays)
	m := runLinkRE.FindStringSubmatch(frame)
	if m == nil {
		t.Fatalf("no link to the run in the final frame: %.500s", frame)
	}
	link := html.UnescapeString(m[1])
	for lang, want := range map[string]string{
		"zh": "Python 运行产生的事件超过了 100 个，已被停止。",
		"en": "The Python run produced more than 100 events and was stopped.",
		"ja": "Python の実行のイベントが 100 件を超えたため停止しました。",
	} {
		rec := get(t, s, "/"+lang+link)
		if rec.Code != http.StatusOK {
			t.Fatalf("GET /%s%s = %d", lang, link, rec.Code)
		}
		if got := sideErrors(rec.Body.String())["python"]; got != want {
			t.Errorf("the run stopped on /zh/, read on /%s/: the Python side says %q; want %q", lang, got, want)
		}
	}
}
