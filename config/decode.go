package config

// Strict decoding. yaml.v3 with KnownFields stops at the first unknown key
// and aborts on the first error of a custom unmarshaler, so the file is
// instead parsed into a yaml.Node tree and walked here against the Go
// types, which collects every problem in one pass: unknown and duplicate
// keys, values of the wrong type, bad durations, with their lines. Scalar
// values are still decoded by yaml.v3 (and by the types' own
// UnmarshalYAML), one value at a time.

import (
	"bytes"
	"encoding"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	promconfig "github.com/prometheus/common/config"
	"go.yaml.in/yaml/v3"
)

const (
	// maxAliasVisits bounds the values the walk reaches through aliases,
	// which can expand a small file exponentially (an "alias bomb"). The
	// values reached directly are bounded by MaxConfigFileSize.
	maxAliasVisits = 100000
)

// docInfo is what the walk learned about the file, for validation: which
// keys were given and on which line.
type docInfo struct {
	lines map[string]int  // path of every key given a non-null value → line of the key
	bad   map[string]bool // paths whose value could not be decoded
	// badBelow holds the ancestors of the paths in bad.
	badBelow map[string]bool
}

func newDocInfo() *docInfo {
	return &docInfo{lines: map[string]int{}, bad: map[string]bool{}, badBelow: map[string]bool{}}
}

// markBad records that the value at path could not be decoded.
func (d *docInfo) markBad(path string) {
	d.bad[path] = true
	for p := parentPath(path); p != "" && !d.badBelow[p]; p = parentPath(p) {
		d.badBelow[p] = true
	}
}

// given reports whether the file gives path a (non-null) value. A
// configuration built in code has no docInfo: nothing is "given" that is
// zero.
func (d *docInfo) given(path string) bool {
	if d == nil {
		return false
	}
	_, ok := d.lines[path]
	return ok
}

// line returns the line of path, or of its nearest ancestor in the file.
func (d *docInfo) line(path string) int {
	if d == nil {
		return 0
	}
	for p := path; p != ""; p = parentPath(p) {
		if l, ok := d.lines[p]; ok {
			return l
		}
	}
	return 0
}

// isBad reports whether path or one of its ancestors could not be decoded
// (its problem is already reported).
func (d *docInfo) isBad(path string) bool {
	if d == nil {
		return false
	}
	for p := path; p != ""; p = parentPath(p) {
		if d.bad[p] {
			return true
		}
	}
	return false
}

// badWithin reports whether anything at or below path could not be decoded.
func (d *docInfo) badWithin(path string) bool {
	if d == nil {
		return false
	}
	return d.badBelow[path] || d.isBad(path)
}

// parentPath returns "a.b" for "a.b.c" and for "a.b[2]"; "" at the top.
func parentPath(p string) string {
	if strings.HasSuffix(p, "]") {
		if i := strings.LastIndexByte(p, '['); i >= 0 {
			return p[:i]
		}
	}
	if i := strings.LastIndexByte(p, '.'); i >= 0 {
		return p[:i]
	}
	return ""
}

// joinPath returns the path of key in the mapping at parent.
func joinPath(parent, key string) string {
	if parent == "" {
		return key
	}
	return parent + "." + key
}

// decode parses data and decodes its single document into cfg. It returns
// nil docInfo when there is nothing to validate (a syntax error, an empty
// file, a top level that is not a mapping).
func decode(data []byte, cfg *Config) (*docInfo, []problem) {
	root, extra, err := parseYAML(data)
	if err != nil {
		return nil, []problem{syntaxProblem(data, err)}
	}
	var probs []problem
	if extra != nil {
		probs = append(probs, problem{line: extra.Line, msg: "a second YAML document starts here; the file must hold exactly one"})
	}
	if root == nil || len(root.Content) == 0 || isNull(root.Content[0]) {
		return nil, append(probs, problem{msg: "the file is empty: it needs a list of targets"})
	}
	top := root.Content[0]
	if top.Kind != yaml.MappingNode {
		return nil, append(probs, problem{line: top.Line, msg: fmt.Sprintf("the top level must be a mapping with a targets list, not %s", nodeKind(top))})
	}
	w := &walker{doc: newDocInfo(), expanding: map[*yaml.Node]bool{}}
	w.value(top, reflect.ValueOf(cfg).Elem(), "")
	probs = append(probs, w.problems...)
	if w.aliasVisits > maxAliasVisits {
		return nil, probs // cfg is incomplete: nothing to validate
	}
	return w.doc, probs
}

