package sparksubmit

import (
	"strings"
	"testing"
)

func TestExecutors(t *testing.T) {
	for _, tc := range []struct {
		eff                  map[string]string
		instances, cores     int
		wantErr, errMentions string
	}{
		{eff: map[string]string{}, instances: 1, cores: 1},
		{eff: map[string]string{"spark.executor.instances": "10000", "spark.executor.cores": "1024"}, instances: 10000, cores: 1024},
		{eff: map[string]string{"spark.executor.instances": "10001"}, errMentions: "spark.executor.instances"},
		{eff: map[string]string{"spark.executor.instances": "2147483647", "spark.executor.cores": "2147483647"}, errMentions: "spark.executor.instances"},
		{eff: map[string]string{"spark.executor.cores": "9223372036854775807"}, errMentions: "spark.executor.cores"},
		{eff: map[string]string{"spark.executor.cores": "99999999999999999999"}, errMentions: "spark.executor.cores"},
		{eff: map[string]string{"spark.executor.instances": "-1"}, errMentions: "spark.executor.instances"},
	} {
		i, c, err := Executors(tc.eff)
		switch {
		case tc.errMentions != "" && (err == nil || !strings.Contains(err.Error(), tc.errMentions)):
			t.Errorf("Executors(%v) = %v, want an error about %s", tc.eff, err, tc.errMentions)
		case tc.errMentions == "" && (err != nil || i != tc.instances || c != tc.cores):
			t.Errorf("Executors(%v) = %d, %d, %v", tc.eff, i, c, err)
		}
	}
}
