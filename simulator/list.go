package simulator

import (
	"net/url"
	"slices"
	"strconv"
)

// TotalCountMode is how a list answer reports its total. Huawei's examples
// show placeholders (0, 2147483647) and omitted totals, so a client must
// not rely on the field; these modes reproduce that.
type TotalCountMode int

const (
	// TotalExact reports the number of items that match the request.
	TotalExact TotalCountMode = iota
	// TotalOmitted leaves the total out of the answer.
	TotalOmitted
	// TotalZero always reports 0.
	TotalZero
	// TotalMaxInt always reports 2147483647.
	TotalMaxInt
	// TotalStale reports 7 fewer than the real count (never below 0), as if
	// items had been deleted since the walk started.
	TotalStale
)

// String returns the mode's name.
func (m TotalCountMode) String() string {
	switch m {
	case TotalExact:
		return "exact"
	case TotalOmitted:
		return "omitted"
	case TotalZero:
		return "zero"
	case TotalMaxInt:
		return "maxint"
	case TotalStale:
		return "stale"
	}
	return "TotalCountMode(" + strconv.Itoa(int(m)) + ")"
}

func (m TotalCountMode) valid() bool { return m >= TotalExact && m <= TotalStale }

// report is the total the mode reports for total matching items
// (meaningless for TotalOmitted).
func (m TotalCountMode) report(total int) int {
	switch m {
	case TotalZero:
		return 0
	case TotalMaxInt:
		return 2147483647
	case TotalStale:
		return max(total-7, 0)
	}
	return total
}

// Limits are the offset paging rules of one list operation.
type Limits struct {
	// Min and Max bound the limit parameter; Default is the limit of a
	// request without one.
	Min, Max, Default int
	// BadOffset answers an offset that is not a non-negative integer, and
	// BadLimit a limit that is not an integer in Min..Max: the provider's
	// 400 answers. ParsePage returns them as they are.
	BadOffset, BadLimit *Error
}

// Page is the validated offset and limit of a request.
type Page struct{ Offset, Limit int }

// ParsePage reads the offset (default 0) and limit (default l.Default)
// parameters of q.
func ParsePage(q url.Values, l Limits) (Page, *Error) {
	p := Page{Limit: l.Default}
	if v := q.Get("offset"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return p, l.BadOffset
		}
		p.Offset = n
	}
	if v, ok := q["limit"]; ok {
		n, err := strconv.Atoi(v[0])
		if err != nil || n < l.Min || n > l.Max {
			return p, l.BadLimit
		}
		p.Limit = n
	}
	return p, nil
}

// Window returns the items that match (match nil matches every item) at
// positions p.Offset..p.Offset+p.Limit-1 among the matches, and the number
// of matches. Without match the page shares items' array.
func Window[T any](items []T, match func(T) bool, p Page) (page []T, total int) {
	if match == nil {
		total = len(items)
		start := min(p.Offset, total)
		return items[start : start+min(p.Limit, total-start)], total
	}
	for _, it := range items {
		if match(it) {
			if total >= p.Offset && len(page) < p.Limit {
				page = append(page, it)
			}
			total++
		}
	}
	return page, total
}

// FloodPrefix starts the values an enum_flood fault writes: FloodPrefix
// followed by the item's id.
const FloodPrefix = "FLOOD_"

// junkItems are the elements junk_items puts in a page, in turn.
var junkItems = []string{`42`, `"junk"`, `null`, `[1,2]`, `{"status":"ACTIVE"}`, `{"desktop_id":"","status":"ERROR"}`, `true`}

// List is the answer of an offset-paged list operation,
// {"<ListKey>":[items…],"<TotalKey>":total}: the window Page of the Items
// that Match, rendered by Append, with the page faults applied by
// AppendTo.
type List[T any] struct {
	// ListKey and TotalKey are the operation's (Operation.ListKey and
	// TotalKey).
	ListKey, TotalKey string
	// Mode is how the total is reported (Server.TotalCountMode).
	Mode TotalCountMode
	// Items are every item of the collection in list order; Match (nil
	// for all) selects those the request asks for and Page the window of
	// them it answers. AppendTo neither changes nor keeps Items.
	Items []T
	Match func(T) bool
	Page  Page
	// Append appends the JSON of one item.
	Append func(b []byte, item T) []byte
	// Flood returns a copy of item whose named fields (names from
	// Profile.FloodFields) are FloodPrefix followed by the item's id, for
	// enum_flood. It must not change item.
	Flood func(item T, fields []string) T
	// ItemSize is about how many bytes an item takes, to size the buffer
	// once.
	ItemSize int
}

// AppendTo appends the answer to b, with the page fault f (nil for none;
// see FaultKind) applied.
func (l *List[T]) AppendTo(b []byte, f *Fault) []byte {
	items, total := Window(l.Items, l.Match, l.Page)
	mode := l.Mode
	junk := 0     // how many leading elements are replaced by junkItems
	badList := "" // a bad_list variant replacing the array, or ""
	if f != nil {
		n := len(items)
		switch f.Kind {
		case FaultShortPage:
			cut := f.Items
			if cut == 0 {
				cut = max(1, n/2)
			}
			items = items[:n-min(cut, n)]
		case FaultJunkItems:
			junk = f.Items
		case FaultBadList:
			badList = f.Variant
		case FaultTotalDrift:
			total += f.Delta
			mode = TotalExact
		case FaultIgnoreOffset:
			p := l.Page
			p.Offset = 0
			items, _ = Window(l.Items, l.Match, p)
		case FaultDuplicate:
			if n == 0 || l.Page.Offset == 0 {
				break
			}
			// Select one item more, starting one earlier: prev[0] is the
			// last item of the previous page, prev[1:] the real page.
			p := Page{Offset: l.Page.Offset - 1, Limit: l.Page.Limit + 1}
			prev, _ := Window(l.Items, l.Match, p)
			items = append([]T{prev[0]}, prev[2:]...)
		case FaultEnumFlood:
			flooded := make([]T, n)
			for i, it := range items {
				flooded[i] = l.Flood(it, f.Fields)
			}
			items = flooded
		}
	}

	b = append(b, '{')
	switch badList {
	case "":
		b = slices.Grow(b, 64+l.ItemSize*len(items))
		b = append(b, '"')
		b = append(b, l.ListKey...)
		b = append(b, `":[`...)
		for i, it := range items {
			if i > 0 {
				b = append(b, ',')
			}
			if i < junk {
				b = append(b, junkItems[i%len(junkItems)]...)
			} else {
				b = l.Append(b, it)
			}
		}
		b = append(b, ']')
	case BadListMissing:
	default:
		b = append(b, '"')
		b = append(b, l.ListKey...)
		b = append(b, `":`...)
		b = append(b, badLists[badList]...)
	}
	if mode != TotalOmitted {
		if b[len(b)-1] != '{' {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = append(b, l.TotalKey...)
		b = append(b, `":`...)
		b = strconv.AppendInt(b, int64(mode.report(total)), 10)
	}
	return append(b, '}')
}