// parseYAML parses the first document of data into a node tree (nil when
// data holds none) and returns the next document when there is a
// non-empty one. A panic of the parser becomes an error.
func parseYAML(data []byte) (root, extra *yaml.Node, err error) {
	defer func() {
		if r := recover(); r != nil {
			root, extra, err = nil, nil, fmt.Errorf("yaml: the parser failed: %v", r)
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var first yaml.Node
	if err := dec.Decode(&first); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil, nil
		}
		return nil, nil, err
	}
	for {
		var next yaml.Node
		err := dec.Decode(&next)
		switch {
		case errors.Is(err, io.EOF):
			return &first, nil, nil
		case err != nil:
			return nil, nil, err
		case len(next.Content) > 0 && !isNull(next.Content[0]):
			return &first, &next, nil
		}
		// An empty document (a trailing "---") is harmless.
	}
}

var yamlErrRe = regexp.MustCompile(`^yaml: (?:line (\d+): )?(.*)$`)

// syntaxProblem turns a parser error into a problem on the line where it
// occurs. yaml.v3 reports the line where the enclosing structure starts
// (for a bad indentation deep in a list: the line of the list), so the
// line is found again by parsing ever longer prefixes of the file: the
// problem is on the first line whose prefix fails the same way.
func syntaxProblem(data []byte, err error) problem {
	m := yamlErrRe.FindStringSubmatch(err.Error())
	if m == nil {
		return problem{msg: "invalid YAML: " + err.Error()}
	}
	reported, _ := strconv.Atoi(m[1])
	return problem{line: locateSyntaxError(data, m[2], reported), msg: "invalid YAML: " + m[2]}
}

