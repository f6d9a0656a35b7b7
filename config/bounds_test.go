package config

import (
	"testing"
	"time"
)

// Every bound, at both edges, and explicit zeros, which are not "absent".
func TestBounds(t *testing.T) {
	const at = `line 6: target "a" (targets[0]): `
	cases := []struct {
		yaml string // the target's api or collectors section
		want string // the problem; "" when valid
	}{
		{"api: {timeout: 100ms}", ""},
		{"api: {timeout: 10m}", ""},
		{"api: {timeout: 99ms}", "api.timeout: 99ms is below the minimum of 100ms"},
		{"api: {timeout: 10m1s}", "api.timeout: 10m1s is above the maximum of 10m"},
		{"api: {timeout: 0s}", "api.timeout: 0s is below the minimum of 100ms (leave the key out for the default)"},
		{"api: {timeout: 0}", "api.timeout: 0s is below the minimum of 100ms (leave the key out for the default)"},

		{"api: {min_backoff: 10ms}", ""},
		{"api: {min_backoff: 5m}", ""}, // max_backoff's default follows
		{"api: {min_backoff: 9ms}", "api.min_backoff: 9ms is below the minimum of 10ms"},
		{"api: {min_backoff: 5m1s}", "api.min_backoff: 5m1s is above the maximum of 5m"},
		{"api: {min_backoff: 0s}", "api.min_backoff: 0s is below the minimum of 10ms (leave the key out for the default)"},

		{"api: {max_backoff: 500ms}", ""}, // = the default min_backoff
		{"api: {max_backoff: 5m}", ""},
		{"api: {min_backoff: 10ms, max_backoff: 10ms}", ""},
		{"api: {max_backoff: 499ms}", "api.max_backoff: 499ms is below min_backoff 500ms"},
		{"api: {min_backoff: 2s, max_backoff: 1s}", "api.max_backoff: 1s is below min_backoff 2s"},
		{"api: {max_backoff: 5m1s}", "api.max_backoff: 5m1s is above the maximum of 5m"},
		{"api: {max_backoff: 0s}", "api.max_backoff: 0s is below the minimum of 10ms (leave the key out for the default)"},

		{"api: {max_retries: 0}", ""},
		{"api: {max_retries: 20}", ""},
		{"api: {max_retries: -1}", "api.max_retries: -1 is outside 0..20"},
		{"api: {max_retries: 21}", "api.max_retries: 21 is outside 0..20"},

		{"api: {concurrency: 1}", ""},
		{"api: {concurrency: 64}", ""},
		{"api: {concurrency: 0}", "api.concurrency: 0 is outside 1..64"},
		{"api: {concurrency: 65}", "api.concurrency: 65 is outside 1..64"},

		{"api: {page_size: 1}", ""},
		{"api: {page_size: 2000}", ""},
		{"api: {page_size: ~}", ""}, // null is absent: each operation's maximum
		{"api: {page_size: 0}", "api.page_size: 0 is outside 1..2000"},
		{"api: {page_size: 2001}", "api.page_size: 2001 is outside 1..2000"},

		{"api: {max_pages: 1}", ""},
		{"api: {max_pages: 100000}", ""},
		{"api: {max_pages: 0}", "api.max_pages: 0 is outside 1..100000"},
		{"api: {max_pages: 100001}", "api.max_pages: 100001 is outside 1..100000"},

		{"collectors: {desktops: {interval: 10s}}", ""},
		{"collectors: {desktops: {interval: 24h}}", ""},
		{"collectors: {desktops: {interval: 9999ms}}", "collectors.desktops.interval: 9s999ms is below the minimum of 10s"},
		{"collectors: {desktops: {interval: 24h1s}}", "collectors.desktops.interval: 1d1s is above the maximum of 1d"},
		{"collectors: {desktops: {interval: 0s}}", "collectors.desktops.interval: 0s is below the minimum of 10s (leave the key out for the default)"},
		{"collectors: {desktops: {interval: ~}}", ""}, // null is absent
		{"collectors: {desktops: {}}", ""},
	}
	for _, c := range cases {
		t.Run(c.yaml, func(t *testing.T) {
			_, err := Parse([]byte(doc(c.yaml)), testOpts)
			if c.want == "" {
				if err != nil {
					t.Errorf("want valid, got %v", err)
				}
				return
			}
			checkProblems(t, err, at+c.want)
		})
	}
}

