package huaweicloud

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const (
	testAK      = "AKIDTESTTESTTEST0001"
	testSK      = "SKsecretsecretsecretsecret0001"
	testToken   = "TOKENtokentokentoken0001"
	testProject = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"
)

type recObserver struct {
	mu        sync.Mutex
	codes     []string
	throttled int
	invalid   int
}

func (o *recObserver) ObserveRequest(op, code string, _ time.Duration) {
	o.mu.Lock()
	o.codes = append(o.codes, op+":"+code)
	o.mu.Unlock()
}
func (o *recObserver) ObserveThrottled(string) { o.mu.Lock(); o.throttled++; o.mu.Unlock() }
func (o *recObserver) ObserveInvalidItems(_ string, n int) {
	o.mu.Lock()
	o.invalid += n
	o.mu.Unlock()
}

// newTestClient returns a client whose backoff sleeps are recorded, not slept.
func newTestClient(t *testing.T, url string, mod func(*Config)) (*Client, *recObserver, *[]time.Duration) {
	t.Helper()
	obs := &recObserver{}
	var waits []time.Duration
	var mu sync.Mutex
	cfg := Config{Endpoint: url, ProjectID: testProject, AccessKey: testAK, SecretKey: testSK, SecurityToken: testToken,
		MaxRetries: 3, MinBackoff: 100 * time.Millisecond, MaxBackoff: 2 * time.Second, Timeout: 2 * time.Second, Observer: obs,
		Sleep: func(ctx context.Context, d time.Duration) error {
			mu.Lock()
			waits = append(waits, d)
			mu.Unlock()
			return ctx.Err()
		}}
	if mod != nil {
		mod(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c, obs, &waits
}

const onePage = `{"desktops":[{"desktop_id":"d1","status":"ACTIVE","login_status":"CONNECTED","task_status":""}],"total_count":1}`

func TestRequestIsSigned(t *testing.T) {
	var got http.Header
	var path, query string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, path, query = r.Header.Clone(), r.URL.Path, r.URL.RawQuery
		fmt.Fprint(w, onePage)
	}))
	defer srv.Close()
	c, _, _ := newTestClient(t, srv.URL, func(c *Config) { c.UserAgent = "workspace_exporter/test" })
	ds, _, err := c.ListDesktops(context.Background())
	if err != nil || len(ds) != 1 {
		t.Fatalf("%v %v", ds, err)
	}
	if path != "/v2/"+testProject+"/desktops/detail" || query != "limit=500&offset=0" {
		t.Errorf("path %q query %q", path, query)
	}
	auth := got.Get("Authorization")
	if !strings.HasPrefix(auth, "SDK-HMAC-SHA256 Access="+testAK+", SignedHeaders=") || !strings.Contains(auth, "x-sdk-date") || !strings.Contains(auth, "x-security-token") {
		t.Errorf("Authorization = %q", auth)
	}
	for h, v := range map[string]string{"X-Project-Id": testProject, "X-Security-Token": testToken, "Content-Type": "application/json", "User-Agent": "workspace_exporter/test"} {
		if got.Get(h) != v {
			t.Errorf("%s = %q, want %q", h, got.Get(h), v)
		}
	}
	if _, err := time.Parse("20060102T150405Z", got.Get("X-Sdk-Date")); err != nil {
		t.Errorf("X-Sdk-Date %q: %v", got.Get("X-Sdk-Date"), err)
	}
}

// scripted serves the given responses in order, then the last one forever.
func scripted(steps ...func(w http.ResponseWriter)) (*httptest.Server, *atomic.Int32) {
	var n atomic.Int32
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := int(n.Add(1)) - 1
		if i >= len(steps) {
			i = len(steps) - 1
		}
		w.Header().Set("X-Request-Id", fmt.Sprintf("req-%d", i))
		steps[i](w)
	})), &n
}

func status(code int, body string, hdr ...string) func(w http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		for i := 0; i+1 < len(hdr); i += 2 {
			w.Header().Set(hdr[i], hdr[i+1])
		}
		w.WriteHeader(code)
		fmt.Fprint(w, body)
	}
}

