package collector

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Label values and numbers that exercise escaping, sorting and float
// formatting. " " and "!" sort below '"': sorting the rendered label block
// instead of the values would put "a b" before "a".
var (
	hardValues = []string{"", "a", "a b", "a!", "ab", "a\"b", `a\b`, "a\nb", `\`, `"`, "\n", "\t", "a\x00b", "ünïcödé", "日本語", "🙂", "z", "~", "A"}
	hardFloats = []float64{0, 1, -1, 1.5, -2.25, 1e21, 1e-7, 123456789, 0.1, math.Copysign(0, -1), math.NaN(), math.Inf(1), math.Inf(-1), math.MaxFloat64, math.SmallestNonzeroFloat64}
)

var (
	testFamA = NewFamilyDesc("test_a", "Help with a \\ backslash, a\nnewline and \"quotes\".", prometheus.GaugeValue, "zeta", "alpha", "mid")
	testFamB = NewFamilyDesc("test_b_total", "", prometheus.CounterValue)
	testFamC = NewFamilyDesc("test_c", "Untyped, one label: ünïcödé help.", prometheus.UntypedValue, "v")
	testFamD = NewFamilyDesc("test_0_first", "Sorts before the others.", prometheus.GaugeValue, "target")
)

// hardSamples covers every hard value in every label position.
func hardSamples() []sample {
	var ss []sample
	seen := map[[3]string]bool{}
	add := func(z, a, m string) {
		if !seen[[3]string{z, a, m}] {
			seen[[3]string{z, a, m}] = true
			ss = append(ss, sample{testFamA, hardFloats[len(ss)%len(hardFloats)], []string{z, a, m}})
		}
	}
	for zi, z := range hardValues {
		for ai, a := range hardValues {
			add(z, a, hardValues[(7*zi+ai)%len(hardValues)])
		}
		for _, m := range hardValues { // series differing in the last label only
			add(z, "a", m)
		}
	}
	ss = append(ss, sample{testFamB, 42, nil})
	for j, v := range hardValues {
		ss = append(ss, sample{testFamC, hardFloats[j%len(hardFloats)], []string{v}})
		ss = append(ss, sample{testFamD, float64(j), []string{v + "-target"}})
	}
	return ss
}

// firstDiff shows the first line where got and want differ.
func firstDiff(got, want []byte) string {
	g, w := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	for i := 0; i < max(len(g), len(w)); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return fmt.Sprintf("line %d:\n got  %q\n want %q", i+1, gl, wl)
		}
	}
	return "(same lines)"
}

func TestRenderMatchesClientGolang(t *testing.T) {
	ss := hardSamples()
	want := referenceText(t, constMetricsOf(ss))

	if got := Render(familiesOf(ss)).Text(); !bytes.Equal(got, want) {
		t.Fatalf("one builder differs from client_golang:\n%s", firstDiff(got, want))
	}

	// The same series from several sources, interleaved: round-robin and
	// in reverse, as targets × collectors would hand them over.
	for _, nparts := range []int{2, 3, 7} {
		builders := make([]*Builder, nparts)
		for i := range builders {
			builders[i] = NewBuilder()
		}
		for i, s := range ss {
			p := i % nparts
			if nparts == 7 {
				p = (len(ss) - i) % nparts
			}
			builders[p].Add(s.d, s.v, s.lv...)
		}
		parts := make([]Families, nparts)
		for i, b := range builders {
			parts[i] = b.Families()
		}
		e := Render(parts...)
		if got := e.Text(); !bytes.Equal(got, want) {
			t.Fatalf("%d parts differ from client_golang:\n%s", nparts, firstDiff(got, want))
		}
		if e.Series() != len(ss) || e.NumFamilies() != 4 || e.Dropped() != 0 {
			t.Errorf("%d parts: %d series, %d families, %d dropped; want %d, 4, 0", nparts, e.Series(), e.NumFamilies(), e.Dropped(), len(ss))
		}
	}
}

