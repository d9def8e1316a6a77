// Package logship ships the stdout and stderr of a job run's containers
// (the job runner, the Spark driver and every executor) to where the run's
// monitoringConfiguration sends them, while the run runs and when each
// container ends.
//
// A stream is cut into pieces. Without containerLogRotationConfiguration a
// stream is one piece, put again as it grows (every Interval) and once more,
// complete, when the container ends. With it, a piece is complete once it
// holds rotationSize bytes (cut after the last line break of its second
// half, if any): it is put once, Rotated, and the stream goes on in the next
// piece. Cutting depends only on the bytes of the stream, so a server that
// reads a log again from its start (after a restart) puts the same pieces
// under the same names.
//
// A Destination stores pieces: S3 (NewS3, the layout EMR on EKS uses; see
// layout.go) here, CloudWatch Logs beside it. Reader reads what S3 holds of
// a run back, so any server can serve any run's logs.
package logship

import (
	"context"
	"time"
)

// Streams of a container.
const (
	Stdout = "stdout"
	Stderr = "stderr"
)

// Roles of a run's containers.
const (
	RoleJobRunner = "job-runner" // spark-submit (EMR's job.submitter)
	RoleDriver    = "driver"
	RoleExecutor  = "executor"
)

// Container names one container of a run whose logs are shipped.
type Container struct {
	VirtualClusterID string
	JobRunID         string
	// Role is RoleJobRunner, RoleDriver or RoleExecutor.
	Role string
	// AppID is the Spark application id of a driver or executor ("" for
	// the job runner).
	AppID string
	// Pod is the pod's name (a local run: the name its driver pod would
	// have on Kubernetes).
	Pod string
	// Started is when the container started; its UTC date names rotated
	// pieces.
	Started time.Time
}

// Piece is one part of a container's stream.
type Piece struct {
	Container Container
	// Stream is Stdout or Stderr.
	Stream string
	// Index is the piece's position in the stream, from 0.
	Index int
	// Data is the piece from its first byte, uncompressed.
	Data []byte
	// Rotated: the piece is complete and the stream goes on in piece
	// Index+1. Otherwise it is the stream's current piece, which is put
	// again, longer, until Final.
	Rotated bool
	// Final: the container ended; Data is the stream's complete last piece.
	Final bool
}

// Destination stores the pieces of a run's container logs. The pieces of
// one stream are put one at a time, in order; a piece that is not Rotated
// may be put several times, each Data extending the previous one (an
// appending destination sends Data beyond what it sent before). Put must
// be idempotent: after a restart the same pieces are put again.
type Destination interface {
	Put(ctx context.Context, p Piece) error
}
