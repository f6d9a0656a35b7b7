package collector

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/workspace-exporter/workspace_exporter/model"
	"github.com/workspace-exporter/workspace_exporter/provider"
)

// The connections collector reads who is connected through the provider's
// model.ConnectionReader (Huawei: GET /v2/{project_id}/connect-desktops,
// §4.3.37, or the desktop list §4.3.8 when the fleet is longer than
// §4.3.37's offset cap; GET /v2/{project_id}/connections/status, §4.13.2;
// GET /v2/{project_id}/desktops/statistics/login-state, §4.21.15). A
// refresh reads all three; when any fails, the refresh fails.

func init() {
	registerCollector(Collector{
		Name:            "connections",
		DefaultEnabled:  true,
		DefaultInterval: 2 * time.Minute,
		Capability:      model.CapabilityConnections,
		NewOptions:      func() any { return &ConnectionsOptions{PerDesktopSeries: true} },
		New:             newConnectionsCollector,
		Families: []*FamilyDesc{desktopsByConnectStatusDesc, connectedUsersDesc, connectionsFallbackDesc,
			desktopConnectedUserDesc, desktopGroupDesktopsDesc, loginStateDesktopsDesc, labelValuesFoldedDesc},
	})
}

// ConnectionsOptions are the connections collector's own settings.
type ConnectionsOptions struct {
	// PerDesktopSeries turns workspace_desktop_connected_user on (the
	// default) or off; the aggregates stay either way.
	PerDesktopSeries bool `yaml:"per_desktop_series"`
}

// MaxConnectionGroups bounds the group label of
// workspace_desktop_group_desktops: the largest groups are kept, the rest
// are added up into group="other".
const MaxConnectionGroups = 500

// connectedStatus is the connection state of a desktop in use (§4.3.37
// connect_status, §4.3.8 login_status).
const connectedStatus = "CONNECTED"

var (
	desktopsByConnectStatusDesc = NewFamilyDesc(Namespace+"_desktops_by_connect_status",
		"Desktops by connection status. Every documented status is present (0 when none); undocumented values the API returns are added.",
		prometheus.GaugeValue, "target", "connect_status")
	connectedUsersDesc = NewFamilyDesc(Namespace+"_connected_users",
		"Distinct users assigned to the desktops whose connection status is CONNECTED.",
		prometheus.GaugeValue, "target")
	connectionsFallbackDesc = NewFamilyDesc(Namespace+"_connections_fallback",
		"1 when the connection states come from the desktop list's login status because the fleet is longer than the connection list's paging can read, else 0.",
		prometheus.GaugeValue, "target")
	desktopConnectedUserDesc = NewFamilyDesc(Namespace+"_desktop_connected_user",
		"Each user assigned to a desktop whose connection status is CONNECTED. Always 1.",
		prometheus.GaugeValue, "target", "desktop_id", "desktop_name", "user_name")
	desktopGroupDesktopsDesc = NewFamilyDesc(Namespace+"_desktop_group_desktops",
		"Desktops of each desktop group by state, as the API counts them. Every documented state the API sends is present.",
		prometheus.GaugeValue, "target", "group", "state")
	loginStateDesktopsDesc = NewFamilyDesc(Namespace+"_login_state_desktops",
		"Desktops by login state, as the API counts them for the whole fleet. Every documented state the API sends is present.",
		prometheus.GaugeValue, "target", "state")
)

// connectionEnums are the provider's documented values.
type connectionEnums struct{ connect, groupStates, loginStates []string }

func newConnectionsCollector(api provider.Client, opts any, logger *slog.Logger) (RefreshFunc, error) {
	r, ok := api.(model.ConnectionReader)
	if !ok {
		return nil, fmt.Errorf("the provider client has no %s capability (model.ConnectionReader)", model.CapabilityConnections)
	}
	o, _ := opts.(*ConnectionsOptions)
	if o == nil {
		o = &ConnectionsOptions{PerDesktopSeries: true}
	}
	enums := connectionEnums{
		connect:     api.Documented(model.FieldConnectStatus),
		groupStates: api.Documented(model.FieldGroupConnectionState),
		loginStates: api.Documented(model.FieldLoginStateStatistic),
	}
	var (
		mu          sync.Mutex
		lastMissing string // documented counters the API left out, as last logged
	)
	return func(ctx context.Context) (Snapshot, error) {
		conns, err := r.ListConnections(ctx)
		if err != nil {
			return nil, err
		}
		groups, err := r.GroupStates(ctx)
		if err != nil {
			return nil, err
		}
		login, err := r.LoginStateStatistics(ctx)
		if err != nil {
			return nil, err
		}
		st := conns.Stats
		if conns.Fallback {
			logger.Info("connection states come from the desktop list's login status: the fleet is longer than the provider's connection list can be paged",
				"desktops", len(conns.Desktops), "requests", st.Requests, "total", st.Total)
		} else {
			logger.Debug("listed desktop connections", "desktops", len(conns.Desktops), "requests", st.Requests,
				"page_size", st.PageSize, "total", st.Total, "skipped_items", st.Invalid, "walks", st.Walks)
		}
		snap := newConnectionsSnapshot(conns, groups, login, enums, o.PerDesktopSeries)
		logFolded(logger, snap.status)
		if snap.otherGroups > 0 {
			logger.Warn("more desktop groups than are exported; the smallest are added up as group \"other\"",
				"groups", snap.otherGroups+MaxConnectionGroups, "kept", MaxConnectionGroups, "folded", snap.otherGroups)
		}
		missing := snap.missing(enums)
		mu.Lock()
		changed := missing != lastMissing
		lastMissing = missing
		mu.Unlock()
		if changed && missing != "" {
			logger.Warn("the API left out documented counters; their series are absent rather than 0", "counters", missing)
		}
		return snap, nil
	}, nil
}

