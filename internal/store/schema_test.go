package store

import (
	"strings"
	"testing"
)

func TestCheckSchema(t *testing.T) {
	if err := CheckSchema([]int{1, 2, 3}, []int{1, 2, 3, 4}); err != nil {
		t.Fatalf("older schema refused: %v", err)
	}
	err := CheckSchema([]int{1, 2, 7, 9}, []int{1, 2, 3})
	if err == nil || !strings.Contains(err.Error(), "7, 9") || !strings.Contains(err.Error(), "upgrade") {
		t.Fatalf("newer schema: %v", err)
	}
}
