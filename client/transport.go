package client

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	promconfig "github.com/prometheus/common/config"
)

// MaxBodyBytes bounds one response body; a 500-desktop page is about 2 MiB.
const MaxBodyBytes = 64 << 20

// maxRetryAfter caps how long a Retry-After header can make the client
// wait; the refresh deadline stops anything longer anyway.
const maxRetryAfter = 5 * time.Minute

// Operation is one API call a provider makes: its name (used in errors,
// logs and request accounting) and its HTTP method and path.
type Operation struct {
	Name   string
	Method string
	Path   string // the concrete path, e.g. /v2/{project}/desktops/detail with the project filled in
}

// Provider is what one cloud API adds to the shared Transport: building
// and signing requests, and reading its error bodies.
type Provider interface {
	// NewRequest builds and signs the request of op with the query. It must
	// address the Transport's endpoint.
	NewRequest(ctx context.Context, op Operation, query url.Values) (*http.Request, error)
	// ClassifyError describes a non-2xx response. body is at most
	// MaxMessageLen*4 bytes of the response body, secrets already removed;
	// the strings of the returned error are redacted and bounded again.
	ClassifyError(op Operation, status int, header http.Header, body string) *APIError
}

// TransportConfig configures a Transport. Zero values take the defaults.
type TransportConfig struct {
	// Endpoint is the base URL every request must go to.
	Endpoint string
	// Spec is the provider's table of operations: a request whose method
	// and path match none of its rows is never sent. Required.
	Spec    *Spec
	Timeout time.Duration // per HTTP attempt, body included; default 30s
	// MaxRetries is how often a retryable failure is retried.
	MaxRetries int
	MinBackoff time.Duration // default 500ms
	MaxBackoff time.Duration // default 30s
	// HTTPClient sends the requests. Its redirect policy is replaced: the
	// Transport never follows a redirect. NewHTTPClient builds one.
	HTTPClient *http.Client
	Observer   Observer
	Logger     *slog.Logger
	// Redactor removes the provider's secrets from every string taken from
	// a response. Required when the provider has secrets.
	Redactor *Redactor
	// Sleep waits between retries; nil waits for real (tests record).
	Sleep func(ctx context.Context, d time.Duration) error
}

// Transport sends the requests of one provider client: retries with capped
// exponential backoff and jitter, Retry-After, per-attempt deadlines, body
// caps, no redirects, redaction of every string taken from a response,
// and request accounting. It is safe for concurrent use.
type Transport struct {
	cfg      TransportConfig
	base     *url.URL
	provider Provider
	http     *http.Client
	obs      Observer
	log      *slog.Logger
	red      *Redactor
	// sleep waits between retries; tests replace it.
	sleep func(ctx context.Context, d time.Duration) error
}

// NewTransport checks cfg and returns a Transport for provider.
func NewTransport(cfg TransportConfig, provider Provider) (*Transport, error) {
	if cfg.Spec == nil {
		return nil, errors.New("a spec table (the allow-list of operations) is required")
	}
	base, err := url.Parse(strings.TrimRight(cfg.Endpoint, "/"))
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, fmt.Errorf("endpoint %q is not an http(s) URL with a host", cfg.Endpoint)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.MinBackoff <= 0 {
		cfg.MinBackoff = 500 * time.Millisecond
	}
	if cfg.MaxBackoff < cfg.MinBackoff {
		cfg.MaxBackoff = max(30*time.Second, cfg.MinBackoff)
	}
	cfg.MaxRetries = max(cfg.MaxRetries, 0)
	t := &Transport{cfg: cfg, base: base, provider: provider, obs: cfg.Observer, log: cfg.Logger, red: cfg.Redactor, sleep: SleepContext}
	if t.obs == nil {
		t.obs = NopObserver{}
	}
	if t.log == nil {
		t.log = slog.New(slog.DiscardHandler)
	}
	if t.red == nil {
		t.red = &Redactor{}
	}
	if cfg.Sleep != nil {
		t.sleep = cfg.Sleep
	}
	hc := cfg.HTTPClient
	if hc == nil {
		if hc, err = NewHTTPClient(promconfig.TLSConfig{}, promconfig.ProxyConfig{}, "default"); err != nil {
			return nil, err
		}
	}
	// A copy, so the caller's client keeps its own policy; ours never
	// follows a redirect, which would carry signed headers elsewhere.
	c := *hc
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	t.http = &c
	return t, nil
}

