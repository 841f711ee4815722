// Package wsconn is the WebSocket library as the load tools see it:
// cmd/asyncplay-bench and cmd/asyncplay-load dial sockets through it, and
// the bench's bare baseline servers accept them through it. Only packages
// under server/ import the WebSocket library (github.com/coder/websocket)
// or Echo; this package is a thin facade that keeps the tools to that
// rule, so swapping the library stays a change to server/ alone.
//
// It offers what the tools use and no more, and adds nothing of its own:
// each call is the library's, with the library's defaults (e.g. a 32 KiB
// read limit until SetReadLimit).
package wsconn

import (
	"context"
	"io"
	"net/http"

	"github.com/coder/websocket"
)

// Library names the WebSocket library behind this package, for the
// bench's labels ("a bare ... server").
const Library = "coder/websocket"

// StatusCode is a WebSocket close status code (RFC 6455, section 7.4).
type StatusCode int

// StatusNormalClosure is the close code of a socket closed because its
// work is done.
const StatusNormalClosure = StatusCode(websocket.StatusNormalClosure)

// String names the code as the library does, e.g. "StatusNormalClosure".
func (c StatusCode) String() string { return websocket.StatusCode(c).String() }

// CloseStatus is the code of the close frame that err carries (one the
// peer sent, or one this end sent on refusing a message), or -1 when err
// is nil or carries none.
func CloseStatus(err error) StatusCode { return StatusCode(websocket.CloseStatus(err)) }

// Conn is one WebSocket. It is the library's connection under another
// name, so wrapping it costs no allocation: the bench's baseline servers
// stay bare.
type Conn websocket.Conn

func (c *Conn) ws() *websocket.Conn { return (*websocket.Conn)(c) }

// Dial opens a WebSocket to url (ws:// or wss://) with header added to
// the handshake request, through client (http.DefaultClient when nil).
// ctx bounds the handshake only. When the server refuses the handshake,
// the response (if any) is returned with the error.
func Dial(ctx context.Context, url string, header http.Header, client *http.Client) (*Conn, *http.Response, error) {
	c, resp, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPHeader: header, HTTPClient: client})
	return (*Conn)(c), resp, err
}

// Accept upgrades the request to a WebSocket from any origin: the
// library's Accept with InsecureSkipVerify and nothing else, for the
// bench's bare baseline servers. On failure it has already answered the
// request.
func Accept(w http.ResponseWriter, r *http.Request) (*Conn, error) {
	c, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: true})
	return (*Conn)(c), err
}

// Read reads the next message whole (text or binary), answering pings
// while it waits.
func (c *Conn) Read(ctx context.Context) ([]byte, error) {
	_, b, err := c.ws().Read(ctx)
	return b, err
}

// Reader returns a reader of the next message, for reading it into a
// buffer of one's own. It must be read to its end before the next call.
func (c *Conn) Reader(ctx context.Context) (io.Reader, error) {
	_, r, err := c.ws().Reader(ctx)
	return r, err
}

// Write sends p as one text message.
func (c *Conn) Write(ctx context.Context, p []byte) error {
	return c.ws().Write(ctx, websocket.MessageText, p)
}

// SetReadLimit sets the largest message (in bytes) a read accepts; a
// larger one fails the read and closes the socket with status 1009
// (message too big). The default is 32 KiB.
func (c *Conn) SetReadLimit(n int64) { c.ws().SetReadLimit(n) }

// CloseRead is for a socket that only writes: it starts a goroutine that
// reads the peer's control frames (answering pings and closes) and closes
// the socket if a data message arrives. The returned context, derived from
// ctx, is cancelled when the socket ends. No other read may follow.
func (c *Conn) CloseRead(ctx context.Context) context.Context { return c.ws().CloseRead(ctx) }

// Close sends a close frame with code and reason (at most 125 bytes),
// waits up to 5 s for the peer's, then closes the connection. Later
// calls do nothing.
func (c *Conn) Close(code StatusCode, reason string) error {
	return c.ws().Close(websocket.StatusCode(code), reason)
}

// CloseNow closes the connection at once, without a close handshake.
func (c *Conn) CloseNow() error { return c.ws().CloseNow() }
