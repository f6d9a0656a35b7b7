package collector

import (
	"log/slog"
	"sort"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
)

// MaxUndocumentedValues is how many distinct undocumented values of one
// label a collector exports per target. Beyond it the least frequent ones
// fold into OtherValue, so an API that invents values cannot grow the
// number of series; workspace_label_values_folded says how many folded.
const MaxUndocumentedValues = 20

// OtherValue stands for the folded undocumented values.
const OtherValue = "other"

var labelValuesFoldedDesc = NewFamilyDesc(Namespace+"_label_values_folded",
	"Distinct undocumented values of a label folded into \"other\" in the latest data, because more than 20 undocumented values appeared for that label of the target.",
	prometheus.GaugeValue, "target", "collector", "label")

// labelFolder maps one label's raw values to exported ones: documented
// values and the MaxUndocumentedValues most frequent undocumented ones
// (ties broken by name, so the choice is stable) are kept, the rest
// become OtherValue.
type labelFolder struct {
	label  string
	kept   map[string]bool
	values []string // documented, then kept undocumented (sorted), then OtherValue if any folded
	folded int
	// examples are a few folded values, for the log.
	examples []string
}

// newLabelFolder decides from the raw values' counts.
func newLabelFolder(label string, documented []string, counts map[string]int) *labelFolder {
	f := &labelFolder{label: label, kept: make(map[string]bool, len(documented)+MaxUndocumentedValues)}
	for _, v := range documented {
		f.kept[v] = true
	}
	var extra []string
	for v := range counts {
		if !f.kept[v] {
			extra = append(extra, v)
		}
	}
	sort.Slice(extra, func(i, j int) bool {
		if counts[extra[i]] != counts[extra[j]] {
			return counts[extra[i]] > counts[extra[j]]
		}
		return extra[i] < extra[j]
	})
	if len(extra) > MaxUndocumentedValues {
		f.folded = len(extra) - MaxUndocumentedValues
		f.examples = append([]string(nil), extra[MaxUndocumentedValues:min(len(extra), MaxUndocumentedValues+5)]...)
		extra = extra[:MaxUndocumentedValues]
	}
	sort.Strings(extra)
	for _, v := range extra {
		f.kept[v] = true
	}
	f.values = append(append([]string(nil), documented...), extra...)
	if f.folded > 0 && !f.kept[OtherValue] {
		f.values = append(f.values, OtherValue)
	}
	return f
}

// value is the exported value of raw.
func (f *labelFolder) value(raw string) string {
	if f.kept[raw] {
		return raw
	}
	return OtherValue
}

// logFolded logs, once per refresh, each label whose values folded.
func logFolded(logger *slog.Logger, folders ...*labelFolder) {
	for _, f := range folders {
		if f.folded > 0 {
			logger.Warn("the API sent more undocumented values than are exported; the rest are counted as \"other\"",
				"label", f.label, "kept", MaxUndocumentedValues, "folded", f.folded, "examples", strings.Join(f.examples, ","))
		}
	}
}

// renderFolded adds workspace_label_values_folded for each folder.
func renderFolded(b *Builder, target, collector string, folders ...*labelFolder) {
	for _, f := range folders {
		b.Add(labelValuesFoldedDesc, float64(f.folded), target, collector, f.label)
	}
}
