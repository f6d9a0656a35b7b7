// Package huaweicloud is a read-only client of the Huawei Cloud Workspace
// API (v2). Requests are signed with the official huaweicloud-sdk-go-v3
// credentials and signer; responses are decoded by this package's own
// tolerant types, because the SDK's typed models reject responses that the
// API documentation itself shows (see types.go).
//
// Requests go through the shared client.Transport (retries, backoff,
// Retry-After, deadlines, body caps, no redirects, redaction, accounting);
// this package adds signing, the Workspace error classification and the
// operations. It retries throttling (HTTP 429, APIGW.0308), APIGW.*
// gateway errors, 5xx and transport failures; never authentication or
// permission errors. Secrets never appear in the errors it returns.
package huaweicloud

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"reflect"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth/basic"
	sdkprovider "github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth/provider"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth/signer/algorithm"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/request"

	"github.com/workspace-exporter/workspace_exporter/client"
	"github.com/workspace-exporter/workspace_exporter/provider"
)

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
	PageSize    int           // list limit; 0: each operation's documented maximum, else at most that
	MaxPages    int           // runaway guard; default 10000

	// HTTPClient sends the requests (TLS and proxy settings); it never
	// follows redirects. client.NewHTTPClient builds one.
	HTTPClient *http.Client
	Observer   client.Observer
	Logger     *slog.Logger
	UserAgent  string
	// Sleep waits between retries; nil waits for real (tests record).
	Sleep func(ctx context.Context, d time.Duration) error
}

// Client calls the Workspace API of one project. It is safe for
// concurrent use; SetCredentials swaps the keys in place.
type Client struct {
	cfg  Config
	cred atomic.Pointer[credential]
	tr   *client.Transport
}

type credential struct{ auth.ICredential }

// Operations lists the names of every operation the client can call (the
// spec table's), for request accounting that starts at zero.
func (c *Client) Operations() []string { return Spec.OperationNames() }

// Documented returns the documented values of an enum field (model.Field…).
func (c *Client) Documented(field string) []string { return Spec.Enums[field] }

// New builds a client. It fails when the credentials cannot be obtained;
// the error never contains a key.
func New(cfg Config) (*Client, error) {
	if cfg.ProjectID == "" {
		return nil, errors.New("huaweicloud: project ID is required")
	}
	if strings.ContainsAny(cfg.ProjectID, "/?#%") {
		return nil, errors.New("huaweicloud: the project ID must not contain / ? # or %")
	}
	cfg.Endpoint = strings.TrimRight(cfg.Endpoint, "/")
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 4
	}

	if cfg.MaxPages <= 0 {
		cfg.MaxPages = 10000
	}
	c := &Client{cfg: cfg}
	red := client.NewRedactor()
	tr, err := client.NewTransport(client.TransportConfig{
		Endpoint:   cfg.Endpoint,
		Spec:       Spec,
		Timeout:    cfg.Timeout,
		MaxRetries: cfg.MaxRetries,
		MinBackoff: cfg.MinBackoff,
		MaxBackoff: cfg.MaxBackoff,
		HTTPClient: cfg.HTTPClient,
		Observer:   cfg.Observer,
		Logger:     cfg.Logger,
		Redactor:   red,
		Sleep:      cfg.Sleep,
	}, c)
	if err != nil {
		return nil, fmt.Errorf("huaweicloud: %w", err)
	}
	c.tr = tr
	if err := c.SetCredentials(provider.Credentials{AccessKey: cfg.AccessKey, SecretKey: cfg.SecretKey, SecurityToken: cfg.SecurityToken}); err != nil {
		return nil, err
	}
	return c, nil
}

