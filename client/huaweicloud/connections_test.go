package huaweicloud

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/workspace-exporter/workspace_exporter/client"
	"github.com/workspace-exporter/workspace_exporter/model"
)

// Every documented example response of the connections domain decodes
// (testdata/README.md says where each comes from).
func TestDecodeConnectionSeedExamples(t *testing.T) {
	for _, file := range []string{"testdata/list_connect_desktops_seed003.json", "testdata/list_connect_desktops_seed004.json"} {
		t.Run(file, func(t *testing.T) {
			ds, total, known, invalid, err := DecodeConnectDesktopsPage(mustReadFile(t, file))
			if err != nil {
				t.Fatal(err)
			}
			// total_count 0 beside one desktop: the documented placeholder,
			// read as sent (the walk does not trust it).
			if !known || total != 0 || invalid != 0 {
				t.Errorf("total %d known %v invalid %d", total, known, invalid)
			}
			want := []model.DesktopConnection{{DesktopID: "string", DesktopName: "string", ConnectStatus: "string", Users: []string{"string"}}}
			if !reflect.DeepEqual(ds, want) {
				t.Errorf("got %+v\nwant %+v", ds, want)
			}
		})
	}
	t.Run("list_connection_status_seed003", func(t *testing.T) {
		groups, invalid, err := DecodeConnectionStatus(mustReadFile(t, "testdata/list_connection_status_seed003.json"))
		if err != nil || invalid != 0 || len(groups) != 1 {
			t.Fatalf("%+v invalid %d: %v", groups, invalid, err)
		}
		g := groups[0]
		if g.Group != "string" {
			t.Errorf("group %q", g.Group)
		}
		// Every documented counter is the doc's placeholder 2147483647,
		// decoded as given.
		if len(g.Counts) != len(Spec.Enums[model.FieldGroupConnectionState]) {
			t.Errorf("%d counters: %v", len(g.Counts), g.Counts)
		}
		for _, s := range Spec.Enums[model.FieldGroupConnectionState] {
			if v, ok := g.Counts[s]; !ok || v != 2147483647 {
				t.Errorf("%s = %d (present %v)", s, v, ok)
			}
		}
	})
	t.Run("login_state_statistics_seed003", func(t *testing.T) {
		counts, err := DecodeLoginStateStatistics(mustReadFile(t, "testdata/login_state_statistics_seed003.json"))
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]int64{"in_use": 0, "unregistered": 0, "unable_to_connect": 0, "ready": 0, "disconnected": 0}
		if !reflect.DeepEqual(counts, want) {
			t.Errorf("got %v want %v", counts, want)
		}
		for _, s := range Spec.Enums[model.FieldLoginStateStatistic] {
			if _, ok := counts[s]; !ok {
				t.Errorf("documented state %s not decoded", s)
			}
		}
	})
}

func mustReadFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Unknown members and enum values are kept or skipped, never fatal; the
// users are those of type USER, deduplicated and bounded.
func TestDecodeConnectDesktopsTolerance(t *testing.T) {
	var many []string
	for i := range 40 {
		many = append(many, fmt.Sprintf(`{"name":"u%d","type":"USER"}`, i%30))
	}
	body := `{"total_count":"6","new_field":{"x":[1]},"desktops":[
	 {"desktop_id":"a","desktop_name":"A","connect_status":"TELEPORTED","attach_users":[
	   {"id":"1","name":"alice","type":"USER"},{"id":"g","name":"admins","type":"GROUP"},{"name":"alice","type":"user"},
	   {"name":"","type":"USER"},{"name":"notype"},42,null,{"name":"bob","type":"USER","extra":true}],"surprise":1},
	 {"desktop_id":"b","connect_status":null,"attach_users":"alice"},
	 {"desktop_id":"c","connect_status":"CONNECTED","attach_users":[` + strings.Join(many, ",") + `]},
	 {"desktop_id":"d","connect_status":7,"attach_users":null},
	 {"desktop_id":"e","connect_status":"REGISTERED","attach_users":[{"name":"x","type":"USER"}],"attach_users":[{"name":"y","type":"USER"}]},
	 "junk",null,[1],{"desktop_id":""},{"desktop_name":"no id"}
	]}`
	ds, total, known, invalid, err := DecodeConnectDesktopsPage([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if !known || total != 6 || invalid != 5 || len(ds) != 5 {
		t.Fatalf("total %d known %v invalid %d desktops %d", total, known, invalid, len(ds))
	}
	if a := ds[0]; a.ConnectStatus != "TELEPORTED" || a.DesktopName != "A" || !reflect.DeepEqual(a.Users, []string{"alice", "bob"}) {
		t.Errorf("a = %+v", a)
	}
	if b := ds[1]; b.ConnectStatus != "" || b.Users != nil {
		t.Errorf("b = %+v", b)
	}
	if c := ds[2]; len(c.Users) != model.MaxConnectionUsers || c.Users[0] != "u0" || c.Users[15] != "u15" {
		t.Errorf("c users = %v", c.Users)
	}
	if d := ds[3]; d.ConnectStatus != "7" || d.Users != nil {
		t.Errorf("d = %+v", d)
	}
	if e := ds[4]; !reflect.DeepEqual(e.Users, []string{"y"}) {
		t.Errorf("e = %+v (a repeated attach_users: the last wins)", e)
	}
}

// A missing, null or mistyped list, broken JSON and a page larger than
// asked for are errors, not empty lists.
func TestDecodeConnectDesktopsBroken(t *testing.T) {
	big := `{"desktops":[` + strings.Repeat(`{"desktop_id":"x"},`, 2000) + `{"desktop_id":"y"}],"total_count":2001}`
	for name, body := range map[string]string{
		"empty": ``, "html": `<html>502</html>`, "missing": `{"total_count":1}`, "null": `{"desktops":null}`,
		"object": `{"desktops":{"desktop_id":"a"}}`, "string": `{"desktops":"a"}`, "number": `{"desktops":1}`,
		"not an object": `[{"desktop_id":"a"}]`, "truncated": `{"desktops":[{"desktop_id":"a"`, "twice": `{"desktops":[],"desktops":[]}`,
		"oversized": big,
	} {
		if ds, _, _, _, err := DecodeConnectDesktopsPage([]byte(body)); err == nil {
			t.Errorf("%s: decoded %d desktops without error", name, len(ds))
		}
	}
}

func TestDecodeConnectionStatusShapes(t *testing.T) {
	groups, invalid, err := DecodeConnectionStatus([]byte(`{"statics":[
	  {"static_name":"g1","running_num":3,"stop_num":"2","in_use_num":1,"unknown_num":null,"new_num":9,"x":{}},
	  {"running_num":1.0,"ready_num":1e2},
	  {"static_name":"g1","running_num":4},
	  null, 7, "x"
	],"other":1}`))
	if err != nil {
		t.Fatal(err)
	}
	if invalid != 3 || len(groups) != 3 {
		t.Fatalf("invalid %d groups %+v", invalid, groups)
	}
	// Absent and null counters are absent, not 0; unknown ones ignored.
	if want := map[string]int64{"running": 3, "stop": 2, "in_use": 1}; groups[0].Group != "g1" || !reflect.DeepEqual(groups[0].Counts, want) {
		t.Errorf("g1 = %+v", groups[0])
	}
	if want := map[string]int64{"running": 1, "ready": 100}; groups[1].Group != "" || !reflect.DeepEqual(groups[1].Counts, want) {
		t.Errorf("unnamed = %+v", groups[1])
	}
	if groups[2].Group != "g1" || groups[2].Counts["running"] != 4 {
		t.Errorf("repeated name = %+v (kept: the collector adds them up)", groups[2])
	}

	for name, c := range map[string]struct{ body, want string }{
		"negative":     {`{"statics":[{"static_name":"a","running_num":-1}]}`, "statics[0].running_num is negative"},
		"fraction":     {`{"statics":[{"static_name":"a"},{"stop_num":1.5}]}`, "statics[1].stop_num is not an integer"},
		"text":         {`{"statics":[{"ready_num":"many"}]}`, "statics[0].ready_num is not a number"},
		"bool":         {`{"statics":[{"ready_num":true}]}`, "statics[0].ready_num is not a number but a boolean"},
		"object":       {`{"statics":[{"in_use_num":{"n":1}}]}`, "statics[0].in_use_num is not a number but an object"},
		"huge":         {`{"statics":[{"in_use_num":1e300}]}`, "statics[0].in_use_num is too large"},
		"overflow":     {`{"statics":[{"in_use_num":99999999999999999999999}]}`, "statics[0].in_use_num is too large"},
		"missing list": {`{"static":[]}`, `the "statics" list is missing`},
		"null list":    {`{"statics":null}`, `"statics" is null, not a list`},
		"object list":  {`{"statics":{"static_name":"a"}}`, `"statics" is an object, not a list`},
		"not object":   {`"statics"`, "not a JSON object"},
		"too many":     {`{"statics":[` + strings.Repeat(`{},`, maxConnectionGroups) + `{}]}`, `"statics" holds more than 10000 groups`},
	} {
		_, _, err := DecodeConnectionStatus([]byte(c.body))
		var inv *client.InvalidResponseError
		if err == nil || !strings.Contains(err.Error(), c.want) || !errors.As(err, &inv) {
			t.Errorf("%s: %v; want an invalid response naming %q", name, err, c.want)
		}
	}
	if _, _, err := DecodeConnectionStatus([]byte(`{"statics":[{"a":`)); err == nil {
		t.Error("truncated body decoded")
	}
}

func TestDecodeLoginStateStatisticsShapes(t *testing.T) {
	counts, err := DecodeLoginStateStatistics([]byte(`{"in_use_num":5,"ready_num":"2","disconnected_num":null,"surprise_num":3,"nested":{"in_use_num":9}}`))
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]int64{"in_use": 5, "ready": 2}; !reflect.DeepEqual(counts, want) {
		t.Errorf("got %v want %v (absent and null counters are absent)", counts, want)
	}
	for name, c := range map[string]struct {
		body    string
		want    string
		invalid bool
	}{
		"negative":  {`{"in_use_num":-3}`, "in_use_num is negative", true},
		"fraction":  {`{"ready_num":0.5}`, "ready_num is not an integer", true},
		"array":     {`[{"in_use_num":1}]`, "the body is an array, not a JSON object", true},
		"null":      {`null`, "the body is null", true},
		"number":    {`5`, "the body is a number", true},
		"oversized": {`{"x":"` + strings.Repeat("a", maxStatisticsBody) + `"}`, "larger than", true},
		"empty":     {``, "empty body", false},
		"broken":    {`{"in_use_num":`, "invalid JSON", false},
	} {
		_, err := DecodeLoginStateStatistics([]byte(c.body))
		var inv *client.InvalidResponseError
		if err == nil || !strings.Contains(err.Error(), c.want) || errors.As(err, &inv) != c.invalid {
			t.Errorf("%s: %v; want %q (invalid response: %v)", name, err, c.want, c.invalid)
		}
	}
}

// connAPI serves §4.3.37 over n desktops (d00000…) and §4.3.8 over the
// same desktops, recording the offsets and queries asked for.
type connAPI struct {
	n int
	// total, when set, replaces §4.3.37's total_count.
	total   string
	rewrite func(offset, limit int, elems []string) string // "" keeps the honest body
	mu      sync.Mutex
	queries []string // §4.3.37 raw queries
	desktop int      // §4.3.8 requests
}

func (a *connAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	offset, _ := strconv.Atoi(q.Get("offset"))
	limit, _ := strconv.Atoi(q.Get("limit"))
	status := func(i int) string { return []string{"UNREGISTER", "REGISTERED", "CONNECTED", "DISCONNECTED"}[i%4] }
	switch {
	case strings.HasSuffix(r.URL.Path, "/connect-desktops"):
		a.mu.Lock()
		a.queries = append(a.queries, r.URL.RawQuery)
		a.mu.Unlock()
		if offset > 2000 || limit > 2000 {
			w.WriteHeader(400)
			fmt.Fprint(w, `{"error_code":"WKS.0001","error_msg":"Invalid parameter."}`)
			return
		}
		var elems []string
		for i := offset; i < min(offset+limit, a.n); i++ {
			elems = append(elems, fmt.Sprintf(`{"desktop_id":"d%05d","desktop_name":"PC%d","connect_status":%q,"attach_users":[{"name":"u%d","type":"USER"},{"name":"grp","type":"GROUP"}]}`, i, i, status(i), i))
		}
		if a.rewrite != nil {
			if b := a.rewrite(offset, limit, elems); b != "" {
				fmt.Fprint(w, b)
				return
			}
		}
		total := a.total
		if total == "" {
			total = strconv.Itoa(a.n)
		}
		fmt.Fprintf(w, `{"desktops":[%s],"total_count":%s}`, strings.Join(elems, ","), total)
	case strings.HasSuffix(r.URL.Path, "/desktops/detail"):
		a.mu.Lock()
		a.desktop++
		a.mu.Unlock()
		var elems []string
		for i := offset; i < min(offset+limit, a.n); i++ {
			elems = append(elems, fmt.Sprintf(`{"desktop_id":"d%05d","computer_name":"PC%d","login_status":%q,"user_name":"u%d"}`, i, i, status(i), i))
		}
		fmt.Fprintf(w, `{"desktops":[%s],"total_count":%d}`, strings.Join(elems, ","), a.n)
	default:
		w.WriteHeader(404)
	}
}

func (a *connAPI) maxOffset(t *testing.T) int {
	t.Helper()
	a.mu.Lock()
	defer a.mu.Unlock()
	most := -1
	for _, raw := range a.queries {
		v, err := url.ParseQuery(raw)
		if err != nil {
			t.Fatal(err)
		}
		if v.Has("connect_status") || v.Has("connect_statuses") || v.Has("user_names") {
			t.Errorf("a filter was sent: %s", raw)
		}
		if v.Get("limit") != "2000" {
			t.Errorf("limit %s, want the largest page, 2000", v.Get("limit"))
		}
		o, _ := strconv.Atoi(v.Get("offset"))
		most = max(most, o)
	}
	return most
}

func connClient(t *testing.T, a *connAPI, mod func(*Config)) *Client {
	t.Helper()
	srv := httptest.NewServer(a)
	t.Cleanup(srv.Close)
	c, _, _ := newTestClient(t, srv.URL, mod)
	return c
}

func checkConnections(t *testing.T, got model.Connections, n int, fallback bool) {
	t.Helper()
	if got.Fallback != fallback || len(got.Desktops) != n {
		t.Fatalf("%d desktops, fallback %v; want %d, %v", len(got.Desktops), got.Fallback, n, fallback)
	}
	status := []string{"UNREGISTER", "REGISTERED", "CONNECTED", "DISCONNECTED"}
	for i, d := range got.Desktops {
		want := model.DesktopConnection{DesktopID: fmt.Sprintf("d%05d", i), DesktopName: fmt.Sprintf("PC%d", i), ConnectStatus: status[i%4], Users: []string{fmt.Sprintf("u%d", i)}}
		if !reflect.DeepEqual(d, want) {
			t.Fatalf("desktop %d = %+v, want %+v", i, d, want)
		}
	}
}

// A fleet the offset cap lets through is read from §4.3.37 alone, with
// the largest page and no filter, whatever page size is configured.
func TestListConnectionsWithinTheCap(t *testing.T) {
	for _, n := range []int{0, 1, 2000, 2001, 4000} {
		a := &connAPI{n: n}
		c := connClient(t, a, func(c *Config) { c.PageSize = 50 })
		got, err := c.ListConnections(context.Background())
		if err != nil {
			t.Fatalf("%d: %v", n, err)
		}
		checkConnections(t, got, n, false)
		if most := a.maxOffset(t); most > 2000 || a.desktop != 0 || len(a.queries) != max(1, (n+1999)/2000) {
			t.Errorf("%d: offsets up to %d, %d requests, %d desktop list requests", n, most, len(a.queries), a.desktop)
		}
	}
}

// Beyond the cap the walk stops before any request past it, and the
// states come from §4.3.8: complete, flagged, never an undercount.
func TestListConnectionsFallsBackBeyondTheCap(t *testing.T) {
	for name, total := range map[string]string{"trusted total": "", "placeholder 0": "0", "placeholder max": "2147483647", "absent": "null"} {
		t.Run(name, func(t *testing.T) {
			a := &connAPI{n: 4500, total: total}
			c := connClient(t, a, nil)
			got, err := c.ListConnections(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			checkConnections(t, got, 4500, true)
			if most := a.maxOffset(t); most > 2000 {
				t.Errorf("asked for offset %d, past the documented 2000", most)
			}
			if a.desktop != 9 || got.Stats.Total != 4500 {
				t.Errorf("%d desktop list requests, stats %+v", a.desktop, got.Stats)
			}
		})
	}
	// Exactly 4000 with a placeholder total: the third page would start
	// at 4000, past the cap, so the walk cannot know the list ended.
	a := &connAPI{n: 4000, total: "0"}
	got, err := connClient(t, a, nil).ListConnections(context.Background())
	if err != nil || !got.Fallback || len(got.Desktops) != 4000 {
		t.Errorf("4000 with a placeholder total: fallback %v, %d desktops, %v", got.Fallback, len(got.Desktops), err)
	}
}

func TestListConnectionsErrors(t *testing.T) {
	// Another failure is returned as it is, without a fallback.
	a := &connAPI{n: 10, rewrite: func(int, int, []string) string { return `{"desktops":null,"total_count":10}` }}
	if _, err := connClient(t, a, nil).ListConnections(context.Background()); err == nil || !strings.Contains(err.Error(), "null") || a.desktop != 0 {
		t.Errorf("null list: %v, %d desktop list requests", err, a.desktop)
	}
	// The same desktop twice, on every walk: inconsistent, an error.
	a = &connAPI{n: 3, rewrite: func(_, _ int, e []string) string {
		return `{"desktops":[` + e[0] + `,` + e[1] + `,` + e[0] + `],"total_count":3}`
	}}
	if _, err := connClient(t, a, nil).ListConnections(context.Background()); err == nil || !strings.Contains(err.Error(), "appears twice") {
		t.Errorf("duplicate desktops: %v", err)
	}
	// The fallback's own failure names both.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/connect-desktops") {
			fmt.Fprintf(w, `{"desktops":[%s],"total_count":9000}`, strings.Repeat(`{"desktop_id":"x"},`, 0)+`{"desktop_id":"x"}`)
			return
		}
		w.WriteHeader(403)
		fmt.Fprint(w, `{"error_code":"WKS.00010024","error_msg":"No authority."}`)
	}))
	defer srv.Close()
	c, _, _ := newTestClient(t, srv.URL, nil)
	_, err := c.ListConnections(context.Background())
	var capErr *client.OffsetCapError
	if err == nil || !IsAuthError(err) || !errors.As(err, &capErr) || !strings.Contains(err.Error(), "9000") {
		t.Errorf("failed fallback: %v", err)
	}
}

