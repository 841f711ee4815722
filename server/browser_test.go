package server

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/asyncplay/asyncplay/server/browsertest"
)

// serve runs a real server on a loopback port until the test ends.
func serve(t testing.TB, s *Server) string {
	t.Helper()
	url, stop, served := serveUntil(t, s)
	t.Cleanup(func() {
		stop()
		if err := <-served; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return url
}

// serveUntil serves s on a free loopback port until stop is called (as a
// signal would stop it); Serve's result then arrives on served.
func serveUntil(t testing.TB, s *Server) (url string, stop func(), served <-chan error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	return "http://" + ln.Addr().String(), cancel, done
}

// browser and screenshot come from browsertest.
func browser(t testing.TB) context.Context { return browsertest.Start(t) }

// pressRun opens url and presses its Run button.
func pressRun(t testing.TB, ctx context.Context, url string) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.Navigate(url), chromedp.WaitVisible(chromedp.CSS(".run-button")), chromedp.Click(chromedp.CSS(".run-button"))); err != nil {
		t.Fatal(err)
	}
}

func screenshot(t testing.TB, ctx context.Context, name string) {
	browsertest.Screenshot(t, ctx, filepath.Join("testdata", "screenshots"), name)
}

// laneStats reads from the DOM, per runtime: lanes, status, and the most
// permits held at any one instant (from the hold rectangles' data-start and
// data-end, sampled at the middle of every hold).
const laneStats = `(() => {
  const out = {};
  for (const side of document.querySelectorAll('.frame .side')) {
    const holds = [...side.querySelectorAll('rect.hold')].map(r => [parseFloat(r.dataset.start), parseFloat(r.dataset.end)]);
    let most = 0;
    for (const [s, e] of holds) {
      const mid = s + (e - s) / 2;
      most = Math.max(most, holds.filter(([s2, e2]) => s2 <= mid && mid < e2).length);
    }
    out[side.dataset.runtime] = {
      lanes: side.querySelectorAll('g.lane').length,
      holds: holds.length,
      most: most,
      status: side.dataset.status,
      waits: side.querySelectorAll('rect.seg.wait').length,
    };
  }
  return JSON.stringify(out);
})()`

