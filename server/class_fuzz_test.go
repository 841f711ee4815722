package server

import (
	"encoding/json"
	"strconv"
	"testing"
)

// FuzzParseAnswer feeds the class socket's one inbound message type
// anything at all: it must never panic, and it accepts only a JSON object
// whose "choice" is a small whole number.
func FuzzParseAnswer(f *testing.F) {
	for _, seed := range []string{
		`{"choice":"1","headers":{"HX-Request":"true"}}`,
		`{"choice":"0"}`, `{"choice":"-1"}`, `{"choice":"99999999999999999999"}`,
		`{"choice":1}`, `{"choice":"２"}`, `{"choice":""}`, `[]`, `null`, ``, `{"op":"run"}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		n, err := parseAnswer(b)
		if err != nil {
			return
		}
		if n < 0 || n > 25 {
			t.Fatalf("parseAnswer(%q) = %d; want 0–25 or an error", b, n)
		}
		var m map[string]any
		if json.Unmarshal(b, &m) != nil {
			t.Fatalf("parseAnswer accepted %q, which is no JSON object", b)
		}
		// encoding/json matches field names without regard to case, so
		// "Choice" is the choice field too; harmless, and kept.
		var sm studentMsg
		_ = json.Unmarshal(b, &sm)
		if got, err := strconv.Atoi(sm.Choice); err != nil || got != n {
			t.Fatalf("parseAnswer(%q) = %d; the choice field says %q", b, n, sm.Choice)
		}
	})
}

func TestParseAnswer(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int
		ok   bool
	}{
		{`{"choice":"2","headers":{"HX-Request":"true"}}`, 2, true},
		{`{"choice":"-1"}`, 0, false},
		{`{"choice":"26"}`, 0, false},
		{`{"choice":"x"}`, 0, false},
		{`{"choice":3}`, 0, false},
		{`not json`, 0, false},
		{`{"choice":"1","pad":"` + string(make([]byte, maxStudentMsg)) + `"}`, 0, false},
	} {
		got, err := parseAnswer([]byte(tc.in))
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("parseAnswer(%.40q) = %d, %v; want %d, ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}
