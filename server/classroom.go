package server

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/a-h/templ"

	"github.com/asyncplay/asyncplay/lessons"
	"github.com/asyncplay/asyncplay/scenarios/scenario"
	"github.com/asyncplay/asyncplay/web"
)

// A classroom room lives on the instance where the teacher started it (its
// owner). The owner keeps the room's state and renders every part of the
// students' pages once per change; the room bus carries each rendered part
// to every instance with students in the room, which forwards the same
// bytes to each of its sockets.

// codeAlphabet leaves out letters and digits that read alike (0/O, 1/I/L).
const codeAlphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"

// codeLen is a join code's length: 31^6, about 887 million codes.
const codeLen = 6

// newCode draws a random join code.
func newCode() string {
	b := make([]byte, codeLen)
	rand.Read(b)
	for i := range b {
		b[i] = codeAlphabet[int(b[i])%len(codeAlphabet)]
	}
	return string(b)
}

// normalizeCode reads a code as people type it: any case, spaces or dashes
// between letters. It returns "" for anything that cannot be a code.
func normalizeCode(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' {
			return -1
		}
		return unicode.ToUpper(r)
	}, s)
	if len(s) != codeLen {
		return ""
	}
	for _, r := range s {
		if !strings.ContainsRune(codeAlphabet, r) {
			return ""
		}
	}
	return s
}

// newSecret draws the teacher's secret: 256 random bits.
func newSecret() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// maxNameRunes bounds a student's display name.
const maxNameRunes = 24

// cleanName trims a display name, drops control and formatting characters
// and cuts it to maxNameRunes. Escaping is the template's job.
func cleanName(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "")
	}
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return -1
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) > maxNameRunes {
		s = strings.TrimSpace(string([]rune(s)[:maxNameRunes]))
	}
	return s
}

// roomReq is a request to a room's owner.
type roomReq struct {
	Op       string `json:"op"` // join, leave, answer, info, auth, lesson, run, ask, reveal, end
	Student  string `json:"student,omitempty"`
	Name     string `json:"name,omitempty"`
	Secret   string `json:"secret,omitempty"`
	Choice   int    `json:"choice,omitempty"`
	Pick     string `json:"pick,omitempty"`     // lesson: "slug/scenario"
	Query    string `json:"query,omitempty"`    // run: the parameters, URL-encoded
	Question string `json:"question,omitempty"` // ask: the question's id
	Have     bool   `json:"have,omitempty"`     // join: this instance has the room's parts already
}

// roomResp is the owner's answer.
type roomResp struct {
	Err   string    `json:"err,omitempty"` // "full", "forbidden", "bad", "ended"
	Lang  string    `json:"lang,omitempty"`
	Slots []slotMsg `json:"slots,omitempty"` // join: the room as it is now
	Mine  string    `json:"mine,omitempty"`  // join, answer: the student's answer, as shown
	HTML  string    `json:"html,omitempty"`  // teacher commands: the controls, redrawn
	Bad   bool      `json:"bad,omitempty"`   // the controls show problems with the values
}

// The audiences of a slot.
const (
	audAll     = "a"
	audStudent = "s"
	audTeacher = "t"
)

// slotMsg is one part of the class's pages as the owner last rendered it:
// Msg is the exact WebSocket message for the browser (hx-ws JSON naming
// its target). Published on the bus; the latest of each Key is kept.
type slotMsg struct {
	Seq uint64          `json:"seq"`
	Key string          `json:"key"`
	Aud string          `json:"aud"`
	Msg json.RawMessage `json:"msg"`
	End bool            `json:"end,omitempty"` // the room has closed: send this, then close
}

// wsMsg is what the browser's hx-ws receives: content to swap into target.
// Sent (Unix nanoseconds) lets a load test measure delivery.
type wsMsg struct {
	Content string `json:"content"`
	Target  string `json:"target"`
	Swap    string `json:"swap"`
	Sent    int64  `json:"sent"`
}

// encodeWS encodes a browser message once, without escaping HTML (the
// content is HTML).
func encodeWS(target, content string) json.RawMessage {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(wsMsg{Content: content, Target: target, Swap: "innerHTML", Sent: time.Now().UnixNano()})
	return bytes.TrimRight(b.Bytes(), "\n")
}

// member is a student in the room, however many sockets they have open.
type member struct {
	name  string
	conns int
}

