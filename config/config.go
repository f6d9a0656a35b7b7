// Package config defines the exporter's configuration file: pure values,
// strict decoding and validation. It knows nothing of the cloud clients;
// the collector package turns a validated Config into running targets.
//
// Every problem of a file is reported at once, each with its line: YAML
// syntax, unknown and duplicate keys, values of the wrong type, values out
// of bounds, unreadable credential and TLS files.
package config

import (
	"fmt"
	"log/slog"
	"os"
	"time"

	promconfig "github.com/prometheus/common/config"
)

// Providers supported by this version.
const (
	ProviderHuaweiCloud = "huaweicloud"
)

// Defaults applied where the file is silent. A collector's default
// interval is the collector's own (collectors.*.interval stays 0).
const (
	DefaultRequestTimeout = 30 * time.Second
	DefaultMaxRetries     = 4
	DefaultMinBackoff     = 500 * time.Millisecond
	DefaultMaxBackoff     = 30 * time.Second
	DefaultConcurrency    = 4
	DefaultPageSize       = 500
	DefaultMaxPages       = 10000
)

// Bounds of the settings: a value outside is an error, an explicit zero
// included. Each is named Min or Max and the Go field it bounds.
const (
	MinInterval = 10 * time.Second // collectors.*.interval
	MaxInterval = 24 * time.Hour

	MinTimeout = 100 * time.Millisecond // api.timeout
	MaxTimeout = 10 * time.Minute

	MinMinBackoff = 10 * time.Millisecond // api.min_backoff
	MaxMinBackoff = 5 * time.Minute
	MaxMaxBackoff = 5 * time.Minute // api.max_backoff, which is also at least api.min_backoff

	MinMaxRetries = 0 // api.max_retries
	MaxMaxRetries = 20

	MinConcurrency = 1 // api.concurrency
	MaxConcurrency = 64

	MinPageSize = 1 // api.page_size: the API's documented range of `limit`
	MaxPageSize = 500

	MinMaxPages = 1 // api.max_pages
	MaxMaxPages = 100000
)

// Config is the whole configuration file.
type Config struct {
	Targets []Target `yaml:"targets"`
	// Warnings are the problems validation found that do not stop the
	// configuration from loading (insecure_skip_verify: true), one
	// message each, in the style of the errors.
	Warnings []string `yaml:"-" json:"-"`
}

// Target is one cloud account, region and project to monitor.
type Target struct {
	Name        string      `yaml:"name"`
	Provider    string      `yaml:"provider"`
	Region      string      `yaml:"region"`
	ProjectID   string      `yaml:"project_id"`
	Endpoint    string      `yaml:"endpoint,omitempty"`
	Credentials Credentials `yaml:"credentials,omitempty"`
	// TLSConfig configures the HTTPS connections to the endpoint, as the
	// tls_config of any Prometheus component does.
	TLSConfig promconfig.TLSConfig `yaml:"tls_config,omitempty"`
	// ProxyConfig holds the Prometheus-standard proxy settings, which sit
	// in the target itself: proxy_url, no_proxy, proxy_from_environment,
	// proxy_connect_header.
	ProxyConfig promconfig.ProxyConfig `yaml:",inline"`
	API         API                    `yaml:"api,omitempty"`
	// Collectors hold per-collector settings by collector name.
	Collectors map[string]CollectorConfig `yaml:"collectors,omitempty"`
}

// Credentials are the access key pair of a target. Each value comes from
// exactly one of: inline, a file, or an environment variable. When no
// access key and no secret key are given at all, the provider SDK's default
// credential chain (environment, profile, instance metadata) is used.
type Credentials struct {
	AccessKey         Secret `yaml:"access_key,omitempty"`
	AccessKeyFile     string `yaml:"access_key_file,omitempty"`
	AccessKeyEnv      string `yaml:"access_key_env,omitempty"`
	SecretKey         Secret `yaml:"secret_key,omitempty"`
	SecretKeyFile     string `yaml:"secret_key_file,omitempty"`
	SecretKeyEnv      string `yaml:"secret_key_env,omitempty"`
	SecurityToken     Secret `yaml:"security_token,omitempty"`
	SecurityTokenFile string `yaml:"security_token_file,omitempty"`
	SecurityTokenEnv  string `yaml:"security_token_env,omitempty"`
}

// API holds the HTTP client settings of a target. After validation every
// field is set: absent ones get their default, and explicit values (an
// explicit zero included) are within the bounds above.
type API struct {
	// Timeout bounds one HTTP request, retries excluded.
	Timeout Duration `yaml:"timeout,omitempty"`
	// MaxRetries is how often a retryable failure (429, 5xx, APIGW.*,
	// transport errors) is retried.
	MaxRetries *int `yaml:"max_retries,omitempty"`
	// MinBackoff and MaxBackoff bound the exponential backoff with jitter.
	MinBackoff Duration `yaml:"min_backoff,omitempty"`
	MaxBackoff Duration `yaml:"max_backoff,omitempty"`
	// Concurrency bounds the pages fetched at the same time.
	Concurrency int `yaml:"concurrency,omitempty"`
	// PageSize is the `limit` sent to list APIs.
	PageSize int `yaml:"page_size,omitempty"`
	// MaxPages stops a runaway list walk.
	MaxPages int `yaml:"max_pages,omitempty"`
}

