package emr

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"
)

// Patterns of the service model (RE2 spellings of the model's regexes).
var (
	patResourceName  = regexp.MustCompile(`^[\.\-_/#A-Za-z0-9]+$`)
	patResourceID    = regexp.MustCompile(`^[0-9a-z]+$`)
	patNonBlank      = regexp.MustCompile(`(?s)^.*\S.*$`)
	patIAMRoleARN    = regexp.MustCompile(`^arn:(aws[a-zA-Z0-9-]*):iam::(\d{12})?:(role((/)|(/[\x{21}-\x{7F}]+/))[\w+=,.@-]+)$`)
	patReleaseLabel  = regexp.MustCompile(`^[\.\-_/A-Za-z0-9]+$`)
	patClusterID     = regexp.MustCompile(`^[0-9A-Za-z][A-Za-z0-9\-_]*$`)
	patNamespace     = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
	patNodeLabel     = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$`)
	patTemplateParam = regexp.MustCompile(`^[\.\-_\#A-Za-z0-9]+$`)
	patLogGroupName  = regexp.MustCompile(`^[\.\-_/#A-Za-z0-9]+$`)
	patRotationSize  = regexp.MustCompile(`^\d+(\.\d+)?[KMG][Bb]?$`)
	patKMSKeyARN     = regexp.MustCompile(`^arn:(aws[a-zA-Z0-9-]*):kms:.+:(\d{12})?:key/[(0-9a-zA-Z)-?]+$`)
	patS3LogURI      = regexp.MustCompile(`^[\x{0020}-\x{D7FF}\x{E000}-\x{FFFD}\r\n\t]*$`)
)

// checker collects the constraint violations of one request, in the words
// AWS's own validation layer uses, so a message names every field at fault.
type checker struct{ errs []string }

func (c *checker) fail(field, format string, args ...any) {
	c.errs = append(c.errs, fmt.Sprintf("Value at '%s' failed to satisfy constraint: %s", field, fmt.Sprintf(format, args...)))
}

func (c *checker) required(field string, present bool) bool {
	if !present {
		c.errs = append(c.errs, fmt.Sprintf("Value null at '%s' failed to satisfy constraint: Member must not be null", field))
	}
	return present
}

// str checks the length (in characters) and pattern of a string member.
func (c *checker) str(field, v string, min, max int, pat *regexp.Regexp) {
	n := utf8.RuneCountInString(v)
	switch {
	case !utf8.ValidString(v):
		c.fail(field, "Member must be valid UTF-8")
	case n < min:
		c.fail(field, "Member must have length greater than or equal to %d", min)
	case n > max:
		c.fail(field, "Member must have length less than or equal to %d", max)
	case pat != nil && !pat.MatchString(v):
		c.fail(field, "Member must satisfy regular expression pattern: %s", pat.String())
	}
}

func (c *checker) count(field string, n, max int) {
	if n > max {
		c.fail(field, "Member must have length less than or equal to %d", max)
	}
}

func (c *checker) err() error {
	switch len(c.errs) {
	case 0:
		return nil
	case 1:
		return Validationf("1 validation error detected: %s", c.errs[0])
	default:
		return Validationf("%d validation errors detected: %s", len(c.errs), strings.Join(c.errs, "; "))
	}
}

// CheckID validates a path id (virtual cluster, job run, template…).
func CheckID(field, id string) error {
	var c checker
	c.str(field, id, 1, 64, patResourceID)
	return c.err()
}

func (c *checker) tags(field string, tags map[string]string) {
	c.count(field, len(tags), 50)
	for _, k := range sortedKeys(tags) {
		c.str(field+".key", k, 1, 128, patNonBlank)
		c.str(field+"."+k, tags[k], 0, 256, nil)
	}
}

// templateParameters checks a TemplateParameterInputMap.
func (c *checker) templateParameters(field string, params map[string]string) {
	c.count(field, len(params), 100)
	for _, k := range sortedKeys(params) {
		c.str(field+".key", k, 1, 512, patTemplateParam)
		c.str(field+"."+k, params[k], 1, 1024, patNonBlank)
	}
}

// sortedKeys returns the keys of m in order, so that a message listing
// several violations reads the same on every call.
func sortedKeys(m map[string]string) []string {
	return slices.Sorted(maps.Keys(m))
}

func (c *checker) clientToken(v string) {
	if c.required("clientToken", v != "") {
		c.str("clientToken", v, 1, 64, patNonBlank)
	}
}

func (c *checker) configurations(field string, cfgs []Configuration, depth int) {
	c.count(field, len(cfgs), 100)
	if len(cfgs) > 0 && depth > 8 {
		c.fail(field, "Member must not nest configurations more than 8 levels deep")
		return
	}
	for i, cfg := range cfgs {
		f := fmt.Sprintf("%s.%d", field, i+1)
		if c.required(f+".classification", cfg.Classification != "") {
			c.str(f+".classification", cfg.Classification, 1, 1024, patNonBlank)
		}
		c.count(f+".properties", len(cfg.Properties), 100)
		for _, k := range sortedKeys(cfg.Properties) {
			c.str(f+".properties.key", k, 1, 1024, patNonBlank)
			c.str(f+".properties."+k, cfg.Properties[k], 1, 1024, patNonBlank)
		}
		c.configurations(f+".configurations", cfg.Configurations, depth+1)
	}
}

func (c *checker) monitoring(field string, m *MonitoringConfiguration) {
	if m == nil {
		return
	}
	switch m.PersistentAppUI {
	case "", "ENABLED", "DISABLED":
	default:
		c.fail(field+".persistentAppUI", "Member must satisfy enum value set: [ENABLED, DISABLED]")
	}
	if cw := m.CloudWatchMonitoringConfiguration; cw != nil {
		f := field + ".cloudWatchMonitoringConfiguration"
		if c.required(f+".logGroupName", cw.LogGroupName != "") {
			c.str(f+".logGroupName", cw.LogGroupName, 1, 512, patLogGroupName)
		}
		if cw.LogStreamNamePrefix != "" {
			c.str(f+".logStreamNamePrefix", cw.LogStreamNamePrefix, 1, 256, patNonBlank)
		}
	}
	if s3 := m.S3MonitoringConfiguration; s3 != nil {
		f := field + ".s3MonitoringConfiguration"
		if c.required(f+".logUri", s3.LogURI != "") {
			c.str(f+".logUri", s3.LogURI, 1, 10280, patS3LogURI)
		}
		if s3.EncryptionKeyARN != "" {
			c.str(f+".encryptionKeyArn", s3.EncryptionKeyARN, 3, 2048, patKMSKeyARN)
		}
	}
	if r := m.ContainerLogRotationConfiguration; r != nil {
		f := field + ".containerLogRotationConfiguration"
		c.str(f+".rotationSize", r.RotationSize, 3, 12, patRotationSize)
		if r.MaxFilesToKeep < 1 || r.MaxFilesToKeep > 50 {
			c.fail(f+".maxFilesToKeep", "Member must have value between 1 and 50")
		}
	}
	if ml := m.ManagedLogs; ml != nil {
		switch ml.AllowAWSToRetainLogs {
		case "", "ENABLED", "DISABLED":
		default:
			c.fail(field+".managedLogs.allowAWSToRetainLogs", "Member must satisfy enum value set: [ENABLED, DISABLED]")
		}
		if ml.EncryptionKeyARN != "" {
			c.str(field+".managedLogs.encryptionKeyArn", ml.EncryptionKeyARN, 3, 2048, patKMSKeyARN)
		}
	}
}

// jobDriver checks a JobDriver at field (jobDriver, or
// jobTemplateData.jobDriver in a template).
func (c *checker) jobDriver(field string, d *JobDriver) {
	if !c.required(field, d != nil) {
		return
	}
	switch {
	case d.SparkSubmitJobDriver != nil && d.SparkSQLJobDriver != nil:
		c.fail(field, "Member must have exactly one of sparkSubmitJobDriver, sparkSqlJobDriver")
	case d.SparkSubmitJobDriver != nil:
		s := d.SparkSubmitJobDriver
		f := field + ".sparkSubmitJobDriver"
		if c.required(f+".entryPoint", s.EntryPoint != "") {
			c.str(f+".entryPoint", s.EntryPoint, 1, 256, patNonBlank)
		}
		c.entryPointArguments(f+".entryPointArguments", s.EntryPointArguments)
		for i, a := range s.EntryPointArguments {
			c.str(fmt.Sprintf("%s.entryPointArguments.%d", f, i+1), a, 1, 10280, patNonBlank)
		}
		if s.SparkSubmitParameters != "" {
			c.str(f+".sparkSubmitParameters", s.SparkSubmitParameters, 1, 102400, patNonBlank)
		}
	case d.SparkSQLJobDriver != nil:
		s := d.SparkSQLJobDriver
		f := field + ".sparkSqlJobDriver"
		if s.EntryPoint != "" {
			c.str(f+".entryPoint", s.EntryPoint, 1, 256, patNonBlank)
		}
		if s.SparkSQLParameters != "" {
			c.str(f+".sparkSqlParameters", s.SparkSQLParameters, 1, 102400, patNonBlank)
		}
	default:
		c.fail(field, "Member must have exactly one of sparkSubmitJobDriver, sparkSqlJobDriver")
	}
}

// CheckName validates a resource name (ResourceNameString).
func CheckName(field, name string) error {
	var c checker
	c.str(field, name, 1, 64, patResourceName)
	return c.err()
}
