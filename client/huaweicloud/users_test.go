package huaweicloud

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/workspace-exporter/workspace_exporter/client"
	"github.com/workspace-exporter/workspace_exporter/model"
)

// The seed's example responses of §4.8.1 and §4.9.1 decode (see
// testdata/README.md).
func TestUsersSeedExamples(t *testing.T) {
	up, err := DecodeUsersPage(mustReadFile(t, "testdata/list_users_seed003.json"))
	if err != nil {
		t.Fatal(err)
	}
	u := model.User{MustChangePassword: true, HasDesktops: true}
	if !reflect.DeepEqual(up.Items, []model.User{u, u}) || up.Total != 2 || !up.TotalKnown || up.Invalid != 0 {
		t.Errorf("§4.8.1 example: %+v", up)
	}
	gp, err := DecodeUserGroupsPage(mustReadFile(t, "testdata/list_user_groups_seed003.json"))
	if err != nil {
		t.Fatal(err)
	}
	if want := []model.UserGroup{{PlatformType: "AD", HasUsers: true}}; !reflect.DeepEqual(gp.Items, want) || gp.Total != 1 || !gp.TotalKnown || gp.Invalid != 0 {
		t.Errorf("§4.9.1 example: %+v", gp)
	}
}

// account_expires in every shape the documentation shows (a String "0",
// §4.8.2's date formats, §4.8.4's Long milliseconds) and hostile ones.
func TestAccountExpires(t *testing.T) {
	at := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		raw        string
		want       time.Time
		unreadable bool
	}{
		{``, time.Time{}, false}, {`null`, time.Time{}, false}, {`"0"`, time.Time{}, false}, {`0`, time.Time{}, false},
		{`""`, time.Time{}, false}, {`"-1"`, time.Time{}, false}, {`-1`, time.Time{}, false},
		{`"2026-03-01T00:00:00Z"`, at, false}, {`"2026-03-01T00:00:00.000Z"`, at, false},
		{`"2026-03-01 00:00:00"`, at, false}, {`"2026-03-01"`, at, false},
		{strconv.FormatInt(at.UnixMilli(), 10), at, false}, {`"` + strconv.FormatInt(at.UnixMilli(), 10) + `"`, at, false},
		// AD's "never" passed through, and other far futures: never.
		{`9223372036854775807`, time.Time{}, false}, {`"9999-12-31T23:59:59Z"`, time.Time{}, false},
		{`true`, time.Time{}, true}, {`{}`, time.Time{}, true}, {`[]`, time.Time{}, true},
		{`"next week"`, time.Time{}, true}, {`12345`, time.Time{}, true}, {`1.5`, time.Time{}, true},
		{`"` + strings.Repeat("9", 100) + `"`, time.Time{}, true},
	} {
		got, bad := accountExpires([]byte(c.raw))
		if !got.Equal(c.want) || bad != c.unreadable {
			t.Errorf("%.40s: %v unreadable %v, want %v %v", c.raw, got, bad, c.want, c.unreadable)
		}
	}
}

