package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/asyncplay/asyncplay/scenarios"
	"github.com/asyncplay/asyncplay/scenarios/timeline"
	"github.com/asyncplay/asyncplay/static"
	"github.com/asyncplay/asyncplay/web"
)

// standaloneHTML renders a traced program as one self-contained HTML file:
// its source with line numbers and its timeline with the player.
func standaloneHTML(name string, src []byte, tl *timeline.Timeline, pyName, status, errText string) ([]byte, error) {
	code, err := web.Highlight(name, "python", string(src), 1)
	if err != nil {
		return nil, err
	}
	side := web.Side{Runtime: scenarios.Python, Name: pyName, TL: tl, Ended: true, Status: status, Err: errText}
	f := web.BuildFrame("en", []web.Side{side}, 0, true, 0, 0)
	css, err := fs.ReadFile(static.FS(), "css/app.css")
	if err != nil {
		return nil, err
	}
	codeCSS, err := web.CodeCSS()
	if err != nil {
		return nil, err
	}
	js, err := fs.ReadFile(static.FS(), "js/player.js")
	if err != nil {
		return nil, err
	}
	v := web.StandaloneView{Lang: "en", Title: name, Code: code, Frame: f, CSS: string(css) + "\n" + codeCSS, JS: string(js)}
	var buf bytes.Buffer
	if err := web.Standalone(v).Render(context.Background(), &buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// chromeTrace writes the Trace Event Format (chrome://tracing, Perfetto):
// one thread per lane, a complete event per stretch of a lane's state, and
// an instant event per mark.
func chromeTrace(w io.Writer, tl *timeline.Timeline) error {
	v := tl.At(tl.Last())
	type ev struct {
		Name string         `json:"name"`
		Cat  string         `json:"cat,omitempty"`
		Ph   string         `json:"ph"`
		Ts   float64        `json:"ts"`
		Dur  float64        `json:"dur,omitempty"`
		Pid  int            `json:"pid"`
		Tid  int            `json:"tid"`
		S    string         `json:"s,omitempty"`
		Args map[string]any `json:"args,omitempty"`
	}
	us := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e3 }
	var out []ev
	out = append(out, ev{Name: "process_name", Ph: "M", Pid: 1, Args: map[string]any{"name": "asyncio (asyncplay trace)"}})
	for i, l := range v.Lanes {
		tid := i + 1
		out = append(out, ev{Name: "thread_name", Ph: "M", Pid: 1, Tid: tid, Args: map[string]any{"name": l.Name}},
			ev{Name: "thread_sort_index", Ph: "M", Pid: 1, Tid: tid, Args: map[string]any{"sort_index": tid}})
		for _, s := range l.Segments {
			name := string(s.State)
			if s.Label != "" {
				name += ": " + s.Label
			}
			out = append(out, ev{Name: name, Cat: string(s.State), Ph: "X", Ts: us(s.Start), Dur: us(s.End - s.Start), Pid: 1, Tid: tid})
		}
		for _, m := range l.Marks {
			name := string(m.Kind)
			if m.Label != "" {
				name += ": " + m.Label
			}
			args := map[string]any{}
			if m.Line != 0 {
				args["line"] = m.Line
			}
			if m.Kind == timeline.Blocked {
				out = append(out, ev{Name: "loop blocked", Cat: "blocked", Ph: "X", Ts: us(m.At), Dur: us(m.Dur), Pid: 1, Tid: tid, Args: args})
				continue
			}
			out = append(out, ev{Name: name, Cat: string(m.Kind), Ph: "i", S: "t", Ts: us(m.At), Pid: 1, Tid: tid, Args: args})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Ph == "M" && out[j].Ph != "M" })
	enc := json.NewEncoder(w)
	return enc.Encode(map[string]any{"traceEvents": out, "displayTimeUnit": "ms"})
}

// serveHTML serves page at http://127.0.0.1:PORT/ until ctx ends, printing
// the address.
func serveHTML(ctx context.Context, page []byte, stdout io.Writer) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(page)
	})}
	fmt.Fprintf(stdout, "serving the trace on http://%s/ (only on this machine; Ctrl-C stops)\n", ln.Addr())
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		srv.Shutdown(shut)
	}()
	if err := srv.Serve(ln); err != nil && err != http.ErrServerClosed {
		return err
	}
	return nil
}

// usedAsyncio reports whether any asyncio task was traced.
func usedAsyncio(tl *timeline.Timeline) bool {
	for _, e := range tl.Events() {
		if e.Kind == timeline.Spawn && !strings.HasPrefix(e.Lane, "thread: ") {
			return true
		}
	}
	return false
}
