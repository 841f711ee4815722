package server

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v5"

	"github.com/asyncplay/asyncplay/web"
)

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
	case status == http.StatusMethodNotAllowed:
		key = "error.badrequest"
	case status == http.StatusTooManyRequests:
		key = "error.toomany"
	case status >= 400 && status < 500:
		key = "error.badrequest"
	}
	if status >= 500 {
		s.log.Error("request failed", "method", c.Request().Method, "path", c.Request().URL.Path, "err", err)
	}
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(status)
		return
	}
	msg := web.T(lang, key)
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
