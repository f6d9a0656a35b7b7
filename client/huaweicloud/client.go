// Package huaweicloud is a read-only client of the Huawei Cloud Workspace
// API (v2). Requests are signed with the official huaweicloud-sdk-go-v3
// credentials and signer; responses are decoded by this package's own
// tolerant types, because the SDK's typed models reject responses that the
// API documentation itself shows (see types.go).
//
// The client retries throttling (HTTP 429, honouring Retry-After), APIGW.*
// gateway errors, 5xx and transport failures with capped exponential backoff
// and jitter; it never retries authentication or permission errors. Every
// attempt is reported to a client.Observer. Secrets never appear in the
// errors it returns.
package huaweicloud

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth/basic"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth/provider"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth/signer/algorithm"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/request"

	"github.com/workspace-exporter/workspace_exporter/client"
)

// maxBodyBytes bounds a response body; a 500-desktop page is about 2 MiB.
const maxBodyBytes = 64 << 20

// Config configures a Client. Zero values take the documented defaults.
type Config struct {
	// Endpoint is the base URL, e.g. https://workspace.ap-southeast-3.myhuaweicloud.com.
	Endpoint  string
	ProjectID string
	// AccessKey and SecretKey sign requests; SecurityToken is set for
	// temporary keys. When AccessKey and SecretKey are both empty, the SDK's
	// default credential chain (environment, profile, metadata) is used.
	AccessKey, SecretKey, SecurityToken string

	Timeout     time.Duration // per HTTP attempt; default 30s
	MaxRetries  int           // retries after the first attempt
	MinBackoff  time.Duration // default 500ms
	MaxBackoff  time.Duration // default 30s
	Concurrency int           // pages in flight; default 4
	PageSize    int           // list limit; default 500
	MaxPages    int           // runaway guard; default 10000

	HTTPClient *http.Client
	Observer   client.Observer
	Logger     *slog.Logger
	UserAgent  string
}

// Client calls the Workspace API of one project.
type Client struct {
	cfg     Config
	cred    auth.ICredential
	http    *http.Client
	obs     client.Observer
	log     *slog.Logger
	secrets []string
	// sleep waits between retries; tests replace it.
	sleep func(ctx context.Context, d time.Duration) error
}

