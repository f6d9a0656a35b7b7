package config

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"time"

	promconfig "github.com/prometheus/common/config"
)

var nameRe = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.:-]*$`)

// checker validates a decoded configuration and applies its defaults,
// collecting every problem.
type checker struct {
	opts Options
	// doc tells which keys the file gives and where; nil for a
	// configuration built in code.
	doc      *docInfo
	problems []problem
	warnings []problem
}

// fail reports a problem with the value at path, unless decoding already
// reported one there.
func (c *checker) fail(path, format string, args ...any) {
	c.add(&c.problems, problem{path: path, msg: fmt.Sprintf(format, args...)})
}

// failFile reports a file named at path that cannot be used.
func (c *checker) failFile(path, file string, err error) {
	c.add(&c.problems, problem{path: path, detail: file, msg: strings.TrimPrefix(err.Error(), file+": ")})
}

func (c *checker) warn(path, format string, args ...any) {
	c.add(&c.warnings, problem{path: path, msg: fmt.Sprintf(format, args...)})
}

func (c *checker) add(to *[]problem, p problem) {
	if c.doc.isBad(p.path) {
		return
	}
	p.line = c.doc.line(p.path)
	*to = append(*to, p)
}

func (c *checker) config(cfg *Config) {
	if len(cfg.Targets) == 0 {
		c.fail("targets", "at least one target is required")
	}
	seen := map[string]int{}
	for i := range cfg.Targets {
		c.target(&cfg.Targets[i], i, seen)
	}
}

// target checks targets[i]; seen maps the names of the targets before it
// to their index.
func (c *checker) target(t *Target, i int, seen map[string]int) {
	at := fmt.Sprintf("targets[%d]", i)
	switch field := at + ".name"; {
	case t.Name == "":
		c.fail(field, "required")
	case !nameRe.MatchString(t.Name):
		c.fail(field, "%q may hold only letters, digits and _ . : - and must start with a letter or digit", truncate(t.Name))
	default:
		if j, dup := seen[t.Name]; dup {
			c.fail(field, "duplicate: targets[%d] has the same name", j)
		}
		seen[t.Name] = i
	}
	provider := c.provider(t, at)
	if !c.doc.badWithin(at + ".credentials") {
		c.credentials(&t.Credentials, at+".credentials")
	}
	c.tls(&t.TLSConfig, at+".tls_config")
	c.proxy(&t.ProxyConfig, at)
	c.api(&t.API, at+".api")
	c.collectors(t, at+".collectors", provider)
}

// provider checks the provider of a target and validates its options,
// giving a target built in code without options the provider's. It
// returns the provider's schema; nil when the provider is not registered
// (reported).
func (c *checker) provider(t *Target, at string) *ProviderSchema {
	field := at + ".provider"
	reg, known := providerOf(t.Provider)
	switch {
	case t.Provider == "":
		c.fail(field, "required (one of: %s)", orNone(ProviderNames()))
		return nil
	case !known:
		c.fail(field, "unknown provider %q (supported: %s)", truncate(t.Provider), orNone(ProviderNames()))
		return nil
	case t.Options == nil:
		t.Options = reg.schema.NewOptions()
	case reflect.TypeOf(t.Options) != reg.optionsType:
		c.fail(field, "the options of provider %s are a %s, not a %T", t.Provider, reg.optionsType, t.Options)
		return nil
	}
	t.Options.Validate(&Validation{c: c, at: at})
	return &reg.schema
}

// credentials checks the credential sources and that each can be read.
func (c *checker) credentials(cr *Credentials, at string) {
	before := len(c.problems)
	counts := map[string]int{}
	for _, s := range cr.sources() {
		counts[s.field] = s.given()
		if counts[s.field] > 1 {
			c.fail(at+"."+s.field, "give only one of %s, %s_file and %s_env", s.field, s.field, s.field)
		}
	}
	ak, sk, st := counts["access_key"], counts["secret_key"], counts["security_token"]
	if ak > 0 && sk == 0 {
		c.fail(at+".secret_key", "required when an access key is given")
	}
	if sk > 0 && ak == 0 {
		c.fail(at+".access_key", "required when a secret key is given")
	}
	if st > 0 && ak == 0 {
		c.fail(at+".security_token", "needs the temporary access key and secret key it belongs to")
	}
	if len(c.problems) > before {
		return
	}
	for _, s := range cr.sources() {
		if _, err := s.resolve(c.opts); err != nil {
			c.add(&c.problems, problem{path: at + "." + err.field, detail: err.file, msg: err.msg})
		}
	}
}

// tls checks a tls_config: Prometheus' own rules, then that the files it
// names are readable regular files within MaxTLSFileSize holding what they
// should.
func (c *checker) tls(t *promconfig.TLSConfig, at string) {
	if err := t.Validate(); err != nil {
		c.fail(at, "%v", err)
		return
	}
	for _, ref := range []struct{ key, value string }{{"ca", t.CARef}, {"cert", t.CertRef}, {"key", t.KeyRef}} {
		if ref.value != "" {
			c.fail(at+"."+ref.key+"_ref", "secret references are not supported here; use %s or %s_file", ref.key, ref.key)
		}
	}
	if field, ca := c.tlsInput(at, "ca", t.CA, t.CAFile); ca != nil && !x509.NewCertPool().AppendCertsFromPEM(ca) {
		c.fail(at+"."+field, "no PEM certificate found")
	}
	certField, cert := c.tlsInput(at, "cert", t.Cert, t.CertFile)
	_, key := c.tlsInput(at, "key", string(t.Key), t.KeyFile)
	if cert != nil && key != nil {
		if _, err := tls.X509KeyPair(cert, key); err != nil {
			c.fail(at+"."+certField, "the client certificate and key do not load: %v", err)
		}
	}
	if t.MinVersion != 0 && t.MaxVersion != 0 && t.MinVersion > t.MaxVersion {
		c.fail(at+".max_version", "%s is below min_version %s", tlsVersionName(t.MaxVersion), tlsVersionName(t.MinVersion))
	}
	if t.InsecureSkipVerify {
		c.warn(at+".insecure_skip_verify", "true: the endpoint's certificate is not verified, so anyone on the network path can read the signed requests; use it only for testing")
	}
}

// tlsInput returns the PEM given inline (key) or in a file (key_file), and
// the field it came from; nil when there is none or the file cannot be
// read (reported).
func (c *checker) tlsInput(at, key, inline, file string) (string, []byte) {
	if file != "" {
		b, err := c.opts.readFile(file, MaxTLSFileSize)
		if err != nil {
			c.failFile(at+"."+key+"_file", file, err)
			return key + "_file", nil
		}
		return key + "_file", b
	}
	if inline != "" {
		return key, []byte(inline)
	}
	return key, nil
}

func tlsVersionName(v promconfig.TLSVersion) string {
	for name, tv := range promconfig.TLSVersions {
		if tv == v {
			return name
		}
	}
	return fmt.Sprintf("TLS version %#x", uint16(v))
}

// proxy checks the proxy settings of a target.
func (c *checker) proxy(p *promconfig.ProxyConfig, at string) {
	if err := p.Validate(); err != nil {
		c.fail(at, "%v", err)
	}
	if u := p.ProxyURL.URL; u != nil && u.String() != "" {
		switch {
		case u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "socks5":
			c.fail(at+".proxy_url", "%q needs an http://, https:// or socks5:// scheme", truncate(u.Redacted()))
		case u.Host == "":
			c.fail(at+".proxy_url", "%q has no host", truncate(u.Redacted()))
		}
	}
}

// api applies the defaults of the HTTP client settings and checks their
// bounds.
func (c *checker) api(a *API, at string) {
	c.duration(at+".timeout", &a.Timeout, DefaultRequestTimeout, MinTimeout, MaxTimeout)
	if a.MaxRetries == nil {
		n := DefaultMaxRetries
		a.MaxRetries = &n
	} else if *a.MaxRetries < MinMaxRetries || *a.MaxRetries > MaxMaxRetries {
		c.fail(at+".max_retries", "%d is outside %d..%d", *a.MaxRetries, MinMaxRetries, MaxMaxRetries)
	}
	minOK := c.duration(at+".min_backoff", &a.MinBackoff, DefaultMinBackoff, MinMinBackoff, MaxMinBackoff)
	// Without a max_backoff, a large min_backoff raises the default.
	def := max(DefaultMaxBackoff, time.Duration(a.MinBackoff))
	if minOK && a.MaxBackoff != 0 && a.MaxBackoff < a.MinBackoff {
		c.fail(at+".max_backoff", "%s is below min_backoff %s", a.MaxBackoff, a.MinBackoff)
	} else {
		c.duration(at+".max_backoff", &a.MaxBackoff, def, MinMinBackoff, MaxMaxBackoff)
	}
	c.integer(at+".concurrency", &a.Concurrency, DefaultConcurrency, MinConcurrency, MaxConcurrency, "")
	c.integer(at+".page_size", &a.PageSize, 0, MinPageSize, MaxPageSize, "")
	c.integer(at+".max_pages", &a.MaxPages, DefaultMaxPages, MinMaxPages, MaxMaxPages, "")
}

// collectors checks the collectors of a target and applies their
// defaults. Afterwards the target has an entry for every registered
// collector whose capability its provider has (reg; nil when the provider
// is unknown: then only what is given is checked), and no other entry. A
// collector whose capability the provider lacks may be given, but not
// enabled.
func (c *checker) collectors(t *Target, at string, reg *ProviderSchema) {
	names := CollectorNames()
	out := make(map[string]CollectorConfig, len(t.Collectors))
	for _, name := range sortedKeys(t.Collectors) {
		path := at + "." + name
		cc := t.Collectors[name]
		r, ok := collectorOf(name)
		switch {
		case !ok:
			c.fail(path, "unknown collector (known: %s)", orNone(names))
		case reg != nil && !reg.HasCapability(r.schema.Capability):
			if cc.Enabled != nil && *cc.Enabled {
				c.fail(path+".enabled", "true, but provider %s cannot run collector %s: it lacks capability %q (%s has: %s)",
					t.Provider, name, r.schema.Capability, t.Provider, orNone(reg.Capabilities))
			}
		default:
			c.collector(&cc, name, r, path)
			out[name] = cc
		}
	}
	if reg != nil {
		for _, name := range names {
			r, _ := collectorOf(name)
			if _, given := out[name]; given || !reg.HasCapability(r.schema.Capability) {
				continue
			}
			if _, given := t.Collectors[name]; given {
				continue // given, and reported
			}
			var cc CollectorConfig
			c.collector(&cc, name, r, at+"."+name)
			out[name] = cc
		}
	}
	t.Collectors = out
}

// collector applies the defaults of one collector's settings and checks
// them.
func (c *checker) collector(cc *CollectorConfig, name string, r registered[CollectorSchema], path string) {
	if cc.Enabled == nil {
		on := r.schema.DefaultEnabled
		cc.Enabled = &on
	}
	c.duration(path+".interval", &cc.Interval, r.schema.DefaultInterval, MinInterval, MaxInterval)
	switch {
	case r.optionsType == nil:
		if cc.Options != nil {
			c.fail(path, "collector %s has no options, but a %T is given", name, cc.Options)
		}
		return
	case cc.Options == nil:
		cc.Options = r.schema.NewOptions()
	case reflect.TypeOf(cc.Options) != r.optionsType:
		c.fail(path, "the options of collector %s are a %s, not a %T", name, r.optionsType, cc.Options)
		return
	}
	if v, ok := cc.Options.(OptionsValidator); ok {
		v.Validate(&Validation{c: c, at: path, interval: time.Duration(cc.Interval)})
	}
}

// duration gives an absent duration its default and checks the bounds of
// one the file gives (an explicit 0s included). It reports whether the
// value is valid.
func (c *checker) duration(path string, v *Duration, def, lo, hi time.Duration) bool {
	if *v == 0 && !c.doc.given(path) {
		*v = Duration(def)
		return true
	}
	switch d := time.Duration(*v); {
	case d < lo:
		hint := ""
		if d == 0 {
			hint = " (leave the key out for the default)"
		}
		c.fail(path, "%s is below the minimum of %s%s", *v, Duration(lo), hint)
	case d > hi:
		c.fail(path, "%s is above the maximum of %s", *v, Duration(hi))
	default:
		return true
	}
	return false
}

// integer gives an absent integer its default and checks the bounds of
// one the file gives (an explicit 0 included).
func (c *checker) integer(path string, v *int, def, lo, hi int, note string) {
	if *v == 0 && !c.doc.given(path) {
		*v = def
		return
	}
	if *v < lo || *v > hi {
		c.fail(path, "%d is outside %d..%d%s", *v, lo, hi, note)
	}
}
