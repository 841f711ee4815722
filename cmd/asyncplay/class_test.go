package main

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/asyncplay/asyncplay/server/roombus"
	"github.com/asyncplay/asyncplay/server/roombus/natstest"
)

func TestServeNATSUnreachable(t *testing.T) {
	err := run(context.Background(), []string{"--addr", "127.0.0.1:0", "--nats", "nats://127.0.0.1:1"}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "--nats") {
		t.Errorf("serve with an unreachable NATS = %v; want an error naming --nats", err)
	}
}

// TestServeWithNATS starts a class on a server that keeps its rooms on NATS.
func TestServeWithNATS(t *testing.T) {
	natsURL := natstest.Start(t)
	url, stop := startServe(t, "--nats", natsURL, "--class-capacity", "40")
	base := strings.TrimSuffix(url, "/")
	req, _ := http.NewRequest(http.MethodPost, base+"/en/class", nil)
	req.Header.Set("Origin", base)
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/class/") {
		t.Fatalf("start a class = %d to %q; want 303 to /class/CODE/teach", resp.StatusCode, loc)
	}
	// The room is on the bus: another connection to NATS reaches its owner.
	nc, err := roombus.Dial(natsURL, "probe")
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	code := strings.TrimSuffix(strings.TrimPrefix(loc, "/class/"), "/teach")
	if _, err := roombus.NewNATS(nc).Request(context.Background(), code, []byte(`{"op":"info"}`)); err != nil {
		t.Errorf("asking the class's owner over NATS: %v; want an answer", err)
	}
	page, err := http.Get(base + strings.TrimSuffix(loc, "/teach"))
	if err != nil {
		t.Fatal(err)
	}
	page.Body.Close()
	if page.StatusCode != 200 {
		t.Errorf("student page = %d; want 200", page.StatusCode)
	}
	if err := stop(); err != nil {
		t.Errorf("run after shutdown = %v", err)
	}
}
