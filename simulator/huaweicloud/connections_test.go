package huaweicloud

import (
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/workspace-exporter/workspace_exporter/client/huaweicloud/hwspec"
	"github.com/workspace-exporter/workspace_exporter/simulator"
)

const (
	connectPath = "/v2/{project_id}/connect-desktops"
	statusPath  = "/v2/{project_id}/connections/status"
	loginPath   = "/v2/{project_id}/desktops/statistics/login-state"
)

type connectDesktop struct {
	DesktopID     string `json:"desktop_id"`
	DesktopName   string `json:"desktop_name"`
	ConnectStatus string `json:"connect_status"`
	AttachUsers   []struct {
		ID        string `json:"id"`
		Name      string `json:"name"`
		UserGroup string `json:"user_group"`
		Type      string `json:"type"`
	} `json:"attach_users"`
}

type connectBody struct {
	Desktops   []connectDesktop `json:"desktops"`
	TotalCount *int             `json:"total_count"`
}

// connectPage fetches §4.3.37 with query (nil: none).
func connectPage(t *testing.T, base string, query map[string]any) (response, connectBody) {
	t.Helper()
	r := do(t, sdkRequest(t, base, signed{path: connectPath, query: query}))
	var cb connectBody
	if r.status == http.StatusOK {
		if err := json.Unmarshal(r.body, &cb); err != nil {
			t.Fatalf("%v: %s", err, r.body)
		}
	}
	return r, cb
}

func getJSON(t *testing.T, base, path string, v any) {
	t.Helper()
	r := do(t, sdkRequest(t, base, signed{path: path}))
	if r.status != http.StatusOK {
		t.Fatalf("%s: %d %s", path, r.status, r.body)
	}
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("%s: %v: %s", path, err, r.body)
	}
}

// §4.3.37 lists every desktop of the fleet, in fleet order, with its
// login status and users, in pages of up to 2,000 from offsets up to
// 2,000.
func TestConnectDesktopsServeTheFleet(t *testing.T) {
	s, base := startSim(t, testOptions(2600))
	s.Step() // an evolved fleet, tasks and sessions moved on
	want := s.Desktops()
	var got []connectDesktop
	for _, offset := range []int{0, 2000} {
		r, cb := connectPage(t, base, map[string]any{"offset": strconv.Itoa(offset), "limit": "2000"})
		if r.status != 200 || cb.TotalCount == nil || *cb.TotalCount != len(want) {
			t.Fatalf("offset %d: %d total %v", offset, r.status, cb.TotalCount)
		}
		got = append(got, cb.Desktops...)
	}
	if len(got) != len(want) {
		t.Fatalf("%d desktops listed, fleet has %d", len(got), len(want))
	}
	for i, d := range want {
		c := got[i]
		if c.DesktopID != d.DesktopID || c.DesktopName != d.ComputerName || c.ConnectStatus != d.LoginStatus {
			t.Fatalf("desktop %d: %+v, fleet %s %s %s", i, c, d.DesktopID, d.ComputerName, d.LoginStatus)
		}
		if len(c.AttachUsers) != len(d.AttachUserInfos) {
			t.Fatalf("desktop %d: users %+v, fleet %+v", i, c.AttachUsers, d.AttachUserInfos)
		}
		for j, u := range d.AttachUserInfos {
			a := c.AttachUsers[j]
			if a.ID != u.UserID || a.Name != u.UserName || a.UserGroup != u.UserGroup || a.Type != u.Type || a.Type != "USER" {
				t.Fatalf("desktop %d user %d: %+v, fleet %+v", i, j, a, u)
			}
		}
	}
	// Without limit, 100 (the documented default); limit 0 is documented
	// and lists nothing.
	if _, cb := connectPage(t, base, nil); len(cb.Desktops) != 100 || cb.Desktops[0].DesktopID != want[0].DesktopID {
		t.Errorf("default page: %d desktops", len(cb.Desktops))
	}
	if r, cb := connectPage(t, base, map[string]any{"limit": "0"}); r.status != 200 || len(cb.Desktops) != 0 || *cb.TotalCount != len(want) {
		t.Errorf("limit 0: %d %s", r.status, r.body)
	}
}