func TestThrottleHonoursRetryAfter(t *testing.T) {
	srv, n := scripted(
		status(429, `{"error_code":"APIGW.0308","error_msg":"The request is throttled."}`, "Retry-After", "7"),
		status(200, onePage))
	defer srv.Close()
	c, obs, waits := newTestClient(t, srv.URL, nil)
	if _, _, err := c.ListDesktops(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n.Load() != 2 || len(*waits) != 1 || (*waits)[0] != 7*time.Second {
		t.Errorf("requests %d, waits %v; want 2 requests and one 7s wait", n.Load(), *waits)
	}
	if obs.throttled != 1 || strings.Join(obs.codes, ",") != "ListDesktopsDetail:429,ListDesktopsDetail:200" {
		t.Errorf("observed %v throttled %d", obs.codes, obs.throttled)
	}
}

func TestRetryableFailuresBackOff(t *testing.T) {
	srv, n := scripted(
		status(500, `{"error_code":"WKS.0002","error_msg":"Internal error."}`),
		status(502, `<html>bad gateway</html>`),
		status(400, `{"error_code":"APIGW.0201","error_msg":"Request is not well-formed"}`), // APIGW 400: not retried
	)
	defer srv.Close()
	c, _, waits := newTestClient(t, srv.URL, nil)
	_, _, err := c.ListDesktops(context.Background())
	var ae *APIError
	if !errors.As(err, &ae) || ae.Status != 400 || ae.Code != "APIGW.0201" || ae.RequestID != "req-2" {
		t.Fatalf("err = %v", err)
	}
	if n.Load() != 3 || len(*waits) != 2 {
		t.Fatalf("requests %d waits %v", n.Load(), *waits)
	}
	for i, w := range *waits {
		hi := 100 * time.Millisecond << i
		if w < hi/2 || w > hi {
			t.Errorf("wait %d = %s, want in [%s, %s]", i, w, hi/2, hi)
		}
	}
}

func TestGivesUpAfterMaxRetries(t *testing.T) {
	srv, n := scripted(status(503, `{"error_code":"WKS.0002","error_msg":"busy"}`))
	defer srv.Close()
	c, _, waits := newTestClient(t, srv.URL, nil)
	_, _, err := c.ListDesktops(context.Background())
	if err == nil || !strings.Contains(err.Error(), "gave up after 4 attempts") || !strings.Contains(err.Error(), "WKS.0002") {
		t.Fatalf("err = %v", err)
	}
	if n.Load() != 4 || len(*waits) != 3 {
		t.Errorf("requests %d waits %d", n.Load(), len(*waits))
	}
	// The cap holds.
	for _, w := range *waits {
		if w > 2*time.Second {
			t.Errorf("wait %s above max_backoff", w)
		}
	}
}

func TestAuthErrorsAreNotRetried(t *testing.T) {
	for _, code := range []int{401, 403} {
		srv, n := scripted(status(code, `{"error_code":"WKS.00000039","error_msg":"Failed to authenticate AK `+testAK+` with SK `+testSK+`","error_detail":"x","encoded_authorization_message":"y"}`))
		c, _, waits := newTestClient(t, srv.URL, nil)
		_, _, err := c.ListDesktops(context.Background())
		srv.Close()
		if !IsAuthError(err) || n.Load() != 1 || len(*waits) != 0 {
			t.Fatalf("%d: err %v requests %d", code, err, n.Load())
		}
		msg := err.Error()
		for _, want := range []string{fmt.Sprintf("HTTP %d", code), "WKS.00000039", "Failed to authenticate", "request_id req-0"} {
			if !strings.Contains(msg, want) {
				t.Errorf("error %q lacks %q", msg, want)
			}
		}
		for _, secret := range []string{testAK, testSK, testToken} {
			if strings.Contains(msg, secret) {
				t.Errorf("error %q shows a secret", msg)
			}
		}
	}
}

func TestMalformedAndTruncatedBodies(t *testing.T) {
	truncated := func(w http.ResponseWriter) {
		w.Header().Set("Content-Length", "1000")
		w.WriteHeader(200)
		fmt.Fprint(w, `{"desktops":[{"desktop_id":"d1"`)
	}
	srv, n := scripted(status(200, `<html>oops</html>`), truncated, status(200, onePage))
	defer srv.Close()
	c, _, _ := newTestClient(t, srv.URL, nil)
	ds, _, err := c.ListDesktops(context.Background())
	if err != nil || len(ds) != 1 || n.Load() != 3 {
		t.Fatalf("ds %v err %v requests %d", ds, err, n.Load())
	}
	// With no retries the error says what broke.
	srv2, _ := scripted(status(200, `{"desktops":[{"desktop_id":`))
	defer srv2.Close()
	c2, _, _ := newTestClient(t, srv2.URL, func(c *Config) { c.MaxRetries = 0 })
	_, _, err = c2.ListDesktops(context.Background())
	if err == nil || !strings.Contains(err.Error(), "undecodable body") {
		t.Fatalf("err = %v", err)
	}
}

func TestRequestTimeout(t *testing.T) {
	block := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-block:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(block)
	c, obs, _ := newTestClient(t, srv.URL, func(c *Config) { c.Timeout = 50 * time.Millisecond; c.MaxRetries = 1 })
	_, _, err := c.ListDesktops(context.Background())
	if err == nil || !strings.Contains(err.Error(), "request timeout of 50ms") {
		t.Fatalf("err = %v", err)
	}
	if strings.Join(obs.codes, ",") != "ListDesktopsDetail:error,ListDesktopsDetail:error" {
		t.Errorf("observed %v", obs.codes)
	}
}

func TestRefreshDeadlineStopsRetries(t *testing.T) {
	srv, n := scripted(status(429, `{}`, "Retry-After", "120"))
	defer srv.Close()
	c, _, _ := newTestClient(t, srv.URL, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, _, err := c.ListDesktops(ctx)
	if err == nil || !strings.Contains(err.Error(), "would pass the refresh deadline") || n.Load() != 1 {
		t.Fatalf("err %v requests %d", err, n.Load())
	}
}

func TestNoCredentialsAnywhere(t *testing.T) {
	for _, k := range []string{"HUAWEICLOUD_SDK_AK", "HUAWEICLOUD_SDK_SK", "HUAWEICLOUD_SDK_PROFILE", "HUAWEICLOUD_SDK_CREDENTIALS_FILE"} {
		t.Setenv(k, "")
	}
	t.Setenv("HOME", t.TempDir())
	_, err := New(Config{Endpoint: "http://127.0.0.1:1", ProjectID: "p", AccessKey: "only-ak"})
	if err == nil || strings.Contains(err.Error(), "only-ak") {
		t.Fatalf("half credentials: %v", err)
	}
	t.Setenv("HUAWEICLOUD_SDK_AK", "env-ak-0001")
	t.Setenv("HUAWEICLOUD_SDK_SK", "env-sk-0001")
	c, err := New(Config{Endpoint: "http://127.0.0.1:1", ProjectID: "p"})
	if err != nil {
		t.Fatalf("SDK chain from the environment: %v", err)
	}
	if got := c.tr.Redactor().Message("key env-ak-0001 and env-sk-0001"); got != "key <redacted> and <redacted>" {
		t.Errorf("chain secrets not registered for redaction: %q", got)
	}
}
