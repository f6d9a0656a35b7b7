package config

import (
	"fmt"
	"time"

	"github.com/prometheus/common/model"
	"go.yaml.in/yaml/v3"
)

// Duration is a time.Duration written as in Prometheus ("30s", "5m", "1h").
type Duration time.Duration

// UnmarshalYAML reads a Prometheus duration, naming the line of a bad one.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	var s string
	if err := n.Decode(&s); err != nil {
		return fmt.Errorf("line %d: a duration must be a string such as 30s or 5m", n.Line)
	}
	md, err := model.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("line %d: %q is not a duration (use e.g. 30s, 5m, 1h)", n.Line, s)
	}
	*d = Duration(md)
	return nil
}

// MarshalYAML writes the Prometheus form.
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

// String formats the duration as Prometheus does.
func (d Duration) String() string { return model.Duration(d).String() }
