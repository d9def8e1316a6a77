package local

import (
	"testing"
	"time"

	"github.com/sparkplane/sparkplane/internal/cost"
	"github.com/sparkplane/sparkplane/internal/emr"
)

func TestParseJVMSize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
	}{
		{"1g", 1 << 30}, {"2G", 2 << 30}, {"512m", 512 << 20}, {"512", 512 << 20},
		{"1024k", 1 << 20}, {"1gb", 1 << 30}, {" 3t ", 3 << 40},
	} {
		got, err := parseJVMSize(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("parseJVMSize(%q) = %d, %v, want %d", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "g", "1.5g", "-1g", "1x", "99999999999p"} {
		if got, err := parseJVMSize(bad); err == nil {
			t.Errorf("parseJVMSize(%q) = %d, want an error", bad, got)
		}
	}
}

func TestResources(t *testing.T) {
	got, err := resources(map[string]string{"spark.executor.instances": "2", "spark.executor.cores": "3", "spark.driver.memory": "2g"})
	if err != nil || got != (cost.Resources{CPU: 6, Memory: 2 << 30}) {
		t.Errorf("resources() = %+v, %v, want 6 cores and 2 GiB", got, err)
	}
	got, err = resources(map[string]string{})
	if err != nil || got != (cost.Resources{CPU: 1, Memory: 1 << 30}) {
		t.Errorf("resources(defaults) = %+v, %v, want 1 core and 1 GiB", got, err)
	}
	if _, err := resources(map[string]string{"spark.driver.memory": "lots"}); err == nil {
		t.Error("resources(bad driver memory) succeeded, want an error")
	}
	// Sizes whose product would overflow are refused, not metered.
	if got, err := resources(map[string]string{"spark.executor.instances": "9223372036854775807", "spark.executor.cores": "9223372036854775807"}); err == nil {
		t.Errorf("resources(2^63-1 × 2^63-1) = %+v, want an error", got)
	}
}

func TestUsageRecord(t *testing.T) {
	r := New(Options{InstanceType: "m5.xlarge"})
	run := &emr.JobRun{ID: "run", VirtualClusterID: "vc", RetryPolicyExecution: &emr.RetryPolicyExecution{CurrentAttemptCount: 2}}
	start := time.Date(2026, 5, 1, 10, 0, 0, 123456789, time.UTC)
	u := r.usage(run, cost.Resources{CPU: 2, Memory: 1 << 30}, start, start.Add(time.Minute))
	if err := u.Validate(); err != nil {
		t.Fatalf("usage record invalid: %v", err)
	}
	if u.Attempt != 2 || u.Component != cost.ComponentLocal || u.CapacityType != cost.OnDemand || u.Node == "" ||
		u.InstanceType != "m5.xlarge" || !u.Start.Equal(start.Truncate(time.Millisecond)) || u.End.Sub(u.Start) != time.Minute {
		t.Errorf("usage record = %+v", u)
	}
	if u := New(Options{}).usage(run, cost.Resources{CPU: 1}, start, time.Time{}); u.CapacityType != "" || !u.End.IsZero() {
		t.Errorf("usage record without instance type = %+v, want no capacity type and no end", u)
	}
}