// locateSyntaxError returns the first line k at or after the reported one
// such that the first k lines fail to parse with msg, or the reported line
// when there is no such line or the search is inconclusive.
func locateSyntaxError(data []byte, msg string, reported int) int {
	ends := lineEnds(data) // ends[k-1]: the length of the first k lines
	if len(ends) == 0 || ends[len(ends)-1] != len(data) {
		ends = append(ends, len(data))
	}
	fails := func(k int) bool {
		_, _, err := parseYAML(data[:ends[k-1]])
		if err == nil {
			return false
		}
		m := yamlErrRe.FindStringSubmatch(err.Error())
		return m != nil && m[2] == msg
	}
	lo, hi := max(reported, 1), len(ends)
	if lo > hi || !fails(hi) {
		return reported
	}
	for lo < hi { // the first k in [lo, hi] that fails
		mid := (lo + hi) / 2
		if fails(mid) {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	if lo > max(reported, 1) && fails(lo-1) { // not monotonic after all
		return reported
	}
	return lo
}

// lineEnds returns the offset after each line break of data, counting
// breaks as YAML does: \n, \r\n, \r, NEL, LS and PS.
func lineEnds(data []byte) []int {
	var ends []int
	for i := 0; i < len(data); i++ {
		switch {
		case data[i] == '\r' && i+1 < len(data) && data[i+1] == '\n',
			data[i] == 0xC2 && i+1 < len(data) && data[i+1] == 0x85: // NEL
			i++
		case data[i] == 0xE2 && i+2 < len(data) && data[i+1] == 0x80 && (data[i+2] == 0xA8 || data[i+2] == 0xA9): // LS, PS
			i += 2
		case data[i] != '\n' && data[i] != '\r':
			continue
		}
		ends = append(ends, i+1)
	}
	return ends
}

// walker decodes a node tree into Go values, collecting problems.
type walker struct {
	doc      *docInfo
	problems []problem
	// expanding holds the aliases being followed, to catch an anchor
	// that contains itself.
	expanding map[*yaml.Node]bool
	// aliasVisits counts the values visited while following an alias.
	aliasVisits int
}

// fail reports a value at path that cannot be decoded.
func (w *walker) fail(n *yaml.Node, path, format string, args ...any) {
	w.doc.markBad(path)
	w.problems = append(w.problems, problem{line: n.Line, path: path, msg: fmt.Sprintf(format, args...)})
}

// keyProblem reports a problem with a key of the mapping at path: msg,
// where the mapping is, then hint.
func (w *walker) keyProblem(k *yaml.Node, path, msg, hint string) {
	switch _, rest, inTarget := splitTarget(path); {
	case path == "":
		msg += " at the top level"
	case !inTarget:
		msg += " in " + path
	case rest != "":
		msg += " in " + rest
	}
	w.problems = append(w.problems, problem{line: k.Line, path: path, msg: msg + hint, keyed: true})
}

// tooMuch counts a visit and reports whether the walk must stop.
func (w *walker) tooMuch(n *yaml.Node, path string) bool {
	if len(w.expanding) > 0 {
		w.aliasVisits++
	}
	if w.aliasVisits == maxAliasVisits+1 {
		w.fail(n, path, "anchors and aliases expand the document to more than %d values", maxAliasVisits)
	}
	return w.aliasVisits > maxAliasVisits
}

// follow calls f with the node an alias stands for, or with n itself.
func (w *walker) follow(n *yaml.Node, path string, f func(*yaml.Node)) {
	if n.Kind != yaml.AliasNode {
		f(n)
		return
	}
	if w.expanding[n] || n.Alias == nil {
		w.fail(n, path, "alias *%s refers to the value that contains it", n.Value)
		return
	}
	w.expanding[n] = true
	defer delete(w.expanding, n)
	w.follow(n.Alias, path, f)
}

// value decodes n into v.
func (w *walker) value(n *yaml.Node, v reflect.Value, path string) {
	if w.tooMuch(n, path) {
		return
	}
	w.follow(n, path, func(n *yaml.Node) {
		if isNull(n) {
			return // like yaml.v3: the zero value
		}
		t := v.Type()
		switch {
		case t.Kind() == reflect.Pointer:
			e := reflect.New(t.Elem())
			w.value(n, e.Elem(), path)
			v.Set(e)
		case t == targetType:
			w.target(n, v, path)
		case t == collectorMapType:
			w.collectorMap(n, v, path)
		case isLeaf(t):
			w.leaf(n, v, path)
		case t.Kind() == reflect.Struct:
			w.structure(n, v, path)
		case t.Kind() == reflect.Map:
			w.mapping(n, v, path)
		default: // slice
			w.sequence(n, v, path)
		}
	})
}

// skip walks a value that is not decoded (the settings of an unknown
// collector), so that what its aliases reach still counts against
// maxAliasVisits.
func (w *walker) skip(n *yaml.Node, path string) {
	if w.tooMuch(n, path) {
		return
	}
	w.follow(n, path, func(n *yaml.Node) {
		step := 1
		if n.Kind == yaml.MappingNode {
			step = 2 // the values
		}
		for i := step - 1; i < len(n.Content); i += step {
			w.skip(n.Content[i], path)
		}
	})
}

// leaf decodes a scalar with yaml.v3 (and the type's own UnmarshalYAML).
// Every leaf type of the file is written as a scalar; a list or mapping is
// rejected before yaml.v3 sees it (its duplicate-key check is quadratic).
func (w *walker) leaf(n *yaml.Node, v reflect.Value, path string) {
	t := v.Type()
	if n.Kind != yaml.ScalarNode {
		w.fail(n, path, "want %s, got %s", wantOf(t), nodeKind(n))
		return
	}
	if isInteger(t) && n.ShortTag() == "!!float" {
		// yaml.v3 would truncate 1.5 to 1; accept only whole numbers (1e3).
		if f, err := strconv.ParseFloat(n.Value, 64); err != nil || f != math.Trunc(f) {
			w.fail(n, path, "want %s, got %s", wantOf(t), scalarOf(n, t))
			return
		}
	}
	p := reflect.New(t)
	if err := n.Decode(p.Interface()); err != nil {
		if _, ok := err.(*yaml.TypeError); ok {
			w.fail(n, path, "want %s, got %s", wantOf(t), scalarOf(n, t))
		} else {
			w.fail(n, path, "%s", leafError(err, t))
		}
		return
	}
	v.Set(p.Elem())
}

// structure decodes a mapping into a struct, field by field, reporting
// unknown keys.
func (w *walker) structure(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		w.fail(n, path, "want a mapping, got %s", nodeKind(n))
		return
	}
	w.fields(w.pairs(n, path), v, path, "", nil)
}

// fields decodes the pairs of a mapping into the fields of the struct v
// and, when v has a config:"inline" field holding a pointer to a struct
// (a target's provider options, a collector's options), into that
// struct's fields. The key skip is left out (decoded already). An unknown
// key goes to unknown, which reports it; nil reports it with a suggestion
// among known, the keys of v and of its options.
func (w *walker) fields(pairs []pair, v reflect.Value, path, skip string, unknown func(kv pair, known []string)) {
	fields := fieldsOf(v.Type())
	known := fields.names
	var opts reflect.Value
	optFields := &structFields{}
	if fields.inline != nil {
		if d := v.FieldByIndex(fields.inline); !d.IsNil() && d.Elem().Kind() == reflect.Pointer && !d.Elem().IsNil() && d.Elem().Elem().Kind() == reflect.Struct {
			opts = d.Elem().Elem()
			optFields = fieldsOf(opts.Type())
			known = append(slices.Clip(known), optFields.names...)
		}
	}
	for _, kv := range pairs {
		key := kv.key.Value
		if key == skip {
			continue
		}
		var f reflect.Value
		if index, ok := fields.index[key]; ok {
			f = v.FieldByIndex(index)
		} else if index, ok := optFields.index[key]; ok {
			f = opts.FieldByIndex(index)
		}
		if !f.IsValid() {
			if unknown != nil {
				unknown(kv, known)
			} else {
				w.keyProblem(kv.key, path, fmt.Sprintf("unknown key %q", truncate(key)), w.suggest(key, known))
			}
			continue
		}
		p := joinPath(path, key)
		w.given(kv, p)
		w.value(kv.val, f, p)
	}
}

// target decodes a target: provider first, wherever it is in the
// mapping, then the common keys into the Target and the others into the
// options of its provider.
func (w *walker) target(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		w.fail(n, path, "want a mapping, got %s", nodeKind(n))
		return
	}
	pairs := w.pairs(n, path)
	t := reflect.New(targetType).Elem()
	provider := t.FieldByName("Provider")
	for _, kv := range pairs {
		if kv.key.Value == "provider" {
			p := joinPath(path, "provider")
			w.given(kv, p)
			w.value(kv.val, provider, p)
		}
	}
	name := provider.String()
	reg, known := providerOf(name)
	if known {
		t.FieldByIndex(fieldsOf(targetType).inline).Set(reflect.ValueOf(reg.schema.NewOptions()))
	}
	w.fields(pairs, t, path, "provider", func(kv pair, keys []string) {
		key := kv.key.Value
		owners := providersWithKey(key, name)
		var hint string
		switch {
		case !known && len(owners) > 0:
			return // a provider's key; the provider is missing or unknown, and reported
		case len(owners) > 0:
			hint = fmt.Sprintf(" (provider %s has no %s; it belongs to %s)", name, key, strings.Join(owners, ", "))
		case !known:
			hint = w.suggest(key, append(slices.Clip(keys), allProviderKeys()...))
		default:
			hint = w.suggest(key, keys)
		}
		w.keyProblem(kv.key, path, fmt.Sprintf("unknown key %q", truncate(key)), hint)
	})
	v.Set(t)
}

