package local

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/runtime"
)

// emrSparkHome is where EMR images keep Spark; entry points under it resolve
// inside the installed Spark, so commands copied from EMR docs run unchanged.
const emrSparkHome = "/usr/lib/spark/"

// resolveEntryPoint maps an EMR entry point URI to what local spark-submit
// can open; an entry point in S3 has been relocated to where it is
// fetched (fetched: such paths, which need not exist yet). An error is a
// *runtime.SubmitError.
func resolveEntryPoint(sparkHome, entryPoint string, fetched map[string]bool) (string, error) {
	invalid := func(format string, args ...any) error {
		return &runtime.SubmitError{Reason: emr.FailureValidation, Message: fmt.Sprintf(format, args...)}
	}
	if fetched[entryPoint] {
		return entryPoint, nil
	}
	u, err := url.Parse(entryPoint)
	if err != nil {
		return "", invalid("entryPoint %q is not a valid URI: %v", entryPoint, err)
	}
	var path string
	switch u.Scheme {
	case "http", "https":
		return entryPoint, nil // spark-submit downloads it
	case "local", "file", "":
		path = u.Path
		if u.Scheme == "" {
			path = entryPoint
		}
	default:
		return "", invalid("entryPoint %q: the local runtime reads local://, file://, s3:// and http(s):// entry points; %s:// is not reachable from it", entryPoint, u.Scheme)
	}
	if !filepath.IsAbs(path) {
		return "", invalid("entryPoint %q must be an absolute path", entryPoint)
	}
	if rest, ok := strings.CutPrefix(path, emrSparkHome); ok {
		path = filepath.Join(sparkHome, filepath.FromSlash(rest))
	}
	if st, err := os.Stat(path); err != nil || st.IsDir() {
		return "", invalid("entryPoint %q: no such file %s", entryPoint, path)
	}
	return path, nil
}
