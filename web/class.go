package web

import (
	"github.com/asyncplay/asyncplay/lessons"
	"github.com/asyncplay/asyncplay/scenarios/scenario"
)

// ClassHomeView is the classroom's front page: start a class or join one.
type ClassHomeView struct {
	Page
	Code    string // what the join form shows
	Name    string
	Problem string // why the last join was refused, in Lang
}

// ClassView is a class's page: the student's or, with Teacher set, the
// teacher's. Every part below the header arrives over the socket.
type ClassView struct {
	Page
	Code    string
	JoinURL string // the student join page's absolute address (also in the QR code)
	JoinAt  string // the address students type, without the code
	Teacher bool
	Socket  string // the class socket's path
	Choices []ClassChoice
}

// ClassChoice is one lesson scenario the teacher can put on screen.
type ClassChoice struct {
	Value string // "slug/scenario"
	Label string
}

// ClassLessonView is the lesson the class is on: its code, the values it
// runs with, and a way out to explore alone.
type ClassLessonView struct {
	Lang     string
	Code     string // the class's join code, for the rejoin link
	Lesson   *lessons.Lesson
	Scenario *scenario.Scenario
	Python   Code
	Go       Code
	Params   []ParamValue
	Defaults bool   // every value is the page's default
	StepOut  string // the solo lesson page with these values
}

// ParamValue is a parameter's label and the value a run takes (the
// class's, or a stored run's).
type ParamValue struct {
	Label string
	Value string
}

// ClassStatusView is the header line: who is here and how the class is.
type ClassStatusView struct {
	Lang        string
	Connected   int
	Names       []string // the teacher's view only
	Anonymous   int      // the teacher's view only
	TeacherAway bool
	Ended       bool
}

// ClassQuestionView is the question the class is predicting, if any.
type ClassQuestionView struct {
	Lang     string
	Q        *lessons.Question // nil: no question open
	Revealed bool
	Teacher  bool
}

// ClassTallyView counts the answers: the teacher sees it live; students
// see it once the answer is revealed. It never names anyone.
type ClassTallyView struct {
	Lang     string
	Q        *lessons.Question // nil: nothing to count
	Rows     []TallyRow
	Answered int
	Present  int
	Right    int
	Revealed bool
}

// TallyRow is one choice and how many chose it.
type TallyRow struct {
	Choice  string
	N       int
	Percent int
	Correct bool
}

// ClassControlsView is the teacher's panel for the current scenario.
type ClassControlsView struct {
	Lang      string
	Code      string
	Scenario  *scenario.Scenario
	Labels    map[string]lessons.ParamText
	Values    map[string]string
	Problems  map[string]string
	Questions []lessons.Question
	Asked     string // the open question's id
	Revealed  bool
	Running   bool
	Current   string // "slug/scenario"
	Choices   []ClassChoice
}

// CorrectChoice is the index of q's right answer among its choices in
// lang, or -1.
func CorrectChoice(q *lessons.Question, lang string) int {
	for i, c := range q.Choices {
		if c[lang] == q.Answer[lang] {
			return i
		}
	}
	return -1
}

// classWSConfig is the class socket's hx-ws config: it always reconnects
// (the server sends the current state again). A student's phone closes it
// while the page is hidden and reopens it on return; the teacher's stays
// open, because a teacher with no socket counts as gone.
func classWSConfig(teacher bool) string {
	if teacher {
		return `{"ws":{"pauseOnBackground":false,"reconnect":true}}`
	}
	return `{"ws":{"pauseOnBackground":true,"reconnect":true}}`
}
