package config

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/prometheus/common/model"
	"go.yaml.in/yaml/v3"
)

// Duration is a time.Duration written as in Prometheus ("30s", "5m", "1h").
type Duration time.Duration

// UnmarshalYAML reads a Prometheus duration, naming the line of a bad one.
// A duration longer than time.Duration can hold (about 292 years) is an
// error of its own, not a wrapped-around value.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	var s string
	if n.Kind != yaml.ScalarNode || n.Decode(&s) != nil {
		return fmt.Errorf("line %d: a duration must be a string such as 30s or 5m", n.Line)
	}
	v, err := parseDuration(s)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML writes the Prometheus form.
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

// String formats the duration as Prometheus does ("1d", "1m30s"), or as
// Go does when it is not a whole number of milliseconds (set in code).
func (d Duration) String() string {
	if time.Duration(d)%time.Millisecond != 0 {
		return time.Duration(d).String()
	}
	return model.Duration(d).String()
}

// durationSyntax is the shape of a Prometheus duration, units in any order.
var durationSyntax = regexp.MustCompile(`^(?:[0-9]+(?:ms|s|m|h|d|w|y))+$`)

var durationUnits = map[string]float64{
	"ms": float64(time.Millisecond), "s": float64(time.Second), "m": float64(time.Minute),
	"h": float64(time.Hour), "d": float64(24 * time.Hour), "w": float64(7 * 24 * time.Hour),
	"y": float64(365 * 24 * time.Hour),
}

var durationPart = regexp.MustCompile(`([0-9]+)(ms|s|m|h|d|w|y)`)

// parseDuration is model.ParseDuration with errors that tell a value too
// large for time.Duration apart from one that is not a duration.
func parseDuration(s string) (time.Duration, error) {
	md, err := model.ParseDuration(s)
	if err == nil {
		return time.Duration(md), nil
	}
	if durationSyntax.MatchString(s) {
		// Well-formed: either out of range or units out of order. Add the
		// parts up in floating point, which cannot overflow.
		total := 0.0
		for _, m := range durationPart.FindAllStringSubmatch(s, -1) {
			v, _ := strconv.ParseFloat(m[1], 64)
			total += v * durationUnits[m[2]]
		}
		if total > math.MaxInt64 {
			return 0, fmt.Errorf("%q is out of range: a duration can be at most about 292y", truncate(s))
		}
	}
	return 0, fmt.Errorf("%q is not a duration (use e.g. 30s, 5m, 1h)", truncate(s))
}

// truncate shortens a value quoted in a message to 64 runes.
func truncate(s string) string { return clip(s, 64) }

// clip shortens s to n runes, marking the cut with "…".
func clip(s string, n int) string {
	if len(s) <= n || utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}
