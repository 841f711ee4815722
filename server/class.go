package server

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v5"
	"github.com/labstack/echo/v5/middleware"
	"rsc.io/qr"

	"github.com/asyncplay/asyncplay/lessons"
	"github.com/asyncplay/asyncplay/scenarios/scenario"
	"github.com/asyncplay/asyncplay/server/roombus"
	"github.com/asyncplay/asyncplay/web"
)

// ClassConfig sets up the classroom.
type ClassConfig struct {
	// Bus joins the instances that serve a room: nil is a bus inside this
	// process (one server); roombus.NewNATS shares rooms across servers.
	Bus roombus.Bus
	// Capacity is the most students in one room (default 500); MaxRooms,
	// the most rooms this server owns at once (default 100).
	Capacity int
	MaxRooms int
	// JoinRate and JoinBurst limit class sockets opened per address
	// (defaults 10/s, bursts of 200: a whole class behind one school NAT
	// gets in within seconds, a script opening thousands does not).
	JoinRate  float64
	JoinBurst int
	// TeacherGrace is how long a room stays open after the teacher's last
	// socket closes (default 10 minutes); MaxAge, how long any room lives
	// (default 8 hours).
	TeacherGrace time.Duration
	MaxAge       time.Duration
	// FrameEvery is how often a class's run sends a frame (default 200 ms,
	// half a lone visitor's rate: one frame goes to every student, and
	// five hundred phones at ten frames a second is 150 MB/s of timeline).
	FrameEvery time.Duration
	// Flush is how often the connected count and the tally are sent at
	// most (default 250 ms).
	Flush time.Duration
	// WriteTimeout is how long one message may take to write to a class
	// socket before the socket counts as stalled and is dropped (default
	// 5 s). A socket that is merely slow is not dropped: it skips the
	// frames it missed.
	WriteTimeout time.Duration
	// PublicURL is where students reach this server (for the join link and
	// QR code), such as http://10.0.0.5:8080; empty means the address the
	// teacher used, with a loopback host replaced by this machine's LAN
	// address.
	PublicURL string
}

func (cc *ClassConfig) defaults() {
	if cc.Bus == nil {
		cc.Bus = &roombus.Memory{}
	}
	if cc.Capacity <= 0 {
		cc.Capacity = 500
	}
	if cc.MaxRooms <= 0 {
		cc.MaxRooms = 100
	}
	if cc.JoinRate <= 0 {
		cc.JoinRate = 10
	}
	if cc.JoinBurst <= 0 {
		cc.JoinBurst = 200
	}
	if cc.TeacherGrace <= 0 {
		cc.TeacherGrace = 10 * time.Minute
	}
	if cc.MaxAge <= 0 {
		cc.MaxAge = 8 * time.Hour
	}
	if cc.FrameEvery <= 0 {
		cc.FrameEvery = 200 * time.Millisecond
	}
	if cc.Flush <= 0 {
		cc.Flush = 250 * time.Millisecond
	}
	if cc.WriteTimeout <= 0 {
		cc.WriteTimeout = 5 * time.Second
	}
}

// classState is the server's classroom bookkeeping.
type classState struct {
	classMu     sync.Mutex
	rooms       map[string]*room                   // rooms this instance owns
	hubs        map[string]*hub                    // rooms this instance has sockets in
	joins       *middleware.RateLimiterMemoryStore // class sockets opened, per address
	classPages  *middleware.RateLimiterMemoryStore // students' join and class page views, per address
	classClosed bool
	classWG     sync.WaitGroup // room loops and runs
}

// Cookies of the classroom.
const (
	teacherCookie = "asyncplay_teacher" // the teacher's secret, path /class/CODE
	studentCookie = "asyncplay_student" // a random id, so answers survive reconnects
	nameCookie    = "asyncplay_name"
)

func cookieValue(c *echo.Context, name string) string {
	ck, err := c.Cookie(name)
	if err != nil {
		return ""
	}
	v, err := url.QueryUnescape(ck.Value)
	if err != nil {
		return ""
	}
	return v
}

func (s *Server) setCookie(c *echo.Context, name, value, path string, strict bool) {
	mode := http.SameSiteLaxMode
	if strict {
		mode = http.SameSiteStrictMode
	}
	c.SetCookie(&http.Cookie{Name: name, Value: url.QueryEscape(value), Path: path, HttpOnly: true,
		Secure: c.Request().TLS != nil, SameSite: mode, MaxAge: int(s.cfg.Class.MaxAge / time.Second)})
}

