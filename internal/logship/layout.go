package logship

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/sparkplane/sparkplane/internal/objectstore"
)

// The S3 layout, EMR on EKS's (s3MonitoringConfiguration.logUri):
//
//	<logUri>/<virtualClusterId>/jobs/<jobRunId>/control-logs/<jobRunnerPod>/{stdout,stderr}.gz
//	<logUri>/<virtualClusterId>/jobs/<jobRunId>/containers/<sparkAppId>/<pod>/{stdout,stderr}.gz
//
// the first for the job runner, the second for the driver and every
// executor. With containerLogRotationConfiguration, <stream>.gz is the
// current (last) piece and each rotated piece that is kept is
// <stream>_<YYYYMMDD>_<index>.gz, as EMR names rotated files: YYYYMMDD is
// the UTC date the container started and index the piece's position in the
// stream, from 0 (both fixed by the log itself, so a piece keeps its name
// whenever it is put).
const (
	dirControlLogs = "control-logs"
	dirContainers  = "containers"
	gzExt          = ".gz"
)

// runPrefix splits logURI and returns its bucket and the key prefix of a
// run's logs, which ends with "/".
func runPrefix(logURI, virtualClusterID, jobRunID string) (bucket, prefix string, err error) {
	if !objectstore.IsS3(logURI) {
		return "", "", fmt.Errorf("logUri %q is not an s3:// URI", logURI)
	}
	_, rest, _ := strings.Cut(logURI, "://")
	bucket, key, _ := strings.Cut(rest, "/")
	if bucket == "" {
		return "", "", fmt.Errorf("logUri %q names no bucket", logURI)
	}
	key = strings.Trim(key, "/")
	if key != "" {
		key += "/"
	}
	return bucket, key + virtualClusterID + "/jobs/" + jobRunID + "/", nil
}

// containerDir is the folder of a container's logs under the run's prefix.
func containerDir(c Container) string {
	if c.Role == RoleJobRunner {
		return dirControlLogs + "/" + c.Pod + "/"
	}
	return dirContainers + "/" + c.AppID + "/" + c.Pod + "/"
}

// objectName is the name of a piece in its container's folder.
func objectName(p Piece) string {
	if !p.Rotated {
		return p.Stream + gzExt
	}
	return rotatedName(p.Container, p.Stream, p.Index)
}

func rotatedName(c Container, stream string, index int) string {
	return stream + "_" + c.Started.UTC().Format("20060102") + "_" + strconv.Itoa(index) + gzExt
}

// parseName reads an object name of a container's folder: its stream and,
// for a rotated piece, its index (-1 for the current piece).
func parseName(name string) (stream string, index int, ok bool) {
	base, found := strings.CutSuffix(name, gzExt)
	if !found {
		return "", 0, false
	}
	if base == Stdout || base == Stderr {
		return base, -1, true
	}
	parts := strings.Split(base, "_")
	if len(parts) != 3 || (parts[0] != Stdout && parts[0] != Stderr) || len(parts[1]) != 8 {
		return "", 0, false
	}
	i, err := strconv.Atoi(parts[2])
	if err != nil || i < 0 {
		return "", 0, false
	}
	return parts[0], i, true
}
