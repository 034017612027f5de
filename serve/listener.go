package serve

import (
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/contactkit/contactkit"
)

// BusyMessage is the message of the 503 a connection past the cap gets.
const BusyMessage = "The server has too many connections open; try again shortly."

// busyAnswer is the whole HTTP answer a connection past the cap gets, written
// before anything is read from it.
var busyAnswer = func() []byte {
	status := http.StatusServiceUnavailable
	body := contactkit.Envelope(status, contactkit.Word(status), BusyMessage, nil)
	return []byte("HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nConnection: close\r\n" +
		"Retry-After: 1\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + string(body))
}()

// Bounds on refusing: how many refused connections are being answered at once
// (past it, one is closed with no answer), and how long each may take.
const (
	maxRefusing = 64
	refuseTime  = time.Second
)

// limitListener caps open connections. Unlike netutil.LimitListener, which stops
// accepting and leaves new clients waiting in the kernel's queue, it accepts a
// connection past the cap, answers it 503 and closes it: the client learns at once
// that the server is full, and the connections already open go on being served.
type limitListener struct {
	net.Listener
	max      int64
	open     atomic.Int64
	refusing chan struct{} // a token per refusal being written
	logger   *slog.Logger
	// lastWarn is when a refusal was last logged (unix nanoseconds), so a flood
	// writes a line a second, not a line a connection.
	lastWarn atomic.Int64
}

func newLimitListener(ln net.Listener, max int, logger *slog.Logger) *limitListener {
	return &limitListener{Listener: ln, max: int64(max), logger: logger, refusing: make(chan struct{}, maxRefusing)}
}

func (l *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if l.open.Add(1) <= l.max {
			return &limitConn{Conn: c, l: l}, nil
		}
		l.open.Add(-1)
		l.refuse(c)
		now := time.Now().UnixNano()
		if last := l.lastWarn.Load(); now-last > int64(time.Second) && l.lastWarn.CompareAndSwap(last, now) {
			l.logger.Warn("connection refused with a 503: too many open", "max_conns", l.max)
		}
	}
}

// refuse answers c 503 and closes it, in a goroutine of its own so that Accept
// never waits on a client. It half-closes first and reads what the client sent
// until it closes too (or refuseTime passes): closing a socket with unread input
// sends a reset, which can destroy the answer before the client reads it.
func (l *limitListener) refuse(c net.Conn) {
	select {
	case l.refusing <- struct{}{}:
	default:
		_ = c.Close() // a flood: no answer, but no goroutine either
		return
	}
	go func() {
		defer func() { <-l.refusing }()
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(refuseTime))
		if _, err := c.Write(busyAnswer); err != nil {
			return
		}
		if cw, ok := c.(interface{ CloseWrite() error }); ok {
			_ = cw.CloseWrite()
		}
		var buf [512]byte
		for {
			if _, err := c.Read(buf[:]); err != nil {
				return
			}
		}
	}()
}

// limitConn gives its place back when closed, once however often Close is called.
type limitConn struct {
	net.Conn
	l    *limitListener
	once sync.Once
}

func (c *limitConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() { c.l.open.Add(-1) })
	return err
}

// CloseWrite half-closes the connection, as net/http does before closing one
// whose request body it refused: the client then reads the answer rather than a
// reset. Without it here, net/http would find no CloseWrite on the wrapper.
func (c *limitConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}
