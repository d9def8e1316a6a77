package auth

import (
	"net"
	"strings"
)

// LoopbackHost says whether host[:port] (a Host header, an Origin's host)
// names loopback: localhost or a loopback address. What a server without
// credentials, or a loopback-only endpoint, serves is decided by it.
func LoopbackHost(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
