package server

import (
	"context"
	"errors"
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
	ownCodeMax      = 48 << 10 // the program's bytes, once its line breaks are LF
	ownCodeDeadline = 20 * time.Second
)

// ownBodyMax is the largest body the own-code form may post: the site-wide
// 64 KiB would refuse programs well under ownCodeMax. A form percent-encodes
// every byte but ASCII letters, digits and a few marks as three (a Japanese
// character, three bytes in UTF-8, becomes nine), and a textarea sends each
// line break as CR LF, six once encoded; so a program of ownCodeMax bytes
// may take six times that on the wire, whatever its script. The route is
// on loopback only.
const ownBodyMax = 6*ownCodeMax + 4<<10

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
	v := web.OwnView{Page: web.Page{Lang: lang, Title: web.T(lang, "own.title"), Path: "/own"}}
	code, err := ownProgram(c)
	if tooBig := (*http.MaxBytesError)(nil); errors.As(err, &tooBig) {
		// A body this size cannot hold a program within the limit.
		v.Problem = web.T(lang, "own.toolong", ownCodeMax>>10)
		return renderOwn(c, http.StatusRequestEntityTooLarge, v)
	}
	if err != nil {
		return echo.ErrBadRequest.Wrap(err)
	}
	v.Code = code
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
		// The program stops when the visitor goes, and when the server
		// shuts down: it may take longer than the shutdown's grace, and
		// the server must not wait for it (nor exit with it running).
		reqCtx, cancelReq := context.WithCancel(c.Request().Context())
		defer cancelReq()
		defer context.AfterFunc(s.base, cancelReq)()
		// The wait for a turn to start has a deadline of its own, so a
		// program that waited still gets its whole ownCodeDeadline.
		waitCtx, cancelWait := context.WithTimeout(reqCtx, ownCodeDeadline)
		started, done, runErr := s.runner.WaitForPython(waitCtx)
		cancelWait()
		ran := runErr == nil
		if ran {
			ctx, cancel := context.WithTimeout(reqCtx, ownCodeDeadline+5*time.Second)
			runErr = s.cfg.Python.Run(ctx, pyrun.Program{Name: "your_program.py", Source: []byte(code)},
				pyrun.Options{Deadline: ownCodeDeadline, Nice: s.cfg.PythonNice},
				func(e timeline.Event) { started(); tl.Add(e) })
			done() // the interpreter's places are not held while the page is drawn and sent
			cancel()
		}
		status, errText := "finished", ""
		if runErr != nil {
			// The page words it in the visitor's language (a traceback
			// as it is); the log keeps pyrun's English.
			s.log.Info("own program stopped", "err", runErr)
			status, errText = "failed", stopText(lang, scenarios.Python, runErr,
				runBounds{deadline: ownCodeDeadline, maxEvents: pyrun.DefaultMaxEvents, started: ran})
			if s.base.Err() != nil && errors.Is(runErr, context.Canceled) {
				errText = web.T(lang, "run.shutdown")
			}
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
	return renderOwn(c, http.StatusOK, v)
}

// renderOwn answers with the result (a fragment for htmx, or the whole page).
func renderOwn(c *echo.Context, status int, v web.OwnView) error {
	if c.Request().Header.Get("HX-Request") != "" {
		return render(c, status, web.OwnResult(v))
	}
	return render(c, status, web.OwnPage(v))
}

// ownProgram reads the posted program, its line breaks made LF (a textarea
// sends CR LF). The body is read up to ownBodyMax only; a longer one is a
// *http.MaxBytesError, never a form with no program in it.
func ownProgram(c *echo.Context) (string, error) {
	r := c.Request()
	if r.ContentLength > ownBodyMax {
		return "", &http.MaxBytesError{Limit: ownBodyMax}
	}
	r.Body = http.MaxBytesReader(c.Response(), r.Body, ownBodyMax)
	// ParseForm first: ParseMultipartForm drops its error for a body that
	// is not multipart, and an over-long form would read as an empty one.
	if err := r.ParseForm(); err != nil {
		return "", err
	}
	if err := r.ParseMultipartForm(ownBodyMax); err != nil && !errors.Is(err, http.ErrNotMultipart) {
		return "", err
	}
	return strings.ReplaceAll(r.PostFormValue("code"), "\r\n", "\n"), nil
}

func (s *Server) ownLang(c *echo.Context) (string, error) {
	if !s.cfg.AllowOwnCode {
		return "", echo.ErrNotFound
	}
	lang, err := s.lang(c)
	if err != nil {
		return "", err
	}
	refuse := func(why string) error {
		return &visitorError{status: http.StatusForbidden, msg: web.T(lang, "own.forbidden"), why: why}
	}
	r := c.Request()
	// Only a page on this machine, addressed as this machine, may run code:
	// the Host must be a loopback name (a DNS-rebinding page carries its
	// own), and a POST must come from this very origin (another site's
	// form carries its own Origin).
	if !loopbackHost(r.Host) {
		return "", refuse("own code runs only for pages on this machine")
	}
	if r.Method == http.MethodPost {
		if r.Header.Get("Origin") != selfOrigin(r) {
			return "", refuse("own code runs only from this page")
		}
	}
	return lang, nil
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
