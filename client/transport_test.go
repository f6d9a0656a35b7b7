package client

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	promconfig "github.com/prometheus/common/config"
)

// testProvider signs with a header that carries the secret, as a real
// signature carries a key derived from it.
type testProvider struct{ endpoint string }

func (p testProvider) NewRequest(ctx context.Context, op Operation, q url.Values) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, op.Method, p.endpoint+op.Path+"?"+q.Encode(), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "TEST Access="+secretAK+" Secret="+secretSK)
	req.Header.Set("X-Security-Token", secretSK)
	return req, nil
}

func (testProvider) ClassifyError(_ Operation, status int, header http.Header, body string) *APIError {
	var eb struct {
		Code string `json:"error_code"`
		Msg  string `json:"error_msg"`
	}
	_ = json.Unmarshal([]byte(body), &eb)
	e := &APIError{Code: eb.Code, Message: eb.Msg, RequestID: header.Get("X-Request-Id")}
	e.Auth = status == 401 || status == 403
	e.Throttled = status == 429
	e.Retryable = status >= 500 || e.Throttled
	e.PageSizeRejected = eb.Code == "LIMIT"
	return e
}

type countingObserver struct {
	mu        sync.Mutex
	requests  []string
	throttled int
	invalid   int
}

func (o *countingObserver) ObserveRequest(op, code string, _ time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.requests = append(o.requests, code)
}
func (o *countingObserver) ObserveThrottled(string) { o.mu.Lock(); o.throttled++; o.mu.Unlock() }
func (o *countingObserver) ObserveInvalidItems(_ string, n int) {
	o.mu.Lock()
	o.invalid += n
	o.mu.Unlock()
}

var testOp = Operation{Name: "ListThings", Method: http.MethodGet, Path: "/v2/things"}

var testSpec = &Spec{Provider: "test", Operations: []OperationSpec{
	{Name: "ListThings", Method: http.MethodGet, Path: "/v2/things", Paging: OffsetPaging, ListKey: "things", TotalKey: "total", MinLimit: 1, MaxLimit: 500},
	{Name: "GetThing", Method: http.MethodGet, Path: "/v2/things/{id}"},
	{Name: "ListTokens", Method: http.MethodGet, Path: "/v2/tokens", Paging: TokenPaging, ListKey: "Items", TotalKey: "TotalCount", MinLimit: 1, MaxLimit: 100},
}}

func newTestTransport(t testing.TB, endpoint string, mod func(*TransportConfig)) (*Transport, *countingObserver) {
	t.Helper()
	obs := &countingObserver{}
	cfg := TransportConfig{
		Endpoint: endpoint, Spec: testSpec, MaxRetries: 2, Timeout: 5 * time.Second, Observer: obs,
		Redactor: NewRedactor(secretAK, secretSK),
		Sleep:    func(ctx context.Context, _ time.Duration) error { return ctx.Err() },
	}
	if mod != nil {
		mod(&cfg)
	}
	tr, err := NewTransport(cfg, testProvider{endpoint})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tr.Close)
	return tr, obs
}

func discard(r io.Reader) error { _, err := io.Copy(io.Discard, r); return err }

// recorder is a second listener that records what reaches it.
type recorder struct {
	*httptest.Server
	mu   sync.Mutex
	hdrs []http.Header
}

func newRecorder(t *testing.T) *recorder {
	r := &recorder{}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		r.hdrs = append(r.hdrs, req.Header.Clone())
		r.mu.Unlock()
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *recorder) count() int { r.mu.Lock(); defer r.mu.Unlock(); return len(r.hdrs) }