// TestCompareLines: the comparison of rendered lines is the comparison
// of their label values, in label-name order, as raw strings.
func TestCompareLines(t *testing.T) {
	var ss []sample
	for _, s := range hardSamples() {
		if s.d == testFamA {
			ss = append(ss, s)
		}
	}
	lines := make([][]byte, len(ss))
	for i, s := range ss {
		b := NewBuilder()
		b.Add(s.d, s.v, s.lv...)
		lines[i] = b.Families().fams[0].line(0)
	}
	// testFamA's labels are zeta, alpha, mid: sorted alpha, mid, zeta.
	tuple := func(s sample) []string { return []string{s.lv[1], s.lv[2], s.lv[0]} }
	for i := range ss {
		for j := range ss {
			want := slices.Compare(tuple(ss[i]), tuple(ss[j]))
			if got := testFamA.compareLines(lines[i], lines[j]); got != want {
				t.Fatalf("compare %q %q = %d, want %d", lines[i], lines[j], got, want)
			}
		}
	}
	// The sample value is not part of the comparison.
	b := NewBuilder()
	b.Add(testFamC, 1, "x")
	x1 := b.Families().fams[0].line(0)
	b.Add(testFamC, 1e21, "x")
	if x2 := b.Families().fams[0].line(0); testFamC.compareLines(x1, x2) != 0 || testFamC.compareLines(x2, x1) != 0 {
		t.Errorf("%q and %q differ", x1, x2)
	}
}

func TestRenderEmpty(t *testing.T) {
	e := Render()
	if len(e.Text()) != 0 || e.Series() != 0 || e.NumFamilies() != 0 {
		t.Errorf("empty render: %q", e.Text())
	}
	e = Render(Families{}, NewBuilder().Families())
	if len(e.Text()) != 0 {
		t.Errorf("render of empty families: %q", e.Text())
	}
	zr, err := gzip.NewReader(bytes.NewReader(e.Gzip()))
	if err != nil {
		t.Fatal(err)
	}
	if b, err := io.ReadAll(zr); err != nil || len(b) != 0 {
		t.Errorf("gzip of nothing: %q, %v", b, err)
	}
}

func TestDuplicateSeriesAreDroppedAndCounted(t *testing.T) {
	b := NewBuilder()
	b.Add(testFamC, 1, "x")
	b.Add(testFamC, 2, "y")
	b.Add(testFamC, 3, "x") // duplicate within one source: the first stays
	b.Add(testFamB, 1)
	b.Add(testFamB, 2) // a family without labels has one series
	first := b.Families()
	if first.Dropped() != 2 || first.Series() != 3 {
		t.Errorf("builder: %d dropped, %d series; want 2, 3", first.Dropped(), first.Series())
	}
	// Many duplicates, through the block sort and the merges: the first
	// added of each series stays.
	many := NewBuilder()
	for i := range 3000 {
		many.Add(testFamC, float64(i), fmt.Sprintf("%03d", (i*7)%1000))
	}
	mf := many.Families()
	if mf.Dropped() != 2000 || mf.Series() != 1000 {
		t.Errorf("many: %d dropped, %d series; want 2000, 1000", mf.Dropped(), mf.Series())
	}
	for i := range 1000 {
		// (i*7)%1000 == k first for i = k*143%1000 (7*143 = 1001).
		k := i
		want := fmt.Sprintf("test_c{v=\"%03d\"} %d\n", k, k*143%1000)
		if got := string(mf.fams[0].line(i)); got != want {
			t.Fatalf("many: line %d %q, want %q", i, got, want)
		}
	}

	b = NewBuilder()
	b.Add(testFamC, 9, "y") // duplicate of the first part's: dropped
	b.Add(testFamC, 4, "z")
	e := Render(first, b.Families())
	want := "# HELP test_b_total \n# TYPE test_b_total counter\ntest_b_total 1\n" +
		"# HELP test_c Untyped, one label: ünïcödé help.\n# TYPE test_c untyped\ntest_c{v=\"x\"} 1\ntest_c{v=\"y\"} 2\ntest_c{v=\"z\"} 4\n"
	if got := string(e.Text()); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if e.Dropped() != 3 || e.Series() != 4 {
		t.Errorf("render: %d dropped, %d series; want 3, 4", e.Dropped(), e.Series())
	}
	if p := strings.Join(e.Problems(), "\n"); !strings.Contains(p, `duplicate series dropped: test_c{v="y"} 9`) {
		t.Errorf("problems %q do not name the dropped series", p)
	}
}

