package logship

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/sparkplane/sparkplane/internal/objectstore"
)

// ObjectReader is the object storage a Reader lists and reads
// (*objectstore.Client, with the run's execution role's credentials).
type ObjectReader interface {
	List(ctx context.Context, uri string, limit int) ([]objectstore.Object, error)
	Get(ctx context.Context, bucket, key string, limit int64) ([]byte, error)
}

// ShippedContainer is a container whose logs S3 holds.
type ShippedContainer struct {
	// Role is RoleJobRunner (under control-logs), else RoleDriver for a
	// pod named like a driver (…-driver, …-driver-<n>), else RoleExecutor.
	Role    string
	AppID   string
	Pod     string
	Streams []string
	// Modified is when its newest object was written.
	Modified time.Time

	dir     string
	objects map[string][]piece // by stream
}

type piece struct {
	key   string
	index int // -1: the current piece
}

// Reader reads the logs of one run back from S3.
type Reader struct {
	store          ObjectReader
	bucket, prefix string
}

// NewReader reads the logs of run (virtualClusterID, jobRunID) that were
// shipped under logURI.
func NewReader(store ObjectReader, logURI, virtualClusterID, jobRunID string) (*Reader, error) {
	bucket, prefix, err := runPrefix(logURI, virtualClusterID, jobRunID)
	if err != nil {
		return nil, err
	}
	return &Reader{store: store, bucket: bucket, prefix: prefix}, nil
}

// Containers lists the containers of the run whose logs S3 holds: the job
// runners first, then the drivers, then the executors, each by pod name.
func (r *Reader) Containers(ctx context.Context) ([]*ShippedContainer, error) {
	root := "s3://" + r.bucket + "/"
	objs, err := r.store.List(ctx, root+r.prefix, 0)
	if err != nil {
		return nil, err
	}
	byDir := map[string]*ShippedContainer{}
	for _, o := range objs {
		key := strings.TrimPrefix(o.URI, root)
		rel := strings.TrimPrefix(key, r.prefix)
		parts := strings.Split(rel, "/")
		var c ShippedContainer
		switch {
		case len(parts) == 3 && parts[0] == dirControlLogs:
			c = ShippedContainer{Role: RoleJobRunner, Pod: parts[1]}
		case len(parts) == 4 && parts[0] == dirContainers:
			c = ShippedContainer{Role: podRole(parts[2]), AppID: parts[1], Pod: parts[2]}
		default:
			continue
		}
		stream, index, ok := parseName(parts[len(parts)-1])
		if !ok {
			continue
		}
		dir := strings.Join(parts[:len(parts)-1], "/")
		sc := byDir[dir]
		if sc == nil {
			c.dir, c.objects = dir, map[string][]piece{}
			sc = &c
			byDir[dir] = sc
		}
		if len(sc.objects[stream]) == 0 {
			sc.Streams = append(sc.Streams, stream)
		}
		sc.objects[stream] = append(sc.objects[stream], piece{key: key, index: index})
		if o.Modified.After(sc.Modified) {
			sc.Modified = o.Modified
		}
	}
	out := make([]*ShippedContainer, 0, len(byDir))
	for _, c := range byDir {
		slices.Sort(c.Streams)
		out = append(out, c)
	}
	rank := map[string]int{RoleJobRunner: 0, RoleDriver: 1, RoleExecutor: 2}
	sort.Slice(out, func(i, j int) bool {
		if rank[out[i].Role] != rank[out[j].Role] {
			return rank[out[i].Role] < rank[out[j].Role]
		}
		return out[i].Pod < out[j].Pod
	})
	return out, nil
}

// podRole guesses a Spark pod's role from its name.
func podRole(pod string) string {
	if strings.HasSuffix(pod, "-driver") || strings.Contains(pod, "-driver-") {
		return RoleDriver
	}
	return RoleExecutor
}

// MaxRead bounds what Read returns of one stream, decompressed.
const MaxRead = 256 << 20

// Read returns one stream of a container: its kept rotated pieces in order,
// then its current piece, decompressed. An error wrapping
// ErrNotShipped when S3 holds none of it.
func (r *Reader) Read(ctx context.Context, c *ShippedContainer, stream string) ([]byte, error) {
	pieces := slices.Clone(c.objects[stream])
	if len(pieces) == 0 {
		return nil, fmt.Errorf("%s of %s: %w", stream, c.Pod, ErrNotShipped)
	}
	sort.Slice(pieces, func(i, j int) bool {
		a, b := pieces[i].index, pieces[j].index
		if a < 0 || b < 0 {
			return b < 0 && a >= 0
		}
		return a < b
	})
	var out bytes.Buffer
	for _, p := range pieces {
		gz, err := r.store.Get(ctx, r.bucket, p.key, MaxRead)
		if err != nil {
			return nil, err
		}
		zr, err := gzip.NewReader(bytes.NewReader(gz))
		if err != nil {
			return nil, fmt.Errorf("s3://%s/%s: %w", r.bucket, p.key, err)
		}
		if _, err := io.Copy(&out, io.LimitReader(zr, int64(MaxRead-out.Len()))); err != nil {
			return nil, fmt.Errorf("s3://%s/%s: %w", r.bucket, p.key, err)
		}
	}
	return out.Bytes(), nil
}

// ErrNotShipped says S3 holds no such log.
var ErrNotShipped = fmt.Errorf("not shipped")
