package collector

// Pre-encoded expositions.
//
// A scrape of a large fleet must not gather and text-encode hundreds of
// thousands of const metrics every time: the data only changes when a
// background refresh publishes. So each refresh renders its series once,
// into text lines, with a Builder (one Families per snapshot); the Manager
// merges the Families of every target and collector with Render into one
// Exposition, the whole text of those families, and publishes it; the
// /metrics handler (handler.go) writes that text, shared by every scrape,
// after the few live self-metrics it gathers per scrape.
//
// The text is byte for byte what client_golang's registry and expfmt's text
// encoder produce for the same series: families sorted by name, one HELP
// and TYPE line each, label pairs sorted by label name, series sorted by
// their label values (compared value by value, in label-name order, as raw
// strings, which is how the registry sorts them), label values and help
// escaped and numbers formatted as expfmt does. exposition_test.go checks
// this against client_golang.

import (
	"bytes"
	"compress/flate"
	"container/heap"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"math"
	"math/bits"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/model"
)

// FamilyDesc describes a metric family of pre-encoded series: its name,
// help, type and label names. It is immutable; create it once (a package
// variable) with NewFamilyDesc.
type FamilyDesc struct {
	name, help string
	typ        prometheus.ValueType
	labelNames []string // the order of Add's label values
	// order lists the indexes of labelNames sorted by name: the order
	// in which label pairs are written.
	order []int
	// seps[k] precedes the k-th label value written: `name{l0="` for
	// k == 0, `",lk="` after that.
	seps [][]byte
	// header is "# HELP name help\n# TYPE name type\n".
	header []byte
	// les are the rendered `le="…"` pairs of a histogram's buckets, +Inf
	// last; nil for other types. A histogram series is one block of
	// lines (buckets, _sum, _count) that sorts by its first line.
	les [][]byte
	// sumSeps and countSeps are seps for the _sum and _count lines.
	sumSeps, countSeps [][]byte
}

// NewFamilyDesc returns the description of a family. typ is
// prometheus.GaugeValue, CounterValue or UntypedValue. It panics when the
// name is not a valid (legacy) metric name, a label name is invalid,
// reserved ("__" prefix) or repeated, or the type is unknown: those are
// programming errors. Help that is not valid UTF-8 has its invalid bytes
// replaced with U+FFFD.
func NewFamilyDesc(name, help string, typ prometheus.ValueType, labelNames ...string) *FamilyDesc {
	if !model.LegacyValidation.IsValidMetricName(name) {
		panic(fmt.Sprintf("collector: invalid metric name %q", name))
	}
	var typeName string
	switch typ {
	case prometheus.GaugeValue:
		typeName = "gauge"
	case prometheus.CounterValue:
		typeName = "counter"
	case prometheus.UntypedValue:
		typeName = "untyped"
	default:
		panic(fmt.Sprintf("collector: metric %s: unsupported type %v", name, typ))
	}
	seen := map[string]bool{}
	for _, l := range labelNames {
		if !model.LegacyValidation.IsValidLabelName(l) || strings.HasPrefix(l, "__") {
			panic(fmt.Sprintf("collector: metric %s: invalid label name %q", name, l))
		}
		if seen[l] {
			panic(fmt.Sprintf("collector: metric %s: label %q repeated", name, l))
		}
		seen[l] = true
	}
	help = validUTF8(help)
	d := &FamilyDesc{name: name, help: help, typ: typ, labelNames: slices.Clone(labelNames)}
	d.order = make([]int, len(labelNames))
	for i := range d.order {
		d.order[i] = i
	}
	sort.Slice(d.order, func(i, j int) bool { return labelNames[d.order[i]] < labelNames[d.order[j]] })
	for k, i := range d.order {
		var sep []byte
		if k == 0 {
			sep = append([]byte(name), '{')
		} else {
			sep = []byte(`",`)
		}
		d.seps = append(d.seps, append(append(sep, labelNames[i]...), `="`...))
	}
	h := append([]byte("# HELP "), name...)
	h = append(h, ' ')
	h = appendEscaped(h, help, false)
	h = append(h, "\n# TYPE "...)
	h = append(h, name...)
	d.header = append(append(append(h, ' '), typeName...), '\n')
	return d
}

