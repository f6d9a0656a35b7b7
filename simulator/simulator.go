// Package simulator is the provider-neutral machinery of the in-process
// fakes of cloud APIs that the tests, the benchmarks and the exporter's demo
// mode talk to. It imports no provider package: a provider package (today
// simulator/huaweicloud) supplies what is particular to its API through the
// Provider interface — routing, signature verification, error bodies, the
// operations and their simulated fleet — and embeds a Server.
//
// A Server serves a Provider over plain HTTP. It keeps the credential store,
// counts requests by operation and status, caps request bodies, holds the
// lock and the clock of the provider's fleet (Step, Run), and injects faults
// per operation and offset, by count or probability: latency, throttling,
// server errors, malformed and truncated bodies, hangs, redirects, echoed
// secrets and oversized pages. ServeVerbatim replaces an operation's answers
// by a fixed response.
//
// ParsePage, Window and List are offset paging and the rendering of a list
// answer; List applies the faults that alter a page (short, junk-filled,
// duplicated or ignored pages, broken lists, drifting totals, flooded enum
// values) in this one place for every provider. NewRecorder serves a
// listener that records where redirects lead.
//
// Request handling order: routing (an unknown path is answered 404 only
// after authentication), authentication (401), method check (405), faults
// that replace the response, ServeVerbatim responses, parameter validation
// (400), faults that alter the page, and the answer.
package simulator

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// OperationUnknown is the operation Requests and RequestsByStatus count
// requests for paths no operation serves under.
const OperationUnknown = "Unknown"

// maxBody bounds the request body, as API gateways do for signed requests
// (Huawei's: 12 MB).
const maxBody = 12 << 20

// Provider is one cloud API plugged into a Server: the Server does the
// HTTP, the accounting and the faults, and calls these hooks for
// everything particular to the API. The Server calls them from many
// goroutines at once.
type Provider interface {
	// Profile returns what every answer of the API shares. NewServer
	// reads it once.
	Profile() Profile
	// Route returns the operation a request is for. known is false when
	// no operation serves the path, whatever the method: the Server then
	// answers 404, but only once the request is authenticated. A path an
	// operation serves with another method than the request's is known:
	// the Server answers 405.
	Route(r *http.Request) (op Operation, known bool)
	// Authenticate verifies the signature of r, whose body is body, and
	// whatever else the API checks before anything else (the project of
	// the path, say), looking keys up with Server.Credential. It returns
	// the answer to a request that fails (401 or another status), or nil.
	// The answer must not contain a secret key or a security token.
	Authenticate(r *http.Request, body []byte) *Error
	// AccessKey returns the access key an authenticated request was
	// signed with (echo_secret answers with its credential).
	AccessKey(r *http.Request) string
	// ErrorBody renders the API's error object for e.
	ErrorBody(e *Error) []byte
	// Serve answers an authenticated request of op from the fleet,
	// appending the body to b (a recycled buffer; the Server recycles the
	// returned body too, so it must not be shared). It validates the
	// request's parameters first and returns their 400 answer, then
	// applies the page fault f (nil for none; see FaultKind), which the
	// Server passes only for list operations, for example by answering
	// with a List. The Server holds the fleet's read lock.
	Serve(op Operation, r *http.Request, b []byte, f *Fault) (status int, body []byte)
	// AppendOversizedItem appends the n-th (from 1) item of an
	// oversized_page answer to op: a small, valid item with a unique id.
	AppendOversizedItem(b []byte, op Operation, n int) []byte
	// Step advances the fleet by one tick at now. The Server holds the
	// fleet's write lock.
	Step(now time.Time)
}

// Profile is what every answer of a provider's API shares.
type Profile struct {
	// Header holds the headers of every response besides X-Request-Id
	// (a random id, unique per response) and Content-Type
	// (application/json), e.g. Server: api-gateway.
	Header http.Header
	// Errors are the API's codes for the answers the Server gives itself.
	Errors ErrorCodes
	// FloodFields are the item fields an enum_flood fault may name, in
	// the order a fault without Fields fills them.
	FloodFields []string
}

// ErrorCode is one of the API's error codes with its message.
type ErrorCode struct{ Code, Message string }