func TestInconsistentFamilyIsDropped(t *testing.T) {
	other := NewFamilyDesc("test_c", "Another help.", prometheus.UntypedValue, "v")
	b1, b2 := NewBuilder(), NewBuilder()
	b1.Add(testFamC, 1, "x")
	b2.Add(other, 2, "y")
	b2.Add(testFamD, 3, "t")
	e := Render(b1.Families(), b2.Families())
	if e.Series() != 2 || e.Dropped() != 1 || !e.Has("test_0_first") || strings.Contains(string(e.Text()), "Another help") {
		t.Errorf("%d series, %d dropped:\n%s", e.Series(), e.Dropped(), e.Text())
	}
	if p := strings.Join(e.Problems(), "\n"); !strings.Contains(p, "test_c of part 1 differs") {
		t.Errorf("problems: %q", p)
	}
}

func TestBuilderMisuse(t *testing.T) {
	mustPanic := func(name string, f func()) {
		t.Helper()
		defer func() {
			if recover() == nil {
				t.Errorf("%s did not panic", name)
			}
		}()
		f()
	}
	mustPanic("too few label values", func() { NewBuilder().Add(testFamA, 1, "a") })
	mustPanic("too many label values", func() { NewBuilder().Add(testFamB, 1, "a") })
	mustPanic("two descs, one name", func() {
		b := NewBuilder()
		b.Add(testFamC, 1, "x")
		b.Add(NewFamilyDesc("test_c", "other", prometheus.GaugeValue, "v"), 1, "y")
	})
	mustPanic("invalid name", func() { NewFamilyDesc("test-x", "", prometheus.GaugeValue) })
	mustPanic("UTF-8 name", func() { NewFamilyDesc("tëst", "", prometheus.GaugeValue) })
	mustPanic("invalid label", func() { NewFamilyDesc("test_x", "", prometheus.GaugeValue, "a-b") })
	mustPanic("reserved label", func() { NewFamilyDesc("test_x", "", prometheus.GaugeValue, "__name__") })
	mustPanic("repeated label", func() { NewFamilyDesc("test_x", "", prometheus.GaugeValue, "a", "a") })
	mustPanic("unknown type", func() { NewFamilyDesc("test_x", "", prometheus.ValueType(99)) })

	// The same description twice (equal, not identical) is one family.
	b := NewBuilder()
	b.Add(testFamC, 1, "x")
	b.Add(NewFamilyDesc("test_c", testFamC.Help(), prometheus.UntypedValue, "v"), 2, "y")
	if fs := b.Families(); fs.Series() != 2 {
		t.Errorf("equal descriptions: %d series, want 2", fs.Series())
	}
	// A Builder is empty again after Families, and its zero value works.
	var zero Builder
	zero.Add(testFamC, 1, "x")
	if zero.Families().Series() != 1 || zero.Families().Series() != 0 {
		t.Error("Families does not hand over and empty the builder")
	}
}

