package s3server

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Credentials are an account's access key pair.
type Credentials struct {
	AccessKeyID     string `json:"accessKeyId"`
	SecretAccessKey string `json:"-"` // never in JSON output or logs
}

// NewCredentials makes a random key pair whose access key starts with
// prefix (upper-case letters and digits, as AWS's).
func NewCredentials(prefix string) Credentials {
	id := make([]byte, 10)
	secret := make([]byte, 30)
	_, _ = rand.Read(id)
	_, _ = rand.Read(secret)
	return Credentials{
		AccessKeyID:     prefix + strings.ToUpper(base32(id)),
		SecretAccessKey: base64.RawStdEncoding.EncodeToString(secret),
	}
}

func base32(b []byte) string {
	const digits = "abcdefghijklmnopqrstuvwxyz234567"
	var sb strings.Builder
	for _, c := range b {
		sb.WriteByte(digits[c%32])
	}
	return sb.String()
}

// WriteCredentialsFile writes c as the [default] profile of an AWS shared
// credentials file at path, readable by its owner only (0600).
func WriteCredentialsFile(path string, c Credentials) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	data := fmt.Sprintf("[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n", c.AccessKeyID, c.SecretAccessKey)
	tmp, err := os.CreateTemp(filepath.Dir(path), ".credentials-")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.WriteString(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil { // CreateTemp made it 0600
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// ReadCredentialsFile reads the [default] profile of the AWS shared
// credentials file at path.
func ReadCredentialsFile(path string) (Credentials, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Credentials{}, err
	}
	var c Credentials
	section := ""
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]") {
			section = strings.TrimSpace(line[1 : len(line)-1])
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok || section != "default" {
			continue
		}
		switch strings.TrimSpace(k) {
		case "aws_access_key_id":
			c.AccessKeyID = strings.TrimSpace(v)
		case "aws_secret_access_key":
			c.SecretAccessKey = strings.TrimSpace(v)
		}
	}
	if c.AccessKeyID == "" || c.SecretAccessKey == "" {
		return c, fmt.Errorf("%s: no [default] profile with aws_access_key_id and aws_secret_access_key", path)
	}
	return c, nil
}
