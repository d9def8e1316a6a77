package logship

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"github.com/sparkplane/sparkplane/internal/emr"
)

// Bounds of rotationSize and maxFilesToKeep (the API's).
const (
	MinRotationSize = 2 << 10
	MaxRotationSize = 2 << 30
	MaxFilesToKeep  = 50
)

// Rotation is a run's containerLogRotationConfiguration: each stream is
// cut into pieces of Size bytes, of which the last Keep (the current one
// included) are kept. The zero Rotation keeps each stream whole.
type Rotation struct {
	Size int64
	Keep int
}

// RotationOf returns the rotation a run's monitoringConfiguration asks
// for; the zero Rotation when it asks for none. A size outside 2KB..2GB
// is brought to the nearest bound and maxFilesToKeep to 1..50.
func RotationOf(run *emr.JobRun) (Rotation, error) {
	co := run.ConfigurationOverrides
	if co == nil || co.MonitoringConfiguration == nil || co.MonitoringConfiguration.ContainerLogRotationConfiguration == nil {
		return Rotation{}, nil
	}
	c := co.MonitoringConfiguration.ContainerLogRotationConfiguration
	size, err := ParseSize(c.RotationSize)
	if err != nil {
		return Rotation{}, err
	}
	return Rotation{Size: min(max(size, MinRotationSize), MaxRotationSize), Keep: min(max(c.MaxFilesToKeep, 1), MaxFilesToKeep)}, nil
}

// ParseSize reads a rotationSize: a number and K, M or G, with an
// optional B or b (1KB = 1024 bytes); a fraction is rounded down to a byte.
func ParseSize(s string) (int64, error) {
	t := strings.TrimSuffix(strings.TrimSuffix(s, "B"), "b")
	if t == "" {
		return 0, fmt.Errorf("rotationSize %q: want a size such as 10MB", s)
	}
	var unit float64
	switch t[len(t)-1] {
	case 'K':
		unit = 1 << 10
	case 'M':
		unit = 1 << 20
	case 'G':
		unit = 1 << 30
	default:
		return 0, fmt.Errorf("rotationSize %q: want a size such as 10MB", s)
	}
	n, err := strconv.ParseFloat(t[:len(t)-1], 64)
	if err != nil || n < 0 || strings.ContainsAny(t[:len(t)-1], "eE+-") {
		return 0, fmt.Errorf("rotationSize %q: want a size such as 10MB", s)
	}
	return int64(n * unit), nil
}

// cut returns the length of the piece that starts with data, or 0 while
// data does not complete a piece of size bytes followed by more. A piece
// ends after the last line break of its second half, else at size bytes;
// where depends on its first size bytes only.
func cut(data []byte, size int64) int {
	if size <= 0 || int64(len(data)) < size {
		return 0
	}
	n := int(size)
	if i := bytes.LastIndexByte(data[:size], '\n'); i >= 0 && int64(i+1) > size/2 {
		n = i + 1
	}
	if n == len(data) {
		return 0 // nothing after it yet: still the current piece
	}
	return n
}
