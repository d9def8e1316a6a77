package emr

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Release is an EMR on EKS release label, parsed and looked up in the
// table of releases EMR publishes for EKS.
type Release struct {
	Label   string // as given, e.g. emr-6.12.0-java17-latest
	Version string // the EMR release, e.g. 6.12.0 (8.0.0 for emr-spark-8.0.0)
	Variant string // "" or what follows the version: java11, java17, spark-rapids, spark-rapids-java17-al2023, …
	Build   string // "latest" or the build's date, YYYYMMDD
	// Spark is the Apache Spark version the release ships (EMR's own build
	// of it, -amzn-N, is based on this one).
	Spark string
	// Java is the Java major version the release's image runs Spark with:
	// the release's default, or the one its -javaNN variant names.
	Java int
}

// SparkMajor is the major version of the release's Spark (2, 3 or 4).
func (r Release) SparkMajor() int {
	n, _ := strconv.Atoi(strings.SplitN(r.Spark, ".", 2)[0])
	return n
}

// emrRelease is one EMR release published for EKS.
type emrRelease struct {
	version  string
	spark    string
	java     int      // the default Java of its image
	variants []string // the image variants published besides the default
}

// Image variants published per generation (the EMR on EKS release pages list
// them per release; the groups below are where the list changes).
var (
	variantsNone    []string
	variants69      = []string{"spark-rapids"}
	variants610     = []string{"spark-rapids", "java11"}
	variants612     = []string{"spark-rapids", "java11", "java17", "spark-rapids-java17"}
	variants614     = []string{"spark-rapids", "java11", "java17", "java17-al2023", "spark-rapids-java17", "spark-rapids-java17-al2023"}
	variants7       = []string{"spark-rapids", "java8", "java11", "spark-rapids-java8"}
	sparkRuntimeTag = "spark-" // emr-spark-8.0.0: "AWS runtime for Apache Spark"
)

// releases is every EMR release published for EKS (emr-5.32.0 onward) and
// the Spark it ships. It follows the Amazon EMR on EKS Development Guide's
// "Amazon EMR on EKS releases" pages (which releases exist for EKS and
// their image variants) and the Amazon EMR Release Guide's "Spark release
// history" and emr-spark-8.0.0 pages (the Spark of each release; the
// table keeps Apache Spark's version, without EMR's -amzn-N suffix).
// Read in August 2026: emr-7.13.0 and emr-spark-8.0.0 were the newest.
// Releases 6.0.0 and 6.1.0, and the 6.x.1 patch releases, were never
// published for EKS.
var releases = []emrRelease{
	{"5.32.0", "2.4.7", 8, variantsNone},
	{"5.33.0", "2.4.7", 8, variantsNone},
	{"5.34.0", "2.4.8", 8, variantsNone},
	{"5.35.0", "2.4.8", 8, variantsNone},
	{"5.36.0", "2.4.8", 8, variantsNone},
	{"6.2.0", "3.0.1", 8, variantsNone},
	{"6.3.0", "3.1.1", 8, variantsNone},
	{"6.4.0", "3.1.2", 8, variantsNone},
	{"6.5.0", "3.1.2", 8, variantsNone},
	{"6.6.0", "3.2.0", 8, variantsNone},
	{"6.7.0", "3.2.1", 8, variantsNone},
	{"6.8.0", "3.3.0", 8, variantsNone},
	{"6.9.0", "3.3.0", 8, variants69},
	{"6.10.0", "3.3.1", 8, variants610},
	{"6.11.0", "3.3.2", 8, variants610},
	{"6.12.0", "3.4.0", 8, variants612},
	{"6.13.0", "3.4.1", 8, variants612},
	{"6.14.0", "3.4.1", 8, variants614},
	{"6.15.0", "3.4.1", 8, variants614},
	{"7.0.0", "3.5.0", 17, variants7},
	{"7.1.0", "3.5.0", 17, variants7},
	{"7.2.0", "3.5.1", 17, variants7},
	{"7.3.0", "3.5.1", 17, variants7},
	{"7.4.0", "3.5.2", 17, variants7},
	{"7.5.0", "3.5.2", 17, variants7},
	{"7.6.0", "3.5.3", 17, variants7},
	{"7.7.0", "3.5.3", 17, variants7},
	{"7.8.0", "3.5.4", 17, variants7},
	{"7.9.0", "3.5.5", 17, variants7},
	{"7.10.0", "3.5.5", 17, variants7},
	{"7.11.0", "3.5.6", 17, variants7},
	{"7.12.0", "3.5.6", 17, variants7},
	{"7.13.0", "3.5.6", 17, variants7},
	{sparkRuntimeTag + "8.0.0", "4.0.2", 17, variantsNone},
}

// patPublishedRelease is emr-<version>[-<variant>]-<latest|YYYYMMDD>; the
// version is X.Y.Z, or spark-X.Y.Z for the Spark runtime releases.
var patPublishedRelease = regexp.MustCompile(`^emr-((?:spark-)?\d+\.\d+\.\d+)(?:-([a-z0-9]+(?:-[a-z0-9]+)*?))?-(latest|\d{8})$`)

// LookupRelease parses an EMR on EKS release label in any form EMR
// publishes (emr-7.2.0-latest, emr-6.8.0-20230624, emr-6.12.0-java17-latest,
// emr-6.14.0-spark-rapids-java17-al2023-20231005, emr-spark-8.0.0-latest,
// …) and looks it up; false when EMR on EKS never published it.
func LookupRelease(label string) (Release, bool) {
	m := patPublishedRelease.FindStringSubmatch(label)
	if m == nil {
		return Release{}, false
	}
	version, variant, build := m[1], m[2], m[3]
	if build != "latest" {
		if _, err := time.Parse("20060102", build); err != nil {
			return Release{}, false
		}
	}
	for _, r := range releases {
		if r.version != version {
			continue
		}
		if variant != "" && !slices.Contains(r.variants, variant) {
			return Release{}, false
		}
		rel := Release{Label: label, Version: strings.TrimPrefix(version, sparkRuntimeTag), Variant: variant,
			Build: build, Spark: r.spark, Java: r.java}
		if j := javaOf(variant); j != 0 {
			rel.Java = j
		}
		return rel, true
	}
	return Release{}, false
}

// javaOf is the Java major version a variant names (java17-al2023: 17), 0 for none.
func javaOf(variant string) int {
	for part := range strings.SplitSeq(variant, "-") {
		if n, ok := strings.CutPrefix(part, "java"); ok {
			v, _ := strconv.Atoi(n)
			return v
		}
	}
	return 0
}

// ReleaseNotFound is EMR's answer to a release label it never published
// for EKS; field is where the label was given.
func ReleaseNotFound(label, field string) error {
	return NotFoundf("Release %s doesn't exist (at '%s'). Use an EMR on EKS release label such as emr-7.2.0-latest or emr-6.15.0-20240105.", label, field)
}

// Releases lists the EMR releases published for EKS, oldest first, each
// as its -latest label with the default image.
func Releases() []Release {
	out := make([]Release, 0, len(releases))
	for _, r := range releases {
		out = append(out, Release{Label: "emr-" + r.version + "-latest", Version: strings.TrimPrefix(r.version, sparkRuntimeTag),
			Build: "latest", Spark: r.spark, Java: r.java})
	}
	return out
}

// String is the release as the logs name it.
func (r Release) String() string {
	return fmt.Sprintf("%s (Spark %s, Java %d)", r.Label, r.Spark, r.Java)
}
