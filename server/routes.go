package server

import (
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v5"
	"github.com/labstack/echo/v5/middleware"
)

// routes is the one route table.
func (s *Server) routes() {
	e := s.e
	e.Use(middleware.RequestID())
	e.Use(s.securityHeaders) // before anything that may answer early (413, 429)
	e.Use(s.requestLog())
	e.Use(middleware.Recover())
	// No route takes a big body; refuse big ones early. The own-code form
	// alone sets its own limit (ownBodyMax), as a program within its 48 KiB
	// can take several times that once form-encoded.
	e.Use(middleware.BodyLimitWithConfig(middleware.BodyLimitConfig{LimitBytes: 64 << 10, Skipper: ownCodePost}))
	e.Use(s.rateLimit())
	e.Use(compress())

	e.GET("/", s.handleRoot)
	e.GET("/lessons/:slug", s.handleLessonNoLang)
	e.GET("/:lang/", s.handleHome)
	e.GET("/:lang", s.handleHomeNoSlash)
	e.GET("/:lang/lessons/:slug", s.handleLesson)
	e.GET("/:lang/lessons/:slug/play/:scenario", s.handlePlay)
	e.GET("/ws/run/:lang/:slug/:scenario", s.handleRunSocket)
	e.GET("/:lang/own", s.handleOwn)
	e.POST("/:lang/own", s.handleOwnRun)
	e.GET("/embed/:slug", s.handleEmbed) // the lesson's first scenario
	e.GET("/embed/:slug/:scenario", s.handleEmbed)
	e.GET("/embed-demo", s.handleEmbedDemo)
	e.GET("/:lang/class", s.handleClassHome)
	e.POST("/:lang/class", s.handleClassCreate)
	e.GET("/class/join", s.handleClassJoin, meterWith(s.classPages))
	e.GET("/class/:code", s.handleClassPage, meterWith(s.classPages))
	e.GET("/class/:code/teach", s.handleClassTeach)
	e.GET("/class/:code/qr.svg", s.handleClassQR)
	e.GET("/class/:code/ws", s.handleClassSocket, meterWith(s.joins))
	for _, op := range []string{"lesson", "run", "ask", "reveal", "end"} {
		e.POST("/class/:code/"+op, s.handleClassCommand(op))
	}
	e.GET("/runs/:id", s.handleRunNoLang)
	e.GET("/:lang/runs/:id", s.handleRun)

	e.GET("/static/css/code.css", s.handleCodeCSS)
	e.StaticFS("/static", s.cfg.Static)
	e.GET("/favicon.ico", func(c *echo.Context) error {
		return c.Redirect(http.StatusMovedPermanently, "/static/favicon.svg")
	})
	e.GET("/healthz", func(c *echo.Context) error { return c.String(http.StatusOK, "ok\n") })
	e.GET("/readyz", s.handleReady)
	e.GET("/metrics", s.handleMetrics)
	if s.cfg.BenchBlob != nil {
		e.GET(benchBlobRoute, s.handleBenchBlob)
	}
}

// securityHeaders sets headers every response carries. The CSP allows no
// inline script: htmx and its WebSocket extension load from /static.
func (s *Server) securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c *echo.Context) error {
		h := c.Response().Header()
		frames := "'none'"
		if strings.HasPrefix(c.Request().URL.Path, "/embed/") {
			frames = s.frameAncestors()
		}
		h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-src 'self'; frame-ancestors "+frames+"; base-uri 'none'; form-action 'self'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		return next(c)
	}
}

func (s *Server) handleCodeCSS(c *echo.Context) error {
	c.Response().Header().Set("Cache-Control", "public, max-age=3600")
	return c.Blob(http.StatusOK, "text/css; charset=utf-8", s.codeCSS)
}

// rateLimit caps requests per address (the TCP peer's, which a spoofed
// X-Forwarded-For cannot change: the IPExtractor is ExtractIPDirect).
// Static files are not counted, nor what a student loads to join a class
// (classStudentRoute), which the class's own limits meter.
func (s *Server) rateLimit() echo.MiddlewareFunc {
	return middleware.RateLimiterWithConfig(middleware.RateLimiterConfig{
		Skipper: func(c *echo.Context) bool {
			return strings.HasPrefix(c.Request().URL.Path, "/static/") || classStudentRoute(c)
		},
		Store: middleware.NewRateLimiterMemoryStoreWithConfig(middleware.RateLimiterMemoryStoreConfig{
			Rate: s.cfg.RequestsPerSecond, Burst: s.cfg.RequestBurst, ExpiresIn: 3 * time.Minute,
		}),
		DenyHandler: func(c *echo.Context, _ string, _ error) error { return echo.ErrTooManyRequests },
	})
}

// ownCodePost reports whether the request was routed to the own-code form's
// POST, which reads its body up to ownBodyMax itself.
func ownCodePost(c *echo.Context) bool {
	return c.Request().Method == http.MethodPost && c.Path() == "/:lang/own"
}

// classStudentRoute reports whether the request was routed to what a
// student loads to join a class: the join form's answer, a class page or
// its socket (not the teacher's pages or commands). It asks the route the
// router matched, not the path as written, so no spelling of a path (a
// percent-encoded letter, say) escapes both limits.
func classStudentRoute(c *echo.Context) bool {
	switch c.Path() {
	case "/class/join", "/class/:code", "/class/:code/ws":
		return c.Request().Method == http.MethodGet
	}
	return false
}
