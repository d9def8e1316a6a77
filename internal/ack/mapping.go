package ack

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers/types"
	"sigs.k8s.io/yaml"
)

// SpecError is a spec that cannot become a request: the resource is
// terminal until the spec changes. Its message names the field.
type SpecError struct{ msg string }

func (e *SpecError) Error() string { return e.msg }

func specErrorf(format string, args ...any) error {
	return &SpecError{msg: fmt.Sprintf(format, args...)}
}

// ParseConfigurationOverrides reads spec.configurationOverrides, a YAML (or
// JSON) document of StartJobRun's configurationOverrides whose keys may be
// written in any case (ACK's own examples write ApplicationConfiguration,
// MonitoringConfiguration, …). An empty document is nil. A key that is
// not a field of configurationOverrides is an error naming it.
func ParseConfigurationOverrides(doc string) (*types.ConfigurationOverrides, error) {
	if strings.TrimSpace(doc) == "" {
		return nil, nil
	}
	js, err := yaml.YAMLToJSON([]byte(doc))
	if err != nil {
		return nil, specErrorf("spec.configurationOverrides: not a YAML or JSON document: %v", err)
	}
	if bytes.Equal(bytes.TrimSpace(js), []byte("null")) {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	var co types.ConfigurationOverrides
	if err := dec.Decode(&co); err != nil {
		return nil, specErrorf("spec.configurationOverrides: %s", describeDecodeError(err))
	}
	return &co, nil
}

// describeDecodeError says what is wrong in words that do not name Go types.
func describeDecodeError(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("%s must not be a %s", te.Field, te.Value)
	}
	msg := err.Error()
	if f, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		return "unknown field " + f
	}
	return strings.TrimPrefix(msg, "json: ")
}

// StartJobRunInput is the request a JobRun's spec makes on virtual
// cluster vcID; clientToken makes it idempotent.
func StartJobRunInput(spec JobRunSpec, vcID, clientToken string) (*emrcontainers.StartJobRunInput, error) {
	in := &emrcontainers.StartJobRunInput{
		VirtualClusterId: aws.String(vcID),
		ClientToken:      aws.String(clientToken),
		Name:             spec.Name,
		ExecutionRoleArn: spec.ExecutionRoleARN,
		ReleaseLabel:     spec.ReleaseLabel,
		Tags:             stringMap(spec.Tags),
	}
	if in.ExecutionRoleArn == nil {
		if spec.ExecutionRoleRef != nil {
			return nil, specErrorf("spec.executionRoleRef: sparkplane does not serve IAM Role resources; give spec.executionRoleARN")
		}
		return nil, specErrorf("spec.executionRoleARN: required")
	}
	if in.ReleaseLabel == nil {
		return nil, specErrorf("spec.releaseLabel: required")
	}
	if spec.JobDriver == nil || spec.JobDriver.SparkSubmitJobDriver == nil {
		return nil, specErrorf("spec.jobDriver.sparkSubmitJobDriver: required")
	}
	d := spec.JobDriver.SparkSubmitJobDriver
	if d.EntryPoint == nil {
		return nil, specErrorf("spec.jobDriver.sparkSubmitJobDriver.entryPoint: required")
	}
	args := make([]string, 0, len(d.EntryPointArguments))
	for i, a := range d.EntryPointArguments {
		if a == nil {
			return nil, specErrorf("spec.jobDriver.sparkSubmitJobDriver.entryPointArguments[%d]: null", i)
		}
		args = append(args, *a)
	}
	in.JobDriver = &types.JobDriver{SparkSubmitJobDriver: &types.SparkSubmitJobDriver{
		EntryPoint: d.EntryPoint, EntryPointArguments: args, SparkSubmitParameters: d.SparkSubmitParameters}}
	if spec.ConfigurationOverrides != nil {
		co, err := ParseConfigurationOverrides(*spec.ConfigurationOverrides)
		if err != nil {
			return nil, err
		}
		in.ConfigurationOverrides = co
	}
	return in, nil
}

// CreateVirtualClusterInput is the request a VirtualCluster's spec makes;
// clientToken makes it idempotent. The namespace defaults to "default" and
// the type to EKS, as with ACK.
func CreateVirtualClusterInput(spec VirtualClusterSpec, clientToken string) (*emrcontainers.CreateVirtualClusterInput, error) {
	if spec.Name == nil {
		return nil, specErrorf("spec.name: required")
	}
	p := spec.ContainerProvider
	if p == nil || p.ID == nil {
		return nil, specErrorf("spec.containerProvider.id: required")
	}
	typ := types.ContainerProviderTypeEks
	if p.Type != nil {
		typ = types.ContainerProviderType(*p.Type)
	}
	ns := "default"
	if p.Info != nil && p.Info.EKSInfo != nil && p.Info.EKSInfo.Namespace != nil {
		ns = *p.Info.EKSInfo.Namespace
	}
	return &emrcontainers.CreateVirtualClusterInput{
		Name:        spec.Name,
		ClientToken: aws.String(clientToken),
		ContainerProvider: &types.ContainerProvider{Id: p.ID, Type: typ,
			Info: &types.ContainerInfoMemberEksInfo{Value: types.EksInfo{Namespace: aws.String(ns)}}},
		Tags: stringMap(spec.Tags),
	}, nil
}

// stringMap drops the nulls of m (a tag without a value is "").
func stringMap(m map[string]*string) map[string]string {
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = aws.ToString(v)
	}
	return out
}

// virtualClusterOfARN is the virtual cluster id in a job run's ARN
// (arn:<p>:emr-containers:<region>:<account>:/virtualclusters/<vc>/jobruns/<id>).
func virtualClusterOfARN(arn string) string {
	_, rest, ok := strings.Cut(arn, ":/virtualclusters/")
	if !ok {
		return ""
	}
	vc, _, _ := strings.Cut(rest, "/")
	return vc
}
