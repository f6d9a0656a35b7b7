package client

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"strconv"
)

// TokenList describes one list operation paged by continuation token, as
// Alibaba Cloud's APIs page: MaxResults=N&NextToken=… answering
// {"Items":[…],"NextToken":"…","TotalCount":N}, the last page with an
// empty or absent NextToken.
type TokenList struct {
	Op Operation
	// Query holds the operation's filters; the page size and token are
	// added.
	Query url.Values
	// ListKey, TokenKey and TotalKey name the members of the answer
	// (TotalKey "" when the API sends no total).
	ListKey, TokenKey, TotalKey string
	// LimitParam and TokenParam name the request parameters, e.g.
	// MaxResults and NextToken.
	LimitParam, TokenParam string
	// Limit is the page size asked for; MaxPages bounds the walk.
	Limit, MaxPages int
}

// WalkToken walks a token-paged list and returns every item, or an error:
// never a partial or inconsistent list. Pages are fetched one after the
// other (each needs the previous one's token). The walk ends on the first
// page without a token. A token the API returned before fails at once (the
// walk would loop); an item seen twice, or a final count that differs
// from a total the first page announced, makes the walk inconsistent: it
// is tried once more, and a second inconsistency is the error. A page
// holding more elements than Limit is an error and is not read past the
// limit.
func WalkToken[T any](ctx context.Context, t *Transport, l TokenList, decode RawItemDecoder[T]) ([]T, WalkStats, error) {
	stats := WalkStats{Total: -1, PageSize: l.Limit}
	if l.MaxPages <= 0 {
		l.MaxPages = 10000
	}
	return walkTwice(ctx, t, l.Op.Name, &stats, func() ([]T, error) { return walkTokenOnce(ctx, t, &l, decode, &stats) })
}

func walkTokenOnce[T any](ctx context.Context, t *Transport, l *TokenList, decode RawItemDecoder[T], stats *WalkStats) ([]T, error) {
	stats.Invalid, stats.Total = 0, -1
	var pages []Page[T]
	seenTokens := map[string]bool{}
	token, position := "", 0
	for {
		if len(pages) >= l.MaxPages {
			return nil, &MaxPagesError{Op: l.Op.Name, Total: -1, MaxPages: l.MaxPages, Limit: l.Limit}
		}
		q := url.Values{}
		for k, v := range l.Query {
			q[k] = v
		}
		q.Set(l.LimitParam, strconv.Itoa(l.Limit))
		if token != "" {
			q.Set(l.TokenParam, token)
		}
		var p Page[T]
		err := t.Do(ctx, l.Op, q, func(body io.Reader) error {
			var err error
			p, err = decodePageKeys(body, l.Op.Name, l.ListKey, l.TotalKey, l.TokenKey, l.Limit, decode)
			return err
		})
		stats.Requests++
		if err != nil {
			return nil, fmt.Errorf("%w (page %d)", err, len(pages)+1)
		}
		p.Offset, position = position, position+p.Elements
		if len(pages) == 0 && p.HasTotal && p.Total >= 0 {
			stats.Total = p.Total
		}
		pages = append(pages, p)
		if p.NextToken == "" {
			break
		}
		if seenTokens[p.NextToken] {
			return nil, fmt.Errorf("%s: the API returned the same NextToken twice: the list cannot be walked", l.Op.Name)
		}
		seenTokens[p.NextToken] = true
		token = p.NextToken
	}
	if stats.Total >= 0 && int64(position) != stats.Total {
		return nil, &InconsistentError{l.Op.Name, fmt.Sprintf("the pages hold %d items, the first announced %d", position, stats.Total)}
	}
	return joinPages(t, l.Op.Name, pages, stats)
}
