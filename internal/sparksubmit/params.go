package sparksubmit

import (
	"fmt"
	"strings"
)

// Property is one Spark configuration property.
type Property struct{ Key, Value string }

// Option is one spark-submit option other than --conf, as given.
type Option struct {
	Name  string // with its dashes, e.g. "--class"
	Value string // empty for flags such as --verbose
}

// Params are parsed sparkSubmitParameters (or sparkSqlParameters).
type Params struct {
	Conf    []Property // --conf k=v, in order given
	Options []Option   // every other option, in order given
}

// optionConf maps the spark-submit options that are shorthands for a Spark
// property to that property.
var optionConf = map[string]string{
	"--name":                 "spark.app.name",
	"--driver-memory":        "spark.driver.memory",
	"--driver-cores":         "spark.driver.cores",
	"--executor-memory":      "spark.executor.memory",
	"--executor-cores":       "spark.executor.cores",
	"--num-executors":        "spark.executor.instances",
	"--jars":                 "spark.jars",
	"--packages":             "spark.jars.packages",
	"--exclude-packages":     "spark.jars.excludes",
	"--repositories":         "spark.jars.repositories",
	"--py-files":             "spark.submit.pyFiles",
	"--files":                "spark.files",
	"--archives":             "spark.archives",
	"--driver-java-options":  "spark.driver.extraJavaOptions",
	"--driver-library-path":  "spark.driver.extraLibraryPath",
	"--driver-class-path":    "spark.driver.extraClassPath",
	"--total-executor-cores": "spark.cores.max",
	"--queue":                "spark.yarn.queue",
	"--proxy-user":           "",
	"--principal":            "spark.kerberos.principal",
	"--keytab":               "spark.kerberos.keytab",
	"--master":               "spark.master",
	"--deploy-mode":          "spark.submit.deployMode",
	"--class":                "",
	"--properties-file":      "", // refused: it would replace the generated spark-defaults.conf
}

// flagOptions are spark-submit options that take no value.
var flagOptions = map[string]bool{"--verbose": true, "-v": true, "--supervise": true}

// SQL-only options (spark-sql): --hivevar k=v, --hiveconf k=v, --database, -d/-e/-f are not allowed
// because EMR gives the SQL file as the entry point.
var sqlOptions = map[string]bool{"--hivevar": true, "--hiveconf": true, "--database": true, "--define": true}

// ParseParams parses spark-submit parameters. sql allows the spark-sql
// options (--hivevar, --hiveconf, --database, --define). The entry point and
// its arguments are not part of the parameters, so a word that is not an
// option is an error.
func ParseParams(s string, sql bool) (Params, error) {
	var p Params
	words, err := SplitWords(s)
	if err != nil {
		return p, err
	}
	for i := 0; i < len(words); i++ {
		w := words[i]
		// Like spark-submit, split only long options: --conf=k=v, not -c=k=v.
		name, value, hasValue := w, "", false
		if n, v, ok := strings.Cut(w, "="); ok && strings.HasPrefix(w, "--") {
			name, value, hasValue = n, v, true
		}
		if !strings.HasPrefix(w, "-") {
			return p, fmt.Errorf("unexpected word %q: parameters hold options only; give the application in entryPoint and its arguments in entryPointArguments", w)
		}
		if flagOptions[w] {
			p.Options = append(p.Options, Option{Name: w})
			continue
		}
		_, shorthand := optionConf[name]
		isConf := name == "--conf" || name == "-c"
		if !isConf && !shorthand && !(sql && sqlOptions[name]) {
			return p, fmt.Errorf("unknown spark-submit option %s", name)
		}
		if name == "--properties-file" {
			return p, fmt.Errorf("--properties-file would replace the run's spark-defaults.conf; give the properties in the spark-defaults classification of configurationOverrides instead")
		}
		if !hasValue {
			if i+1 >= len(words) {
				return p, fmt.Errorf("option %s needs a value", w)
			}
			i++
			value = words[i]
		}
		if !isConf {
			p.Options = append(p.Options, Option{Name: name, Value: value})
			continue
		}
		k, v, ok := strings.Cut(value, "=")
		if !ok || strings.TrimSpace(k) == "" {
			return p, fmt.Errorf("--conf %q is not of the form key=value", value)
		}
		p.Conf = append(p.Conf, Property{Key: k, Value: v})
	}
	return p, nil
}

// Properties returns every Spark property the parameters set, --conf and
// shorthand options alike, in the order in which a later one wins: as in
// spark-submit, a shorthand option such as --num-executors beats a --conf of
// the same property wherever either stands, and among several --conf (or
// several of the same option) the last one wins.
func (p Params) Properties() []Property {
	props := append([]Property(nil), p.Conf...)
	for _, o := range p.Options {
		if k := optionConf[o.Name]; k != "" {
			props = append(props, Property{Key: k, Value: o.Value})
		}
	}
	return props
}

// Option returns the value of the last occurrence of option name, if any.
func (p Params) Option(name string) (string, bool) {
	for i := len(p.Options) - 1; i >= 0; i-- {
		if p.Options[i].Name == name {
			return p.Options[i].Value, true
		}
	}
	return "", false
}
