package collector

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"

	"github.com/workspace-exporter/workspace_exporter/client/huaweicloud"
	"github.com/workspace-exporter/workspace_exporter/client/huaweicloud/hwspec"
	"github.com/workspace-exporter/workspace_exporter/config"
	"github.com/workspace-exporter/workspace_exporter/model"
	"github.com/workspace-exporter/workspace_exporter/simulator"
	hwsim "github.com/workspace-exporter/workspace_exporter/simulator/huaweicloud"
)

var testPlatforms = huaweicloud.Spec.Enums[model.FieldUserGroupPlatformType]

var usersNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

var testUsers = []model.User{
	{}, // active
	{HasDesktops: true, Desktops: 2, PasswordNeverExpires: true},                    // active, with desktops
	{Locked: true, Disabled: true, HasDesktops: true, Desktops: 1},                  // disabled wins; both flags
	{Locked: true, Expired: true, AccountExpires: usersNow.Add(-time.Hour)},         // locked wins
	{Expired: true, MustChangePassword: true},                                       // expired
	{AccountExpires: usersNow.Add(13 * 24 * time.Hour)},                             // expiring
	{AccountExpires: usersNow.Add(-time.Minute)},                                    // past but not flagged: expiring (its last day)
	{AccountExpires: usersNow.Add(15 * 24 * time.Hour), HasDesktops: true},          // active (0 desktops)
	{ExpiryUnreadable: true, Locked: true, AccountExpires: usersNow.Add(time.Hour)}, // locked, expiring flag
}

var testGroups = []model.UserGroup{
	{PlatformType: "AD", Users: 3, HasUsers: true},
	{PlatformType: "LOCAL", Users: 4, HasUsers: true},
	{PlatformType: "LOCAL"},
	{PlatformType: "LDAP", Users: 1, HasUsers: true},
	{Users: 2, HasUsers: true},
}

const usersExposition = `
# HELP workspace_user_accounts Desktop user accounts of the target.
# TYPE workspace_user_accounts gauge
workspace_user_accounts{target="t"} 9
# HELP workspace_users Desktop user accounts by state, each in exactly one: disabled, else locked, else expired, else expiring (within account_expiry_days), else active. The states sum to workspace_user_accounts.
# TYPE workspace_users gauge
workspace_users{state="active",target="t"} 3
workspace_users{state="disabled",target="t"} 1
workspace_users{state="expired",target="t"} 1
workspace_users{state="expiring",target="t"} 2
workspace_users{state="locked",target="t"} 2
# HELP workspace_users_flagged Desktop user accounts carrying each flag (locked, disabled, expired, expiring, password_never_expires, must_change_password, expiry_unreadable); a user may carry several.
# TYPE workspace_users_flagged gauge
workspace_users_flagged{flag="disabled",target="t"} 1
workspace_users_flagged{flag="expired",target="t"} 2
workspace_users_flagged{flag="expiring",target="t"} 3
workspace_users_flagged{flag="expiry_unreadable",target="t"} 1
workspace_users_flagged{flag="locked",target="t"} 3
workspace_users_flagged{flag="must_change_password",target="t"} 1
workspace_users_flagged{flag="password_never_expires",target="t"} 1
# HELP workspace_users_with_desktops Desktop user accounts with at least one desktop assigned.
# TYPE workspace_users_with_desktops gauge
workspace_users_with_desktops{target="t"} 2
# HELP workspace_users_expiry_window_seconds The window in which an account that expires counts as expiring (the account_expiry_days option).
# TYPE workspace_users_expiry_window_seconds gauge
workspace_users_expiry_window_seconds{target="t"} 1.2096e+06
# HELP workspace_user_groups User groups by platform type. Every documented platform type is present (0 when none).
# TYPE workspace_user_groups gauge
workspace_user_groups{platform_type="AD",target="t"} 1
workspace_user_groups{platform_type="LDAP",target="t"} 1
workspace_user_groups{platform_type="LOCAL",target="t"} 2
workspace_user_groups{platform_type="unknown",target="t"} 1
# HELP workspace_user_group_members Members of the user groups, summed per platform type, as the provider counts them (a user in two groups counts twice).
# TYPE workspace_user_group_members gauge
workspace_user_group_members{platform_type="AD",target="t"} 3
workspace_user_group_members{platform_type="LDAP",target="t"} 1
workspace_user_group_members{platform_type="LOCAL",target="t"} 4
workspace_user_group_members{platform_type="unknown",target="t"} 2
# HELP workspace_label_values_folded Distinct undocumented values of a label folded into "other" in the latest data, because more than 20 undocumented values appeared for that label of the target.
# TYPE workspace_label_values_folded gauge
workspace_label_values_folded{collector="users",label="platform_type",target="t"} 0
`

