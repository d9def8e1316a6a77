package sparksubmit

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/sparkplane/sparkplane/internal/emr"
)

// SQLDriverClass is the main class spark-sql runs.
const SQLDriverClass = "org.apache.spark.sql.hive.thriftserver.SparkSQLCLIDriver"

// Submission is what a runtime hands to spark-submit for one job run.
type Submission struct {
	// Defaults is the content of spark-defaults.conf: the runtime's defaults
	// overridden by the spark-defaults classification, sorted by key.
	Defaults []Property
	// Params are the parsed sparkSubmitParameters / sparkSqlParameters.
	Params Params
	// EntryPoint is the application (jar, .py, or SQL file) as given.
	EntryPoint string
	// Arguments are the application's arguments.
	Arguments []string
	// SQL is set for a sparkSqlJobDriver run.
	SQL bool
}

// Build derives the submission of run. defaults are the runtime's own Spark
// properties, the lowest precedence. An error means the run's request cannot
// be submitted as given (a VALIDATION_ERROR).
func Build(run *emr.JobRun, defaults map[string]string) (*Submission, error) {
	if run.JobDriver == nil {
		return nil, fmt.Errorf("job run has no jobDriver")
	}
	sub := &Submission{}
	var params, field string
	switch d := run.JobDriver; {
	case d.SparkSubmitJobDriver != nil:
		sub.EntryPoint = d.SparkSubmitJobDriver.EntryPoint
		sub.Arguments = d.SparkSubmitJobDriver.EntryPointArguments
		params, field = d.SparkSubmitJobDriver.SparkSubmitParameters, "sparkSubmitParameters"
	case d.SparkSQLJobDriver != nil:
		sub.SQL = true
		sub.EntryPoint = d.SparkSQLJobDriver.EntryPoint
		params, field = d.SparkSQLJobDriver.SparkSQLParameters, "sparkSqlParameters"
	default:
		return nil, fmt.Errorf("jobDriver has neither sparkSubmitJobDriver nor sparkSqlJobDriver")
	}
	p, err := ParseParams(params, sub.SQL)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", field, err)
	}
	sub.Params = p

	merged := make(map[string]string, len(defaults))
	for k, v := range defaults {
		merged[k] = v
	}
	for k, v := range run.ConfigurationOverrides.Classification("spark-defaults") {
		merged[k] = v
	}
	sub.Defaults = sorted(merged)
	return sub, nil
}

// Effective returns every Spark property as spark-submit will see it:
// spark-defaults.conf overridden by the parameters.
func (s *Submission) Effective() map[string]string {
	eff := make(map[string]string, len(s.Defaults)+len(s.Params.Conf))
	for _, p := range s.Defaults {
		eff[p.Key] = p.Value
	}
	for _, p := range s.Params.Properties() {
		eff[p.Key] = p.Value
	}
	return eff
}

// DefaultsFile renders Defaults in the spark-defaults.conf format: one
// "key value" line per property, escaped so that java.util.Properties, which
// Spark reads the file with (as UTF-8), gives back every key and value as it
// is. Spark trims blanks around a value, so those alone are not kept.
func (s *Submission) DefaultsFile() string {
	var b strings.Builder
	for _, p := range s.Defaults {
		b.WriteString(EscapeProperty(p.Key, true, Minimal))
		b.WriteByte(' ')
		b.WriteString(EscapeProperty(p.Value, false, Minimal))
		b.WriteByte('\n')
	}
	return b.String()
}

// An Escaping says how a java.util.Properties key or value is escaped.
type Escaping int

const (
	// Minimal escapes what java.util.Properties must see escaped to read a
	// key or value back as it is: backslashes and line breaks always; in a
	// key, the characters that would end it or start a comment; a leading
	// blank. What a person reads in spark-defaults.conf.
	Minimal Escaping = iota
	// AsStore escapes as Properties.store(Writer) does (saveConvert without
	// Unicode escapes): also '=', ':', '#' and '!' in values. What Spark's
	// own submission client writes into a driver's spark.properties.
	AsStore
)

// EscapeProperty returns s escaped as a key (key true) or a value of a
// java.util.Properties file, the way e says.
func EscapeProperty(s string, key bool, e Escaping) string {
	var b strings.Builder
	for i, r := range s {
		switch r {
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\f':
			b.WriteString(`\f`)
		case ' ':
			if key || i == 0 {
				b.WriteByte('\\')
			}
			b.WriteByte(' ')
		case '=', ':', '#', '!':
			if key || e == AsStore {
				b.WriteByte('\\')
			}
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// IntProp reads an integer property of eff, or def when it is absent.
func IntProp(eff map[string]string, key string, def int) (int, error) {
	v, ok := eff[key]
	if !ok || strings.TrimSpace(v) == "" {
		return def, nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%s=%q is not a non-negative whole number", key, v)
	}
	return n, nil
}

func sorted(m map[string]string) []Property {
	props := make([]Property, 0, len(m))
	for k, v := range m {
		props = append(props, Property{Key: k, Value: v})
	}
	sort.Slice(props, func(i, j int) bool { return props[i].Key < props[j].Key })
	return props
}
