// Package simulator is an in-process fake of the Huawei Cloud Workspace API
// for tests, benchmarks and the exporter's demo mode.
//
// It serves GET /v2/{project_id}/desktops/detail (ListDesktopsDetail, API
// reference §4.3.8) over plain HTTP from a generated, evolving fleet of
// desktops, and verifies every request's SDK-HMAC-SHA256 signature the way
// the API gateway does, so production code signed by the official SDK
// cannot tell it from the real service on that path. Faults (latency,
// throttling, server errors, malformed and truncated bodies, hangs) and
// hostile answers (short, oversized, junk-filled, duplicated or ignored
// pages, broken lists, drifting totals, flooded enum values, redirects and
// echoed secrets) can be injected per operation and offset, by count or
// probability. NewRecorder serves a listener that records where redirects
// lead.
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
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/workspace-exporter/workspace_exporter/client/huaweicloud/hwspec"
)

// Operation names, as used by Requests, Fault.Operation and ServeVerbatim.
const (
	// OperationListDesktopsDetail is GET /v2/{project_id}/desktops/detail.
	OperationListDesktopsDetail = hwspec.OpListDesktopsDetail
	// OperationUnknown counts requests for paths the simulator does not serve.
	OperationUnknown = "Unknown"
)

// DefaultMaxLimit is the largest accepted limit unless Options.MaxLimit says
// otherwise; it is the documented maximum of ListDesktopsDetail.
var DefaultMaxLimit = hwspec.Spec.Operation(hwspec.OpListDesktopsDetail).MaxLimit

// maxBody bounds the request body, as the API gateway does for AK/SK requests.
const maxBody = 12 << 20

// TotalCountMode is how a list response reports total_count. The API's
// examples show placeholders (0, 2147483647) and omitted totals, so a
// client must not rely on the field; these modes reproduce that.
type TotalCountMode int

