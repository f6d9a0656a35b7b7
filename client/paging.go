package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/sync/errgroup"

	"github.com/workspace-exporter/workspace_exporter/model"
)

// OffsetList describes one offset/limit list operation, e.g. Huawei's
// GET /v2/{project_id}/desktops/detail?offset=&limit= answering
// {"desktops":[…],"total_count":N}.
type OffsetList struct {
	Op Operation
	// Query holds the operation's filters; offset and limit are added.
	Query url.Values
	// ListKey is the key of the item array; TotalKey the key of the total
	// ("" when the API sends none).
	ListKey, TotalKey string
	// Limit is the page size asked for. MaxPages bounds the walk.
	Limit, MaxPages int
	// MaxOffset is the largest offset the API accepts (0: no cap). A walk
	// that would need a larger one fails with *OffsetCapError before it
	// sends that request.
	MaxOffset int
	// Concurrency bounds the pages fetched at the same time once a
	// trustworthy total is known.
	Concurrency int
}

// ItemDecoder decodes the next array element from dec. It returns ok=false
// for an element that is not an item (not an object, say): the walk skips
// and counts it. The id identifies the item; an empty or malformed id
// makes the element invalid too. A non-nil error (broken JSON) fails the
// page.
type ItemDecoder[T any] func(dec *json.Decoder) (item T, id string, ok bool, err error)

// RawItemDecoder decodes one array element from its bytes, through a
// JSONScanner set on them: one complete value that the page reader has
// already checked to be valid JSON, so the scanner walks it without
// checking it again (and knows where the members of an object element
// are). s.Bytes() are the element's bytes, no white space around them.
// The scanner and the bytes are only valid during the call. ok, id and
// err mean what they mean for an ItemDecoder.
type RawItemDecoder[T any] func(s *JSONScanner) (item T, id string, ok bool, err error)

// rawItems adapts an ItemDecoder to the page reader: it gets a
// json.Decoder over the element's bytes.
func rawItems[T any](decode ItemDecoder[T]) RawItemDecoder[T] {
	return func(s *JSONScanner) (T, string, bool, error) {
		return decode(json.NewDecoder(bytes.NewReader(s.Bytes())))
	}
}

// DecodeObject returns an ItemDecoder that decodes each element into a
// fresh R and converts it. An element that is not a JSON object is
// invalid; a nested field of an unexpected type is dropped (encoding/json
// keeps decoding the rest) without losing the item.
func DecodeObject[R, T any](convert func(*R) (T, string)) ItemDecoder[T] {
	return func(dec *json.Decoder) (T, string, bool, error) {
		var r R
		var zero T
		if err := dec.Decode(&r); err != nil {
			var te *json.UnmarshalTypeError
			if !errors.As(err, &te) {
				return zero, "", false, err
			}
			if te.Field == "" {
				return zero, "", false, nil // the element itself is not an object
			}
		}
		item, id := convert(&r)
		return item, id, true, nil
	}
}

// WalkStats describes one list walk.
type WalkStats = model.ListStats

// InconsistentError is a walk whose pages do not add up: a short page
// before the announced total, a total that changed between pages, an item
// seen twice. The fleet may have changed during the walk, so the walk is
// tried once more before the refresh fails.
type InconsistentError struct {
	Operation string
	Problem   string
}

func (e *InconsistentError) Error() string {
	return e.Operation + ": inconsistent list: " + e.Problem
}

// Page is one decoded list page.
type Page[T any] struct {
	Offset   int
	Items    []T
	IDs      []string // of Items, in order
	Elements int      // array elements, invalid ones included
	Invalid  int      // elements skipped
	Total    int64    // the announced total, when HasTotal
	HasTotal bool
	// NextToken is the continuation token of a token-paged list ("" on
	// the last page).
	NextToken string
}

