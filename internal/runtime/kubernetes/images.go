package kubernetes

import (
	"fmt"
	"strings"

	"github.com/sparkplane/sparkplane/internal/emr"
)

// Image is the container image a release label runs with, and where Spark
// lives inside it.
type Image struct {
	// ReleasePrefix selects the release labels this image serves, e.g.
	// "emr-7" or "emr-7.2.0"; the longest matching prefix wins.
	ReleasePrefix string `json:"releasePrefix"`
	Image         string `json:"image"`
	// SparkHome is Spark's folder in the image; entry points under EMR's
	// /usr/lib/spark/ are mapped there.
	SparkHome string `json:"sparkHome"`
	// SparkVersion is the image's Spark (the driver's spark-version label
	// in native submission); empty: read from an Apache Spark image's tag.
	SparkVersion string `json:"sparkVersion,omitempty"`
}

// DefaultImages map every EMR on EKS release label (emr.Releases: one
// prefix per release, which its -latest, dated and variant labels share)
// to an Apache Spark image of the Spark the release ships:
//
//   - Spark 3.5 (emr-7.x): apache/spark:3.5.7-java17-python3 for every
//     release, a later patch of the same line, as the local runtime runs
//     one 3.5 patch for all of them (see sparkdist.For);
//   - Spark 4.0 (emr-spark-8.0.0): apache/spark:<version>-scala2.13-java17-python3-ubuntu;
//   - Spark 3.4 (emr-6.12 to 6.15): apache/spark:<version>-scala2.12-java11-python3-ubuntu;
//   - Spark 3.0 to 3.3 (emr-6.2 to 6.11): apache/spark-py:v<version>, the
//     PySpark images Spark's release process published before the
//     apache/spark ones;
//   - Spark 2.4 (emr-5.x): none is published with Python; a cluster that
//     runs those releases configures its own image.
//
// The images run Spark on their own Java, not the release's (EMR 6.x
// images default to Java 8). A cluster's images (config
// clusters[].images) replace this list.
var DefaultImages = defaultImages()

func defaultImages() []Image {
	var out []Image
	for _, r := range emr.Releases() {
		im := sparkImage(r.Spark)
		if im == "" {
			continue
		}
		out = append(out, Image{ReleasePrefix: strings.TrimSuffix(r.Label, "latest"), Image: im, SparkHome: "/opt/spark"})
	}
	return out
}

// sparkImage is the Apache Spark image of Spark version, "" for none.
func sparkImage(version string) string {
	switch {
	case strings.HasPrefix(version, "3.5."):
		return "apache/spark:3.5.7-java17-python3"
	case strings.HasPrefix(version, "4."):
		return "apache/spark:" + version + "-scala2.13-java17-python3-ubuntu"
	case strings.HasPrefix(version, "3.4."):
		return "apache/spark:" + version + "-scala2.12-java11-python3-ubuntu"
	case strings.HasPrefix(version, "3."):
		return "apache/spark-py:v" + version
	}
	return ""
}

// imageFor picks the image of a release label.
func imageFor(images []Image, release string) (Image, error) {
	var best Image
	for _, im := range images {
		if strings.HasPrefix(release, im.ReleasePrefix) && len(im.ReleasePrefix) > len(best.ReleasePrefix) {
			best = im
		}
	}
	if best.Image == "" {
		return best, fmt.Errorf("no image is configured for release label %s; add one to the cluster's images", release)
	}
	if best.SparkHome == "" {
		best.SparkHome = "/opt/spark"
	}
	return best, nil
}

// entryPointIn maps an EMR entry point to the image: local:///usr/lib/spark/…
// (the EMR image layout) becomes local://<SparkHome>/…; anything else is kept.
func entryPointIn(im Image, entryPoint string) string {
	const emrSparkHome = "local:///usr/lib/spark/"
	if rest, ok := strings.CutPrefix(entryPoint, emrSparkHome); ok && im.SparkHome != "/usr/lib/spark" {
		return "local://" + strings.TrimSuffix(im.SparkHome, "/") + "/" + rest
	}
	return entryPoint
}