// Offsets and limits outside 0..2000 are refused with the API's 400.
func TestConnectDesktopsPagingLimits(t *testing.T) {
	s, base := startSim(t, testOptions(10))
	for _, q := range []map[string]any{
		{"offset": "2001"}, {"offset": "-1"}, {"offset": "x"}, {"limit": "2001"}, {"limit": "-1"}, {"limit": "many"},
	} {
		r, _ := connectPage(t, base, q)
		var e apiErrorBody
		_ = json.Unmarshal(r.body, &e)
		if r.status != 400 || e.Code != "WKS.0001" || !strings.Contains(e.Msg, "is invalid") {
			t.Errorf("%v: %d %s", q, r.status, r.body)
		}
	}
	if r, cb := connectPage(t, base, map[string]any{"offset": "2000", "limit": "2000"}); r.status != 200 || len(cb.Desktops) != 0 {
		t.Errorf("offset 2000: %d %s", r.status, r.body)
	}
	if got := s.RequestsByStatus(hwspec.OpListConnectDesktops); got[400] != 6 || got[200] != 1 {
		t.Errorf("requests by status %v", got)
	}
}

// The shared page faults reach §4.3.37 and §4.13.2.
func TestConnectionPageFaults(t *testing.T) {
	s, base := startSim(t, testOptions(30))
	s.InjectFault(simulator.Fault{Kind: simulator.FaultBadList, Operation: hwspec.OpListConnectDesktops, Count: 1, Variant: simulator.BadListNull})
	if r, _ := connectPage(t, base, nil); string(r.body) != `{"desktops":null,"total_count":30}` {
		t.Errorf("bad_list: %s", r.body)
	}
	s.InjectFault(simulator.Fault{Kind: simulator.FaultJunkItems, Operation: hwspec.OpListConnectDesktops, Count: 1, Items: 2})
	if r := do(t, sdkRequest(t, base, signed{path: connectPath})); !strings.HasPrefix(string(r.body), `{"desktops":[42,"junk",{"desktop_id":`) {
		t.Errorf("junk_items: %.80s", r.body)
	}
	s.InjectFault(simulator.Fault{Kind: simulator.FaultShortPage, Operation: hwspec.OpListConnectDesktops, Count: 1, Items: 5})
	if _, cb := connectPage(t, base, nil); len(cb.Desktops) != 25 || *cb.TotalCount != 30 {
		t.Errorf("short_page: %d of %d", len(cb.Desktops), *cb.TotalCount)
	}
	s.InjectFault(simulator.Fault{Kind: simulator.FaultEnumFlood, Operation: hwspec.OpListConnectDesktops, Count: 1})
	if _, cb := connectPage(t, base, nil); cb.Desktops[3].ConnectStatus != simulator.FloodPrefix+cb.Desktops[3].DesktopID {
		t.Errorf("enum_flood: %+v", cb.Desktops[3])
	}
	s.InjectFault(simulator.Fault{Kind: simulator.FaultOversizedPage, Operation: hwspec.OpListConnectDesktops, Count: 1, Items: 3})
	if r, _ := connectPage(t, base, nil); !strings.Contains(string(r.body), `{"desktop_id":"oversize-00000003","connect_status":"CONNECTED"}`) {
		t.Errorf("oversized_page: %s", r.body)
	}
	s.InjectFault(simulator.Fault{Kind: simulator.FaultBadList, Operation: hwspec.OpListConnectionStatus, Count: 1, Variant: simulator.BadListString})
	if r := do(t, sdkRequest(t, base, signed{path: statusPath})); string(r.body) != `{"statics":"x"}` {
		t.Errorf("bad_list on statics: %s", r.body)
	}
}