// NewHTTPClient builds the HTTP client of one target from the
// Prometheus-standard TLS and proxy settings. It never follows redirects.
func NewHTTPClient(tlsCfg promconfig.TLSConfig, proxy promconfig.ProxyConfig, name string) (*http.Client, error) {
	return promconfig.NewClientFromConfig(promconfig.HTTPClientConfig{
		TLSConfig:       tlsCfg,
		ProxyConfig:     proxy,
		FollowRedirects: false,
		EnableHTTP2:     true,
	}, name, promconfig.WithIdleConnTimeout(90*time.Second))
}

// Close releases the idle connections of the Transport's HTTP client.
func (t *Transport) Close() { t.http.CloseIdleConnections() }

// Redactor returns the Transport's redactor, to clean strings of decoded
// responses (label values) too.
func (t *Transport) Redactor() *Redactor { return t.red }

// Logger returns the Transport's logger.
func (t *Transport) Logger() *slog.Logger { return t.log }

// Endpoint returns the base URL requests go to.
func (t *Transport) Endpoint() *url.URL { return t.base }

// APIError is an error response of a cloud API. Its strings are redacted
// and bounded.
type APIError struct {
	Operation string
	Status    int
	Code      string // the API's error code, e.g. WKS.0001
	Message   string
	RequestID string
	// Set by the provider's classification:
	Throttled        bool // the API asked us to slow down
	Auth             bool // credentials or permissions refused
	Retryable        bool // the same request may succeed later
	PageSizeRejected bool // the page size (limit) is out of the API's range
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: HTTP %d", e.Operation, e.Status)
	if e.Code != "" {
		fmt.Fprintf(&b, " %s", e.Code)
	}
	if e.Message != "" {
		fmt.Fprintf(&b, ": %s", e.Message)
	}
	if e.RequestID != "" {
		fmt.Fprintf(&b, " (request_id %s)", e.RequestID)
	}
	return b.String()
}

// IsAuthError reports whether err is a refused authentication or
// permission.
func IsAuthError(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.Auth
}

// InvalidResponseError is a 2xx response that cannot be the answer: a list
// key missing or of the wrong type, a page larger than asked for, a body
// over the size cap. Retrying would get the same answer, so it is not
// retried.
type InvalidResponseError struct {
	Operation string
	Problem   string
}

func (e *InvalidResponseError) Error() string {
	return e.Operation + ": invalid response: " + e.Problem
}

// Decoder reads one 2xx response body. It returns an
// *InvalidResponseError for an answer that retrying would not fix; any
// other error (broken JSON, a cut connection) is retried.
type Decoder func(body io.Reader) error

// attemptError wraps a failure of one attempt with what the retry loop
// needs to know.
type attemptError struct {
	err        error
	retryable  bool
	retryAfter time.Duration
}

// Do sends op with the query and hands a 2xx body to decode, retrying
// retryable failures. The error names the operation and never contains a
// configured secret.
func (t *Transport) Do(ctx context.Context, op Operation, query url.Values, decode Decoder) error {
	for attempt := 0; ; attempt++ {
		ae := t.attempt(ctx, op, query, decode)
		if ae == nil {
			return nil
		}
		if !ae.retryable || attempt >= t.cfg.MaxRetries || ctx.Err() != nil {
			if attempt > 0 && ae.retryable {
				return fmt.Errorf("%w (gave up after %d attempts)", ae.err, attempt+1)
			}
			return ae.err
		}
		wait := t.backoff(attempt)
		if ae.retryAfter > 0 {
			wait = ae.retryAfter
		}
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
			return fmt.Errorf("%w (next retry in %s would pass the refresh deadline)", ae.err, wait.Round(time.Millisecond))
		}
		t.log.Debug("retrying API request", "operation", op.Name, "attempt", attempt+1, "wait", wait, "err", ae.err)
		if err := t.sleep(ctx, wait); err != nil {
			return fmt.Errorf("%w (retry cancelled: %v)", ae.err, err)
		}
	}
}

// backoff is capped exponential backoff with jitter in [d/2, d].
func (t *Transport) backoff(attempt int) time.Duration {
	d := t.cfg.MinBackoff << min(attempt, 20)
	if d > t.cfg.MaxBackoff || d <= 0 {
		d = t.cfg.MaxBackoff
	}
	half := d / 2
	return half + time.Duration(rand.Int64N(int64(half)+1))
}

// SleepContext waits for d or until ctx ends.
func SleepContext(ctx context.Context, d time.Duration) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}

