package events

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
)

// Headers of a delivery, besides Content-Type.
const (
	// HeaderEventID is the event's id (the envelope's id): the same on
	// every delivery of one event, for receivers to drop duplicates.
	HeaderEventID = "X-Sparkplane-Event-Id"
	// HeaderSignature is "sha256=" and the hex HMAC-SHA256 of the body
	// under the webhook's secret, when it has one.
	HeaderSignature = "X-Sparkplane-Signature-256"
)

// Webhook is a destination events are POSTed to.
type Webhook struct {
	// Name identifies the destination: its delivery cursor in the store
	// and its lease are named after it, so renaming it starts over.
	Name string
	URL  string
	// Secret signs each body (HeaderSignature); nil: unsigned.
	Secret []byte
	// Timeout bounds one delivery: connecting, sending and the answer.
	Timeout time.Duration
}

// Sign is the value of HeaderSignature for body under secret.
func Sign(secret, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// post delivers one event, body its JSON, to h: nil once h answered 2xx.
func post(ctx context.Context, client *http.Client, h Webhook, id string, body []byte) error {
	ctx, cancel := context.WithTimeout(ctx, h.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.URL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "sparkplane-events")
	req.Header.Set(HeaderEventID, id)
	if h.Secret != nil {
		req.Header.Set(HeaderSignature, Sign(h.Secret, body))
	}
	resp, err := client.Do(req)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err // without the URL, which may hold a token
		}
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // so the connection is reused
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("answered %s", resp.Status)
	}
	return nil
}
