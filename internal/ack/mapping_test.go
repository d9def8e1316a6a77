package ack

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers/types"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/sparkplane/sparkplane/internal/ack/acktest"
)

// docJobRun is the JobRun of ACK's tests and documentation.
var docJobRun = acktest.JobRun("my-ack-jobrun", nil, "s3://my-bucket/logs")

func decodeYAML(t *testing.T, doc string, out any) {
	t.Helper()
	var u unstructured.Unstructured
	if err := yaml.Unmarshal([]byte(doc), &u.Object); err != nil {
		t.Fatal(err)
	}
	if err := decode(&u, out); err != nil {
		t.Fatal(err)
	}
}

func TestStartJobRunInputOfACKDocs(t *testing.T) {
	var jr JobRun
	decodeYAML(t, docJobRun, &jr)
	in, err := StartJobRunInput(jr.Spec, "vc123", "uid-1")
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(in.VirtualClusterId) != "vc123" || aws.ToString(in.ClientToken) != "uid-1" || aws.ToString(in.Name) != "my-ack-jobrun" ||
		aws.ToString(in.ExecutionRoleArn) != "arn:aws:iam::123456789012:role/emr-job" || aws.ToString(in.ReleaseLabel) != acktest.ReleaseLabel {
		t.Errorf("request %+v", in)
	}
	d := in.JobDriver.SparkSubmitJobDriver
	if aws.ToString(d.EntryPoint) != "local:///usr/lib/spark/examples/src/main/python/pi.py" || len(d.EntryPointArguments) != 0 ||
		!strings.Contains(aws.ToString(d.SparkSubmitParameters), "spark.executor.instances=2") {
		t.Errorf("job driver %+v", d)
	}
	m := in.ConfigurationOverrides.MonitoringConfiguration
	if m == nil || m.PersistentAppUI != types.PersistentAppUIEnabled || aws.ToString(m.S3MonitoringConfiguration.LogUri) != "s3://my-bucket/logs" {
		t.Errorf("monitoring configuration %+v", m)
	}
	decodeYAML(t, acktest.JobRun("pi-long", []string{"20000", `a "b"`}, ""), &jr)
	if in, err := StartJobRunInput(jr.Spec, "vc123", "uid-3"); err != nil || !reflect.DeepEqual(in.JobDriver.SparkSubmitJobDriver.EntryPointArguments, []string{"20000", `a "b"`}) {
		t.Errorf("entry point arguments: %v, %v", in, err)
	}
}

func TestParseConfigurationOverrides(t *testing.T) {
	for _, doc := range []string{
		// JSON, as StartJobRun takes it.
		`{"applicationConfiguration":[{"classification":"spark-defaults","properties":{"spark.driver.memory":"2G"},
		  "configurations":[{"classification":"inner","properties":{"a":"b"}}]}],
		  "monitoringConfiguration":{"cloudWatchMonitoringConfiguration":{"logGroupName":"g","logStreamNamePrefix":"p"}}}`,
		// YAML with ACK's capitalised keys.
		"ApplicationConfiguration:\n- Classification: spark-defaults\n  Properties:\n    spark.driver.memory: 2G\n  Configurations:\n  - Classification: inner\n    Properties: {a: b}\n" +
			"MonitoringConfiguration:\n  CloudWatchMonitoringConfiguration:\n    LogGroupName: g\n    LogStreamNamePrefix: p\n",
	} {
		co, err := ParseConfigurationOverrides(doc)
		if err != nil {
			t.Fatalf("%s: %v", doc, err)
		}
		if len(co.ApplicationConfiguration) != 1 || co.ApplicationConfiguration[0].Properties["spark.driver.memory"] != "2G" ||
			co.ApplicationConfiguration[0].Configurations[0].Properties["a"] != "b" ||
			aws.ToString(co.MonitoringConfiguration.CloudWatchMonitoringConfiguration.LogGroupName) != "g" {
			t.Errorf("%s: parsed %+v", doc, co)
		}
	}
	for _, doc := range []string{"", "  \n", "null"} {
		if co, err := ParseConfigurationOverrides(doc); co != nil || err != nil {
			t.Errorf("%q: %+v, %v; want nothing", doc, co, err)
		}
	}
}

