package sparksubmit_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/sparkplane/sparkplane/internal/sparksubmit"
)

type (
	prop = sparksubmit.Property
	opt  = sparksubmit.Option
)

func TestParseParams(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		sql     bool
		want    sparksubmit.Params
		wantErr string // substring of the error; "" for none
	}{
		{name: "empty", in: ""},
		{name: "conf spellings", in: "--conf spark.a=1 --conf=spark.b=2 -c spark.c=3",
			want: sparksubmit.Params{Conf: []prop{{"spark.a", "1"}, {"spark.b", "2"}, {"spark.c", "3"}}}},
		{name: "conf value holds =", in: "--conf spark.x=a=b --conf=spark.y==",
			want: sparksubmit.Params{Conf: []prop{{"spark.x", "a=b"}, {"spark.y", "="}}}},
		{name: "conf empty value", in: "--conf spark.x=",
			want: sparksubmit.Params{Conf: []prop{{"spark.x", ""}}}},
		{name: "quoted conf", in: `--conf "spark.driver.extraJavaOptions=-Dx=1 -Dy=2"`,
			want: sparksubmit.Params{Conf: []prop{{"spark.driver.extraJavaOptions", "-Dx=1 -Dy=2"}}}},
		{name: "shorthand options", in: "--class org.X --driver-memory 2g --num-executors=3 --jars a.jar,b.jar",
			want: sparksubmit.Params{Options: []opt{{"--class", "org.X"}, {"--driver-memory", "2g"}, {"--num-executors", "3"}, {"--jars", "a.jar,b.jar"}}}},
		{name: "value that looks like an option", in: "--driver-java-options -Dfoo=bar",
			want: sparksubmit.Params{Options: []opt{{"--driver-java-options", "-Dfoo=bar"}}}},
		{name: "flags", in: "--verbose -v --supervise --name n",
			want: sparksubmit.Params{Options: []opt{{"--verbose", ""}, {"-v", ""}, {"--supervise", ""}, {"--name", "n"}}}},
		{name: "over several lines", in: "--conf a=1 \\\n  --executor-cores 2 \\\n  --conf b=2",
			want: sparksubmit.Params{Conf: []prop{{"a", "1"}, {"b", "2"}}, Options: []opt{{"--executor-cores", "2"}}}},
		{name: "sql options", in: "--hivevar a=1 --hiveconf=b=2 --database db --define c=3 --conf x=y", sql: true,
			want: sparksubmit.Params{Conf: []prop{{"x", "y"}}, Options: []opt{{"--hivevar", "a=1"}, {"--hiveconf", "b=2"}, {"--database", "db"}, {"--define", "c=3"}}}},
		{name: "submit options in sql", in: "--driver-memory 1g", sql: true,
			want: sparksubmit.Params{Options: []opt{{"--driver-memory", "1g"}}}},

		{name: "unknown option", in: "--bogus 1", wantErr: "unknown spark-submit option --bogus"},
		{name: "unknown option last", in: "--conf a=b --bogus", wantErr: "unknown spark-submit option --bogus"},
		{name: "unknown long option with =", in: "--bogus=1", wantErr: "unknown spark-submit option --bogus"},
		{name: "short option with =", in: "-c=a=b x", wantErr: "unknown spark-submit option -c=a=b"},
		{name: "flag with a value", in: "--verbose=true", wantErr: "unknown spark-submit option --verbose"},
		{name: "sql option without sql", in: "--hivevar a=1", wantErr: "unknown spark-submit option --hivevar"},
		{name: "spark-sql -e", in: "-e 'select 1'", sql: true, wantErr: "unknown spark-submit option -e"},
		{name: "positional word", in: "--class X app.jar", wantErr: `unexpected word "app.jar"`},
		{name: "positional first", in: "s3://b/app.py", wantErr: "unexpected word"},
		{name: "conf needs a value", in: "--conf", wantErr: "option --conf needs a value"},
		{name: "shorthand needs a value", in: "--conf a=b --driver-memory", wantErr: "option --driver-memory needs a value"},
		{name: "-c needs a value", in: "-c", wantErr: "option -c needs a value"},
		{name: "conf without =", in: "--conf spark.x", wantErr: "not of the form key=value"},
		{name: "conf= empty", in: "--conf=", wantErr: "not of the form key=value"},
		{name: "conf empty key", in: "--conf =v", wantErr: "not of the form key=value"},
		{name: "conf blank key", in: "--conf ' =v'", wantErr: "not of the form key=value"},
		{name: "bad quoting", in: "--conf 'a=b", wantErr: "unterminated single quote"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := sparksubmit.ParseParams(tc.in, tc.sql)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("ParseParams(%q) error = %v, want one containing %q", tc.in, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseParams(%q) error = %v", tc.in, err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("ParseParams(%q) =\n%+v, want\n%+v", tc.in, got, tc.want)
			}
		})
	}
}

// effective folds Properties in order, a later one winning.
func effective(props []sparksubmit.Property) map[string]string {
	m := map[string]string{}
	for _, p := range props {
		m[p.Key] = p.Value
	}
	return m
}