// collectorMap decodes a target's collectors: each registered collector's
// mapping into a CollectorConfig holding the collector's options, with
// their defaults. The settings of an unknown collector are not decoded;
// validation reports the name.
func (w *walker) collectorMap(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		w.fail(n, path, "want a mapping, got %s", nodeKind(n))
		return
	}
	if v.IsNil() {
		v.Set(reflect.MakeMap(v.Type()))
	}
	for _, kv := range w.pairs(n, path) {
		p := joinPath(path, kv.key.Value)
		name := reflect.New(v.Type().Key()).Elem()
		w.leaf(kv.key, name, p)
		cc := reflect.New(collectorConfigType).Elem()
		reg, known := collectorOf(name.String())
		if !known {
			w.doc.lines[p] = kv.key.Line
			w.skip(kv.val, p)
			v.SetMapIndex(name, cc)
			continue
		}
		if reg.schema.NewOptions != nil {
			cc.FieldByIndex(fieldsOf(collectorConfigType).inline).Set(reflect.ValueOf(reg.schema.NewOptions()))
		}
		w.given(kv, p)
		w.value(kv.val, cc, p)
		v.SetMapIndex(name, cc)
	}
}

// mapping decodes a mapping into a Go map.
func (w *walker) mapping(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		w.fail(n, path, "want a mapping, got %s", nodeKind(n))
		return
	}
	t := v.Type()
	if v.IsNil() {
		v.Set(reflect.MakeMap(t))
	}
	for _, kv := range w.pairs(n, path) {
		p := joinPath(path, kv.key.Value)
		k := reflect.New(t.Key()).Elem()
		w.leaf(kv.key, k, p)
		e := reflect.New(t.Elem()).Elem()
		w.given(kv, p)
		w.value(kv.val, e, p)
		v.SetMapIndex(k, e)
	}
}

