package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

var testOpts = Options{
	Collectors: []string{"desktops"},
	Getenv: func(k string) string {
		if k == "TEST_HW_AK" {
			return "ak-from-env"
		}
		return ""
	},
}

func TestParseGood(t *testing.T) {
	cfg, err := LoadFile("testdata/good.yml", testOpts)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Targets) != 2 {
		t.Fatalf("targets = %d", len(cfg.Targets))
	}
	a, b := cfg.Targets[0], cfg.Targets[1]
	if a.Endpoint != "https://workspace.ap-southeast-3.myhuaweicloud.com" {
		t.Errorf("default endpoint = %q", a.Endpoint)
	}
	if b.Endpoint != "http://127.0.0.1:8080" {
		t.Errorf("endpoint not trimmed: %q", b.Endpoint)
	}
	if time.Duration(a.API.Timeout) != 10*time.Second || a.API.Concurrency != 2 || a.API.PageSize != 500 || *a.API.MaxRetries != DefaultMaxRetries {
		t.Errorf("api defaults wrong: %+v", a.API)
	}
	dc := a.Collectors["desktops"]
	if time.Duration(dc.Interval) != 5*time.Minute || dc.WantsPerDesktopSeries() || !dc.IsEnabled(true) {
		t.Errorf("collector settings wrong: %+v", dc)
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
		want       []string
	}{
		{"empty", "", []string{"empty"}},
		{"no targets", "targets: []", []string{"at least one target"}},
		{"unknown key with line", "targets:\n  - name: a\n    provider: huaweicloud\n    region: r\n    project_id: p\n    colectors: {}\n", []string{"line 6", `unknown key "colectors" in a target`}},
		{"unknown top key", "target: []\n", []string{"line 1", `unknown key "target" in the top level`}},
		{"wrong type", "targets:\n  - name: [a]\n", []string{"line 2"}},
		{"missing fields", "targets:\n  - name: a\n", []string{
			`target "a" (targets[0]): provider: required`,
			`target "a" (targets[0]): region: required`,
			`target "a" (targets[0]): project_id: required`}},
		{"nameless", "targets:\n  - provider: huaweicloud\n    region: r\n    project_id: p\n", []string{"targets[0]: name: required"}},
		{"duplicate", "targets:\n  - {name: a, provider: huaweicloud, region: r, project_id: p}\n  - {name: a, provider: huaweicloud, region: r, project_id: p}\n",
			[]string{`target "a" (targets[1]): name: duplicate: targets[0]`}},
		{"bad provider", "targets:\n  - {name: a, provider: aws, region: r, project_id: p}\n", []string{`provider: unknown provider "aws"`}},
		{"bad endpoint", "targets:\n  - {name: a, provider: huaweicloud, region: r, project_id: p, endpoint: 'ftp://x'}\n", []string{"endpoint", "http:// or https://"}},
		{"userinfo endpoint", "targets:\n  - {name: a, provider: huaweicloud, region: r, project_id: p, endpoint: 'https://u:pw@x'}\n", []string{"must not carry credentials"}},
		{"half keys", "targets:\n  - {name: a, provider: huaweicloud, region: r, project_id: p, credentials: {access_key: AK}}\n", []string{"credentials.secret_key: required"}},
		{"two sources", "targets:\n  - {name: a, provider: huaweicloud, region: r, project_id: p, credentials: {access_key: AK, access_key_env: X, secret_key: S}}\n", []string{"give only one of access_key"}},
		{"missing env", "targets:\n  - {name: a, provider: huaweicloud, region: r, project_id: p, credentials: {access_key_env: NOPE, secret_key: S}}\n", []string{"credentials.access_key_env: environment variable NOPE is not set"}},
		{"missing file", "targets:\n  - {name: a, provider: huaweicloud, region: r, project_id: p, credentials: {access_key: A, secret_key_file: /nonexistent/sk}}\n", []string{"credentials.secret_key_file: cannot read /nonexistent/sk"}},
		{"token alone", "targets:\n  - {name: a, provider: huaweicloud, region: r, project_id: p, credentials: {security_token: T}}\n", []string{"security_token: needs the temporary access key"}},
		{"unknown collector", "targets:\n  - {name: a, provider: huaweicloud, region: r, project_id: p, collectors: {desktopz: {}}}\n", []string{`collectors.desktopz: unknown collector (known: desktops)`}},
		{"short interval", "targets:\n  - {name: a, provider: huaweicloud, region: r, project_id: p, collectors: {desktops: {interval: 10ms}}}\n", []string{"collectors.desktops.interval", "below the minimum"}},
		{"bad duration", "targets:\n  - {name: a, provider: huaweicloud, region: r, project_id: p, api: {timeout: soon}}\n", []string{"line 2", "soon"}},
		{"bad api", "targets:\n  - {name: a, provider: huaweicloud, region: r, project_id: p, api: {page_size: 1000, concurrency: 100, max_retries: -1}}\n",
			[]string{"api.page_size: 1000 is outside 1..500", "api.concurrency: 100", "api.max_retries: -1"}},
		{"bad project", "targets:\n  - {name: a, provider: huaweicloud, region: r, project_id: 'p/../x'}\n", []string{"project_id", "not a project ID"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse([]byte(c.yaml), testOpts)
			if err == nil {
				t.Fatal("expected an error")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestAllErrorsAtOnce(t *testing.T) {
	_, err := Parse([]byte("targets:\n  - name: a\n  - name: b\n"), testOpts)
	if err == nil || strings.Count(err.Error(), "required") < 6 {
		t.Fatalf("want every missing field of both targets, got %v", err)
	}
}

func TestSecretNeverShown(t *testing.T) {
	const sk = "super-secret-value-123"
	cfg, err := Parse([]byte("targets:\n  - {name: a, provider: huaweicloud, region: r, project_id: p, credentials: {access_key: AKID-xyz-987, secret_key: "+sk+", security_token: tok-abc-654}}\n"), testOpts)
	if err != nil {
		t.Fatal(err)
	}
	y, _ := yaml.Marshal(cfg)
	j, _ := json.Marshal(cfg)
	var logBuf strings.Builder
	slog.New(slog.NewTextHandler(&logBuf, nil)).Info("cfg", "creds", cfg.Targets[0].Credentials.SecretKey, "all", fmt.Sprintf("%v %+v %#v", cfg, cfg.Targets[0].Credentials, cfg.Targets[0].Credentials))
	for _, out := range []string{string(y), string(j), logBuf.String()} {
		for _, s := range []string{sk, "AKID-xyz-987", "tok-abc-654"} {
			if strings.Contains(out, s) {
				t.Errorf("secret %q shown in %q", s, out)
			}
		}
	}
	// Errors about a secret name the field, never the value.
	_, err = Parse([]byte("targets:\n  - {name: a, provider: huaweicloud, region: r, project_id: p, credentials: {access_key: "+sk+", access_key_env: X, secret_key: S}}\n"), testOpts)
	if err == nil || strings.Contains(err.Error(), sk) {
		t.Errorf("error shows the secret or is missing: %v", err)
	}
}

func TestLoadFileMissing(t *testing.T) {
	_, err := LoadFile("testdata/does-not-exist.yml", testOpts)
	if err == nil || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("want a not-exist error, got %v", err)
	}
}

func TestExampleConfigIsValid(t *testing.T) {
	opts := testOpts
	opts.Getenv = func(string) string { return "from-env" }
	opts.ReadFile = func(string) ([]byte, error) { return []byte("from-file"), nil }
	if _, err := LoadFile("../config.example.yml", opts); err != nil {
		t.Fatalf("config.example.yml: %v", err)
	}
}