func TestParamsProperties(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want map[string]string
	}{
		{"shorthands map to properties", "--name n --driver-memory 1g --driver-cores 2 --executor-memory 3g --executor-cores 4 " +
			"--num-executors 5 --jars j --packages p --exclude-packages e --repositories r --py-files y --files f --archives a " +
			"--driver-java-options o --driver-library-path l --driver-class-path c --total-executor-cores 6 --queue q " +
			"--principal pr --keytab k --master local --deploy-mode client",
			map[string]string{
				"spark.app.name": "n", "spark.driver.memory": "1g", "spark.driver.cores": "2", "spark.executor.memory": "3g",
				"spark.executor.cores": "4", "spark.executor.instances": "5", "spark.jars": "j", "spark.jars.packages": "p",
				"spark.jars.excludes": "e", "spark.jars.repositories": "r", "spark.submit.pyFiles": "y", "spark.files": "f",
				"spark.archives": "a", "spark.driver.extraJavaOptions": "o", "spark.driver.extraLibraryPath": "l",
				"spark.driver.extraClassPath": "c", "spark.cores.max": "6", "spark.yarn.queue": "q",
				"spark.kerberos.principal": "pr", "spark.kerberos.keytab": "k", "spark.master": "local",
				"spark.submit.deployMode": "client",
			}},
		{"options without a property", "--class X --proxy-user u --verbose", map[string]string{}},
		{"last conf wins", "--conf a=1 --conf a=2", map[string]string{"a": "2"}},
		{"last option wins", "--driver-memory 1g --driver-memory 2g", map[string]string{"spark.driver.memory": "2g"}},
		// spark-submit assigns shorthand options over --conf, wherever they stand.
		{"option beats an earlier conf", "--conf spark.executor.instances=5 --num-executors 2", map[string]string{"spark.executor.instances": "2"}},
		{"option beats a later conf", "--num-executors 2 --conf spark.executor.instances=5", map[string]string{"spark.executor.instances": "2"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p, err := sparksubmit.ParseParams(tc.in, false)
			if err != nil {
				t.Fatal(err)
			}
			if got := effective(p.Properties()); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Properties() of %q = %v, want %v", tc.in, got, tc.want)
			}
		})
	}
}

func TestParamsOption(t *testing.T) {
	t.Parallel()
	p, err := sparksubmit.ParseParams("--class A --verbose --class B", false)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, want string
		ok         bool
	}{
		{"--class", "B", true},
		{"--verbose", "", true},
		{"--name", "", false},
	}
	for _, tc := range tests {
		if got, ok := p.Option(tc.name); got != tc.want || ok != tc.ok {
			t.Errorf("Option(%q) = %q, %v; want %q, %v", tc.name, got, ok, tc.want, tc.ok)
		}
	}
}

// render writes p back as parameters, every value quoted.
func render(p sparksubmit.Params) string {
	var words []string
	for _, o := range p.Options {
		words = append(words, o.Name)
		if o.Name != "--verbose" && o.Name != "-v" && o.Name != "--supervise" {
			words = append(words, shellQuote(o.Value))
		}
	}
	for _, c := range p.Conf {
		words = append(words, "--conf", shellQuote(c.Key+"="+c.Value))
	}
	return strings.Join(words, " ")
}

func FuzzParseParams(f *testing.F) {
	for _, s := range []string{
		"--conf spark.a=1 --conf=spark.b=2 -c spark.c=3",
		"--class org.X --driver-memory 2g --num-executors=3 --verbose",
		`--conf "spark.driver.extraJavaOptions=-Dx=1 -Dy=2" --jars 'a b.jar'`,
		"--hivevar a=1 --database db", "--bogus", "app.jar", "--conf", "-c=a=b", "",
	} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, s string, sql bool) {
		p, err := sparksubmit.ParseParams(s, sql) // must not panic
		if err != nil {
			return
		}
		_ = p.Properties()
		for _, c := range p.Conf {
			if strings.TrimSpace(c.Key) == "" {
				t.Fatalf("ParseParams(%q) gave a blank --conf key", s)
			}
		}
		// What parses, written back out, parses the same (the order of
		// --conf among options aside: render puts them last).
		again, err := sparksubmit.ParseParams(render(p), sql)
		if err != nil {
			t.Fatalf("ParseParams(render(%q)) error = %v", s, err)
		}
		if !reflect.DeepEqual(again.Conf, p.Conf) || !reflect.DeepEqual(again.Options, p.Options) {
			t.Fatalf("round trip of %q:\n got %+v\nwant %+v", s, again, p)
		}
	})
}

func TestParseParamsRefusesPropertiesFile(t *testing.T) {
	_, err := sparksubmit.ParseParams("--properties-file /tmp/x.conf", false)
	if err == nil || !strings.Contains(err.Error(), "spark-defaults classification") {
		t.Fatalf("err = %v, want a refusal pointing at the spark-defaults classification", err)
	}
}
