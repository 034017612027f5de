package serve

import (
	"net"
	"strings"
)

// LoopbackHost reports whether a Host header names this machine's loopback:
// localhost (or a name under .localhost), 127.0.0.0/8 or [::1], with or without a
// port. A server listening on loopback only answers its admin API to such names
// alone: a page that rebinds its own name to 127.0.0.1 is same-origin with the
// server, but its requests still name its own host (DNS rebinding).
func LoopbackHost(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.Trim(host, "[]"), ".")
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// ListensOnLoopback reports whether addr (HOST:PORT) is a loopback address only.
func ListensOnLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	return err == nil && host != "" && LoopbackHost(host)
}
