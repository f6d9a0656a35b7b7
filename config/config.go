// Package config defines the exporter's configuration file: pure values,
// strict decoding and validation. It knows nothing of the cloud clients or
// of Prometheus; the collector package turns a validated Config into
// running targets.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"regexp"
	"sort"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Providers supported by this version.
const (
	ProviderHuaweiCloud = "huaweicloud"
)

// Defaults applied where the file is silent.
const (
	DefaultRequestTimeout = 30 * time.Second
	DefaultMaxRetries     = 4
	DefaultMinBackoff     = 500 * time.Millisecond
	DefaultMaxBackoff     = 30 * time.Second
	DefaultConcurrency    = 4
	DefaultPageSize       = 500
	DefaultMaxPages       = 10000
)

// Config is the whole configuration file.
type Config struct {
	Targets []Target `yaml:"targets"`
}

// Target is one cloud account, region and project to monitor.
type Target struct {
	Name        string                     `yaml:"name"`
	Provider    string                     `yaml:"provider"`
	Region      string                     `yaml:"region"`
	ProjectID   string                     `yaml:"project_id"`
	Endpoint    string                     `yaml:"endpoint,omitempty"`
	Credentials Credentials                `yaml:"credentials,omitempty"`
	API         API                        `yaml:"api,omitempty"`
	Collectors  map[string]CollectorConfig `yaml:"collectors,omitempty"`
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

// API holds the HTTP client settings of a target.
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
	Enabled  *bool    `yaml:"enabled,omitempty"`
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
	// ReadFile reads credential files; os.ReadFile when nil.
	ReadFile func(string) ([]byte, error)
}

// LoadFile reads, decodes and validates a configuration file.
func LoadFile(path string, opts Options) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading config file: %w", err)
	}
	cfg, err := Parse(data, opts)
	if err != nil {
		return nil, fmt.Errorf("config file %s: %w", path, err)
	}
	return cfg, nil
}

// Parse decodes YAML strictly (an unknown key is an error naming it and its
// line), applies defaults and validates everything, returning all problems
// found at once.
func Parse(data []byte, opts Options) (*Config, error) {
	var cfg Config
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil {
		if errors.Is(err, errEOF) || err.Error() == "EOF" {
			return nil, errors.New("the file is empty: it needs a list of targets")
		}
		return nil, cleanYAMLError(err)
	}
	if err := cfg.validate(opts); err != nil {
		return nil, err
	}
	return &cfg, nil
}

// Validate applies defaults to and validates a configuration built in
// code (the demo), exactly as Parse does for a file.
func Validate(cfg *Config, opts Options) (*Config, error) {
	c := *cfg
	c.Targets = append([]Target(nil), cfg.Targets...)
	if err := c.validate(opts); err != nil {
		return nil, err
	}
	return &c, nil
}

var errEOF = errors.New("EOF")

var (
	yamlFieldRe = regexp.MustCompile(`field (\S+) not found in type config\.(\w+)`)
	yamlTypeRe  = regexp.MustCompile(`into (?:config\.|model\.)?(\w+)`)
)

var yamlTypeNames = map[string]string{
	"Config":          "the top level",
	"Target":          "a target",
	"Credentials":     "credentials",
	"API":             "api",
	"CollectorConfig": "a collector",
}

// cleanYAMLError rewrites yaml.v3's messages so they talk about keys of
// this file rather than Go types.
func cleanYAMLError(err error) error {
	msg := err.Error()
	msg = strings.TrimPrefix(msg, "yaml: unmarshal errors:\n")
	lines := strings.Split(msg, "\n")
	for i, l := range lines {
		l = strings.TrimSpace(l)
		l = yamlFieldRe.ReplaceAllStringFunc(l, func(m string) string {
			sub := yamlFieldRe.FindStringSubmatch(m)
			where := yamlTypeNames[sub[2]]
			if where == "" {
				where = sub[2]
			}
			return fmt.Sprintf("unknown key %q in %s", sub[1], where)
		})
		l = yamlTypeRe.ReplaceAllString(l, "into $1")
		lines[i] = l
	}
	return fmt.Errorf("invalid YAML: %s", strings.Join(lines, "; "))
}