// New builds a client. It fails when the credentials cannot be obtained;
// the error never contains a key.
func New(cfg Config) (*Client, error) {
	if cfg.Endpoint == "" {
		return nil, errors.New("huaweicloud: endpoint is required")
	}
	if _, err := url.Parse(cfg.Endpoint); err != nil {
		return nil, fmt.Errorf("huaweicloud: endpoint: %w", err)
	}
	if cfg.ProjectID == "" {
		return nil, errors.New("huaweicloud: project ID is required")
	}
	cfg.Endpoint = strings.TrimRight(cfg.Endpoint, "/")
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.MinBackoff <= 0 {
		cfg.MinBackoff = 500 * time.Millisecond
	}
	if cfg.MaxBackoff < cfg.MinBackoff {
		cfg.MaxBackoff = max(30*time.Second, cfg.MinBackoff)
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 4
	}
	if cfg.PageSize <= 0 || cfg.PageSize > 500 {
		cfg.PageSize = 500
	}
	if cfg.MaxPages <= 0 {
		cfg.MaxPages = 10000
	}
	if cfg.MaxRetries < 0 {
		cfg.MaxRetries = 0
	}
	c := &Client{cfg: cfg, http: cfg.HTTPClient, obs: cfg.Observer, log: cfg.Logger, sleep: sleepCtx}
	if c.http == nil {
		c.http = &http.Client{Transport: http.DefaultTransport}
		// Keep one idle connection per concurrent page, so a walk reuses them.
		if dt, ok := http.DefaultTransport.(*http.Transport); ok {
			tr := dt.Clone()
			tr.MaxIdleConnsPerHost = cfg.Concurrency
			c.http.Transport = tr
		}
	}
	if c.obs == nil {
		c.obs = client.NopObserver{}
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	switch {
	case cfg.AccessKey != "" && cfg.SecretKey != "":
		b := basic.NewCredentialsBuilder().WithAk(cfg.AccessKey).WithSk(cfg.SecretKey).WithProjectId(cfg.ProjectID)
		if cfg.SecurityToken != "" {
			b = b.WithSecurityToken(cfg.SecurityToken)
		}
		cred, err := b.SafeBuild()
		if err != nil {
			return nil, errors.New("huaweicloud: invalid credentials")
		}
		c.cred = cred
		c.secrets = []string{cfg.AccessKey, cfg.SecretKey, cfg.SecurityToken}
	case cfg.AccessKey == "" && cfg.SecretKey == "":
		cred, err := provider.BasicCredentialProviderChain().GetCredentials()
		if err != nil {
			return nil, errors.New("huaweicloud: no credentials configured and none found by the SDK's default chain " +
				"(HUAWEICLOUD_SDK_AK/HUAWEICLOUD_SDK_SK, the profile file, or instance metadata)")
		}
		c.cred = cred
		if bc, ok := cred.(*basic.Credentials); ok {
			c.secrets = []string{bc.AK, bc.SK, bc.SecurityToken}
		}
	default:
		return nil, errors.New("huaweicloud: give both an access key and a secret key")
	}
	return c, nil
}

// APIError is an error response of the Workspace API.
type APIError struct {
	Operation string
	Status    int
	Code      string // error_code, whitespace removed (the PDF wraps some codes)
	Message   string // error_msg, shortened, secrets removed
	RequestID string // X-Request-Id
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

// Throttled reports whether the API asked the caller to slow down.
func (e *APIError) Throttled() bool {
	return e.Status == http.StatusTooManyRequests || e.Code == "APIGW.0308"
}

// Auth reports whether the credentials or permissions were refused.
func (e *APIError) Auth() bool {
	return e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden
}

// Retryable reports whether the same request may succeed later.
func (e *APIError) Retryable() bool {
	switch {
	case e.Auth():
		return false
	case e.Throttled(), e.Status >= 500, e.Status == http.StatusRequestTimeout:
		return true
	case strings.HasPrefix(e.Code, "APIGW") && e.Status != http.StatusBadRequest && e.Status != http.StatusNotFound:
		return true
	}
	return false
}

// IsAuthError reports whether err is a refused authentication or permission.
func IsAuthError(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.Auth()
}

// errorBody is the documented error shape; every field is optional.
type errorBody struct {
	ErrorCode flexString `json:"error_code"`
	ErrorMsg  flexString `json:"error_msg"`
	// Some APIG errors use these names instead.
	Code    flexString `json:"code"`
	Message flexString `json:"message"`
}

// attemptError wraps a failure of one attempt with what the retry loop
// needs to know.
type attemptError struct {
	err        error
	retryable  bool
	retryAfter time.Duration
}

// get performs GET path?query with retries and decodes a 200 body into out.
func (c *Client) get(ctx context.Context, op, path string, query map[string]string, out any) error {
	for attempt := 0; ; attempt++ {
		ae := c.attempt(ctx, op, path, query, out)
		if ae == nil {
			return nil
		}
		if !ae.retryable || attempt >= c.cfg.MaxRetries || ctx.Err() != nil {
			if attempt > 0 && ae.retryable {
				return fmt.Errorf("%w (gave up after %d attempts)", ae.err, attempt+1)
			}
			return ae.err
		}
		wait := c.backoff(attempt)
		if ae.retryAfter > 0 {
			wait = ae.retryAfter
		}
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
			return fmt.Errorf("%w (next retry in %s would pass the refresh deadline)", ae.err, wait.Round(time.Millisecond))
		}
		c.log.Debug("retrying API request", "operation", op, "attempt", attempt+1, "wait", wait, "err", ae.err)
		if err := c.sleep(ctx, wait); err != nil {
			return fmt.Errorf("%w (retry cancelled: %v)", ae.err, err)
		}
	}
}

// backoff is capped exponential backoff with full jitter in [d/2, d].
func (c *Client) backoff(attempt int) time.Duration {
	d := c.cfg.MinBackoff << min(attempt, 20)
	if d > c.cfg.MaxBackoff || d <= 0 {
		d = c.cfg.MaxBackoff
	}
	half := d / 2
	return half + time.Duration(rand.Int64N(int64(half)+1))
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func (c *Client) attempt(ctx context.Context, op, path string, query map[string]string, out any) *attemptError {
	actx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	req, err := c.newRequest(actx, path, query)
	if err != nil {
		return &attemptError{err: fmt.Errorf("%s: building request: %s", op, c.redact(err.Error()))}
	}
	start := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		c.obs.ObserveRequest(op, "error", time.Since(start))
		return &attemptError{err: fmt.Errorf("%s: %s", op, c.transportError(ctx, actx, err)), retryable: ctx.Err() == nil}
	}
	defer resp.Body.Close()
	body, readErr := readBody(resp)
	dur := time.Since(start)
	requestID := resp.Header.Get("X-Request-Id")
	if readErr != nil {
		c.obs.ObserveRequest(op, "error", dur)
		return &attemptError{
			err:       fmt.Errorf("%s: HTTP %d, reading body after %d bytes: %s%s", op, resp.StatusCode, len(body), c.transportError(ctx, actx, readErr), reqIDSuffix(requestID)),
			retryable: ctx.Err() == nil,
		}
	}
	c.obs.ObserveRequest(op, strconv.Itoa(resp.StatusCode), dur)
	if len(body) > maxBodyBytes {
		return &attemptError{err: fmt.Errorf("%s: response body exceeds %d bytes%s", op, maxBodyBytes, reqIDSuffix(requestID))}
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		apiErr := c.apiError(op, resp, body)
		if apiErr.Throttled() {
			c.obs.ObserveThrottled(op)
		}
		return &attemptError{err: apiErr, retryable: apiErr.Retryable(), retryAfter: retryAfter(resp.Header.Get("Retry-After"), c.cfg.MaxBackoff)}
	}
	if err := decodeJSON(body, out); err != nil {
		// A broken 200 body is usually a proxy or a cut connection: retry.
		return &attemptError{err: fmt.Errorf("%s: HTTP %d with an undecodable body (%d bytes): %v%s", op, resp.StatusCode, len(body), err, reqIDSuffix(requestID)), retryable: true}
	}
	return nil
}

// readBody reads at most maxBodyBytes+1 bytes, sized by Content-Length
// when the server sent one, so a 2 MiB page is not copied while growing.
func readBody(resp *http.Response) ([]byte, error) {
	var buf bytes.Buffer
	if n := resp.ContentLength; n > 0 && n <= maxBodyBytes {
		buf.Grow(int(n) + bytes.MinRead)
	}
	_, err := buf.ReadFrom(io.LimitReader(resp.Body, maxBodyBytes+1))
	return buf.Bytes(), err
}

func reqIDSuffix(id string) string {
	if id == "" {
		return ""
	}
	return " (request_id " + id + ")"
}

// transportError describes a failed round trip without echoing the URL's
// query or any header.
func (c *Client) transportError(parent, attempt context.Context, err error) string {
	switch {
	case parent.Err() != nil:
		return "refresh cancelled or out of time: " + parent.Err().Error()
	case errors.Is(attempt.Err(), context.DeadlineExceeded):
		return fmt.Sprintf("no complete response within the request timeout of %s", c.cfg.Timeout)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return c.redact(err.Error())
}

func (c *Client) apiError(op string, resp *http.Response, body []byte) *APIError {
	e := &APIError{Operation: op, Status: resp.StatusCode, RequestID: resp.Header.Get("X-Request-Id")}
	var eb errorBody
	if decodeJSON(body, &eb) == nil {
		e.Code = strings.Join(strings.Fields(string(eb.ErrorCode)), "")
		if e.Code == "" {
			e.Code = strings.Join(strings.Fields(string(eb.Code)), "")
		}
		e.Message = string(eb.ErrorMsg)
		if e.Message == "" {
			e.Message = string(eb.Message)
		}
	}
	if len(e.Code) > 64 {
		e.Code = e.Code[:64]
	}
	e.Message = c.redact(shorten(e.Message, 300))
	if e.Message == "" && e.Code == "" {
		e.Message = http.StatusText(resp.StatusCode)
	}
	return e
}

func shorten(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// redact removes the client's own secrets from a message.
func (c *Client) redact(s string) string {
	for _, sec := range c.secrets {
		if len(sec) >= 4 {
			s = strings.ReplaceAll(s, sec, "<redacted>")
		}
	}
	return s
}

// retryAfter parses Retry-After (seconds or an HTTP date), capped.
func retryAfter(v string, limit time.Duration) time.Duration {
	if v == "" {
		return 0
	}
	var d time.Duration
	if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil {
		d = time.Duration(n) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = time.Until(t)
	}
	if d <= 0 {
		return 0
	}
	// A server may ask for more than our own cap; honour it up to 5 minutes,
	// the refresh deadline stops anything longer.
	return min(d, max(limit, 5*time.Minute))
}

// newRequest builds and signs a GET request with the SDK.
func (c *Client) newRequest(ctx context.Context, path string, query map[string]string) (*http.Request, error) {
	b := request.NewHttpRequestBuilder().
		WithEndpoint(c.cfg.Endpoint).
		WithPath(path).
		WithMethod(http.MethodGet).
		WithSigningAlgorithm(algorithm.HmacSHA256).
		AddHeaderParam("Content-Type", "application/json").
		AddHeaderParam("X-Project-Id", c.cfg.ProjectID)
	if c.cfg.UserAgent != "" {
		b = b.AddHeaderParam("User-Agent", c.cfg.UserAgent)
	}
	keys := make([]string, 0, len(query))
	for k := range query {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		b = b.AddQueryParam(k, reflect.ValueOf(query[k]))
	}
	signed, err := c.cred.ProcessAuthRequest(nil, b.Build())
	if err != nil {
		return nil, fmt.Errorf("signing: %w", err)
	}
	req, err := signed.ConvertRequest()
	if err != nil {
		return nil, err
	}
	return req.WithContext(ctx), nil
}
