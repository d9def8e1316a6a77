package emr

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"
)

// JobTemplate holds the StartJobRun values a team fixes once and shares:
// job runs started from it take their role, release label and job driver
// from it, with ${Name} placeholders filled from jobTemplateParameters
// (see Resolve). Templates are immutable: there is no update operation.
type JobTemplate struct {
	Name            string            `json:"name"`
	ID              string            `json:"id"`
	ARN             string            `json:"arn"`
	CreatedAt       time.Time         `json:"createdAt"`
	CreatedBy       string            `json:"createdBy,omitempty"`
	Tags            map[string]string `json:"tags,omitempty"`
	JobTemplateData JobTemplateData   `json:"jobTemplateData"`
	KMSKeyARN       string            `json:"kmsKeyArn,omitempty"`
}

// JobTemplateData is the part of a template that becomes a job run.
type JobTemplateData struct {
	ExecutionRoleARN       string                                    `json:"executionRoleArn"`
	ReleaseLabel           string                                    `json:"releaseLabel"`
	ConfigurationOverrides *ParametricConfigurationOverrides         `json:"configurationOverrides,omitempty"`
	JobDriver              *JobDriver                                `json:"jobDriver"`
	ParameterConfiguration map[string]TemplateParameterConfiguration `json:"parameterConfiguration,omitempty"`
	JobTags                map[string]string                         `json:"jobTags,omitempty"`
}

// ParametricConfigurationOverrides are ConfigurationOverrides whose
// monitoring fields may hold placeholders.
type ParametricConfigurationOverrides struct {
	ApplicationConfiguration []Configuration                    `json:"applicationConfiguration,omitempty"`
	MonitoringConfiguration  *ParametricMonitoringConfiguration `json:"monitoringConfiguration,omitempty"`
}

// ParametricMonitoringConfiguration is the subset of MonitoringConfiguration
// a template may set, each field possibly a placeholder.
type ParametricMonitoringConfiguration struct {
	PersistentAppUI                   string                                       `json:"persistentAppUI,omitempty"`
	CloudWatchMonitoringConfiguration *ParametricCloudWatchMonitoringConfiguration `json:"cloudWatchMonitoringConfiguration,omitempty"`
	S3MonitoringConfiguration         *ParametricS3MonitoringConfiguration         `json:"s3MonitoringConfiguration,omitempty"`
}

// ParametricCloudWatchMonitoringConfiguration: both fields optional.
type ParametricCloudWatchMonitoringConfiguration struct {
	LogGroupName        string `json:"logGroupName,omitempty"`
	LogStreamNamePrefix string `json:"logStreamNamePrefix,omitempty"`
}

// ParametricS3MonitoringConfiguration: logUri optional.
type ParametricS3MonitoringConfiguration struct {
	LogURI string `json:"logUri,omitempty"`
}

// TemplateParameterConfiguration declares one parameter of a template.
type TemplateParameterConfiguration struct {
	Type         TemplateParameterType `json:"type,omitempty"`
	DefaultValue string                `json:"defaultValue,omitempty"`
}

// TemplateParameterType is the data type of a template parameter; an
// absent type means STRING.
type TemplateParameterType string

// Template parameter types of the model.
const (
	ParameterString TemplateParameterType = "STRING"
	ParameterNumber TemplateParameterType = "NUMBER"
)

// CreateJobTemplateRequest is the body of CreateJobTemplate.
type CreateJobTemplateRequest struct {
	Name            string            `json:"name"`
	ClientToken     string            `json:"clientToken"`
	JobTemplateData *JobTemplateData  `json:"jobTemplateData"`
	Tags            map[string]string `json:"tags"`
	KMSKeyARN       string            `json:"kmsKeyArn"`
}

// Patterns of the parametric shapes: the relaxed forms a field may take in a
// template before its placeholders are filled.
var (
	// placeholder is ${Name}, Name a TemplateParameterName.
	placeholder          = regexp.MustCompile(`\$\{([\.\-_\#A-Za-z0-9]+)\}`)
	patParametricRoleARN = regexp.MustCompile(`^(?:arn:(aws[a-zA-Z0-9-]*):iam::(\d{12})?:(role((/)|(/[\x{21}-\x{7F}]+/))[\w+=,.@-]+)|[\.\-_\#A-Za-z0-9\$\{\}]+)$`)
	patParametricRelease = regexp.MustCompile(`^(?:[\.\-_/A-Za-z0-9]+|\$\{[a-zA-Z]\w*\})$`)
	patTemplateParameter = regexp.MustCompile(`^[\.\-_/#A-Za-z0-9\$\{\}]+$`)
	patKMSKeyARNOrParam  = regexp.MustCompile(`^(?:arn:(aws[a-zA-Z0-9-]*):kms:.+:(\d{12})?:key/[(0-9a-zA-Z)-?]+|\$\{[a-zA-Z]\w*\})$`)
	patNumber            = regexp.MustCompile(`^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$`)
)