// WalkOffset walks an offset/limit list and returns every item, or an
// error: never a partial or inconsistent list.
//
// When the first page announces a total (not absent, not a documented
// placeholder such as 0 beside items or 2147483647), the walk fetches
// exactly ⌈total/limit⌉ pages, the second one alone (an API that ignores
// offset answers it with the first page again and is caught at once), the
// rest concurrently; every page must repeat the total and hold exactly the
// items it should. Without a usable total the walk goes on page by page
// until a short page. Items seen twice, short pages and changing totals
// make the walk inconsistent: it is tried once more, and a second
// inconsistency is the error. A page holding more elements than the limit
// asked for is an error, and is not read past the limit. On an API error
// that rejects the page size, the limit is halved and the walk restarts.
func WalkOffset[T any](ctx context.Context, t *Transport, l OffsetList, decode ItemDecoder[T]) ([]T, WalkStats, error) {
	return WalkOffsetRaw(ctx, t, l, rawItems(decode))
}

// WalkOffsetRaw is WalkOffset with a decoder of each element's bytes.
func WalkOffsetRaw[T any](ctx context.Context, t *Transport, l OffsetList, decode RawItemDecoder[T]) ([]T, WalkStats, error) {
	stats := WalkStats{Total: -1, PageSize: l.Limit}
	if l.MaxPages <= 0 {
		l.MaxPages = 10000
	}
	l.Concurrency = max(l.Concurrency, 1)
	return walkTwice(ctx, t, l.Op.Name, &stats, func() ([]T, error) { return walkOnce(ctx, t, &l, decode, &stats) })
}

// walkTwice runs one walk, and a second one when the first was
// inconsistent; a second inconsistency is the error. It accounts the
// skipped elements of the walk that succeeded, once.
func walkTwice[T any](ctx context.Context, t *Transport, op string, stats *WalkStats, once func() ([]T, error)) ([]T, WalkStats, error) {
	for {
		stats.Walks++
		items, err := once()
		var inc *InconsistentError
		if errors.As(err, &inc) && stats.Walks == 1 && ctx.Err() == nil {
			// Not actionable yet: the fleet changed during the walk. A
			// second inconsistency fails the refresh, visibly.
			t.log.Info("list walk was inconsistent, walking it again", "operation", op, "problem", inc.Problem)
			continue
		}
		if err != nil {
			if stats.Walks > 1 && errors.As(err, &inc) {
				err = fmt.Errorf("%w (a second walk was inconsistent too; the fleet may be changing faster than it can be listed)", err)
			}
			return nil, *stats, err
		}
		if stats.Invalid > 0 {
			t.obs.ObserveInvalidItems(op, stats.Invalid)
			t.log.Warn("skipped list elements that are not objects or lack a valid ID", "operation", op, "skipped", stats.Invalid)
		}
		return items, *stats, nil
	}
}