// A redirect is never followed: not to another host, not to another port
// of the same host, not from https to http.
func TestRedirectsAreNeverFollowed(t *testing.T) {
	rec := newRecorder(t)
	for _, code := range []int{301, 302, 303, 307, 308} {
		api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, rec.URL+"/steal?x=1", code)
		}))
		tr, obs := newTestTransport(t, api.URL, nil)
		err := tr.Do(context.Background(), testOp, nil, discard)
		api.Close()
		host := strings.TrimPrefix(rec.URL, "http://")
		if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("HTTP %d redirect to %s refused", code, host)) {
			t.Errorf("%d: err = %v", code, err)
		}
		if len(obs.requests) != 1 {
			t.Errorf("%d: a redirect was retried: %v", code, obs.requests)
		}
	}
	if n := rec.count(); n != 0 {
		t.Fatalf("%d requests reached the redirect target", n)
	}
}

// Error bodies, codes and headers that echo a secret, before or past the
// truncation point, never show 8 characters of it.
func TestErrorStringsAreRedactedThenBounded(t *testing.T) {
	for _, pad := range []int{0, 250, 1000, 5000} {
		p := strings.Repeat("x", pad)
		api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Request-Id", p+secretSK)
			w.WriteHeader(400)
			fmt.Fprintf(w, `{"error_code":%q,"error_msg":%q}`, p+secretSK, p+secretSK+" and "+secretAK)
		}))
		tr, _ := newTestTransport(t, api.URL, nil)
		err := tr.Do(context.Background(), testOp, nil, discard)
		api.Close()
		var ae *APIError
		if !errors.As(err, &ae) {
			t.Fatalf("pad %d: %v", pad, err)
		}
		for _, s := range []string{err.Error(), ae.Code, ae.Message, ae.RequestID} {
			assertNoFragment(t, fmt.Sprintf("pad %d", pad), s, secretAK, secretSK)
		}
		if len(ae.Message) > MaxMessageLen || len(ae.RequestID) > MaxMessageLen || len(ae.Code) > 64 {
			t.Errorf("pad %d: unbounded strings: %d %d %d", pad, len(ae.Message), len(ae.RequestID), len(ae.Code))
		}
	}
}

func TestRetryAfterForms(t *testing.T) {
	if d := parseRetryAfter("3", time.Second); d != 3*time.Second {
		t.Errorf("seconds: %s", d)
	}
	if d := parseRetryAfter(time.Now().Add(90*time.Second).UTC().Format(http.TimeFormat), time.Second); d < 80*time.Second || d > 90*time.Second {
		t.Errorf("date: %s", d)
	}
	for _, v := range []string{"86400", "99999999999999999999", "9223372036854775807"} {
		if d := parseRetryAfter(v, time.Second); d != maxRetryAfter {
			t.Errorf("cap %q: %s", v, d)
		}
	}
	for _, v := range []string{"", "soon", "-5", "1.5"} {
		if d := parseRetryAfter(v, time.Second); d != 0 {
			t.Errorf("%q: %s", v, d)
		}
	}
}

// A certificate the client does not trust fails at once, is not retried
// and says what to configure; with the CA in tls_config it works.
func TestTLSErrorsAreNotRetried(t *testing.T) {
	var hits atomic.Int32
	api := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		fmt.Fprint(w, `{}`)
	}))
	api.Config.ErrorLog = log.New(io.Discard, "", 0)
	api.StartTLS()
	defer api.Close()
	tr, obs := newTestTransport(t, api.URL, nil)
	err := tr.Do(context.Background(), testOp, nil, discard)
	if err == nil || !strings.Contains(err.Error(), "TLS: the certificate of") || !strings.Contains(err.Error(), "tls_config.ca_file") {
		t.Fatalf("err = %v", err)
	}
	if len(obs.requests) != 1 {
		t.Errorf("a TLS failure was retried: %v", obs.requests)
	}
	// Trust the test CA through the Prometheus TLS settings.
	caFile := t.TempDir() + "/ca.pem"
	writePEM(t, caFile, api.Certificate().Raw)
	hc, err := NewHTTPClient(promconfig.TLSConfig{CAFile: caFile}, promconfig.ProxyConfig{}, "test")
	if err != nil {
		t.Fatal(err)
	}
	tr2, _ := newTestTransport(t, api.URL, func(c *TransportConfig) { c.HTTPClient = hc })
	if err := tr2.Do(context.Background(), testOp, nil, discard); err != nil {
		t.Fatalf("with the CA: %v", err)
	}
	// https to a plain-HTTP server is a clear, unretried TLS error too.
	plain := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer plain.Close()
	tr3, obs3 := newTestTransport(t, strings.Replace(plain.URL, "http://", "https://", 1), nil)
	if err := tr3.Do(context.Background(), testOp, nil, discard); err == nil || !strings.Contains(err.Error(), "did not answer with TLS") || len(obs3.requests) != 1 {
		t.Errorf("https to http: %v (%d attempts)", err, len(obs3.requests))
	}
}

