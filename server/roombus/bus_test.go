package roombus

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"go.uber.org/goleak"

	"github.com/asyncplay/asyncplay/server/roombus/natstest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func dial(t *testing.T, url string) *nats.Conn {
	t.Helper()
	nc, err := Dial(url, t.Name())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	return nc
}

// buses gives two ends of each kind: for Memory the same bus twice (one
// process), for NATS two connections (two instances).
func buses(t *testing.T) map[string][2]Bus {
	url := natstest.Start(t)
	m := &Memory{}
	return map[string][2]Bus{
		"memory": {m, m},
		"nats":   {NewNATS(dial(t, url)), NewNATS(dial(t, url))},
	}
}

func TestBus(t *testing.T) {
	for name, pair := range buses(t) {
		t.Run(name, func(t *testing.T) {
			a, b := pair[0], pair[1]
			ctx := context.Background()
			if _, err := b.Request(ctx, "NOONE", []byte("hi")); !errors.Is(err, ErrNoRoom) {
				t.Errorf("Request to an unowned room: err = %v; want ErrNoRoom", err)
			}
			release, err := a.Own("ROOM1", func(req []byte) []byte { return append([]byte("re:"), req...) })
			if err != nil {
				t.Fatal(err)
			}
			if _, err := b.Own("ROOM1", func([]byte) []byte { return nil }); !errors.Is(err, ErrTaken) {
				t.Errorf("second Own of ROOM1: err = %v; want ErrTaken", err)
			}
			got, err := b.Request(ctx, "ROOM1", []byte("hi"))
			if err != nil || string(got) != "re:hi" {
				t.Errorf("Request(ROOM1, hi) = %q, %v; want re:hi", got, err)
			}

			// Every subscriber on either end gets every message, in order.
			var mu sync.Mutex
			seen := map[string][]string{}
			done := make(chan struct{}, 2)
			const n = 200
			for _, end := range []struct {
				name string
				bus  Bus
			}{{"a", a}, {"b", b}} {
				cancel, err := end.bus.Subscribe("ROOM1", func(msg []byte) {
					mu.Lock()
					seen[end.name] = append(seen[end.name], string(msg))
					if len(seen[end.name]) == n {
						done <- struct{}{}
					}
					mu.Unlock()
				})
				if err != nil {
					t.Fatal(err)
				}
				defer cancel()
			}
			for i := range n {
				if err := a.Publish("ROOM1", []byte(fmt.Sprint(i))); err != nil {
					t.Fatal(err)
				}
			}
			for range 2 {
				select {
				case <-done:
				case <-time.After(5 * time.Second):
					t.Fatalf("subscribers got %d and %d of %d messages", len(seen["a"]), len(seen["b"]), n)
				}
			}
			mu.Lock()
			for who, msgs := range seen {
				for i, m := range msgs {
					if m != fmt.Sprint(i) {
						t.Fatalf("subscriber %s message %d = %q; want %d (in order)", who, i, m, i)
					}
				}
			}
			mu.Unlock()

			release()
			// On NATS the unsubscribe reaches the server asynchronously.
			deadline := time.Now().Add(2 * time.Second)
			for {
				_, err := b.Request(ctx, "ROOM1", []byte("hi"))
				if errors.Is(err, ErrNoRoom) {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("Request after release: err = %v; want ErrNoRoom", err)
				}
				time.Sleep(20 * time.Millisecond)
			}
		})
	}
}

func TestSubscribeCancelStopsDelivery(t *testing.T) {
	for name, pair := range buses(t) {
		t.Run(name, func(t *testing.T) {
			var mu sync.Mutex
			calls := 0
			cancel, err := pair[1].Subscribe("R2", func([]byte) { mu.Lock(); calls++; mu.Unlock() })
			if err != nil {
				t.Fatal(err)
			}
			cancel()
			for range 10 {
				_ = pair[0].Publish("R2", []byte("x"))
			}
			time.Sleep(100 * time.Millisecond)
			mu.Lock()
			defer mu.Unlock()
			if calls != 0 {
				t.Errorf("a cancelled subscriber was called %d times; want 0", calls)
			}
		})
	}
}
