// Package cwlogs sends the logs of job runs to CloudWatch Logs, as
// monitoringConfiguration.cloudWatchMonitoringConfiguration asks, through
// the AWS SDK for Go v2's CloudWatch Logs client. A Client is built
// explicitly from an endpoint, a region and the execution role's shared
// credentials file (see internal/awscreds), never from the environment.
//
// Write appends a piece of a container's log to a log stream, one event a
// line, creating the group and the stream on first use, in batches within
// PutLogEvents' limits.
package cwlogs

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"

	"github.com/sparkplane/sparkplane/internal/awscreds"
)

// Options configure a Client.
type Options struct {
	// Endpoint is the CloudWatch Logs API's URL; empty: AWS's endpoint of
	// Region.
	Endpoint string
	// Region signs requests and names the service's region; required.
	Region string
	// CredentialsFile is an AWS shared credentials file whose Profile
	// profile holds static keys; required (CloudWatch Logs has no
	// anonymous access).
	CredentialsFile string
	// Profile is the profile of CredentialsFile; empty: "default".
	Profile string
}

// Client writes log events.
type Client struct {
	api *cloudwatchlogs.Client
}

// New returns a client; an error means the options cannot be used.
func New(ctx context.Context, opts Options) (*Client, error) {
	if opts.Region == "" {
		return nil, errors.New("cloudwatch logs: no region")
	}
	if opts.CredentialsFile == "" {
		return nil, errors.New("cloudwatch logs: no credentials file for the execution role")
	}
	creds, err := awscreds.FromFile(ctx, opts.CredentialsFile, opts.Profile)
	if err != nil {
		return nil, fmt.Errorf("cloudwatch logs: %w", err)
	}
	o := cloudwatchlogs.Options{Region: opts.Region, Credentials: creds}
	if opts.Endpoint != "" {
		o.BaseEndpoint = aws.String(opts.Endpoint)
	}
	return &Client{api: cloudwatchlogs.New(o)}, nil
}

// Write appends data, one event a line, to the stream of the group,
// creating either when missing. Every event is stamped at (CloudWatch Logs
// keeps a timestamp per event; a container's log lines carry none sparkplane
// can trust). Empty lines are dropped (CloudWatch refuses empty messages),
// invalid UTF-8 is replaced, and lines longer than an event may be are
// split.
func (c *Client) Write(ctx context.Context, group, stream string, data []byte, at time.Time) error {
	batches := Batches(data, at)
	if len(batches) == 0 {
		return nil
	}
	if err := c.ensureStream(ctx, group, stream); err != nil {
		return err
	}
	for _, b := range batches {
		_, err := c.api.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{
			LogGroupName: aws.String(group), LogStreamName: aws.String(stream), LogEvents: b,
		})
		if err != nil {
			return fmt.Errorf("cloudwatch logs: put events to %s/%s: %w", group, stream, err)
		}
	}
	return nil
}

// ensureStream creates the group and the stream unless they exist.
func (c *Client) ensureStream(ctx context.Context, group, stream string) error {
	_, err := c.api.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(group)})
	if err != nil && !exists(err) {
		return fmt.Errorf("cloudwatch logs: create log group %s: %w", group, err)
	}
	_, err = c.api.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{
		LogGroupName: aws.String(group), LogStreamName: aws.String(stream)})
	if err != nil && !exists(err) {
		return fmt.Errorf("cloudwatch logs: create log stream %s/%s: %w", group, stream, err)
	}
	return nil
}

func exists(err error) bool {
	var e *types.ResourceAlreadyExistsException
	return errors.As(err, &e)
}