// Name returns the family's name.
func (d *FamilyDesc) Name() string { return d.name }

// Help returns the family's help text.
func (d *FamilyDesc) Help() string { return d.help }

// Type returns the family's type.
func (d *FamilyDesc) Type() prometheus.ValueType { return d.typ }

// LabelNames returns the label names, in the order Builder.Add takes
// their values.
func (d *FamilyDesc) LabelNames() []string { return slices.Clone(d.labelNames) }

// sameAs reports whether d and o describe the same family.
func (d *FamilyDesc) sameAs(o *FamilyDesc) bool {
	return d == o || d.name == o.name && d.help == o.help && d.typ == o.typ && slices.Equal(d.labelNames, o.labelNames) &&
		bytes.Equal(d.header, o.header) && slices.EqualFunc(d.les, o.les, bytes.Equal)
}

// compareLines compares two series lines of family d by their label
// values, taken in label-name order and compared as raw (unescaped)
// strings: the order of client_golang's registry. 0 means the same
// series (the sample values may differ).
//
// Both lines have the same structure up to their first differing byte, so
// that byte decides: it lies in the same label value of both (or in the
// sample value: same series). There, the end of a value (an unescaped
// quote) sorts first, and an escape sequence stands for the byte it
// escapes.
func (d *FamilyDesc) compareLines(a, b []byte) int {
	if len(d.seps) == 0 {
		return 0
	}
	if d.les != nil { // a histogram's block sorts by its first line
		a, b = firstLine(a), firstLine(b)
	}
	// Lines of one family start alike, up to the first label value.
	p := len(d.seps[0])
	p += commonPrefix(a[p:], b[p:])
	// The sample value holds no '}': the last one closes the labels.
	if p >= len(a) || p >= len(b) || p > bytes.LastIndexByte(a, '}') {
		return 0
	}
	escaped := false // p is the second byte of an escape sequence
	for q := p - 1; q >= 0 && a[q] == '\\'; q-- {
		escaped = !escaped
	}
	ca, cb := valueByte(a, p, escaped), valueByte(b, p, escaped)
	if ca < cb {
		return -1
	}
	return 1 // ca == cb cannot be: the bytes at p differ
}

// firstLine returns b up to and including its first newline.
func firstLine(b []byte) []byte {
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		return b[:i+1]
	}
	return b
}

// valueByte is the unescaped byte that line[p] starts, -1 at the end of
// the value.
func valueByte(line []byte, p int, escaped bool) int {
	c := line[p]
	switch {
	case escaped:
	case c == '"':
		return -1
	case c == '\\':
		c = line[p+1]
	default:
		return int(c)
	}
	if c == 'n' {
		return '\n'
	}
	return int(c)
}

// commonPrefix returns the length of the common prefix of a and b.
func commonPrefix(a, b []byte) int {
	n := min(len(a), len(b))
	i := 0
	for ; i+8 <= n; i += 8 {
		if x := binary.LittleEndian.Uint64(a[i:]) ^ binary.LittleEndian.Uint64(b[i:]); x != 0 {
			return i + bits.TrailingZeros64(x)/8
		}
	}
	for i < n && a[i] == b[i] {
		i++
	}
	return i
}

// NewHistogramDesc returns the description of a histogram family whose
// buckets have the upper bounds buckets (finite, strictly increasing; the
// +Inf bucket is added). Series are added with Builder.AddHistogram and
// rendered as client_golang renders a const histogram: the buckets, _sum
// and _count, le after the other labels. It panics as NewFamilyDesc does,
// and for bounds that are not finite and increasing.
func NewHistogramDesc(name, help string, buckets []float64, labelNames ...string) *FamilyDesc {
	for i, ub := range buckets {
		if math.IsNaN(ub) || math.IsInf(ub, 0) || i > 0 && ub <= buckets[i-1] {
			panic(fmt.Sprintf("collector: histogram %s: bucket bounds must be finite and increasing, got %v", name, buckets))
		}
	}
	if slices.Contains(labelNames, "le") {
		panic(fmt.Sprintf("collector: histogram %s: label le is reserved", name))
	}
	d := NewFamilyDesc(name, help, prometheus.GaugeValue, labelNames...)
	d.typ = prometheus.UntypedValue // no ValueType for histograms; sameAs still tells them apart by header
	d.header = bytes.Replace(d.header, []byte(" gauge\n"), []byte(" histogram\n"), 1)
	rename := func(suffix string) [][]byte {
		out := slices.Clone(d.seps)
		if len(out) > 0 {
			out[0] = append([]byte(name+suffix), out[0][len(name):]...)
		}
		return out
	}
	d.sumSeps, d.countSeps = rename("_sum"), rename("_count")
	d.seps = rename("_bucket")
	for _, ub := range append(slices.Clone(buckets), math.Inf(+1)) {
		le := []byte(`le="`)
		if len(labelNames) > 0 {
			le = []byte(`",le="`)
		}
		le = appendFloat(le, ub)
		d.les = append(d.les, append(le, `"} `...))
	}
	return d
}

