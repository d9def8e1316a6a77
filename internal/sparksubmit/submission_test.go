package sparksubmit_test

import (
	"maps"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/sparksubmit"
)

func submitRun(params string, cfgs ...emr.Configuration) *emr.JobRun {
	return &emr.JobRun{
		ID: "0000000337okspsc913",
		JobDriver: &emr.JobDriver{SparkSubmitJobDriver: &emr.SparkSubmitJobDriver{
			EntryPoint: "local:///app.py", EntryPointArguments: []string{"10", "x y"}, SparkSubmitParameters: params,
		}},
		ConfigurationOverrides: &emr.ConfigurationOverrides{ApplicationConfiguration: cfgs},
	}
}

// MustBuild calls Build and fails the test on error.
func MustBuild(tb testing.TB, run *emr.JobRun, defaults map[string]string) *sparksubmit.Submission {
	tb.Helper()
	sub, err := sparksubmit.Build(run, defaults)
	if err != nil {
		tb.Fatalf("Build() error = %v", err)
	}
	return sub
}

func TestBuildPrecedence(t *testing.T) {
	t.Parallel()
	defaults := map[string]string{"a": "runtime", "b": "runtime", "c": "runtime", "spark.executor.instances": "1"}
	keep := maps.Clone(defaults)
	run := submitRun("--conf c=param --num-executors 4 --conf spark.executor.instances=9",
		emr.Configuration{Classification: "spark-defaults", Properties: map[string]string{"b": "first", "c": "classification"}},
		emr.Configuration{Classification: "spark-env", Properties: map[string]string{"a": "ignored"},
			Configurations: []emr.Configuration{{Classification: "spark-defaults", Properties: map[string]string{"a": "nested, ignored"}}}},
		emr.Configuration{Classification: "spark-defaults", Properties: map[string]string{"b": "classification"}},
	)
	sub := MustBuild(t, run, defaults)

	wantDefaults := []sparksubmit.Property{
		{Key: "a", Value: "runtime"}, {Key: "b", Value: "classification"}, {Key: "c", Value: "classification"},
		{Key: "spark.executor.instances", Value: "1"},
	}
	if !reflect.DeepEqual(sub.Defaults, wantDefaults) {
		t.Errorf("Defaults = %v, want %v", sub.Defaults, wantDefaults)
	}
	wantEff := map[string]string{"a": "runtime", "b": "classification", "c": "param", "spark.executor.instances": "4"}
	if got := sub.Effective(); !reflect.DeepEqual(got, wantEff) {
		t.Errorf("Effective() = %v, want %v", got, wantEff)
	}
	if !reflect.DeepEqual(defaults, keep) {
		t.Errorf("Build changed the runtime defaults: %v", defaults)
	}
	if sub.SQL || sub.EntryPoint != "local:///app.py" || !reflect.DeepEqual(sub.Arguments, []string{"10", "x y"}) {
		t.Errorf("Submission = %+v, want the spark-submit driver's entry point and arguments", sub)
	}
}

