package lessons

import (
	goast "go/ast"
	"go/parser"
	"go/token"
	"html"
	"io/fs"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
	"unicode"
	"unicode/utf8"
)

// anyScenario accepts every scenario id: the embedded content is checked
// against the real registry by the server's tests.
func anyScenario(string) ([]string, bool) { return nil, true }

func known(id string) ([]string, bool) {
	switch id {
	case "semaphore":
		return []string{"limit"}, true
	case "semaphore-2":
		return nil, true
	}
	return nil, false
}

func TestEmbeddedLoads(t *testing.T) {
	c, err := Load(Embedded(), anyScenario)
	if err != nil {
		t.Fatalf("Load(Embedded()) = %v", err)
	}
	l := c.Get("semaphore")
	if l == nil {
		t.Fatal(`Get("semaphore") = nil`)
	}
	for _, loc := range Locales {
		if !strings.Contains(string(l.Prose[loc]), "<h2>") {
			t.Errorf("prose in %s has no sections", loc)
		}
	}
}

// TestSectionsInEveryLocale fails when a lesson's prose in one language is
// missing a section the English has: the count of ## headings must match.
func TestSectionsInEveryLocale(t *testing.T) {
	c, err := Load(Embedded(), anyScenario)
	if err != nil {
		t.Fatal(err)
	}
	h2 := regexp.MustCompile(`<h2>`)
	for _, l := range c.Lessons {
		want := len(h2.FindAllString(string(l.Prose["en"]), -1))
		for _, loc := range Locales[1:] {
			if got := len(h2.FindAllString(string(l.Prose[loc]), -1)); got != want {
				t.Errorf("%s/%s.md has %d sections; en.md has %d", l.Slug, loc, got, want)
			}
		}
	}
}

const goodLesson = `{"number":9,"group":"limits","scenarios":["semaphore"],
	"title":{"en":"T","ja":"T","zh":"T"},"summary":{"en":"S","ja":"S","zh":"S"},
	"params":{"limit":{"label":{"en":"L","ja":"L","zh":"L"},"help":{"en":"H","ja":"H","zh":"H"}}},
	"quiz":[{"id":"q","scenario":"semaphore","question":{"en":"Q","ja":"Q","zh":"Q"},"answer":{"en":"A","ja":"A","zh":"A"}}]}`

func goodFS() fstest.MapFS {
	return fstest.MapFS{
		"index.json":            {Data: []byte(`{"lessons":["semaphore"]}`)},
		"semaphore/lesson.json": {Data: []byte(goodLesson)},
		"semaphore/en.md":       {Data: []byte("## A\n")},
		"semaphore/ja.md":       {Data: []byte("## A\n")},
		"semaphore/zh.md":       {Data: []byte("## A\n")},
	}
}

