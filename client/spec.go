package client

import (
	"fmt"
	"sort"
	"strings"
)

// Spec is one provider's table of the API it calls: every operation with
// its method, path template, paging and documentation section, and the
// documented values of its enum fields. The client's allow-list, the
// collectors' documented values, the simulator's routes and limits and
// the METRICS.md test all read it; nothing restates it.
type Spec struct {
	Provider   string
	Operations []OperationSpec
	// Enums are the documented values of enum fields, by model field name
	// (model.FieldDesktopStatus, …).
	Enums map[string][]string
}

// PagingKind says how an operation pages.
type PagingKind int

// Paging kinds.
const (
	// NoPaging: one request answers everything.
	NoPaging PagingKind = iota
	// OffsetPaging: offset/limit parameters and a total field.
	OffsetPaging
	// TokenPaging: a continuation token in each answer (NextToken) and a
	// page size parameter (MaxResults).
	TokenPaging
)

// OperationSpec is one row of a Spec.
type OperationSpec struct {
	Name   string // e.g. ListDesktopsDetail
	Method string // GET
	// Path is the path template; {name} matches one non-empty segment,
	// e.g. /v2/{project_id}/desktops/detail.
	Path string
	// Section is where the operation is documented, e.g. "4.3.8".
	Section string
	Paging  PagingKind
	// ListKey and TotalKey name the item array and the total field.
	ListKey, TotalKey string
	// MinLimit and MaxLimit are the documented page size range.
	MinLimit, MaxLimit int
	// MaxOffset is the largest offset the API documents (0: no cap).
	// A list longer than MaxOffset+MaxLimit cannot be read through it.
	MaxOffset int
}

// Operation returns the row of name; it panics for a name the table lacks
// (a programming error, caught by every test that calls it).
func (s *Spec) Operation(name string) OperationSpec {
	for _, op := range s.Operations {
		if op.Name == name {
			return op
		}
	}
	panic(fmt.Sprintf("%s spec: no operation %q", s.Provider, name))
}

// OperationNames lists the operations, sorted.
func (s *Spec) OperationNames() []string {
	out := make([]string, len(s.Operations))
	for i, op := range s.Operations {
		out[i] = op.Name
	}
	sort.Strings(out)
	return out
}

// Allows reports whether the table has an operation of that method whose
// path template matches path: the allow-list of requests.
func (s *Spec) Allows(method, path string) bool {
	_, ok := s.Match(method, path)
	return ok
}

// Match returns the operation of that method whose template matches path.
func (s *Spec) Match(method, path string) (OperationSpec, bool) {
	for _, op := range s.Operations {
		if op.Method == method && matchTemplate(op.Path, path) {
			return op, true
		}
	}
	return OperationSpec{}, false
}

// Expand fills a path template's {name} segments from params; every
// value must be one non-empty segment.
func Expand(template string, params map[string]string) (string, error) {
	parts := strings.Split(template, "/")
	for i, p := range parts {
		if !isParam(p) {
			continue
		}
		v := params[p[1:len(p)-1]]
		if v == "" || strings.ContainsAny(v, "/?#%") {
			return "", fmt.Errorf("path %s: parameter %s must be one non-empty path segment", template, p)
		}
		parts[i] = v
	}
	return strings.Join(parts, "/"), nil
}

func isParam(seg string) bool {
	return len(seg) > 2 && seg[0] == '{' && seg[len(seg)-1] == '}'
}

func matchTemplate(template, path string) bool {
	t, p := strings.Split(template, "/"), strings.Split(path, "/")
	if len(t) != len(p) {
		return false
	}
	for i := range t {
		if isParam(t[i]) {
			if p[i] == "" {
				return false
			}
			continue
		}
		if t[i] != p[i] {
			return false
		}
	}
	return true
}
