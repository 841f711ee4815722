package httpclient

import (
	"context"
	"net"
	"sync"
)

// piped is Scenario with its test server on in-memory pipes: inside a
// synctest bubble a goroutine blocked on a real socket does not count as
// durably blocked, so the fake clock would never move.
var piped = newScenario(pipes)

// pipes is a listenFunc whose listener accepts the server ends of
// net.Pipe connections made by its dial function.
func pipes() (net.Listener, dialFunc, error) {
	l := &pipeListener{conns: make(chan net.Conn), closed: make(chan struct{})}
	return l, l.dial, nil
}

type pipeListener struct {
	conns  chan net.Conn
	closed chan struct{}
	once   sync.Once
}

func (l *pipeListener) dial(ctx context.Context, _, _ string) (net.Conn, error) {
	client, server := net.Pipe()
	select {
	case l.conns <- server:
		return client, nil
	case <-l.closed:
		client.Close()
		server.Close()
		return nil, net.ErrClosed
	case <-ctx.Done():
		client.Close()
		server.Close()
		return nil, ctx.Err()
	}
}

func (l *pipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.closed:
		return nil, net.ErrClosed
	}
}

func (l *pipeListener) Close() error {
	l.once.Do(func() { close(l.closed) })
	return nil
}

func (l *pipeListener) Addr() net.Addr { return pipeAddr{} }

type pipeAddr struct{}

func (pipeAddr) Network() string { return "pipe" }
func (pipeAddr) String() string  { return "pipe" }