// expectedLogin counts desktops by §4.21.15 state from the §4.3.8 view,
// independently of loginStateCounts.
func expectedLogin(ds []Desktop) map[string]int64 {
	m := map[string]int64{"in_use": 0, "unregistered": 0, "unable_to_connect": 0, "ready": 0, "disconnected": 0}
	for _, d := range ds {
		if d.Status == "ERROR" && d.LoginStatus != "CONNECTED" {
			m["unable_to_connect"]++
			continue
		}
		if st, ok := map[string]string{"CONNECTED": "in_use", "REGISTERED": "ready", "UNREGISTER": "unregistered", "DISCONNECTED": "disconnected"}[d.LoginStatus]; ok {
			m[st]++
		}
	}
	return m
}

func TestLoginStateStatistics(t *testing.T) {
	s, base := startSim(t, testOptions(500))
	for step := range 3 {
		ds := s.Desktops()
		var got map[string]int64
		getJSON(t, base, loginPath, &got)
		want := map[string]int64{}
		for k, v := range expectedLogin(ds) {
			want[k+"_num"] = v
		}
		if !maps.Equal(got, want) {
			t.Errorf("step %d: %v, want %v", step, got, want)
		}
		// Every generated desktop has a documented login status: the
		// five add up to the fleet, in_use to its CONNECTED desktops.
		sum, connected := int64(0), int64(0)
		for _, v := range got {
			sum += v
		}
		for _, d := range ds {
			if d.LoginStatus == "CONNECTED" {
				connected++
			}
		}
		if sum != int64(len(ds)) || got["in_use_num"] != connected {
			t.Errorf("step %d: sum %d of %d desktops, in_use %d of %d connected", step, sum, len(ds), got["in_use_num"], connected)
		}
		s.Step()
	}
	// The mapping at its edges, on desktops installed as given.
	s.SetDesktops([]Desktop{
		{DesktopID: "a", Status: "ERROR", LoginStatus: "REGISTERED"},
		{DesktopID: "b", Status: "ERROR", LoginStatus: "CONNECTED"},
		{DesktopID: "c", Status: "ACTIVE", LoginStatus: "DISCONNECTED"},
		{DesktopID: "d", Status: "ACTIVE", LoginStatus: "WARPED"},
		{DesktopID: "e", Status: "SHUTOFF", LoginStatus: "UNREGISTER"},
	})
	var got map[string]int64
	getJSON(t, base, loginPath, &got)
	want := map[string]int64{"in_use_num": 1, "unregistered_num": 1, "unable_to_connect_num": 1, "ready_num": 0, "disconnected_num": 1}
	if !maps.Equal(got, want) {
		t.Errorf("edges: %v, want %v", got, want)
	}
}

// expectedGroups counts desktops per group and §4.13.2 counter from the
// §4.3.8 view, independently of groupStats.
func expectedGroups(ds []Desktop) map[string]map[string]int64 {
	out := map[string]map[string]int64{}
	for _, d := range ds {
		group := "default"
		for _, tag := range d.Tags {
			if tag.Key == "pool" || tag.Key == "department" {
				group = tag.Value
			}
		}
		m := out[group]
		if m == nil {
			m = map[string]int64{}
			for _, c := range []string{"running", "stop", "hibernate", "other", "attached", "unattached", "cannot_attach", "in_process", "in_use", "unregistered", "ready", "disconnected", "unknown"} {
				m[c+"_num"] = 0
			}
			out[group] = m
		}
		run := map[string]string{"ACTIVE": "running", "SHUTOFF": "stop", "HIBERNATED": "hibernate"}[d.Status]
		switch d.TaskStatus {
		case "deleting", "deleteFailed":
			run = "other"
		case "powering-on":
			run = "running"
		case "powering-off":
			run = "stop"
		}
		if run == "" || d.Status == "ERROR" {
			run = "other"
		}
		m[run+"_num"]++
		attach := map[string]string{"ATTACHED": "attached", "ATTACHFAIL": "cannot_attach", "ATTACHING": "in_process"}[d.AttachState]
		if attach == "" {
			attach = "unattached"
		}
		m[attach+"_num"]++
		login := map[string]string{"CONNECTED": "in_use", "UNREGISTER": "unregistered", "REGISTERED": "ready", "DISCONNECTED": "disconnected"}[d.LoginStatus]
		if login == "" {
			login = "unknown"
		}
		m[login+"_num"]++
	}
	return out
}