// Builder renders series into Families. Add each series once; then
// Families returns them sorted. A Builder is not safe for concurrent use.
type Builder struct {
	fams     map[string]*famBuild
	lastDesc *FamilyDesc
	last     *famBuild
}

// famBuild collects the lines of one family in chunks, so that a large
// family is not copied over and over as it grows.
type famBuild struct {
	desc   *FamilyDesc
	chunks [][]byte
	spans  []span
	size   int // bytes in all lines
}

// span locates a line: chunks[chunk][start:end].
type span struct{ chunk, start, end int32 }

// builderChunk is the size of the chunks lines are rendered into.
const builderChunk = 1 << 20

// NewBuilder returns an empty Builder.
func NewBuilder() *Builder { return &Builder{fams: map[string]*famBuild{}} }

// Add renders one series of family d: its label values in the order of
// d's label names. It panics when the number of values differs from the
// number of label names (a programming error, as with
// prometheus.MustNewConstMetric) or when another FamilyDesc with the same
// name but a different help, type or label names was added before. In
// label values that are not valid UTF-8, each run of invalid bytes is
// replaced with U+FFFD. A series added twice (same label values) is kept
// once, the first one, and counted by Families.Dropped.
func (b *Builder) Add(d *FamilyDesc, value float64, labelValues ...string) {
	if len(labelValues) != len(d.labelNames) {
		panic(fmt.Sprintf("collector: metric %s: %d label values for %d label names %q", d.name, len(labelValues), len(d.labelNames), d.labelNames))
	}
	if d.les != nil {
		panic(fmt.Sprintf("collector: metric %s is a histogram: use AddHistogram", d.name))
	}
	f := b.family(d)
	// The line's length at most (escaping doubles a value, U+FFFD for an
	// invalid byte triples it, a number takes at most 24 bytes), so that
	// the line fits in the chunk. Were it longer, append would grow the
	// chunk: slower, still correct.
	bound := len(d.name) + 32
	for k, v := range labelValues {
		bound += len(d.seps[k]) + 3*len(v)
	}
	n := len(f.chunks)
	if n == 0 || cap(f.chunks[n-1])-len(f.chunks[n-1]) < bound {
		f.chunks = append(f.chunks, make([]byte, 0, max(builderChunk, bound)))
		n++
	}
	buf := f.chunks[n-1]
	start := len(buf)
	if len(d.seps) == 0 {
		buf = append(buf, d.name...)
	}
	for k, i := range d.order {
		buf = append(buf, d.seps[k]...)
		buf = appendEscaped(buf, validUTF8(labelValues[i]), true)
	}
	if len(d.seps) > 0 {
		buf = append(buf, '"', '}')
	}
	buf = append(buf, ' ')
	buf = appendFloat(buf, value)
	f.chunks[n-1] = append(buf, '\n')
	f.spans = append(f.spans, span{int32(n - 1), int32(start), int32(len(f.chunks[n-1]))})
	f.size += len(f.chunks[n-1]) - start
}

// family returns the family being built for d.
func (b *Builder) family(d *FamilyDesc) *famBuild {
	if d == b.lastDesc {
		return b.last
	}
	if b.fams == nil {
		b.fams = map[string]*famBuild{}
	}
	f := b.fams[d.name]
	if f == nil {
		f = &famBuild{desc: d}
		b.fams[d.name] = f
	} else if !f.desc.sameAs(d) {
		panic(fmt.Sprintf("collector: metric %s added with two different descriptions", d.name))
	}
	b.lastDesc, b.last = d, f
	return f
}