func TestInvalidUTF8IsReplaced(t *testing.T) {
	bad := "a\xffb\xc3"
	d := NewFamilyDesc("test_utf8", "help \xfe", prometheus.GaugeValue, "v")
	b := NewBuilder()
	b.Add(d, 1, bad)
	got := Render(b.Families()).Text()
	want := "# HELP test_utf8 help \uFFFD\n# TYPE test_utf8 gauge\ntest_utf8{v=\"a\uFFFDb\uFFFD\"} 1\n"
	if string(got) != want || !utf8.Valid(got) {
		t.Errorf("got %q, want %q", got, want)
	}
	if want := referenceText(t, []prometheus.Metric{prometheus.MustNewConstMetric(
		prometheus.NewDesc("test_utf8", "help \uFFFD", []string{"v"}, nil), prometheus.GaugeValue, 1, strings.ToValidUTF8(bad, "\uFFFD"))}); !bytes.Equal(got, want) {
		t.Errorf("differs from client_golang with the replaced values:\n%s", firstDiff(got, want))
	}
}

// gunzipOne decodes data, which must be exactly one gzip member.
func gunzipOne(t testing.TB, data []byte) []byte {
	t.Helper()
	br := bytes.NewReader(data)
	zr, err := gzip.NewReader(br)
	if err != nil {
		t.Fatal(err)
	}
	zr.Multistream(false)
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("gzip: %v", err)
	}
	if br.Len() != 0 {
		t.Fatalf("%d bytes after the first gzip member", br.Len())
	}
	return out
}

func TestExpositionGzip(t *testing.T) {
	for _, n := range []int{1, 100, 7000} { // 7000 desktops: several parallel pieces
		e := Render(familiesOf(fleetSamples("t", n, 3)))
		if n == 7000 && len(e.Text()) < 3*gzipChunk {
			t.Fatalf("only %d bytes: not enough pieces to test", len(e.Text()))
		}
		gz := e.Gzip()
		if &e.Gzip()[0] != &gz[0] {
			t.Error("Gzip is computed again")
		}
		if got := gunzipOne(t, gz); !bytes.Equal(got, e.Text()) {
			t.Errorf("%d desktops: gzip decodes to %d bytes, want the %d of the text", n, len(got), len(e.Text()))
		}
	}
}

func TestCRC32Combine(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	data := make([]byte, 100000)
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	for _, cut := range []int{0, 1, 7, 4096, 65537, len(data) - 1, len(data)} {
		a, b := data[:cut], data[cut:]
		if got, want := crc32Combine(crc32.ChecksumIEEE(a), crc32.ChecksumIEEE(b), len(b)), crc32.ChecksumIEEE(data); got != want {
			t.Errorf("cut %d: %08x, want %08x", cut, got, want)
		}
	}
}

func TestExpositionIndex(t *testing.T) {
	ss := hardSamples()
	e := Render(familiesOf(ss))
	for _, name := range []string{"test_0_first", "test_a", "test_b_total", "test_c"} {
		if !e.Has(name) {
			t.Errorf("Has(%q) = false", name)
		}
	}
	if e.Has("test_b") || e.Has("zzz") || e.Has("") {
		t.Error("Has reports absent families")
	}
	if got := string(bytes.Join(e.family("test_b_total"), nil)); got != "# HELP test_b_total \n# TYPE test_b_total counter\ntest_b_total 42\n" {
		t.Errorf("family text %q", got)
	}
}

// parseText parses a text exposition as Prometheus' text parser does.
func parseText(t testing.TB, text []byte) map[string]*dto.MetricFamily {
	t.Helper()
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(bytes.NewReader(text))
	if err != nil {
		t.Fatalf("parsing the exposition: %v", err)
	}
	return mfs
}

// TestExpositionLint is what testutil.CollectAndLint did for the
// collectors: the rendered fleet (every family the desktops collector and
// the health metrics export), parsed back, has no lint problems.
func TestExpositionLint(t *testing.T) {
	e := Render(familiesOf(fleetSamples("a", 200, 1)), familiesOf(fleetSamples("b", 100, 2)))
	mfs := parseText(t, e.Text())
	if len(mfs) != e.NumFamilies() {
		t.Errorf("parsed %d families, rendered %d", len(mfs), e.NumFamilies())
	}
	series := 0
	list := make([]*dto.MetricFamily, 0, len(mfs))
	for _, mf := range mfs {
		series += len(mf.GetMetric())
		list = append(list, mf)
	}
	if series != e.Series() {
		t.Errorf("parsed %d series, rendered %d", series, e.Series())
	}
	problems, err := promlint.NewWithMetricFamilies(list).Lint()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint: %s: %s", p.Metric, p.Text)
	}
}