// The bounds as documented in config.example.yml and the README.
func TestBoundConstants(t *testing.T) {
	durations := []struct {
		name      string
		got, want [2]time.Duration
	}{
		{"interval", [2]time.Duration{MinInterval, MaxInterval}, [2]time.Duration{10 * time.Second, 24 * time.Hour}},
		{"timeout", [2]time.Duration{MinTimeout, MaxTimeout}, [2]time.Duration{100 * time.Millisecond, 10 * time.Minute}},
		{"min_backoff", [2]time.Duration{MinMinBackoff, MaxMinBackoff}, [2]time.Duration{10 * time.Millisecond, 5 * time.Minute}},
		{"max_backoff", [2]time.Duration{0, MaxMaxBackoff}, [2]time.Duration{0, 5 * time.Minute}},
	}
	for _, c := range durations {
		if c.got != c.want {
			t.Errorf("%s bounds = %v, want %v", c.name, c.got, c.want)
		}
	}
	ints := []struct {
		name      string
		got, want [2]int
	}{
		{"max_retries", [2]int{MinMaxRetries, MaxMaxRetries}, [2]int{0, 20}},
		{"concurrency", [2]int{MinConcurrency, MaxConcurrency}, [2]int{1, 64}},
		{"page_size", [2]int{MinPageSize, MaxPageSize}, [2]int{1, 2000}},
		{"max_pages", [2]int{MinMaxPages, MaxMaxPages}, [2]int{1, 100000}},
	}
	for _, c := range ints {
		if c.got != c.want {
			t.Errorf("%s bounds = %v, want %v", c.name, c.got, c.want)
		}
	}
}

// Without max_backoff, a min_backoff above its default raises it.
func TestMaxBackoffDefaultFollowsMinBackoff(t *testing.T) {
	cfg, err := Parse([]byte(doc("api: {min_backoff: 2m}")), testOpts)
	if err != nil {
		t.Fatal(err)
	}
	if a := cfg.Targets[0].API; time.Duration(a.MaxBackoff) != 2*time.Minute {
		t.Errorf("max_backoff = %v, want 2m", a.MaxBackoff)
	}
}

func TestParseDuration(t *testing.T) {
	cases := []struct {
		in   string
		want time.Duration
		err  string
	}{
		{"0", 0, ""},
		{"1ms", time.Millisecond, ""},
		{"1h30m", 90 * time.Minute, ""},
		{"292y", 292 * 365 * 24 * time.Hour, ""}, // fits in time.Duration
		{"293y", 0, `"293y" is out of range: a duration can be at most about 292y`},
		{"292y52w", 0, `"292y52w" is out of range: a duration can be at most about 292y`},
		{"9223372036854775808ms", 0, `"9223372036854775808ms" is out of range: a duration can be at most about 292y`},
		{"99999999999999999999999999s", 0, `"99999999999999999999999999s" is out of range: a duration can be at most about 292y`},
		{"1s1m", 0, `"1s1m" is not a duration (use e.g. 30s, 5m, 1h)`},
		{"1.5s", 0, `"1.5s" is not a duration (use e.g. 30s, 5m, 1h)`},
		{"", 0, `"" is not a duration (use e.g. 30s, 5m, 1h)`},
		{"1µs", 0, `"1µs" is not a duration (use e.g. 30s, 5m, 1h)`},
	}
	for _, c := range cases {
		got, err := parseDuration(c.in)
		switch {
		case c.err == "" && (err != nil || got != c.want):
			t.Errorf("parseDuration(%q) = %v, %v; want %v", c.in, got, err, c.want)
		case c.err != "" && (err == nil || err.Error() != c.err):
			t.Errorf("parseDuration(%q) error = %v; want %q", c.in, err, c.err)
		}
	}
}

func TestDurationString(t *testing.T) {
	for d, want := range map[Duration]string{
		Duration(90 * time.Second):        "1m30s",
		Duration(24 * time.Hour):          "1d",
		Duration(0):                       "0s",
		Duration(time.Microsecond):        "1µs",
		Duration(1500 * time.Microsecond): "1.5ms",
	} {
		if got := d.String(); got != want {
			t.Errorf("%d: %q, want %q", int64(d), got, want)
		}
	}
}