// addBlock adds a rendered series (one or more whole lines).
func (b *Builder) addBlock(d *FamilyDesc, block []byte) {
	f := b.family(d)
	n := len(f.chunks)
	if n == 0 || cap(f.chunks[n-1])-len(f.chunks[n-1]) < len(block) {
		f.chunks = append(f.chunks, make([]byte, 0, max(builderChunk, len(block))))
		n++
	}
	start := len(f.chunks[n-1])
	f.chunks[n-1] = append(f.chunks[n-1], block...)
	f.spans = append(f.spans, span{int32(n - 1), int32(start), int32(len(f.chunks[n-1]))})
	f.size += len(block)
}

// AddHistogram renders one series of histogram family d (made by
// NewHistogramDesc): counts[i] observations at most the i-th bound
// (cumulative, as Prometheus buckets are; one count per finite bound),
// count observations in all, their sum. It panics on a family that is not
// a histogram or a wrong number of counts or label values; counts that
// decrease or exceed count are a programming error too.
func (b *Builder) AddHistogram(d *FamilyDesc, counts []uint64, count uint64, sum float64, labelValues ...string) {
	if d.les == nil || len(counts) != len(d.les)-1 {
		panic(fmt.Sprintf("collector: metric %s: AddHistogram on a non-histogram or with %d bucket counts", d.name, len(counts)))
	}
	if len(labelValues) != len(d.labelNames) {
		panic(fmt.Sprintf("collector: metric %s: %d label values for %d label names %q", d.name, len(labelValues), len(d.labelNames), d.labelNames))
	}
	for i, c := range counts {
		if c > count || i > 0 && c < counts[i-1] {
			panic(fmt.Sprintf("collector: histogram %s: bucket counts %v are not cumulative up to %d", d.name, counts, count))
		}
	}
	// Render the block with Add's machinery: one "line" that holds every
	// line of the series.
	var labels []byte
	for k, i := range d.order {
		if k > 0 {
			labels = append(labels, d.seps[k]...)
		}
		labels = appendEscaped(labels, validUTF8(labelValues[i]), true)
	}
	block := make([]byte, 0, (len(d.les)+2)*(len(d.name)+len(labels)+40))
	line := func(first []byte, le []byte, v float64) {
		if len(d.labelNames) > 0 {
			block = append(block, first...)
			block = append(block, labels...)
			if le == nil {
				block = append(block, '"', '}', ' ')
			}
		} else {
			block = append(block, first...)
			if le != nil {
				block = append(block, '{')
			} else {
				block = append(block, ' ')
			}
		}
		block = append(block, le...)
		block = appendFloat(block, v)
		block = append(block, '\n')
	}
	bucketName := []byte(d.name + "_bucket")
	first := bucketName
	if len(d.labelNames) > 0 {
		first = d.seps[0]
	}
	for i, le := range d.les {
		c := count
		if i < len(counts) {
			c = counts[i]
		}
		line(first, le, float64(c))
	}
	if len(d.labelNames) > 0 {
		line(d.sumSeps[0], nil, sum)
		line(d.countSeps[0], nil, float64(count))
	} else {
		line([]byte(d.name+"_sum"), nil, sum)
		line([]byte(d.name+"_count"), nil, float64(count))
	}
	b.addBlock(d, block)
}

// Families returns the series added so far, each family's series sorted,
// and empties the Builder.
func (b *Builder) Families() Families {
	var out Families
	for _, fb := range b.fams {
		out.fams = append(out.fams, fb.finish(&out))
	}
	slices.SortFunc(out.fams, func(x, y *family) int { return strings.Compare(x.desc.name, y.desc.name) })
	b.fams, b.lastDesc, b.last = nil, nil, nil
	return out
}