func (t *Transport) attempt(ctx context.Context, op Operation, query url.Values, decode Decoder) *attemptError {
	actx, cancel := context.WithTimeout(ctx, t.cfg.Timeout)
	defer cancel()
	req, err := t.provider.NewRequest(actx, op, query)
	if err != nil {
		return &attemptError{err: fmt.Errorf("%s: building request: %s", op.Name, t.red.Message(err.Error()))}
	}
	if req.URL.Scheme != t.base.Scheme || req.URL.Host != t.base.Host || req.Method != op.Method {
		// A provider bug; never send credentials anywhere else.
		return &attemptError{err: fmt.Errorf("%s: refusing to send %s to %s://%s: not the configured endpoint and method", op.Name, req.Method, req.URL.Scheme, t.red.Message(req.URL.Host))}
	}
	if row, ok := t.cfg.Spec.Match(req.Method, strings.TrimPrefix(req.URL.Path, t.base.Path)); !ok || row.Name != op.Name {
		return &attemptError{err: fmt.Errorf("%s: refusing to send %s %s: not in the %s spec table's allow-list", op.Name, req.Method, t.red.Message(req.URL.Path), t.cfg.Spec.Provider)}
	}
	start := time.Now()
	resp, err := t.http.Do(req)
	if err != nil {
		t.obs.ObserveRequest(op.Name, "error", time.Since(start))
		msg, retry := t.transportError(ctx, actx, err)
		return &attemptError{err: fmt.Errorf("%s: %s", op.Name, msg), retryable: retry && ctx.Err() == nil}
	}
	defer func() {
		// Drain a little so the connection can be reused, never much.
		_, _ = io.CopyN(io.Discard, resp.Body, 64<<10)
		resp.Body.Close()
	}()
	requestID := t.red.Message(resp.Header.Get("X-Request-Id"))
	status := resp.StatusCode
	if status >= 300 && status < 400 {
		t.obs.ObserveRequest(op.Name, strconv.Itoa(status), time.Since(start))
		return &attemptError{err: fmt.Errorf("%s: HTTP %d redirect to %s refused: the exporter never follows redirects, so signed requests only go to the configured endpoint %s%s",
			op.Name, status, t.locationHost(resp.Header.Get("Location")), t.base.Host, reqIDSuffix(requestID))}
	}
	body := &cappedReader{r: resp.Body, left: MaxBodyBytes}
	if status < 200 || status > 299 {
		raw, readErr := io.ReadAll(io.LimitReader(body, 4*MaxMessageLen))
		t.obs.ObserveRequest(op.Name, strconv.Itoa(status), time.Since(start))
		if readErr != nil && len(raw) == 0 {
			msg, _ := t.transportError(ctx, actx, readErr)
			return &attemptError{err: fmt.Errorf("%s: HTTP %d, reading the error body: %s%s", op.Name, status, msg, reqIDSuffix(requestID)), retryable: ctx.Err() == nil}
		}
		apiErr := t.provider.ClassifyError(op, status, resp.Header, t.red.Bounded(string(raw), 4*MaxMessageLen))
		apiErr.Operation, apiErr.Status = op.Name, status
		apiErr.Code = strings.Join(strings.Fields(t.red.Bounded(apiErr.Code, 64)), "")
		apiErr.Message = t.red.Message(apiErr.Message)
		apiErr.RequestID = t.red.Message(apiErr.RequestID)
		if apiErr.RequestID == "" {
			apiErr.RequestID = requestID
		}
		if apiErr.Message == "" && apiErr.Code == "" {
			apiErr.Message = http.StatusText(status)
		}
		if apiErr.Throttled {
			t.obs.ObserveThrottled(op.Name)
		}
		return &attemptError{err: apiErr, retryable: apiErr.Retryable, retryAfter: parseRetryAfter(resp.Header.Get("Retry-After"), t.cfg.MaxBackoff)}
	}
	err = decode(body)
	t.obs.ObserveRequest(op.Name, strconv.Itoa(status), time.Since(start))
	if err == nil {
		return nil
	}
	var inv *InvalidResponseError
	switch {
	case errors.As(err, &inv):
		inv.Problem = t.red.Bounded(inv.Problem, 2*MaxMessageLen)
		return &attemptError{err: fmt.Errorf("%w%s", err, reqIDSuffix(requestID))}
	case errors.Is(err, errBodyTooLarge):
		return &attemptError{err: fmt.Errorf("%s: HTTP %d: response body exceeds %d bytes%s", op.Name, status, MaxBodyBytes, reqIDSuffix(requestID))}
	case actx.Err() != nil || body.readErr != nil:
		// The body broke off: a cut connection or the attempt's deadline.
		cause := body.readErr
		if cause == nil {
			cause = err
		}
		msg, retry := t.transportError(ctx, actx, cause)
		return &attemptError{err: fmt.Errorf("%s: HTTP %d, reading the body after %d bytes: %s%s", op.Name, status, body.n, msg, reqIDSuffix(requestID)), retryable: retry && ctx.Err() == nil}
	default:
		// Broken JSON is usually a proxy or a cut connection: retry.
		return &attemptError{err: fmt.Errorf("%s: HTTP %d with an undecodable body: %s%s", op.Name, status, t.red.Message(err.Error()), reqIDSuffix(requestID)), retryable: true}
	}
}