// ErrorCodes are the API's codes for the answers the Server gives itself;
// the Server chooses their status and detail.
type ErrorCodes struct {
	// Throttled answers a throttle fault (429, with Retry-After).
	Throttled ErrorCode
	// Internal answers a server_error fault of status 500, 502 or 503.
	Internal ErrorCode
	// GatewayTimeout answers a server_error fault of status 504 and the
	// end of a timeout fault's hang.
	GatewayTimeout ErrorCode
	// NotFound answers a path no operation serves (404).
	NotFound ErrorCode
	// MethodNotAllowed answers a method the operation does not allow (405).
	MethodNotAllowed ErrorCode
	// BodyTooLarge answers a request body over 12 MB (413).
	BodyTooLarge ErrorCode
	// UnreadableBody answers a request body that could not be read (400).
	UnreadableBody ErrorCode
}

// Operation is an operation of the simulated API, as Provider.Route names
// it.
type Operation struct {
	// Name identifies the operation in Requests, RequestsByStatus,
	// Fault.Operation and ServeVerbatim, e.g. "ListDesktopsDetail".
	Name string
	// Method is the one HTTP method the operation allows.
	Method string
	// ListKey and TotalKey name the item array and the total field of a
	// list operation's answer, and are empty for an operation that is not
	// a list: page faults and oversized_page never hit such an operation.
	// They are written into JSON as they are.
	ListKey, TotalKey string
}

// Error is an error answer of the simulated API: an HTTP status and the
// code, message and detail that Provider.ErrorBody renders.
type Error struct {
	Status                int
	Code, Message, Detail string
}

// Credential is an access key a Server accepts. SecurityToken is set for
// temporary keys, which the provider's Authenticate then wants with the
// request.
type Credential struct{ AccessKey, SecretKey, SecurityToken string }

// ServerOptions configures a Server.
type ServerOptions struct {
	// Credentials are the accepted access keys. At least one is required;
	// access keys must be unique.
	Credentials []Credential
	// Seed makes probability faults deterministic.
	Seed int64
	// Now is the fleet's clock, passed to Provider.Step (default
	// time.Now).
	Now func() time.Time
	// TotalCount selects how list answers report their total (default
	// TotalExact).
	TotalCount TotalCountMode
}

// Server serves a Provider over HTTP. It is an http.Handler; Start serves
// it on a listener. All methods are safe for concurrent use.
type Server struct {
	p           Provider
	creds       map[string]Credential
	now         func() time.Time
	header      http.Header
	codes       ErrorCodes
	floodFields []string

	mu sync.RWMutex // guards the provider's fleet: read for Serve, write for Step

	cfgMu     sync.Mutex // guards the fields below
	faults    []*faultRule
	faultRNG  *mrand.Rand
	verbatim  map[string]verbatimResponse
	totalMode TotalCountMode

	statsMu  sync.Mutex
	requests map[string]int64
	byStatus map[string]map[int]int64

	malformed atomic.Uint64
	pages     sync.Pool // of *[]byte

	srvMu     sync.Mutex
	srv       *http.Server
	done      chan struct{}
	closeOnce sync.Once
}

type verbatimResponse struct {
	status int
	body   []byte
}

// NewServer validates o and returns a Server for p, not yet started.
func NewServer(p Provider, o ServerOptions) (*Server, error) {
	if len(o.Credentials) == 0 {
		return nil, errors.New("simulator: at least one credential is required")
	}
	creds := make(map[string]Credential, len(o.Credentials))
	for i, c := range o.Credentials {
		if c.AccessKey == "" || c.SecretKey == "" {
			return nil, fmt.Errorf("simulator: credential %d: AccessKey and SecretKey are required", i)
		}
		if _, dup := creds[c.AccessKey]; dup {
			return nil, fmt.Errorf("simulator: credential %d: access key %q is configured twice", i, c.AccessKey)
		}
		creds[c.AccessKey] = c
	}
	if !o.TotalCount.valid() {
		return nil, fmt.Errorf("simulator: unknown TotalCount mode %d", int(o.TotalCount))
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	prof := p.Profile()
	header := http.Header{}
	for k, vs := range prof.Header {
		for _, v := range vs {
			header.Add(k, v) // canonical keys
		}
	}
	return &Server{
		p:           p,
		creds:       creds,
		now:         o.Now,
		header:      header.Clone(), // each value slice at full capacity: ServeHTTP shares them
		codes:       prof.Errors,
		floodFields: append([]string(nil), prof.FloodFields...),
		faultRNG:    mrand.New(mrand.NewPCG(uint64(o.Seed), 0xfa017)),
		verbatim:    map[string]verbatimResponse{},
		totalMode:   o.TotalCount,
		requests:    map[string]int64{},
		byStatus:    map[string]map[int]int64{},
		done:        make(chan struct{}),
	}, nil
}

// Start serves the Server over plain HTTP on addr (e.g. "127.0.0.1:0") and
// returns its base URL, e.g. "http://127.0.0.1:41234". A Server is started
// at most once.
func (s *Server) Start(addr string) (string, error) {
	s.srvMu.Lock()
	defer s.srvMu.Unlock()
	select {
	case <-s.done:
		return "", errors.New("simulator: closed")
	default:
	}
	if s.srv != nil {
		return "", errors.New("simulator: already started")
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("simulator: %w", err)
	}
	s.srv = &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 30 * time.Second,
		ErrorLog:          log.New(io.Discard, "", 0),
	}
	go func() { _ = s.srv.Serve(ln) }()
	tcp := ln.Addr().(*net.TCPAddr)
	host := tcp.IP.String()
	if tcp.IP.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, strconv.Itoa(tcp.Port)), nil
}