var nameRe = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.:-]*$`)

func (c *Config) validate(opts Options) error {
	var errs []error
	if len(c.Targets) == 0 {
		errs = append(errs, errors.New("targets: at least one target is required"))
	}
	known := map[string]bool{}
	for _, n := range opts.Collectors {
		known[n] = true
	}
	seen := map[string]int{}
	for i := range c.Targets {
		t := &c.Targets[i]
		where := fmt.Sprintf("targets[%d]", i)
		if t.Name != "" {
			where = fmt.Sprintf("target %q (targets[%d])", t.Name, i)
		}
		fail := func(field, format string, args ...any) {
			errs = append(errs, fmt.Errorf("%s: %s: %s", where, field, fmt.Sprintf(format, args...)))
		}
		switch {
		case t.Name == "":
			fail("name", "required")
		case !nameRe.MatchString(t.Name):
			fail("name", "%q may hold only letters, digits and _ . : - and must start with a letter or digit", t.Name)
		default:
			if j, dup := seen[t.Name]; dup {
				fail("name", "duplicate: targets[%d] has the same name", j)
			}
			seen[t.Name] = i
		}
		switch t.Provider {
		case "":
			fail("provider", "required (one of: %s)", ProviderHuaweiCloud)
		case ProviderHuaweiCloud:
		default:
			fail("provider", "unknown provider %q (supported: %s)", t.Provider, ProviderHuaweiCloud)
		}
		if t.Region == "" {
			fail("region", "required, e.g. ap-southeast-3")
		} else if !regionRe.MatchString(t.Region) {
			fail("region", "%q is not a region name (lower-case letters, digits and dashes)", t.Region)
		}
		if t.ProjectID == "" {
			fail("project_id", "required (the IAM project ID of the region)")
		} else if !projectRe.MatchString(t.ProjectID) {
			fail("project_id", "%q is not a project ID (letters and digits only)", t.ProjectID)
		}
		if t.Endpoint == "" && t.Provider == ProviderHuaweiCloud && t.Region != "" {
			t.Endpoint = "https://workspace." + t.Region + ".myhuaweicloud.com"
		} else if t.Endpoint != "" {
			u, err := url.Parse(t.Endpoint)
			switch {
			case err != nil:
				fail("endpoint", "not a URL: %v", err)
			case u.Scheme != "https" && u.Scheme != "http":
				fail("endpoint", "%q needs an http:// or https:// scheme", t.Endpoint)
			case u.Host == "":
				fail("endpoint", "%q has no host", t.Endpoint)
			case u.User != nil:
				fail("endpoint", "must not carry credentials; use the credentials section")
			case u.RawQuery != "" || u.Fragment != "":
				fail("endpoint", "%q must not have a query or fragment", u.Redacted())
			}
			t.Endpoint = strings.TrimRight(t.Endpoint, "/")
		}
		for _, e := range t.Credentials.check(opts) {
			fail("credentials."+e.field, "%s", e.msg)
		}
		for _, e := range t.API.applyDefaults() {
			fail("api."+e.field, "%s", e.msg)
		}
		names := make([]string, 0, len(t.Collectors))
		for n := range t.Collectors {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			cc := t.Collectors[n]
			if len(known) > 0 && !known[n] {
				fail("collectors."+n, "unknown collector (known: %s)", strings.Join(opts.Collectors, ", "))
				continue
			}
			if cc.Interval != 0 && time.Duration(cc.Interval) < time.Second {
				fail("collectors."+n+".interval", "%s is below the minimum of 1s", cc.Interval)
			}
		}
	}
	return errors.Join(errs...)
}

var (
	regionRe  = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)
	projectRe = regexp.MustCompile(`^[A-Za-z0-9]+$`)
)

type fieldErr struct{ field, msg string }

func (a *API) applyDefaults() []fieldErr {
	var errs []fieldErr
	if a.Timeout == 0 {
		a.Timeout = Duration(DefaultRequestTimeout)
	} else if time.Duration(a.Timeout) < 100*time.Millisecond {
		errs = append(errs, fieldErr{"timeout", fmt.Sprintf("%s is below the minimum of 100ms", a.Timeout)})
	}
	if a.MaxRetries == nil {
		n := DefaultMaxRetries
		a.MaxRetries = &n
	} else if *a.MaxRetries < 0 || *a.MaxRetries > 20 {
		errs = append(errs, fieldErr{"max_retries", fmt.Sprintf("%d is outside 0..20", *a.MaxRetries)})
	}
	if a.MinBackoff == 0 {
		a.MinBackoff = Duration(DefaultMinBackoff)
	}
	if a.MaxBackoff == 0 {
		a.MaxBackoff = Duration(DefaultMaxBackoff)
	}
	if a.MaxBackoff < a.MinBackoff {
		errs = append(errs, fieldErr{"max_backoff", fmt.Sprintf("%s is below min_backoff %s", a.MaxBackoff, a.MinBackoff)})
	}
	if a.Concurrency == 0 {
		a.Concurrency = DefaultConcurrency
	} else if a.Concurrency < 1 || a.Concurrency > 64 {
		errs = append(errs, fieldErr{"concurrency", fmt.Sprintf("%d is outside 1..64", a.Concurrency)})
	}
	if a.PageSize == 0 {
		a.PageSize = DefaultPageSize
	} else if a.PageSize < 1 || a.PageSize > 500 {
		errs = append(errs, fieldErr{"page_size", fmt.Sprintf("%d is outside 1..500 (the API's documented limit range)", a.PageSize)})
	}
	if a.MaxPages == 0 {
		a.MaxPages = DefaultMaxPages
	} else if a.MaxPages < 1 {
		errs = append(errs, fieldErr{"max_pages", fmt.Sprintf("%d must be positive", a.MaxPages)})
	}
	return errs
}

// check validates the credential sources without resolving them.
func (c *Credentials) check(opts Options) []fieldErr {
	var errs []fieldErr
	count := func(field string, inline Secret, file, env string) int {
		n := 0
		if inline != "" {
			n++
		}
		if file != "" {
			n++
		}
		if env != "" {
			n++
		}
		if n > 1 {
			errs = append(errs, fieldErr{field, fmt.Sprintf("give only one of %s, %s_file and %s_env", field, field, field)})
		}
		return n
	}
	ak := count("access_key", c.AccessKey, c.AccessKeyFile, c.AccessKeyEnv)
	sk := count("secret_key", c.SecretKey, c.SecretKeyFile, c.SecretKeyEnv)
	st := count("security_token", c.SecurityToken, c.SecurityTokenFile, c.SecurityTokenEnv)
	if ak > 0 && sk == 0 {
		errs = append(errs, fieldErr{"secret_key", "required when an access key is given"})
	}
	if sk > 0 && ak == 0 {
		errs = append(errs, fieldErr{"access_key", "required when a secret key is given"})
	}
	if st > 0 && ak == 0 {
		errs = append(errs, fieldErr{"security_token", "needs the temporary access key and secret key it belongs to"})
	}
	if len(errs) == 0 {
		if _, err := c.Resolve(opts); err != nil {
			var fe *credError
			if errors.As(err, &fe) {
				errs = append(errs, fieldErr{fe.field, fe.msg})
			} else {
				errs = append(errs, fieldErr{"", err.Error()})
			}
		}
	}
	return errs
}

type credError struct{ field, msg string }

func (e *credError) Error() string { return e.field + ": " + e.msg }

// Resolve reads the credential values from their sources. Errors name the
// field and the source, never the value.
func (c *Credentials) Resolve(opts Options) (Resolved, error) {
	getenv := opts.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	readFile := opts.ReadFile
	if readFile == nil {
		readFile = os.ReadFile
	}
	one := func(field string, inline Secret, file, env string) (Secret, error) {
		switch {
		case inline != "":
			return inline, nil
		case file != "":
			b, err := readFile(file)
			if err != nil {
				return "", &credError{field + "_file", fmt.Sprintf("cannot read %s: %v", file, unwrapPathErr(err))}
			}
			v := strings.TrimSpace(string(b))
			if v == "" {
				return "", &credError{field + "_file", fmt.Sprintf("%s is empty", file)}
			}
			return Secret(v), nil
		case env != "":
			v := strings.TrimSpace(getenv(env))
			if v == "" {
				return "", &credError{field + "_env", fmt.Sprintf("environment variable %s is not set or empty", env)}
			}
			return Secret(v), nil
		}
		return "", nil
	}
	var r Resolved
	var err error
	if r.AccessKey, err = one("access_key", c.AccessKey, c.AccessKeyFile, c.AccessKeyEnv); err != nil {
		return Resolved{}, err
	}
	if r.SecretKey, err = one("secret_key", c.SecretKey, c.SecretKeyFile, c.SecretKeyEnv); err != nil {
		return Resolved{}, err
	}
	if r.SecurityToken, err = one("security_token", c.SecurityToken, c.SecurityTokenFile, c.SecurityTokenEnv); err != nil {
		return Resolved{}, err
	}
	r.FromChain = r.AccessKey == "" && r.SecretKey == ""
	return r, nil
}

func unwrapPathErr(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
