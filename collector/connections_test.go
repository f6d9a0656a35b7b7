package collector

import (
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/workspace-exporter/workspace_exporter/client/huaweicloud"
	"github.com/workspace-exporter/workspace_exporter/client/huaweicloud/hwspec"
	"github.com/workspace-exporter/workspace_exporter/model"
	"github.com/workspace-exporter/workspace_exporter/simulator"
	hwsim "github.com/workspace-exporter/workspace_exporter/simulator/huaweicloud"
)

// connTarget is a Manager with one target "sim" on a simulator, logging
// at debug into logs.
type connTarget struct {
	sim  *hwsim.Simulator
	m    *Manager
	reg  *prometheus.Registry
	logs *lockedBuffer
}

// connYAML configures the desktops collector and the connections
// collector (with connExtra, e.g. ", per_desktop_series: false") on the
// simulator at url; the other collectors keep their defaults.
func connYAML(url, connExtra string) string {
	return fmt.Sprintf(`targets:
  - name: sim
    provider: huaweicloud
    region: ap-southeast-3
    project_id: %s
    endpoint: %s
    credentials: %s
    api: {max_retries: 1, min_backoff: 10ms, max_backoff: 20ms}
    collectors: {desktops: {interval: 1h}, connections: {interval: 1h%s}%s}
`, benchProject, url, benchCredentials, connExtra, othersDisabled("desktops", "connections"))
}