type staticsBody struct {
	Statics []map[string]any `json:"statics"`
}

// groupsOf turns a §4.13.2 answer into name → counters, checking the
// groups come in name order and each dimension adds up to the group.
func groupsOf(t *testing.T, b staticsBody) map[string]map[string]int64 {
	t.Helper()
	out := map[string]map[string]int64{}
	var names []string
	for _, g := range b.Statics {
		name, _ := g["static_name"].(string)
		names = append(names, name)
		m := map[string]int64{}
		for k, v := range g {
			if k != "static_name" {
				m[k] = int64(v.(float64))
			}
		}
		run := m["running_num"] + m["stop_num"] + m["hibernate_num"] + m["other_num"]
		attach := m["attached_num"] + m["unattached_num"] + m["cannot_attach_num"] + m["in_process_num"]
		login := m["in_use_num"] + m["unregistered_num"] + m["ready_num"] + m["disconnected_num"] + m["unknown_num"]
		if run != attach || run != login || run == 0 {
			t.Errorf("group %s: run %d, attach %d, login %d", name, run, attach, login)
		}
		out[name] = m
	}
	if !slices.IsSorted(names) {
		t.Errorf("groups not in name order: %v", names)
	}
	return out
}

func TestConnectionStatusGroups(t *testing.T) {
	s, base := startSim(t, testOptions(800))
	for step := range 3 {
		ds := s.Desktops()
		var b staticsBody
		getJSON(t, base, statusPath, &b)
		got, want := groupsOf(t, b), expectedGroups(ds)
		if !maps.EqualFunc(got, want, maps.Equal) {
			t.Errorf("step %d:\n got %v\nwant %v", step, got, want)
		}
		// Pools and departments: 4 + 9 groups at most, all named.
		total := int64(0)
		for name, m := range got {
			if name == "" || name == "default" {
				t.Errorf("group %q", name)
			}
			total += m["running_num"] + m["stop_num"] + m["hibernate_num"] + m["other_num"]
		}
		if total != int64(len(ds)) || len(got) > 13 || len(got) < 5 {
			t.Errorf("step %d: %d desktops in %d groups, fleet has %d", step, total, len(got), len(ds))
		}
		for range 5 {
			s.Step()
		}
	}
	// Installed desktops: the pool or department tag, else pool_id, else
	// "default".
	s.SetDesktops([]Desktop{
		{DesktopID: "a", Status: "ACTIVE", LoginStatus: "CONNECTED", AttachState: "ATTACHED", Tags: []Tag{{Key: "department", Value: "eng"}}},
		{DesktopID: "b", Status: "ERROR", LoginStatus: "", AttachState: "DEATTACHFAIL", PoolID: "p-1"},
		{DesktopID: "c", Status: "HIBERNATED", LoginStatus: "UNREGISTER", AttachState: "WAITING"},
	})
	var b staticsBody
	getJSON(t, base, statusPath, &b)
	got := groupsOf(t, b)
	if len(got) != 3 || got["eng"]["running_num"] != 1 || got["eng"]["in_use_num"] != 1 || got["eng"]["attached_num"] != 1 ||
		got["p-1"]["other_num"] != 1 || got["p-1"]["unknown_num"] != 1 || got["p-1"]["cannot_attach_num"] != 1 ||
		got["default"]["hibernate_num"] != 1 || got["default"]["in_process_num"] != 1 {
		t.Errorf("installed desktops: %v", got)
	}
}
