package web

import (
	"strings"
	"testing"
	"unicode"
)

// TestJapaneseMarks: a colon, question mark or exclamation mark that
// touches Japanese text is the full-width one (：？！). An ASCII colon
// between two words read as one cramped word ("コルーチン:async def").
// Code, markup, URLs and format verbs keep theirs, and so does quoted
// output set off by a space ("alive: いくつ"). Parentheses stay half-width,
// a common style in Japanese technical writing.
func TestJapaneseMarks(t *testing.T) {
	eachText(t, "ja", func(where, s string) {
		for _, bad := range asciiMarksInJapanese(s) {
			t.Errorf("%s: ASCII mark touching Japanese text: %q", where, bad)
		}
	})
}

func TestASCIIMarksInJapanese(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int
	}{
		{"コルーチン:async def", 1},
		{"コルーチン：async def", 0},
		{"gather:結果は渡した順に", 1},
		{"何秒でしょう?", 1},
		{"何秒でしょう？", 0},
		{"しました: %s", 1},
		{"alive: いくつと表示する", 0},
		{"`a: b` を見る", 0},
		{"見る https://example.com/a:b", 0},
		{"```\nx = {\"a\": 1}  # 例\n```", 0},
		{"Python (asyncio)", 0},
		{"待ち時間(秒)", 0},
		{"`SetLimit(3)`:`g.Go` は", 1},
		{"`a`: `b`", 0},
	} {
		if got := asciiMarksInJapanese(tc.in); len(got) != tc.want {
			t.Errorf("%q: found %q, want %d", tc.in, got, tc.want)
		}
	}
}

// asciiMarksInJapanese returns each ASCII : ? ! in s right after a
// Japanese character, or right before one, with a little context; and a
// colon set tight between two code spans in Japanese text, which in
// English would have a space after it.
func asciiMarksInJapanese(s string) []string {
	const span = '\uE000' // an inline code span
	rs := []rune(notProse.ReplaceAllStringFunc(s, func(m string) string {
		if strings.HasPrefix(m, "`") && !strings.HasPrefix(m, "```") {
			return string(span)
		}
		return "x"
	}))
	japanese := func(i int) bool {
		return i >= 0 && i < len(rs) && rs[i] > unicode.MaxASCII &&
			(unicode.In(rs[i], unicode.Han, unicode.Hiragana, unicode.Katakana) || unicode.IsPunct(rs[i]))
	}
	var out []string
	for i, r := range rs {
		between := r == ':' && i > 0 && i+1 < len(rs) && rs[i-1] == span && rs[i+1] == span
		if strings.ContainsRune(":?!", r) && (japanese(i-1) || japanese(i+1) || between) {
			out = append(out, string(rs[max(i-6, 0):min(i+6, len(rs))]))
		}
	}
	return out
}