// meterWith meters a route a student loads to join a class (the join
// form's answer, the class page, the class socket) per address with store,
// in place of the server-wide request limit, which a class behind one
// school NAT would use up after some thirty phones. It runs before the
// handler, so refused attempts (a bad code, a foreign origin) count too.
func meterWith(store *middleware.RateLimiterMemoryStore) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c *echo.Context) error {
			if ok, _ := store.Allow(c.RealIP()); !ok {
				return echo.ErrTooManyRequests
			}
			return next(c)
		}
	}
}

// classPick finds a lesson and one of its scenarios.
func (s *Server) classPick(slug, id string) (*lessons.Lesson, *scenario.Scenario) {
	cat, err := s.lessonsNow()
	if err != nil {
		return nil, nil
	}
	l := cat.Get(slug)
	if l == nil {
		return nil, nil
	}
	for _, sid := range l.Scenarios {
		if sid == id {
			return l, s.reg.Get(id)
		}
	}
	return nil, nil
}

// classChoices lists every lesson's scenarios for the teacher's picker.
func (s *Server) classChoices(lang string) []web.ClassChoice {
	cat, err := s.lessonsNow()
	if err != nil {
		return nil
	}
	var out []web.ClassChoice
	for _, l := range cat.Lessons {
		for _, id := range l.Scenarios {
			label := fmt.Sprintf("%d. %s", l.Number, l.Title[lang])
			if len(l.Scenarios) > 1 {
				label += " · " + id
			}
			out = append(out, web.ClassChoice{Value: l.Slug + "/" + id, Label: label})
		}
	}
	return out
}

// handleClassHome is the classroom's front page.
func (s *Server) handleClassHome(c *echo.Context) error {
	lang, err := s.lang(c)
	if err != nil {
		return err
	}
	p := web.Page{Lang: lang, Title: web.T(lang, "class.title"), Path: "/class"}
	return render(c, http.StatusOK, web.ClassHome(web.ClassHomeView{Page: p, Name: cookieValue(c, nameCookie)}))
}

// sameOrigin refuses a state-changing request from another site's page
// (the cookies are SameSite too; this is the second lock).
func (s *Server) sameOrigin(c *echo.Context) error {
	r := c.Request()
	origin := r.Header.Get("Origin")
	if origin == "" {
		return nil // not a browser form from another site: browsers send Origin on POST
	}
	if !strings.EqualFold(origin, selfOrigin(r)) {
		return &visitorError{status: http.StatusForbidden, why: "cross-origin request refused"}
	}
	return nil
}

// handleClassCreate starts a class, owned by this instance, and sends the
// teacher to it.
func (s *Server) handleClassCreate(c *echo.Context) error {
	lang, err := s.lang(c)
	if err != nil {
		return err
	}
	if err := s.sameOrigin(c); err != nil {
		return err
	}
	cat, err := s.lessonsNow()
	if err != nil {
		return err
	}
	first := cat.Lessons[0]
	secret := newSecret()
	r, err := s.newRoom(lang, secret, c.RealIP(), first, s.reg.Get(first.Scenarios[0]))
	if errors.Is(err, errTooManyRooms) {
		p := web.Page{Lang: lang, Title: web.T(lang, "class.title"), Path: "/class"}
		return render(c, http.StatusServiceUnavailable, web.ClassHome(web.ClassHomeView{Page: p, Problem: web.T(lang, "class.toomany")}))
	}
	if err != nil {
		return err
	}
	s.setCookie(c, teacherCookie, secret, "/class/"+r.code, true)
	return c.Redirect(http.StatusSeeOther, "/class/"+r.code+"/teach")
}

var errTooManyRooms = errors.New("too many rooms")

