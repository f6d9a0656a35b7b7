package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"golang.org/x/crypto/bcrypt"

	"github.com/workspace-exporter/workspace_exporter/simulator"
)

// These tests run the real binary, as a user would.

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "workspace_exporter-e2e")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "workspace_exporter")
	if out, err := exec.Command("go", "build", "-race", "-o", binary, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building the binary: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// syncBuffer collects the exporter's log output.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

type exporter struct {
	cmd  *exec.Cmd
	url  string
	logs *syncBuffer
}

func startExporter(t *testing.T, env []string, args ...string) *exporter {
	t.Helper()
	addr := freeAddr(t)
	cmd := exec.Command(binary, append([]string{"--web.listen-address=" + addr, "--log.level=debug"}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	logs := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	e := &exporter{cmd: cmd, url: "http://" + addr, logs: logs}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			t.Errorf("exporter did not stop on SIGTERM")
		}
		if t.Failed() {
			t.Logf("exporter log:\n%s", logs.String())
		}
	})
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(e.url + "/-/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return e
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("exporter not ready after 60s: %v\n%s", err, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (e *exporter) get(t *testing.T, path string) (int, string) {
	t.Helper()
	resp, err := http.Get(e.url + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (e *exporter) post(t *testing.T, path string) (int, string) {
	t.Helper()
	resp, err := http.Post(e.url+path, "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func parse(t *testing.T, body string) map[string]*dto.MetricFamily {
	t.Helper()
	p := expfmt.NewTextParser(model.LegacyValidation)
	mfs, err := p.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("parsing /metrics: %v", err)
	}
	return mfs
}

// sum adds the values of a family's series whose labels include want.
func sum(mfs map[string]*dto.MetricFamily, name string, want map[string]string) (float64, int) {
	mf := mfs[name]
	if mf == nil {
		return 0, 0
	}
	total, n := 0.0, 0
	for _, m := range mf.GetMetric() {
		ok := true
		for k, v := range want {
			found := false
			for _, l := range m.GetLabel() {
				if l.GetName() == k && l.GetValue() == v {
					found = true
				}
			}
			ok = ok && found
		}
		if !ok {
			continue
		}
		n++
		switch {
		case m.Gauge != nil:
			total += m.GetGauge().GetValue()
		case m.Counter != nil:
			total += m.GetCounter().GetValue()
		}
	}
	return total, n
}

func promtoolCheck(t *testing.T, body string) {
	t.Helper()
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("promtool is required in CI (Debian package prometheus)")
		}
		t.Skip("promtool not installed (apt-get install prometheus); skipping the exposition lint")
	}
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = strings.NewReader(body)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
}

func TestDemoEndToEnd(t *testing.T) {
	e := startExporter(t, nil, "--demo", "--demo.desktops=1234", "--demo.refresh-interval=1h")
	code, body := e.get(t, "/metrics")
	if code != 200 {
		t.Fatalf("/metrics: %d", code)
	}
	mfs := parse(t, body)
	if v, n := sum(mfs, "workspace_desktops", map[string]string{"target": "demo"}); v != 1234 || n < 16 {
		t.Errorf("workspace_desktops sums to %v over %d series, want 1234 over ≥16", v, n)
	}
	if v, _ := sum(mfs, "workspace_up", map[string]string{"target": "demo"}); v != 1 {
		t.Errorf("workspace_up = %v", v)
	}
	// ⌈1234/500⌉ = 3 signed list requests, no faults, no retries.
	if v, _ := sum(mfs, "workspace_api_requests_total", map[string]string{"target": "demo", "operation": "ListDesktopsDetail", "code": "200"}); v != 3 {
		t.Errorf("list requests = %v, want 3", v)
	}
	if _, n := sum(mfs, "workspace_desktop_info", nil); n != 1234 {
		t.Errorf("desktop_info series = %d, want 1234", n)
	}
	for _, name := range []string{"workspace_exporter_build_info", "workspace_target_info", "workspace_collector_success",
		"workspace_collector_duration_seconds", "workspace_collector_last_success_timestamp_seconds", "workspace_desktop_tasks",
		"workspace_desktop_status", "workspace_desktop_login_status", "workspace_api_request_duration_seconds",
		"workspace_config_last_reload_successful", "workspace_config_last_reload_success_timestamp_seconds", "process_cpu_seconds_total"} {
		if mfs[name] == nil {
			t.Errorf("%s missing", name)
		}
	}
	promtoolCheck(t, body)

	if code, body := e.get(t, "/"); code != 200 || !strings.Contains(body, "/metrics") {
		t.Errorf("landing page: %d", code)
	}
	if code, _ := e.get(t, "/-/healthy"); code != 200 {
		t.Errorf("/-/healthy: %d", code)
	}
	if code, _ := e.get(t, "/-/reload"); code != http.StatusMethodNotAllowed {
		t.Errorf("GET /-/reload: %d, want 405", code)
	}
	if code, body := e.post(t, "/-/reload"); code != 500 || !strings.Contains(body, "demo mode") {
		t.Errorf("POST /-/reload in demo mode: %d %q", code, body)
	}
}

const (
	goodAK    = "GOODAK0123456789ABCD"
	goodSK    = "goodSKsecret0123456789abcdefghij"
	goodToken = "securitytoken-0123456789-very-secret"
	badSK     = "wrongSKsecret0123456789abcdefghij"
	project   = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"
)

func TestConfigFileReloadAndSecrets(t *testing.T) {
	sim, err := simulator.New(simulator.Options{
		ProjectID:   project,
		Credentials: []simulator.Credential{{AccessKey: goodAK, SecretKey: goodSK, SecurityToken: goodToken}},
		Desktops:    700,
		Seed:        7,
	})
	if err != nil {
		t.Fatal(err)
	}
	url, err := sim.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	// A throttle, a 5xx and a broken body on the way: retried, invisible to the result.
	sim.InjectFault(simulator.Fault{Kind: "throttle", Count: 1, RetryAfter: time.Second})
	sim.InjectFault(simulator.Fault{Kind: "server_error", Count: 1, Status: 503})
	sim.InjectFault(simulator.Fault{Kind: "malformed", Count: 1})

	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "token")
	if err := os.WriteFile(tokenFile, []byte(goodToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	target := func(name, skLine string) string {
		return fmt.Sprintf(`  - name: %s
    provider: huaweicloud
    region: ap-southeast-3
    project_id: %s
    endpoint: %s
    credentials:
      access_key: %s
      %s
      security_token_file: %s
    api: {min_backoff: 10ms, max_backoff: 100ms}
    collectors: {desktops: {interval: 1h}}
`, name, project, url, goodAK, skLine, tokenFile)
	}
	good := target("good", "secret_key_env: TEST_GOOD_SK")
	bad := target("bad", "secret_key: "+badSK)
	cfgPath := filepath.Join(dir, "config.yml")
	if err := os.WriteFile(cfgPath, []byte("targets:\n"+good+bad), 0o600); err != nil {
		t.Fatal(err)
	}
	e := startExporter(t, []string{"TEST_GOOD_SK=" + goodSK}, "--config.file="+cfgPath)
	_, body := e.get(t, "/metrics")
	mfs := parse(t, body)
	if v, _ := sum(mfs, "workspace_desktops", map[string]string{"target": "good"}); v != 700 {
		t.Errorf("good target desktops = %v, want 700", v)
	}
	if v, _ := sum(mfs, "workspace_up", map[string]string{"target": "good"}); v != 1 {
		t.Errorf("good target up = %v", v)
	}
	if v, _ := sum(mfs, "workspace_up", map[string]string{"target": "bad"}); v != 0 {
		t.Errorf("bad target up = %v, want 0", v)
	}
	if v, _ := sum(mfs, "workspace_api_requests_total", map[string]string{"target": "bad", "code": "401"}); v != 1 {
		t.Errorf("bad target 401s = %v, want exactly 1 (auth errors are not retried)", v)
	}
	if v, _ := sum(mfs, "workspace_api_throttled_total", nil); v != 1 {
		t.Errorf("throttled = %v, want 1", v)
	}
	if !strings.Contains(e.logs.String(), "WKS.00000039") {
		t.Errorf("the auth failure's error_code is not logged")
	}
	promtoolCheck(t, body)

	// SIGHUP with the bad target removed.
	if err := os.WriteFile(cfgPath, []byte("targets:\n"+good), 0o600); err != nil {
		t.Fatal(err)
	}
	_ = e.cmd.Process.Signal(syscall.SIGHUP)
	waitFor(t, func() bool {
		_, body := e.get(t, "/metrics")
		_, n := sum(parse(t, body), "workspace_target_info", nil)
		return n == 1
	})
	// A broken file over POST: 500 naming the problem, the old config stays.
	if err := os.WriteFile(cfgPath, []byte("targets:\n  - name: good\n    regoin: x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, body := e.post(t, "/-/reload"); code != 500 || !strings.Contains(body, `unknown key "regoin"`) || !strings.Contains(body, "line 3") {
		t.Errorf("bad reload: %d %q", code, body)
	}
	_, body = e.get(t, "/metrics")
	mfs = parse(t, body)
	if v, _ := sum(mfs, "workspace_config_last_reload_successful", nil); v != 0 {
		t.Errorf("reload_successful = %v, want 0", v)
	}
	if v, _ := sum(mfs, "workspace_desktops", map[string]string{"target": "good"}); v != 700 {
		t.Errorf("good target lost after a failed reload: %v", v)
	}

	for _, secret := range []string{goodAK, goodSK, goodToken, badSK} {
		if strings.Contains(body, secret) {
			t.Errorf("/metrics shows a secret")
		}
		if strings.Contains(e.logs.String(), secret) {
			t.Errorf("the log shows a secret (%d chars)", len(secret))
		}
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatal("condition not met within 30s")
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func TestConfigCheck(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yml")
	os.WriteFile(good, []byte("targets:\n  - {name: a, provider: huaweicloud, region: ap-southeast-3, project_id: p, credentials: {access_key: A, secret_key: S}}\n"), 0o600)
	bad := filepath.Join(dir, "bad.yml")
	os.WriteFile(bad, []byte("targets:\n  - {name: a, provider: huaweicloud, project_id: p, collectors: {desktopz: {}}}\n"), 0o600)
	out, err := exec.Command(binary, "--config.check", "--config.file="+good).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "valid (1 targets)") {
		t.Errorf("good config: %v %s", err, out)
	}
	out, err = exec.Command(binary, "--config.check", "--config.file="+bad).CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Errorf("bad config exit: %v", err)
	}
	for _, want := range []string{`target "a" (targets[0]): region: required`, `collectors.desktopz: unknown collector`} {
		if !strings.Contains(string(out), want) {
			t.Errorf("--config.check output lacks %q:\n%s", want, out)
		}
	}
	// Starting with a bad config fails fast.
	out, err = exec.Command(binary, "--config.file="+bad, "--web.listen-address=127.0.0.1:0").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "region: required") {
		t.Errorf("start with a bad config: %v %s", err, out)
	}
}

// The exporter-toolkit web config protects every endpoint.
func TestWebConfigBasicAuth(t *testing.T) {
	hash, err := bcrypt.GenerateFromPassword([]byte("s3cret-pass"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	webCfg := filepath.Join(t.TempDir(), "web.yml")
	if err := os.WriteFile(webCfg, []byte("basic_auth_users:\n  prom: "+string(hash)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	cmd := exec.Command(binary, "--demo", "--demo.desktops=10", "--web.listen-address="+addr, "--web.config.file="+webCfg)
	logs := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	get := func(user, pass string) int {
		req, _ := http.NewRequest("GET", "http://"+addr+"/metrics", nil)
		if user != "" {
			req.SetBasicAuth(user, pass)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	waitFor(t, func() bool { return get("prom", "s3cret-pass") == 200 })
	if code := get("", ""); code != http.StatusUnauthorized {
		t.Errorf("no credentials: %d, want 401", code)
	}
	if code := get("prom", "wrong"); code != http.StatusUnauthorized {
		t.Errorf("wrong password: %d, want 401", code)
	}
}
