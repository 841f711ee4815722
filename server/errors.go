package server

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v5"

	"github.com/asyncplay/asyncplay/web"
)

// visitorError is a refusal whose message is already the sentence, in the
// visitor's language, that the page shows (a parameter's problem, say);
// why is the detail for the log, in English.
type visitorError struct {
	status   int
	msg, why string
}

func (e *visitorError) Error() string {
	if e.why != "" {
		return e.why
	}
	return e.msg
}

func (e *visitorError) StatusCode() int { return e.status }

// handleError is the one place errors become responses. Visitors get a page
// in their language with a plain sentence; the log gets the detail. No stack
// trace or internal message ever reaches the page.
func (s *Server) handleError(c *echo.Context, err error) {
	if resp, uErr := echo.UnwrapResponse(c.Response()); uErr == nil && resp.Committed {
		return
	}
	status := http.StatusInternalServerError
	var sc echo.HTTPStatusCoder
	if errors.As(err, &sc) && sc.StatusCode() != 0 {
		status = sc.StatusCode()
	}
	lang := c.Param("lang")
	if !web.HasLocale(lang) {
		// No route matched (/ja/nosuch), so no parameter was set; the
		// path still says which language the visitor is reading in.
		lang, _, _ = strings.Cut(strings.TrimPrefix(c.Request().URL.Path, "/"), "/")
	}
	if !web.HasLocale(lang) {
		lang = web.Negotiate(c.Request().Header.Get("Accept-Language"))
	}
	key := "error.internal"
	switch {
	case status == http.StatusNotFound:
		key = "error.notfound"
	case status == http.StatusForbidden:
		key = "error.forbidden"
	case status == http.StatusRequestEntityTooLarge:
		key = "error.toolarge"
	case status == http.StatusTooManyRequests:
		key = "error.toomany"
	case status >= 400 && status < 500:
		key = "error.badrequest"
	}
	switch {
	case status >= 500:
		s.log.Error("request failed", "method", c.Request().Method, "path", c.Request().URL.Path, "err", err)
	case status == http.StatusForbidden:
		// The page says only that it was refused; the log says why.
		s.log.Info("request refused", "method", c.Request().Method, "path", c.Request().URL.Path, "err", err)
	}
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(status)
		return
	}
	msg := web.T(lang, key)
	if ve := (*visitorError)(nil); errors.As(err, &ve) && ve.msg != "" {
		msg = ve.msg
	}
	if strings.HasPrefix(c.Request().URL.Path, "/ws/") || c.Request().Header.Get("HX-Request") != "" {
		_ = c.String(status, msg)
		return
	}
	title := "error.title"
	if status == http.StatusNotFound {
		title = "error.nopage"
	}
	p := web.Page{Lang: lang, Title: web.T(lang, title), Path: "/"}
	if rErr := render(c, status, web.ErrorPage(p, msg)); rErr != nil {
		s.log.Error("render error page", "err", rErr)
	}
}