// Validate checks the request against the constraints of the model (the
// parametric shapes' relaxed patterns) and that the template can be used:
// every ${Name} it contains is declared in parameterConfiguration, every
// declared parameter is used, NUMBER defaults are numbers, and a field
// without placeholders already satisfies what StartJobRun will require of
// it. (Whether a literal release label exists is the caller's check.)
func (r *CreateJobTemplateRequest) Validate() error {
	var c checker
	if c.required("name", r.Name != "") {
		c.str("name", r.Name, 1, 64, patResourceName)
	}
	c.clientToken(r.ClientToken)
	c.tags("tags", r.Tags)
	if r.KMSKeyARN != "" {
		c.str("kmsKeyArn", r.KMSKeyARN, 3, 2048, patKMSKeyARNOrParam)
	}
	if c.required("jobTemplateData", r.JobTemplateData != nil) {
		c.jobTemplateData("jobTemplateData", r.JobTemplateData)
	}
	return c.err()
}

func (c *checker) jobTemplateData(field string, d *JobTemplateData) {
	if c.required(field+".executionRoleArn", d.ExecutionRoleARN != "") {
		c.str(field+".executionRoleArn", d.ExecutionRoleARN, 4, 2048, patParametricRoleARN)
		if !hasPlaceholder(d.ExecutionRoleARN) && patParametricRoleARN.MatchString(d.ExecutionRoleARN) {
			c.str(field+".executionRoleArn", d.ExecutionRoleARN, 20, 2048, patIAMRoleARN)
		}
	}
	if c.required(field+".releaseLabel", d.ReleaseLabel != "") {
		c.str(field+".releaseLabel", d.ReleaseLabel, 1, 64, patParametricRelease)
	}
	c.jobDriver(field+".jobDriver", d.JobDriver)
	if o := d.ConfigurationOverrides; o != nil {
		c.applicationConfiguration(field+".configurationOverrides.applicationConfiguration", o.ApplicationConfiguration)
		c.parametricMonitoring(field+".configurationOverrides.monitoringConfiguration", o.MonitoringConfiguration)
	}
	c.tags(field+".jobTags", d.JobTags)
	c.count(field+".parameterConfiguration", len(d.ParameterConfiguration), 100)
	for _, name := range slices.Sorted(maps.Keys(d.ParameterConfiguration)) {
		f := field + ".parameterConfiguration." + name
		c.str(field+".parameterConfiguration.key", name, 1, 512, patTemplateParam)
		p := d.ParameterConfiguration[name]
		switch p.Type {
		case "", ParameterString, ParameterNumber:
		default:
			c.fail(f+".type", "Member must satisfy enum value set: [NUMBER, STRING]")
		}
		if p.DefaultValue != "" {
			c.str(f+".defaultValue", p.DefaultValue, 1, 1024, patNonBlank)
			if p.Type == ParameterNumber && !patNumber.MatchString(p.DefaultValue) {
				c.fail(f+".defaultValue", "Parameter %s is a NUMBER but its default value %q is not a number", name, p.DefaultValue)
			}
		}
	}
	c.placeholders(field, d)
}

func (c *checker) parametricMonitoring(field string, m *ParametricMonitoringConfiguration) {
	if m == nil {
		return
	}
	if m.PersistentAppUI != "" {
		c.str(field+".persistentAppUI", m.PersistentAppUI, 1, 512, patTemplateParameter)
		if !hasPlaceholder(m.PersistentAppUI) && m.PersistentAppUI != "ENABLED" && m.PersistentAppUI != "DISABLED" {
			c.fail(field+".persistentAppUI", "Member must satisfy enum value set: [ENABLED, DISABLED] or be a ${Parameter}")
		}
	}
	if cw := m.CloudWatchMonitoringConfiguration; cw != nil {
		f := field + ".cloudWatchMonitoringConfiguration"
		if cw.LogGroupName != "" {
			c.str(f+".logGroupName", cw.LogGroupName, 1, 512, patTemplateParameter)
		}
		if cw.LogStreamNamePrefix != "" {
			c.str(f+".logStreamNamePrefix", cw.LogStreamNamePrefix, 1, 256, patNonBlank)
		}
	}
	if s3 := m.S3MonitoringConfiguration; s3 != nil && s3.LogURI != "" {
		c.str(field+".s3MonitoringConfiguration.logUri", s3.LogURI, 1, 10280, patS3LogURI)
	}
}

