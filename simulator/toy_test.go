package simulator

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

// toy is the tiny provider the tests of the shared machinery run on:
//
//   - GET /v1/items (ListItems) lists items {"id":"item-0001","mood":"calm",
//     "state":"on"} with offset paging (limit 1..20, default 20), a state
//     filter and the total under "count";
//   - GET /v1/status (GetStatus) answers {"ok":true}: not a list.
//
// Requests are signed "Authorization: Toy <access key>:<secret key>" and,
// with a temporary key, carry its token in X-Toy-Token. Errors are
// {"code","detail","message","status"}. Step turns every third item off
// and on and adds an item.
type toy struct {
	srv      *Server
	items    []*toyItem // guarded by the Server's fleet lock
	flood    []string   // Profile.FloodFields
	lastStep time.Time  // the time of the last Step
}

type toyItem struct{ id, state, mood string }

const (
	toyAK     = "TOYAK"
	toySK     = "toy-secret-key"
	toyTempAK = "TOYTEMPAK"
	toyTempSK = "toy-temporary-secret"
	toyToken  = "toy-security-token"
)

var (
	opItems  = Operation{Name: "ListItems", Method: http.MethodGet, ListKey: "items", TotalKey: "count"}
	opStatus = Operation{Name: "GetStatus", Method: http.MethodGet}

	toyLimits = Limits{
		Min: 1, Max: 20, Default: 20,
		BadOffset: &Error{Status: http.StatusBadRequest, Code: "TOY.OFFSET", Message: "Bad offset."},
		BadLimit:  &Error{Status: http.StatusBadRequest, Code: "TOY.LIMIT", Message: "Bad limit."},
	}
)

func (p *toy) Profile() Profile {
	return Profile{
		Header: http.Header{"server": {"toy-gateway"}}, // not canonical: NewServer canonicalises
		Errors: ErrorCodes{
			Throttled:        ErrorCode{"TOY.429", "Slow down."},
			Internal:         ErrorCode{"TOY.500", "Oops."},
			GatewayTimeout:   ErrorCode{"TOY.504", "Too slow."},
			NotFound:         ErrorCode{"TOY.404", "No such thing."},
			MethodNotAllowed: ErrorCode{"TOY.405", "Wrong method."},
			BodyTooLarge:     ErrorCode{"TOY.413", "Too big."},
			UnreadableBody:   ErrorCode{"TOY.400", "Unreadable."},
		},
		FloodFields: p.flood,
	}
}

func (p *toy) Route(r *http.Request) (Operation, bool) {
	switch r.URL.Path {
	case "/v1/items":
		return opItems, true
	case "/v1/status":
		return opStatus, true
	}
	return Operation{}, false
}

// toyAuth parses the Authorization header.
func toyAuth(r *http.Request) (ak, sk string, ok bool) {
	v, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Toy ")
	if !ok {
		return "", "", false
	}
	return strings.Cut(v, ":")
}

func (p *toy) Authenticate(r *http.Request, _ []byte) *Error {
	ak, sk, ok := toyAuth(r)
	cred, known := p.srv.Credential(ak)
	if !ok || !known || cred.SecretKey != sk || cred.SecurityToken != r.Header.Get("X-Toy-Token") {
		return &Error{Status: http.StatusUnauthorized, Code: "TOY.401", Message: "Who are you?"}
	}
	return nil
}

func (p *toy) AccessKey(r *http.Request) string {
	ak, _, _ := toyAuth(r)
	return ak
}

func (p *toy) ErrorBody(e *Error) []byte {
	b, _ := json.Marshal(toyError{Status: e.Status, Code: e.Code, Message: e.Message, Detail: e.Detail})
	return b
}

type toyError struct {
	Code    string `json:"code"`
	Detail  string `json:"detail"`
	Message string `json:"message"`
	Status  int    `json:"status"`
}

func (p *toy) Serve(op Operation, r *http.Request, b []byte, f *Fault) (int, []byte) {
	if op.Name == opStatus.Name {
		return http.StatusOK, append(b, `{"ok":true}`...)
	}
	q := r.URL.Query()
	page, e := ParsePage(q, toyLimits)
	if e != nil {
		return e.Status, p.ErrorBody(e)
	}
	var match func(*toyItem) bool
	if st := q.Get("state"); st != "" {
		match = func(it *toyItem) bool { return it.state == st }
	}
	l := List[*toyItem]{
		ListKey: op.ListKey, TotalKey: op.TotalKey, Mode: p.srv.TotalCountMode(),
		Items: p.items, Match: match, Page: page,
		Append: appendToyItem, Flood: floodToyItem, ItemSize: 48,
	}
	return http.StatusOK, l.AppendTo(b, f)
}

func appendToyItem(b []byte, it *toyItem) []byte {
	j, _ := json.Marshal(toyItemJSON{ID: it.id, Mood: it.mood, State: it.state})
	return append(b, j...)
}

func floodToyItem(it *toyItem, fields []string) *toyItem {
	c := *it
	for _, f := range fields {
		switch f {
		case "state":
			c.state = FloodPrefix + c.id
		case "mood":
			c.mood = FloodPrefix + c.id
		}
	}
	return &c
}

