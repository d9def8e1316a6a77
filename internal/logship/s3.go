package logship

import (
	"bytes"
	"compress/gzip"
	"context"
)

// ObjectWriter is the object storage a destination writes to
// (*objectstore.Client, with the run's execution role's credentials).
type ObjectWriter interface {
	Put(ctx context.Context, bucket, key string, data []byte, contentType string) error
	Delete(ctx context.Context, bucket, key string) error
}

// S3 is the Destination of s3MonitoringConfiguration: each piece gzipped
// under the run's logUri, in EMR's layout (layout.go). Of the rotated
// pieces of a stream it keeps the last Rotation.Keep-1 (the current piece
// is the Keep-th file), deleting older ones as newer ones are put.
type S3 struct {
	store          ObjectWriter
	bucket, prefix string
	keep           int
}

var _ Destination = (*S3)(nil)

// NewS3 ships the logs of run (virtualClusterID, jobRunID) under logURI.
func NewS3(store ObjectWriter, logURI, virtualClusterID, jobRunID string, rot Rotation) (*S3, error) {
	bucket, prefix, err := runPrefix(logURI, virtualClusterID, jobRunID)
	if err != nil {
		return nil, err
	}
	return &S3{store: store, bucket: bucket, prefix: prefix, keep: rot.Keep}, nil
}

// Put implements Destination.
func (d *S3) Put(ctx context.Context, p Piece) error {
	dir := d.prefix + containerDir(p.Container)
	if p.Rotated && d.keep <= 1 {
		return nil // only the current piece is kept
	}
	data, err := gzipped(p.Data)
	if err != nil {
		return err
	}
	if err := d.store.Put(ctx, d.bucket, dir+objectName(p), data, "application/x-gzip"); err != nil {
		return err
	}
	if old := p.Index - (d.keep - 1); p.Rotated && old >= 0 {
		return d.store.Delete(ctx, d.bucket, dir+rotatedName(p.Container, p.Stream, old))
	}
	return nil
}

func gzipped(data []byte) ([]byte, error) {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	if _, err := w.Write(data); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
