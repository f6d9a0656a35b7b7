package simulator

import (
	"net/http"
	"strconv"
	"strings"
)

// This file implements the faults that play a hostile API by replacing the
// response: oversized pages and echoed secrets. The faults that alter a
// page are List's (list.go).

// streamChunk is the size of the writes of an oversized page.
const streamChunk = 32 << 10

// streamOversized answers a request of op with 200, n small items and the
// total n, written in chunks of about streamChunk bytes so that memory
// stays bounded whatever n. It stops when a write fails or the client
// leaves, and aborts the response if the Server is closed.
func (s *Server) streamOversized(w http.ResponseWriter, r *http.Request, st *reqState, op Operation, n int) {
	st.respond(http.StatusOK)
	w.WriteHeader(http.StatusOK)
	b := make([]byte, 0, streamChunk+256)
	b = append(b, `{"`...)
	b = append(b, op.ListKey...)
	b = append(b, `":[`...)
	for i := 1; i <= n; i++ {
		if i > 1 {
			b = append(b, ',')
		}
		b = s.p.AppendOversizedItem(b, op, i)
		if len(b) >= streamChunk {
			if !s.send(w, r, b) {
				return
			}
			b = b[:0]
		}
	}
	b = append(b, `],"`...)
	b = append(b, op.TotalKey...)
	b = append(b, `":`...)
	b = strconv.AppendInt(b, int64(n), 10)
	s.send(w, r, append(b, '}'))
}

// send writes b unless the client has left, and reports whether it was
// written. It aborts the response if the Server is closed.
func (s *Server) send(w http.ResponseWriter, r *http.Request, b []byte) bool {
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

// Padding of echo_secret: the secrets come after this many characters.
const (
	echoPadCode   = 100
	echoPadMsg    = 1000
	echoPadHeader = 300
)

// echoSecret answers with an error that leaks the credential the request
// was signed with (see FaultEchoSecret).
func (s *Server) echoSecret(w http.ResponseWriter, r *http.Request, st *reqState, f *Fault) {
	cred := s.creds[s.p.AccessKey(r)] // the request passed Authenticate
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
	s.writeError(w, st, &Error{Status: f.Status, Code: padded(echoPadCode, cred.SecretKey), Message: padded(echoPadMsg, msg)})
}
