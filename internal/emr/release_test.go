package emr_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/sparkplane/sparkplane/internal/emr"
)

func TestLookupReleaseAcceptsPublishedLabels(t *testing.T) {
	t.Parallel()
	tests := []struct {
		label, version, variant, build, spark string
		java                                  int
	}{
		{"emr-7.2.0-latest", "7.2.0", "", "latest", "3.5.1", 17},
		{"emr-7.13.0-latest", "7.13.0", "", "latest", "3.5.6", 17},
		{"emr-7.6.0-20241213", "7.6.0", "", "20241213", "3.5.3", 17},
		{"emr-7.9.0-java11-latest", "7.9.0", "java11", "latest", "3.5.5", 11},
		{"emr-7.9.0-java8-20250425", "7.9.0", "java8", "20250425", "3.5.5", 8},
		{"emr-7.9.0-spark-rapids-java8-latest", "7.9.0", "spark-rapids-java8", "latest", "3.5.5", 8},
		{"emr-7.4.0-spark-rapids-latest", "7.4.0", "spark-rapids", "latest", "3.5.2", 17},
		{"emr-6.15.0-20240105", "6.15.0", "", "20240105", "3.4.1", 8},
		{"emr-6.14.0-java17-al2023-latest", "6.14.0", "java17-al2023", "latest", "3.4.1", 17},
		{"emr-6.14.0-spark-rapids-java17-al2023-20231005", "6.14.0", "spark-rapids-java17-al2023", "20231005", "3.4.1", 17},
		{"emr-6.12.0-java17-latest", "6.12.0", "java17", "latest", "3.4.0", 17},
		{"emr-6.12.0-java17-20230701", "6.12.0", "java17", "20230701", "3.4.0", 17},
		{"emr-6.12.0-java11-latest", "6.12.0", "java11", "latest", "3.4.0", 11},
		{"emr-6.12.0-spark-rapids-java17-latest", "6.12.0", "spark-rapids-java17", "latest", "3.4.0", 17},
		{"emr-6.11.0-spark-rapids-latest", "6.11.0", "spark-rapids", "latest", "3.3.2", 8},
		{"emr-6.10.0-java11-20230220", "6.10.0", "java11", "20230220", "3.3.1", 11},
		{"emr-6.9.0-latest", "6.9.0", "", "latest", "3.3.0", 8},
		{"emr-6.9.0-spark-rapids-20221108", "6.9.0", "spark-rapids", "20221108", "3.3.0", 8},
		{"emr-6.8.0-20230624", "6.8.0", "", "20230624", "3.3.0", 8},
		{"emr-6.3.0-latest", "6.3.0", "", "latest", "3.1.1", 8},
		{"emr-6.2.0-latest", "6.2.0", "", "latest", "3.0.1", 8},
		{"emr-5.36.0-latest", "5.36.0", "", "latest", "2.4.8", 8},
		{"emr-5.32.0-20201201", "5.32.0", "", "20201201", "2.4.7", 8},
		{"emr-spark-8.0.0-latest", "8.0.0", "", "latest", "4.0.2", 17},
		{"emr-spark-8.0.0-20260421", "8.0.0", "", "20260421", "4.0.2", 17},
	}
	for _, tc := range tests {
		t.Run(tc.label, func(t *testing.T) {
			t.Parallel()
			r, ok := emr.LookupRelease(tc.label)
			if !ok {
				t.Fatalf("LookupRelease(%q) refused a published label", tc.label)
			}
			want := emr.Release{Label: tc.label, Version: tc.version, Variant: tc.variant, Build: tc.build, Spark: tc.spark, Java: tc.java}
			if r != want {
				t.Errorf("LookupRelease(%q) = %+v, want %+v", tc.label, r, want)
			}
		})
	}
}

func TestLookupReleaseRefusesUnpublishedLabels(t *testing.T) {
	t.Parallel()
	for _, label := range []string{
		// Releases never published for EKS.
		"emr-5.31.0-latest", "emr-6.0.0-latest", "emr-6.1.0-latest", "emr-6.11.1-latest", "emr-7.13.1-latest",
		"emr-7.14.0-latest", "emr-9.9.9-latest", "emr-10.0.0-latest", "emr-4.9.0-latest", "emr-spark-7.0.0-latest",
		"emr-spark-8.1.0-latest",
		// Variants a release does not have.
		"emr-6.11.0-java17-latest", "emr-6.9.0-java11-latest", "emr-6.8.0-spark-rapids-latest",
		"emr-7.2.0-java17-latest", "emr-5.36.0-java11-latest", "emr-spark-8.0.0-java11-latest",
		"emr-6.12.0-java21-latest", "emr-6.12.0-rapids-latest",
		// Notebook images are not job release labels.
		"notebook-spark/emr-6.9.0-latest",
		// Not a release label at all.
		"", "emr-6.8.0", "emr-6.8-latest", "emr-7.0.0-2024321", "emr-6.8.0-LATEST", "EMR-6.8.0-latest",
		"emr-6.8.0-latest ", "xemr-6.8.0-latest", "emr-6.x.0-latest", "emr-6.8.0-20231301", "emr-6.8.0--latest",
		"emr-6.12.0-java17-", "emr-6.12.0-java17",
	} {
		if r, ok := emr.LookupRelease(label); ok {
			t.Errorf("LookupRelease(%q) = %+v, want refused", label, r)
		}
	}
}

func TestReleaseNotFoundIsEMRsError(t *testing.T) {
	t.Parallel()
	err := emr.ReleaseNotFound("emr-9.9.9-latest", "releaseLabel")
	var e *emr.Error
	if !errors.As(err, &e) || e.Code != emr.CodeNotFound {
		t.Fatalf("ReleaseNotFound = %#v, want a ResourceNotFoundException", err)
	}
	if !strings.HasPrefix(e.Message, "Release emr-9.9.9-latest doesn't exist") {
		t.Errorf("message %q", e.Message)
	}
}

func TestReleasesListEveryPublishedRelease(t *testing.T) {
	t.Parallel()
	rs := emr.Releases()
	if len(rs) != 34 || rs[0].Label != "emr-5.32.0-latest" || rs[len(rs)-1].Label != "emr-spark-8.0.0-latest" {
		t.Fatalf("Releases() = %d, first %v, last %v", len(rs), rs[0], rs[len(rs)-1])
	}
	for _, r := range rs {
		if got, ok := emr.LookupRelease(r.Label); !ok || got != r {
			t.Errorf("LookupRelease(%q) = %+v, %v; want %+v", r.Label, got, ok, r)
		}
	}
}