func TestUsersSnapshot(t *testing.T) {
	c := snapCollector{newUsersSnapshot(testUsers, testGroups, testPlatforms, usersNow, 14), "t"}
	if err := testutil.CollectAndCompare(c, strings.NewReader(usersExposition)); err != nil {
		t.Error(err)
	}
	problems, err := testutil.CollectAndLint(c)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint: %s: %s", p.Metric, p.Text)
	}
	// An empty target: every state, flag and documented platform at 0.
	empty := snapCollector{newUsersSnapshot(nil, nil, testPlatforms, usersNow, 14), "t"}
	if n := testutil.CollectAndCount(empty); n != 1+len(userStates)+len(userFlags)+2+2*len(testPlatforms)+1 {
		t.Errorf("%d series for an empty target", n)
	}
}

// The window moves accounts between expiring and active, nothing else.
func TestUsersExpiryWindow(t *testing.T) {
	for _, c := range []struct{ days, expiring, active int }{{1, 1, 5}, {13, 1, 5}, {14, 3, 3}, {16, 4, 2}, {365, 4, 2}} {
		users := append([]model.User{}, testUsers...)
		users = append(users, model.User{AccountExpires: usersNow.Add(13*24*time.Hour + time.Hour)})
		s := newUsersSnapshot(users, nil, testPlatforms, usersNow, c.days)
		if s.states[userStateExpiring] != c.expiring || s.states[userStateActive] != c.active {
			t.Errorf("%d days: %v", c.days, s.states)
		}
	}
}

// More undocumented platform types than kept fold into "other".
func TestUsersPlatformsFold(t *testing.T) {
	var groups []model.UserGroup
	for i := range MaxUndocumentedValues + 4 {
		for range i + 1 {
			groups = append(groups, model.UserGroup{PlatformType: fmt.Sprintf("P%02d", i), Users: 1, HasUsers: true})
		}
	}
	c := snapCollector{newUsersSnapshot(nil, groups, testPlatforms, usersNow, 14), "t"}
	if n := testutil.CollectAndCount(c, "workspace_user_groups"); n != 2+MaxUndocumentedValues+1 {
		t.Errorf("%d platform series", n)
	}
	b := NewBuilder()
	c.s.Render(b, "t")
	text := string(Render(b.Families()).Text())
	for _, line := range []string{`workspace_user_groups{platform_type="other",target="t"} 10`,
		`workspace_label_values_folded{collector="users",label="platform_type",target="t"} 4`} {
		if !strings.Contains(text, line+"\n") {
			t.Errorf("no %s", line)
		}
	}
}

// usersEnv is a seeded simulated fleet and a signed client of it.
func usersEnv(t *testing.T, n int) (*hwsim.Simulator, *huaweicloud.Client) {
	t.Helper()
	sim, err := hwsim.New(hwsim.Options{ProjectID: benchProject, Credentials: []simulator.Credential{{AccessKey: benchAK, SecretKey: benchSK}}, Desktops: n, Seed: 11})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim)
	t.Cleanup(func() { srv.Close(); sim.Close() })
	cl, err := huaweicloud.New(huaweicloud.Config{Endpoint: srv.URL, ProjectID: benchProject, AccessKey: benchAK, SecretKey: benchSK, MaxRetries: 0, PageSize: 250})
	if err != nil {
		t.Fatal(err)
	}
	return sim, cl
}