func TestLoadErrorsNameTheFile(t *testing.T) {
	if _, err := Load(goodFS(), known); err != nil {
		t.Fatalf("Load(good) = %v; want nil", err)
	}
	lesson := func(old, new string) func(fstest.MapFS) {
		return func(m fstest.MapFS) {
			m["semaphore/lesson.json"] = &fstest.MapFile{Data: []byte(strings.Replace(goodLesson, old, new, 1))}
		}
	}
	for _, tc := range []struct {
		name   string
		change func(fstest.MapFS)
		want   string
	}{
		{"missing translation", func(m fstest.MapFS) { delete(m, "semaphore/zh.md") }, "semaphore/zh.md"},
		{"missing title", lesson(`"title":{"en":"T","ja":"T","zh":"T"}`, `"title":{"en":"T","ja":"T"}`), `semaphore/lesson.json: no title in "zh"`},
		{"unknown scenario", lesson(`"scenarios":["semaphore"]`, `"scenarios":["nope"]`), `semaphore/lesson.json: scenario "nope" is not registered`},
		{"unlabelled parameter", lesson(`"params":{"limit"`, `"params":{"limits"`), `no label for parameter "limit"`},
		{"parameter help missing in ja", lesson(`"help":{"en":"H","ja":"H"`, `"help":{"en":"H","ja":""`), `parameter "limit" has no label or help in "ja"`},
		{"quiz without answer", lesson(`"answer":{"en":"A","ja":"A","zh":"A"}`, `"answer":{"en":"A"}`), `quiz question "q" has no question or answer in "ja"`},
		{"quiz on another scenario", lesson(`"id":"q","scenario":"semaphore"`, `"id":"q","scenario":"lock"`), "quiz question 1"},
		{"see also nowhere", lesson(`"number":9,`, `"number":9,"see_also":["gone"],`), `see_also "gone"`},
		{"unknown field", lesson(`"number":9`, `"numbr":9`), "semaphore/lesson.json"},
		{"bad group", lesson(`"group":"limits"`, `"group":"misc"`), `group "misc"`},
		{"lesson missing", func(m fstest.MapFS) {
			m["index.json"] = &fstest.MapFile{Data: []byte(`{"lessons":["semaphore","gone"]}`)}
		}, "gone/lesson.json"},
		{"no index", func(m fstest.MapFS) { delete(m, "index.json") }, "index.json"},
		{"second scenario untitled", lesson(`"scenarios":["semaphore"]`, `"scenarios":["semaphore","semaphore-2"],
			"scenario_titles":{"semaphore":{"en":"A","ja":"A","zh":"A"},"semaphore-2":{"en":"B","ja":"B"}}`), `scenario "semaphore-2" has no title in "zh"`},
		{"title for no scenario", lesson(`"scenarios":["semaphore"]`, `"scenarios":["semaphore"],"scenario_titles":{"lock":{"en":"A"}}`), `scenario_titles names "lock"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := goodFS()
			tc.change(m)
			_, err := Load(fs.FS(m), known)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Load = %v; want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestProseEscapesHTML(t *testing.T) {
	m := goodFS()
	m["semaphore/en.md"] = &fstest.MapFile{Data: []byte("<script>alert(1)</script>\n")}
	c, err := Load(m, known)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(c.Get("semaphore").Prose["en"]); strings.Contains(got, "<script>") {
		t.Errorf("prose = %q; want raw HTML left out", got)
	}
}

func TestPrevNext(t *testing.T) {
	m := goodFS()
	m["index.json"] = &fstest.MapFile{Data: []byte(`{"lessons":["semaphore","second"]}`)}
	for _, f := range []string{"lesson.json", "en.md", "ja.md", "zh.md"} {
		m["second/"+f] = m["semaphore/"+f]
	}
	c, err := Load(m, known)
	if err != nil {
		t.Fatal(err)
	}
	a, b := c.Get("semaphore"), c.Get("second")
	if a.Prev != nil || a.Next != b || b.Prev != a || b.Next != nil {
		t.Errorf("prev/next = %v %v %v %v; want semaphore <-> second", a.Prev, a.Next, b.Prev, b.Next)
	}
}

// uiStrings reads the UI strings from the web package's source, by locale
// then key: that package imports this one, so its tables cannot be imported
// here.
func uiStrings(t *testing.T) map[string]map[string]string {
	t.Helper()
	out := map[string]map[string]string{}
	fset := token.NewFileSet()
	for _, name := range []string{"../web/i18n.go", "../web/class_i18n.go"} {
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		goast.Inspect(f, func(n goast.Node) bool {
			kv, ok := n.(*goast.KeyValueExpr)
			if !ok {
				return true
			}
			loc, ok := stringLit(kv.Key)
			table, isTable := kv.Value.(*goast.CompositeLit)
			if !ok || !isTable {
				return true
			}
			for _, e := range table.Elts {
				e, ok := e.(*goast.KeyValueExpr)
				if !ok {
					continue
				}
				k, ok1 := stringLit(e.Key)
				v, ok2 := stringLit(e.Value)
				if ok1 && ok2 {
					if out[loc] == nil {
						out[loc] = map[string]string{}
					}
					out[loc][k] = v
				}
			}
			return false
		})
	}
	for _, loc := range Locales {
		if len(out[loc]) < 50 {
			t.Fatalf("read %d UI strings in %q from ../web; the tables moved?", len(out[loc]), loc)
		}
	}
	return out
}

func stringLit(e goast.Expr) (string, bool) {
	lit, ok := e.(*goast.BasicLit)
	if !ok || lit.Kind != token.STRING {
		return "", false
	}
	s, err := strconv.Unquote(lit.Value)
	return s, err == nil
}

// prose converts one lesson's Markdown, the same in every locale, and
// returns the HTML in each.
func prose(t *testing.T, md string) map[string]string {
	t.Helper()
	m := goodFS()
	for _, loc := range Locales {
		m["semaphore/"+loc+".md"] = &fstest.MapFile{Data: []byte(md)}
	}
	c, err := Load(m, known)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for loc, h := range c.Get("semaphore").Prose {
		out[loc] = string(h)
	}
	return out
}

// TestEastAsianLineBreaks: a line break in Japanese or Chinese Markdown
// between East Asian characters, or between one and punctuation, is no
// space on the page; next to a Latin word or code it stays a space, and
// English keeps every line break.
func TestEastAsianLineBreaks(t *testing.T) {
	for _, tc := range []struct {
		loc, md, want string
	}{
		{"ja", "頼むだけです。\n次にタスクが動くと", "頼むだけです。次にタスクが動くと"},
		{"ja", "その間に await して\nもかまいません。", "await してもかまいません。"},
		{"zh", "离开代码块\n时把它还回去", "离开代码块时把它还回去"},
		{"zh", "(没有空闲就一直等到有为止),\n离开代码块", "有为止),离开代码块"},
		{"zh", "按下\n“运行”。", "按下“运行”。"},
		{"ja", "タスクを\n**強調**します", "タスクを<strong>強調</strong>します"},
		{"ja", "送出されます。\n`cancel()` を呼ぶ", "送出されます。<code>cancel()</code>"},
		// Next to Latin words, numbers and code the prose writes a space,
		// and so does a line break.
		{"ja", "コンテキストと\n`cancel` 関数", "コンテキストと\n<code>cancel</code> 関数"},
		{"ja", "`await`\nしても", "<code>await</code>\nしても"},
		{"ja", "1 秒で main が\nキャンセルする", "main がキャンセルする"},
		{"ja", "呼び出しは\nGo の", "呼び出しは\nGo の"},
		{"zh", "它的\nWeighted 同样", "它的\nWeighted 同样"},
		{"ja", "改行します。  \n次の行", "改行します。<br>\n次の行"},
		{"en", "It only asks.\nNext time", "It only asks.\nNext time"},
		{"en", "waits on the\n`await` and\n**then**", "waits on the\n<code>await</code> and\n<strong>then</strong>"},
		{"en", "ends (here),\nand", "ends (here),\nand"},
	} {
		got := prose(t, tc.md)[tc.loc]
		if !strings.Contains(got, tc.want) {
			t.Errorf("%s: %q renders %q; want it to contain %q", tc.loc, tc.md, got, tc.want)
		}
	}
}

var (
	// cjk is a character that takes no space before or after it: Han, kana,
	// CJK punctuation, full-width forms.
	cjk = `[\p{Han}\p{Hiragana}\p{Katakana}\x{3000}-\x{303F}\x{30A0}-\x{30FF}\x{FF00}-\x{FFEF}]`
	// spaceInCJK is white space (a line break shows as one) between two
	// such characters, where Japanese and Chinese have none.
	spaceInCJK = regexp.MustCompile(cjk + `\s+` + cjk)
	// spaceAtPunct is white space between one and punctuation, which the
	// prose does not write either, outside code.
	spaceAtPunct = regexp.MustCompile(cjk + `\s+[,.:;!?()“”]|[,.:;!?()“”]\s+` + cjk)
	codeHTML     = regexp.MustCompile(`(?s)<pre[ >].*?</pre>|<code>.*?</code>`)
	blockTag     = regexp.MustCompile(`</?(p|h[1-6]|ul|ol|li|blockquote|table|thead|tbody|tr|th|td|hr|br)\b[^>]*>`)
	anyTag       = regexp.MustCompile(`<[^>]*>`)
)

// visibleText is what a reader sees of prose, code put as code (a Latin
// word), and block boundaries as ¶.
func visibleText(h, code string) string {
	h = codeHTML.ReplaceAllString(h, code)
	h = blockTag.ReplaceAllString(h, "¶")
	return html.UnescapeString(anyTag.ReplaceAllString(h, ""))
}

// lessonStrings are a lesson's plain texts in loc: title, summary, parameter
// labels and help, quiz.
func lessonStrings(l *Lesson, loc string) []string {
	out := []string{l.Title[loc], l.Summary[loc]}
	for _, p := range l.Params {
		out = append(out, p.Label[loc], p.Help[loc])
	}
	for _, q := range l.Quiz {
		out = append(out, q.Question[loc], q.Answer[loc], q.Explain[loc])
		for _, c := range q.Choices {
			out = append(out, c[loc])
		}
	}
	return out
}

// TestNoSpaceBetweenCJK fails when a shipped lesson's Japanese or Chinese
// shows a space between two East Asian characters ("です。 次に"), or in the
// prose between one and punctuation ("为止), 离开"), as a line break in the
// Markdown did. Spaces next to Latin words, numbers and code are the prose's
// own.
func TestNoSpaceBetweenCJK(t *testing.T) {
	c, err := Load(Embedded(), anyScenario)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range c.Lessons {
		for _, loc := range []string{"ja", "zh"} {
			// Code in the prose is marked, so the rule on punctuation
			// holds there; the plain strings write code as it is
			// (`gather(...) を`).
			text := visibleText(string(l.Prose[loc]), "x")
			for _, m := range spaceAtPunct.FindAllStringIndex(text, -1) {
				t.Errorf("%s/%s.md: stray space in %q", l.Slug, loc, around(text, m[0], m[1]))
			}
			for i, s := range append([]string{text}, lessonStrings(l, loc)...) {
				where := loc + ".md"
				if i > 0 {
					where = "lesson.json " + loc
				}
				for _, m := range spaceInCJK.FindAllStringIndex(s, -1) {
					t.Errorf("%s/%s: stray space in %q", l.Slug, where, around(s, m[0], m[1]))
				}
			}
		}
	}
}

func around(s string, i, j int) string {
	r := []rune(s)
	a, b := utf8.RuneCountInString(s[:i]), utf8.RuneCountInString(s[:j])
	return string(r[max(a-8, 0):min(b+8, len(r))])
}

// TestNoEnglishUILabels fails when a Japanese or Chinese lesson names a
// control by its English label ("Run を押してください") where the page shows
// it translated (実行): a short capitalised UI string, as a word outside code.
func TestNoEnglishUILabels(t *testing.T) {
	ui := uiStrings(t)
	c, err := Load(Embedded(), anyScenario)
	if err != nil {
		t.Fatal(err)
	}
	for _, loc := range []string{"ja", "zh"} {
		var labels []*regexp.Regexp
		for key, en := range ui["en"] {
			r := []rune(en)
			if ui[loc][key] == en || strings.Contains(en, "%") || len(strings.Fields(en)) > 3 ||
				!unicode.IsUpper(r[0]) || strings.ContainsRune(".:…", r[len(r)-1]) {
				continue
			}
			labels = append(labels, regexp.MustCompile(`\b`+regexp.QuoteMeta(en)+`\b`))
		}
		if len(labels) < 20 {
			t.Fatalf("%s: only %d labels to look for", loc, len(labels))
		}
		for _, l := range c.Lessons {
			texts := append([]string{visibleText(string(l.Prose[loc]), " ")}, lessonStrings(l, loc)...)
			for _, s := range texts {
				for _, re := range labels {
					for _, m := range re.FindAllStringIndex(s, -1) {
						t.Errorf("%s/%s: English UI label in %q", l.Slug, loc, around(s, m[0], m[1]))
					}
				}
			}
		}
	}
}

// TestJapaneseLongVowels fails when Japanese text spells a term without the
// long vowel mark the rest of it uses (パラメーター, not パラメータ), in the UI
// strings or a lesson.
func TestJapaneseLongVowels(t *testing.T) {
	ui := uiStrings(t)
	c, err := Load(Embedded(), anyScenario)
	if err != nil {
		t.Fatal(err)
	}
	texts := map[string][]string{}
	for key, s := range ui["ja"] {
		texts["web "+key] = []string{s}
	}
	for _, l := range c.Lessons {
		texts[l.Slug] = append(lessonStrings(l, "ja"), visibleText(string(l.Prose["ja"]), " "))
	}
	short := regexp.MustCompile(`(パラメータ|サーバ|ユーザ|ブラウザ|エグゼキュータ|ドライバ|コンピュータ|プレーヤ)([^ー]|$)`)
	for where, ss := range texts {
		for _, s := range ss {
			for _, m := range short.FindAllStringSubmatchIndex(s, -1) {
				t.Errorf("%s: %q; write %sー", where, around(s, m[0], m[1]), s[m[2]:m[3]])
			}
		}
	}
}