// groupRow is one exported group's counts, by documented state.
type groupRow struct {
	group  string
	counts map[string]float64
}

// connectionsSnapshot is immutable once built.
type connectionsSnapshot struct {
	status      *labelFolder   // connect_status: documented + kept undocumented values
	byStatus    map[string]int // folded value → desktops
	users       int            // distinct users of CONNECTED desktops
	fallback    bool
	perDesktop  [][3]string  // desktop_id, desktop_name, user_name; nil when off
	groups      []groupRow   // sorted by name, "other" among them when groups folded
	otherGroups int          // groups added up into "other"
	groupStates []string     // documented, in order
	login       []stateCount // documented states the API sent, in documented order
}

// stateCount is one state's count.
type stateCount struct {
	state string
	n     int64
}

// newConnectionsSnapshot aggregates one refresh's data. Groups of the same
// name are added up; beyond MaxConnectionGroups distinct names, the
// largest groups (by their counts' sum; ties by name) are kept and the
// rest added up into OtherValue. Only documented states are exported.
func newConnectionsSnapshot(conns model.Connections, groups []model.StateCounts, login map[string]int64, enums connectionEnums, perDesktop bool) *connectionsSnapshot {
	raw := map[string]int{}
	for i := range conns.Desktops {
		raw[labelValue(conns.Desktops[i].ConnectStatus)]++
	}
	s := &connectionsSnapshot{
		status:      newLabelFolder("connect_status", enums.connect, raw),
		byStatus:    map[string]int{},
		fallback:    conns.Fallback,
		groupStates: enums.groupStates,
	}
	for _, st := range enums.loginStates {
		if n, ok := login[st]; ok {
			s.login = append(s.login, stateCount{st, n})
		}
	}
	users := map[string]struct{}{}
	for i := range conns.Desktops {
		d := &conns.Desktops[i]
		s.byStatus[s.status.value(labelValue(d.ConnectStatus))]++
		if d.ConnectStatus != connectedStatus {
			continue
		}
		for _, u := range d.Users {
			users[u] = struct{}{}
			if perDesktop {
				s.perDesktop = append(s.perDesktop, [3]string{d.DesktopID, d.DesktopName, u})
			}
		}
	}
	s.users = len(users)
	s.groups, s.otherGroups = foldGroups(groups, enums.groupStates)
	return s
}

// foldGroups adds up the documented counts of the groups by name and
// folds the groups beyond MaxConnectionGroups into OtherValue.
func foldGroups(groups []model.StateCounts, states []string) ([]groupRow, int) {
	byName := map[string]*groupRow{}
	var rows []*groupRow
	for _, g := range groups {
		name := labelValue(g.Group)
		row := byName[name]
		if row == nil {
			row = &groupRow{group: name, counts: map[string]float64{}}
			byName[name] = row
			rows = append(rows, row)
		}
		for _, st := range states {
			if v, ok := g.Counts[st]; ok {
				row.counts[st] += float64(v)
			}
		}
	}
	folded := 0
	if len(rows) > MaxConnectionGroups {
		size := func(r *groupRow) float64 {
			t := 0.0
			for _, v := range r.counts {
				t += v
			}
			return t
		}
		slices.SortFunc(rows, func(a, b *groupRow) int {
			if c := cmp.Compare(size(b), size(a)); c != 0 {
				return c
			}
			return strings.Compare(a.group, b.group)
		})
		folded = len(rows) - MaxConnectionGroups
		kept := slices.Clone(rows[:MaxConnectionGroups])
		other := byName[OtherValue]
		if other == nil || !slices.Contains(kept, other) {
			other = &groupRow{group: OtherValue, counts: map[string]float64{}}
			kept = append(kept, other)
		}
		for _, r := range rows[MaxConnectionGroups:] {
			if r == other {
				continue
			}
			for st, v := range r.counts {
				other.counts[st] += v
			}
		}
		rows = kept
	}
	out := make([]groupRow, len(rows))
	for i, r := range rows {
		out[i] = *r
	}
	slices.SortFunc(out, func(a, b groupRow) int { return strings.Compare(a.group, b.group) })
	return out, folded
}

// missing lists the documented counters absent from the latest data
// ("" when none), for the log.
func (s *connectionsSnapshot) missing(enums connectionEnums) string {
	var out []string
	for _, st := range enums.loginStates {
		if !slices.ContainsFunc(s.login, func(c stateCount) bool { return c.state == st }) {
			out = append(out, "login-state "+st)
		}
	}
	for _, st := range enums.groupStates {
		for _, g := range s.groups {
			if _, ok := g.counts[st]; !ok {
				out = append(out, "group "+st)
				break
			}
		}
	}
	return strings.Join(out, ",")
}

// Render adds the snapshot's series.
func (s *connectionsSnapshot) Render(b *Builder, target string) {
	for _, v := range s.status.values {
		b.Add(desktopsByConnectStatusDesc, float64(s.byStatus[v]), target, v)
	}
	renderFolded(b, target, "connections", s.status)
	b.Add(connectedUsersDesc, float64(s.users), target)
	fallback := 0.0
	if s.fallback {
		fallback = 1
	}
	b.Add(connectionsFallbackDesc, fallback, target)
	for _, p := range s.perDesktop {
		b.Add(desktopConnectedUserDesc, 1, target, p[0], p[1], p[2])
	}
	for _, g := range s.groups {
		for _, st := range s.groupStates {
			if v, ok := g.counts[st]; ok {
				b.Add(desktopGroupDesktopsDesc, v, target, g.group, st)
			}
		}
	}
	for _, c := range s.login {
		b.Add(loginStateDesktopsDesc, float64(c.n), target, c.state)
	}
}
