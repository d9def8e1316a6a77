package podimage

// SparkplaneEntrypoint is where sparkplane's own image (make image) has the
// binary, its entrypoint.
const SparkplaneEntrypoint = "/usr/local/bin/sparkplane"

// sparkplanePatterns are the names sparkplane's own image goes by: the
// published ghcr.io/sparkplane/sparkplane and copies of it in other
// registries or organisations.
var sparkplanePatterns = []string{"ghcr.io/sparkplane/sparkplane", "sparkplane/sparkplane", "sparkplane", "*/sparkplane", "*/*/sparkplane"}

// SparkplaneRules map sparkplane's own image to the sparkplane binary exe
// on the host, shown at SparkplaneEntrypoint and run as the image's
// entrypoint, so the Helm chart (charts/sparkplane) runs on the embedded
// cluster as it does on any other.
func SparkplaneRules(exe string) []Rule {
	rules := make([]Rule, len(sparkplanePatterns))
	for i, m := range sparkplanePatterns {
		rules[i] = Rule{
			Match:      m,
			Mounts:     []Mount{{Source: exe, Target: SparkplaneEntrypoint, ReadOnly: true}},
			Env:        []string{"PATH=" + defaultPath},
			WorkingDir: "/",
			Entrypoint: func(args []string, _ map[string]string) ([]string, error) {
				return append([]string{SparkplaneEntrypoint}, args...), nil
			},
		}
	}
	return rules
}