func walkOnce[T any](ctx context.Context, t *Transport, l *OffsetList, decode RawItemDecoder[T], stats *WalkStats) ([]T, error) {
	stats.Invalid, stats.Total = 0, -1
	var first Page[T]
	for {
		var err error
		first, err = fetchPage(ctx, t, l, 0, decode)
		stats.Requests++
		var ae *APIError
		if err != nil && errors.As(err, &ae) && ae.PageSizeRejected && l.Limit > 1 {
			t.log.Warn("the API refused the page size, halving it", "operation", l.Op.Name, "limit", l.Limit)
			l.Limit /= 2
			continue
		}
		if err != nil {
			return nil, err
		}
		break
	}
	stats.PageSize = l.Limit
	limit := l.Limit
	pages := []Page[T]{first}
	if trustedTotal(first) {
		total := first.Total
		stats.Total = total
		n := int((total + int64(limit) - 1) / int64(limit))
		if total > int64(limit)*int64(l.MaxPages) {
			return nil, &MaxPagesError{Op: l.Op.Name, Total: total, MaxPages: l.MaxPages, Limit: limit}
		}
		if l.MaxOffset > 0 && n > 1 && (n-1)*limit > l.MaxOffset {
			return nil, &OffsetCapError{Op: l.Op.Name, Total: total, MaxOffset: l.MaxOffset, Limit: limit}
		}
		if n > 1 {
			second, err := fetchPage(ctx, t, l, limit, decode)
			stats.Requests++
			if err != nil {
				return nil, err
			}
			if sameItems(first, second) {
				return nil, ignoresOffset(l.Op.Name, 0, limit)
			}
			pages = append(pages, second)
		}
		if n > 2 {
			rest, err := fetchPages(ctx, t, l, 2, n, decode)
			stats.Requests += n - 2
			if err != nil {
				return nil, err
			}
			pages = append(pages, rest...)
		}
		for i := range pages {
			p := &pages[i]
			if !p.HasTotal || p.Total != total {
				return nil, &InconsistentError{l.Op.Name, fmt.Sprintf("the total changed from %d to %s at offset %d", total, totalString(p), p.Offset)}
			}
			if want := min(int64(limit), total-int64(p.Offset)); int64(p.Elements) != want {
				return nil, &InconsistentError{l.Op.Name, fmt.Sprintf("the page at offset %d holds %d items, %d expected of a total of %d", p.Offset, p.Elements, want, total)}
			}
		}
	} else {
		for prev := first; prev.Elements == limit; {
			if len(pages) >= l.MaxPages {
				return nil, &MaxPagesError{Op: l.Op.Name, Total: -1, MaxPages: l.MaxPages, Limit: limit}
			}
			if l.MaxOffset > 0 && prev.Offset+limit > l.MaxOffset {
				return nil, &OffsetCapError{Op: l.Op.Name, Total: -1, MaxOffset: l.MaxOffset, Limit: limit}
			}
			next, err := fetchPage(ctx, t, l, prev.Offset+limit, decode)
			stats.Requests++
			if err != nil {
				return nil, err
			}
			if sameItems(prev, next) {
				return nil, ignoresOffset(l.Op.Name, prev.Offset, next.Offset)
			}
			pages = append(pages, next)
			prev = next
		}
	}
	return joinPages(t, l.Op.Name, pages, stats)
}

// joinPages joins the pages' items in order, counting their skipped
// elements; an item seen twice makes the walk inconsistent. Page offsets
// are the positions of their first elements.
func joinPages[T any](t *Transport, op string, pages []Page[T], stats *WalkStats) ([]T, error) {
	count := 0
	for i := range pages {
		count += len(pages[i].Items)
		stats.Invalid += pages[i].Invalid
	}
	out := make([]T, 0, count)
	seen := make(map[string]int, count)
	for i := range pages {
		p := &pages[i]
		for j, id := range p.IDs {
			if at, dup := seen[id]; dup {
				return nil, &InconsistentError{op, fmt.Sprintf("item %s appears twice, at offsets %d and %d", t.red.Message(id), at, p.Offset+j)}
			}
			seen[id] = p.Offset + j
		}
		out = append(out, p.Items...)
	}
	return out, nil
}

// OffsetCapError is a list longer than the API's documented offset cap
// lets a client read: the walk stops before the first request beyond it,
// so that nothing is silently left out.
type OffsetCapError struct {
	Op string
	// Total is the announced total, -1 when the API gave none to trust.
	Total            int64
	MaxOffset, Limit int
}

func (e *OffsetCapError) Error() string {
	if e.Total < 0 {
		return fmt.Sprintf("%s: the list goes on past offset %d, the largest the API accepts: only the first %d items can be read", e.Op, e.MaxOffset, e.MaxOffset+e.Limit)
	}
	return fmt.Sprintf("%s: the API announces %d items, but offsets stop at %d: only the first %d can be read", e.Op, e.Total, e.MaxOffset, e.MaxOffset+e.Limit)
}

