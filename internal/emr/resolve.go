package emr

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Resolve returns the StartJobRun request that starting a job run from
// template t with req amounts to, validated as a StartJobRun without a
// template. req must have passed Validate.
//
// Parameters: every ${Name} in a string value of jobTemplateData (a
// substring or the whole value; one pass, so a value that itself contains
// ${...} is not expanded again) takes jobTemplateParameters[Name], else the
// parameter's defaultValue. A parameter with neither, a supplied parameter
// the template does not declare or use, and a NUMBER parameter whose value
// is not a number are ValidationExceptions naming the parameter.
//
// Merge rule, field by field:
//   - executionRoleArn, releaseLabel, jobDriver: from the template only (a
//     request that also sends them is refused by Validate);
//   - configurationOverrides: the request's are merged under the template's.
//     applicationConfiguration merges by classification, recursively through
//     nested configurations, and for a property both set the template's value
//     wins; monitoringConfiguration takes each field the template sets
//     (persistentAppUI, cloudWatch logGroupName and logStreamNamePrefix, s3
//     logUri) over the request's, and the rest from the request;
//   - tags: the template's jobTags, then the request's tags over them (the
//     request wins for a key both set);
//   - name, retryPolicyConfiguration, clientToken: from the request.
func (t *JobTemplate) Resolve(req *StartJobRunRequest) (*StartJobRunRequest, error) {
	data, err := t.substitute(req.JobTemplateParameters)
	if err != nil {
		return nil, err
	}
	out := &StartJobRunRequest{
		Name:                     req.Name,
		ClientToken:              req.ClientToken,
		ExecutionRoleARN:         data.ExecutionRoleARN,
		ReleaseLabel:             data.ReleaseLabel,
		JobDriver:                data.JobDriver,
		ConfigurationOverrides:   mergeOverrides(data.ConfigurationOverrides, req.ConfigurationOverrides),
		Tags:                     mergeTags(data.JobTags, req.Tags),
		RetryPolicyConfiguration: req.RetryPolicyConfiguration,
	}
	if err := out.Validate(); err != nil {
		return nil, t.Explain(err)
	}
	return out, nil
}

// Explain adds to the message of an *Error about the resolved request of a
// run of t where its values came from; other errors are returned as they are.
func (t *JobTemplate) Explain(err error) error {
	var e *Error
	if !errors.As(err, &e) {
		return err
	}
	return &Error{Code: e.Code, Message: fmt.Sprintf("%s (in the job run of job template %s, with its parameters substituted and merged with the request)", e.Message, t.ID)}
}

// substitute returns a copy of the template's data with every placeholder
// replaced by its value.
func (t *JobTemplate) substitute(supplied map[string]string) (*JobTemplateData, error) {
	data, err := cloneData(&t.JobTemplateData)
	if err != nil {
		return nil, err
	}
	used := map[string]bool{}
	data.eachString(func(_ string, s *string) {
		for _, n := range placeholderNames(*s) {
			used[n] = true
		}
	})
	declared := data.ParameterConfiguration
	var c checker
	for _, name := range sortedKeys(supplied) {
		_, ok := declared[name]
		switch {
		case !ok:
			c.fail("jobTemplateParameters."+name, "Job template %s has no parameter %s (its parameters: %s)", t.ID, name, listOrNone(slices.Sorted(maps.Keys(declared))))
		case !used[name]:
			c.fail("jobTemplateParameters."+name, "Job template %s declares parameter %s but uses ${%s} nowhere", t.ID, name, name)
		}
	}
	values := map[string]string{}
	for _, name := range slices.Sorted(maps.Keys(used)) {
		p := declared[name]
		v, ok := supplied[name]
		if !ok {
			v = p.DefaultValue
		}
		switch {
		case v == "":
			c.fail("jobTemplateParameters."+name, "Job template %s needs a value for parameter %s, which has no defaultValue", t.ID, name)
		case p.Type == ParameterNumber && !patNumber.MatchString(v):
			c.fail("jobTemplateParameters."+name, "Parameter %s of job template %s is a NUMBER, and %q is not a number", name, t.ID, v)
		}
		values[name] = v
	}
	if err := c.err(); err != nil {
		return nil, err
	}
	size := 0
	data.eachString(func(_ string, s *string) {
		size += len(*s)
		for _, m := range placeholder.FindAllString(*s, -1) {
			size += len(values[m[2:len(m)-1]]) - len(m)
		}
	})
	if err := checkResolvedSize(size, t.ID); err != nil {
		return nil, err
	}
	data.eachString(func(_ string, s *string) {
		if strings.Contains(*s, "${") {
			*s = placeholder.ReplaceAllStringFunc(*s, func(m string) string { return values[m[2:len(m)-1]] })
		}
	})
	return data, nil
}