// newRoom makes a room with a fresh code and starts its loop.
func (s *Server) newRoom(lang, secret, ip string, l *lessons.Lesson, sc *scenario.Scenario) (*room, error) {
	r := &room{s: s, lang: lang, owner: ip, created: time.Now(), slots: map[string]slotMsg{},
		lesson: l, scenario: sc, values: url.Values{}, answers: map[string]int{},
		members: map[string]*member{}, away: time.Now(), done: make(chan struct{})}
	r.secret = sha256.Sum256([]byte(secret))
	s.classMu.Lock()
	if s.classClosed || len(s.rooms) >= s.cfg.Class.MaxRooms {
		s.classMu.Unlock()
		return nil, errTooManyRooms
	}
	s.classWG.Add(1)
	s.classMu.Unlock()
	for tries := 0; ; tries++ {
		r.code = newCode()
		release, err := s.cfg.Class.Bus.Own(r.code, r.handle)
		if err == nil {
			r.release = release
			break
		}
		if !errors.Is(err, roombus.ErrTaken) || tries > 10 {
			s.classWG.Done()
			return nil, err
		}
	}
	r.mu.Lock()
	r.publishLessonLocked()
	r.publishQuestionLocked()
	r.publishStatusLocked()
	r.publishControlsLocked()
	r.mu.Unlock()
	s.classMu.Lock()
	s.rooms[r.code] = r
	s.classMu.Unlock()
	s.log.Info("class started", "room", r.code, "ip", ip)
	go func() {
		defer s.classWG.Done()
		r.loop()
	}()
	return r, nil
}

// forgetRoom drops a closed room from this instance's list.
func (s *Server) forgetRoom(r *room) {
	s.classMu.Lock()
	if s.rooms[r.code] == r {
		delete(s.rooms, r.code)
	}
	s.classMu.Unlock()
	s.log.Info("class ended", "room", r.code)
}

// handleClassJoin reads the join form and sends the student to the class.
func (s *Server) handleClassJoin(c *echo.Context) error {
	lang := c.QueryParam("lang")
	if !web.HasLocale(lang) {
		lang = web.Negotiate(c.Request().Header.Get("Accept-Language"))
	}
	typed := c.QueryParam("code")
	name := cleanName(c.QueryParam("name"))
	p := web.Page{Lang: lang, Title: web.T(lang, "class.title"), Path: "/class"}
	refuse := func(status int, msg string) error {
		return render(c, status, web.ClassHome(web.ClassHomeView{Page: p, Code: typed, Name: name, Problem: msg}))
	}
	code := normalizeCode(typed)
	if code == "" {
		return refuse(http.StatusUnprocessableEntity, web.T(lang, "class.badcode"))
	}
	resp, err := s.ask(c.Request().Context(), code, roomReq{Op: "info"})
	if errors.Is(err, roombus.ErrNoRoom) || (err == nil && resp.Err == "ended") {
		return refuse(http.StatusNotFound, web.T(lang, "class.nocode", code))
	}
	if err != nil {
		return err
	}
	s.setCookie(c, nameCookie, name, "/class", false)
	return c.Redirect(http.StatusSeeOther, "/class/"+code)
}

// handleClassPage is a student's view of the class.
func (s *Server) handleClassPage(c *echo.Context) error { return s.classPage(c, false) }

// handleClassTeach is the teacher's view: only for the browser holding the
// room's secret.
func (s *Server) handleClassTeach(c *echo.Context) error { return s.classPage(c, true) }

func (s *Server) classPage(c *echo.Context, teacher bool) error {
	code := normalizeCode(c.Param("code"))
	lang := web.Negotiate(c.Request().Header.Get("Accept-Language"))
	if code == "" {
		return echo.ErrNotFound
	}
	if code != c.Param("code") {
		return c.Redirect(http.StatusMovedPermanently, strings.Replace(c.Request().URL.Path, c.Param("code"), code, 1))
	}
	req := roomReq{Op: "info"}
	if teacher {
		req = roomReq{Op: "auth", Secret: cookieValue(c, teacherCookie)}
	}
	resp, err := s.ask(c.Request().Context(), code, req)
	if errors.Is(err, roombus.ErrNoRoom) || (err == nil && resp.Err == "ended") {
		p := web.Page{Lang: lang, Title: web.T(lang, "class.title"), Path: "/class"}
		return render(c, http.StatusNotFound, web.ClassHome(web.ClassHomeView{Page: p, Code: code, Problem: web.T(lang, "class.nocode", code)}))
	}
	if err != nil {
		return err
	}
	lang = resp.Lang
	if resp.Err == "forbidden" {
		p := web.Page{Lang: lang, Title: web.T(lang, "error.title"), Path: "/class"}
		return render(c, http.StatusForbidden, web.ErrorPage(p, web.T(lang, "class.forbidden")))
	}
	if !teacher && cookieValue(c, studentCookie) == "" {
		s.setCookie(c, studentCookie, newSecret(), "/class", false)
	}
	base := s.publicBase(c)
	p := web.Page{Lang: lang, Title: web.T(lang, "class.title") + " " + code, Path: "/class"}
	v := web.ClassView{Page: p, Code: code, Teacher: teacher, Socket: "/class/" + code + "/ws",
		JoinURL: base + "/class/" + code, JoinAt: base + "/class"}
	return render(c, http.StatusOK, web.ClassPage(v))
}