// finish sorts the series of one family into one buffer and drops
// duplicates, keeping the first added.
func (fb *famBuild) finish(out *Families) *family {
	d, spans := fb.desc, fb.spans
	line := func(s span) []byte { return fb.chunks[s.chunk][s.start:s.end] }
	f := &family{desc: d, lines: make([]byte, 0, fb.size), ends: make([]int, 0, len(spans))}
	sorted := true
	for i := 1; i < len(spans) && sorted; i++ {
		sorted = d.compareLines(line(spans[i-1]), line(spans[i])) < 0
	}
	if sorted {
		for _, s := range spans {
			f.lines = append(f.lines, line(s)...)
			f.ends = append(f.ends, len(f.lines))
		}
		return f
	}
	// Sorted runs of sortBlock lines (the lines of a block lie together in
	// memory), then merged pairwise, moving the lines: sorting the spans
	// of lines spread over the chunks would wait on memory at every
	// comparison. Stable, so the first added of equal series comes first.
	const sortBlock = 256
	for b := 0; b < len(spans); b += sortBlock {
		block := spans[b:min(b+sortBlock, len(spans))]
		slices.SortFunc(block, func(x, y span) int {
			if c := d.compareLines(line(x), line(y)); c != 0 {
				return c
			}
			if x.chunk != y.chunk { // the order they were added in
				return int(x.chunk - y.chunk)
			}
			return int(x.start - y.start)
		})
		for _, s := range block {
			f.lines = append(f.lines, line(s)...)
			f.ends = append(f.ends, len(f.lines))
		}
	}
	fb.chunks, fb.spans = nil, nil
	src, dst := f, &family{desc: d, lines: make([]byte, 0, cap(f.lines)), ends: make([]int, 0, len(f.ends))}
	for width := sortBlock; width < len(src.ends); width *= 2 {
		dst.lines, dst.ends = dst.lines[:0], dst.ends[:0]
		for lo := 0; lo < len(src.ends); lo += 2 * width {
			i, mid := lo, min(lo+width, len(src.ends))
			j, hi := mid, min(lo+2*width, len(src.ends))
			for i < mid || j < hi {
				var l []byte
				if j == hi || i < mid && d.compareLines(src.line(i), src.line(j)) <= 0 {
					l, i = src.line(i), i+1
				} else {
					l, j = src.line(j), j+1
				}
				dst.lines = append(dst.lines, l...)
				dst.ends = append(dst.ends, len(dst.lines))
			}
		}
		src, dst = dst, src
	}
	// Drop duplicates, compacting in place.
	f = src
	start, n, w, kept := 0, 0, 0, 0 // kept: start of the last line kept
	for _, end := range f.ends {
		l := f.lines[start:end]
		start = end
		if n > 0 && d.compareLines(f.lines[kept:w], l) == 0 {
			out.drop(1, "duplicate series dropped: %s", bytes.TrimSuffix(l, []byte{'\n'}))
			continue
		}
		kept = w
		w += copy(f.lines[w:], l)
		f.ends[n] = w
		n++
	}
	f.lines, f.ends = f.lines[:w], f.ends[:n]
	return f
}

// Families are rendered series of several metric families, each family's
// series sorted: what one snapshot (or the health metrics of the targets)
// contributes to the exposition. Families are immutable; the zero value
// holds nothing.
type Families struct {
	fams     []*family // sorted by name
	dropped  int
	problems []string
}

type family struct {
	desc  *FamilyDesc
	lines []byte // the series lines, sorted
	ends  []int  // ends[i] is the end of line i in lines
}

func (f *family) line(i int) []byte {
	start := 0
	if i > 0 {
		start = f.ends[i-1]
	}
	return f.lines[start:f.ends[i]]
}

// Series returns the number of series.
func (fs Families) Series() int {
	n := 0
	for _, f := range fs.fams {
		n += len(f.ends)
	}
	return n
}

// Dropped returns the number of series dropped as duplicates.
func (fs Families) Dropped() int { return fs.dropped }

// maxProblems bounds the problem descriptions kept.
const maxProblems = 10

func (fs *Families) drop(n int, format string, args ...any) {
	fs.dropped += n
	if len(fs.problems) < maxProblems {
		fs.problems = append(fs.problems, fmt.Sprintf(format, args...))
	}
}

