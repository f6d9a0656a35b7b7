package config

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// testPKI is a CA and a client certificate it signed, as PEM.
type testPKI struct {
	caPEM, certPEM, keyPEM, otherKeyPEM []byte
}

func newTestPKI(t *testing.T) testPKI {
	t.Helper()
	newKey := func() (*ecdsa.PrivateKey, []byte) {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		der, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			t.Fatal(err)
		}
		return k, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	}
	caKey, _ := newKey()
	ca := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	clientKey, keyPEM := newKey()
	client := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "exporter"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	clientDER, err := x509.CreateCertificate(rand.Reader, client, ca, &clientKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	_, otherKeyPEM := newKey()
	return testPKI{
		caPEM:       pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}),
		certPEM:     pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: clientDER}),
		keyPEM:      keyPEM,
		otherKeyPEM: otherKeyPEM,
	}
}

func writeFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestTLSConfig(t *testing.T) {
	pki := newTestPKI(t)
	dir := t.TempDir()
	ca := writeFile(t, dir, "ca.pem", pki.caPEM)
	cert := writeFile(t, dir, "client.pem", pki.certPEM)
	key := writeFile(t, dir, "client.key", pki.keyPEM)
	otherKey := writeFile(t, dir, "other.key", pki.otherKeyPEM)
	notPEM := writeFile(t, dir, "not.pem", []byte("hello"))
	big := writeFile(t, dir, "big.pem", make([]byte, MaxTLSFileSize+1))

	cfg, err := Parse([]byte(doc("endpoint: https://127.0.0.1:8443\ntls_config:\n  ca_file: "+ca+"\n  cert_file: "+cert+"\n  key_file: "+key+
		"\n  server_name: workspace.example\n  min_version: TLS12\n  max_version: TLS13")), testOpts)
	if err != nil {
		t.Fatal(err)
	}
	tc := cfg.Targets[0].TLSConfig
	if tc.CAFile != ca || tc.ServerName != "workspace.example" || tc.MinVersion == 0 || tc.MaxVersion <= tc.MinVersion || tc.InsecureSkipVerify {
		t.Errorf("tls_config = %+v", tc)
	}
	if cfg.Warnings != nil {
		t.Errorf("warnings: %q", cfg.Warnings)
	}
	// Inline PEM works as well.
	if _, err := Parse([]byte(doc("tls_config:\n  ca: |\n"+indent(string(pki.caPEM), "    "))), testOpts); err != nil {
		t.Errorf("inline ca: %v", err)
	}

	cases := []struct {
		name, tls string
		want      []string
	}{
		{"ca_file missing", "ca_file: /nonexistent/ca.pem", []string{
			`line 7: target "a" (targets[0]): tls_config.ca_file /nonexistent/ca.pem: no such file or directory`}},
		{"ca_file a directory", "ca_file: " + dir, []string{
			`line 7: target "a" (targets[0]): tls_config.ca_file ` + dir + `: not a regular file (directory)`}},
		{"ca_file a device", "ca_file: /dev/null", []string{
			`line 7: target "a" (targets[0]): tls_config.ca_file /dev/null: not a regular file (character device)`}},
		{"ca_file too big", "ca_file: " + big, []string{
			`line 7: target "a" (targets[0]): tls_config.ca_file ` + big + `: 1048577 bytes, over the 1 MiB limit`}},
		{"ca_file not PEM", "ca_file: " + notPEM, []string{`line 7: target "a" (targets[0]): tls_config.ca_file: no PEM certificate found`}},
		{"ca and ca_file", "ca: x\n  ca_file: " + ca, []string{
			`line 6: target "a" (targets[0]): tls_config: at most one of ca, ca_file & ca_ref must be configured`}},
		{"cert without key", "cert_file: " + cert, []string{
			`line 6: target "a" (targets[0]): tls_config: exactly one of key or key_file must be configured when a client certificate is configured`}},
		{"cert and key do not match", "cert_file: " + cert + "\n  key_file: " + otherKey, []string{
			`line 7: target "a" (targets[0]): tls_config.cert_file: the client certificate and key do not load: tls: private key does not match public key`}},
		{"every file at once", "ca_file: /nonexistent/ca\n  cert_file: /nonexistent/cert\n  key_file: /nonexistent/key", []string{
			`line 7: target "a" (targets[0]): tls_config.ca_file /nonexistent/ca: no such file or directory`,
			`line 8: target "a" (targets[0]): tls_config.cert_file /nonexistent/cert: no such file or directory`,
			`line 9: target "a" (targets[0]): tls_config.key_file /nonexistent/key: no such file or directory`}},
		{"secret manager reference", "ca_ref: vault/ca", []string{
			`line 7: target "a" (targets[0]): tls_config.ca_ref: secret references are not supported here; use ca or ca_file`}},
		{"unknown version", "min_version: TLS14", []string{
			`line 7: target "a" (targets[0]): tls_config.min_version: unknown TLS version: TLS14 (use TLS10, TLS11, TLS12 or TLS13)`}},
		{"min above max", "min_version: TLS13\n  max_version: TLS12", []string{
			`line 8: target "a" (targets[0]): tls_config.max_version: TLS12 is below min_version TLS13`}},
		{"unknown key", "ca_fiel: x\n  server_name: [a]", []string{
			`line 7: target "a" (targets[0]): unknown key "ca_fiel" in tls_config (did you mean "ca_file"?)`,
			`line 8: target "a" (targets[0]): tls_config.server_name: want a string, got a list`}},
		{"not a mapping", "", []string{`line 6: target "a" (targets[0]): tls_config: want a mapping, got "x"`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			body := "tls_config:\n  " + c.tls
			if c.tls == "" {
				body = "tls_config: x"
			}
			_, err := Parse([]byte(doc(body)), testOpts)
			checkProblems(t, err, c.want...)
		})
	}
}