// placeholders checks that the ${Name}s of d and its declared parameters
// are the same set.
func (c *checker) placeholders(field string, d *JobTemplateData) {
	used := map[string]bool{}
	d.eachString(func(f string, s *string) {
		for _, name := range placeholderNames(*s) {
			used[name] = true
			if _, ok := d.ParameterConfiguration[name]; !ok {
				c.fail(field+"."+f, "${%s} is not declared in jobTemplateData.parameterConfiguration", name)
			}
		}
	})
	for _, name := range slices.Sorted(maps.Keys(d.ParameterConfiguration)) {
		if !used[name] {
			c.fail(field+".parameterConfiguration."+name, "Parameter %s is declared but ${%s} appears in no value of jobTemplateData", name, name)
		}
	}
}

func hasPlaceholder(s string) bool { return strings.Contains(s, "${") && placeholder.MatchString(s) }

// placeholderNames returns the parameter names s refers to, in order.
func placeholderNames(s string) []string {
	var out []string
	for _, m := range placeholder.FindAllStringSubmatch(s, -1) {
		out = append(out, m[1])
	}
	return out
}

// eachString calls fn with a pointer to every string value of d that may
// hold placeholders, and its field path: role, release label, job driver,
// configuration overrides (classifications, property values, monitoring)
// and job tag values. Map keys and parameterConfiguration are not values.
func (d *JobTemplateData) eachString(fn func(field string, s *string)) {
	fn("executionRoleArn", &d.ExecutionRoleARN)
	fn("releaseLabel", &d.ReleaseLabel)
	if jd := d.JobDriver; jd != nil {
		if s := jd.SparkSubmitJobDriver; s != nil {
			fn("jobDriver.sparkSubmitJobDriver.entryPoint", &s.EntryPoint)
			for i := range s.EntryPointArguments {
				fn(fmt.Sprintf("jobDriver.sparkSubmitJobDriver.entryPointArguments.%d", i+1), &s.EntryPointArguments[i])
			}
			fn("jobDriver.sparkSubmitJobDriver.sparkSubmitParameters", &s.SparkSubmitParameters)
		}
		if s := jd.SparkSQLJobDriver; s != nil {
			fn("jobDriver.sparkSqlJobDriver.entryPoint", &s.EntryPoint)
			fn("jobDriver.sparkSqlJobDriver.sparkSqlParameters", &s.SparkSQLParameters)
		}
	}
	if o := d.ConfigurationOverrides; o != nil {
		eachConfigString("configurationOverrides.applicationConfiguration", o.ApplicationConfiguration, fn)
		if m := o.MonitoringConfiguration; m != nil {
			const f = "configurationOverrides.monitoringConfiguration"
			fn(f+".persistentAppUI", &m.PersistentAppUI)
			if cw := m.CloudWatchMonitoringConfiguration; cw != nil {
				fn(f+".cloudWatchMonitoringConfiguration.logGroupName", &cw.LogGroupName)
				fn(f+".cloudWatchMonitoringConfiguration.logStreamNamePrefix", &cw.LogStreamNamePrefix)
			}
			if s3 := m.S3MonitoringConfiguration; s3 != nil {
				fn(f+".s3MonitoringConfiguration.logUri", &s3.LogURI)
			}
		}
	}
	eachMapValue("jobTags", d.JobTags, fn)
}

func eachConfigString(field string, cfgs []Configuration, fn func(string, *string)) {
	for i := range cfgs {
		f := fmt.Sprintf("%s.%d", field, i+1)
		fn(f+".classification", &cfgs[i].Classification)
		eachMapValue(f+".properties", cfgs[i].Properties, fn)
		eachConfigString(f+".configurations", cfgs[i].Configurations, fn)
	}
}

// eachMapValue calls fn on each value of m, in key order, and stores back
// what fn leaves in it.
func eachMapValue(field string, m map[string]string, fn func(string, *string)) {
	for _, k := range sortedKeys(m) {
		v := m[k]
		fn(field+"."+k, &v)
		m[k] = v
	}
}
