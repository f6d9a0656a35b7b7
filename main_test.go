package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/prometheus/common/version"
	"golang.org/x/crypto/bcrypt"

	"github.com/workspace-exporter/workspace_exporter/config"
	"github.com/workspace-exporter/workspace_exporter/simulator"
	hwsim "github.com/workspace-exporter/workspace_exporter/simulator/huaweicloud"
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

func freeAddr(t testing.TB) string {
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

// startExporter starts the binary and waits until /-/ready answers 200.
func startExporter(t *testing.T, env []string, args ...string) *exporter {
	t.Helper()
	e := launchExporter(t, env, args...)
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
			t.Fatalf("exporter not ready after 60s: %v\n%s", err, e.logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// launchExporter starts the binary with debug logging on a free loopback
// port and stops it (SIGTERM) when the test ends; it does not wait.
func launchExporter(t testing.TB, env []string, args ...string) *exporter {
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
	return e
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

// othersDisabled disables every collector but desktops, for tests of the
// desktops collector: ", connections: {enabled: false}, …".
func othersDisabled() string {
	var b strings.Builder
	for _, name := range config.CollectorNames() {
		if name != "desktops" {
			fmt.Fprintf(&b, ", %s: {enabled: false}", name)
		}
	}
	return b.String()
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
	// The session domains (issue 8) serve from the same simulated fleet.
	if v, _ := sum(mfs, "workspace_desktops_by_connect_status", map[string]string{"target": "demo"}); v != 1234 {
		t.Errorf("workspace_desktops_by_connect_status sums to %v, want 1234", v)
	}
	for _, c := range config.CollectorNames() {
		if v, n := sum(mfs, "workspace_collector_success", map[string]string{"collector": c}); v != 1 || n != 1 {
			t.Errorf("collector %s: success %v over %d series", c, v, n)
		}
	}
	for _, name := range []string{"workspace_connected_users", "workspace_desktop_group_desktops", "workspace_login_state_desktops",
		"workspace_logins_total", "workspace_login_failures_total", "workspace_login_setup_duration_seconds",
		"workspace_login_e2e_rtt_seconds", "workspace_login_records_tracked", "workspace_login_users",
		"workspace_usage_desktops_reported", "workspace_usage_idle_desktops", "workspace_usage_logins",
		"workspace_statistics_desktops_by_state", "workspace_run_state_desktops"} {
		if mf := mfs[name]; mf == nil || len(mf.GetMetric()) == 0 {
			t.Errorf("%s missing", name)
		}
	}
	// The capacity and operations domains (issue 9).
	for _, name := range []string{"workspace_quota_limit", "workspace_quota_used", "workspace_alarms_active",
		"workspace_alarm_active", "workspace_jobs", "workspace_jobs_finished_total", "workspace_job_oldest_running_age_seconds",
		"workspace_pool_desktops", "workspace_pool_status", "workspace_users", "workspace_user_groups",
		"workspace_service_status", "workspace_service_locked", "workspace_ldaps_certificate_expiry_timestamp_seconds",
		"workspace_service_site_status", "workspace_edge_site_status",
		"workspace_script_tasks", "workspace_script_runs", "workspace_pool_script_tasks", "workspace_script_runs_finished_total",
		"workspace_scheduled_tasks", "workspace_scheduled_task_info", "workspace_scheduled_task_runs_total",
		"workspace_scheduled_task_next_execution_timestamp_seconds",
		"workspace_app_install_jobs", "workspace_app_install_jobs_by_app", "workspace_app_install_jobs_finished_total"} {
		if mf := mfs[name]; mf == nil || len(mf.GetMetric()) == 0 {
			t.Errorf("%s missing", name)
		}
	}
	// The other job sources have work on the simulated fleet from the start.
	for _, name := range []string{"workspace_script_tasks", "workspace_script_runs", "workspace_pool_script_tasks",
		"workspace_scheduled_tasks", "workspace_app_install_jobs"} {
		if v, _ := sum(mfs, name, map[string]string{"target": "demo"}); v <= 0 {
			t.Errorf("%s sums to %v, want > 0", name, v)
		}
	}
	if v, _ := sum(mfs, "workspace_pool_desktops", nil); v <= 0 {
		t.Errorf("workspace_pool_desktops = %v, want > 0", v)
	}
	if v, _ := sum(mfs, "workspace_service_status", map[string]string{"status": "SUBSCRIBED"}); v != 1 {
		t.Errorf("workspace_service_status{status=SUBSCRIBED} = %v, want 1", v)
	}
	if v, _ := sum(mfs, "workspace_usage_desktops_reported", nil); v <= 0 {
		t.Errorf("workspace_usage_desktops_reported = %v, want > 0", v)
	}
	if v, _ := sum(mfs, "workspace_login_records_tracked", nil); v <= 0 {
		t.Errorf("workspace_login_records_tracked = %v, want > 0 (the simulator backfills 2h of sessions)", v)
	}
	promtoolCheck(t, body)

	checkLandingPage(t, e)
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
	sim, err := hwsim.New(hwsim.Options{
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
    collectors: {desktops: {interval: 1h}%s}
`, name, project, url, goodAK, skLine, tokenFile, othersDisabled())
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

func mustReadFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
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
	if err != nil || !strings.Contains(string(out), "is valid (1 target)\n") {
		t.Errorf("good config: %v %s", err, out)
	}
	two := filepath.Join(dir, "two.yml")
	os.WriteFile(two, []byte("targets:\n  - {name: a, provider: huaweicloud, region: ap-southeast-3, project_id: p, credentials: {access_key: A, secret_key: S}}\n"+
		"  - {name: b, provider: huaweicloud, region: ap-southeast-3, project_id: q, credentials: {access_key: A, secret_key: S}}\n"), 0o600)
	out, err = exec.Command(binary, "--config.check", "--config.file="+two).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "is valid (2 targets)\n") {
		t.Errorf("two-target config: %v %s", err, out)
	}
	// The default --config.file is workspace_exporter.yml in the working
	// directory (the Docker image relies on it), and a repeated flag is
	// refused rather than overriding (so the image's entry point has none).
	if err := os.WriteFile(filepath.Join(dir, "workspace_exporter.yml"), mustReadFile(t, two), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(binary, "--config.check")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "workspace_exporter.yml is valid (2 targets)") {
		t.Errorf("default config file: %v %s", err, out)
	}
	out, err = exec.Command(binary, "--config.check", "--config.file="+good, "--config.file="+two).CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 || !strings.Contains(string(out), "cannot be repeated") {
		t.Errorf("repeated --config.file: %v %s", err, out)
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

// checkLandingPage follows every link of the landing page: each must be a
// page of the exporter that answers 200 (or 405 for a POST-only endpoint).
func checkLandingPage(t *testing.T, e *exporter) {
	t.Helper()
	code, body := e.get(t, "/")
	if code != 200 {
		t.Fatalf("landing page: %d", code)
	}
	links := regexp.MustCompile(`href="([^"]*)"`).FindAllStringSubmatch(body, -1)
	if len(links) < 3 {
		t.Errorf("landing page has %d links, want metrics, health and readiness:\n%s", len(links), body)
	}
	for _, l := range links {
		u, err := url.Parse(l[1])
		if err != nil || u.IsAbs() || u.Host != "" {
			t.Errorf("landing page links outside the exporter: %q", l[1])
			continue
		}
		if code, _ := e.get(t, "/"+strings.TrimPrefix(u.RequestURI(), "/")); code != 200 && code != http.StatusMethodNotAllowed {
			t.Errorf("landing page link %q: %d", l[1], code)
		}
	}
}

// Idle keep-alive connections are closed by the server after
// --web.idle-timeout, so idle clients cannot pile up.
func TestIdleKeepAliveConnectionsAreClosed(t *testing.T) {
	e := startExporter(t, nil, "--demo", "--demo.desktops=10", "--web.idle-timeout=1s")
	addr := strings.TrimPrefix(e.url, "http://")
	const n = 200
	conns := make([]net.Conn, 0, n)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	deadline := time.Now().Add(30 * time.Second)
	for i := 0; i < n; i++ {
		c, err := net.DialTimeout("tcp", addr, 10*time.Second)
		if err != nil {
			t.Fatalf("connection %d: %v", i, err)
		}
		conns = append(conns, c)
		_ = c.SetDeadline(deadline)
		if _, err := io.WriteString(c, "GET /-/healthy HTTP/1.1\r\nHost: "+addr+"\r\n\r\n"); err != nil {
			t.Fatalf("connection %d: %v", i, err)
		}
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatalf("connection %d: %v", i, err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Close {
			t.Fatalf("connection %d: status %d, close %v; want 200 on a kept-alive connection", i, resp.StatusCode, resp.Close)
		}
	}
	// Every connection is now idle; the server must close each well
	// before the 30 s deadline.
	for i, c := range conns {
		if _, err := c.Read(make([]byte, 1)); err != io.EOF {
			t.Fatalf("connection %d: read %v, want EOF (closed by the server after the idle timeout)", i, err)
		}
	}
}

// A --demo.faults the simulator cannot inject stops the demo with the
// reason, whether ParseFaults or the simulator's provider rejects it.
func TestDemoRejectsBadFaults(t *testing.T) {
	for spec, want := range map[string]string{
		"bogus=0.1":                          `unknown fault kind \"bogus\"`, // quotes escaped by the logger
		"throttle=0.1,enum_flood=colour:0.1": `fault 2: enum_flood fault: Fields may name status, login_status and task_status, got \"colour\"`,
	} {
		out, err := exec.Command(binary, "--demo", "--demo.faults="+spec, "--web.listen-address=127.0.0.1:0").CombinedOutput()
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 || !strings.Contains(string(out), want) {
			t.Errorf("%s: %v %s", spec, err, out)
		}
	}
}

func TestWebTimeoutFlagsMustBePositive(t *testing.T) {
	for _, f := range []string{"--web.read-header-timeout=0s", "--web.write-timeout=-1s", "--web.idle-timeout=0s"} {
		out, err := exec.Command(binary, "--demo", f).CombinedOutput()
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 || !strings.Contains(string(out), "must be positive") {
			t.Errorf("%s: %v %s", f, err, out)
		}
	}
}

// /-/ready is 503 until every collector finished its first refresh, then
// 200; both name the collectors that have no data.
func TestReadinessNamesCollectorsWithoutData(t *testing.T) {
	sim, err := hwsim.New(hwsim.Options{
		ProjectID:   project,
		Credentials: []simulator.Credential{{AccessKey: goodAK, SecretKey: goodSK}},
		Desktops:    5,
		Seed:        1,
	})
	if err != nil {
		t.Fatal(err)
	}
	simURL, err := sim.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	// An API that answers nothing until released, then refuses the key.
	release := make(chan struct{})
	var releaseOnce sync.Once
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, `{"error_code":"WKS.00000039","error_msg":"Authentication failed."}`)
	}))
	defer slow.Close()
	defer releaseOnce.Do(func() { close(release) })

	target := func(name, endpoint string) string {
		return fmt.Sprintf("  - {name: %s, provider: huaweicloud, region: ap-southeast-3, project_id: %s, endpoint: %q,\n"+
			"     credentials: {access_key: %s, secret_key: %s}, collectors: {desktops: {interval: 1h}%s}}\n", name, project, endpoint, goodAK, goodSK, othersDisabled())
	}
	cfgPath := filepath.Join(t.TempDir(), "config.yml")
	if err := os.WriteFile(cfgPath, []byte("targets:\n"+target("good", simURL)+target("slow", slow.URL)), 0o600); err != nil {
		t.Fatal(err)
	}
	e := launchExporter(t, nil, "--config.file="+cfgPath)
	ready := func() (int, string) {
		resp, err := http.Get(e.url + "/-/ready")
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	waitFor(t, func() bool { code, _ := ready(); return code != 0 })
	if code, body := ready(); code != http.StatusServiceUnavailable || !strings.Contains(body, "No data yet: ") || !strings.Contains(body, "slow/desktops") {
		t.Errorf("/-/ready during the first refresh: %d %q, want 503 naming slow/desktops", code, body)
	}
	releaseOnce.Do(func() { close(release) })
	waitFor(t, func() bool { code, _ := ready(); return code == 200 })
	if _, body := ready(); body != "Ready\nNo data yet (first refresh failed): slow/desktops\n" {
		t.Errorf("/-/ready after the first refresh: %q", body)
	}
}

// A plain `go build` (TestMain's, no -ldflags) reports the VERSION file.
func TestVersionOfAPlainBuild(t *testing.T) {
	want, err := os.ReadFile("VERSION")
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(binary, "--version").CombinedOutput()
	if err != nil {
		t.Fatalf("--version: %v %s", err, out)
	}
	if !strings.HasPrefix(string(out), "workspace_exporter, version "+strings.TrimSpace(string(want))+" (") {
		t.Errorf("--version printed %q, want version %s", out, want)
	}
}

func TestStampVersion(t *testing.T) {
	saved := []*string{&version.Version, &version.Revision, &version.BuildDate}
	old := make([]string, len(saved))
	for i, p := range saved {
		old[i], *p = *p, ""
	}
	defer func() {
		for i, p := range saved {
			*p = old[i]
		}
	}()
	stampVersion("1.2.3\n", &debug.BuildInfo{Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "0123abcd"}, {Key: "vcs.time", Value: "2025-11-29T23:42:07Z"},
	}})
	if version.Version != "1.2.3" || version.BuildDate != "20251129-23:42:07" || version.Revision == "" {
		t.Errorf("stamped version %q, build date %q, revision %q", version.Version, version.BuildDate, version.Revision)
	}
	// What -ldflags set is kept.
	version.Version, version.BuildDate = "9.9.9", "set-by-ldflags"
	stampVersion("1.2.3", &debug.BuildInfo{Settings: []debug.BuildSetting{{Key: "vcs.time", Value: "2025-11-29T23:42:07Z"}}})
	if version.Version != "9.9.9" || version.BuildDate != "set-by-ldflags" {
		t.Errorf("-ldflags values overwritten: %q %q", version.Version, version.BuildDate)
	}
	stampVersion("1.2.3", nil) // no build information: no panic
}
