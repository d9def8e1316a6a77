package devcluster

import (
	"fmt"
	"os"

	"github.com/sparkplane/sparkplane/internal/podimage"
)

// selfImages map sparkplane's own image to the binary running the embedded
// cluster, so its Helm chart installs into it (see podimage.SparkplaneRules).
func selfImages() ([]podimage.Rule, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("sparkplane's own image: %w", err)
	}
	return podimage.SparkplaneRules(exe), nil
}