// Every field of a user in the shapes the API family is known to send,
// unknown members ignored; junk elements skipped, never fatal.
func TestDecodeUsersShapes(t *testing.T) {
	body := `{"total_count":"5","users":[
	 {"id":"u1","user_name":"a","locked":true,"disabled":"true","account_expired":1,"password_never_expired":"yes",
	  "next_login_change_password":false,"account_expires":"2026-03-01T00:00:00Z","total_desktops":"2","group_names":["g1","g2"],"x":{"y":[1]}},
	 {"user_name":"b","locked":null,"total_desktops":-3,"account_expires":{"a":1}},
	 42, null, "x", {"locked":true},
	 {"id":"u1dup","ID":"u3","LOCKED":"TRUE","total_desktops":1.9}
	]}`
	p, err := DecodeUsersPage([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	want := []model.User{
		{Locked: true, Disabled: true, Expired: true, PasswordNeverExpires: true, AccountExpires: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), Desktops: 2, HasDesktops: true},
		{ExpiryUnreadable: true},
		{Locked: true, Desktops: 1, HasDesktops: true},
	}
	if !reflect.DeepEqual(p.Items, want) || p.Invalid != 4 || p.Total != 5 || !p.TotalKnown {
		t.Errorf("got %+v", p)
	}
}

// A missing, null or mistyped list, broken JSON, a body that is not an
// object and a page longer than asked for fail; the error names the list.
func TestDecodeUsersBadBodies(t *testing.T) {
	for _, body := range []string{`{}`, `{"users":null}`, `{"users":"x"}`, `{"users":{}}`, `[]`, `null`, ``, `{"users":[`,
		`{"users":[],"users":[]}`, `{"users":[` + strings.Repeat(`{"id":"x"},`, 500) + `{"id":"y"}]}`} {
		if p, err := DecodeUsersPage([]byte(body)); err == nil || len(p.Items) != 0 {
			t.Errorf("%.60s: %+v, %v", body, p, err)
		}
	}
	for _, body := range []string{`{"total_count":1}`, `{"user_groups":null}`, `{"user_groups":7}`} {
		_, err := DecodeUserGroupsPage([]byte(body))
		var ire *client.InvalidResponseError
		if !errors.As(err, &ire) || !strings.Contains(err.Error(), `"user_groups"`) {
			t.Errorf("%s: %v", body, err)
		}
	}
}

func TestDecodeUserGroupsShapes(t *testing.T) {
	body := `{"user_groups":[{"id":"g1","platform_type":"LOCAL","user_quantity":"3","parent":{"id":"g0","platform_type":"AD"}},
	 {"name":"g2","platform_type":"` + strings.Repeat("Z", 300) + `","user_quantity":-1},
	 {"id":"g3","platform_type":7,"user_quantity":null},
	 {"platform_type":"AD"}, []]}`
	p, err := DecodeUserGroupsPage([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Items) != 3 || p.Invalid != 2 || p.TotalKnown {
		t.Fatalf("%+v", p)
	}
	if g := p.Items[0]; g != (model.UserGroup{PlatformType: "LOCAL", Users: 3, HasUsers: true}) {
		t.Errorf("group 1: %+v", g)
	}
	if g := p.Items[1]; len(g.PlatformType) > client.MaxLabelLen || g.HasUsers {
		t.Errorf("group 2: %+v", g)
	}
	if g := p.Items[2]; g != (model.UserGroup{PlatformType: "7"}) {
		t.Errorf("group 3: %+v", g)
	}
}

// usersAPI serves n users and m groups with offset paging (limit ≤ max),
// recording the queries.
type usersAPI struct {
	mu      sync.Mutex
	n, m    int
	queries []string
	// ignoreLimit answers every user at once, whatever the limit.
	ignoreLimit bool
}

func (a *usersAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	a.queries = append(a.queries, r.URL.Path+"?"+r.URL.RawQuery)
	a.mu.Unlock()
	q := r.URL.Query()
	off, err1 := strconv.Atoi(q.Get("offset"))
	lim, err2 := strconv.Atoi(q.Get("limit"))
	if err1 != nil || err2 != nil {
		w.WriteHeader(400)
		fmt.Fprint(w, `{"error_code":"WKS.0001","error_msg":"offset and limit are required by this test"}`)
		return
	}
	n, key, item := a.n, "users", func(i int) string {
		return fmt.Sprintf(`{"id":"u%d","user_name":"n%d","locked":%v,"total_desktops":%d}`, i, i, i%3 == 0, i%2)
	}
	if strings.HasSuffix(r.URL.Path, "/groups") {
		n, key, item = a.m, "user_groups", func(i int) string {
			return fmt.Sprintf(`{"id":"g%d","platform_type":"LOCAL","user_quantity":%d}`, i, i)
		}
	}
	if a.ignoreLimit {
		off, lim = 0, n
	}
	var b strings.Builder
	fmt.Fprintf(&b, `{"total_count":%d,%q:[`, n, key)
	for i := off; i < min(n, off+lim); i++ {
		if i > off {
			b.WriteByte(',')
		}
		b.WriteString(item(i))
	}
	b.WriteString("]}")
	fmt.Fprint(w, b.String())
}

// ListUsers and ListUserGroups always send offset and limit (§4.8.1
// answers everything without a limit), page within the documented range,
// and return every item.
func TestListUsersPages(t *testing.T) {
	a := &usersAPI{n: 1234, m: 250}
	srv := httptest.NewServer(a)
	defer srv.Close()
	c, _, _ := newTestClient(t, srv.URL, func(c *Config) { c.Concurrency = 1 })
	us, st, err := c.ListUsers(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	locked := 0
	for _, u := range us {
		if u.Locked {
			locked++
		}
	}
	if len(us) != 1234 || locked != 412 || st.Requests != 3 || st.PageSize != 500 || st.Total != 1234 {
		t.Errorf("%d users, %d locked, stats %+v", len(us), locked, st)
	}
	gs, st, err := c.ListUserGroups(context.Background())
	if err != nil || len(gs) != 250 || st.Requests != 3 || st.PageSize != 100 {
		t.Errorf("%d groups, stats %+v, %v", len(gs), st, err)
	}
	want := []string{
		"/v2/" + testProject + "/users?limit=500&offset=0", "/v2/" + testProject + "/users?limit=500&offset=500", "/v2/" + testProject + "/users?limit=500&offset=1000",
		"/v2/" + testProject + "/groups?limit=100&offset=0", "/v2/" + testProject + "/groups?limit=100&offset=100", "/v2/" + testProject + "/groups?limit=100&offset=200",
	}
	if !reflect.DeepEqual(a.queries, want) {
		t.Errorf("queries\n%v\nwant\n%v", a.queries, want)
	}

	// A smaller configured page size is kept within each range.
	a.queries = nil
	c2, _, _ := newTestClient(t, srv.URL, func(c *Config) { c.PageSize = 300; c.Concurrency = 1 })
	if _, st, err := c2.ListUserGroups(context.Background()); err != nil || st.PageSize != 100 {
		t.Errorf("page size 300 for groups: %+v %v", st, err)
	}
	if _, st, err := c2.ListUsers(context.Background()); err != nil || st.PageSize != 300 || st.Requests != 5 {
		t.Errorf("page size 300 for users: %+v %v", st, err)
	}
}

// An API that ignores limit and answers every user at once is refused
// without reading past the limit: the refresh fails, bounded.
func TestListUsersIgnoredLimit(t *testing.T) {
	a := &usersAPI{n: 2000, ignoreLimit: true}
	srv := httptest.NewServer(a)
	defer srv.Close()
	c, _, _ := newTestClient(t, srv.URL, nil)
	if us, _, err := c.ListUsers(context.Background()); err == nil || len(us) != 0 || !strings.Contains(err.Error(), "more than the 500 items") {
		t.Errorf("%d users, %v", len(us), err)
	}
}

// The table refuses every write and secret beside the users paths; the
// users lists are allowed as GET only.
func TestUsersPathsAllowList(t *testing.T) {
	for _, ok := range []string{"/v2/p1/users", "/v2/p1/groups"} {
		if !Spec.Allows(http.MethodGet, ok) {
			t.Errorf("GET %s refused", ok)
		}
		for _, m := range []string{http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch} {
			if Spec.Allows(m, ok) {
				t.Errorf("%s %s allowed", m, ok)
			}
		}
	}
	for _, p := range []string{"/v2/p1/users/u1", "/v2/p1/users/u1/random-password", "/v2/p1/users/u1/otp-devices",
		"/v2/p1/users/u1/actions", "/v2/p1/groups/g1/users", "/v2/p1/users/batch-delete", "/v2/p1/ou-users", "/v2/p1/users/"} {
		for _, m := range []string{http.MethodGet, http.MethodPost} {
			if Spec.Allows(m, p) {
				t.Errorf("%s %s allowed", m, p)
			}
		}
	}
}