// MaxPagesError is a walk's own stop at its page bound (OffsetList and
// TokenList MaxPages): the list is longer than the walk may read. It is
// not an API or response error.
type MaxPagesError struct {
	Op string
	// Total is the announced total, -1 when the API gave none to trust.
	Total           int64
	MaxPages, Limit int
}

func (e *MaxPagesError) Error() string {
	if e.Total < 0 {
		return fmt.Sprintf("%s: more than max_pages (%d) full pages of %d without an end", e.Op, e.MaxPages, e.Limit)
	}
	return fmt.Sprintf("%s: the API announces %d items, more than max_pages (%d) pages of %d", e.Op, e.Total, e.MaxPages, e.Limit)
}

func ignoresOffset(op string, a, b int) error {
	return fmt.Errorf("%s: the API answered offset %d with the same items as offset %d: it ignores offset, so the list cannot be walked", op, b, a)
}

func totalString[T any](p *Page[T]) string {
	if !p.HasTotal {
		return "none"
	}
	return strconv.FormatInt(p.Total, 10)
}

// trustedTotal reports whether the first page's total can be relied on:
// present, not negative, and not one of the placeholders the documentation
// shows (0 beside items, 2147483647).
func trustedTotal[T any](first Page[T]) bool {
	switch {
	case !first.HasTotal, first.Total < 0, first.Total >= math.MaxInt32:
		return false
	case first.Total == 0 && first.Elements > 0:
		return false
	}
	return true
}

func sameItems[T any](a, b Page[T]) bool {
	return len(a.IDs) > 0 && slices.Equal(a.IDs, b.IDs)
}

func fetchPage[T any](ctx context.Context, t *Transport, l *OffsetList, offset int, decode RawItemDecoder[T]) (Page[T], error) {
	q := url.Values{}
	for k, v := range l.Query {
		q[k] = v
	}
	q.Set("offset", strconv.Itoa(offset))
	q.Set("limit", strconv.Itoa(l.Limit))
	var p Page[T]
	err := t.Do(ctx, l.Op, q, func(body io.Reader) error {
		var err error
		p, err = DecodePageRaw(body, l.Op.Name, l.ListKey, l.TotalKey, l.Limit, decode)
		return err
	})
	if err != nil {
		return Page[T]{}, fmt.Errorf("%w (at offset %d)", err, offset)
	}
	p.Offset = offset
	return p, nil
}