// Close stops the server started by Start, closing its connections, and
// aborts requests held by latency and timeout faults or streaming an
// oversized page (including those served through ServeHTTP by another
// server). It is idempotent.
func (s *Server) Close() error {
	s.srvMu.Lock()
	defer s.srvMu.Unlock()
	var err error
	if s.srv != nil {
		err = s.srv.Close()
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
	}
	s.closeOnce.Do(func() { close(s.done) })
	return err
}

// Now returns the time on the Server's clock (ServerOptions.Now).
func (s *Server) Now() time.Time { return s.now() }

// Step advances the provider's fleet by one tick: it calls Provider.Step
// with the clock's time, holding the fleet's write lock.
func (s *Server) Step() {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.p.Step(now)
}

// Run calls Step every interval (10s if every <= 0) until ctx is done or
// the Server is closed.
func (s *Server) Run(ctx context.Context, every time.Duration) {
	if every <= 0 {
		every = 10 * time.Second
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.done:
			return
		case <-t.C:
			s.Step()
		}
	}
}

// ReadFleet calls f holding the fleet's read lock, for a provider that
// reads its fleet outside Serve.
func (s *Server) ReadFleet(f func()) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	f()
}

// UpdateFleet calls f holding the fleet's write lock, for a provider that
// changes its fleet outside Step.
func (s *Server) UpdateFleet(f func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f()
}

// Credential returns the accepted credential of an access key, for
// Provider.Authenticate.
func (s *Server) Credential(accessKey string) (Credential, bool) {
	c, ok := s.creds[accessKey]
	return c, ok
}

// Requests returns how many requests of the operation reached the handler,
// whatever their outcome (rejected, faulted, or still in progress).
// Operation "" sums all operations; OperationUnknown counts the paths no
// operation serves.
func (s *Server) Requests(operation string) int64 {
	s.statsMu.Lock()
	defer s.statsMu.Unlock()
	if operation == "" {
		var n int64
		for _, v := range s.requests {
			n += v
		}
		return n
	}
	return s.requests[operation]
}

// RequestsByStatus returns the answered requests of the operation ("" for
// all) by HTTP status, each accounted as its answer starts (before the
// client can read it). Status 0 counts requests that got no response
// because the client gave up or the Server closed during a delay.
func (s *Server) RequestsByStatus(operation string) map[int]int64 {
	s.statsMu.Lock()
	defer s.statsMu.Unlock()
	out := map[int]int64{}
	for op, m := range s.byStatus {
		if operation != "" && op != operation {
			continue
		}
		for st, n := range m {
			out[st] += n
		}
	}
	return out
}

// ResetCounters zeroes the request counters.
func (s *Server) ResetCounters() {
	s.statsMu.Lock()
	defer s.statsMu.Unlock()
	s.requests = map[string]int64{}
	s.byStatus = map[string]map[int]int64{}
}

// ServeVerbatim makes subsequent authenticated requests of the operation
// get exactly status and body (with Content-Type application/json), for
// example a response copied from the API reference. Faults still apply
// first. A nil body restores normal answers.
func (s *Server) ServeVerbatim(operation string, status int, body []byte) {
	s.cfgMu.Lock()
	defer s.cfgMu.Unlock()
	if body == nil {
		delete(s.verbatim, operation)
		return
	}
	s.verbatim[operation] = verbatimResponse{status: status, body: append([]byte(nil), body...)}
}