// CollectorConfig holds the settings every collector understands.
type CollectorConfig struct {
	Enabled *bool `yaml:"enabled,omitempty"`
	// Interval is the refresh interval, within MinInterval..MaxInterval;
	// 0 only when the file does not give one: the collector's default.
	Interval Duration `yaml:"interval,omitempty"`
	// PerDesktopSeries turns the per-desktop series on or off.
	PerDesktopSeries *bool `yaml:"per_desktop_series,omitempty"`
}

// IsEnabled reports whether the collector runs, given its default.
func (c CollectorConfig) IsEnabled(def bool) bool {
	if c.Enabled == nil {
		return def
	}
	return *c.Enabled
}

// WantsPerDesktopSeries reports whether per-desktop series are exported
// (on unless switched off).
func (c CollectorConfig) WantsPerDesktopSeries() bool {
	return c.PerDesktopSeries == nil || *c.PerDesktopSeries
}

// Secret is a string that never shows its value when printed, logged or
// marshalled.
type Secret string

const redacted = "<secret>"

// String implements fmt.Stringer.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return redacted
}

// GoString implements fmt.GoStringer, so %#v hides it too.
func (s Secret) GoString() string { return s.String() }

// LogValue implements slog.LogValuer.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalYAML hides the value.
func (s Secret) MarshalYAML() (any, error) { return s.String(), nil }

// MarshalJSON hides the value.
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + s.String() + `"`), nil }

// Reveal returns the secret value; only credential code calls it.
func (s Secret) Reveal() string { return string(s) }

// Resolved are the credential values read from their sources.
type Resolved struct {
	AccessKey, SecretKey, SecurityToken Secret
	// FromChain is true when no key was configured and the provider's
	// default credential chain is to be used.
	FromChain bool
}

// Options tell validation what the rest of the program supports.
type Options struct {
	// Collectors are the names of the registered collectors.
	Collectors []string
	// Getenv reads environment variables; os.Getenv when nil.
	Getenv func(string) string
	// ReadFile reads the credential and TLS files the configuration names;
	// when nil, ReadRegularFile with MaxSecretFileSize or MaxTLSFileSize.
	// Tests override it. (The configuration file itself is always read
	// with ReadRegularFile.)
	ReadFile func(string) ([]byte, error)
}

func (o Options) getenv(key string) string {
	if o.Getenv == nil {
		return os.Getenv(key)
	}
	return o.Getenv(key)
}

func (o Options) readFile(path string, limit int64) ([]byte, error) {
	if o.ReadFile == nil {
		return ReadRegularFile(path, limit)
	}
	return o.ReadFile(path)
}

// LoadFile reads, decodes and validates a configuration file. The file
// must be a regular file of at most MaxConfigFileSize bytes. Errors start
// with "config file PATH: ".
func LoadFile(path string, opts Options) (*Config, error) {
	data, err := ReadRegularFile(path, MaxConfigFileSize)
	if err != nil {
		return nil, fmt.Errorf("config file %w", err)
	}
	cfg, err := Parse(data, opts)
	if err != nil {
		return nil, fmt.Errorf("config file %s: %w", path, err)
	}
	return cfg, nil
}

// Parse decodes YAML strictly, applies defaults and validates everything.
// The error lists every problem found, in the order of the file, one a
// line, each with its line number where it has one.
func Parse(data []byte, opts Options) (*Config, error) {
	if len(data) > MaxConfigFileSize {
		return nil, fmt.Errorf("%d bytes, over the %s limit", len(data), formatSize(MaxConfigFileSize))
	}
	var cfg Config
	doc, probs := decode(data, &cfg)
	if doc == nil {
		return nil, report(probs, nil)
	}
	if err := cfg.finish(opts, doc, probs); err != nil {
		return nil, err
	}
	return &cfg, nil
}

// Validate applies defaults to and validates a configuration built in
// code (the demo), as Parse does for a file. Without a file, a zero value
// counts as absent and gets the default.
func Validate(cfg *Config, opts Options) (*Config, error) {
	c := *cfg
	c.Targets = append([]Target(nil), cfg.Targets...)
	if err := c.finish(opts, nil, nil); err != nil {
		return nil, err
	}
	return &c, nil
}

// finish validates cfg and applies its defaults; probs are the problems
// decoding found. On success it sets cfg.Warnings.
func (cfg *Config) finish(opts Options, doc *docInfo, probs []problem) error {
	c := &checker{opts: opts, doc: doc}
	c.config(cfg)
	if err := report(append(probs, c.problems...), cfg.Targets); err != nil {
		return err
	}
	cfg.Warnings = nil
	for _, w := range sortProblems(c.warnings) {
		cfg.Warnings = append(cfg.Warnings, w.render(cfg.Targets))
	}
	return nil
}