// sequence decodes a list into a slice.
func (w *walker) sequence(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.SequenceNode {
		w.fail(n, path, "want a list, got %s", nodeKind(n))
		return
	}
	s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, c := range n.Content {
		p := fmt.Sprintf("%s[%d]", path, i)
		w.doc.lines[p] = c.Line
		w.value(c, s.Index(i), p)
	}
	v.Set(s)
}

// given records that the file gives the key of kv a value.
func (w *walker) given(kv pair, path string) {
	if !isNull(kv.val) {
		w.doc.lines[path] = kv.key.Line
	}
}

// pair is a key and its value in a mapping.
type pair struct{ key, val *yaml.Node }

// pairs returns the keys and values of a mapping, reporting keys that are
// not strings and duplicate keys, and adding the keys merged in with
// "<<: *anchor" that the mapping does not set itself.
func (w *walker) pairs(n *yaml.Node, path string) []pair {
	var out []pair
	seen := map[string]*yaml.Node{}
	var merges []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		switch {
		case isMergeKey(k):
			merges = append(merges, v)
		case k.Kind != yaml.ScalarNode:
			w.keyProblem(k, path, "a key must be a string, not "+nodeKind(k), "")
		case seen[k.Value] != nil:
			w.keyProblem(k, path, fmt.Sprintf("duplicate key %q", truncate(k.Value)), fmt.Sprintf(" (first at line %d)", seen[k.Value].Line))
		default:
			seen[k.Value] = k
			out = append(out, pair{k, v})
		}
	}
	merged := map[*yaml.Node]bool{}
	for _, m := range merges {
		out = w.merge(m, path, seen, merged, out)
	}
	return out
}

