package roombus

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
)

// NATS is the bus across instances: requests for a room go to the subject
// asyncplay.room.CODE.req, which only its owner subscribes to, and
// published messages to asyncplay.room.CODE.out, which every instance with
// students in the room subscribes to.
type NATS struct {
	nc *nats.Conn
}

var _ Bus = (*NATS)(nil)

// NewNATS uses nc, which the caller connected and will close.
func NewNATS(nc *nats.Conn) *NATS { return &NATS{nc: nc} }

// Dial connects to the NATS server at url, retrying a dropped connection
// for as long as the process runs.
func Dial(url, name string) (*nats.Conn, error) {
	nc, err := nats.Connect(url, nats.Name(name), nats.MaxReconnects(-1), nats.ReconnectWait(time.Second))
	if err != nil {
		return nil, fmt.Errorf("connect to nats at %s: %w", url, err)
	}
	return nc, nil
}

func reqSubject(code string) string { return "asyncplay.room." + code + ".req" }
func outSubject(code string) string { return "asyncplay.room." + code + ".out" }

// Own implements Bus. A code another instance already answers for is
// refused; two instances picking the same fresh code in the same instant
// (one in 887 million for a six-letter code) is not guarded against.
func (b *NATS) Own(code string, handle func([]byte) []byte) (func(), error) {
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	if _, err := b.nc.RequestWithContext(ctx, reqSubject(code), nil); err == nil {
		return nil, ErrTaken
	}
	sub, err := b.nc.Subscribe(reqSubject(code), func(m *nats.Msg) {
		if len(m.Data) == 0 { // a probe from Own on another instance
			_ = m.Respond([]byte("taken"))
			return
		}
		_ = m.Respond(handle(m.Data))
	})
	if err != nil {
		return nil, fmt.Errorf("own room %s: %w", code, err)
	}
	if err := b.nc.Flush(); err != nil {
		_ = sub.Unsubscribe()
		return nil, fmt.Errorf("own room %s: %w", code, err)
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			_ = sub.Unsubscribe()
			_ = b.nc.Flush() // the NATS server knows before release returns
		})
	}, nil
}

// Request implements Bus.
func (b *NATS) Request(ctx context.Context, code string, req []byte) ([]byte, error) {
	if len(req) == 0 {
		return nil, errors.New("empty request")
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
	}
	m, err := b.nc.RequestWithContext(ctx, reqSubject(code), req)
	if errors.Is(err, nats.ErrNoResponders) {
		return nil, ErrNoRoom
	}
	if err != nil {
		return nil, fmt.Errorf("request room %s: %w", code, err)
	}
	return m.Data, nil
}

// Publish implements Bus.
func (b *NATS) Publish(code string, msg []byte) error {
	if err := b.nc.Publish(outSubject(code), msg); err != nil {
		return fmt.Errorf("publish to room %s: %w", code, err)
	}
	return nil
}

// Subscribe implements Bus. The subscription is in place on the NATS server
// when Subscribe returns.
func (b *NATS) Subscribe(code string, fn func([]byte)) (func(), error) {
	var mu sync.Mutex
	live := true
	sub, err := b.nc.Subscribe(outSubject(code), func(m *nats.Msg) {
		mu.Lock()
		defer mu.Unlock()
		if live {
			fn(m.Data)
		}
	})
	if err != nil {
		return nil, fmt.Errorf("subscribe to room %s: %w", code, err)
	}
	// A slow instance must not make the NATS server cut it off; its own
	// students are dropped instead, so allow a generous backlog.
	_ = sub.SetPendingLimits(64<<10, 256<<20)
	if err := b.nc.Flush(); err != nil {
		_ = sub.Unsubscribe()
		return nil, fmt.Errorf("subscribe to room %s: %w", code, err)
	}
	return func() {
		_ = sub.Unsubscribe()
		mu.Lock()
		live = false
		mu.Unlock()
	}, nil
}
