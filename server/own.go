package server

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v5"

	"github.com/asyncplay/asyncplay/scenarios"
	"github.com/asyncplay/asyncplay/scenarios/pyrun"
	"github.com/asyncplay/asyncplay/scenarios/timeline"
	"github.com/asyncplay/asyncplay/web"
)

// Limits for a visitor's own program (only with Config.AllowOwnCode).
const (
	ownCodeMax      = 48 << 10
	ownCodeDeadline = 20 * time.Second
)

// OwnCodeLongest is the longest a request to trace a visitor's own program
// may take: its wait for a turn to start, its run, and the grace to stop
// it. An HTTP write timeout shorter than this would cut such answers off.
const OwnCodeLongest = ownCodeDeadline + ownCodeDeadline + 5*time.Second

// handleOwn shows the page where a visitor traces their own asyncio
// program. It exists only when the server was started with
// --allow-own-code, which also keeps it on loopback.
func (s *Server) handleOwn(c *echo.Context) error {
	lang, err := s.ownLang(c)
	if err != nil {
		return err
	}
	p := web.Page{Lang: lang, Title: web.T(lang, "own.title"), Path: "/own"}
	return render(c, http.StatusOK, web.OwnPage(web.OwnView{Page: p, Code: ownExample}))
}

// handleOwnRun traces the posted program to its end and answers with its
// timeline and the player (a fragment for htmx, or the whole page).
func (s *Server) handleOwnRun(c *echo.Context) error {
	lang, err := s.ownLang(c)
	if err != nil {
		return err
	}
	code := c.FormValue("code")
	v := web.OwnView{Page: web.Page{Lang: lang, Title: web.T(lang, "own.title"), Path: "/own"}, Code: code}
	switch {
	case strings.TrimSpace(code) == "":
		v.Problem = web.T(lang, "own.empty")
	case len(code) > ownCodeMax:
		v.Problem = web.T(lang, "own.toolong", ownCodeMax>>10)
	case s.cfg.Python == nil:
		v.Problem = web.T(lang, "run.nopython")
	}
	if v.Problem == "" {
		var tl timeline.Timeline
		// The wait for a turn to start has a deadline of its own, so a
		// program that waited still gets its whole ownCodeDeadline.
		waitCtx, cancelWait := context.WithTimeout(c.Request().Context(), ownCodeDeadline)
		started, done, runErr := s.runner.WaitForPython(waitCtx)
		cancelWait()
		if runErr == nil {
			ctx, cancel := context.WithTimeout(c.Request().Context(), ownCodeDeadline+5*time.Second)
			runErr = s.cfg.Python.Run(ctx, pyrun.Program{Name: "your_program.py", Source: []byte(code)},
				pyrun.Options{Deadline: ownCodeDeadline, Nice: s.cfg.PythonNice},
				func(e timeline.Event) { started(); tl.Add(e) })
			done() // the interpreter's places are not held while the page is drawn and sent
			cancel()
		}
		status, errText := "finished", ""
		if runErr != nil {
			status, errText = "failed", runErr.Error() // a failed program's stderr included
		}
		hl, err := web.Highlight("your_program.py", "python", code, 1)
		if err != nil {
			return err
		}
		v.Highlighted = hl
		for _, e := range tl.Events() {
			if e.Kind == timeline.Log {
				v.Output = append(v.Output, web.OutputLine{At: fmt.Sprintf("%.3f", e.At.Seconds()), Lane: e.Lane, Text: e.Label})
			}
		}
		side := web.Side{Runtime: scenarios.Python, Name: s.sideNames()[scenarios.Python], TL: &tl, Ended: true, Status: status, Err: errText}
		f := web.BuildFrame(lang, []web.Side{side}, 0, true, 0, 0)
		v.Frame = &f
	}
	if c.Request().Header.Get("HX-Request") != "" {
		return render(c, http.StatusOK, web.OwnResult(v))
	}
	return render(c, http.StatusOK, web.OwnPage(v))
}

func (s *Server) ownLang(c *echo.Context) (string, error) {
	if !s.cfg.AllowOwnCode {
		return "", echo.ErrNotFound
	}
	r := c.Request()
	// Only a page on this machine, addressed as this machine, may run code:
	// the Host must be a loopback name (a DNS-rebinding page carries its
	// own), and a POST must come from this very origin (another site's
	// form carries its own Origin).
	if !loopbackHost(r.Host) {
		return "", echo.NewHTTPError(http.StatusForbidden, "own code runs only for pages on this machine")
	}
	if r.Method == http.MethodPost {
		if r.Header.Get("Origin") != selfOrigin(r) {
			return "", echo.NewHTTPError(http.StatusForbidden, "own code runs only from this page")
		}
	}
	return s.lang(c)
}

// loopbackHost reports whether a Host header names this machine.
func loopbackHost(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.Trim(host, "[]")
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// ownExample is what the box holds at first.
const ownExample = `import asyncio


async def tick(name, every, times):
    for i in range(times):
        print(f"{name} {i}")
        await asyncio.sleep(every)


async def main():
    async with asyncio.TaskGroup() as tg:
        tg.create_task(tick("fast", 0.2, 5), name="fast")
        tg.create_task(tick("slow", 0.5, 2), name="slow")


asyncio.run(main())
`