// merge adds the pairs of a merged mapping (or list of mappings) whose
// keys are not set yet: the mapping's own keys win, then earlier merges.
func (w *walker) merge(m *yaml.Node, path string, seen map[string]*yaml.Node, merged map[*yaml.Node]bool, out []pair) []pair {
	if w.tooMuch(m, path) {
		return out
	}
	w.follow(m, path, func(m *yaml.Node) {
		switch m.Kind {
		case yaml.MappingNode:
			if merged[m] {
				return
			}
			merged[m] = true
			var nested []*yaml.Node
			for i := 0; i+1 < len(m.Content); i += 2 {
				k, v := m.Content[i], m.Content[i+1]
				switch {
				case isMergeKey(k):
					nested = append(nested, v)
				case k.Kind == yaml.ScalarNode && seen[k.Value] == nil:
					seen[k.Value] = k
					out = append(out, pair{k, v})
				}
			}
			for _, n := range nested {
				out = w.merge(n, path, seen, merged, out)
			}
		case yaml.SequenceNode:
			for _, e := range m.Content {
				out = w.merge(e, path, seen, merged, out)
			}
		default:
			w.fail(m, path, "<< (merge) needs a mapping or a list of mappings, not %s", nodeKind(m))
		}
	})
	return out
}

// isMergeKey is yaml.v3's test for the "<<" merge key.
func isMergeKey(k *yaml.Node) bool {
	return k.Kind == yaml.ScalarNode && k.Value == "<<" && (k.Tag == "" || k.Tag == "!" || k.ShortTag() == "!!merge")
}

// isNull reports whether n is a null scalar (~, null or nothing).
func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// nodeKind names what a node is, for messages.
func nodeKind(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	case yaml.ScalarNode:
		return fmt.Sprintf("%q", truncate(n.Value))
	}
	return "a document"
}

// scalarOf quotes a scalar for a message, unless it is a secret.
func scalarOf(n *yaml.Node, t reflect.Type) string {
	if t == secretType || t == promSecretType {
		return "a " + strings.TrimPrefix(n.ShortTag(), "!!")
	}
	return nodeKind(n)
}

var (
	targetType          = reflect.TypeFor[Target]()
	collectorConfigType = reflect.TypeFor[CollectorConfig]()
	collectorMapType    = reflect.TypeFor[map[string]CollectorConfig]()
	secretType          = reflect.TypeFor[Secret]()
	promSecretType      = reflect.TypeFor[promconfig.Secret]()
	// leafWants describe the leaf types that are not plain Go kinds.
	leafWants = map[reflect.Type]string{
		reflect.TypeFor[Duration]():              "a duration such as 30s or 5m",
		reflect.TypeFor[promconfig.URL]():        "a URL",
		reflect.TypeFor[promconfig.TLSVersion](): "a TLS version (TLS10, TLS11, TLS12 or TLS13)",
	}
)

// isInteger reports whether t is an integer kind.
func isInteger(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return true
	}
	return false
}

// wantOf describes what a value of type t is written as.
func wantOf(t reflect.Type) string {
	if s, ok := leafWants[t]; ok {
		return s
	}
	switch t.Kind() {
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "an integer"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a non-negative integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string"
	case reflect.Struct, reflect.Map:
		return "a mapping"
	case reflect.Slice, reflect.Array:
		return "a list"
	}
	return "a " + t.String()
}

var linePrefixRe = regexp.MustCompile(`^(?:yaml: )?(?:line \d+: )?`)

// leafError is the message of a type's own UnmarshalYAML, without the line
// (the problem carries it).
func leafError(err error, t reflect.Type) string {
	msg := clip(linePrefixRe.ReplaceAllString(err.Error(), ""), 256)
	if t == reflect.TypeFor[promconfig.TLSVersion]() {
		msg += " (use TLS10, TLS11, TLS12 or TLS13)"
	}
	return msg
}