// A provider that builds a request for another host is refused before
// anything is sent.
func TestRequestsOnlyGoToTheEndpoint(t *testing.T) {
	rec := newRecorder(t)
	tr, _ := newTestTransport(t, "http://127.0.0.1:1", nil)
	tr.provider = testProvider{rec.URL}
	err := tr.Do(context.Background(), testOp, nil, discard)
	if err == nil || !strings.Contains(err.Error(), "not the configured endpoint") || rec.count() != 0 {
		t.Fatalf("err %v, %d requests reached the other host", err, rec.count())
	}
}

// Only the method and path of the spec table's rows are ever sent.
func TestAllowList(t *testing.T) {
	var hits atomic.Int32
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		fmt.Fprint(w, `{}`)
	}))
	defer api.Close()
	tr, _ := newTestTransport(t, api.URL, nil)
	for _, op := range []Operation{
		{Name: "ListThings", Method: http.MethodPost, Path: "/v2/things"},         // a write method on a read path
		{Name: "ListThings", Method: http.MethodGet, Path: "/v2/things/x/reset"},  // another path
		{Name: "GetThing", Method: http.MethodGet, Path: "/v2/things"},            // a row's path under another name
		{Name: "ResetPassword", Method: http.MethodGet, Path: "/v2/users/random"}, // not in the table at all
	} {
		if err := tr.Do(context.Background(), op, nil, discard); err == nil || !strings.Contains(err.Error(), "refusing") {
			t.Errorf("%s %s %s: %v", op.Name, op.Method, op.Path, err)
		}
	}
	if hits.Load() != 0 {
		t.Fatalf("%d requests outside the allow-list were sent", hits.Load())
	}
	if err := tr.Do(context.Background(), Operation{Name: "GetThing", Method: http.MethodGet, Path: "/v2/things/t1"}, nil, discard); err != nil || hits.Load() != 1 {
		t.Errorf("an allowed request: %v", err)
	}
	if _, err := NewTransport(TransportConfig{Endpoint: api.URL}, testProvider{api.URL}); err == nil {
		t.Error("a transport without a spec table")
	}
}

func TestExpand(t *testing.T) {
	if p, err := Expand("/v2/{project_id}/desktops/{id}", map[string]string{"project_id": "p1", "id": "d"}); err != nil || p != "/v2/p1/desktops/d" {
		t.Errorf("%q %v", p, err)
	}
	for _, bad := range []string{"", "a/b", "a?b", "%2e"} {
		if _, err := Expand("/v2/{id}", map[string]string{"id": bad}); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestBodyCap(t *testing.T) {
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		chunk := []byte(strings.Repeat(" ", 1<<20))
		fmt.Fprint(w, "[")
		for i := 0; i < MaxBodyBytes>>20+2; i++ {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}))
	defer api.Close()
	tr, obs := newTestTransport(t, api.URL, nil)
	err := tr.Do(context.Background(), testOp, nil, discard)
	if err == nil || !strings.Contains(err.Error(), "exceeds") || len(obs.requests) != 1 {
		t.Fatalf("err %v after %d attempts", err, len(obs.requests))
	}
}

func writePEM(t *testing.T, path string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}
