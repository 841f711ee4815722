package server

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/asyncplay/asyncplay/web"
)

// closedNote waits for the note that says why the run's socket closed, and
// returns its text.
func closedNote(t *testing.T, ctx context.Context) string {
	t.Helper()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`!!document.querySelector('.run .run-closed')`,
		chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		t.Fatalf("the run area never said why its socket closed: %v", err)
	}
	text, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(".run .run-closed")))
	if err != nil {
		t.Fatal(err)
	}
	return text
}

// TestBrowserRunSocketClosed: when the server closes a run's socket before
// the run's last frame, the run area says why in the page's language (it
// used to go on saying "Starting both runtimes…", or show its last live
// frame as running, for ever): too many sockets from one address (1008),
// and the server shutting down mid-run (1001).
func TestBrowserRunSocketClosed(t *testing.T) {
	ctx, cancel := context.WithTimeout(browser(t), 90*time.Second)
	defer cancel()

	t.Run("too many sockets", func(t *testing.T) {
		s := newServer(t, nil)
		s.cfg.SocketsPerIP = 1
		base := serve(t, s)
		// The address's one socket, read so that the server never drops it.
		held := dial(t, base, "/ws/run/en/semaphore/semaphore?downloads=2&limit=1&delays=10,10")
		drained := make(chan struct{})
		go func() {
			defer close(drained)
			for {
				if _, _, err := held.Read(context.Background()); err != nil {
					return
				}
			}
		}()
		defer func() { held.CloseNow(); <-drained }()
		pressRun(t, ctx, base+"/ja/lessons/semaphore?downloads=2&limit=1&delays=0.5,0.5")
		if got, want := closedNote(t, ctx), web.T("ja", "ws.toomany"); got != want {
			t.Errorf("note = %q; want %q", got, want)
		}
		if n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('.run .waiting-note').length`)); n != 0 {
			t.Error("the run area still says the run is starting")
		}
		screenshot(t, ctx, "run-closed-toomany-ja")
		// Any other code (1006: the connection dropped) gets the general
		// sentence; the extension reports it the same way.
		got, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(() => {
  document.querySelector('.run .live').dispatchEvent(new CustomEvent('htmx:ws:close', {bubbles: true, detail: {reason: 'closed', code: 1006}}));
  return document.querySelector('.run .run-closed').textContent;
})()`))
		if want := web.T("ja", "ws.closed"); err != nil || got != want {
			t.Errorf("after a 1006 close the note = %q (%v); want %q", got, err, want)
		}
	})

	t.Run("finished run", func(t *testing.T) {
		base := serve(t, newServer(t, nil))
		pressRun(t, ctx, base+"/en/lessons/semaphore?downloads=2&limit=1&delays=0.2,0.2")
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`!!document.querySelector('.frame[data-finished="true"]')`,
			chromedp.WithPollingTimeout(20*time.Second))); err != nil {
			t.Fatalf("run did not finish: %v", err)
		}
		time.Sleep(300 * time.Millisecond) // the close after the final frame has come
		if n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('.run .run-closed, .live[data-closed-code]').length`)); n != 0 {
			t.Error("a run that finished (close 1000) says its connection closed")
		}
	})

	t.Run("shutdown", func(t *testing.T) {
		s := newServer(t, nil)
		base, stop, served := serveUntil(t, s)
		pressRun(t, ctx, base+"/zh/lessons/semaphore?downloads=2&limit=1&delays=10,10")
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`!!document.querySelector('.frame[data-finished="false"] .side[data-runtime="go"] g.lane')`,
			chromedp.WithPollingTimeout(20*time.Second))); err != nil {
			t.Fatalf("no live frame: %v", err)
		}
		stop()
		if err := <-served; err != nil {
			t.Errorf("Serve: %v", err)
		}
		if got, want := closedNote(t, ctx), web.T("zh", "run.shutdown"); got != want {
			t.Errorf("note = %q; want %q", got, want)
		}
		if live, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`[...document.querySelectorAll('.run .badge.live')].some(b => b.offsetParent !== null)`)); live {
			t.Error("the cut-off run is still badged live")
		}
		screenshot(t, ctx, "run-closed-shutdown-zh")
	})
}