func TestBuild(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		run      *emr.JobRun
		defaults map[string]string
		wantErr  string
		check    func(t *testing.T, sub *sparksubmit.Submission)
	}{
		{name: "no overrides, no defaults", run: &emr.JobRun{JobDriver: &emr.JobDriver{
			SparkSubmitJobDriver: &emr.SparkSubmitJobDriver{EntryPoint: "a.jar"}}},
			check: func(t *testing.T, sub *sparksubmit.Submission) {
				if len(sub.Defaults) != 0 || len(sub.Effective()) != 0 || sub.DefaultsFile() != "" {
					t.Errorf("Submission = %+v, want no properties", sub)
				}
			}},
		{name: "spark sql", run: &emr.JobRun{JobDriver: &emr.JobDriver{
			SparkSQLJobDriver: &emr.SparkSQLJobDriver{EntryPoint: "s3://b/q.sql", SparkSQLParameters: "--hivevar d=1 --conf x=y"}}},
			defaults: map[string]string{"x": "d"},
			check: func(t *testing.T, sub *sparksubmit.Submission) {
				if !sub.SQL || sub.EntryPoint != "s3://b/q.sql" || sub.Arguments != nil {
					t.Errorf("Submission = %+v, want a SQL run of s3://b/q.sql", sub)
				}
				if v, _ := sub.Params.Option("--hivevar"); v != "d=1" || sub.Effective()["x"] != "y" {
					t.Errorf("Params = %+v", sub.Params)
				}
			}},
		{name: "no jobDriver", run: &emr.JobRun{}, wantErr: "no jobDriver"},
		{name: "empty jobDriver", run: &emr.JobRun{JobDriver: &emr.JobDriver{}}, wantErr: "neither sparkSubmitJobDriver nor sparkSqlJobDriver"},
		{name: "bad submit parameters", run: submitRun("app.jar"), wantErr: "sparkSubmitParameters: unexpected word"},
		{name: "sql option in submit", run: submitRun("--hivevar a=b"), wantErr: "sparkSubmitParameters: unknown"},
		{name: "bad sql parameters", run: &emr.JobRun{JobDriver: &emr.JobDriver{
			SparkSQLJobDriver: &emr.SparkSQLJobDriver{SparkSQLParameters: "-e 'select 1'"}}}, wantErr: "sparkSqlParameters: unknown"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sub, err := sparksubmit.Build(tc.run, tc.defaults)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Build() error = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Build() error = %v", err)
			}
			tc.check(t, sub)
		})
	}
}