// newConnTarget starts a simulator of n desktops, lets prepare change it,
// and waits for the first refresh.
func newConnTarget(t *testing.T, n int, connExtra string, prepare func(*hwsim.Simulator)) *connTarget {
	t.Helper()
	sim, url := startSim(t, n)
	if prepare != nil {
		prepare(sim)
	}
	c := &connTarget{sim: sim, logs: &lockedBuffer{}, reg: prometheus.NewRegistry()}
	logger := slog.New(slog.NewTextHandler(c.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	m, err := NewManager(Options{Registerer: c.reg, Logger: logger, StartSpread: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	c.reg.MustRegister(m)
	c.m = m
	applyYAML(t, m, connYAML(url, connExtra))
	return c
}

// series is one gathered family: its series' label values (label names
// sorted, target left out, joined by ",") → value.
type series map[string]float64

// gather returns every family of the registry.
func (c *connTarget) gather(t *testing.T) map[string]series {
	t.Helper()
	mfs, err := c.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]series{}
	for _, mf := range mfs {
		s := series{}
		for _, mt := range mf.GetMetric() {
			s[labelKey(mt)] = mt.GetGauge().GetValue() + mt.GetCounter().GetValue()
		}
		out[mf.GetName()] = s
	}
	return out
}

func labelKey(mt *dto.Metric) string {
	var kv []string
	for _, l := range mt.GetLabel() {
		if l.GetName() != "target" {
			kv = append(kv, l.GetName()+"="+l.GetValue())
		}
	}
	sort.Strings(kv)
	return strings.Join(kv, ",")
}

func (c *connTarget) success(t *testing.T, collector string) float64 {
	t.Helper()
	return c.gather(t)["workspace_collector_success"]["collector="+collector]
}

// expectedConnections computes every family of the connections collector
// from the simulator's own view of the fleet (the §4.3.8 desktops), with
// the documented meaning of each endpoint, independently of the
// collector, the client and the simulator's handlers.
func expectedConnections(ds []hwsim.Desktop, fallback bool) map[string]series {
	byStatus := series{}
	for _, v := range huaweicloud.Spec.Enums[model.FieldConnectStatus] {
		byStatus["connect_status="+v] = 0
	}
	perDesktop := series{}
	users := map[string]bool{}
	login := series{}
	for _, st := range huaweicloud.Spec.Enums[model.FieldLoginStateStatistic] {
		login["state="+st] = 0
	}
	groups := series{}
	for _, d := range ds {
		byStatus["connect_status="+d.LoginStatus]++
		if d.LoginStatus == "CONNECTED" {
			var names []string
			if fallback {
				names = []string{d.UserName}
			} else {
				for _, u := range d.AttachUserInfos {
					if u.Type == "USER" {
						names = append(names, u.UserName)
					}
				}
			}
			for _, u := range names {
				if u != "" {
					users[u] = true
					perDesktop["desktop_id="+d.DesktopID+",desktop_name="+d.ComputerName+",user_name="+u] = 1
				}
			}
		}
		// §4.21.15: a broken desktop is unable_to_connect unless in use.
		switch {
		case d.Status == "ERROR" && d.LoginStatus != "CONNECTED":
			login["state=unable_to_connect"]++
		default:
			login["state="+map[string]string{"CONNECTED": "in_use", "REGISTERED": "ready", "UNREGISTER": "unregistered", "DISCONNECTED": "disconnected"}[d.LoginStatus]]++
		}
		// §4.13.2: the desktop's pool or department, three dimensions.
		group := ""
		for _, tag := range d.Tags {
			if tag.Key == "pool" || tag.Key == "department" {
				group = tag.Value
			}
		}
		if _, ok := groups["group="+group+",state=running"]; !ok {
			for _, st := range huaweicloud.Spec.Enums[model.FieldGroupConnectionState] {
				groups["group="+group+",state="+st] = 0
			}
		}
		run := map[string]string{"ACTIVE": "running", "SHUTOFF": "stop", "HIBERNATED": "hibernate", "ERROR": "other"}[d.Status]
		switch {
		case d.TaskStatus == "deleting" || d.TaskStatus == "deleteFailed" || d.Status == "ERROR":
			run = "other"
		case d.TaskStatus == "powering-on":
			run = "running"
		case d.TaskStatus == "powering-off":
			run = "stop"
		}
		attach := map[string]string{"ATTACHED": "attached", "UNATTACH": "unattached", "DEATTACHED": "unattached", "ATTACHFAIL": "cannot_attach", "ATTACHING": "in_process"}[d.AttachState]
		state := map[string]string{"CONNECTED": "in_use", "REGISTERED": "ready", "UNREGISTER": "unregistered", "DISCONNECTED": "disconnected"}[d.LoginStatus]
		for _, st := range []string{run, attach, state} {
			groups["group="+group+",state="+st]++
		}
	}
	fb := 0.0
	if fallback {
		fb = 1
	}
	return map[string]series{
		"workspace_desktops_by_connect_status": byStatus,
		"workspace_connected_users":            {"": float64(len(users))},
		"workspace_connections_fallback":       {"": fb},
		"workspace_desktop_connected_user":     perDesktop,
		"workspace_desktop_group_desktops":     groups,
		"workspace_login_state_desktops":       login,
	}
}

func compareFamilies(t *testing.T, got, want map[string]series) {
	t.Helper()
	for name, w := range want {
		if g := got[name]; !maps.Equal(g, w) {
			var diff []string
			for _, k := range slices.Sorted(maps.Keys(w)) {
				if g[k] != w[k] {
					diff = append(diff, fmt.Sprintf("%s: got %v want %v", k, g[k], w[k]))
				}
			}
			for k := range g {
				if _, ok := w[k]; !ok {
					diff = append(diff, fmt.Sprintf("%s: got %v, not expected", k, g[k]))
				}
			}
			t.Errorf("%s (%d series, want %d):\n%s", name, len(g), len(w), strings.Join(diff, "\n"))
		}
	}
}

// The three connection endpoints agree with each other and with the
// desktop list, and every family equals what the simulator's fleet says.
func TestConnectionsMatchTheFleet(t *testing.T) {
	c := newConnTarget(t, 300, "", nil)
	if c.success(t, "connections") != 1 || c.success(t, "desktops") != 1 {
		t.Fatalf("collectors failed: %s", c.logs)
	}
	ds := c.sim.Desktops()
	got := c.gather(t)
	compareFamilies(t, got, expectedConnections(ds, false))
	if n := len(got["workspace_desktop_connected_user"]); n < 50 {
		t.Errorf("only %d connected users in a 300-desktop fleet: the test would prove little", n)
	}

	// Across endpoints, from the exported series alone: §4.3.37's counts
	// are §4.3.8's login_status counts, and §4.21.15's numbers are those
	// counts with the ERROR desktops moved to unable_to_connect.
	byLogin, errorByLogin := map[string]float64{}, map[string]float64{}
	for k, v := range got["workspace_desktops"] {
		f := fields(k)
		byLogin[f["login_status"]] += v
		if f["status"] == "ERROR" {
			errorByLogin[f["login_status"]] += v
		}
	}
	conn, login := got["workspace_desktops_by_connect_status"], got["workspace_login_state_desktops"]
	for _, st := range []string{"UNREGISTER", "REGISTERED", "CONNECTED", "DISCONNECTED"} {
		if conn["connect_status="+st] != byLogin[st] {
			t.Errorf("%s: §4.3.37 %v, §4.3.8 %v", st, conn["connect_status="+st], byLogin[st])
		}
	}
	if login["state=in_use"] != byLogin["CONNECTED"] ||
		login["state=ready"] != byLogin["REGISTERED"]-errorByLogin["REGISTERED"] ||
		login["state=unregistered"] != byLogin["UNREGISTER"]-errorByLogin["UNREGISTER"] ||
		login["state=disconnected"] != byLogin["DISCONNECTED"]-errorByLogin["DISCONNECTED"] ||
		login["state=unable_to_connect"] != errorByLogin["UNREGISTER"]+errorByLogin["REGISTERED"]+errorByLogin["DISCONNECTED"] {
		t.Errorf("§4.21.15 %v disagrees with §4.3.8 %v (ERROR: %v)", login, byLogin, errorByLogin)
	}
	if errorByLogin["UNREGISTER"] == 0 {
		t.Error("no ERROR desktop in the fleet: the unable_to_connect mapping is untested")
	}
	// §4.13.2's groups add up to the fleet along each dimension.
	sums := map[string]float64{}
	for k, v := range got["workspace_desktop_group_desktops"] {
		sums[fields(k)["state"]] += v
	}
	n := float64(len(ds))
	if run := sums["running"] + sums["stop"] + sums["hibernate"] + sums["other"]; run != n ||
		sums["attached"]+sums["unattached"]+sums["cannot_attach"]+sums["in_process"] != n ||
		sums["in_use"]+sums["unregistered"]+sums["ready"]+sums["disconnected"]+sums["unknown"] != n ||
		sums["in_use"] != byLogin["CONNECTED"] {
		t.Errorf("group sums %v, fleet %v desktops, %v connected", sums, n, byLogin["CONNECTED"])
	}

	// The fleet moves on; the next refresh follows it.
	for range 20 {
		c.sim.Step()
	}
	refreshAll(c.m)
	compareFamilies(t, c.gather(t), expectedConnections(c.sim.Desktops(), false))
}

// fields splits a labelKey into its labels.
func fields(key string) map[string]string {
	out := map[string]string{}
	for kv := range strings.SplitSeq(key, ",") {
		k, v, _ := strings.Cut(kv, "=")
		out[k] = v
	}
	return out
}

// A fleet longer than §4.3.37's offset cap is counted from §4.3.8, flagged,
// and no request past the cap is ever sent.
func TestConnectionsFallBackBeyondTheOffsetCap(t *testing.T) {
	for _, mode := range []simulator.TotalCountMode{simulator.TotalExact, simulator.TotalZero} {
		t.Run(mode.String(), func(t *testing.T) {
			c := newConnTarget(t, 4500, "", func(s *hwsim.Simulator) { s.SetTotalCountMode(mode) })
			if c.success(t, "connections") != 1 {
				t.Fatalf("connections failed: %s", c.logs)
			}
			ds := c.sim.Desktops()
			got := c.gather(t)
			compareFamilies(t, got, expectedConnections(ds, true))
			byLogin := map[string]float64{}
			for k, v := range got["workspace_desktops"] {
				byLogin[fields(k)["login_status"]] += v
			}
			for _, st := range []string{"UNREGISTER", "REGISTERED", "CONNECTED", "DISCONNECTED"} {
				if got["workspace_desktops_by_connect_status"]["connect_status="+st] != byLogin[st] {
					t.Errorf("%s: %v, §4.3.8 %v", st, got["workspace_desktops_by_connect_status"]["connect_status="+st], byLogin[st])
				}
			}
			// A trusted total stops after the first page; a placeholder
			// one after the full page at offset 2000. Never a 400.
			want := map[int]int64{200: 1}
			if mode == simulator.TotalZero {
				want[200] = 2
			}
			if got := c.sim.RequestsByStatus(hwspec.OpListConnectDesktops); !maps.Equal(got, want) {
				t.Errorf("ListConnectDesktops requests by status %v, want %v", got, want)
			}
			if n := strings.Count(c.logs.String(), "connection states come from the desktop list"); n != 1 {
				t.Errorf("fallback logged %d times in one refresh:\n%s", n, c.logs)
			}
			refreshAll(c.m)
			if n := strings.Count(c.logs.String(), "connection states come from the desktop list"); n != 2 {
				t.Errorf("fallback logged %d times in two refreshes", n)
			}
		})
	}
}

// per_desktop_series: false removes exactly workspace_desktop_connected_user.
func TestConnectionsPerDesktopSeriesOff(t *testing.T) {
	on := newConnTarget(t, 200, "", nil).gather(t)
	off := newConnTarget(t, 200, ", per_desktop_series: false", nil).gather(t)
	if len(on["workspace_desktop_connected_user"]) == 0 {
		t.Fatal("no per-desktop series with the option on")
	}
	var names []string
	for _, col := range []string{"connections", "desktops"} {
		for _, d := range registry[col].Families {
			names = append(names, d.Name())
		}
	}
	for _, name := range names {
		switch {
		case name == "workspace_desktop_connected_user":
			if _, ok := off[name]; ok {
				t.Errorf("%s still present with per_desktop_series off", name)
			}
		case !maps.Equal(on[name], off[name]):
			t.Errorf("%s changed with per_desktop_series off", name)
		}
	}
}

// A hostile or broken answer of any of the three operations fails the
// refresh and keeps the last complete data; junk elements are skipped;
// invented statuses are bounded.
func TestConnectionsHostileAnswers(t *testing.T) {
	c := newConnTarget(t, 120, "", nil)
	before := c.gather(t)
	for name, f := range map[string]func(){
		"§4.3.37 null list": func() {
			c.sim.InjectFault(simulator.Fault{Kind: simulator.FaultBadList, Operation: hwspec.OpListConnectDesktops, Probability: 1, Variant: simulator.BadListNull})
		},
		"§4.3.37 short page, on every walk": func() {
			c.sim.InjectFault(simulator.Fault{Kind: simulator.FaultShortPage, Operation: hwspec.OpListConnectDesktops, Probability: 1})
		},
		"§4.13.2 missing list": func() {
			c.sim.InjectFault(simulator.Fault{Kind: simulator.FaultBadList, Operation: hwspec.OpListConnectionStatus, Probability: 1})
		},
		"§4.13.2 negative counter": func() {
			c.sim.ServeVerbatim(hwspec.OpListConnectionStatus, 200, []byte(`{"statics":[{"static_name":"g","running_num":-5}]}`))
		},
		"§4.21.15 not an object": func() {
			c.sim.ServeVerbatim(hwspec.OpShowLoginStateStatistics, 200, []byte(`[{"in_use_num":1}]`))
		},
		"§4.21.15 text counter": func() {
			c.sim.ServeVerbatim(hwspec.OpShowLoginStateStatistics, 200, []byte(`{"in_use_num":"lots"}`))
		},
	} {
		t.Run(name, func(t *testing.T) {
			f()
			refreshAll(c.m)
			got := c.gather(t)
			if got["workspace_collector_success"]["collector=connections"] != 0 {
				t.Errorf("the refresh succeeded")
			}
			for _, fam := range []string{"workspace_desktops_by_connect_status", "workspace_desktop_group_desktops", "workspace_login_state_desktops", "workspace_desktop_connected_user"} {
				if !maps.Equal(got[fam], before[fam]) {
					t.Errorf("%s changed: the last complete data must stay", fam)
				}
			}
			c.sim.ClearFaults()
			c.sim.ServeVerbatim(hwspec.OpListConnectionStatus, 0, nil)
			c.sim.ServeVerbatim(hwspec.OpShowLoginStateStatistics, 0, nil)
			refreshAll(c.m)
			if c.success(t, "connections") != 1 {
				t.Fatalf("no recovery: %s", c.logs)
			}
		})
	}
	assertNoSecret(t, "logs", c.logs.String())

	// Junk elements are skipped and counted; the rest is complete.
	c.sim.InjectFault(simulator.Fault{Kind: simulator.FaultJunkItems, Operation: hwspec.OpListConnectDesktops, Count: 1, Items: 7})
	refreshAll(c.m)
	got := c.gather(t)
	if got["workspace_collector_success"]["collector=connections"] != 1 ||
		got["workspace_api_invalid_items_total"]["operation="+hwspec.OpListConnectDesktops] != 7 {
		t.Errorf("junk items: success %v, invalid %v", got["workspace_collector_success"], got["workspace_api_invalid_items_total"])
	}
	// Invented statuses: at most 20 kept, the rest folded into "other".
	c.sim.InjectFault(simulator.Fault{Kind: simulator.FaultEnumFlood, Operation: hwspec.OpListConnectDesktops, Count: 1, Fields: []string{"login_status"}})
	refreshAll(c.m)
	got = c.gather(t)
	byStatus := got["workspace_desktops_by_connect_status"]
	total := 0.0
	for _, v := range byStatus {
		total += v
	}
	if len(byStatus) != 4+MaxUndocumentedValues+1 || total != 120 || byStatus["connect_status=other"] != 100 ||
		got["workspace_label_values_folded"]["collector=connections,label=connect_status"] != 100 {
		t.Errorf("enum flood: %d series, total %v, folded %v", len(byStatus), total, got["workspace_label_values_folded"])
	}
}

// The documented examples, served verbatim, come out as the API gave them.
func TestConnectionsSeedExamplesEndToEnd(t *testing.T) {
	c := newConnTarget(t, 0, "", func(s *hwsim.Simulator) {
		for op, file := range map[string]string{
			hwspec.OpListConnectDesktops:      "list_connect_desktops_seed004.json",
			hwspec.OpListConnectionStatus:     "list_connection_status_seed003.json",
			hwspec.OpShowLoginStateStatistics: "login_state_statistics_seed003.json",
		} {
			s.ServeVerbatim(op, 200, mustRead(t, "../client/huaweicloud/testdata/"+file))
		}
	})
	if c.success(t, "connections") != 1 {
		t.Fatalf("failed: %s", c.logs)
	}
	got := c.gather(t)
	wantStatus := series{"connect_status=UNREGISTER": 0, "connect_status=REGISTERED": 0, "connect_status=CONNECTED": 0, "connect_status=DISCONNECTED": 0, "connect_status=string": 1}
	wantGroups := series{}
	for _, st := range huaweicloud.Spec.Enums[model.FieldGroupConnectionState] {
		wantGroups["group=string,state="+st] = 2147483647
	}
	compareFamilies(t, got, map[string]series{
		"workspace_desktops_by_connect_status": wantStatus,
		"workspace_connected_users":            {"": 0},
		"workspace_connections_fallback":       {"": 0},
		"workspace_desktop_group_desktops":     wantGroups,
		"workspace_login_state_desktops":       {"state=in_use": 0, "state=unregistered": 0, "state=unable_to_connect": 0, "state=ready": 0, "state=disconnected": 0},
	})
	if _, ok := got["workspace_desktop_connected_user"]; ok {
		t.Error("a desktop that is not CONNECTED has per-desktop series")
	}
}

// Snapshot building: groups of the same name add up, groups beyond the
// bound fold into "other" (a group named "other" included), missing
// counters stay absent, only documented states are exported.
func TestConnectionGroupsBounded(t *testing.T) {
	enums := connectionEnums{
		connect:     huaweicloud.Spec.Enums[model.FieldConnectStatus],
		groupStates: huaweicloud.Spec.Enums[model.FieldGroupConnectionState],
		loginStates: huaweicloud.Spec.Enums[model.FieldLoginStateStatistic],
	}
	var groups []model.StateCounts
	for i := range MaxConnectionGroups + 30 {
		groups = append(groups, model.StateCounts{Group: fmt.Sprintf("g%04d", i), Counts: map[string]int64{"running": int64(1000 + i), "in_use": 1}})
	}
	groups = append(groups,
		model.StateCounts{Group: "g0000", Counts: map[string]int64{"running": 5, "stop": 2}},   // same name: added up
		model.StateCounts{Group: "other", Counts: map[string]int64{"running": 1, "bogus": 99}}, // a real "other", small: folded into itself
		model.StateCounts{Group: "", Counts: map[string]int64{"running": 1}},                   // unnamed: "unknown", small: folded
	)
	s := newConnectionsSnapshot(model.Connections{}, groups, map[string]int64{"in_use": 3, "bogus": 1}, enums, true)
	if s.otherGroups != 32 || len(s.groups) != MaxConnectionGroups+1 {
		t.Fatalf("%d folded, %d groups", s.otherGroups, len(s.groups))
	}
	byName := map[string]groupRow{}
	for _, g := range s.groups {
		byName[g.group] = g
	}
	// g0000..g0029 are the smallest named ones (1000..1029 running) and fold.
	if _, ok := byName["g0029"]; ok {
		t.Error("a small group was kept")
	}
	if g := byName["g0529"]; g.counts["running"] != 1529 || len(g.counts) != 2 {
		t.Errorf("g0529 = %v (absent counters must stay absent)", g.counts)
	}
	other := byName["other"]
	wantRunning := 1.0 + 1 + 5
	for i := range 30 {
		wantRunning += float64(1000 + i)
	}
	if other.counts["running"] != wantRunning || other.counts["stop"] != 2 || other.counts["in_use"] != 30 || len(other.counts) != 3 {
		t.Errorf("other = %v, want running %v", other.counts, wantRunning)
	}
	b := NewBuilder()
	s.Render(b, "t")
	text := string(Render(b.Families()).Text())
	if strings.Contains(text, "bogus") || !strings.Contains(text, `workspace_login_state_desktops{state="in_use",target="t"} 3`) ||
		strings.Contains(text, `state="ready"`) {
		t.Errorf("rendered:\n%.2000s", text)
	}
}

// A counter the API leaves out is absent, not 0, and said once in the log
// until the set of missing counters changes.
func TestConnectionsMissingCounters(t *testing.T) {
	c := newConnTarget(t, 50, "", func(s *hwsim.Simulator) {
		s.ServeVerbatim(hwspec.OpShowLoginStateStatistics, 200, []byte(`{"in_use_num":4,"ready_num":null,"future_num":9}`))
	})
	refreshAll(c.m)
	if c.success(t, "connections") != 1 {
		t.Fatalf("failed: %s", c.logs)
	}
	if got := c.gather(t)["workspace_login_state_desktops"]; !maps.Equal(got, series{"state=in_use": 4}) {
		t.Errorf("login states %v", got)
	}
	const warning = "the API left out documented counters"
	if n := strings.Count(c.logs.String(), warning); n != 1 {
		t.Errorf("warned %d times in two refreshes:\n%s", n, c.logs)
	}
	c.sim.ServeVerbatim(hwspec.OpShowLoginStateStatistics, 0, nil)
	refreshAll(c.m)
	if got := c.gather(t)["workspace_login_state_desktops"]; len(got) != 5 {
		t.Errorf("login states after the API sent them all: %v", got)
	}
}