// SetTotalCountMode changes how list answers report their total. Unknown
// modes are ignored.
func (s *Server) SetTotalCountMode(m TotalCountMode) {
	if !m.valid() {
		return
	}
	s.cfgMu.Lock()
	defer s.cfgMu.Unlock()
	s.totalMode = m
}

// TotalCountMode returns how list answers report their total, for the
// provider's List.Mode.
func (s *Server) TotalCountMode() TotalCountMode {
	s.cfgMu.Lock()
	defer s.cfgMu.Unlock()
	return s.totalMode
}

// reqState follows one request through the handler.
type reqState struct {
	s      *Server
	name   string // the operation, for accounting
	status int    // 0 until a response is started
}

// respond accounts the request's answer by status before the answer is
// sent, so that a client that has read a response finds it accounted.
func (st *reqState) respond(status int) {
	st.status = status
	st.s.countStatus(st.name, status)
}

func (s *Server) countStatus(name string, status int) {
	s.statsMu.Lock()
	defer s.statsMu.Unlock()
	m := s.byStatus[name]
	if m == nil {
		m = map[int]int64{}
		s.byStatus[name] = m
	}
	m[status]++
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("X-Request-Id", newRequestID())
	for k, v := range s.header {
		h[k] = v // at full capacity (NewServer): an Add to h copies, never writes into it
	}
	h.Set("Content-Type", "application/json")

	op, known := s.p.Route(r)
	name := op.Name
	if !known {
		name = OperationUnknown
	}
	s.statsMu.Lock()
	s.requests[name]++
	s.statsMu.Unlock()
	st := &reqState{s: s, name: name}
	defer func() {
		if st.status == 0 { // no answer: the client left or the server closed
			s.countStatus(name, 0)
		}
	}()

	var body []byte
	var err error
	if r.Body != nil {
		body, err = io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	}
	if err != nil {
		s.writeError(w, st, s.errorOf(http.StatusBadRequest, s.codes.UnreadableBody, "The request body could not be read."))
		return
	}
	if len(body) > maxBody {
		s.writeError(w, st, s.errorOf(http.StatusRequestEntityTooLarge, s.codes.BodyTooLarge, "The request body exceeds 12 MB."))
		return
	}
	if e := s.p.Authenticate(r, body); e != nil {
		s.writeError(w, st, e)
		return
	}
	if !known {
		s.writeError(w, st, s.errorOf(http.StatusNotFound, s.codes.NotFound, ""))
		return
	}
	if r.Method != op.Method {
		h.Set("Allow", op.Method)
		s.writeError(w, st, s.errorOf(http.StatusMethodNotAllowed, s.codes.MethodNotAllowed, "Method "+r.Method+" is not allowed; use "+op.Method+"."))
		return
	}

	var buf *[]byte // page buffer, recycled once the response is written
	defer func() {
		if buf != nil && cap(*buf) <= 8<<20 {
			s.pages.Put(buf)
		}
	}()
	// answer is the response to the request, with the page fault f (nil
	// for none) applied. A ServeVerbatim response applies only without one.
	answer := func(f *Fault) (int, []byte) {
		if f == nil {
			s.cfgMu.Lock()
			v, ok := s.verbatim[op.Name]
			s.cfgMu.Unlock()
			if ok {
				return v.status, v.body
			}
		}
		buf, _ = s.pages.Get().(*[]byte)
		if buf == nil {
			buf = new([]byte)
		}
		s.mu.RLock()
		status, body := s.p.Serve(op, r, (*buf)[:0], f)
		s.mu.RUnlock()
		*buf = body
		return status, body
	}
	delay, fault := s.pickFaults(op, r)
	if !s.sleep(r, delay) {
		return
	}
	if fault != nil && !fault.Kind.reshapesPage() {
		s.serveFault(w, r, st, op, fault, func() (int, []byte) { return answer(nil) })
		return
	}
	status, out := answer(fault)
	s.write(w, st, status, out)
}

// errorOf is the answer of status with the API's code c and detail.
func (s *Server) errorOf(status int, c ErrorCode, detail string) *Error {
	return &Error{Status: status, Code: c.Code, Message: c.Message, Detail: detail}
}

func (s *Server) write(w http.ResponseWriter, st *reqState, status int, body []byte) {
	st.respond(status)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func (s *Server) writeError(w http.ResponseWriter, st *reqState, e *Error) {
	s.write(w, st, e.Status, s.p.ErrorBody(e))
}

func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
