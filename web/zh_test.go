package web

import (
	"encoding/json"
	"io/fs"
	"path"
	"regexp"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/asyncplay/asyncplay/lessons"
)

// TestChinesePunctuation: Chinese text uses full-width commas, colons,
// semicolons, marks and parentheses (，：；！？（）), not the ASCII ones,
// wherever they touch Chinese. Code, markup, URLs and format verbs keep
// theirs, and so does a call's "(" after a name: task.cancel() 会….
func TestChinesePunctuation(t *testing.T) {
	check := func(where, s string) {
		for _, bad := range asciiPunctInChinese(s) {
			t.Errorf("%s: ASCII punctuation in Chinese text: %q", where, bad)
		}
	}
	eachText(t, "zh", check)
}

func TestASCIIPunctInChinese(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int
	}{
		{"先预测,再运行", 1},
		{"先预测，再运行", 0},
		{"运行之前先预测: ", 1},
		{"你的名字(可选)", 2},
		{"你的名字（可选）", 0},
		{"Python (asyncio)", 0},
		{"task.cancel() 会抛出", 0},
		{"time.sleep(1.0)。本应", 0},
		{"say_after(1, \"hello\")，再", 0},
		{"阻塞(time.sleep)。", 2},
		{"列表为 [1, 2, 3]。", 0},
		{"`a, b` 和 `c`", 0},
		{"见 https://example.com/a,b 里", 0},
		{"```\nx = (1, 2)  # 注释\n```", 0},
		{"打印 %s:%d 行", 0},
		{"在 `main`,然后", 1},
	} {
		if got := asciiPunctInChinese(tc.in); len(got) != tc.want {
			t.Errorf("%q: found %q, want %d", tc.in, got, tc.want)
		}
	}
}

// walkLang calls f with every string under a lang key ("zh") in v.
func walkLang(v any, lang string, f func(string)) {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if s, ok := x.(string); ok && k == lang {
				f(s)
				continue
			}
			walkLang(x, lang, f)
		}
	case []any:
		for _, x := range v {
			walkLang(x, lang, f)
		}
	}
}

// notProse is what keeps its own punctuation: code blocks and spans, tags,
// URLs, link targets and format verbs. Each becomes one Latin letter.
var notProse = regexp.MustCompile("(?s)```.*?```|`[^`\n]*`|<[^>\n]*>|https?://\\S+|\\]\\([^)]*\\)|%[-+# 0-9.]*[a-zA-Z]")

// asciiPunctInChinese returns each ASCII , : ; ! ? ( ) in s that touches a
// Chinese character (spaces between do not count), with a little context.
func asciiPunctInChinese(s string) []string {
	rs := []rune(notProse.ReplaceAllString(s, "x"))
	wide := func(i, step int) bool {
		for i += step; i >= 0 && i < len(rs); i += step {
			if rs[i] != ' ' && rs[i] != '\t' && rs[i] != '\n' {
				return rs[i] > utf8.RuneSelf && (unicode.Is(unicode.Han, rs[i]) || unicode.IsPunct(rs[i]))
			}
		}
		return false
	}
	var out []string
	var calls []bool // for each "(" open: whether it is a call's
	for i, r := range rs {
		if !strings.ContainsRune(",:;!?()", r) {
			continue
		}
		switch r {
		case '(':
			call := i > 0 && rs[i-1] < utf8.RuneSelf && (unicode.IsLetter(rs[i-1]) || unicode.IsDigit(rs[i-1]) || rs[i-1] == '_')
			calls = append(calls, call)
			if call {
				continue // f(…) is code, even unquoted
			}
		case ')':
			if n := len(calls); n > 0 {
				call := calls[n-1]
				calls = calls[:n-1]
				if call {
					continue
				}
			}
		}
		if wide(i, -1) || wide(i, 1) {
			out = append(out, string(rs[max(i-6, 0):min(i+6, len(rs))]))
		}
	}
	return out
}

// eachText calls check with every text in lang: the page and class
// messages, each lesson's prose and every lang string of its lesson.json.
func eachText(t *testing.T, lang string, check func(where, s string)) {
	t.Helper()
	for _, m := range []map[string]map[string]string{messages, classMessages} {
		for key, s := range m[lang] {
			check("message "+key, s)
		}
	}
	fsys := lessons.Embedded()
	prose, err := fs.Glob(fsys, "*/"+lang+".md")
	if err != nil || len(prose) == 0 {
		t.Fatalf("no %s lesson prose found (%v)", lang, err)
	}
	for _, name := range prose {
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			t.Fatal(err)
		}
		check(name, string(b))
	}
	meta, err := fs.Glob(fsys, "*/lesson.json")
	if err != nil || len(meta) == 0 {
		t.Fatalf("no lesson.json found (%v)", err)
	}
	for _, name := range meta {
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			t.Fatal(err)
		}
		var v any
		if err := json.Unmarshal(b, &v); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		n := 0
		walkLang(v, lang, func(s string) { n++; check(path.Dir(name)+"/lesson.json", s) })
		if n == 0 {
			t.Errorf("%s has no %s text", name, lang)
		}
	}
}
