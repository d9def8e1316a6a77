package kubernetes

import (
	"fmt"
	"strings"
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
}

// DefaultImages map EMR release labels to the Apache Spark images of the
// same Spark line (EMR 7.x ships Spark 3.5, EMR 6.x Spark 3.x).
var DefaultImages = []Image{
	{ReleasePrefix: "emr-7", Image: "apache/spark:3.5.7-java17-python3", SparkHome: "/opt/spark"},
	{ReleasePrefix: "emr-6", Image: "apache/spark:3.4.1-scala2.12-java11-python3-ubuntu", SparkHome: "/opt/spark"},
	{ReleasePrefix: "emr-5", Image: "apache/spark:3.4.1-scala2.12-java11-python3-ubuntu", SparkHome: "/opt/spark"},
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
