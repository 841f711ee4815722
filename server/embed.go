package server

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/labstack/echo/v5"

	"github.com/asyncplay/asyncplay/web"
)

// ParseOrigins reads a comma-separated list of origins allowed to embed
// ("https://docs.example.com,http://localhost:3000"): each must be
// scheme://host[:port] with an http or https scheme and nothing more.
func ParseOrigins(list string) ([]string, error) {
	var out []string
	for _, o := range strings.Split(list, ",") {
		o = strings.TrimSpace(o)
		if o == "" {
			continue
		}
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" || strings.HasSuffix(u.Host, ":") ||
			(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.User != nil || u.Fragment != "" {
			return nil, fmt.Errorf("embed origin %q: want scheme://host[:port], e.g. https://docs.example.com", o)
		}
		out = append(out, u.Scheme+"://"+strings.ToLower(u.Host))
	}
	return out, nil
}

// originAllowed decides a WebSocket's Origin header. Allowed: this server's
// own origin (scheme and host both, since the WebSocket library compares
// hosts only), and the listed embed origins. A request with no Origin is
// allowed: browsers always send one on a WebSocket, so its absence means a
// non-browser client, which could send any Origin it liked anyway.
func (s *Server) originAllowed(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil {
		return false
	}
	got := strings.ToLower(u.Scheme + "://" + u.Host)
	if got == strings.ToLower(selfOrigin(r)) {
		return true
	}
	return slices.Contains(s.cfg.EmbedOrigins, got)
}

// selfOrigin is this server's origin as the request addressed it:
// scheme://host[:port].
func selfOrigin(r *http.Request) string {
	if r.TLS != nil {
		return "https://" + r.Host
	}
	return "http://" + r.Host
}

// frameAncestors is the CSP frame-ancestors for embed pages.
func (s *Server) frameAncestors() string {
	return strings.Join(append([]string{"'self'"}, s.cfg.EmbedOrigins...), " ")
}

// handleEmbed serves the compact page for an iframe: ?lang= (else the
// browser's language), ?theme=light|dark|projector, ?panes=python,go, and
// any of the scenario's parameters as presets.
func (s *Server) handleEmbed(c *echo.Context) error {
	lang := c.QueryParam("lang")
	if !web.HasLocale(lang) {
		lang = web.Negotiate(c.Request().Header.Get("Accept-Language"))
	}
	cat, err := s.lessonsNow()
	if err != nil {
		return err
	}
	l := cat.Get(c.Param("slug"))
	if l == nil {
		return echo.ErrNotFound
	}
	id := c.Param("scenario")
	if id == "" && len(l.Scenarios) > 0 {
		id = l.Scenarios[0] // /embed/{lesson}: embed.js without data-scenario
	}
	sc := s.scenarioOf(l, id)
	if sc == nil {
		return echo.ErrNotFound
	}
	q := c.QueryParams()
	vals, probs := sc.Parse(q)
	pv := s.play(lang, l, sc, vals, probs)
	pv.Embed, pv.Panes = true, panes(q.Get("panes"))
	theme := q.Get("theme")
	if theme != "light" && theme != "dark" && theme != "projector" {
		theme = ""
	}
	v := web.EmbedView{Page: web.Page{Lang: lang, Title: l.Title[lang], Theme: theme}, Lesson: l, Play: pv}
	status := http.StatusOK
	if len(probs) > 0 {
		status = http.StatusUnprocessableEntity
	}
	return render(c, status, web.Embed(v))
}

// panes reads ?panes=python,go; unknown names are dropped.
func panes(p string) []string {
	var out []string
	for _, name := range strings.Split(p, ",") {
		if name = strings.TrimSpace(name); (name == "python" || name == "go") && !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	return out
}

// handleEmbedDemo shows a docs author how to embed, with a live example.
func (s *Server) handleEmbedDemo(c *echo.Context) error {
	lang := web.Negotiate(c.Request().Header.Get("Accept-Language"))
	p := web.Page{Lang: lang, Title: "Embedding asyncplay", Path: "/"}
	scheme := "http"
	if c.Request().TLS != nil {
		scheme = "https"
	}
	return render(c, http.StatusOK, web.EmbedDemo(p, scheme+"://"+c.Request().Host))
}