func TestBrowserSemaphoreRun(t *testing.T) {
	py := requirePython(t)
	ctx := browser(t)
	base := serve(t, newServer(t, py))
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()

	// A refused value: a message next to the field, and nothing runs.
	err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/en/lessons/semaphore"),
		chromedp.WaitVisible(chromedp.CSS(".run-button")),
		chromedp.SetValue(chromedp.ID("play-semaphore-limit"), "50"),
		chromedp.Click(chromedp.CSS(".run-button")),
		chromedp.WaitVisible(chromedp.ID("play-semaphore-limit-error")),
	)
	if err != nil {
		t.Fatalf("bad value flow: %v", err)
	}
	msg, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("play-semaphore-limit-error")))
	if err != nil || !strings.Contains(msg, "Must be between 1 and 20.") {
		t.Errorf("field error = %q, %v; want the range message", msg, err)
	}
	if n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('[hx-ws\\:connect]').length`)); n != 0 {
		t.Errorf("a refused run opened %d WebSockets", n)
	}

	// A real run: 6 downloads, 2 permits.
	limit := 2
	err = chromedp.Do(ctx,
		chromedp.SetValue(chromedp.ID("play-semaphore-limit"), fmt.Sprint(limit)),
		chromedp.SetValue(chromedp.ID("play-semaphore-downloads"), "6"),
		chromedp.SetValue(chromedp.ID("play-semaphore-delays"), "0.8,1.6,0.5,1.0,1.3,0.6"),
		chromedp.Click(chromedp.CSS(".run-button")),
	)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	// Both runtimes' lanes appear while the run is still live.
	_, err = chromedp.Run(ctx, chromedp.Poll[bool](`!!document.querySelector('.frame[data-finished="false"] .side[data-runtime="python"] g.lane')
		&& !!document.querySelector('.frame[data-finished="false"] .side[data-runtime="go"] g.lane')`,
		chromedp.WithPollingTimeout(20*time.Second)))
	if err != nil {
		t.Fatalf("no live lanes for both runtimes: %v", err)
	}
	screenshot(t, ctx, "semaphore-live-en")
	_, err = chromedp.Run(ctx, chromedp.Poll[bool](`!!document.querySelector('.frame[data-finished="true"]')`,
		chromedp.WithPollingTimeout(30*time.Second)))
	if err != nil {
		t.Fatalf("run did not finish: %v", err)
	}
	stats, err := chromedp.Run(ctx, chromedp.Evaluate[string](laneStats))
	if err != nil {
		t.Fatal(err)
	}
	for _, rt := range []string{"python", "go"} {
		var s struct {
			Lanes, Holds, Most, Waits int
			Status                    string
		}
		if err := jsonField(stats, rt, &s); err != nil {
			t.Fatalf("lane stats %s: %v", stats, err)
		}
		if s.Status != "finished" || s.Lanes != 7 || s.Holds != 6 {
			t.Errorf("%s: %+v; want finished with 7 lanes and 6 holds", rt, s)
		}
		if s.Most > limit || s.Most != limit {
			t.Errorf("%s: %d downloads busy at once; want exactly the limit, %d", rt, s.Most, limit)
		}
		if s.Waits == 0 {
			t.Errorf("%s: no waiting drawn; want waits for a permit", rt)
		}
	}
	said, _ := chromedp.Run(ctx, chromedp.Text(chromedp.ID("play-semaphore-announce")))
	if !strings.HasPrefix(said, "Run finished.") || !strings.Contains(said, "Go ") {
		t.Errorf("live region says %q; want the finish announced with both runtimes", said)
	}
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	if !strings.Contains(loc, "/en/lessons/semaphore?") || !strings.Contains(loc, "limit=2") {
		t.Errorf("address bar = %q; want the lesson with the run's parameters", loc)
	}
	screenshot(t, ctx, "semaphore-finished-en")
}

func TestBrowserJapanesePhone(t *testing.T) {
	py := requirePython(t)
	ctx := browser(t)
	base := serve(t, newServer(t, py))
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	err := chromedp.Do(ctx,
		chromedp.EmulateViewport(390, 844),
		chromedp.Navigate(base+"/ja/lessons/semaphore?downloads=4&limit=2&delays=0.4,0.7,0.3,0.5"),
		chromedp.WaitVisible(chromedp.CSS(".run-button")),
		chromedp.Click(chromedp.CSS(".run-button")),
	)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`!!document.querySelector('.frame[data-finished="true"]')`,
		chromedp.WithPollingTimeout(30*time.Second))); err != nil {
		t.Fatalf("run did not finish: %v", err)
	}
	lang, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.documentElement.lang`))
	if lang != "ja" {
		t.Errorf("<html lang> = %q; want ja", lang)
	}
	text, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(".frame")))
	if !strings.Contains(text, "完了") {
		t.Errorf("finished frame is not in Japanese: %.300s", text)
	}
	// Every lane is on screen, and nothing makes the page scroll sideways.
	offscreen, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`[...document.querySelectorAll('.frame svg.tracks, .frame ol.names li')]
		.filter(e => { const r = e.getBoundingClientRect(); return r.width === 0 || r.left < 0 || r.right > window.innerWidth + 1; }).length`))
	if offscreen != 0 {
		t.Errorf("%d lane tracks or names are off a 390px screen", offscreen)
	}
	wide, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth + 1`))
	if wide {
		w, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth`))
		t.Errorf("page is %dpx wide on a 390px screen; want no sideways scrolling", w)
	}
	screenshot(t, ctx, "semaphore-phone-ja")
}