// Exposition is the text exposition of a set of Families, and lazily its
// gzip form. It is immutable and shared by every scrape that serves it.
type Exposition struct {
	// segs are the text in pieces: each family's HELP/TYPE header and its
	// series. A family from a single part shares that part's bytes (no
	// copy: the exposition and the collectors' rendered families hold the
	// text once); merged families have their own.
	segs     [][]byte
	size     int
	index    []familySpan // sorted by name
	series   int
	dropped  int
	problems []string

	gzOnce sync.Once
	gz     []byte // a complete gzip member of text
}

// familySpan locates a family (HELP, TYPE and series): segs[start:end].
type familySpan struct {
	name       string
	start, end int
}

// Render merges parts (any number of targets × collectors, plus the
// health metrics) into one exposition: families sorted by name, one HELP
// and TYPE line per family, the series of all parts sorted together.
//
// Bugs in the parts do not make the exposition invalid; they are dropped
// and counted (Dropped) and described (Problems): a series present in two
// parts is kept from the first part only; a family whose help, type or
// label names differ from those of an earlier part with the same family
// name is dropped from the later part.
func Render(parts ...Families) *Exposition {
	var out Families
	groups := map[string][]*family{}
	var names []string
	size := 0
	for p, part := range parts {
		out.dropped += part.dropped
		for _, msg := range part.problems {
			if len(out.problems) < maxProblems {
				out.problems = append(out.problems, msg)
			}
		}
		for _, f := range part.fams {
			g := groups[f.desc.name]
			if g == nil {
				names = append(names, f.desc.name)
				size += len(f.desc.header)
			} else if !g[0].desc.sameAs(f.desc) {
				out.drop(len(f.ends), "family %s of part %d differs from an earlier one in help, type or label names: its %d series dropped", f.desc.name, p, len(f.ends))
				continue
			}
			groups[f.desc.name] = append(g, f)
			size += len(f.lines)
		}
	}
	sort.Strings(names)
	e := &Exposition{segs: make([][]byte, 0, 2*len(names)), index: make([]familySpan, 0, len(names))}
	for _, name := range names {
		g := groups[name]
		start := len(e.segs)
		e.segs = append(e.segs, g[0].desc.header)
		if len(g) == 1 {
			if len(g[0].lines) > 0 {
				e.segs = append(e.segs, g[0].lines)
			}
			e.series += len(g[0].ends)
		} else {
			e.mergeSeries(g, &out)
		}
		e.index = append(e.index, familySpan{name, start, len(e.segs)})
	}
	for _, seg := range e.segs {
		e.size += len(seg)
	}
	e.dropped, e.problems = out.dropped, out.problems
	return e
}

// mergeSeries appends the series of several parts' copies of one family
// in sorted order, dropping the duplicates of later parts.
func (e *Exposition) mergeSeries(g []*family, out *Families) {
	d := g[0].desc
	h := &mergeHeap{d: d}
	for p, f := range g {
		if len(f.ends) > 0 {
			h.cs = append(h.cs, &mergeCursor{f: f, part: p, line: f.line(0)})
		}
	}
	heap.Init(h)
	size := 0
	for _, f := range g {
		size += len(f.lines)
	}
	merged := make([]byte, 0, size)
	defer func() {
		if len(merged) > 0 {
			e.segs = append(e.segs, merged)
		}
	}()
	var last []byte
	for len(h.cs) > 0 {
		c := h.cs[0]
		if last != nil && d.compareLines(last, c.line) == 0 {
			out.drop(1, "duplicate series dropped: %s", bytes.TrimSuffix(c.line, []byte{'\n'}))
		} else {
			merged = append(merged, c.line...)
			e.series++
			last = c.line
		}
		if c.i++; c.i < len(c.f.ends) {
			c.line = c.f.line(c.i)
			heap.Fix(h, 0)
		} else {
			heap.Pop(h)
		}
	}
}

type mergeCursor struct {
	f    *family
	i    int // index of line in f
	part int
	line []byte
}

// mergeHeap orders cursors by their current line, then by part.
type mergeHeap struct {
	d  *FamilyDesc
	cs []*mergeCursor
}