// room is a class's state on its owner.
type room struct {
	s       *Server
	code    string
	lang    string
	secret  [32]byte // sha256 of the teacher's secret
	owner   string   // the address that started it
	created time.Time
	release func() // gives up the code on the bus

	mu       sync.Mutex
	seq      uint64
	slots    map[string]slotMsg
	lesson   *lessons.Lesson
	scenario *scenario.Scenario
	values   url.Values // as the teacher typed them
	problems map[string]string
	q        *lessons.Question
	revealed bool
	answers  map[string]int // by student id
	members  map[string]*member
	teachers int
	away     time.Time // when the last teacher socket closed; zero while one is open
	dirty    bool      // status and tally need sending
	cancel   context.CancelFunc
	running  bool
	closed   bool
	done     chan struct{} // closed when the room's loop has ended
	runDone  chan struct{} // closed when the room's run (if any) has ended
}

func (r *room) teacherOK(secret string) bool {
	h := sha256.Sum256([]byte(secret))
	return secret != "" && subtle.ConstantTimeCompare(h[:], r.secret[:]) == 1
}

// handle answers one request; the bus calls it one request at a time.
func (r *room) handle(raw []byte) []byte {
	var req roomReq
	resp := roomResp{}
	if err := json.Unmarshal(raw, &req); err != nil {
		resp.Err = "bad"
	} else {
		resp = r.do(req)
	}
	b, _ := json.Marshal(resp)
	return b
}

func (r *room) do(req roomReq) roomResp {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return roomResp{Err: "ended"}
	}
	resp := roomResp{Lang: r.lang}
	teacherOp := !slices.Contains([]string{"join", "leave", "answer", "info"}, req.Op)
	if teacherOp && !r.teacherOK(req.Secret) {
		return roomResp{Err: "forbidden", Lang: r.lang}
	}
	switch req.Op {
	case "info":
	case "auth":
	case "join":
		if req.Secret != "" {
			if !r.teacherOK(req.Secret) {
				return roomResp{Err: "forbidden", Lang: r.lang}
			}
			r.teachers++
			r.away = time.Time{}
		} else {
			m := r.members[req.Student]
			if m == nil {
				if len(r.members) >= r.s.cfg.Class.Capacity {
					return roomResp{Err: "full", Lang: r.lang}
				}
				m = &member{}
				r.members[req.Student] = m
			}
			m.conns++
			if n := cleanName(req.Name); n != "" {
				m.name = n
			}
			resp.Mine = r.mineLocked(req.Student)
		}
		r.dirty = true
		if !req.Have {
			for _, sl := range r.slots {
				resp.Slots = append(resp.Slots, sl)
			}
		}
	case "leave":
		if req.Secret != "" && r.teacherOK(req.Secret) {
			if r.teachers--; r.teachers <= 0 {
				r.teachers, r.away = 0, time.Now()
			}
		} else if m := r.members[req.Student]; m != nil {
			if m.conns--; m.conns <= 0 {
				delete(r.members, req.Student)
			}
		}
		r.dirty = true
	case "answer":
		if r.members[req.Student] == nil || r.q == nil || r.revealed || req.Choice < 0 || req.Choice >= len(r.q.Choices) {
			return roomResp{Err: "bad", Lang: r.lang}
		}
		r.answers[req.Student] = req.Choice
		r.dirty = true
		resp.Mine = r.mineLocked(req.Student)
	case "lesson":
		slug, id, _ := strings.Cut(req.Pick, "/")
		l, sc := r.s.classPick(slug, id)
		if sc == nil {
			return roomResp{Err: "bad", Lang: r.lang}
		}
		r.stopRunLocked()
		r.lesson, r.scenario, r.values, r.problems = l, sc, url.Values{}, nil
		r.q, r.revealed, r.answers = nil, false, map[string]int{}
		r.publishLessonLocked()
		r.publishQuestionLocked()
		r.publishLocked("run", audAll, "#class-run", r.s.renderString(web.ClassIdle(r.lang)))
		resp.HTML = r.publishControlsLocked()
	case "run":
		q, err := url.ParseQuery(req.Query)
		if err != nil {
			return roomResp{Err: "bad", Lang: r.lang}
		}
		// Keep only the scenario's own parameters: the form's other
		// fields (and htmx's) are not values. Of a repeated one, the
		// first counts, as everywhere else.
		r.values = url.Values{}
		for _, p := range r.scenario.Params {
			if v, ok := q[p.Name]; ok {
				r.values.Set(p.Name, v[0])
			}
		}
		vals, probs := r.scenario.Parse(r.values)
		r.problems = nil
		if len(probs) > 0 {
			r.problems = map[string]string{}
			for _, p := range probs {
				r.problems[p.Param] = web.ProblemText(r.lang, p)
			}
			resp.Bad = true
			resp.HTML = r.controlsHTMLLocked()
			return resp
		}
		r.publishLessonLocked()
		r.startRunLocked(vals)
		resp.HTML = r.publishControlsLocked()
	case "ask":
		q := r.question(req.Question)
		if q == nil {
			return roomResp{Err: "bad", Lang: r.lang}
		}
		r.q, r.revealed, r.answers = q, false, map[string]int{}
		r.publishQuestionLocked()
		resp.HTML = r.publishControlsLocked()
	case "reveal":
		if r.q == nil {
			return roomResp{Err: "bad", Lang: r.lang}
		}
		r.revealLocked()
		resp.HTML = r.publishControlsLocked()
	case "end":
		r.closeLocked()
	default:
		return roomResp{Err: "bad", Lang: r.lang}
	}
	return resp
}

