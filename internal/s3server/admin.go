package s3server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// account is versitygw's auth.Account as its admin API reads it.
type account struct {
	XMLName xml.Name `xml:"Account"`
	Access  string
	Secret  string
	Role    string
}

// AddUser adds an account of role "user": it sees only the buckets it
// owns (see CreateBucket). Adding an account that exists fails.
func (s *Server) AddUser(ctx context.Context, c Credentials) error {
	body, err := xml.Marshal(account{Access: c.AccessKeyID, Secret: c.SecretAccessKey, Role: "user"})
	if err != nil {
		return err
	}
	if err := s.admin(ctx, "/create-user", nil, body); err != nil {
		return fmt.Errorf("s3server: add user %s: %w", c.AccessKeyID, err)
	}
	return nil
}

// CreateBucket creates the bucket name owned by the account whose access
// key is owner ("": the root account). A bucket that already exists with
// that owner is no error.
func (s *Server) CreateBucket(ctx context.Context, name, owner string) error {
	if owner == "" {
		owner = s.Root.AccessKeyID
	}
	err := s.admin(ctx, "/"+url.PathEscape(name)+"/create", map[string]string{"x-vgw-owner": owner}, nil)
	if err != nil && strings.Contains(err.Error(), "BucketAlreadyOwnedByYou") {
		err = s.admin(ctx, "/change-bucket-owner/?bucket="+url.QueryEscape(name)+"&owner="+url.QueryEscape(owner), nil, nil)
	}
	if err != nil {
		return fmt.Errorf("s3server: create bucket %s: %w", name, err)
	}
	return nil
}

// admin sends one request of versitygw's admin API (PATCH, signed by the
// root account).
func (s *Server) admin(ctx context.Context, path string, headers map[string]string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPatch, s.Endpoint+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	sum := sha256.Sum256(body)
	hash := hex.EncodeToString(sum[:])
	req.Header.Set("X-Amz-Content-Sha256", hash)
	creds := aws.Credentials{AccessKeyID: s.Root.AccessKeyID, SecretAccessKey: s.Root.SecretAccessKey}
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hash, "s3", s.Region, time.Now()); err != nil {
		return err
	}
	client := &http.Client{Timeout: 30 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode >= 300 {
		return fmt.Errorf("%s: %s", resp.Status, bytes.TrimSpace(msg))
	}
	return nil
}
