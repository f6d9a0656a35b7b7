package config

import (
	"reflect"
	"testing"
)

func TestLineEnds(t *testing.T) {
	cases := map[string][]int{
		"":                      nil,
		"a":                     nil,
		"a\n":                   {2},
		"a\r\nb\rc\nd":          {3, 5, 7},
		"a\u0085b\u2028c\u2029": {3, 7, 11},
		"\r\r\n\n":              {1, 3, 4},
	}
	for in, want := range cases {
		if got := lineEnds([]byte(in)); !reflect.DeepEqual(got, want) {
			t.Errorf("lineEnds(%q) = %v, want %v", in, got, want)
		}
	}
}

// Syntax errors are located by YAML's lines, whatever the line breaks.
func TestSyntaxErrorLineWithOtherBreaks(t *testing.T) {
	for _, nl := range []string{"\n", "\r\n", "\r"} {
		in := "targets:" + nl + "  - name: a" + nl + "    provider: testcloud" + nl + "   region: x" + nl
		_, err := Parse([]byte(in), testOpts)
		checkProblems(t, err, "line 4: invalid YAML: did not find expected '-' indicator")
	}
}