var (
	unmarshalerType         = reflect.TypeFor[yaml.Unmarshaler]()
	obsoleteUnmarshalerType = reflect.TypeFor[interface{ UnmarshalYAML(func(any) error) error }]()
	textUnmarshalerType     = reflect.TypeFor[encoding.TextUnmarshaler]()
	// plainUnmarshalers are struct types whose UnmarshalYAML decodes the
	// mapping into their own fields and then validates: the walk fills
	// their fields itself, so their keys are checked too, and validation
	// calls their Validate.
	plainUnmarshalers = map[reflect.Type]bool{
		reflect.TypeFor[promconfig.TLSConfig](): true,
	}
)

var leafCache sync.Map // reflect.Type → bool

// isLeaf reports whether values of type t are decoded whole by yaml.v3:
// types with their own unmarshaler and everything but structs, maps and
// slices.
func isLeaf(t reflect.Type) bool {
	if v, ok := leafCache.Load(t); ok {
		return v.(bool)
	}
	leaf := leafKind(t)
	leafCache.Store(t, leaf)
	return leaf
}

// leafKind is isLeaf without the cache.
func leafKind(t reflect.Type) bool {
	if plainUnmarshalers[t] {
		return false
	}
	pt := reflect.PointerTo(t)
	if pt.Implements(unmarshalerType) || pt.Implements(obsoleteUnmarshalerType) || pt.Implements(textUnmarshalerType) {
		return true
	}
	switch t.Kind() {
	case reflect.Struct, reflect.Map, reflect.Slice:
		return false
	}
	return true
}

// structFields are the YAML keys of a struct type.
type structFields struct {
	index map[string][]int // key → field index (through inlined structs)
	names []string         // keys in declaration order
	// inline is the index of the field tagged config:"inline", an
	// interface holding a pointer to a struct whose keys are written
	// beside the struct's own (Target.Options, CollectorConfig.Options);
	// nil when there is none.
	inline []int
}

var fieldCache sync.Map // reflect.Type → *structFields

// fieldsOf lists the keys of a struct type as yaml.v3 does: the yaml tag's
// name or the lower-cased field name, "-" skipped, ",inline" structs
// flattened, unexported fields skipped.
func fieldsOf(t reflect.Type) *structFields {
	if f, ok := fieldCache.Load(t); ok {
		return f.(*structFields)
	}
	sf := &structFields{index: map[string][]int{}}
	var add func(t reflect.Type, prefix []int)
	add = func(t reflect.Type, prefix []int) {
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() && !f.Anonymous {
				continue
			}
			index := append(append([]int(nil), prefix...), i)
			if f.Tag.Get("config") == "inline" && f.Type.Kind() == reflect.Interface {
				sf.inline = index
				continue
			}
			tag := f.Tag.Get("yaml")
			if tag == "-" {
				continue
			}
			name, opts, _ := strings.Cut(tag, ",")
			if strings.Contains(","+opts+",", ",inline,") && f.Type.Kind() == reflect.Struct {
				add(f.Type, index)
				continue
			}
			if !f.IsExported() {
				continue
			}
			if name == "" {
				name = strings.ToLower(f.Name)
			}
			sf.index[name] = index
			sf.names = append(sf.names, name)
		}
	}
	add(t, nil)
	f, _ := fieldCache.LoadOrStore(t, sf)
	return f.(*structFields)
}

// suggest returns " (did you mean "key"?)" for a typo of a known key.
// Only the first maxProblems problems are shown, so there are no
// suggestions (and no edit distances computed) beyond.
func (w *walker) suggest(key string, known []string) string {
	if len(w.problems) >= maxProblems {
		return ""
	}
	if s := closest(key, known); s != "" {
		return fmt.Sprintf(" (did you mean %q?)", s)
	}
	return ""
}

// closest returns the known key nearest to an unknown one (a typo), or "".
func closest(key string, known []string) string {
	best, bestD := "", 3 // at most two edits away
	for _, k := range known {
		if d := editDistance(key, k); d < bestD && d < len(k) {
			best, bestD = k, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance of two short strings.
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 64
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
