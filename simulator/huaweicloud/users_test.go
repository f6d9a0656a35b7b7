package huaweicloud

import (
	"encoding/json"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/workspace-exporter/workspace_exporter/simulator"
)

const (
	usersListPath  = "/v2/{project_id}/users"
	userGroupsPath = "/v2/{project_id}/groups"
)

type userBody struct {
	ID             string   `json:"id"`
	Name           string   `json:"user_name"`
	Desktops       int      `json:"total_desktops"`
	Locked         bool     `json:"locked"`
	Disabled       bool     `json:"disabled"`
	Expired        bool     `json:"account_expired"`
	AccountExpires string   `json:"account_expires"`
	Groups         []string `json:"group_names"`
}

type groupBody struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Platform string `json:"platform_type"`
	Users    int    `json:"user_quantity"`
	Desktops int    `json:"total_desktops"`
}

type usersBody struct {
	Total  *int        `json:"total_count"`
	Users  []userBody  `json:"users"`
	Groups []groupBody `json:"user_groups"`
}

func usersGet(t *testing.T, base, path string, query map[string]any) (response, usersBody) {
	t.Helper()
	r := do(t, sdkRequest(t, base, signed{path: path, query: query}))
	var b usersBody
	if r.status == http.StatusOK {
		if err := json.Unmarshal(r.body, &b); err != nil {
			t.Fatalf("%s: %v: %s", path, err, r.body)
		}
	}
	return r, b
}

// Every user of a desktop is a user, with total_desktops its desktops;
// pre-created users have none; the flags are a deterministic mix; groups
// count their users.
func TestUsersFromTheFleet(t *testing.T) {
	s, base := startSim(t, testOptions(2000))
	r, all := usersGet(t, base, usersListPath, nil) // no limit: everyone (L16781)
	if r.status != http.StatusOK || all.Total == nil || *all.Total != len(all.Users) {
		t.Fatalf("%d, total %v, %d users", r.status, all.Total, len(all.Users))
	}
	perUser := map[string]int{}
	for _, d := range s.Desktops() {
		if d.UserName != "" {
			perUser[d.UserName]++
		}
	}
	seen := map[string]bool{}
	var without, locked, disabled, expired, expiring, withGroup int
	epoch := time.Now().UTC().Truncate(24 * time.Hour)
	for _, u := range all.Users {
		if seen[u.Name] || len(u.ID) != 32 {
			t.Fatalf("user %+v repeated or with a bad id", u)
		}
		seen[u.Name] = true
		if u.Desktops != perUser[u.Name] {
			t.Errorf("%s: total_desktops %d, the fleet has %d", u.Name, u.Desktops, perUser[u.Name])
		}
		if u.Desktops == 0 {
			without++
		}
		if u.Locked {
			locked++
		}
		if u.Disabled {
			disabled++
		}
		if u.Expired {
			expired++
			if at, err := time.Parse(timeLayout, u.AccountExpires); err != nil || !at.Before(epoch) {
				t.Errorf("expired user %s expires %q", u.Name, u.AccountExpires)
			}
		} else if u.AccountExpires != "0" {
			at, err := time.Parse(timeLayout, u.AccountExpires)
			if err != nil || !at.After(epoch) {
				t.Errorf("user %s expires %q", u.Name, u.AccountExpires)
			}
			if at.Before(epoch.Add(14 * 24 * time.Hour)) {
				expiring++
			}
		}
		if len(u.Groups) > 0 {
			withGroup++
		}
	}
	for name := range perUser {
		if !seen[name] {
			t.Errorf("desktop user %s is not a user", name)
		}
	}
	if without < 3 || without != len(all.Users)-len(perUser) || locked == 0 || disabled == 0 || expired == 0 || expiring == 0 || withGroup == 0 {
		t.Errorf("a degenerate user list: %d users, %d without desktops, %d locked, %d disabled, %d expired, %d expiring, %d in a group",
			len(all.Users), without, locked, disabled, expired, expiring, withGroup)
	}
	if got := s.Users(); len(got) != len(all.Users) || got[0].Name != all.Users[0].Name {
		t.Errorf("Users() disagrees with the endpoint")
	}

	_, g := usersGet(t, base, userGroupsPath, nil)
	members := map[string]int{}
	for _, u := range all.Users {
		for _, name := range u.Groups {
			members[name]++
		}
	}
	platforms := map[string]int{}
	sum := 0
	for _, gr := range g.Groups {
		platforms[gr.Platform]++
		sum += gr.Users
		if gr.Users != members[gr.Name] {
			t.Errorf("group %s: user_quantity %d, %d users name it", gr.Name, gr.Users, members[gr.Name])
		}
	}
	if *g.Total != len(g.Groups) || platforms["LOCAL"] == 0 || platforms["AD"] == 0 || sum != withGroup {
		t.Errorf("groups %+v", g)
	}

	// The same seed, the same users; another seed, other flags.
	s2, _ := startSim(t, testOptions(2000))
	if u1, u2 := s.Users(), s2.Users(); len(u1) != len(u2) || u1[5].ID != u2[5].ID || u1[5].Locked != u2[5].Locked {
		t.Error("the same seed gave other users")
	}
	o := testOptions(2000)
	o.Seed++
	s3, _ := startSim(t, o)
	diff, u1 := 0, s.Users()
	for i, u := range s3.Users() {
		if i < len(u1) && u.Locked != u1[i].Locked {
			diff++
		}
	}
	if diff == 0 {
		t.Error("another seed gave the same users")
	}
}