// Strings from the API are cleaned: a configured secret in a user or
// desktop name never comes out.
func TestConnectionsRedactSecrets(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasSuffix(r.URL.Path, "/connect-desktops"):
			fmt.Fprintf(w, `{"desktops":[{"desktop_id":"d1","desktop_name":"pc-%s","connect_status":"CONNECTED-%s","attach_users":[{"name":"%s","type":"USER"},{"name":"u-%s","type":"USER"}]}],"total_count":1}`, testSK, testSK, testSK, strings.Repeat("x", 500))
		case strings.HasSuffix(r.URL.Path, "/connections/status"):
			fmt.Fprintf(w, `{"statics":[{"static_name":"grp-%s","running_num":1}]}`, testSK)
		default:
			fmt.Fprintf(w, `{"in_use_num":-1,"note":"%s"}`, testSK)
		}
	}))
	defer srv.Close()
	c, _, _ := newTestClient(t, srv.URL, nil)
	conns, err := c.ListConnections(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	groups, err := c.GroupStates(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	_, statErr := c.LoginStateStatistics(context.Background())
	if statErr == nil {
		t.Fatal("a negative counter was accepted")
	}
	d := conns.Desktops[0]
	all := append([]string{d.DesktopName, d.ConnectStatus, groups[0].Group, statErr.Error()}, d.Users...)
	for _, s := range all {
		if strings.Contains(s, testSK[:8]) || len(s) > client.MaxMessageLen+50 {
			t.Errorf("not cleaned: %q", s)
		}
	}
	if len(d.Users) != 2 || len(d.Users[1]) > client.MaxLabelLen {
		t.Errorf("users %q", d.Users)
	}
}

// GroupStates and LoginStateStatistics call their documented paths once;
// an invalid answer is not retried, a server error is.
func TestConnectionCountsRequests(t *testing.T) {
	var mu sync.Mutex
	paths := map[string]int{}
	fail := true
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		paths[r.URL.Path]++
		f := fail
		fail = false
		mu.Unlock()
		switch {
		case f:
			w.WriteHeader(503)
		case strings.HasSuffix(r.URL.Path, "/connections/status"):
			fmt.Fprint(w, `{"statics":[{"static_name":"g","running_num":-2}]}`)
		default:
			fmt.Fprint(w, `{"in_use_num":3,"unregistered_num":1,"unable_to_connect_num":0,"ready_num":2,"disconnected_num":1}`)
		}
	}))
	defer srv.Close()
	c, _, _ := newTestClient(t, srv.URL, nil)
	counts, err := c.LoginStateStatistics(context.Background())
	if err != nil || counts["in_use"] != 3 || len(counts) != 5 {
		t.Fatalf("%v %v", counts, err)
	}
	if _, err := c.GroupStates(context.Background()); err == nil || !strings.Contains(err.Error(), "statics[0].running_num is negative") {
		t.Errorf("negative counter: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	want := map[string]int{
		"/v2/" + testProject + "/desktops/statistics/login-state": 2, // 503, then 200
		"/v2/" + testProject + "/connections/status":              1, // invalid: not retried
	}
	if !reflect.DeepEqual(paths, want) {
		t.Errorf("requests %v, want %v", paths, want)
	}
}
