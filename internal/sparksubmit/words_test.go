package sparksubmit_test

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/sparkplane/sparkplane/internal/sparksubmit"
)

func TestSplitWords(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		want    []string
		wantErr string // substring of the error; "" for none
	}{
		{name: "empty", in: "", want: nil},
		{name: "blanks only", in: " \t\r\n ", want: nil},
		{name: "plain words", in: "--conf a=b", want: []string{"--conf", "a=b"}},
		{name: "runs of blanks", in: "\t a \n\n b\r\n", want: []string{"a", "b"}},
		{name: "single quotes keep everything", in: `'a b "c" \d $e'`, want: []string{`a b "c" \d $e`}},
		{name: "double quotes", in: `"a b 'c'"`, want: []string{"a b 'c'"}},
		{name: "double quote escapes", in: `"\" \\ \$ \` + "`" + `"`, want: []string{"\" \\ $ `"}},
		{name: "other backslashes kept in double quotes", in: `"\n\t\a"`, want: []string{`\n\t\a`}},
		{name: "quotes join with text", in: `--conf=k='v w'"x y"z`, want: []string{"--conf=k=v wx yz"}},
		{name: "empty quotes make a word", in: `'' ""`, want: []string{"", ""}},
		{name: "empty quotes inside a word", in: `a''b`, want: []string{"ab"}},
		{name: "backslash escapes a blank", in: `a\ b c`, want: []string{"a b", "c"}},
		{name: "backslash escapes a quote", in: `\'a\"`, want: []string{`'a"`}},
		{name: "backslash backslash", in: `a\\b`, want: []string{`a\b`}},
		{name: "line continuation between words", in: "--conf a=b \\\n  --conf c=d", want: []string{"--conf", "a=b", "--conf", "c=d"}},
		{name: "line continuation inside a word", in: "ab\\\ncd", want: []string{"abcd"}},
		{name: "line continuation in double quotes", in: "\"ab\\\ncd\"", want: []string{"abcd"}},
		{name: "newline kept in single quotes", in: "'a\\\nb'", want: []string{"a\\\nb"}},
		{name: "newline kept in double quotes", in: "\"a\nb\"", want: []string{"a\nb"}},
		{name: "only a continuation", in: "\\\n", want: nil},
		{name: "unicode", in: "--name 日本 'é x'", want: []string{"--name", "日本", "é x"}},

		{name: "unterminated single quote", in: "--conf 'a=b", wantErr: "unterminated single quote at character 8"},
		{name: "unterminated double quote", in: `x "a=b`, wantErr: "unterminated double quote at character 3"},
		{name: "escaped closing double quote", in: `"a\"`, wantErr: "unterminated double quote"},
		{name: "trailing backslash", in: `a\`, wantErr: "trailing backslash"},
		{name: "quote counts runes", in: "日本 '", wantErr: "character 4"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := sparksubmit.SplitWords(tc.in)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("SplitWords(%q) error = %v, want one containing %q", tc.in, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("SplitWords(%q) error = %v", tc.in, err)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("SplitWords(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

// shellQuote quotes w for a POSIX shell, in single quotes.
func shellQuote(w string) string {
	return "'" + strings.ReplaceAll(w, "'", `'\''`) + "'"
}

// doubleQuote quotes w for a POSIX shell, in double quotes.
func doubleQuote(w string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, `$`, `\$`, "`", "\\`").Replace(w) + `"`
}

const safeChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-=/:,+@%"

func FuzzSplitWords(f *testing.F) {
	for _, s := range []string{
		"--conf a=b --class x.Y", `'a b' "c\"d" e\ f`, "a|b||c", "'", `"`, `\`, "\\\n", "x\ny",
		"--conf spark.driver.extraJavaOptions='-Dx=1 -Dy=2'", "日本|é", "", " ",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := sparksubmit.SplitWords(s) // must not panic

		// Only safe characters and blanks: plain fields.
		if strings.Trim(s, safeChars+" ") == "" {
			if err != nil || !slices.Equal(got, strings.Fields(s)) {
				t.Fatalf("SplitWords(%q) = %q, %v; want %q", s, got, err, strings.Fields(s))
			}
		}

		// Any words, quoted and joined by spaces, come back as they were.
		if !utf8.ValidString(s) {
			return
		}
		words := strings.Split(s, "|")
		for _, quote := range []func(string) string{shellQuote, doubleQuote} {
			quoted := make([]string, len(words))
			for i, w := range words {
				quoted[i] = quote(w)
			}
			line := strings.Join(quoted, " ")
			back, err := sparksubmit.SplitWords(line)
			if err != nil || !slices.Equal(back, words) {
				t.Fatalf("SplitWords(%q) = %q, %v; want %q", line, back, err, words)
			}
		}
	})
}