// FuzzRender: for any label values and help, the rendering is valid text
// that parses back to the same values, and equals client_golang's.
func FuzzRender(f *testing.F) {
	f.Add("a", "b", "help", 1.5)
	f.Add("a b", "a", "back\\slash\nnewline", math.Inf(1))
	f.Add("\"", "\\", "", math.NaN())
	f.Add("\xff", "\xfe", "\xc3", math.Copysign(0, -1))
	f.Add("", "", "ünïcödé", 1e21)
	f.Fuzz(func(t *testing.T, v1, v2, help string, value float64) {
		d := NewFamilyDesc("fuzz_metric", help, prometheus.GaugeValue, "b", "a")
		b1, b2 := NewBuilder(), NewBuilder()
		b1.Add(d, value, v1, v2)
		b1.Add(d, 2, v2, v1)
		b2.Add(d, 3, v1+v2, "x")
		b2.Add(d, 4, v2, v1) // duplicate of b1's second unless v1 == v2
		e := Render(b1.Families(), b2.Families())

		valid := func(s string) string { return strings.ToValidUTF8(s, "\uFFFD") }
		s1, s2, s12, sh := valid(v1), valid(v2), valid(v1+v2), valid(help)
		type key struct{ a, b string }
		wantValues := map[key]float64{}
		var ms []prometheus.Metric
		pd := prometheus.NewDesc("fuzz_metric", sh, []string{"b", "a"}, nil)
		for _, s := range []struct {
			b, a string
			v    float64
		}{{s1, s2, value}, {s2, s1, 2}, {s12, "x", 3}, {s2, s1, 4}} {
			if _, dup := wantValues[key{a: s.a, b: s.b}]; dup {
				continue
			}
			wantValues[key{a: s.a, b: s.b}] = s.v
			ms = append(ms, prometheus.MustNewConstMetric(pd, prometheus.GaugeValue, s.v, s.b, s.a))
		}
		if e.Series() != len(ms) || e.Dropped() != 4-len(ms) {
			t.Fatalf("%d series, %d dropped; want %d, %d", e.Series(), e.Dropped(), len(ms), 4-len(ms))
		}
		if want := referenceText(t, ms); !bytes.Equal(e.Text(), want) {
			t.Fatalf("differs from client_golang:\n%s", firstDiff(e.Text(), want))
		}
		if strings.ContainsRune(s12, 0) {
			return // the text parser refuses NUL; client_golang writes it too
		}
		mfs := parseText(t, e.Text())
		mf := mfs["fuzz_metric"]
		// The parser drops the blanks that start the help text.
		if mf.GetHelp() != strings.TrimLeft(sh, " \t") || len(mf.GetMetric()) != len(ms) {
			t.Fatalf("parsed help %q and %d series", mf.GetHelp(), len(mf.GetMetric()))
		}
		for _, m := range mf.GetMetric() {
			var k key
			for _, l := range m.GetLabel() {
				if l.GetName() == "a" {
					k.a = l.GetValue()
				} else {
					k.b = l.GetValue()
				}
			}
			want, ok := wantValues[k]
			got := m.GetUntyped().GetValue() + m.GetGauge().GetValue()
			if !ok || !(got == want || math.IsNaN(got) && math.IsNaN(want)) {
				t.Errorf("parsed series %v = %v, want %v (known: %v)", k, got, want, ok)
			}
		}
		if got := gunzipOne(t, e.Gzip()); !bytes.Equal(got, e.Text()) {
			t.Error("gzip does not decode to the text")
		}
	})
}