// loadProperties reads a file the way java.util.Properties.load does and
// then trims values as Spark's Utils.getPropertiesFromFile does.
func loadProperties(tb testing.TB, file string) map[string]string {
	tb.Helper()
	isBlank := func(c byte) bool { return c == ' ' || c == '\t' || c == '\f' }
	out := map[string]string{}
	lines := strings.FieldsFunc(strings.ReplaceAll(file, "\r\n", "\n"), func(r rune) bool { return r == '\n' || r == '\r' })
	for i := 0; i < len(lines); i++ {
		line := strings.TrimLeft(lines[i], " \t\f")
		if line == "" || line[0] == '#' || line[0] == '!' {
			continue
		}
		for trailing := len(line) - len(strings.TrimRight(line, `\`)); trailing%2 == 1 && i+1 < len(lines); {
			i++
			line = line[:len(line)-1] + strings.TrimLeft(lines[i], " \t\f")
			trailing = len(line) - len(strings.TrimRight(line, `\`))
		}
		// The key ends at the first unescaped blank, '=' or ':'.
		k := 0
		for ; k < len(line) && !isBlank(line[k]) && line[k] != '=' && line[k] != ':'; k++ {
			if line[k] == '\\' {
				k++
			}
		}
		key, v := line[:min(k, len(line))], line[min(k, len(line)):]
		v = strings.TrimLeft(v, " \t\f")
		if v != "" && (v[0] == '=' || v[0] == ':') {
			v = strings.TrimLeft(v[1:], " \t\f")
		}
		out[unescapeProperty(tb, key)] = strings.TrimFunc(unescapeProperty(tb, v), func(r rune) bool { return r <= ' ' && r != '\n' && r != '\r' })
	}
	return out
}

func unescapeProperty(tb testing.TB, s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' || i+1 == len(s) {
			b.WriteByte(s[i])
			continue
		}
		i++
		switch s[i] {
		case 't':
			b.WriteByte('\t')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 'f':
			b.WriteByte('\f')
		case 'u':
			n, err := strconv.ParseUint(s[i+1:i+5], 16, 16)
			if err != nil {
				tb.Fatalf("bad \\u escape in %q", s)
			}
			b.WriteRune(rune(n))
			i += 4
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

func TestDefaultsFile(t *testing.T) {
	t.Parallel()
	t.Run("sorted, one line each", func(t *testing.T) {
		t.Parallel()
		sub := MustBuild(t, submitRun("", emr.Configuration{Classification: "spark-defaults",
			Properties: map[string]string{"spark.b": "2", "spark.a": "1 and more"}}), map[string]string{"spark.c": "3"})
		want := "spark.a 1 and more\nspark.b 2\nspark.c 3\n"
		if got := sub.DefaultsFile(); got != want {
			t.Errorf("DefaultsFile() = %q, want %q", got, want)
		}
	})
	t.Run("escaped for java.util.Properties", func(t *testing.T) {
		t.Parallel()
		props := map[string]string{
			"spark.sql.redaction.string.regex":     `(?i)secret|\d{4}\\`,
			"spark.driver.extraJavaOptions":        "-Dlog4j.configuration=file:/x -Dy=a:b",
			"spark.multi.line":                     "line1\nline2\r\nline3",
			"spark.injection":                      "x\rspark.master local[64]",
			"spark.continuation":                   `ends with \`,
			"spark.unicode":                        `日本 é \u0041`,
			"spark.tab\tkey=with:odd #chars! and ": "v",
			"#comment.like":                        "!value",
			"spark.inner.blanks":                   "a  \t b",
			"spark.empty":                          "",
		}
		sub := MustBuild(t, submitRun(""), props)
		file := sub.DefaultsFile()
		if got := loadProperties(t, file); !reflect.DeepEqual(got, props) {
			t.Errorf("Properties.load(DefaultsFile()) =\n%q\nwant\n%q\nfile:\n%s", got, props, file)
		}
		if n := strings.Count(file, "\n"); n != len(props) {
			t.Errorf("DefaultsFile() has %d lines, want %d:\n%s", n, len(props), file)
		}
	})
}

func TestIntProp(t *testing.T) {
	t.Parallel()
	eff := map[string]string{"n": "4", "padded": " 8 ", "zero": "0", "plus": "+3", "blank": "  ",
		"neg": "-1", "unit": "2g", "float": "1.5", "huge": "99999999999999999999"}
	tests := []struct {
		key     string
		want    int
		wantErr bool
	}{
		{"n", 4, false}, {"padded", 8, false}, {"zero", 0, false}, {"plus", 3, false},
		{"absent", 7, false}, {"blank", 7, false},
		{"neg", 0, true}, {"unit", 0, true}, {"float", 0, true}, {"huge", 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.key, func(t *testing.T) {
			t.Parallel()
			got, err := sparksubmit.IntProp(eff, tc.key, 7)
			if tc.wantErr {
				if err == nil || !strings.Contains(err.Error(), tc.key+"=") {
					t.Fatalf("IntProp(%q) = %d, %v; want an error naming the property", tc.key, got, err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("IntProp(%q) = %d, %v; want %d", tc.key, got, err, tc.want)
			}
		})
	}
}

func TestEscapePropertyBothWays(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		in   string
		key  bool
		e    sparksubmit.Escaping
		want string
	}{
		{"http://h:1/a=b#c!", false, sparksubmit.Minimal, "http://h:1/a=b#c!"},
		{"http://h:1/a=b#c!", false, sparksubmit.AsStore, `http\://h\:1/a\=b\#c\!`},
		{"k=v:w", true, sparksubmit.Minimal, `k\=v\:w`},
		{" lead and\ttab\\", false, sparksubmit.AsStore, `\ lead and\ttab\\`},
	} {
		if got := sparksubmit.EscapeProperty(c.in, c.key, c.e); got != c.want {
			t.Errorf("EscapeProperty(%q, key=%v, %v) = %q, want %q", c.in, c.key, c.e, got, c.want)
		}
		if back := unescapeProperty(t, c.want); back != c.in {
			t.Errorf("%q reads back as %q, want %q", c.want, back, c.in)
		}
	}
}
