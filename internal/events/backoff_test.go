package events

import (
	"testing"
	"time"
)

func TestBackoffDelay(t *testing.T) {
	b := Backoff{Min: 100 * time.Millisecond, Max: time.Second}
	for _, tc := range []struct {
		failed int
		want   time.Duration
	}{
		{0, 0},
		{1, 100 * time.Millisecond},
		{2, 200 * time.Millisecond},
		{3, 400 * time.Millisecond},
		{4, 800 * time.Millisecond},
		{5, time.Second}, // capped
		{6, time.Second},
		{1000, time.Second}, // no overflow
	} {
		if got := b.Delay(tc.failed); got != tc.want {
			t.Errorf("Delay(%d) = %v, want %v", tc.failed, got, tc.want)
		}
	}
	// A cap that is not a power of two times Min is still reached, never passed.
	odd := Backoff{Min: 300 * time.Millisecond, Max: time.Second}
	for n, want := range []time.Duration{0, 300 * time.Millisecond, 600 * time.Millisecond, time.Second, time.Second} {
		if got := odd.Delay(n); got != want {
			t.Errorf("odd.Delay(%d) = %v, want %v", n, got, want)
		}
	}
}

func TestSign(t *testing.T) {
	// HMAC-SHA256 of "The quick brown fox jumps over the lazy dog" under
	// "key", the example of RFC 4231's and Wikipedia's tables.
	got := Sign([]byte("key"), []byte("The quick brown fox jumps over the lazy dog"))
	want := "sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"
	if got != want {
		t.Errorf("Sign() = %s, want %s", got, want)
	}
}
