package mock

import (
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// limitListener caps open connections. Unlike netutil.LimitListener, which stops
// accepting and leaves new clients waiting in the kernel's queue, it accepts a
// connection past the cap and closes it at once: the client learns at once that
// the mock is full, and the connections already open go on being served.
type limitListener struct {
	net.Listener
	max    int64
	open   atomic.Int64
	logger *slog.Logger
	// lastWarn is when a refusal was last logged (unix nanoseconds), so a flood
	// writes a line a second, not a line a connection.
	lastWarn atomic.Int64
}

func newLimitListener(ln net.Listener, max int, logger *slog.Logger) *limitListener {
	return &limitListener{Listener: ln, max: int64(max), logger: logger}
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
		_ = c.Close()
		now := time.Now().UnixNano()
		if last := l.lastWarn.Load(); now-last > int64(time.Second) && l.lastWarn.CompareAndSwap(last, now) {
			l.logger.Warn("connection refused: too many open", "max_conns", l.max)
		}
	}
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
