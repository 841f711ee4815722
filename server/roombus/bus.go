// Package roombus carries classroom traffic between the asyncplay instances
// that serve one room. A room has one owner (the instance where the teacher
// started it), which keeps its state and answers requests; every instance
// with students in the room subscribes to what the owner publishes.
//
// Memory is the bus of a single server; NATS joins several servers behind a
// load balancer. Both carry opaque bytes: the server decides what they mean.
package roombus

import (
	"context"
	"errors"
	"sync"
)

// ErrNoRoom is a request's error when no instance owns the room.
var ErrNoRoom = errors.New("no such room")

// ErrTaken is Own's error when another owner already holds the code.
var ErrTaken = errors.New("room code already in use")

// Bus connects a room's owner with the instances its students are on.
type Bus interface {
	// Own makes this instance the owner of code: handle answers every
	// request sent to it, one at a time, until release is called.
	Own(code string, handle func(req []byte) []byte) (release func(), err error)
	// Request sends req to code's owner and returns its answer.
	Request(ctx context.Context, code string, req []byte) ([]byte, error)
	// Publish sends msg to every subscriber of code on every instance.
	Publish(code string, msg []byte) error
	// Subscribe calls fn with each message published for code, in the
	// order published, until cancel is called. fn must not block.
	Subscribe(code string, fn func(msg []byte)) (cancel func(), err error)
}

// Memory is the bus inside one process. Its zero value is ready to use.
type Memory struct {
	mu     sync.Mutex
	owners map[string]*owner
	subs   map[string]map[*memSub]struct{}
}

var _ Bus = (*Memory)(nil)

type owner struct {
	mu     sync.Mutex // one request at a time, as on NATS
	handle func([]byte) []byte
}

type memSub struct {
	mu sync.Mutex // keeps each subscriber's messages in order
	fn func([]byte)
}

// Own implements Bus.
func (m *Memory) Own(code string, handle func([]byte) []byte) (func(), error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.owners == nil {
		m.owners = map[string]*owner{}
	}
	if _, ok := m.owners[code]; ok {
		return nil, ErrTaken
	}
	o := &owner{handle: handle}
	m.owners[code] = o
	var once sync.Once
	return func() {
		once.Do(func() {
			m.mu.Lock()
			defer m.mu.Unlock()
			if m.owners[code] == o {
				delete(m.owners, code)
			}
		})
	}, nil
}

// Request implements Bus.
func (m *Memory) Request(ctx context.Context, code string, req []byte) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	o := m.owners[code]
	m.mu.Unlock()
	if o == nil {
		return nil, ErrNoRoom
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.handle(req), nil
}

// Publish implements Bus.
func (m *Memory) Publish(code string, msg []byte) error {
	m.mu.Lock()
	subs := make([]*memSub, 0, len(m.subs[code]))
	for s := range m.subs[code] {
		subs = append(subs, s)
	}
	m.mu.Unlock()
	for _, s := range subs {
		s.mu.Lock()
		if s.fn != nil {
			s.fn(msg)
		}
		s.mu.Unlock()
	}
	return nil
}

// Subscribe implements Bus.
func (m *Memory) Subscribe(code string, fn func([]byte)) (func(), error) {
	s := &memSub{fn: fn}
	m.mu.Lock()
	if m.subs == nil {
		m.subs = map[string]map[*memSub]struct{}{}
	}
	if m.subs[code] == nil {
		m.subs[code] = map[*memSub]struct{}{}
	}
	m.subs[code][s] = struct{}{}
	m.mu.Unlock()
	return func() {
		m.mu.Lock()
		delete(m.subs[code], s)
		if len(m.subs[code]) == 0 {
			delete(m.subs, code)
		}
		m.mu.Unlock()
		s.mu.Lock()
		s.fn = nil // no call after cancel returns
		s.mu.Unlock()
	}, nil
}