func (t *Transport) locationHost(loc string) string {
	if loc == "" {
		return "(no Location)"
	}
	u, err := url.Parse(loc)
	if err != nil {
		return "(unparsable Location)"
	}
	if u.Host == "" {
		return t.base.Host + " (relative Location)"
	}
	return t.red.Message(u.Host)
}

var errBodyTooLarge = errors.New("response body too large")

// cappedReader fails with errBodyTooLarge past its budget and remembers
// the first read error of the underlying body.
type cappedReader struct {
	r       io.Reader
	left    int64
	n       int64
	readErr error
}

func (c *cappedReader) Read(p []byte) (int, error) {
	if c.left <= 0 {
		return 0, errBodyTooLarge
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.n += int64(n)
	c.left -= int64(n)
	if err != nil && err != io.EOF && c.readErr == nil {
		c.readErr = err
	}
	return n, err
}

func reqIDSuffix(id string) string {
	if id == "" {
		return ""
	}
	return " (request_id " + id + ")"
}

// transportError describes a failed round trip without echoing the URL's
// query or any header, and says whether retrying can help: certificate
// and TLS configuration errors cannot.
func (t *Transport) transportError(parent, attempt context.Context, err error) (string, bool) {
	switch {
	case parent.Err() != nil:
		return "refresh cancelled or out of time: " + parent.Err().Error(), false
	case errors.Is(attempt.Err(), context.DeadlineExceeded):
		return fmt.Sprintf("no complete response within the request timeout of %s", t.cfg.Timeout), true
	}
	if msg, ok := tlsProblem(err, t.base.Host); ok {
		return t.red.Message(msg), false
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return t.red.Message(err.Error()), true
}

// tlsProblem recognises certificate and TLS set-up failures, which a retry
// does not fix, and says what to change.
func tlsProblem(err error, host string) (string, bool) {
	var (
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
		invalid  x509.CertificateInvalidError
		verify   *tls.CertificateVerificationError
		record   tls.RecordHeaderError
		alert    tls.AlertError
	)
	const hint = " (set tls_config.ca_file or tls_config.server_name of the target)"
	switch {
	case errors.As(err, &unknown):
		return "TLS: the certificate of " + host + " is signed by an unknown authority" + hint, true
	case errors.As(err, &hostname):
		return "TLS: the certificate of " + host + " is not valid for that name: " + hostname.Error() + hint, true
	case errors.As(err, &invalid):
		return "TLS: the certificate of " + host + " is invalid: " + invalid.Error(), true
	case errors.As(err, &verify):
		return "TLS: the certificate of " + host + " could not be verified: " + verify.Err.Error() + hint, true
	case errors.As(err, &record):
		return "TLS: " + host + " did not answer with TLS (is the endpoint http:// rather than https://?)", true
	case errors.As(err, &alert):
		return "TLS: " + host + " refused the handshake: " + alert.Error() + " (check tls_config.cert_file and key_file)", true
	}
	if strings.Contains(err.Error(), "server gave HTTP response to HTTPS client") {
		return "TLS: " + host + " did not answer with TLS (is the endpoint http:// rather than https://?)", true
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Op == "remote error" {
		return "TLS: " + host + " refused the handshake: " + opErr.Err.Error(), true
	}
	return "", false
}

// parseRetryAfter reads Retry-After (seconds or an HTTP date), capped at
// the larger of limit and five minutes.
func parseRetryAfter(v string, limit time.Duration) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	ceiling := max(limit, maxRetryAfter)
	var d time.Duration
	if n, err := strconv.ParseInt(v, 10, 64); err == nil || errors.Is(err, strconv.ErrRange) {
		if n > int64(ceiling/time.Second) {
			return ceiling
		}
		d = time.Duration(n) * time.Second
	} else if at, err := http.ParseTime(v); err == nil {
		d = time.Until(at)
	}
	if d <= 0 {
		return 0
	}
	return min(d, ceiling)
}