// SetCredentials replaces the keys that sign the next requests; requests
// under way finish with the old ones. Both old and new keys stay redacted.
// Empty access and secret keys select the SDK's default credential chain.
func (c *Client) SetCredentials(k provider.Credentials) error {
	accessKey, secretKey, securityToken := k.AccessKey, k.SecretKey, k.SecurityToken
	var cred auth.ICredential
	var secrets []string
	switch {
	case accessKey != "" && secretKey != "":
		b := basic.NewCredentialsBuilder().WithAk(accessKey).WithSk(secretKey).WithProjectId(c.cfg.ProjectID)
		if securityToken != "" {
			b = b.WithSecurityToken(securityToken)
		}
		bc, err := b.SafeBuild()
		if err != nil {
			return errors.New("huaweicloud: invalid credentials")
		}
		cred, secrets = bc, []string{accessKey, secretKey, securityToken}
	case accessKey == "" && secretKey == "":
		chain, err := sdkprovider.BasicCredentialProviderChain().GetCredentials()
		if err != nil {
			return errors.New("huaweicloud: no credentials configured and none found by the SDK's default chain " +
				"(HUAWEICLOUD_SDK_AK/HUAWEICLOUD_SDK_SK, the profile file, or instance metadata)")
		}
		cred = chain
		if bc, ok := chain.(*basic.Credentials); ok {
			secrets = []string{bc.AK, bc.SK, bc.SecurityToken}
		}
	default:
		return errors.New("huaweicloud: give both an access key and a secret key")
	}
	if old := c.cred.Load(); old != nil {
		if bc, ok := old.ICredential.(*basic.Credentials); ok {
			secrets = append(secrets, bc.AK, bc.SK, bc.SecurityToken)
		}
	}
	c.tr.Redactor().SetSecrets(secrets...)
	c.cred.Store(&credential{cred})
	return nil
}

// limit is the page size of a list operation: the configured page size,
// within the operation's documented range; its maximum when none is set.
func (c *Client) limit(op string) int {
	row := Spec.Operation(op)
	if c.cfg.PageSize <= 0 {
		return row.MaxLimit
	}
	return min(max(c.cfg.PageSize, row.MinLimit), row.MaxLimit)
}

// Close releases the client's idle connections.
func (c *Client) Close() { c.tr.Close() }

// operation returns the Operation of the spec table's row name, its path
// filled in with the project.
func (c *Client) operation(name string) client.Operation {
	row := Spec.Operation(name)
	path, err := client.Expand(row.Path, map[string]string{"project_id": c.cfg.ProjectID})
	if err != nil {
		// New refuses such a project ID; the allow-list would refuse the path.
		path = row.Path
	}
	return client.Operation{Name: name, Method: row.Method, Path: path}
}

// errorBody is the documented error shape; every field is optional.
type errorBody struct {
	ErrorCode flexString `json:"error_code"`
	ErrorMsg  flexString `json:"error_msg"`
	// Some APIG errors use these names instead.
	Code    flexString `json:"code"`
	Message flexString `json:"message"`
}

// ClassifyError implements client.Provider: Workspace and API Gateway
// error bodies and codes.
func (c *Client) ClassifyError(_ client.Operation, status int, header http.Header, body string) *client.APIError {
	e := &client.APIError{RequestID: header.Get("X-Request-Id")}
	var eb errorBody
	if json.Unmarshal([]byte(body), &eb) == nil {
		e.Code = strings.Join(strings.Fields(string(eb.ErrorCode)), "")
		if e.Code == "" {
			e.Code = strings.Join(strings.Fields(string(eb.Code)), "")
		}
		e.Message = string(eb.ErrorMsg)
		if e.Message == "" {
			e.Message = string(eb.Message)
		}
	}
	e.Auth = status == http.StatusUnauthorized || status == http.StatusForbidden
	e.Throttled = status == http.StatusTooManyRequests || e.Code == "APIGW.0308"
	e.PageSizeRejected = e.Code == "WKS.0509"
	switch {
	case e.Auth:
	case e.Throttled, status >= 500, status == http.StatusRequestTimeout:
		e.Retryable = true
	case strings.HasPrefix(e.Code, "APIGW") && status != http.StatusBadRequest && status != http.StatusNotFound:
		e.Retryable = true
	}
	return e
}

// APIError is an error response of the Workspace API.
type APIError = client.APIError

// IsAuthError reports whether err is a refused authentication or permission.
func IsAuthError(err error) bool { return client.IsAuthError(err) }

// NewRequest implements client.Provider: it builds and signs a request
// with the SDK.
func (c *Client) NewRequest(ctx context.Context, op client.Operation, query url.Values) (*http.Request, error) {
	b := request.NewHttpRequestBuilder().
		WithEndpoint(c.cfg.Endpoint).
		WithPath(op.Path).
		WithMethod(op.Method).
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
		b = b.AddQueryParam(k, reflect.ValueOf(query.Get(k)))
	}
	signed, err := c.cred.Load().ProcessAuthRequest(nil, b.Build())
	if err != nil {
		return nil, fmt.Errorf("signing: %w", err)
	}
	req, err := signed.ConvertRequest()
	if err != nil {
		return nil, err
	}
	return req.WithContext(ctx), nil
}