func usersRefresh(t *testing.T, cl *huaweicloud.Client, o UsersOptions) (map[string]*dto.MetricFamily, error) {
	t.Helper()
	refresh, err := newUsersCollector(cl, &o, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	snap, err := refresh(context.Background())
	if err != nil {
		return nil, err
	}
	b := NewBuilder()
	snap.Render(b, "sim")
	return parseText(t, Render(b.Families()).Text()), nil
}

// Every family against a seeded simulated fleet, the expected values
// computed from the simulator's own views: its users and groups (Users,
// UserGroups) classified here, and its desktop list (§4.3.8): every user
// of a desktop is an account with desktops, and no other account has one.
func TestUsersCollectorAgainstSimulator(t *testing.T) {
	sim, cl := usersEnv(t, 1200)
	now := time.Now()
	mfs, err := usersRefresh(t, cl, UsersOptions{AccountExpiryDays: 14, now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	if sim.Requests(hwspec.OpListUsers) < 2 || sim.Requests(hwspec.OpListUserGroups) != 1 {
		t.Errorf("requests: %d users, %d groups", sim.Requests(hwspec.OpListUsers), sim.Requests(hwspec.OpListUserGroups))
	}
	users := sim.Users()
	states, flags := map[string]float64{}, map[string]float64{}
	with := 0.0
	for _, u := range users {
		var exp time.Time
		if u.AccountExpires != "0" {
			if exp, err = time.Parse("2006-01-02T15:04:05.000Z", u.AccountExpires); err != nil {
				t.Fatal(err)
			}
		}
		expiring := !u.Expired && !exp.IsZero() && exp.Sub(now) < 14*24*time.Hour
		state := "active"
		switch {
		case u.Disabled:
			state = "disabled"
		case u.Locked:
			state = "locked"
		case u.Expired:
			state = "expired"
		case expiring:
			state = "expiring"
		}
		states[state]++
		for f, on := range map[string]bool{"locked": u.Locked, "disabled": u.Disabled, "expired": u.Expired, "expiring": expiring,
			"password_never_expires": u.PasswordNeverExpires, "must_change_password": u.ChangeAtNextLogin} {
			if on {
				flags[f]++
			}
		}
		if u.Desktops > 0 {
			with++
		}
	}
	desktopUsers := map[string]bool{}
	for _, d := range sim.Desktops() {
		if d.UserName != "" {
			desktopUsers[d.UserName] = true
		}
	}
	if with != float64(len(desktopUsers)) || len(users) <= len(desktopUsers) {
		t.Errorf("%v users with desktops, %d desktop users in §4.3.8, %d users", with, len(desktopUsers), len(users))
	}
	want(t, mfs, float64(len(users)), "workspace_user_accounts")
	want(t, mfs, float64(len(desktopUsers)), "workspace_users_with_desktops")
	sum := 0.0
	for _, st := range userStates {
		want(t, mfs, states[st], "workspace_users", "state", st)
		sum += states[st]
		if states[st] == 0 {
			t.Errorf("a degenerate fleet: no %s user", st)
		}
	}
	if sum != float64(len(users)) {
		t.Errorf("states sum to %v of %d", sum, len(users))
	}
	for _, f := range userFlags {
		want(t, mfs, flags[f], "workspace_users_flagged", "flag", f)
	}
	want(t, mfs, 14*86400, "workspace_users_expiry_window_seconds")

	groups, members := map[string]float64{}, map[string]float64{}
	inGroups := 0.0
	for _, g := range sim.UserGroups() {
		groups[g.PlatformType]++
		members[g.PlatformType] += float64(g.Users)
	}
	for _, u := range users {
		inGroups += float64(len(u.Groups))
	}
	for _, p := range testPlatforms {
		want(t, mfs, groups[p], "workspace_user_groups", "platform_type", p)
		want(t, mfs, members[p], "workspace_user_group_members", "platform_type", p)
	}
	if members["AD"]+members["LOCAL"] != inGroups || groups["AD"] == 0 || groups["LOCAL"] == 0 {
		t.Errorf("group members %v, %v users' group names", members, inGroups)
	}
	if n := len(mfs["workspace_user_groups"].GetMetric()); n != 2 {
		t.Errorf("%d platform series", n)
	}
}

// Either list failing fails the refresh; hostile lists: junk skipped, a
// missing or null list fatal, a flood of platform types folded.
func TestUsersRefreshFailures(t *testing.T) {
	sim, cl := usersEnv(t, 300)
	o := UsersOptions{AccountExpiryDays: 14}
	for _, op := range []string{hwspec.OpListUsers, hwspec.OpListUserGroups} {
		sim.InjectFault(simulator.Fault{Kind: simulator.FaultServerError, Operation: op, Probability: 1, Status: 503})
		if _, err := usersRefresh(t, cl, o); err == nil || !strings.Contains(err.Error(), op) {
			t.Errorf("%s failing: %v", op, err)
		}
		sim.ClearFaults()
	}
	for _, v := range []string{simulator.BadListMissing, simulator.BadListNull, simulator.BadListString} {
		sim.InjectFault(simulator.Fault{Kind: simulator.FaultBadList, Operation: hwspec.OpListUsers, Count: 1, Variant: v})
		if _, err := usersRefresh(t, cl, o); err == nil || !strings.Contains(err.Error(), `"users"`) {
			t.Errorf("bad list %s: %v", v, err)
		}
		sim.ClearFaults()
	}
	n := len(sim.Users())
	sim.InjectFault(simulator.Fault{Kind: simulator.FaultJunkItems, Operation: hwspec.OpListUsers, Count: 1, Items: 3})
	mfs, err := usersRefresh(t, cl, o)
	if err != nil {
		t.Fatal(err)
	}
	want(t, mfs, float64(n-3), "workspace_user_accounts")
	sim.ClearFaults()
	sim.InjectFault(simulator.Fault{Kind: simulator.FaultEnumFlood, Operation: hwspec.OpListUserGroups, Probability: 1})
	if mfs, err = usersRefresh(t, cl, o); err != nil {
		t.Fatal(err)
	}
	groups := len(sim.UserGroups())
	want(t, mfs, 0, "workspace_user_groups", "platform_type", "AD")
	if got := len(mfs["workspace_user_groups"].GetMetric()); got != 2+min(groups, MaxUndocumentedValues)+map[bool]int{true: 1}[groups > MaxUndocumentedValues] {
		t.Errorf("%d platform series for %d flooded groups", got, groups)
	}
}

// The options come from the collector's block, checked strictly; the
// collector runs by default every 15 minutes.
func TestUsersConfiguration(t *testing.T) {
	sim, url := startSim(t, 50)
	m, reg := newTestManager(t, nil)
	target := func(collectors string) string {
		return fmt.Sprintf(`targets:
  - name: sim
    provider: huaweicloud
    region: ap-southeast-3
    project_id: %s
    endpoint: %s
    credentials: %s
    collectors: {%s%s}
`, benchProject, url, benchCredentials, collectors, othersDisabled("users"))
	}
	applyYAML(t, m, target("users: {account_expiry_days: 30}"))
	gather := func() map[string]*dto.MetricFamily {
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]*dto.MetricFamily{}
		for _, mf := range mfs {
			out[mf.GetName()] = mf
		}
		return out
	}
	byName := gather()
	want(t, byName, 1, "workspace_collector_success", "collector", "users")
	want(t, byName, 30*86400, "workspace_users_expiry_window_seconds")
	want(t, byName, 900, "workspace_collector_interval_seconds", "collector", "users")
	// Alone, it calls its two lists and nothing else (the allow-list
	// test holds every collector to this).
	for _, op := range hwspec.Spec.OperationNames() {
		if n := sim.Requests(op); (n > 0) != (op == hwspec.OpListUsers || op == hwspec.OpListUserGroups) {
			t.Errorf("%s: %d requests", op, n)
		}
	}
	if n := sim.Requests(simulator.OperationUnknown); n > 0 {
		t.Errorf("%d requests outside the spec table", n)
	}

	for _, bad := range []string{"account_expiry_days: 0", "account_expiry_days: 366", "account_expiry_days: x", "password_expiry_days: 7"} {
		_, err := config.Parse([]byte(target("users: {"+bad+"}")), m.ConfigOptions())
		if err == nil || !strings.Contains(err.Error(), "expiry_days") {
			t.Errorf("%s: err %v", bad, err)
		}
	}
}
