// Package config defines the exporter's configuration file: pure values,
// strict decoding and validation. It imports no provider and no
// collector: they register their own settings (RegisterProvider,
// RegisterCollector) and the file is decoded strictly against what is
// registered. The collector package turns a validated Config into running
// targets.
//
// Every problem of a file is reported at once, each with its line: YAML
// syntax, unknown and duplicate keys, values of the wrong type, values out
// of bounds, unreadable credential and TLS files.
package config

import (
	"fmt"
	"log/slog"
	"os"
	"reflect"
	"slices"
	"time"

	promconfig "github.com/prometheus/common/config"
	"go.yaml.in/yaml/v3"
)

// Defaults applied where the file is silent. A collector's default
// interval is the collector's own (CollectorSchema.DefaultInterval); an
// absent api.page_size stays 0: each list operation's own maximum.
const (
	DefaultRequestTimeout = 30 * time.Second
	DefaultMaxRetries     = 4
	DefaultMinBackoff     = 500 * time.Millisecond
	DefaultMaxBackoff     = 30 * time.Second
	DefaultConcurrency    = 4
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

	MinPageSize = 1 // api.page_size; an operation never asks for more than its own maximum
	MaxPageSize = 2000

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
	Name     string `yaml:"name"`
	Provider string `yaml:"provider"`
	// Options are the provider's own settings (Huawei: region, project_id,
	// endpoint), written in the target itself beside the common keys: a
	// pointer to the struct the provider registered (ProviderSchema).
	// After validation it is set, defaults applied, whenever Provider is
	// a registered provider. In code, nil stands for the provider's
	// options with nothing set.
	Options     ProviderOptions `yaml:"-" config:"inline"`
	Credentials Credentials     `yaml:"credentials,omitempty"`
	// TLSConfig configures the HTTPS connections to the endpoint, as the
	// tls_config of any Prometheus component does.
	TLSConfig promconfig.TLSConfig `yaml:"tls_config,omitempty"`
	// ProxyConfig holds the Prometheus-standard proxy settings, which sit
	// in the target itself: proxy_url, no_proxy, proxy_from_environment,
	// proxy_connect_header.
	ProxyConfig promconfig.ProxyConfig `yaml:",inline"`
	API         API                    `yaml:"api,omitempty"`
	// Collectors hold per-collector settings by collector name. After
	// validation it has an entry for every registered collector whose
	// capability the target's provider has, defaults applied, and no
	// other.
	Collectors map[string]CollectorConfig `yaml:"collectors,omitempty"`
}

// InfoLabels are the region and project_id labels of the target's
// workspace_target_info series ("" where the provider has none).
func (t Target) InfoLabels() (region, projectID string) {
	if t.Options == nil {
		return "", ""
	}
	return t.Options.InfoLabels()
}

// EnabledCollectors lists the names of the collectors that run for the
// target, sorted.
func (t Target) EnabledCollectors() []string {
	var out []string
	for _, name := range sortedKeys(t.Collectors) {
		if t.Collectors[name].IsEnabled() {
			out = append(out, name)
		}
	}
	return out
}

// MarshalYAML writes the provider's options in the target itself, after
// provider, as the file has them.
func (t Target) MarshalYAML() (any, error) {
	type plain Target
	return marshalInline(plain(t), t.Options, "provider")
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
	// PageSize bounds the page size (`limit`, `PageSize`, …) of list
	// calls: each operation asks for min(PageSize, its documented
	// maximum). 0 (absent) asks for each operation's maximum.
	PageSize int `yaml:"page_size,omitempty"`
	// MaxPages stops a runaway list walk.
	MaxPages int `yaml:"max_pages,omitempty"`
}

// CollectorConfig holds the settings of one collector for one target.
type CollectorConfig struct {
	// Enabled is nil when neither the file nor the code says; after
	// validation it is never nil (the collector's default applied): read
	// it with IsEnabled.
	Enabled *bool `yaml:"enabled,omitempty"`
	// Interval is the refresh interval, within MinInterval..MaxInterval;
	// after validation the collector's default when none was given.
	Interval Duration `yaml:"interval,omitempty"`
	// Options are the collector's own settings, written beside enabled
	// and interval: a pointer to the struct its CollectorSchema.NewOptions
	// returns, defaults set; nil for a collector without options. After
	// validation it is set for every collector that has options. In code,
	// nil stands for the defaults.
	Options any `yaml:"-" config:"inline"`
}

// IsEnabled reports whether the collector runs: the value of Enabled,
// false when it is nil (which validation never leaves).
func (c CollectorConfig) IsEnabled() bool {
	return c.Enabled != nil && *c.Enabled
}

// MarshalYAML writes the collector's options beside enabled and interval.
func (c CollectorConfig) MarshalYAML() (any, error) {
	type plain CollectorConfig
	return marshalInline(plain(c), c.Options, "")
}

// marshalInline encodes base, a struct, and adds the keys of extra (a
// pointer to a struct, or nil) after the key named after, or at the end.
func marshalInline(base, extra any, after string) (*yaml.Node, error) {
	var n yaml.Node
	if err := n.Encode(base); err != nil {
		return nil, err
	}
	if v := reflect.ValueOf(extra); !v.IsValid() || v.Kind() == reflect.Pointer && v.IsNil() {
		return &n, nil
	}
	var e yaml.Node
	if err := e.Encode(extra); err != nil {
		return nil, err
	}
	if n.Kind != yaml.MappingNode || e.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("cannot write %T inline", extra)
	}
	at := len(n.Content)
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == after {
			at = i + 2
			break
		}
	}
	n.Content = slices.Insert(n.Content, at, e.Content...)
	return &n, nil
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

// Options tell validation how to read the environment and files. The
// providers and collectors it knows are the registered ones
// (RegisterProvider, RegisterCollector).
type Options struct {
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
// counts as absent and gets the default; nil provider or collector options
// stand for options with nothing set, respectively the collector's
// defaults. cfg is not changed: the result has its own copies of the
// targets, collector maps and options (the options structs are copied
// shallowly).
func Validate(cfg *Config, opts Options) (*Config, error) {
	c := *cfg
	c.Targets = append([]Target(nil), cfg.Targets...)
	for i := range c.Targets {
		t := &c.Targets[i]
		if t.Options != nil {
			if o, ok := copyOptions(t.Options).(ProviderOptions); ok {
				t.Options = o
			}
		}
		if t.Collectors != nil {
			ccs := make(map[string]CollectorConfig, len(t.Collectors))
			for name, cc := range t.Collectors {
				if cc.Enabled != nil {
					on := *cc.Enabled
					cc.Enabled = &on
				}
				cc.Options = copyOptions(cc.Options)
				ccs[name] = cc
			}
			t.Collectors = ccs
		}
	}
	if err := c.finish(opts, nil, nil); err != nil {
		return nil, err
	}
	return &c, nil
}

// copyOptions returns a shallow copy of the struct o points to; o itself
// when it is not a non-nil pointer to a struct.
func copyOptions(o any) any {
	v := reflect.ValueOf(o)
	if !v.IsValid() || v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return o
	}
	c := reflect.New(v.Elem().Type())
	c.Elem().Set(v.Elem())
	return c.Interface()
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
