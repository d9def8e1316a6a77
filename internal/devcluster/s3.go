package devcluster

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/sparkplane/sparkplane/internal/config"
	"github.com/sparkplane/sparkplane/internal/s3server"
)

// startS3 starts the cluster's S3 server (versitygw on the layout's s3/
// folder) on o.S3Address with the bucket o.S3Bucket ready. Its root
// account is made on the first start and kept in the layout's credentials
// file (0600), so objects and credentials outlive restarts.
func startS3(ctx context.Context, o Options) (*s3server.Server, *S3State, error) {
	path := o.Layout.S3CredentialsFile()
	creds, err := s3server.ReadCredentialsFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		creds = s3server.NewCredentials("SPARKPLANE")
		err = s3server.WriteCredentialsFile(path, creds)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("the S3 server's credentials: %w", err)
	}
	log, err := os.OpenFile(o.Layout.S3LogFile(), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, nil, err
	}
	defer log.Close() // the server has its own copy
	srv, err := s3server.Start(ctx, s3server.Options{Dir: o.Layout.S3Dir(), Address: o.S3Address, Root: creds,
		Region: config.DevS3Region, Output: log})
	if err != nil {
		return nil, nil, fmt.Errorf("%w (its output: %s)", err, o.Layout.S3LogFile())
	}
	if err := srv.CreateBucket(ctx, o.S3Bucket, ""); err != nil {
		_ = srv.Stop()
		return nil, nil, err
	}
	return srv, &S3State{Endpoint: srv.Endpoint, Region: srv.Region, PathStyle: true, Bucket: o.S3Bucket,
		AccessKeyID: creds.AccessKeyID, CredentialsFile: path}, nil
}