// fetchPages fetches the pages [from, to) concurrently and returns them in
// order. The first failure cancels the rest.
func fetchPages[T any](ctx context.Context, t *Transport, l *OffsetList, from, to int, decode RawItemDecoder[T]) ([]Page[T], error) {
	out := make([]Page[T], to-from)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(l.Concurrency)
	var mu sync.Mutex
	var firstErr error
	for i := from; i < to; i++ {
		g.Go(func() error {
			p, err := fetchPage(gctx, t, l, i*l.Limit, decode)
			if err != nil {
				mu.Lock()
				if firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
				return err
			}
			out[i-from] = p
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, firstErr
	}
	return out, nil
}

// DecodePage reads one list page from body as a stream: the object's
// listKey array is decoded element by element with decode, totalKey is
// read as a number (or numeric string), every other key is skipped. It
// fails with an *InvalidResponseError when the body is not an object, the
// list key is missing, null, repeated or not an array, or the array holds
// more than limit elements (it stops reading there, so memory stays
// bounded). Broken JSON is a plain error. Each element is checked to be
// valid JSON before decode sees it.
func DecodePage[T any](body io.Reader, op, listKey, totalKey string, limit int, decode ItemDecoder[T]) (Page[T], error) {
	return DecodePageRaw(body, op, listKey, totalKey, limit, rawItems(decode))
}

// DecodePageRaw is DecodePage with a decoder of each element's bytes. It
// reads the body as encoding/json's Decoder.Token and Decode would, and
// makes the same decisions in the same order (which problem of a body
// that has several is reported, an invalid response or broken JSON); it
// is just faster. Only the value being read is held in memory, and
// nothing is read past the object's closing brace.
func DecodePageRaw[T any](body io.Reader, op, listKey, totalKey string, limit int, decode RawItemDecoder[T]) (Page[T], error) {
	return decodePageKeys(body, op, listKey, totalKey, "", limit, decode)
}

// maxTokenLen bounds a continuation token, which goes back into a URL.
const maxTokenLen = 4096

// decodePageKeys is DecodePageRaw that also reads the string member
// tokenKey (when not "") into Page.NextToken.
func decodePageKeys[T any](body io.Reader, op, listKey, totalKey, tokenKey string, limit int, decode RawItemDecoder[T]) (Page[T], error) {
	var p Page[T]
	invalid := func(format string, args ...any) error {
		return &InvalidResponseError{Operation: op, Problem: fmt.Sprintf(format, args...)}
	}
	s := newJSONStream(body)
	c, err := s.peek()
	if err != nil {
		if err == io.EOF {
			return p, errors.New("empty body")
		}
		return p, jsonError(err)
	}
	if c != '{' {
		what, err := describeValue(s, c)
		if err != nil {
			return p, jsonError(err)
		}
		return p, invalid("the body is %s, not a JSON object", what)
	}
	s.pos++
	sawList := false
	members := 0
	var scratch []byte
	sc := new(JSONScanner) // one for the page: decode may keep it from the stack
	for {
		c, err := s.peek()
		if err != nil || c == '}' || c == ']' {
			break // the closing brace is checked below
		}
		if members > 0 {
			if c != ',' {
				return p, jsonError(s.syntaxError(c, "after object key:value pair"))
			}
			s.pos++
			if c, err = s.peek(); err != nil {
				return p, jsonError(err)
			}
		}
		members++
		if c != '"' {
			return p, jsonError(s.syntaxError(c, "looking for beginning of object key string"))
		}
		raw, err := s.value(nil)
		if err != nil {
			return p, jsonError(err)
		}
		scratch = AppendJSONString(scratch[:0], raw[1:len(raw)-1])
		switch {
		case string(scratch) == listKey:
			if sawList {
				return p, invalid("%q appears twice", listKey)
			}
			sawList = true
			if err := colon(s); err != nil {
				return p, jsonError(err)
			}
			c, err := s.peek()
			if err != nil {
				return p, jsonError(err)
			}
			if c != '[' {
				what, err := describeValue(s, c)
				if err != nil {
					return p, jsonError(err)
				}
				return p, invalid("%q is %s, not a list", listKey, what)
			}
			s.pos++
			for {
				c, err := s.peek()
				if err != nil || c == ']' || c == '}' {
					break
				}
				if p.Elements >= limit {
					return p, invalid("the page holds more than the %d items asked for", limit)
				}
				if p.Elements > 0 {
					if c != ',' {
						return p, jsonError(s.syntaxError(c, "expected comma after array element"))
					}
					s.pos++
				}
				p.Elements++
				elem, err := s.value(&s.idx)
				if err != nil {
					return p, jsonError(err)
				}
				sc.reset(elem, s.idx)
				item, id, ok, err := decode(sc)
				if err != nil {
					return p, jsonError(err)
				}
				if !ok || !ValidID(id) {
					p.Invalid++
					continue
				}
				if p.Items == nil {
					// A page is usually full: grow once, not ten times.
					p.Items, p.IDs = make([]T, 0, min(limit, 1000)), make([]string, 0, min(limit, 1000))
				}
				p.Items = append(p.Items, item)
				p.IDs = append(p.IDs, id)
			}
			if err := closing(s, ']'); err != nil {
				return p, jsonError(err)
			}
		case string(scratch) == totalKey && totalKey != "":
			if err := colon(s); err != nil {
				return p, jsonError(err)
			}
			raw, err := s.value(nil)
			if err != nil {
				return p, jsonError(err)
			}
			p.Total, p.HasTotal = parseCount(raw)
		case string(scratch) == tokenKey && tokenKey != "":
			if err := colon(s); err != nil {
				return p, jsonError(err)
			}
			raw, err := s.value(nil)
			if err != nil {
				return p, jsonError(err)
			}
			var tok string
			switch {
			case json.Unmarshal(raw, &tok) != nil:
				return p, invalid("%q is not a string", tokenKey)
			case len(tok) > maxTokenLen:
				return p, invalid("%q is %d bytes long, over %d", tokenKey, len(tok), maxTokenLen)
			}
			p.NextToken = tok
		default:
			if err := colon(s); err != nil {
				return p, jsonError(err)
			}
			if _, err := s.value(nil); err != nil {
				return p, jsonError(err)
			}
		}
	}
	if err := closing(s, '}'); err != nil {
		return p, jsonError(err)
	}
	if !sawList {
		return p, invalid("the %q list is missing", listKey)
	}
	return p, nil
}

// colon reads the colon after an object key.
func colon(s *jsonStream) error {
	c, err := s.peek()
	if err != nil {
		return err
	}
	if c != ':' {
		return s.syntaxError(c, "after object key")
	}
	s.pos++
	return nil
}

// closing reads the closing delimiter of the array or object being read.
func closing(s *jsonStream, delim byte) error {
	c, err := s.peek()
	if err != nil {
		return err
	}
	if c != delim {
		context := "after object key:value pair"
		if delim == ']' {
			context = "after array element"
		}
		return s.syntaxError(c, context)
	}
	s.pos++
	return nil
}

// describeValue names the kind of the value starting with c, where a list
// or an object was expected, reading it when it is a scalar: as
// encoding/json's Decoder.Token does, a scalar must be complete and valid,
// and a number must fit a float64, before the body is called the wrong
// shape.
func describeValue(s *jsonStream, c byte) (string, error) {
	switch c {
	case '{':
		return "an object", nil
	case '[':
		return "an array", nil
	case ']', '}', ',', ':':
		return "", s.syntaxError(c, "looking for beginning of value")
	}
	raw, err := s.value(nil)
	if err != nil {
		return "", err
	}
	switch raw[0] {
	case '"':
		return "a string", nil
	case 'n':
		return "null", nil
	case 't', 'f':
		return "a boolean", nil
	}
	if _, err := strconv.ParseFloat(string(raw), 64); err != nil {
		return "", fmt.Errorf("json: cannot unmarshal number %s into Go value of type float64", raw)
	}
	return "a number", nil
}

// parseCount reads a JSON number or numeric string; null and anything
// else are "absent".
func parseCount(raw []byte) (int64, bool) {
	s := strings.TrimSpace(strings.Trim(string(bytes.TrimSpace(raw)), `"`))
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, true
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && f == math.Trunc(f) && math.Abs(f) < 1<<53 {
		return int64(f), true
	}
	return 0, false
}

// jsonError names where broken JSON broke.
func jsonError(err error) error {
	var se *json.SyntaxError
	var jse *jsonSyntaxError
	switch {
	case errors.As(err, &jse):
		return fmt.Errorf("invalid JSON at byte %d: %v", jse.offset, jse)
	case errors.As(err, &se):
		return fmt.Errorf("invalid JSON at byte %d: %v", se.Offset, se)
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return errors.New("the JSON ends early (truncated body)")
	}
	return err
}

// ValidID reports whether id can identify an item and be a label value:
// not empty, at most MaxLabelLen bytes, valid UTF-8, no control
// characters.
func ValidID(id string) bool {
	if id == "" || len(id) > MaxLabelLen || !utf8.ValidString(id) {
		return false
	}
	for _, r := range id {
		if unicode.IsControl(r) {
			return false
		}
	}
	return true
}
