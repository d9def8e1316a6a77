package config

import "fmt"

// checkSubmissionMode accepts a cluster's submissionMode: empty (the
// default, job-runner), "job-runner" or "native".
func checkSubmissionMode(field, v string) error {
	switch v {
	case "", "job-runner", "native":
		return nil
	}
	return fmt.Errorf("%s %q: want job-runner or native", field, v)
}
