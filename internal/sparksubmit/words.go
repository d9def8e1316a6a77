package sparksubmit

import (
	"fmt"
	"strings"
)

// SplitWords splits s into words the way a POSIX shell would for a simple
// command: blanks separate words, single quotes keep everything literally,
// double quotes keep everything but \" \\ \$ \`, and a backslash outside quotes
// escapes the next character. A backslash before a newline, outside single
// quotes, continues the line: both are dropped, as in a shell script that
// spreads one spark-submit command over several lines. No expansion of any
// kind is done.
func SplitWords(s string) ([]string, error) {
	var (
		words  []string
		cur    strings.Builder
		inWord bool
	)
	rs := []rune(s)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch {
		case r == ' ' || r == '\t' || r == '\n' || r == '\r':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		case r == '\'':
			inWord = true
			end := indexRune(rs, i+1, '\'')
			if end < 0 {
				return nil, fmt.Errorf("unterminated single quote at character %d", i+1)
			}
			cur.WriteString(string(rs[i+1 : end]))
			i = end
		case r == '"':
			inWord = true
			j := i + 1
			for ; j < len(rs) && rs[j] != '"'; j++ {
				if rs[j] == '\\' && j+1 < len(rs) && rs[j+1] == '\n' {
					j++ // line continuation
					continue
				}
				if rs[j] == '\\' && j+1 < len(rs) && strings.ContainsRune("\"\\$`", rs[j+1]) {
					j++
				}
				cur.WriteRune(rs[j])
			}
			if j >= len(rs) {
				return nil, fmt.Errorf("unterminated double quote at character %d", i+1)
			}
			i = j
		case r == '\\':
			if i+1 >= len(rs) {
				return nil, fmt.Errorf("trailing backslash")
			}
			i++
			if rs[i] == '\n' {
				continue // line continuation: not part of any word
			}
			inWord = true
			cur.WriteRune(rs[i])
		default:
			inWord = true
			cur.WriteRune(r)
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

func indexRune(rs []rune, from int, r rune) int {
	for i := from; i < len(rs); i++ {
		if rs[i] == r {
			return i
		}
	}
	return -1
}
