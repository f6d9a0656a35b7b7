package config

import (
	"bytes"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// fuzzOpts never touch the disk or the environment.
var fuzzOpts = Options{
	Getenv:   func(string) string { return "from-env" },
	ReadFile: func(string) ([]byte, error) { return []byte("from-file"), nil },
}

// hostileInputs are small documents built to exhaust a decoder: alias
// bombs, deep nesting, huge numbers. They seed FuzzParse.
func hostileInputs() map[string]string {
	var b strings.Builder
	in := map[string]string{}

	// Billion laughs: nine levels of ten aliases each, used where a list
	// of targets is expected.
	b.WriteString("a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n")
	for i := 1; i <= 9; i++ {
		fmt.Fprintf(&b, "a%d: &a%d [%s]\n", i, i, strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*a%d, ", i-1), 10), ", "))
	}
	b.WriteString("targets: *a9\n")
	in["billion laughs"] = b.String()

	// The same through merge keys: each level merges the one below ten times.
	b.Reset()
	b.WriteString("m0: &m0 {timeout: 1s}\n")
	for i := 1; i <= 30; i++ {
		fmt.Fprintf(&b, "m%d: &m%d {<<: [%s]}\n", i, i, strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*m%d, ", i-1), 10), ", "))
	}
	b.WriteString("targets:\n  - {name: a, provider: testcloud, region: r, project_id: p, api: *m30}\n")
	in["merge bomb"] = b.String()

	// Aliases that expand through the types: 500 targets, each with the
	// same 300-entry collectors map.
	b.Reset()
	b.WriteString("c: &c {")
	for i := range 300 {
		fmt.Fprintf(&b, "c%d: {interval: 1m}, ", i)
	}
	b.WriteString("desktops: {}}\nt: &t {name: a, provider: testcloud, region: r, project_id: p, collectors: *c}\ntargets: [")
	b.WriteString(strings.TrimSuffix(strings.Repeat("*t, ", 500), ", "))
	b.WriteString("]\n")
	in["typed alias bomb"] = b.String()

	in["deep flow nesting"] = "targets: " + strings.Repeat("[", 10001) + strings.Repeat("]", 10001) + "\n"
	in["deep block nesting"] = func() string {
		var s strings.Builder
		for i := range 100 {
			fmt.Fprintf(&s, "%sk:\n", strings.Repeat(" ", i))
		}
		return s.String()
	}()
	in["huge numbers"] = doc("api: {max_pages: 1e400, concurrency: 0x7fffffffffffffff, page_size: -9223372036854775809, max_retries: .inf}\n" +
		"collectors: {desktops: {interval: 99999999999999999999999y}}")
	in["self merge"] = doc("api: &a {<<: *a}")
	return in
}

// largeHostileInputs are large documents: many keys, targets or problems.
func largeHostileInputs() map[string]string {
	var b strings.Builder
	b.WriteString("targets:\n  - name: a\n")
	for i := range 3000 {
		fmt.Fprintf(&b, "    k%d: %d\n", i, i)
	}
	return map[string]string{
		"many unknown keys":   b.String(),
		"many duplicate keys": "targets:\n  - name: a\n" + strings.Repeat("    region: r\n", 3000),
		"long scalar":         doc("name: " + strings.Repeat("x", 500000)),
		"many targets":        "targets:\n" + strings.Repeat("  - {name: [a]}\n", 3000),
	}
}

// Hostile inputs end in an error, never a panic or a hang, and list at
// most maxProblems problems.
func TestHostileInputs(t *testing.T) {
	inputs := hostileInputs()
	maps.Copy(inputs, largeHostileInputs())
	for name, data := range inputs {
		t.Run(name, func(t *testing.T) {
			cfg, err := Parse([]byte(data), fuzzOpts)
			if err == nil {
				t.Fatalf("want an error, got %d targets", len(cfg.Targets))
			}
			if n := len(problems(err)); n > maxProblems+1 {
				t.Errorf("%d problems listed", n)
			}
		})
	}
}

var problemLineRe = regexp.MustCompile(`(?m)^line (\d+): `)

// FuzzParse checks properties only: Parse never panics; it returns a
// configuration or an error, never both or neither; every line an error
// names is in the input; a valid configuration validates again unchanged.
func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/*.yml")
	seeds = append(seeds, "../config.example.yml")
	for _, p := range seeds {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		// The files are Huawei's; testcloud takes the same keys.
		f.Add(bytes.ReplaceAll(data, []byte("provider: huaweicloud"), []byte("provider: testcloud")))
	}
	for _, s := range hostileInputs() {
		f.Add([]byte(s))
	}
	f.Add([]byte(doc("tls_config: {insecure_skip_verify: true, min_version: TLS12}\nproxy_url: http://p:3128\napi: {timeout: 0s}")))
	f.Add([]byte("targets:\n  - name: a\n    provider: testcloud\n   region: x\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse(data, fuzzOpts)
		if (cfg == nil) == (err == nil) {
			t.Fatalf("Parse returned config %v and error %v", cfg != nil, err)
		}
		if err != nil {
			lines := len(lineEnds(data)) + 1 // the last one may be empty
			for _, m := range problemLineRe.FindAllStringSubmatch(err.Error(), -1) {
				if n, _ := strconv.Atoi(m[1]); n < 1 || n > lines {
					t.Fatalf("problem on line %d of a %d-line input: %v", n, lines, err)
				}
			}
			return
		}
		again, err := Validate(cfg, fuzzOpts)
		if err != nil {
			t.Fatalf("a valid configuration does not validate again: %v", err)
		}
		if !reflect.DeepEqual(again, cfg) {
			t.Fatalf("validating again changed the configuration:\n%+v\n%+v", cfg, again)
		}
	})
}