func (p *toy) AppendOversizedItem(b []byte, _ Operation, n int) []byte {
	return append(strconv.AppendInt(append(b, `{"id":"big-`...), int64(n), 10), `"}`...)
}

func (p *toy) Step(now time.Time) {
	for i := 0; i < len(p.items); i += 3 {
		if p.items[i].state == "on" {
			p.items[i].state = "off"
		} else {
			p.items[i].state = "on"
		}
	}
	p.items = append(p.items, newToyItem(len(p.items)))
	p.lastStep = now
}

// newToyItem is the n-th (from 0) item: on unless n is a multiple of 4,
// calm unless n is odd.
func newToyItem(n int) *toyItem {
	it := &toyItem{id: "item-" + strconv.Itoa(10000 + n + 1)[1:], state: "on", mood: "calm"}
	if n%4 == 0 {
		it.state = "off"
	}
	if n%2 == 1 {
		it.mood = "grumpy"
	}
	return it
}

// toyOptions accepts a permanent and a temporary key.
func toyOptions() ServerOptions {
	return ServerOptions{
		Credentials: []Credential{
			{AccessKey: toyAK, SecretKey: toySK},
			{AccessKey: toyTempAK, SecretKey: toyTempSK, SecurityToken: toyToken},
		},
		Seed: 42,
	}
}

// newToy returns a Server for a toy of n items that floods state and
// mood, not started.
func newToy(t testing.TB, n int, o ServerOptions) (*Server, *toy) {
	t.Helper()
	p := &toy{flood: []string{"state", "mood"}}
	for i := range n {
		p.items = append(p.items, newToyItem(i))
	}
	s, err := NewServer(p, o)
	if err != nil {
		t.Fatal(err)
	}
	p.srv = s
	return s, p
}

// startToy starts a toy of n items on loopback and closes it when the test
// ends.
func startToy(t testing.TB, n int) (*Server, string) {
	t.Helper()
	s, _ := newToy(t, n, toyOptions())
	return s, startServer(t, s)
}

func startServer(t testing.TB, s *Server) string {
	t.Helper()
	base, err := s.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return base
}

// req describes a toy request; the zero value is a GET of /v1/items
// signed with the permanent key.
type req struct {
	method, path string
	query        url.Values
	ak, sk       string
	token        string
	body         io.Reader
}

// toyRequest builds the request o describes.
func toyRequest(t testing.TB, base string, o req) *http.Request {
	t.Helper()
	if o.method == "" {
		o.method = http.MethodGet
	}
	if o.path == "" {
		o.path = "/v1/items"
	}
	if o.ak == "" {
		o.ak, o.sk = toyAK, toySK
	}
	u := base + o.path
	if len(o.query) > 0 {
		u += "?" + o.query.Encode()
	}
	r, err := http.NewRequest(o.method, u, o.body)
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Set("Authorization", "Toy "+o.ak+":"+o.sk)
	if o.token != "" {
		r.Header.Set("X-Toy-Token", o.token)
	}
	return r
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func do(t testing.TB, r *http.Request) response {
	t.Helper()
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{resp.StatusCode, resp.Header, body}
}

// get does a toy request.
func get(t testing.TB, base string, o req) response {
	t.Helper()
	return do(t, toyRequest(t, base, o))
}

// toyErr decodes an error body.
func toyErr(t testing.TB, r response) toyError {
	t.Helper()
	var e toyError
	if err := json.Unmarshal(r.body, &e); err != nil {
		t.Fatalf("error body %q is not JSON: %v", r.body, err)
	}
	return e
}

type toyItemJSON struct {
	ID    string `json:"id"`
	Mood  string `json:"mood"`
	State string `json:"state"`
}

type itemsBody struct {
	Items []toyItemJSON `json:"items"`
	Count *int          `json:"count"`
}

// list fetches a page of items with the query; the body is decoded when
// the status is 200.
func list(t testing.TB, base string, query url.Values) (response, itemsBody) {
	t.Helper()
	r := get(t, base, req{query: query})
	var ib itemsBody
	if r.status == http.StatusOK {
		if err := json.Unmarshal(r.body, &ib); err != nil {
			t.Fatalf("list body %s is not JSON: %v", r.body, err)
		}
	}
	return r, ib
}

// page fetches the page at offset with the given limit and wants 200.
func page(t testing.TB, base string, offset, limit int) itemsBody {
	t.Helper()
	r, ib := list(t, base, url.Values{"offset": {strconv.Itoa(offset)}, "limit": {strconv.Itoa(limit)}})
	if r.status != http.StatusOK {
		t.Fatalf("offset %d: status %d: %s", offset, r.status, r.body)
	}
	return ib
}

// ids are the ids of the toy's n items from first, as served.
func ids(first, n int) []string {
	out := []string{}
	for i := first; i < first+n; i++ {
		out = append(out, newToyItem(i).id)
	}
	return out
}

func idsOf(items []toyItemJSON) []string {
	out := []string{}
	for _, it := range items {
		out = append(out, it.ID)
	}
	return out
}

// eventually polls cond for up to five seconds.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func ptr(i int) *int { return &i }

func deref(p *int) string {
	if p == nil {
		return "absent"
	}
	return strconv.Itoa(*p)
}