// Paging: limit and offset as the client sends them walk the same list;
// out-of-range values get the API's 400 answers; §4.9.1's limit 0 is 100
// and its offset needs a limit.
func TestUsersPaging(t *testing.T) {
	s, base := startSim(t, testOptions(700))
	want := s.Users()
	var got []userBody
	for off := 0; ; off += 200 {
		r, b := usersGet(t, base, usersListPath, map[string]any{"offset": strconv.Itoa(off), "limit": "200"})
		if r.status != http.StatusOK || *b.Total != len(want) {
			t.Fatalf("%d %s", r.status, r.body)
		}
		got = append(got, b.Users...)
		if len(b.Users) < 200 {
			break
		}
	}
	if len(got) != len(want) || got[len(got)-1].ID != want[len(want)-1].ID {
		t.Errorf("walked %d users, want %d", len(got), len(want))
	}
	for _, c := range []struct {
		path  string
		query map[string]any
		code  string
	}{
		{usersListPath, map[string]any{"limit": "0"}, "WKS.0509"},
		{usersListPath, map[string]any{"limit": "501"}, "WKS.0509"},
		{usersListPath, map[string]any{"limit": "ten"}, "WKS.0509"},
		{usersListPath, map[string]any{"offset": "-1", "limit": "10"}, "WKS.0508"},
		{userGroupsPath, map[string]any{"limit": "101"}, "WKS.0509"},
		{userGroupsPath, map[string]any{"offset": "x", "limit": "10"}, "WKS.0508"},
		{userGroupsPath, map[string]any{"offset": "10"}, "WKS.0001"},
	} {
		r, _ := usersGet(t, base, c.path, c.query)
		if r.status != http.StatusBadRequest || errorCode(t, r) != c.code {
			t.Errorf("%s %v: %d %s", c.path, c.query, r.status, r.body)
		}
	}
	r, g := usersGet(t, base, userGroupsPath, map[string]any{"limit": "0"})
	if r.status != http.StatusOK || len(g.Groups) != len(userGroupDefs) {
		t.Errorf("limit 0: %d %s", r.status, r.body)
	}
	_, g = usersGet(t, base, userGroupsPath, map[string]any{"limit": "5", "offset": "10"})
	if len(g.Groups) != len(userGroupDefs)-10 || *g.Total != len(userGroupDefs) {
		t.Errorf("offset 10: %+v", g)
	}
}

// The shared page faults apply to both lists.
func TestUsersPageFaults(t *testing.T) {
	s, base := startSim(t, testOptions(300))
	s.InjectFault(simulator.Fault{Kind: simulator.FaultBadList, Operation: "ListUsers", Count: 1, Variant: simulator.BadListNull})
	if r, _ := usersGet(t, base, usersListPath, map[string]any{"limit": "10"}); r.status != http.StatusOK || string(r.body) != `{"users":null,"total_count":`+strconv.Itoa(len(s.Users()))+`}` {
		t.Errorf("bad_list: %s", r.body)
	}
	s.InjectFault(simulator.Fault{Kind: simulator.FaultEnumFlood, Operation: "ListUserGroups", Probability: 1})
	_, g := usersGet(t, base, userGroupsPath, nil)
	for _, gr := range g.Groups {
		if gr.Platform != simulator.FloodPrefix+gr.ID {
			t.Errorf("enum_flood: %+v", gr)
		}
	}
	s.ClearFaults()
	s.InjectFault(simulator.Fault{Kind: simulator.FaultShortPage, Operation: "ListUsers", Count: 1, Items: 3})
	if _, b := usersGet(t, base, usersListPath, map[string]any{"limit": "10"}); len(b.Users) != 7 {
		t.Errorf("short_page: %d users", len(b.Users))
	}
}

// Deleting a desktop removes its user; the fleet's next users move from
// pre-created to desktop users as Step hands them desktops.
func TestUsersFollowTheFleet(t *testing.T) {
	s, _ := startSim(t, testOptions(3000))
	for range 30 {
		s.Step()
	}
	per := map[string]int{}
	for _, d := range s.Desktops() {
		if d.UserName != "" {
			per[d.UserName]++
		}
	}
	with := 0
	for _, u := range s.Users() {
		if u.Desktops != per[u.Name] {
			t.Fatalf("%s: %d desktops, the fleet has %d", u.Name, u.Desktops, per[u.Name])
		}
		if u.Desktops > 0 {
			with++
		}
	}
	if with != len(per) {
		t.Errorf("%d users with desktops, %d desktop users", with, len(per))
	}
}
