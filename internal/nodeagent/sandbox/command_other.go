//go:build !linux

package sandbox

import (
	"errors"
	"os/exec"
)

var errUnsupported = errors.New("sandbox: pods run as processes on Linux only")

// Command fails: mount and UTS namespaces are Linux features.
func Command(Spec) (*exec.Cmd, error) { return nil, errUnsupported }

// Start fails: see Command.
func Start(*exec.Cmd) error { return errUnsupported }

func setup(Spec) error { return errUnsupported }

func execve(string, []string, []string) error { return errUnsupported }