func (r *room) question(id string) *lessons.Question {
	for i := range r.lesson.Quiz {
		if r.lesson.Quiz[i].ID == id {
			return &r.lesson.Quiz[i]
		}
	}
	return nil
}

// mineLocked is what the student answered to the open question, as shown.
func (r *room) mineLocked(student string) string {
	c, ok := r.answers[student]
	if !ok || r.q == nil {
		return ""
	}
	return string(rune('A'+c)) + ". " + r.q.Choices[c][r.lang]
}

// publishLocked renders nothing: it sends content, already rendered, as
// the latest of key to everyone in aud, on every instance.
func (r *room) publishLocked(key, aud, target, content string) {
	r.seq++
	sl := slotMsg{Seq: r.seq, Key: key, Aud: aud, Msg: encodeWS(target, content)}
	r.slots[key] = sl
	r.s.classPublish(r.code, sl)
}

func (s *Server) renderString(c templ.Component) string {
	var b strings.Builder
	if err := c.Render(context.Background(), &b); err != nil {
		s.log.Error("render class part", "err", err)
	}
	return b.String()
}

func (r *room) publishLessonLocked() {
	sc := r.scenario
	vals, probs := sc.Parse(r.values)
	q := vals.Query()
	v := web.ClassLessonView{Lang: r.lang, Code: r.code, Lesson: r.lesson, Scenario: sc,
		Python: r.s.pythonCode(sc, vals, probs), Go: r.s.code[sc.ID][1], Defaults: len(r.values) == 0,
		StepOut: "/" + r.lang + "/lessons/" + r.lesson.Slug + "?" + q.Encode(),
		Params:  paramsShown(r.lang, r.lesson, sc, q)}
	r.publishLocked("lesson", audAll, "#class-lesson", r.s.renderString(web.ClassLesson(v)))
}

func (r *room) controlsHTMLLocked() string {
	v := web.ClassControlsView{Lang: r.lang, Code: r.code, Scenario: r.scenario, Labels: r.lesson.Params,
		Values: map[string]string{}, Problems: r.problems, Running: r.running, Revealed: r.revealed,
		Current: r.lesson.Slug + "/" + r.scenario.ID, Choices: r.s.classChoices(r.lang)}
	defaults, _ := r.scenario.Parse(nil)
	typed, _ := r.scenario.Parse(r.values) // what was read: trimmed, and cut if too long
	for _, p := range r.scenario.Params {
		v.Values[p.Name] = defaults.Query().Get(p.Name)
		if p.Name == "delays" {
			v.Values[p.Name] = ""
		}
		if _, ok := r.values[p.Name]; ok {
			v.Values[p.Name] = typed.Raw(p.Name)
		}
	}
	for _, q := range r.lesson.Quiz {
		if q.Scenario == r.scenario.ID && len(q.Choices) > 0 {
			v.Questions = append(v.Questions, q)
		}
	}
	if r.q != nil {
		v.Asked = r.q.ID
	}
	return r.s.renderString(web.ClassControls(v))
}

func (r *room) publishControlsLocked() string {
	html := r.controlsHTMLLocked()
	r.publishLocked("controls", audTeacher, "#class-controls", html)
	return html
}