func indent(s, prefix string) string {
	return prefix + strings.ReplaceAll(strings.TrimSuffix(s, "\n"), "\n", "\n"+prefix) + "\n"
}

func TestInsecureSkipVerifyWarns(t *testing.T) {
	cfg, err := Parse([]byte(doc("tls_config:\n  insecure_skip_verify: true")), testOpts)
	if err != nil {
		t.Fatal(err)
	}
	want := `line 7: target "a" (targets[0]): tls_config.insecure_skip_verify: true: the endpoint's certificate is not verified, ` +
		`so anyone on the network path can read the signed requests; use it only for testing`
	if len(cfg.Warnings) != 1 || cfg.Warnings[0] != want {
		t.Errorf("warnings = %q", cfg.Warnings)
	}
	if !cfg.Targets[0].TLSConfig.InsecureSkipVerify {
		t.Error("insecure_skip_verify lost")
	}
}

func TestProxyConfig(t *testing.T) {
	cfg, err := Parse([]byte(doc("proxy_url: http://proxy.example:3128\nno_proxy: 169.254.169.254\nproxy_connect_header:\n  Proxy-Authorization: [Basic abc]")), testOpts)
	if err != nil {
		t.Fatal(err)
	}
	p := cfg.Targets[0].ProxyConfig
	if p.ProxyURL.String() != "http://proxy.example:3128" || p.NoProxy != "169.254.169.254" || p.ProxyConnectHeader["Proxy-Authorization"][0] != "Basic abc" {
		t.Errorf("proxy = %+v", p)
	}
	if _, err := Parse([]byte(doc("proxy_from_environment: true")), testOpts); err != nil {
		t.Errorf("proxy_from_environment: %v", err)
	}
	cases := []struct{ name, yaml, want string }{
		{"bad scheme", "proxy_url: ftp://proxy", `line 6: target "a" (targets[0]): proxy_url: "ftp://proxy" needs an http://, https:// or socks5:// scheme`},
		{"no host", "proxy_url: 'http:///x'", `line 6: target "a" (targets[0]): proxy_url: "http:///x" has no host`},
		{"password redacted", "proxy_url: 'ftp://u:pw@proxy'", `line 6: target "a" (targets[0]): proxy_url: "ftp://u:xxxxx@proxy" needs an http://, https:// or socks5:// scheme`},
		{"not a URL", "proxy_url: 'http://[::1'", `line 6: target "a" (targets[0]): proxy_url: parse "http://[::1": missing ']' in host`},
		{"no_proxy alone", "no_proxy: x", `line 2: target "a" (targets[0]): if no_proxy is configured, proxy_url must also be configured`},
		{"both sources", "proxy_url: http://p\nproxy_from_environment: true", `line 2: target "a" (targets[0]): if proxy_from_environment is configured, proxy_url must not be configured`},
		{"header without proxy", "proxy_connect_header: {A: [b]}", `line 2: target "a" (targets[0]): if proxy_connect_header is configured, proxy_url or proxy_from_environment must also be configured`},
		{"header values are a list", "proxy_url: http://p\nproxy_connect_header: {A: b}", `line 7: target "a" (targets[0]): proxy_connect_header.A: want a list, got "b"`},
		{"boolean", "proxy_from_environment: maybe", `line 6: target "a" (targets[0]): proxy_from_environment: want true or false, got "maybe"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse([]byte(doc(c.yaml)), testOpts)
			checkProblems(t, err, c.want)
		})
	}
}
