package podimage

import (
	"reflect"
	"testing"
)

// TestSparkplaneImageRunsTheHostBinary: sparkplane's image, under its
// published name or a copy's, runs the host's binary as its entrypoint;
// Spark images and other names are left to the other rules.
func TestSparkplaneImageRunsTheHostBinary(t *testing.T) {
	m, err := DefaultMapper(testDist, nil, SparkplaneRules("/host/bin/sparkplane")...)
	if err != nil {
		t.Fatal(err)
	}
	for _, image := range []string{"ghcr.io/sparkplane/sparkplane:0.1.0", "ghcr.io/sparkplane/sparkplane@sha256:abcd",
		"registry.example.com:5000/platform/sparkplane:v1", "sparkplane:dev", "123456789012.dkr.ecr.us-east-1.amazonaws.com/sparkplane:1"} {
		root, err := m.Resolve(image)
		if err != nil {
			t.Errorf("Resolve(%q): %v", image, err)
			continue
		}
		if want := []Mount{{Source: "/host/bin/sparkplane", Target: SparkplaneEntrypoint, ReadOnly: true}}; !reflect.DeepEqual(root.Mounts, want) {
			t.Errorf("Resolve(%q).Mounts = %+v, want %+v", image, root.Mounts, want)
		}
		argv, err := root.Command(nil, []string{"server", "--addr", "10.244.0.5:8080"}, nil)
		if want := []string{SparkplaneEntrypoint, "server", "--addr", "10.244.0.5:8080"}; err != nil || !reflect.DeepEqual(argv, want) {
			t.Errorf("Resolve(%q): args run %q (%v), want %q", image, argv, err, want)
		}
	}
	for _, image := range []string{"apache/spark:3.5.7", "ghcr.io/sparkplane/sparkplane-docs:1"} {
		if root, err := m.Resolve(image); err == nil && len(root.Mounts) == 1 && root.Mounts[0].Target == SparkplaneEntrypoint {
			t.Errorf("Resolve(%q) is sparkplane's image", image)
		}
	}
}