func (r *room) publishQuestionLocked() {
	for _, aud := range []string{audStudent, audTeacher} {
		v := web.ClassQuestionView{Lang: r.lang, Q: r.q, Revealed: r.revealed, Teacher: aud == audTeacher}
		r.publishLocked("question@"+aud, aud, "#class-question", r.s.renderString(web.ClassQuestion(v)))
	}
	if !r.revealed {
		// A new question (or none): nobody has answered it yet.
		r.publishLocked("mine", audAll, "#class-mine", "")
	}
	r.publishTallyLocked()
}

func (r *room) publishTallyLocked() {
	v := web.ClassTallyView{Lang: r.lang, Q: r.q, Revealed: r.revealed, Present: len(r.members)}
	if r.q != nil {
		correct := web.CorrectChoice(r.q, r.lang)
		counts := make([]int, len(r.q.Choices))
		for _, c := range r.answers {
			counts[c]++
			v.Answered++
		}
		for i, c := range r.q.Choices {
			row := web.TallyRow{Choice: c[r.lang], N: counts[i], Correct: r.revealed && i == correct}
			if v.Answered > 0 {
				row.Percent = counts[i] * 100 / v.Answered
			}
			v.Rows = append(v.Rows, row)
		}
		if correct >= 0 {
			v.Right = counts[correct]
		}
	}
	r.publishLocked("tally@"+audTeacher, audTeacher, "#class-tally", r.s.renderString(web.ClassTally(v)))
	student := ""
	if r.revealed {
		student = r.s.renderString(web.ClassTally(v))
	}
	r.publishLocked("tally@"+audStudent, audStudent, "#class-tally", student)
}

func (r *room) publishStatusLocked() {
	v := web.ClassStatusView{Lang: r.lang, Connected: len(r.members), TeacherAway: r.teachers == 0}
	r.publishLocked("status@"+audStudent, audStudent, "#class-status", r.s.renderString(web.ClassStatus(v)))
	for _, m := range r.members {
		if m.name != "" {
			v.Names = append(v.Names, m.name)
		} else {
			v.Anonymous++
		}
	}
	slices.Sort(v.Names)
	r.publishLocked("status@"+audTeacher, audTeacher, "#class-status", r.s.renderString(web.ClassStatus(v)))
}

func (r *room) revealLocked() {
	r.revealed = true
	r.publishQuestionLocked()
}

// loop sends the status and the tally at most every ClassConfig.Flush (so
// five hundred students joining or answering at once cost a few messages,
// not a quarter of a million), and closes the room when the teacher has
// been gone too long or the room is too old.
func (r *room) loop() {
	defer close(r.done)
	t := time.NewTicker(r.s.cfg.Class.Flush)
	defer t.Stop()
	for {
		select {
		case <-r.s.base.Done():
			r.mu.Lock()
			r.stopRunLocked()
			r.mu.Unlock()
			r.release() // students reconnecting find no room rather than a dead owner
			return
		case <-t.C:
		}
		r.mu.Lock()
		if r.closed {
			r.mu.Unlock()
			return
		}
		switch {
		case !r.away.IsZero() && time.Since(r.away) > r.s.cfg.Class.TeacherGrace,
			time.Since(r.created) > r.s.cfg.Class.MaxAge:
			r.closeLocked()
			r.mu.Unlock()
			return
		case r.dirty:
			r.dirty = false
			r.publishStatusLocked()
			r.publishTallyLocked()
		}
		r.mu.Unlock()
	}
}

// closeLocked ends the room: everyone is told, the run stops, the code is
// given up.
func (r *room) closeLocked() {
	if r.closed {
		return
	}
	r.closed = true
	r.stopRunLocked()
	r.seq++
	msg := encodeWS("#class-status", r.s.renderString(web.ClassStatus(web.ClassStatusView{Lang: r.lang, Ended: true})))
	r.s.classPublish(r.code, slotMsg{Seq: r.seq, Key: "status@" + audAll, Aud: audAll, Msg: msg, End: true})
	r.release()
	r.s.forgetRoom(r)
}

func (r *room) stopRunLocked() {
	if r.cancel != nil {
		r.cancel()
		r.cancel = nil
	}
}

// String names the room in logs.
func (r *room) String() string { return fmt.Sprintf("room %s", r.code) }