const (
	// TotalExact reports the number of desktops that match the request.
	TotalExact TotalCountMode = iota
	// TotalOmitted leaves total_count out of the response.
	TotalOmitted
	// TotalZero always reports 0.
	TotalZero
	// TotalMaxInt always reports 2147483647.
	TotalMaxInt
	// TotalStale reports 7 fewer than the real count (never below 0), as if
	// desktops had been deleted since the walk started.
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

// Credential is an access key the simulator accepts. SecurityToken is set
// for temporary keys; requests signed with it must then carry the token in
// X-Security-Token.
type Credential struct{ AccessKey, SecretKey, SecurityToken string }

// Options configures a Simulator.
type Options struct {
	// ProjectID is the project the simulated tenant lives in; requests for
	// any other project are rejected with WKS.00010025. Required.
	ProjectID string
	// Credentials are the accepted access keys. At least one is required.
	Credentials []Credential
	// Desktops is the size of the initial fleet.
	Desktops int
	// Seed makes fleet generation, Step and probability faults
	// deterministic. Creation times also depend on the clock: the initial
	// fleet is dated before the day of Now() at New, desktops created by
	// Step at Now().
	Seed int64
	// MaxLimit is the largest accepted limit, 1..1000 (default 500).
	MaxLimit int
	// TotalCount selects how total_count is reported (default TotalExact).
	TotalCount TotalCountMode
	// Now is the simulator's clock, used to check X-Sdk-Date (±15 minutes)
	// and to date desktops. Default time.Now.
	Now func() time.Time
}

// Simulator is a fake Workspace API. It is an http.Handler; Start serves it
// on a listener. All methods are safe for concurrent use.
type Simulator struct {
	projectID string
	creds     map[string]Credential
	maxLimit  int
	now       func() time.Time

	mu    sync.RWMutex // guards fleet
	fleet *fleet

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

// New validates opts and generates the initial fleet (about 60 ms for
// 100,000 desktops).
func New(opts Options) (*Simulator, error) {
	if opts.ProjectID == "" || strings.ContainsAny(opts.ProjectID, "/?#") {
		return nil, fmt.Errorf("simulator: ProjectID must be non-empty and contain no '/', '?' or '#', got %q", opts.ProjectID)
	}
	if len(opts.Credentials) == 0 {
		return nil, errors.New("simulator: at least one credential is required")
	}
	creds := make(map[string]Credential, len(opts.Credentials))
	for i, c := range opts.Credentials {
		if c.AccessKey == "" || c.SecretKey == "" {
			return nil, fmt.Errorf("simulator: credential %d: AccessKey and SecretKey are required", i)
		}
		if _, dup := creds[c.AccessKey]; dup {
			return nil, fmt.Errorf("simulator: credential %d: access key %q is configured twice", i, c.AccessKey)
		}
		creds[c.AccessKey] = c
	}
	if opts.Desktops < 0 || opts.Desktops > 10_000_000 {
		return nil, fmt.Errorf("simulator: Desktops must be in 0..10000000, got %d", opts.Desktops)
	}
	switch {
	case opts.MaxLimit == 0:
		opts.MaxLimit = DefaultMaxLimit
	case opts.MaxLimit < 1 || opts.MaxLimit > 1000:
		return nil, fmt.Errorf("simulator: MaxLimit must be in 1..1000, got %d", opts.MaxLimit)
	}
	if !opts.TotalCount.valid() {
		return nil, fmt.Errorf("simulator: unknown TotalCount mode %d", int(opts.TotalCount))
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Simulator{
		projectID: opts.ProjectID,
		creds:     creds,
		maxLimit:  opts.MaxLimit,
		now:       opts.Now,
		fleet:     newFleet(opts.Seed, opts.Desktops, opts.Now()),
		faultRNG:  mrand.New(mrand.NewPCG(uint64(opts.Seed), 0xfa017)),
		verbatim:  map[string]verbatimResponse{},
		totalMode: opts.TotalCount,
		requests:  map[string]int64{},
		byStatus:  map[string]map[int]int64{},
		done:      make(chan struct{}),
	}, nil
}

// Start serves the simulator over plain HTTP on addr (e.g. "127.0.0.1:0")
// and returns its base URL, e.g. "http://127.0.0.1:41234". A simulator is
// started at most once.
func (s *Simulator) Start(addr string) (string, error) {
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
// aborts requests held by latency and timeout faults (including those
// served through ServeHTTP by another server). It is idempotent.
func (s *Simulator) Close() error {
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

// Step advances the fleet by one tick. Desktops power off, hibernate, start
// and fail; operations run through their documented task_status values
// (e.g. powering-on, whose status change is applied at the next step) with
// a 0..100 process; users connect and disconnect; a few desktops are
// created (scheduling … spawning) and deleted (deleting, then gone the step
// after, or sometimes deleteFailed). The result depends only on the seed,
// the fleet and, for the creation time of new desktops, the clock.
func (s *Simulator) Step() {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fleet.step(now)
}

// Run calls Step every interval (10s if every <= 0) until ctx is done or
// the simulator is closed.
func (s *Simulator) Run(ctx context.Context, every time.Duration) {
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

// Desktops returns a copy of the current fleet in list order, in the
// shape the API serves.
func (s *Simulator) Desktops() []Desktop {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]Desktop, len(s.fleet.recs))
	for i, r := range s.fleet.recs {
		out[i] = r.view()
	}
	return out
}

// SetDesktops replaces the fleet with copies of ds, served in that order
// exactly as given (nil slices and maps as [] and {}). Step evolves them
// like generated desktops.
func (s *Simulator) SetDesktops(ds []Desktop) {
	recs := make([]*record, len(ds))
	for i, d := range ds {
		recs[i] = recordFor(d)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fleet.recs = recs
}

// Requests returns how many requests of the operation reached the handler,
// whatever their outcome (rejected, faulted, or still in progress).
// Operation "" sums all operations.
func (s *Simulator) Requests(operation string) int64 {
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

// RequestsByStatus returns the finished requests of the operation ("" for
// all) by HTTP status. Status 0 counts requests that got no response
// because the client gave up or the simulator closed during a delay.
func (s *Simulator) RequestsByStatus(operation string) map[int]int64 {
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
func (s *Simulator) ResetCounters() {
	s.statsMu.Lock()
	defer s.statsMu.Unlock()
	s.requests = map[string]int64{}
	s.byStatus = map[string]map[int]int64{}
}

// InjectFault adds a fault rule. Rules are evaluated in the order they were
// added: every latency rule that fires adds its delay, and the first other
// rule that fires decides the response. InjectFault panics if f is invalid
// (unknown kind, Count < 0, Probability outside (0, 1] when Count is 0, a
// non-positive latency, a status the kind does not allow, a negative Items
// or offset, an unknown Variant or field, a redirect without an absolute
// http(s) Location); ParseFaults returns such problems as errors.
func (s *Simulator) InjectFault(f Fault) {
	f.Offsets, f.Fields = slices.Clone(f.Offsets), slices.Clone(f.Fields)
	if err := f.validate(); err != nil {
		panic("simulator: InjectFault: " + err.Error())
	}
	s.cfgMu.Lock()
	defer s.cfgMu.Unlock()
	s.faults = append(s.faults, &faultRule{Fault: f, left: f.Count})
}

// ClearFaults removes all fault rules.
func (s *Simulator) ClearFaults() {
	s.cfgMu.Lock()
	defer s.cfgMu.Unlock()
	s.faults = nil
}

// ServeVerbatim makes subsequent authenticated requests of the operation
// get exactly status and body (with Content-Type application/json), for
// example a response copied from the API reference. Faults still apply
// first. A nil body restores normal answers.
func (s *Simulator) ServeVerbatim(operation string, status int, body []byte) {
	s.cfgMu.Lock()
	defer s.cfgMu.Unlock()
	if body == nil {
		delete(s.verbatim, operation)
		return
	}
	s.verbatim[operation] = verbatimResponse{status: status, body: append([]byte(nil), body...)}
}

// SetTotalCountMode changes how total_count is reported. Unknown modes are
// ignored.
func (s *Simulator) SetTotalCountMode(m TotalCountMode) {
	if !m.valid() {
		return
	}
	s.cfgMu.Lock()
	defer s.cfgMu.Unlock()
	s.totalMode = m
}

// reqState follows one request through the handler.
type reqState struct {
	status int // 0 until a response is written
}

// ServeHTTP implements http.Handler.
func (s *Simulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("X-Request-Id", newRequestID())
	h.Set("Server", "api-gateway")
	h.Set("Content-Type", "application/json")

	op, project := route(r.URL.Path)
	s.statsMu.Lock()
	s.requests[op]++
	s.statsMu.Unlock()
	st := &reqState{}
	defer func() {
		s.statsMu.Lock()
		m := s.byStatus[op]
		if m == nil {
			m = map[int]int64{}
			s.byStatus[op] = m
		}
		m[st.status]++
		s.statsMu.Unlock()
	}()

	var body []byte
	var err error
	if r.Body != nil {
		body, err = io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	}
	if err != nil {
		s.writeError(w, st, &apiError{status: http.StatusBadRequest, code: "WKS.0001", msg: "Invalid request parameter.", detail: "The request body could not be read."})
		return
	}
	if len(body) > maxBody {
		s.writeError(w, st, &apiError{status: http.StatusRequestEntityTooLarge, code: "WKS.0001", msg: "Invalid request parameter.", detail: "The request body exceeds 12 MB."})
		return
	}
	if e := s.authenticate(r, body, project); e != nil {
		s.writeError(w, st, e)
		return
	}
	if op == OperationUnknown {
		s.writeError(w, st, &apiError{status: http.StatusNotFound, code: "WKS.0010", msg: "No resources found in the system."})
		return
	}
	if r.Method != http.MethodGet {
		h.Set("Allow", http.MethodGet)
		s.writeError(w, st, &apiError{status: http.StatusMethodNotAllowed, code: "WKS.0001", msg: "Invalid request parameter.", detail: "Method " + r.Method + " is not allowed; use GET."})
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
			v, ok := s.verbatim[op]
			s.cfgMu.Unlock()
			if ok {
				return v.status, v.body
			}
		}
		buf, _ = s.pages.Get().(*[]byte)
		if buf == nil {
			buf = new([]byte)
		}
		status, body := s.listDesktops(r, (*buf)[:0], f)
		*buf = body
		return status, body
	}
	delay, fault := s.pickFaults(op, r)
	if !s.sleep(r, delay) {
		return
	}
	if fault != nil && !fault.Kind.reshapesPage() {
		s.serveFault(w, r, st, fault, func() (int, []byte) { return answer(nil) })
		return
	}
	status, out := answer(fault)
	s.write(w, st, status, out)
}

// route maps a path to its operation and the project it names ("" if none).
// route finds the operation of a GET path in the spec table the client
// uses (hwspec), and the project of the path.
func route(path string) (op, project string) {
	rest, ok := strings.CutPrefix(path, "/v2/")
	if !ok {
		return OperationUnknown, ""
	}
	project, _, ok = strings.Cut(rest, "/")
	if !ok || project == "" {
		return OperationUnknown, ""
	}
	row, ok := hwspec.Spec.Match(http.MethodGet, path)
	if !ok {
		return OperationUnknown, project
	}
	return row.Name, project
}

func (s *Simulator) write(w http.ResponseWriter, st *reqState, status int, body []byte) {
	st.status = status
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func (s *Simulator) writeError(w http.ResponseWriter, st *reqState, e *apiError) {
	s.write(w, st, e.status, errorBody(e.code, e.msg, e.detail))
}

// errorBody renders the API's error object.
func errorBody(code, msg, detail string) []byte {
	v := struct {
		Code   string `json:"error_code"`
		Msg    string `json:"error_msg"`
		Detail string `json:"error_detail,omitempty"`
	}{code, msg, detail}
	b, _ := json.Marshal(v) // three strings cannot fail to marshal
	return b
}

func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// listQuery is a validated ListDesktopsDetail request.
type listQuery struct {
	offset, limit int
	match         func(*record) bool // nil matches every desktop
}

// parseList validates the paging parameters and filters of q.
func (s *Simulator) parseList(q url.Values) (listQuery, *apiError) {
	lq := listQuery{limit: s.maxLimit, match: filters(q)}
	if v := q.Get("offset"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return lq, &apiError{status: http.StatusBadRequest, code: "WKS.0508", msg: "The value of offset cannot be smaller than 0."}
		}
		lq.offset = n
	}
	if v, ok := q["limit"]; ok {
		n, err := strconv.Atoi(v[0])
		if err != nil || n < 1 || n > s.maxLimit {
			return lq, &apiError{status: http.StatusBadRequest, code: "WKS.0509", msg: "The value of limit must be greater than 0 and smaller than 1000."}
		}
		lq.limit = n
	}
	return lq, nil
}

// page returns the matching desktops at positions offset..offset+limit-1
// of q and the number of matching desktops. The caller holds s.mu.
func (s *Simulator) page(q listQuery) (page []*record, total int) {
	recs := s.fleet.recs
	if q.match == nil {
		total = len(recs)
		start := min(q.offset, total)
		return recs[start : start+min(q.limit, total-start)], total
	}
	for _, rec := range recs {
		if q.match(rec) {
			if total >= q.offset && len(page) < q.limit {
				page = append(page, rec)
			}
			total++
		}
	}
	return page, total
}

// listing is a ListDesktopsDetail answer before it is rendered.
type listing struct {
	desktops []*record
	junk     int    // how many leading elements are replaced by junkItems
	badList  string // a bad_list variant replacing the desktops array, or ""
	total    int
	mode     TotalCountMode
}

// appendTo renders l as JSON.
func (l *listing) appendTo(b []byte) []byte {
	b = append(b, '{')
	switch l.badList {
	case "":
		b = slices.Grow(b, 64+3072*len(l.desktops))
		b = append(b, `"desktops":[`...)
		for i, rec := range l.desktops {
			if i > 0 {
				b = append(b, ',')
			}
			if i < l.junk {
				b = append(b, junkItems[i%len(junkItems)]...)
			} else {
				b = appendRecord(b, rec)
			}
		}
		b = append(b, ']')
	case BadListMissing:
	default:
		b = append(b, `"desktops":`...)
		b = append(b, badLists[l.badList]...)
	}
	if l.mode != TotalOmitted {
		if b[len(b)-1] != '{' {
			b = append(b, ',')
		}
		b = append(b, `"total_count":`...)
		b = strconv.AppendInt(b, int64(l.mode.report(l.total)), 10)
	}
	return append(b, '}')
}

// report is the total_count the mode reports for total matching desktops
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

// listDesktops answers ListDesktopsDetail, with the page fault f (nil for
// none) applied, appending the body to b.
func (s *Simulator) listDesktops(r *http.Request, b []byte, f *Fault) (int, []byte) {
	q, e := s.parseList(r.URL.Query())
	if e != nil {
		return e.status, errorBody(e.code, e.msg, e.detail)
	}
	s.cfgMu.Lock()
	l := listing{mode: s.totalMode}
	s.cfgMu.Unlock()

	s.mu.RLock()
	defer s.mu.RUnlock()
	l.desktops, l.total = s.page(q)
	if f != nil {
		s.reshape(f, q, &l)
	}
	return http.StatusOK, l.appendTo(b)
}

// filters returns a predicate for the supported query filters of
// ListDesktopsDetail (status, desktop_id, pool_id, desktop_type,
// availability_zone, user_name, computer_name), or nil when none is set.
// Repeated parameters and comma-separated values are alternatives.
func filters(q map[string][]string) func(*record) bool {
	var preds []func(*record) bool
	add := func(key string, field func(*record) string) {
		vs, ok := q[key]
		if !ok {
			return
		}
		set := map[string]bool{}
		for _, v := range vs {
			for part := range strings.SplitSeq(v, ",") {
				if part = strings.TrimSpace(part); part != "" {
					set[part] = true
				}
			}
		}
		if len(set) == 0 {
			return
		}
		preds = append(preds, func(r *record) bool { return set[field(r)] })
	}
	add("status", func(r *record) string { return r.status })
	add("desktop_id", func(r *record) string { return r.id })
	add("pool_id", (*record).poolID)
	add("desktop_type", (*record).desktopType)
	add("availability_zone", (*record).availabilityZone)
	add("user_name", func(r *record) string { return r.user })
	add("computer_name", func(r *record) string { return r.name })
	if len(preds) == 0 {
		return nil
	}
	return func(r *record) bool {
		for _, p := range preds {
			if !p(r) {
				return false
			}
		}
		return true
	}
}
