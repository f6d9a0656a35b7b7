package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

var testOpts = Options{
	Getenv: func(k string) string {
		if k == "TEST_HW_AK" {
			return "ak-from-env"
		}
		return ""
	},
}

// doc returns a file with one valid target "a"; extra is added to the
// target, indented as its keys. The first line of extra is line 6.
func doc(extra string) string {
	s := "targets:\n  - name: a\n    provider: testcloud\n    region: ap-southeast-3\n    project_id: p\n"
	for _, l := range strings.SplitAfter(extra, "\n") {
		if l != "" {
			s += "    " + l
		}
	}
	return s
}

// problems returns the lines of a Parse error.
func problems(err error) []string {
	if err == nil {
		return nil
	}
	return strings.Split(err.Error(), "\n")
}

// checkProblems asserts that err lists exactly want, in that order.
func checkProblems(t *testing.T, err error, want ...string) {
	t.Helper()
	got := problems(err)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("problems:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

// testcloudFile returns a file of testdata with its huaweicloud targets
// turned into testcloud targets, which have the same keys.
func testcloudFile(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.ReplaceAll(data, []byte("provider: huaweicloud"), []byte("provider: testcloud"))
}

func TestParseGood(t *testing.T) {
	cfg, err := Parse(testcloudFile(t, "testdata/good.yml"), testOpts)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Targets) != 2 {
		t.Fatalf("targets = %d", len(cfg.Targets))
	}
	a, b := cfg.Targets[0], cfg.Targets[1]
	if e := a.Options.(*testOptions).Endpoint; e != "https://workspace.ap-southeast-3.test.example" {
		t.Errorf("default endpoint = %q", e)
	}
	if e := b.Options.(*testOptions).Endpoint; e != "http://127.0.0.1:8080" {
		t.Errorf("endpoint not trimmed: %q", e)
	}
	if time.Duration(a.API.Timeout) != 10*time.Second || a.API.Concurrency != 2 || a.API.PageSize != 0 || *a.API.MaxRetries != DefaultMaxRetries {
		t.Errorf("api defaults wrong: %+v", a.API)
	}
	want := API{Timeout: Duration(DefaultRequestTimeout), MaxRetries: b.API.MaxRetries, MinBackoff: Duration(DefaultMinBackoff),
		MaxBackoff: Duration(DefaultMaxBackoff), Concurrency: DefaultConcurrency, MaxPages: DefaultMaxPages}
	if b.API != want || *b.API.MaxRetries != DefaultMaxRetries {
		t.Errorf("defaults = %+v, want %+v", b.API, want)
	}
	dc := a.Collectors["desktops"]
	if time.Duration(dc.Interval) != 5*time.Minute || dc.Options.(*desktopsOptions).PerDesktopSeries || !dc.IsEnabled() {
		t.Errorf("collector settings wrong: %+v", dc)
	}
	if dc := b.Collectors["desktops"]; time.Duration(dc.Interval) != 2*time.Minute || !dc.Options.(*desktopsOptions).PerDesktopSeries || !dc.IsEnabled() {
		t.Errorf("collector defaults wrong: %+v", dc)
	}
	if cfg.Warnings != nil {
		t.Errorf("warnings: %q", cfg.Warnings)
	}
	r, err := a.Credentials.Resolve(testOpts)
	if err != nil {
		t.Fatal(err)
	}
	if r.AccessKey.Reveal() != "ak-from-env" || r.SecretKey.Reveal() != "sk-from-file" || r.FromChain {
		t.Errorf("resolved = %q %q chain=%v", r.AccessKey.Reveal(), r.SecretKey.Reveal(), r.FromChain)
	}
	r, err = b.Credentials.Resolve(testOpts)
	if err != nil || !r.FromChain {
		t.Errorf("target without keys should use the SDK chain: %+v %v", r, err)
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct {
		name, yaml string
		want       []string // every problem, exactly, in order
	}{
		{"empty", "", []string{"the file is empty: it needs a list of targets"}},
		{"comments only", "# nothing\n", []string{"the file is empty: it needs a list of targets"}},
		{"null document", "---\n~\n", []string{"the file is empty: it needs a list of targets"}},
		{"no targets", "targets: []", []string{"line 1: targets: at least one target is required"}},
		{"null targets", "targets:\n", []string{"targets: at least one target is required"}},
		{"top level list", "- name: a\n", []string{"line 1: the top level must be a mapping with a targets list, not a list"}},
		{"top level scalar", "hello\n", []string{`line 1: the top level must be a mapping with a targets list, not "hello"`}},
		{"two documents", doc("") + "---\ntargets: []\n", []string{"line 6: a second YAML document starts here; the file must hold exactly one"}},
		{"trailing empty document is fine", doc("") + "---\n", nil},
		{"unknown key in target", doc("colectors: {}"), []string{
			`line 6: target "a" (targets[0]): unknown key "colectors" (did you mean "collectors"?)`}},
		{"unknown top key", "target: []\n", []string{
			"targets: at least one target is required",
			`line 1: unknown key "target" at the top level (did you mean "targets"?)`}},
		{"unknown keys everywhere, each with its line", "targets:\n  - name: a\n    provider: testcloud\n    region: r\n    project_id: p\n" +
			"    credentials:\n      acces_key: x\n    api:\n      timeout: 5s\n      retries: 3\n    collectors:\n      desktops:\n        intervall: 5m\n" +
			"        per_desktop: false\n    tls_config:\n      ca_fil: x\n    proxy_ulr: http://p\n    endpointt: http://x\nextra: 1\n", []string{
			`line 7: target "a" (targets[0]): unknown key "acces_key" in credentials (did you mean "access_key"?)`,
			`line 10: target "a" (targets[0]): unknown key "retries" in api`,
			`line 13: target "a" (targets[0]): unknown key "intervall" in collectors.desktops (did you mean "interval"?)`,
			`line 14: target "a" (targets[0]): unknown key "per_desktop" in collectors.desktops`,
			`line 16: target "a" (targets[0]): unknown key "ca_fil" in tls_config (did you mean "ca_file"?)`,
			`line 17: target "a" (targets[0]): unknown key "proxy_ulr" (did you mean "proxy_url"?)`,
			`line 18: target "a" (targets[0]): unknown key "endpointt" (did you mean "endpoint"?)`,
			`line 19: unknown key "extra" at the top level`}},
		{"duplicate key", doc("region: x"), []string{`line 6: target "a" (targets[0]): duplicate key "region" (first at line 4)`}},
		{"duplicate nested key", doc("api:\n  timeout: 1s\n  timeout: 2s"), []string{
			`line 8: target "a" (targets[0]): duplicate key "timeout" in api (first at line 7)`}},
		{"duplicate collector", doc("collectors:\n  desktops: {}\n  desktops: {}"), []string{
			`line 8: target "a" (targets[0]): duplicate key "desktops" in collectors (first at line 7)`}},
		{"key not a string", doc("? [a]\n: 1"), []string{`line 6: target "a" (targets[0]): a key must be a string, not a list`}},
		{"wrong type", "targets:\n  - name: [a]\n", []string{
			`line 2: targets[0]: name: want a string, got a list`,
			`line 2: targets[0]: provider: required (one of: othercloud, testcloud)`}},
		{"wrong type, with a provider", "targets:\n  - name: [a]\n    provider: testcloud\n", []string{
			`line 2: targets[0]: name: want a string, got a list`,
			`line 2: targets[0]: region: required, e.g. ap-southeast-3`,
			`line 2: targets[0]: project_id: required (the IAM project ID of the region)`}},
		{"wrong types, all of them", doc("api: {concurrency: many, max_retries: 1.5, timeout: [1s]}\ncollectors: {desktops: {enabled: yes please}}\ncredentials: 5"), []string{
			`line 6: target "a" (targets[0]): api.concurrency: want an integer, got "many"`,
			`line 6: target "a" (targets[0]): api.max_retries: want an integer, got "1.5"`,
			`line 6: target "a" (targets[0]): api.timeout: want a duration such as 30s or 5m, got a list`,
			`line 7: target "a" (targets[0]): collectors.desktops.enabled: want true or false, got "yes please"`,
			`line 8: target "a" (targets[0]): credentials: want a mapping, got "5"`}},
		{"targets not a list", "targets: {name: a}\n", []string{`line 1: targets: want a list, got a mapping`}},
		{"target not a mapping", "targets: [a]\n", []string{`line 1: targets[0]: want a mapping, got "a"`}},
		{"syntax error: bad indentation, true line", "targets:\n  - name: a\n    provider: testcloud\n   region: x\n    project_id: p\n", []string{
			"line 4: invalid YAML: did not find expected '-' indicator"}},
		{"syntax error: tab, true line", "targets:\n  - name: a\n\n\n\n\tprovider: x\n", []string{
			"line 6: invalid YAML: found a tab character that violates indentation"}},
		{"syntax error: unclosed quote", doc("endpoint: \"http://x\nregion: y"), []string{
			"line 6: invalid YAML: found unexpected end of stream"}},
		{"syntax error: unknown anchor", doc("api: *nope"), []string{"line 6: invalid YAML: unknown anchor 'nope' referenced"}},
		{"syntax error in a second document", doc("") + "---\n[\n", []string{"line 7: invalid YAML: did not find expected node content"}},
		{"missing provider", "targets:\n  - name: a\n", []string{
			`line 2: target "a" (targets[0]): provider: required (one of: othercloud, testcloud)`}},
		{"missing fields", "targets:\n  - name: a\n    provider: testcloud\n", []string{
			`line 2: target "a" (targets[0]): region: required, e.g. ap-southeast-3`,
			`line 2: target "a" (targets[0]): project_id: required (the IAM project ID of the region)`}},
		{"nameless", "targets:\n  - provider: testcloud\n    region: r\n    project_id: p\n", []string{"line 2: targets[0]: name: required"}},
		{"bad name", "targets:\n  - {name: 'a b', provider: testcloud, region: r, project_id: p}\n", []string{
			`line 2: target "a b" (targets[0]): name: "a b" may hold only letters, digits and _ . : - and must start with a letter or digit`}},
		{"duplicate name", "targets:\n  - {name: a, provider: testcloud, region: r, project_id: p}\n  - {name: a, provider: testcloud, region: r, project_id: p}\n",
			[]string{`line 3: target "a" (targets[1]): name: duplicate: targets[0] has the same name`}},
		{"duplicate name after a bad one", "targets:\n  - {name: 'a b', provider: testcloud, region: r, project_id: p}\n  - {name: a, provider: testcloud, region: r, project_id: p}\n  - {name: a, provider: testcloud, region: r, project_id: p}\n",
			[]string{`line 2: target "a b" (targets[0]): name: "a b" may hold only letters, digits and _ . : - and must start with a letter or digit`,
				`line 4: target "a" (targets[2]): name: duplicate: targets[1] has the same name`}},
		{"bad provider", "targets:\n  - {name: a, provider: aws, region: r, project_id: p}\n", []string{`line 2: target "a" (targets[0]): provider: unknown provider "aws" (supported: othercloud, testcloud)`}},
		{"bad region", "targets:\n  - {name: a, provider: testcloud, region: R_1, project_id: p}\n", []string{
			`line 2: target "a" (targets[0]): region: "R_1" is not a region name (lower-case letters, digits and dashes)`}},
		{"bad project", "targets:\n  - {name: a, provider: testcloud, region: r, project_id: 'p/../x'}\n", []string{
			`line 2: target "a" (targets[0]): project_id: "p/../x" is not a project ID (letters and digits only)`}},
		{"bad endpoint", doc("endpoint: 'ftp://x'"), []string{`line 6: target "a" (targets[0]): endpoint: "ftp://x" needs an http:// or https:// scheme`}},
		{"endpoint without host", doc("endpoint: 'https://'"), []string{`line 6: target "a" (targets[0]): endpoint: "https:" has no host`}},
		{"userinfo endpoint", doc("endpoint: 'https://u:pw@x'"), []string{`line 6: target "a" (targets[0]): endpoint: must not carry credentials; use the credentials section`}},
		{"endpoint with query", doc("endpoint: 'https://x/?a=b'"), []string{`line 6: target "a" (targets[0]): endpoint: "https://x/?a=b" must not have a query or fragment`}},
		{"half keys", doc("credentials: {access_key: AK}"), []string{`line 6: target "a" (targets[0]): credentials.secret_key: required when an access key is given`}},
		{"secret without access key", doc("credentials: {secret_key: S}"), []string{`line 6: target "a" (targets[0]): credentials.access_key: required when a secret key is given`}},
		{"two sources", doc("credentials:\n  access_key: AK\n  access_key_env: X\n  secret_key: S"), []string{
			`line 7: target "a" (targets[0]): credentials.access_key: give only one of access_key, access_key_file and access_key_env`}},
		{"missing env", doc("credentials: {access_key_env: NOPE, secret_key: S}"), []string{
			`line 6: target "a" (targets[0]): credentials.access_key_env: environment variable NOPE is not set or empty`}},
		{"missing file", doc("credentials:\n  access_key: A\n  secret_key_file: /nonexistent/sk"), []string{
			`line 8: target "a" (targets[0]): credentials.secret_key_file /nonexistent/sk: no such file or directory`}},
		{"every unreadable credential", doc("credentials:\n  access_key_file: /nonexistent/ak\n  secret_key_file: /nonexistent/sk\n  security_token_env: NOPE"), []string{
			`line 7: target "a" (targets[0]): credentials.access_key_file /nonexistent/ak: no such file or directory`,
			`line 8: target "a" (targets[0]): credentials.secret_key_file /nonexistent/sk: no such file or directory`,
			`line 9: target "a" (targets[0]): credentials.security_token_env: environment variable NOPE is not set or empty`}},
		{"token alone", doc("credentials: {security_token: T}"), []string{
			`line 6: target "a" (targets[0]): credentials.security_token: needs the temporary access key and secret key it belongs to`}},
		{"unknown collector", doc("collectors: {desktopz: {}}"), []string{`line 6: target "a" (targets[0]): collectors.desktopz: unknown collector (known: desktops, quotas, sessions)`}},
		{"bad duration", doc("api:\n  timeout: soon"), []string{`line 7: target "a" (targets[0]): api.timeout: "soon" is not a duration (use e.g. 30s, 5m, 1h)`}},
		{"duration without unit", doc("api:\n  timeout: 30"), []string{`line 7: target "a" (targets[0]): api.timeout: "30" is not a duration (use e.g. 30s, 5m, 1h)`}},
		{"negative duration", doc("api:\n  timeout: -1s"), []string{`line 7: target "a" (targets[0]): api.timeout: "-1s" is not a duration (use e.g. 30s, 5m, 1h)`}},
		{"overflowing duration", doc("collectors:\n  desktops:\n    interval: 293y"), []string{
			`line 8: target "a" (targets[0]): collectors.desktops.interval: "293y" is out of range: a duration can be at most about 292y`}},
		{"huge number of seconds", doc("api: {timeout: 99999999999999999999s}"), []string{
			`line 6: target "a" (targets[0]): api.timeout: "99999999999999999999s" is out of range: a duration can be at most about 292y`}},
		{"292y fits but is over the bound", doc("collectors:\n  desktops:\n    interval: 292y"), []string{
			`line 8: target "a" (targets[0]): collectors.desktops.interval: 292y is above the maximum of 1d`}},
		{"huge integer", doc("api: {max_pages: 99999999999999999999}"), []string{
			`line 6: target "a" (targets[0]): api.max_pages: want an integer, got "99999999999999999999"`}},
		{"bad api", doc("api: {page_size: 3000, concurrency: 100, max_retries: -1}"), []string{
			`line 6: target "a" (targets[0]): api.max_retries: -1 is outside 0..20`,
			`line 6: target "a" (targets[0]): api.concurrency: 100 is outside 1..64`,
			`line 6: target "a" (targets[0]): api.page_size: 3000 is outside 1..2000`}},
		{"merge of itself", doc("api: &a\n  <<: *a"), []string{
			`line 7: target "a" (targets[0]): api: alias *a refers to the value that contains it`}},
		{"merge of a parent", doc("collectors: &c\n  desktops:\n    <<: *c"), []string{
			`line 7: target "a" (targets[0]): unknown key "desktops" in collectors.desktops`}},
		{"whole numbers only", doc("api: {concurrency: 1e1, max_pages: 2.5}"), []string{
			`line 6: target "a" (targets[0]): api.max_pages: want an integer, got "2.5"`}},
		{"merge of a scalar", doc("api:\n  <<: 5"), []string{`line 7: target "a" (targets[0]): api: << (merge) needs a mapping or a list of mappings, not "5"`}},
		{"errors of two targets, in file order", "targets:\n  - name: a\n    provider: testcloud\n    api: {timeout: 1ms}\n  - name: b\n    api: {timeout: 1h}\n    collectors: {desktops: {interval: 1s}}\n", []string{
			`line 2: target "a" (targets[0]): region: required, e.g. ap-southeast-3`,
			`line 2: target "a" (targets[0]): project_id: required (the IAM project ID of the region)`,
			`line 4: target "a" (targets[0]): api.timeout: 1ms is below the minimum of 100ms`,
			`line 5: target "b" (targets[1]): provider: required (one of: othercloud, testcloud)`,
			`line 6: target "b" (targets[1]): api.timeout: 1h is above the maximum of 10m`,
			`line 7: target "b" (targets[1]): collectors.desktops.interval: 1s is below the minimum of 10s`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := Parse([]byte(c.yaml), testOpts)
			if (cfg == nil) == (err == nil) {
				t.Fatalf("want a config or an error: %v, %v", cfg, err)
			}
			checkProblems(t, err, c.want...)
		})
	}
}

// Merge keys and anchors work as in yaml.v3, and their values are checked
// where they are used.
func TestMergeKeys(t *testing.T) {
	cfg, err := Parse([]byte(`x-api: &api {timeout: 5s, concurrency: 2}
targets:
  - &t
    name: a
    provider: testcloud
    region: r
    project_id: p
    api:
      <<: *api
      concurrency: 8
  - <<: *t
    name: b
`), testOpts)
	// x-api is an unknown top-level key; everything else is valid.
	checkProblems(t, err, `line 1: unknown key "x-api" at the top level`)
	if cfg != nil {
		t.Fatal("config with an error")
	}
	_, err = Parse([]byte(`targets:
  - &t
    name: a
    provider: testcloud
    region: r
    project_id: p
    api:
      <<: [{timeout: 5s, concurrency: 2}, {timeout: 9s, page_size: 7}]
      concurrency: 8
  - <<: *t
    name: b
    api: {<<: {timeout: 1ms}}
`), testOpts)
	checkProblems(t, err, `line 12: target "b" (targets[1]): api.timeout: 1ms is below the minimum of 100ms`)
	cfg, err = Parse([]byte(`targets:
  - &t
    name: a
    provider: testcloud
    region: r
    project_id: p
    api:
      <<: [{timeout: 5s, concurrency: 2}, {timeout: 9s, page_size: 7}]
      concurrency: 8
  - <<: *t
    name: b
`), testOpts)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range cfg.Targets {
		if a := tc.API; time.Duration(a.Timeout) != 5*time.Second || a.Concurrency != 8 || a.PageSize != 7 {
			t.Errorf("%s: merged api = %+v", tc.Name, a)
		}
	}
	if cfg.Targets[1].Name != "b" || cfg.Targets[1].Options.(*testOptions).Region != "r" {
		t.Errorf("merged target = %+v", cfg.Targets[1])
	}
}

func TestSecretNeverShown(t *testing.T) {
	const sk = "super-secret-value-123"
	cfg, err := Parse([]byte(doc("credentials: {access_key: AKID-xyz-987, secret_key: "+sk+", security_token: tok-abc-654}\n"+
		"proxy_url: http://user:proxy-pw-321@proxy:3128\nproxy_connect_header: {Proxy-Authorization: [Basic hdr-secret-555]}\n"+
		"tls_config: {insecure_skip_verify: true}")), testOpts)
	if err != nil {
		t.Fatal(err)
	}
	y, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	j, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var logBuf strings.Builder
	slog.New(slog.NewTextHandler(&logBuf, nil)).Info("cfg", "creds", cfg.Targets[0].Credentials.SecretKey, "all", fmt.Sprintf("%v %+v %#v", cfg, cfg.Targets[0].Credentials, cfg.Targets[0].Credentials))
	own := []string{sk, "AKID-xyz-987", "tok-abc-654"}
	// The Prometheus types hide their secrets from YAML only: their JSON
	// and %v show them, so configurations are never logged whole.
	prom := []string{"hdr-secret-555", "proxy-pw-321"}
	for out, secrets := range map[string][]string{
		string(y): append(own, prom...), string(j): own, logBuf.String(): own, strings.Join(cfg.Warnings, "\n"): append(own, prom...),
	} {
		for _, s := range secrets {
			if strings.Contains(out, s) {
				t.Errorf("secret %q shown in %q", s, out)
			}
		}
	}
	// Errors about a secret name the field, never the value.
	for _, bad := range []string{
		"credentials: {access_key: " + sk + ", access_key_env: X, secret_key: S}",
		"credentials: {access_key: [" + sk + "], secret_key: S}",
		"proxy_url: 'ftp://u:" + sk + "@x'",
	} {
		_, err = Parse([]byte(doc(bad)), testOpts)
		if err == nil || strings.Contains(err.Error(), sk) {
			t.Errorf("error shows the secret or is missing: %v", err)
		}
	}
}

func TestLoadFileMissing(t *testing.T) {
	_, err := LoadFile("testdata/does-not-exist.yml", testOpts)
	if err == nil || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("want a not-exist error, got %v", err)
	}
	if want := "config file testdata/does-not-exist.yml: no such file or directory"; err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
}

// Validate is what the demo uses: a configuration built in code gets the
// defaults of absent (zero) values, and validating twice changes nothing.
func TestValidateInCode(t *testing.T) {
	on := true
	in := &Config{Targets: []Target{{
		Name: "demo", Provider: "testcloud",
		Options:     &testOptions{Region: "ap-southeast-3", ProjectID: "p", Endpoint: "http://127.0.0.1:1/"},
		Credentials: Credentials{AccessKey: "A", SecretKey: "S"},
		Collectors: map[string]CollectorConfig{
			"desktops": {Enabled: &on, Interval: Duration(15 * time.Second)},
			"quotas":   {Options: &quotasOptions{Top: 3, Window: Duration(time.Minute)}},
		},
	}}}
	in.Targets[0].TLSConfig.InsecureSkipVerify = true
	cfg, err := Validate(in, testOpts)
	if err != nil {
		t.Fatalf("%v", err)
	}
	if in.Targets[0].Options.(*testOptions).Endpoint != "http://127.0.0.1:1/" || in.Targets[0].API.Timeout != 0 ||
		len(in.Targets[0].Collectors) != 2 || in.Targets[0].Collectors["quotas"].Enabled != nil {
		t.Error("Validate changed its argument")
	}
	a := cfg.Targets[0].API
	if time.Duration(a.Timeout) != DefaultRequestTimeout || a.MaxRetries == nil || a.Concurrency != DefaultConcurrency || a.MaxPages != DefaultMaxPages || a.PageSize != 0 {
		t.Errorf("defaults not applied: %+v", a)
	}
	cs := cfg.Targets[0].Collectors
	if d := cs["desktops"]; time.Duration(d.Interval) != 15*time.Second || !d.IsEnabled() || !d.Options.(*desktopsOptions).PerDesktopSeries {
		t.Errorf("desktops %+v", d)
	}
	if q := cs["quotas"]; !q.IsEnabled() || q.Options.(*quotasOptions).Top != 3 {
		t.Errorf("quotas %+v", q)
	}
	if len(cfg.Warnings) != 1 {
		t.Errorf("warnings = %q", cfg.Warnings)
	}
	in.Targets[0].Collectors["quotas"] = CollectorConfig{}
	cfg, err = Validate(in, testOpts)
	if err != nil {
		t.Fatal(err)
	}
	again, err := Validate(cfg, testOpts)
	if err != nil {
		t.Fatal(err)
	}
	if len(again.Warnings) != 1 || again.Targets[0].API != cfg.Targets[0].API || again.Targets[0].Options.(*testOptions).Endpoint != "http://127.0.0.1:1" {
		t.Errorf("second validation differs: %+v %q", again.Targets[0], again.Warnings)
	}
	if !reflect.DeepEqual(again, cfg) {
		t.Errorf("second validation differs:\n%+v\n%+v", again, cfg)
	}
	in.Targets[0].Collectors = map[string]CollectorConfig{"desktops": {Interval: Duration(time.Microsecond)}}
	_, err = Validate(in, testOpts)
	checkProblems(t, err, `target "demo" (targets[0]): collectors.desktops.interval: 1µs is below the minimum of 10s`)
	// Options given in code are taken as they are: a zero window is not
	// "absent".
	in.Targets[0].Collectors["quotas"] = CollectorConfig{Options: &quotasOptions{Top: 3}}
	_, err = Validate(in, testOpts)
	checkProblems(t, err, `target "demo" (targets[0]): collectors.desktops.interval: 1µs is below the minimum of 10s`,
		`target "demo" (targets[0]): collectors.quotas.window: 0s is below the minimum of 1m`)
	// A target without options gets its provider's, with nothing set.
	_, err = Validate(&Config{Targets: []Target{{Name: "x", Provider: "testcloud"}}}, testOpts)
	checkProblems(t, err, `target "x" (targets[0]): region: required, e.g. ap-southeast-3`,
		`target "x" (targets[0]): project_id: required (the IAM project ID of the region)`)
}

// At most maxProblems problems are listed.
func TestProblemsAreCapped(t *testing.T) {
	var b strings.Builder
	b.WriteString("targets: []\n")
	for i := range maxProblems + 10 {
		fmt.Fprintf(&b, "k%d: 1\n", i)
	}
	_, err := Parse([]byte(b.String()), testOpts)
	got := problems(err)
	if len(got) != maxProblems+1 || got[len(got)-1] != "and 11 more problems" {
		t.Errorf("%d problems, last %q", len(got), got[len(got)-1])
	}
}
