package sparksubmit

import (
	"reflect"
	"testing"

	"github.com/sparkplane/sparkplane/internal/emr"
)

func TestCodeAndRelocate(t *testing.T) {
	moved := map[string]string{
		"s3://b/app.py":      "/w/code/1/app.py",
		"s3://b/lib.zip":     "/w/code/2/lib.zip",
		"s3a://b/x.jar":      "/w/code/3/x.jar",
		"s3://b/env.tar.gz":  "/w/code/4/env.tar.gz",
		"s3://b/conf.json":   "/w/code/5/conf.json",
		"s3://b/dflt.jar":    "/w/code/6/dflt.jar",
		"s3://b/q.sql":       "/w/code/7/q.sql",
		"s3://b/from-opt.py": "/w/code/8/from-opt.py",
	}
	for _, tc := range []struct {
		name      string
		driver    emr.JobDriver
		defaults  map[string]string // spark-defaults classification
		wantCode  []string
		wantEntry string
		wantOpts  []Option
		wantConf  []Property
		wantDefs  map[string]string
	}{{
		name: "submit",
		driver: emr.JobDriver{SparkSubmitJobDriver: &emr.SparkSubmitJobDriver{EntryPoint: "s3://b/app.py",
			SparkSubmitParameters: "--py-files s3://b/lib.zip,local:///opt/l.zip --jars=s3a://b/x.jar --archives s3://b/env.tar.gz#env " +
				"--files s3://b/app.py --conf spark.files=s3://b/conf.json --conf spark.executor.cores=1 --name s3://b/not-code"}},
		defaults: map[string]string{"spark.jars": "s3://b/dflt.jar, s3a://b/x.jar", "spark.app.name": "s3://b/app.py"},
		wantCode: []string{"s3://b/app.py", "s3://b/lib.zip", "local:///opt/l.zip", "s3a://b/x.jar", "s3://b/env.tar.gz",
			"s3://b/conf.json", "s3://b/dflt.jar"},
		wantEntry: "/w/code/1/app.py",
		wantOpts: []Option{{"--py-files", "/w/code/2/lib.zip,local:///opt/l.zip"}, {"--jars", "/w/code/3/x.jar"},
			{"--archives", "/w/code/4/env.tar.gz#env"}, {"--files", "/w/code/1/app.py"}, {"--name", "s3://b/not-code"}},
		wantConf: []Property{{"spark.files", "/w/code/5/conf.json"}, {"spark.executor.cores", "1"}},
		wantDefs: map[string]string{"spark.jars": "/w/code/6/dflt.jar,/w/code/3/x.jar", "spark.app.name": "s3://b/app.py"},
	}, {
		name: "sql",
		driver: emr.JobDriver{SparkSQLJobDriver: &emr.SparkSQLJobDriver{EntryPoint: "s3://b/q.sql",
			SparkSQLParameters: "--hivevar d=s3://b/app.py --jars s3://b/from-opt.py"}},
		wantCode:  []string{"s3://b/q.sql", "s3://b/from-opt.py"},
		wantEntry: "/w/code/7/q.sql",
		wantOpts:  []Option{{"--hivevar", "d=s3://b/app.py"}, {"--jars", "/w/code/8/from-opt.py"}},
	}, {
		name:     "sql without a file",
		driver:   emr.JobDriver{SparkSQLJobDriver: &emr.SparkSQLJobDriver{SparkSQLParameters: "--hivevar d=1"}},
		wantOpts: []Option{{"--hivevar", "d=1"}},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			run := &emr.JobRun{JobDriver: &tc.driver}
			if tc.defaults != nil {
				run.ConfigurationOverrides = &emr.ConfigurationOverrides{ApplicationConfiguration: []emr.Configuration{
					{Classification: "spark-defaults", Properties: tc.defaults}}}
			}
			sub, err := Build(run, nil)
			if err != nil {
				t.Fatal(err)
			}
			if got := sub.Code(); !reflect.DeepEqual(got, tc.wantCode) {
				t.Errorf("Code() = %q, want %q", got, tc.wantCode)
			}
			sub.Relocate(moved)
			if sub.EntryPoint != tc.wantEntry {
				t.Errorf("entry point %q, want %q", sub.EntryPoint, tc.wantEntry)
			}
			if !reflect.DeepEqual(sub.Params.Options, tc.wantOpts) {
				t.Errorf("options %q, want %q", sub.Params.Options, tc.wantOpts)
			}
			if !reflect.DeepEqual(sub.Params.Conf, tc.wantConf) {
				t.Errorf("conf %q, want %q", sub.Params.Conf, tc.wantConf)
			}
			defs := map[string]string{}
			for _, p := range sub.Defaults {
				defs[p.Key] = p.Value
			}
			if len(defs) == 0 {
				defs = nil
			}
			if !reflect.DeepEqual(defs, tc.wantDefs) {
				t.Errorf("defaults %q, want %q", defs, tc.wantDefs)
			}
		})
	}
}
