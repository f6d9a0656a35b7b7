package config

import (
	"net/url"
	"strings"
	"time"
)

// Validation is how a provider's or a collector's options report their
// problems: each at the line of its key, in the file's order among all
// the others, e.g. for key "project_id" of the first target's provider
// options:
//
//	line 5: target "a" (targets[0]): project_id: required (the IAM project ID of the region)
//
// and for key "top" of its collector quotas:
//
//	line 9: target "a" (targets[0]): collectors.quotas.top: 0 is outside 1..100
//
// Keys are the options' YAML keys. Nothing is reported for a key whose
// value could not be decoded (that problem is reported already).
type Validation struct {
	c *checker
	// at is the path of the mapping the options are written in:
	// "targets[0]" or "targets[0].collectors.quotas".
	at string
	// interval is the collector's refresh interval (defaults applied);
	// 0 for provider options.
	interval time.Duration
}

// Interval is the refresh interval of the collector whose options are
// validated (its default applied when the file gives none), so that
// options can be checked against it; 0 for a provider's options.
func (v *Validation) Interval() time.Duration { return v.interval }

func (v *Validation) path(key string) string {
	if key == "" {
		return v.at
	}
	return v.at + "." + key
}

// Fail reports a problem with the value of key ("" for the options as a
// whole). Quote values with Truncate: "%q is not a region name".
func (v *Validation) Fail(key, format string, args ...any) {
	v.c.fail(v.path(key), format, args...)
}

// Warn reports a problem that does not stop the configuration from
// loading (Config.Warnings).
func (v *Validation) Warn(key, format string, args ...any) {
	v.c.warn(v.path(key), format, args...)
}

// Given reports whether the file gives key a (non-null) value; always
// false for a configuration built in code.
func (v *Validation) Given(key string) bool {
	return v.c.doc.given(v.path(key))
}

// Endpoint checks the base URL at key, unless it is empty: an http:// or
// https:// URL with a host, without user information, query or fragment.
// It trims trailing slashes.
func (v *Validation) Endpoint(key string, endpoint *string) {
	if *endpoint == "" {
		return
	}
	u, err := url.Parse(*endpoint)
	switch {
	case err != nil:
		v.Fail(key, "not a URL: %s", clip(err.Error(), 256))
	case u.Scheme != "https" && u.Scheme != "http":
		v.Fail(key, "%q needs an http:// or https:// scheme", truncate(u.Redacted()))
	case u.Host == "":
		v.Fail(key, "%q has no host", truncate(u.Redacted()))
	case u.User != nil:
		v.Fail(key, "must not carry credentials; use the credentials section")
	case u.RawQuery != "" || u.Fragment != "":
		v.Fail(key, "%q must not have a query or fragment", truncate(u.Redacted()))
	}
	*endpoint = strings.TrimRight(*endpoint, "/")
}

// IntRange reports an integer at key outside lo..hi: "0 is outside 1..100".
func (v *Validation) IntRange(key string, n, lo, hi int) {
	if n < lo || n > hi {
		v.Fail(key, "%d is outside %d..%d", n, lo, hi)
	}
}

// DurationRange reports a duration at key outside lo..hi, as the
// intervals and timeouts of the file are.
func (v *Validation) DurationRange(key string, d Duration, lo, hi time.Duration) {
	switch {
	case time.Duration(d) < lo:
		v.Fail(key, "%s is below the minimum of %s", d, Duration(lo))
	case time.Duration(d) > hi:
		v.Fail(key, "%s is above the maximum of %s", d, Duration(hi))
	}
}

// Truncate shortens a value quoted in a message to 64 runes, marking the
// cut with "…", as every message of the configuration does.
func Truncate(s string) string { return truncate(s) }