func listOrNone(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

// cloneData deep-copies d.
func cloneData(d *JobTemplateData) (*JobTemplateData, error) {
	b, err := json.Marshal(d)
	if err != nil {
		return nil, fmt.Errorf("copy job template data: %w", err)
	}
	var out JobTemplateData
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("copy job template data: %w", err)
	}
	return &out, nil
}

// mergeOverrides puts the template's (substituted) overrides over the
// request's; either may be nil.
func mergeOverrides(tmpl *ParametricConfigurationOverrides, req *ConfigurationOverrides) *ConfigurationOverrides {
	var out ConfigurationOverrides
	var under []Configuration
	if req != nil {
		under = req.ApplicationConfiguration
		if m := req.MonitoringConfiguration; m != nil {
			c := *m
			out.MonitoringConfiguration = &c
		}
	}
	var over []Configuration
	if tmpl != nil {
		over = tmpl.ApplicationConfiguration
		out.MonitoringConfiguration = mergeMonitoring(tmpl.MonitoringConfiguration, out.MonitoringConfiguration)
	}
	out.ApplicationConfiguration = mergeConfigurations(under, over)
	if out.ApplicationConfiguration == nil && out.MonitoringConfiguration == nil {
		return nil
	}
	return &out
}

// mergeConfigurations merges two classification lists: over's entries
// first, in order, each with the properties and nested configurations of
// the same classification in under merged beneath it; then under's other
// classifications (a classification under repeats merges into its first
// entry, the later one winning, as ConfigurationOverrides.Classification
// reads them).
func mergeConfigurations(under, over []Configuration) []Configuration {
	if len(under) == 0 && len(over) == 0 {
		return nil
	}
	out := make([]Configuration, 0, len(over)+len(under))
	at := map[string]int{}
	fromUnder := map[int]bool{}
	for _, c := range over {
		if _, seen := at[c.Classification]; !seen {
			at[c.Classification] = len(out)
		}
		out = append(out, c)
	}
	for _, c := range under {
		i, ok := at[c.Classification]
		switch {
		case !ok:
			at[c.Classification] = len(out)
			fromUnder[len(out)] = true
			out = append(out, c)
		case fromUnder[i]:
			out[i] = overlay(out[i], c)
		default:
			out[i] = overlay(c, out[i])
		}
	}
	return out
}

// overlay returns base with top's properties and nested configurations
// merged over it.
func overlay(base, top Configuration) Configuration {
	out := Configuration{Classification: top.Classification}
	if len(base.Properties)+len(top.Properties) > 0 {
		out.Properties = maps.Clone(base.Properties)
		if out.Properties == nil {
			out.Properties = map[string]string{}
		}
		maps.Copy(out.Properties, top.Properties)
	}
	out.Configurations = mergeConfigurations(base.Configurations, top.Configurations)
	return out
}

// mergeMonitoring sets, over a copy of m (which may be nil), each field
// the template sets.
func mergeMonitoring(t *ParametricMonitoringConfiguration, m *MonitoringConfiguration) *MonitoringConfiguration {
	if t == nil {
		return m
	}
	out := MonitoringConfiguration{}
	if m != nil {
		out = *m
	}
	if t.PersistentAppUI != "" {
		out.PersistentAppUI = t.PersistentAppUI
	}
	if tcw := t.CloudWatchMonitoringConfiguration; tcw != nil && (tcw.LogGroupName != "" || tcw.LogStreamNamePrefix != "") {
		cw := CloudWatchMonitoringConfiguration{}
		if out.CloudWatchMonitoringConfiguration != nil {
			cw = *out.CloudWatchMonitoringConfiguration
		}
		if tcw.LogGroupName != "" {
			cw.LogGroupName = tcw.LogGroupName
		}
		if tcw.LogStreamNamePrefix != "" {
			cw.LogStreamNamePrefix = tcw.LogStreamNamePrefix
		}
		out.CloudWatchMonitoringConfiguration = &cw
	}
	if ts3 := t.S3MonitoringConfiguration; ts3 != nil && ts3.LogURI != "" {
		s3 := S3MonitoringConfiguration{}
		if out.S3MonitoringConfiguration != nil {
			s3 = *out.S3MonitoringConfiguration
		}
		s3.LogURI = ts3.LogURI
		out.S3MonitoringConfiguration = &s3
	}
	if out == (MonitoringConfiguration{}) {
		return nil
	}
	return &out
}

// mergeTags returns jobTags with the request's tags over them, or nil.
func mergeTags(jobTags, tags map[string]string) map[string]string {
	if len(jobTags)+len(tags) == 0 {
		return nil
	}
	out := maps.Clone(jobTags)
	if out == nil {
		out = map[string]string{}
	}
	maps.Copy(out, tags)
	return out
}
