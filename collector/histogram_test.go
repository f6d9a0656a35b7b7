package collector

import (
	"bytes"
	"math"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

var testHistBounds = []float64{0.005, 0.1, 1, 2.5, 10}

// TestHistogramMatchesClientGolang: histogram series render byte for
// byte as client_golang renders const histograms, sorted by their labels
// across parts, with and without labels, and parse back through Collect.
func TestHistogramMatchesClientGolang(t *testing.T) {
	labelled := NewHistogramDesc("test_lat_seconds", "A histogram.", testHistBounds, "target", "a")
	bare := NewHistogramDesc("test_bare_seconds", "No labels.", testHistBounds)
	type hs struct {
		counts []uint64
		count  uint64
		sum    float64
		lv     []string
	}
	series := []hs{
		{[]uint64{0, 1, 2, 2, 3}, 4, 12.5, []string{"t2", "x"}},
		{[]uint64{1, 1, 1, 1, 1}, 1, 0.001, []string{"t1", "a\"b"}},
		{[]uint64{0, 0, 0, 0, 0}, 0, 0, []string{"t1", ""}},
		{[]uint64{5, 6, 7, 8, 9}, 10, math.Inf(1), []string{"t1", "z"}},
	}
	var ms []prometheus.Metric
	parts := []*Builder{NewBuilder(), NewBuilder()}
	for i, s := range series {
		parts[i%2].AddHistogram(labelled, s.counts, s.count, s.sum, s.lv...)
		b := map[float64]uint64{}
		for j, ub := range testHistBounds {
			b[ub] = s.counts[j]
		}
		ms = append(ms, prometheus.MustNewConstHistogram(prometheus.NewDesc("test_lat_seconds", "A histogram.", []string{"target", "a"}, nil), s.count, s.sum, b, s.lv...))
	}
	parts[0].AddHistogram(bare, []uint64{1, 2, 3, 4, 5}, 6, 7.25)
	ms = append(ms, prometheus.MustNewConstHistogram(prometheus.NewDesc("test_bare_seconds", "No labels.", nil, nil), 6, 7.25,
		map[float64]uint64{0.005: 1, 0.1: 2, 1: 3, 2.5: 4, 10: 5}))
	// A gauge beside them.
	parts[1].Add(testFamD, 3, "t1")
	ms = append(ms, prometheus.MustNewConstMetric(prometheus.NewDesc("test_0_first", "Sorts before the others.", []string{"target"}, nil), prometheus.GaugeValue, 3, "t1"))

	want := referenceText(t, ms)
	e := Render(parts[0].Families(), parts[1].Families())
	if got := e.Text(); !bytes.Equal(got, want) {
		t.Fatalf("histograms differ from client_golang:\n%s\n--- got\n%s", firstDiff(got, want), got)
	}
	if e.Series() != 6 || e.Dropped() != 0 {
		t.Errorf("%d series, %d dropped; want 6, 0", e.Series(), e.Dropped())
	}
	problems, err := testutil.CollectAndLint(textCollector(e.Text()))
	if err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %v", err, problems)
	}
	// Collect parses it back into the same text.
	if got := referenceText(t, collectAll(e.Text())); !bytes.Equal(got, want) {
		t.Errorf("Collect does not round-trip histograms:\n%s", firstDiff(got, want))
	}

	// A duplicate histogram series is dropped as one series.
	b := NewBuilder()
	b.AddHistogram(labelled, []uint64{0, 0, 0, 0, 0}, 1, 1, "t", "a")
	b.AddHistogram(labelled, []uint64{1, 1, 1, 1, 1}, 1, 1, "t", "a")
	fs := b.Families()
	if fs.Series() != 1 || fs.Dropped() != 1 {
		t.Errorf("duplicate histogram: %d series, %d dropped; want 1, 1", fs.Series(), fs.Dropped())
	}
}

func TestHistogramMisuse(t *testing.T) {
	h := NewHistogramDesc("test_m_seconds", "", []float64{1, 2}, "target")
	for name, f := range map[string]func(){
		"Add on a histogram":      func() { NewBuilder().Add(h, 1, "t") },
		"AddHistogram on a gauge": func() { NewBuilder().AddHistogram(testFamD, []uint64{0, 0}, 0, 0, "t") },
		"wrong number of counts":  func() { NewBuilder().AddHistogram(h, []uint64{0}, 0, 0, "t") },
		"counts not cumulative":   func() { NewBuilder().AddHistogram(h, []uint64{2, 1}, 2, 0, "t") },
		"bucket above count":      func() { NewBuilder().AddHistogram(h, []uint64{0, 3}, 2, 0, "t") },
		"wrong label values":      func() { NewBuilder().AddHistogram(h, []uint64{0, 0}, 0, 0) },
		"bounds not increasing":   func() { NewHistogramDesc("x_seconds", "", []float64{2, 1}) },
		"infinite bound":          func() { NewHistogramDesc("x_seconds", "", []float64{math.Inf(1)}) },
		"le label":                func() { NewHistogramDesc("x_seconds", "", []float64{1}, "le") },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
	if !strings.Contains(string(h.header), "# TYPE test_m_seconds histogram\n") {
		t.Errorf("header %q", h.header)
	}
}

// textCollector is a prometheus.Collector of a text exposition, through
// the Manager's parse-back.
type textCollector []byte

func (textCollector) Describe(chan<- *prometheus.Desc)      {}
func (c textCollector) Collect(ch chan<- prometheus.Metric) { collectText(ch, c) }

// collectAll parses a text exposition back into metrics.
func collectAll(text []byte) []prometheus.Metric {
	ch := make(chan prometheus.Metric, 1024)
	go func() { collectText(ch, text); close(ch) }()
	var ms []prometheus.Metric
	for m := range ch {
		ms = append(ms, m)
	}
	return ms
}
