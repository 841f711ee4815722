// Package httpclient is lesson 17's scenario: many GET requests to a local
// test server through one shared client, whose pool of keep-alive
// connections is capped and reused.
package httpclient

import (
	"context"
	"embed"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asyncplay/asyncplay/scenarios/scenario"
	"github.com/asyncplay/asyncplay/scenarios/timeline"
)

//go:embed httpclient.go httpclient.py
var files embed.FS

// Scenario runs fetchAll in Go, over loopback TCP, and httpclient.py in
// CPython.
var Scenario = newScenario(loopback)

// gap is how long after one request the next is made. Goroutines started
// together would race each other into the pool; a little apart, they queue
// in the order they were made, as asyncio's tasks do.
const gap = 40 * time.Millisecond

// newScenario builds the scenario with its test server listening on what
// listen makes: loopback TCP for visitors' runs, in-memory pipes in the
// tests, where real sockets would not let synctest's fake clock advance.
func newScenario(listen listenFunc) scenario.Scenario {
	return scenario.Scenario{
		ID: "httpclient",
		Params: []scenario.Param{
			{Name: "requests", Kind: scenario.Int, Min: 1, Max: 50, Default: "10"},
			{Name: "connections", Kind: scenario.Int, Min: 1, Max: 10, Default: "3"},
			{Name: "latency", Kind: scenario.Int, Min: 20, Max: 2000, Default: "300"},
		},
		Files:  files,
		Python: "httpclient.py",
		PythonSet: func(v scenario.Values) map[string]any {
			return map[string]any{
				"REQUESTS":    v.Int("requests"),
				"CONNECTIONS": v.Int("connections"),
				"LATENCY":     latency(v).Seconds(),
				"GAP":         gap.Seconds(),
			}
		},
		GoFile:  "httpclient.go",
		GoShow:  "client",
		HeldCap: "connections",
		Go: func(ctx context.Context, run *timeline.Recorder, v scenario.Values) error {
			return fetchAll(ctx, run, listen, v.Int("requests"), v.Int("connections"), latency(v))
		},
		// The Python side talks over real sockets, so it runs on the real
		// clock (the tracer's virtual clock never jumps while a socket is
		// open): these sets keep the server quick, and every request is
		// made before the first answer comes back.
		Sets: []scenario.Set{
			{Name: "default"},
			{Name: "one-connection", Query: url.Values{"requests": {"5"}, "connections": {"1"}, "latency": {"90"}}},
			{Name: "more-connections-than-requests", Query: url.Values{"requests": {"4"}, "connections": {"6"}, "latency": {"150"}}},
			{Name: "twelve-on-four", Query: url.Values{"requests": {"12"}, "connections": {"4"}, "latency": {"170"}}},
		},
		Compare: scenario.Compare{
			// Every lane matches on what it prints, its timer sleeps and
			// when it ends: which connection each request got, new or
			// reused, what the server answered, and when. The waits are not
			// compared: asyncio reports a socket read as a wait on a
			// future and its pool's cap as a semaphore, while Go's
			// transport waits out of sight (the lanes report "connection"
			// from its httptrace hooks).
			//
			// The tolerance is wider than the usual 15 ms because the
			// Python side runs in real time: its loop's small delays on
			// every exchange, and a busy machine's, add up along the
			// requests that share a connection.
			Kinds:     []timeline.Kind{timeline.Log, timeline.Sleep, timeline.Done},
			Tolerance: 50 * time.Millisecond,
			Check:     check,
		},
	}
}

// latency is how long the server takes to answer.
func latency(v scenario.Values) time.Duration {
	return time.Duration(v.Int("latency")) * time.Millisecond
}

// show client
// fetchAll starts the test server and sends it requests GET requests
// through one shared client. The client's transport keeps at most conns
// connections to the server: a request takes an idle one, opens a new one
// while under the limit, or waits for one to come back.
func fetchAll(ctx context.Context, run *timeline.Recorder, listen listenFunc, requests, conns int, latency time.Duration) error {
	main := run.Lane("main", "fetchAll")
	srv, err := startServer(run, listen, latency) // loopback TCP; in-memory pipes under test
	if err != nil {
		main.Fail(err)
		return err
	}
	var opened atomic.Int64
	client := &http.Client{Transport: &http.Transport{
		MaxConnsPerHost:     conns, // at most conns connections; other requests wait
		MaxIdleConnsPerHost: conns, // keep them all open between requests (the default keeps 2)
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := srv.dial(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return numbered{c, int(opened.Add(1))}, nil
		},
	}}
	var wg sync.WaitGroup
	for n := 1; n <= requests; n++ {
		req := run.Lane(fmt.Sprintf("request %d", n), "get")
		wg.Go(func() { req.End(get(ctx, client, srv.url, n, req)) })
		if main.Sleep(ctx, gap) != nil {
			break
		}
	}
	main.Wait("waitgroup")
	wg.Wait()
	main.Wake()
	client.CloseIdleConnections() // hang up: the server sees each connection close
	srv.Close()
	main.End(ctx.Err())
	return ctx.Err()
}

// numbered is a connection with the number it was opened as.
type numbered struct {
	net.Conn
	n int
}

// get sends GET /item/n and reads the answer to the end, which hands the
// connection back to the pool for the next request.
func get(ctx context.Context, client *http.Client, base string, n int, req *timeline.Lane) error {
	trace := &httptrace.ClientTrace{
		GetConn: func(string) { req.Wait("connection") },
		GotConn: func(info httptrace.GotConnInfo) {
			req.Wake()
			req.Acquire("connection")
			how := "new"
			if info.Reused {
				how = "reused"
			}
			req.Log("request %d: connection %d, %s", n, info.Conn.(numbered).n, how)
			req.Wait("response") // on the network until the answer comes
		},
	}
	r, err := http.NewRequestWithContext(httptrace.WithClientTrace(ctx, trace), http.MethodGet, fmt.Sprintf("%s/item/%d", base, n), nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(r)
	if err != nil {
		return err
	}
	req.Wake()
	defer resp.Body.Close()
	req.Release("connection") // reading the body to its end hands the connection back
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	req.Log("request %d: %d %s", n, resp.StatusCode, body)
	return nil
}

// end