func TestBadSpecIsASpecErrorNamingTheField(t *testing.T) {
	good := func() JobRunSpec {
		var jr JobRun
		decodeYAML(t, docJobRun, &jr)
		return jr.Spec
	}
	for _, c := range []struct {
		name string
		edit func(*JobRunSpec)
		want string
	}{
		{"overrides not YAML", func(s *JobRunSpec) { s.ConfigurationOverrides = aws.String("{unclosed: [") }, "spec.configurationOverrides: not a YAML or JSON document"},
		{"overrides unknown key", func(s *JobRunSpec) { s.ConfigurationOverrides = aws.String("monitoringConfig: {}") }, `spec.configurationOverrides: unknown field "monitoringConfig"`},
		{"overrides wrong type", func(s *JobRunSpec) { s.ConfigurationOverrides = aws.String("applicationConfiguration: 5") }, "spec.configurationOverrides: ApplicationConfiguration must not be a number"},
		{"overrides a list", func(s *JobRunSpec) { s.ConfigurationOverrides = aws.String("- a") }, "spec.configurationOverrides:"},
		{"no role", func(s *JobRunSpec) { s.ExecutionRoleARN = nil }, "spec.executionRoleARN: required"},
		{"role by reference", func(s *JobRunSpec) { s.ExecutionRoleARN, s.ExecutionRoleRef = nil, &Reference{} }, "spec.executionRoleRef"},
		{"no release", func(s *JobRunSpec) { s.ReleaseLabel = nil }, "spec.releaseLabel: required"},
		{"no driver", func(s *JobRunSpec) { s.JobDriver = nil }, "spec.jobDriver.sparkSubmitJobDriver: required"},
		{"no entry point", func(s *JobRunSpec) { s.JobDriver.SparkSubmitJobDriver.EntryPoint = nil }, "entryPoint: required"},
		{"null argument", func(s *JobRunSpec) { s.JobDriver.SparkSubmitJobDriver.EntryPointArguments = []*string{nil} }, "entryPointArguments[0]: null"},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := good()
			c.edit(&s)
			_, err := StartJobRunInput(s, "vc", "tok")
			var se *SpecError
			if !errors.As(err, &se) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v; want a SpecError containing %q", err, c.want)
			}
		})
	}
}

func TestBadSpecMakesTheResourceTerminal(t *testing.T) {
	now := metav1.Now()
	var s JobRunSpec
	_, err := StartJobRunInput(s, "vc", "tok")
	cs := terminal(recoverable(nil, "earlier", now), err.Error(), now)
	if !isTrue(cs, ConditionTerminal) || isTrue(cs, ConditionSynced) || isTrue(cs, ConditionRecoverable) {
		t.Fatalf("conditions %+v", cs)
	}
	for _, c := range cs {
		if c.Type == ConditionTerminal && aws.ToString(c.Message) != "spec.executionRoleARN: required" {
			t.Errorf("terminal message %q", aws.ToString(c.Message))
		}
	}
	cs = synced(cs, now)
	if len(cs) != 1 || cs[0].Type != ConditionSynced || cs[0].Status != statusTrue {
		t.Errorf("after sync: %+v", cs)
	}
}

func TestCreateVirtualClusterInputOfACKDocs(t *testing.T) {
	var vc VirtualCluster
	decodeYAML(t, acktest.VirtualCluster("emr-ns"), &vc)
	in, err := CreateVirtualClusterInput(vc.Spec, "uid-2")
	if err != nil {
		t.Fatal(err)
	}
	info, _ := in.ContainerProvider.Info.(*types.ContainerInfoMemberEksInfo)
	if aws.ToString(in.Name) != "my-ack-vc" || aws.ToString(in.ContainerProvider.Id) != "dev" || in.ContainerProvider.Type != types.ContainerProviderTypeEks ||
		info == nil || aws.ToString(info.Value.Namespace) != "emr-ns" || in.Tags["Team"] != "data-engineering" || aws.ToString(in.ClientToken) != "uid-2" {
		t.Errorf("request %+v", in)
	}
	vc.Spec.ContainerProvider.Info = nil
	in, _ = CreateVirtualClusterInput(vc.Spec, "uid-2")
	if info := in.ContainerProvider.Info.(*types.ContainerInfoMemberEksInfo); aws.ToString(info.Value.Namespace) != "default" {
		t.Errorf("namespace %q; want default", aws.ToString(info.Value.Namespace))
	}
	vc.Spec.ContainerProvider.ID = nil
	if _, err := CreateVirtualClusterInput(vc.Spec, "uid-2"); err == nil || !strings.Contains(err.Error(), "spec.containerProvider.id") {
		t.Errorf("no cluster id: %v", err)
	}
}

func TestVirtualClusterOfARN(t *testing.T) {
	if got := virtualClusterOfARN("arn:aws:emr-containers:us-east-1:123456789012:/virtualclusters/abc/jobruns/def"); got != "abc" {
		t.Errorf("got %q", got)
	}
	if got := virtualClusterOfARN("nonsense"); got != "" {
		t.Errorf("got %q", got)
	}
}