// publicBase is where students reach this server: PublicURL, or the
// address the request came to, with a loopback host swapped for this
// machine's LAN address (a phone cannot open "localhost").
func (s *Server) publicBase(c *echo.Context) string {
	if s.cfg.Class.PublicURL != "" {
		return strings.TrimRight(s.cfg.Class.PublicURL, "/")
	}
	r := c.Request()
	scheme, _, _ := strings.Cut(selfOrigin(r), "://")
	host, port, err := net.SplitHostPort(r.Host)
	if err != nil {
		host, port = r.Host, ""
	}
	if ip := net.ParseIP(host); host == "localhost" || (ip != nil && ip.IsLoopback()) {
		if lan := lanAddress(); lan != "" {
			host = lan
		}
	}
	if port != "" {
		host = net.JoinHostPort(host, port)
	}
	return scheme + "://" + host
}

// lanAddress is this machine's first private IPv4 address, or "".
func lanAddress() string {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return ""
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil && n.IP.IsPrivate() {
			return n.IP.String()
		}
	}
	return ""
}

// handleClassQR draws the join address as a QR code, in SVG.
func (s *Server) handleClassQR(c *echo.Context) error {
	code := normalizeCode(c.Param("code"))
	if code == "" {
		return echo.ErrNotFound
	}
	svg, err := qrSVG(s.publicBase(c) + "/class/" + code)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "private, max-age=3600")
	return c.Blob(http.StatusOK, "image/svg+xml", svg)
}

// qrSVG encodes text as a QR code drawn with one path, four modules of
// quiet zone around it.
func qrSVG(text string) ([]byte, error) {
	code, err := qr.Encode(text, qr.M)
	if err != nil {
		return nil, fmt.Errorf("qr code: %w", err)
	}
	n := code.Size
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="-4 -4 %d %d" shape-rendering="crispEdges">`, n+8, n+8)
	fmt.Fprintf(&b, `<rect x="-4" y="-4" width="%d" height="%d" fill="#fff"/><path fill="#000" d="`, n+8, n+8)
	for y := range n {
		for x := range n {
			if code.Black(x, y) {
				fmt.Fprintf(&b, "M%d %dh1v1h-1z", x, y)
			}
		}
	}
	b.WriteString(`"/></svg>`)
	return []byte(b.String()), nil
}

// handleClassCommand carries out a teacher's command (lesson, run, ask,
// reveal) on the room's owner, wherever it is, and answers with the
// teacher's controls redrawn.
func (s *Server) handleClassCommand(op string) echo.HandlerFunc {
	return func(c *echo.Context) error {
		code := normalizeCode(c.Param("code"))
		if code == "" {
			return echo.ErrNotFound
		}
		if err := s.sameOrigin(c); err != nil {
			return err
		}
		req := roomReq{Op: op, Secret: cookieValue(c, teacherCookie)}
		form, err := c.FormValues()
		if errors.Is(err, echo.ErrStatusRequestEntityTooLarge) {
			return err // a chunked body over the limit: 413, not 400
		}
		if err != nil {
			return echo.ErrBadRequest
		}
		switch op {
		case "lesson":
			req.Pick = form.Get("pick")
		case "run":
			req.Query = form.Encode()
		case "ask":
			req.Question = form.Get("question")
		}
		resp, err := s.ask(c.Request().Context(), code, req)
		if errors.Is(err, roombus.ErrNoRoom) || (err == nil && resp.Err == "ended") {
			return echo.ErrNotFound
		}
		if err != nil {
			return err
		}
		switch resp.Err {
		case "forbidden":
			return &visitorError{status: http.StatusForbidden, msg: web.T(resp.Lang, "class.forbidden"), why: "not the class's teacher"}
		case "":
		default:
			return echo.ErrBadRequest
		}
		if op == "end" {
			return c.Redirect(http.StatusSeeOther, "/"+resp.Lang+"/class")
		}
		status := http.StatusOK
		if resp.Bad {
			status = http.StatusUnprocessableEntity
		}
		return c.HTML(status, resp.HTML)
	}
}