func (h *mergeHeap) Len() int { return len(h.cs) }
func (h *mergeHeap) Less(i, j int) bool {
	if c := h.d.compareLines(h.cs[i].line, h.cs[j].line); c != 0 {
		return c < 0
	}
	return h.cs[i].part < h.cs[j].part
}
func (h *mergeHeap) Swap(i, j int) { h.cs[i], h.cs[j] = h.cs[j], h.cs[i] }
func (h *mergeHeap) Push(x any)    { h.cs = append(h.cs, x.(*mergeCursor)) }
func (h *mergeHeap) Pop() any {
	c := h.cs[len(h.cs)-1]
	h.cs = h.cs[:len(h.cs)-1]
	return c
}

// Text returns the exposition in the Prometheus text format (version
// 0.0.4), as one new slice (tests, Manager.Collect); /metrics writes
// Segments instead.
func (e *Exposition) Text() []byte { return bytes.Join(e.segs, nil) }

// Segments returns the text in pieces, shared: do not modify them.
func (e *Exposition) Segments() [][]byte { return e.segs }

// Size returns the length of the text.
func (e *Exposition) Size() int { return e.size }

// Series returns the number of series.
func (e *Exposition) Series() int { return e.series }

// NumFamilies returns the number of metric families.
func (e *Exposition) NumFamilies() int { return len(e.index) }

// Dropped returns the number of series dropped because of bugs in the
// parts (duplicates, inconsistent families); 0 in a correct program.
func (e *Exposition) Dropped() int { return e.dropped }

// Problems describes the first few dropped series or families, for the
// log.
func (e *Exposition) Problems() []string { return slices.Clone(e.problems) }

// Has reports whether the exposition holds the family name.
func (e *Exposition) Has(name string) bool {
	_, ok := e.find(name)
	return ok
}

func (e *Exposition) find(name string) (familySpan, bool) {
	i, ok := slices.BinarySearchFunc(e.index, name, func(s familySpan, n string) int { return strings.Compare(s.name, n) })
	if !ok {
		return familySpan{}, false
	}
	return e.index[i], true
}

// family returns the text (HELP, TYPE and series) of one family, nil when
// absent.
func (e *Exposition) family(name string) [][]byte {
	s, ok := e.find(name)
	if !ok {
		return nil
	}
	return e.segs[s.start:s.end]
}

// Gzip returns the text compressed as one gzip member (RFC 1952). It is
// computed once, on the first call, which concurrent callers wait for;
// call it right after Render (before publishing) so no scrape waits. The
// slice is shared: do not modify it.
func (e *Exposition) Gzip() []byte {
	e.gzOnce.Do(func() { e.gz = gzipMember(e.segs) })
	return e.gz
}

// deflate returns the raw DEFLATE stream of the gzip member (ending in a
// final block), its CRC-32 and the length of the text.
func (e *Exposition) deflate() (stream []byte, crc uint32, size int) {
	gz := e.Gzip()
	return gz[len(gzipHeader) : len(gz)-8], binary.LittleEndian.Uint32(gz[len(gz)-8:]), e.size
}

// gzipHeader starts every gzip member written here: no name, no time,
// OS unknown (as compress/gzip writes it).
var gzipHeader = []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff}

// gzipLevel is the compression level of the pre-encoded exposition:
// promhttp's, once per exposition. (At 300,000 series on 2 cores:
// default 0.67 s → 7.6 MB; BestSpeed 0.31 s → 8.8 MB.)
const gzipLevel = flate.DefaultCompression

// gzipChunk is the size of the pieces compressed in parallel.
const gzipChunk = 1 << 20

