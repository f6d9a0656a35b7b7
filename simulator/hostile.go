package simulator

import (
	"net/http"
	"strconv"
	"strings"
)

// This file implements the faults that play a hostile API: wrong pages
// served with status 200, oversized bodies, redirects and echoed secrets.

// junkItems are the elements junk_items puts in a page, in turn.
var junkItems = []string{`42`, `"junk"`, `null`, `[1,2]`, `{"status":"ACTIVE"}`, `{"desktop_id":"","status":"ERROR"}`, `true`}

// reshape applies the page fault f to l, the answer to q. The caller holds
// s.mu; l.desktops may share the fleet's slice and must not be modified in
// place.
func (s *Simulator) reshape(f *Fault, q listQuery, l *listing) {
	n := len(l.desktops)
	switch f.Kind {
	case FaultShortPage:
		cut := f.Items
		if cut == 0 {
			cut = max(1, n/2)
		}
		l.desktops = l.desktops[:n-min(cut, n)]
	case FaultJunkItems:
		l.junk = f.Items
	case FaultBadList:
		l.badList = f.Variant
	case FaultTotalDrift:
		l.total += f.Delta
		l.mode = TotalExact
	case FaultIgnoreOffset:
		q.offset = 0
		l.desktops, _ = s.page(q)
	case FaultDuplicate:
		if n == 0 || q.offset == 0 {
			return
		}
		// Select one desktop more, starting one earlier: prev[0] is the
		// last desktop of the previous page, prev[1:] the real page.
		q.offset--
		q.limit++
		prev, _ := s.page(q)
		l.desktops = append([]*record{prev[0]}, prev[2:]...)
	case FaultEnumFlood:
		flooded := make([]record, n)
		page := make([]*record, n)
		for i, rec := range l.desktops {
			d := &flooded[i]
			*d = *rec
			v := "FLOOD_" + d.id
			for _, field := range f.Fields {
				switch field {
				case "status":
					d.status = v
				case "login_status":
					d.login = v
				case "task_status":
					d.task = v
				}
			}
			page[i] = d
		}
		l.desktops = page
	}
}

// streamChunk is the size of the writes of an oversized page.
const streamChunk = 32 << 10

// streamOversized answers 200 with n small desktops and total_count n,
// written in chunks of about streamChunk bytes so that memory stays
// bounded whatever n. It stops when a write fails or the client leaves,
// and aborts the response if the simulator is closed.
func (s *Simulator) streamOversized(w http.ResponseWriter, r *http.Request, st *reqState, n int) {
	st.status = http.StatusOK
	w.WriteHeader(http.StatusOK)
	b := make([]byte, 0, streamChunk+64)
	b = append(b, `{"desktops":[`...)
	for i := 1; i <= n; i++ {
		if i > 1 {
			b = append(b, ',')
		}
		b = append(b, `{"desktop_id":"oversize-`...)
		b = appendZeroPadded(b, i, 8)
		b = append(b, `","status":"ACTIVE"}`...)
		if len(b) >= streamChunk {
			if !s.send(w, r, b) {
				return
			}
			b = b[:0]
		}
	}
	b = append(b, `],"total_count":`...)
	b = strconv.AppendInt(b, int64(n), 10)
	s.send(w, r, append(b, '}'))
}

// send writes b unless the client has left, and reports whether it was
// written. It aborts the response if the simulator is closed.
func (s *Simulator) send(w http.ResponseWriter, r *http.Request, b []byte) bool {
	select {
	case <-s.done:
		panic(http.ErrAbortHandler)
	case <-r.Context().Done():
		return false
	default:
	}
	_, err := w.Write(b)
	return err == nil
}

// appendZeroPadded appends v in decimal, zero-padded to width digits.
func appendZeroPadded(b []byte, v, width int) []byte {
	var digits [20]byte
	d := strconv.AppendInt(digits[:0], int64(v), 10)
	for i := len(d); i < width; i++ {
		b = append(b, '0')
	}
	return append(b, d...)
}

// Padding of echo_secret: the secrets come after this many characters.
const (
	echoPadCode   = 100
	echoPadMsg    = 1000
	echoPadHeader = 300
)

// echoSecret answers with an error that leaks the credential the request
// was signed with (see FaultEchoSecret).
func (s *Simulator) echoSecret(w http.ResponseWriter, r *http.Request, st *reqState, f *Fault) {
	a, _ := parseAuthorization(r.Header.Get("Authorization")) // verified by authenticate
	cred := s.creds[a.access]
	padded := func(n int, v string) string {
		if f.Variant == EchoStart {
			return v
		}
		return strings.Repeat("x", n) + v
	}
	msg := cred.SecretKey + " " + cred.AccessKey
	if cred.SecurityToken != "" {
		msg += " " + cred.SecurityToken
	}
	w.Header().Set("X-Request-Id", padded(echoPadHeader, cred.SecretKey))
	w.Header().Set("X-Echo", padded(echoPadHeader, cred.SecretKey))
	s.write(w, st, f.Status, errorBody(padded(echoPadCode, cred.SecretKey), padded(echoPadMsg, msg), ""))
}
