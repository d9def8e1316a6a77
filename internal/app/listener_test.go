package app

import (
	"net"
	"testing"

	"github.com/sparkplane/sparkplane/internal/config"
)

// TestCheckListener: without credentials a server must really listen on
// loopback, whatever address its name ("localhost") resolved to.
func TestCheckListener(t *testing.T) {
	cfg := config.Default()
	cfg.Addr = "localhost:8080"
	if err := checkListener(cfg, nil, &net.TCPAddr{IP: net.ParseIP("127.0.0.1"), Port: 8080}); err != nil {
		t.Errorf("localhost resolved to 127.0.0.1: %v", err)
	}
	if err := checkListener(cfg, nil, &net.TCPAddr{IP: net.ParseIP("::1"), Port: 8080}); err != nil {
		t.Errorf("localhost resolved to ::1: %v", err)
	}
	if err := checkListener(cfg, nil, &net.TCPAddr{IP: net.ParseIP("10.1.2.3"), Port: 8080}); err == nil {
		t.Error("localhost resolved to 10.1.2.3 without credentials: served; want a refusal")
	}
	cfg.Security.InsecureNoAuth = true
	if err := checkListener(cfg, nil, &net.TCPAddr{IP: net.ParseIP("10.1.2.3"), Port: 8080}); err != nil {
		t.Errorf("with --insecure-no-auth: %v", err)
	}
}
