// Package awscreds loads the AWS credentials sparkplane signs its own
// requests to AWS services with (S3, CloudWatch Logs) from one named
// shared credentials file: never from the environment, ~/.aws or instance
// metadata, so what a run's requests may do is exactly what its execution
// role's file allows.
package awscreds

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// FromFile returns the static keys of profile ("": default) in the AWS
// shared credentials file at path; an error says why they cannot be used
// (unreadable file, no such profile, no static keys). Secrets are never in
// the error.
func FromFile(ctx context.Context, path, profile string) (aws.CredentialsProvider, error) {
	if profile == "" {
		profile = "default"
	}
	// The SDK skips files it cannot read: say why here instead.
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("credentials file: %w", err)
	}
	f.Close()
	sc, err := awsconfig.LoadSharedConfigProfile(ctx, profile, func(o *awsconfig.LoadSharedConfigOptions) {
		o.CredentialsFiles = []string{path}
		o.ConfigFiles = []string{} // not nil: nil means ~/.aws/config
	})
	if err != nil {
		return nil, fmt.Errorf("credentials file %s: %w", path, err)
	}
	c := sc.Credentials
	if !c.HasKeys() {
		return nil, fmt.Errorf("credentials file %s: profile %s has no aws_access_key_id and aws_secret_access_key", path, profile)
	}
	return credentials.NewStaticCredentialsProvider(c.AccessKeyID, c.SecretAccessKey, c.SessionToken), nil
}