// gzipMember compresses text as a single gzip member. Pieces of about
// gzipChunk bytes (cut after a newline) are compressed in parallel, each
// ended by a sync flush (byte-aligned, not final), and joined: one DEFLATE
// stream, closed by an empty final block.
func gzipMember(segs [][]byte) []byte {
	var pieces [][]byte
	for _, seg := range segs {
		for rest := seg; len(rest) > 0; {
			n := len(rest)
			if n > gzipChunk {
				n = gzipChunk
				if nl := bytes.IndexByte(rest[n:], '\n'); nl >= 0 {
					n += nl + 1
				} else {
					n = len(rest)
				}
			}
			pieces, rest = append(pieces, rest[:n]), rest[n:]
		}
	}
	out := make([][]byte, len(pieces))
	next := make(chan int, len(pieces))
	for i := range pieces {
		next <- i
	}
	close(next)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(pieces)) {
		wg.Go(func() {
			var buf bytes.Buffer
			zw, _ := flate.NewWriter(&buf, gzipLevel)
			for i := range next {
				buf = bytes.Buffer{}
				buf.Grow(len(pieces[i]) / 4)
				zw.Reset(&buf)
				_, _ = zw.Write(pieces[i])
				_ = zw.Flush()
				out[i] = buf.Bytes()
			}
		})
	}
	wg.Wait()
	size := len(gzipHeader) + len(finalBlock) + 8
	for _, o := range out {
		size += len(o)
	}
	gz := append(make([]byte, 0, size), gzipHeader...)
	for _, o := range out {
		gz = append(gz, o...)
	}
	gz = append(gz, finalBlock...)
	crc, n := uint32(0), 0
	for _, seg := range segs {
		crc = crc32.Update(crc, crc32.IEEETable, seg)
		n += len(seg)
	}
	return appendGzipTrailer(gz, crc, n)
}

// finalBlock is an empty, final, stored DEFLATE block, written at a byte
// boundary (after a sync flush).
var finalBlock = []byte{1, 0, 0, 0xff, 0xff}

func appendGzipTrailer(b []byte, crc uint32, size int) []byte {
	b = binary.LittleEndian.AppendUint32(b, crc)
	return binary.LittleEndian.AppendUint32(b, uint32(size)) // ISIZE: size mod 2^32
}

// crc32Combine returns the CRC-32 (IEEE) of A followed by B from the CRCs
// of A and B and the length of B, as zlib's crc32_combine.
func crc32Combine(crcA, crcB uint32, lenB int) uint32 {
	return multModP(x2nModP(uint64(lenB), 3), crcA) ^ crcB
}

// multModP multiplies a(x) by b(x) modulo the CRC-32 polynomial, bits
// reflected.
func multModP(a, b uint32) uint32 {
	var p uint32
	for m := uint32(1) << 31; m != 0; m >>= 1 {
		if a&m != 0 {
			p ^= b
		}
		if b&1 != 0 {
			b = b>>1 ^ crc32.IEEE
		} else {
			b >>= 1
		}
	}
	return p
}

// x2nTable[k] is x^(2^k) modulo the polynomial.
var x2nTable = func() (t [32]uint32) {
	p := uint32(1) << 30 // x^1
	t[0] = p
	for k := 1; k < 32; k++ {
		p = multModP(p, p)
		t[k] = p
	}
	return t
}()

// x2nModP returns x^(n·2^k) modulo the polynomial.
func x2nModP(n uint64, k uint) uint32 {
	p := uint32(1) << 31 // x^0
	for ; n != 0; n >>= 1 {
		if n&1 != 0 {
			p = multModP(x2nTable[k&31], p)
		}
		k++
	}
	return p
}

// validUTF8 replaces the bytes of s that are not valid UTF-8 with U+FFFD.
func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

// appendEscaped appends s escaped as expfmt does: `\` and newline, and `"`
// when quote (label values; not help).
func appendEscaped(b []byte, s string, quote bool) []byte {
	start := 0
	for i := 0; i < len(s); i++ {
		var esc string
		switch s[i] {
		case '\\':
			esc = `\\`
		case '\n':
			esc = `\n`
		case '"':
			if !quote {
				continue
			}
			esc = `\"`
		default:
			continue
		}
		b = append(append(b, s[start:i]...), esc...)
		start = i + 1
	}
	return append(b, s[start:]...)
}

// appendFloat formats f as expfmt's text encoder does.
func appendFloat(b []byte, f float64) []byte {
	switch {
	case f == 1:
		return append(b, '1')
	case f == 0: // also -0
		return append(b, '0')
	case f == -1:
		return append(b, "-1"...)
	case math.IsNaN(f):
		return append(b, "NaN"...)
	case math.IsInf(f, +1):
		return append(b, "+Inf"...)
	case math.IsInf(f, -1):
		return append(b, "-Inf"...)
	}
	return strconv.AppendFloat(b, f, 'g', -1, 64)
}
