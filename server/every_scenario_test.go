package server

import (
	"context"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// TestEveryScenarioRunsLive runs every scenario of every lesson with its
// default parameters the way a visitor does (real clock, over the run
// WebSocket), a few at a time, and checks both runtimes finish with lanes.
func TestEveryScenarioRunsLive(t *testing.T) {
	py := requirePython(t)
	s := newServer(t, py)
	s.queue = newRunQueue(3, 100)
	s.cfg.SocketsPerIP = 100
	ts := httptest.NewServer(s)
	defer ts.Close()
	var wg sync.WaitGroup
	sem := make(chan struct{}, 3)
	for _, l := range s.catalog.Lessons {
		for _, id := range l.Scenarios {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
				defer cancel()
				c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(ts.URL, "http")+"/ws/run/en/"+l.Slug+"/"+id, nil)
				if err != nil {
					t.Errorf("%s/%s: %v", l.Slug, id, err)
					return
				}
				defer c.CloseNow()
				c.SetReadLimit(16 << 20)
				var last string
				for {
					_, b, err := c.Read(ctx)
					if err != nil {
						if websocket.CloseStatus(err) != websocket.StatusNormalClosure {
							t.Errorf("%s/%s: closed with %v", l.Slug, id, err)
						}
						break
					}
					last = string(b)
				}
				for _, rt := range []string{"python", "go"} {
					sec := section(last, rt)
					if !strings.Contains(sec, `data-status="finished"`) || !strings.Contains(sec, `<g class="lane"`) {
						end := min(len(sec), 600)
						t.Errorf("%s/%s: %s did not finish with lanes:\n%s", l.Slug, id, rt, sec[:end])
					}
				}
			}()
		}
	}
	wg.Wait()
}
