package huaweicloud_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/workspace-exporter/workspace_exporter/client/huaweicloud"
	"github.com/workspace-exporter/workspace_exporter/collector"
	"github.com/workspace-exporter/workspace_exporter/config"
	"github.com/workspace-exporter/workspace_exporter/model"
)

// desktopsOptions are the desktops collector's options. The collectors
// register their schemas with the configuration when the collector
// package loads, as in the exporter, so the example configuration loads
// here with every collector's options checked.
type desktopsOptions = collector.DesktopsOptions

var testOpts = config.Options{
	Getenv: func(k string) string {
		if k == "TEST_HW_AK" {
			return "ak-from-env"
		}
		return ""
	},
}

// checkProblems asserts that err lists exactly want, in that order.
func checkProblems(t *testing.T, err error, want ...string) {
	t.Helper()
	var got []string
	if err != nil {
		got = strings.Split(err.Error(), "\n")
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("problems:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

func TestProviderRegistered(t *testing.T) {
	s, ok := config.ProviderSchemaOf(huaweicloud.ProviderName)
	if !ok || !s.HasCapability(model.CapabilityDesktops) {
		t.Fatalf("huaweicloud = %+v, %v", s, ok)
	}
	if _, ok := s.NewOptions().(*huaweicloud.TargetOptions); !ok {
		t.Errorf("options are a %T", s.NewOptions())
	}
}

// doc returns a file with one Huawei target "a"; extra is added to the
// target, indented as its keys. The first line of extra is line 6.
func doc(extra string) string {
	s := "targets:\n  - name: a\n    provider: huaweicloud\n    region: ap-southeast-3\n    project_id: p\n"
	for _, l := range strings.SplitAfter(extra, "\n") {
		if l != "" {
			s += "    " + l
		}
	}
	return s
}

func TestTargetOptions(t *testing.T) {
	cfg, err := config.Parse([]byte(doc("")), testOpts)
	if err != nil {
		t.Fatal(err)
	}
	tc := cfg.Targets[0]
	o := tc.Options.(*huaweicloud.TargetOptions)
	if *o != (huaweicloud.TargetOptions{Region: "ap-southeast-3", ProjectID: "p", Endpoint: "https://workspace.ap-southeast-3.myhuaweicloud.com"}) {
		t.Errorf("options = %+v", o)
	}
	if r, p := tc.InfoLabels(); r != "ap-southeast-3" || p != "p" {
		t.Errorf("info labels %q %q", r, p)
	}
	if got, want := strings.Join(tc.EnabledCollectors(), ","), strings.Join(config.CollectorNames(), ","); got != want {
		t.Errorf("collectors %s", got)
	}

	cases := []struct {
		name, yaml string
		want       []string
	}{
		{"missing fields", "targets:\n  - name: a\n    provider: huaweicloud\n", []string{
			`line 2: target "a" (targets[0]): region: required, e.g. ap-southeast-3`,
			`line 2: target "a" (targets[0]): project_id: required (the IAM project ID of the region)`}},
		{"provider after its keys", "targets:\n  - name: a\n    region: R_1\n    project_id: 'p/../x'\n    provider: huaweicloud\n", []string{
			`line 3: target "a" (targets[0]): region: "R_1" is not a region name (lower-case letters, digits and dashes)`,
			`line 4: target "a" (targets[0]): project_id: "p/../x" is not a project ID (letters and digits only)`}},
		{"long values are cut", "targets:\n  - {name: a, provider: huaweicloud, region: r, project_id: '" + strings.Repeat("-", 70) + "'}\n", []string{
			`line 2: target "a" (targets[0]): project_id: "` + strings.Repeat("-", 64) + `…" is not a project ID (letters and digits only)`}},
		{"bad endpoint", doc("endpoint: 'ftp://x'"), []string{`line 6: target "a" (targets[0]): endpoint: "ftp://x" needs an http:// or https:// scheme`}},
		{"endpoint without host", doc("endpoint: 'https://'"), []string{`line 6: target "a" (targets[0]): endpoint: "https:" has no host`}},
		{"userinfo endpoint", doc("endpoint: 'https://u:pw@x'"), []string{`line 6: target "a" (targets[0]): endpoint: must not carry credentials; use the credentials section`}},
		{"endpoint with query", doc("endpoint: 'https://x/?a=b'"), []string{`line 6: target "a" (targets[0]): endpoint: "https://x/?a=b" must not have a query or fragment`}},
		{"endpoint with fragment", doc("endpoint: 'https://x#a'"), []string{`line 6: target "a" (targets[0]): endpoint: "https://x#a" must not have a query or fragment`}},
		{"endpoint not a URL", doc("endpoint: 'http://[::1'"), []string{`line 6: target "a" (targets[0]): endpoint: not a URL: parse "http://[::1": missing ']' in host`}},
		{"endpoint of the wrong type", doc("endpoint: [x]"), []string{`line 6: target "a" (targets[0]): endpoint: want a string, got a list`}},
		{"typo", doc("endpont: https://x"), []string{`line 6: target "a" (targets[0]): unknown key "endpont" (did you mean "endpoint"?)`}},
		{"collector option typo", doc("collectors:\n  desktops:\n    per_desktop_serie: false"), []string{
			`line 8: target "a" (targets[0]): unknown key "per_desktop_serie" in collectors.desktops (did you mean "per_desktop_series"?)`}},
		{"unknown provider", "targets:\n  - {name: a, provider: huawei, region: r, project_id: p}\n", []string{
			`line 2: target "a" (targets[0]): provider: unknown provider "huawei" (supported: huaweicloud)`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := config.Parse([]byte(c.yaml), testOpts)
			checkProblems(t, err, c.want...)
		})
	}
}

// A configuration built in code (the demo's) takes TargetOptions; the
// endpoint is trimmed in the copy, not in the argument.
func TestTargetOptionsInCode(t *testing.T) {
	opts := &huaweicloud.TargetOptions{Region: "ap-southeast-3", ProjectID: "p", Endpoint: "http://127.0.0.1:1/"}
	cfg, err := config.Validate(&config.Config{Targets: []config.Target{{
		Name: "demo", Provider: huaweicloud.ProviderName, Options: opts,
		Credentials: config.Credentials{AccessKey: "A", SecretKey: "S"},
	}}}, testOpts)
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Targets[0].Options.(*huaweicloud.TargetOptions).Endpoint; got != "http://127.0.0.1:1" || opts.Endpoint != "http://127.0.0.1:1/" {
		t.Errorf("endpoint %q, argument %q", got, opts.Endpoint)
	}
	if dc := cfg.Targets[0].Collectors["desktops"]; !dc.IsEnabled() || time.Duration(dc.Interval) != 2*time.Minute || !dc.Options.(*desktopsOptions).PerDesktopSeries {
		t.Errorf("desktops %+v", dc)
	}
}

// A 0.1.0 configuration loads unchanged, as 0.1.0 read it: testdata/good.yml
// and the example file of 0.1.0.
func TestVersion010FilesLoad(t *testing.T) {
	opts := testOpts
	opts.ReadFile = func(p string) ([]byte, error) {
		if p == "testdata/sk.txt" { // relative to config/, where 0.1.0's tests ran
			p = "../../config/testdata/sk.txt"
		}
		return os.ReadFile(p)
	}
	cfg, err := config.LoadFile("../../config/testdata/good.yml", opts)
	if err != nil {
		t.Fatal(err)
	}
	a, b := cfg.Targets[0], cfg.Targets[1]
	if o := a.Options.(*huaweicloud.TargetOptions); *o != (huaweicloud.TargetOptions{Region: "ap-southeast-3", ProjectID: "0a1b2c3d4e5f60718293a4b5c6d7e8f9",
		Endpoint: "https://workspace.ap-southeast-3.myhuaweicloud.com"}) {
		t.Errorf("prod-sg options %+v", o)
	}
	if o := b.Options.(*huaweicloud.TargetOptions); *o != (huaweicloud.TargetOptions{Region: "la-south-2", ProjectID: "ffff0000", Endpoint: "http://127.0.0.1:8080"}) {
		t.Errorf("chain options %+v", o)
	}
	if dc := a.Collectors["desktops"]; !dc.IsEnabled() || time.Duration(dc.Interval) != 5*time.Minute || dc.Options.(*desktopsOptions).PerDesktopSeries {
		t.Errorf("prod-sg desktops %+v %+v", dc, dc.Options)
	}
	if dc := b.Collectors["desktops"]; !dc.IsEnabled() || time.Duration(dc.Interval) != 2*time.Minute || !dc.Options.(*desktopsOptions).PerDesktopSeries {
		t.Errorf("chain desktops %+v %+v", dc, dc.Options)
	}
	if a.API.PageSize != 0 || time.Duration(a.API.Timeout) != 10*time.Second || a.API.Concurrency != 2 {
		t.Errorf("prod-sg api %+v", a.API)
	}
	r, err := a.Credentials.Resolve(opts)
	if err != nil || r.AccessKey.Reveal() != "ak-from-env" || r.SecretKey.Reveal() != "sk-from-file" {
		t.Errorf("credentials %v", err)
	}

	opts.Getenv = func(string) string { return "from-env" }
	opts.ReadFile = func(string) ([]byte, error) { return []byte("from-file"), nil }
	cfg, err = config.LoadFile("../../config/testdata/example-0.1.0.yml", opts)
	if err != nil {
		t.Fatal(err)
	}
	tc := cfg.Targets[0]
	if dc := tc.Collectors["desktops"]; time.Duration(dc.Interval) != 2*time.Minute || !dc.IsEnabled() || !dc.Options.(*desktopsOptions).PerDesktopSeries {
		t.Errorf("desktops %+v", dc)
	}
	// 0.1.0 always sent page_size (500, the API's maximum); now an
	// explicit 500 asks for min(500, the operation's maximum): the same.
	if tc.API.PageSize != 500 {
		t.Errorf("page_size %d", tc.API.PageSize)
	}
	if r, p := tc.InfoLabels(); r != "ap-southeast-3" || p != "0a1b2c3d4e5f60718293a4b5c6d7e8f9" {
		t.Errorf("info labels %q %q", r, p)
	}
}

const exampleFile = "../../config.example.yml"

var exampleEnv = map[string]string{"HW_ACCESS_KEY": "dummy", "HW_SECRET_KEY": "dummy", "HW_SECURITY_TOKEN": "dummy"}

// The example loads as documented: HW_ACCESS_KEY=dummy HW_SECRET_KEY=dummy
// workspace_exporter --config.check --config.file=config.example.yml
func TestExampleConfigIsValid(t *testing.T) {
	opts := config.Options{Getenv: func(k string) string { return exampleEnv[k] }}
	cfg, err := config.LoadFile(exampleFile, opts)
	if err != nil {
		t.Fatalf("config.example.yml: %v", err)
	}
	got := cfg.Targets[0].API
	want := config.API{Timeout: config.Duration(config.DefaultRequestTimeout), MaxRetries: got.MaxRetries, MinBackoff: config.Duration(config.DefaultMinBackoff),
		MaxBackoff: config.Duration(config.DefaultMaxBackoff), Concurrency: config.DefaultConcurrency, MaxPages: config.DefaultMaxPages}
	if got != want || *got.MaxRetries != config.DefaultMaxRetries {
		t.Errorf("the example's api section is not the defaults: %+v", got)
	}
	dc := cfg.Targets[0].Collectors["desktops"]
	if !dc.IsEnabled() || time.Duration(dc.Interval) != 2*time.Minute || !dc.Options.(*desktopsOptions).PerDesktopSeries {
		t.Errorf("the example's desktops section is not the defaults: %+v", dc)
	}
}

// Every commented-out setting of the example is a real key with a valid
// example value: uncommented, the file still loads.
func TestExampleCommentedSettingsAreValid(t *testing.T) {
	data, err := os.ReadFile(exampleFile)
	if err != nil {
		t.Fatal(err)
	}
	setting := regexp.MustCompile(`(?m)^(\s*)# (\s*[A-Za-z][A-Za-z_-]*:(?: .*)?)$`)
	if n := len(setting.FindAll(data, -1)); n < 16 {
		t.Fatalf("found %d commented-out settings, want the 16 of endpoint, tls_config, proxy, page_size and co.", n)
	}
	uncommented := setting.ReplaceAll(data, []byte("$1$2"))
	ca, cert, key := newTestPKI(t)
	files := map[string][]byte{
		"/etc/workspace_exporter/ca.pem":     ca,
		"/etc/workspace_exporter/client.pem": cert,
		"/etc/workspace_exporter/client.key": key,
	}
	opts := config.Options{
		Getenv: func(k string) string { return exampleEnv[k] },
		ReadFile: func(p string) ([]byte, error) {
			if b, ok := files[p]; ok {
				return b, nil
			}
			return nil, fmt.Errorf("%s: %w", p, os.ErrNotExist)
		},
	}
	cfg, err := config.Parse(uncommented, opts)
	if err != nil {
		t.Fatalf("uncommented config.example.yml:\n%v\n%s", err, uncommented)
	}
	tc := cfg.Targets[0]
	if tc.TLSConfig.CAFile == "" || tc.TLSConfig.ServerName == "" || tc.ProxyConfig.ProxyURL.URL == nil || len(tc.ProxyConfig.ProxyConnectHeader) != 1 {
		t.Errorf("the uncommented settings did not arrive: %+v %+v", tc.TLSConfig, tc.ProxyConfig)
	}
	if tc.API.PageSize == 0 || tc.Options.(*huaweicloud.TargetOptions).Endpoint != "https://workspace.ap-southeast-3.myhuaweicloud.com" {
		t.Errorf("the uncommented endpoint or page_size did not arrive: %+v %+v", tc.API, tc.Options)
	}
}

// newTestPKI returns a CA and a client certificate and key it signed, as
// PEM.
func newTestPKI(t *testing.T) (caPEM, certPEM, keyPEM []byte) {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ca := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	clientKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	client := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "exporter"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	clientDER, err := x509.CreateCertificate(rand.Reader, client, ca, &clientKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(clientKey)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}),
		pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: clientDER}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
}
