package pgenv

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// start runs initdb and then postgres in a new temporary folder; stop
// shuts the server down and removes the folder.
func start(logf func(string, ...any)) (s *Server, stop func() error, err error) {
	bin, err := binDir()
	if err != nil {
		return nil, nil, err
	}
	cred, err := credential()
	if err != nil {
		return nil, nil, err
	}
	dir, err := os.MkdirTemp("", "sparkplane-pg-")
	if err != nil {
		return nil, nil, err
	}
	defer func() {
		if err != nil {
			os.RemoveAll(dir)
		}
	}()
	if cred != nil {
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			return nil, nil, fmt.Errorf("hand %s to uid %d: %w", dir, cred.Uid, err)
		}
	}
	data := filepath.Join(dir, "data")
	initdb := exec.Command(filepath.Join(bin, "initdb"), "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync")
	initdb.Dir = dir
	initdb.SysProcAttr = sysProcAttr(cred)
	if out, err := initdb.CombinedOutput(); err != nil {
		return nil, nil, fmt.Errorf("%s: %w\n%s", initdb, err, out)
	}
	// A port found free may be taken before postgres binds it: try again.
	var halt func() error
	for attempt := 1; ; attempt++ {
		s, halt, err = run(bin, dir, cred)
		if err == nil || attempt == 3 {
			break
		}
		logf("pgenv: attempt %d: %v", attempt, err)
	}
	if err != nil {
		return nil, nil, err
	}
	logf("pgenv: PostgreSQL (%s) serving %s", bin, s.URL)
	return s, func() error {
		return errors.Join(halt(), os.RemoveAll(dir))
	}, nil
}

// run starts postgres on a free port and waits until it takes connections.
func run(bin, dir string, cred *syscall.Credential) (*Server, func() error, error) {
	port, err := freePort()
	if err != nil {
		return nil, nil, err
	}
	logPath := filepath.Join(dir, "postgres.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, nil, err
	}
	defer logFile.Close()
	cmd := exec.Command(filepath.Join(bin, "postgres"), "-D", filepath.Join(dir, "data"), "-p", strconv.Itoa(port),
		"-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories="+dir,
		"-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
		"-c", "max_connections=300", "-c", "shared_buffers=256MB")
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = sysProcAttr(cred)
	if err := cmd.Start(); err != nil {
		return nil, nil, fmt.Errorf("start postgres: %w", err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	stop := func() error {
		_ = cmd.Process.Signal(syscall.SIGINT) // fast shutdown
		select {
		case <-exited:
			return nil
		case <-time.After(15 * time.Second):
		}
		_ = cmd.Process.Kill()
		<-exited
		return fmt.Errorf("postgres did not stop within 15 s of SIGINT; killed")
	}
	s := &Server{URL: fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port), Dir: dir}
	deadline := time.Now().Add(60 * time.Second)
	for {
		select {
		case <-exited:
			return nil, nil, fmt.Errorf("postgres exited while starting:\n%s", tail(logPath))
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		err := ping(ctx, s.URL)
		cancel()
		if err == nil {
			return s, stop, nil
		}
		if time.Now().After(deadline) {
			stop()
			return nil, nil, fmt.Errorf("postgres does not take connections after 60 s (%v):\n%s", err, tail(logPath))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// credential is the user to run PostgreSQL as: nil (the current user)
// unless running as root, then postgres, else nobody.
func credential() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
		gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
		if err1 == nil && err2 == nil {
			return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
		}
	}
	return nil, errNoUser
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// tail returns the end of a log file, for error messages.
func tail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(bytes.TrimSpace(b))
}
