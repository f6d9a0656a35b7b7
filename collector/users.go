package collector

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/workspace-exporter/workspace_exporter/config"
	"github.com/workspace-exporter/workspace_exporter/model"
	"github.com/workspace-exporter/workspace_exporter/provider"
)

// The users collector counts a target's desktop user accounts and user
// groups through the provider's model.UserLister (Huawei: §4.8.1 GET
// /v2/{project_id}/users and §4.9.1 GET /v2/{project_id}/groups). Every
// series is an aggregate: no user name or ID is a label value. Nothing is
// read per user or per group.
//
// Account states. The provider has no single user status, only flags
// (Huawei §4.8.1: locked, disabled, account_expired, and the expiry time
// account_expires), which overlap. workspace_users counts each user in
// exactly one state, the first that applies of:
//
//	disabled  the account is disabled
//	locked    the account is locked (e.g. too many failed logins)
//	expired   the provider says the account has expired
//	expiring  the account expires within account_expiry_days days
//	active    none of these
//
// workspace_users_flagged counts each flag on its own (a user may carry
// several), with the password flags beside them. The provider documents
// no password expiry time (only password_never_expired), so expiry is the
// account's.

func init() {
	registerCollector(Collector{
		Name:            "users",
		DefaultEnabled:  true,
		DefaultInterval: 15 * time.Minute,
		Capability:      model.CapabilityUsers,
		NewOptions:      func() any { return newUsersOptions() },
		New:             newUsersCollector,
		Families: []*FamilyDesc{userAccountsDesc, usersDesc, usersFlaggedDesc, usersWithDesktopsDesc,
			usersExpiryWindowDesc, userGroupsDesc, userGroupMembersDesc, labelValuesFoldedDesc},
	})
}

// UsersOptions are the users collector's own settings.
type UsersOptions struct {
	// AccountExpiryDays is the window, in days, in which an account that
	// expires counts as expiring (1..365).
	AccountExpiryDays int `yaml:"account_expiry_days"`

	// now is the clock (tests); nil is time.Now.
	now func() time.Time
}

func newUsersOptions() *UsersOptions { return &UsersOptions{AccountExpiryDays: 14} }

// Validate implements config.OptionsValidator.
func (o *UsersOptions) Validate(v *config.Validation) {
	v.IntRange("account_expiry_days", o.AccountExpiryDays, 1, 365)
}

// User states (workspace_users), in order of precedence, and flags
// (workspace_users_flagged).
const (
	userStateDisabled = "disabled"
	userStateLocked   = "locked"
	userStateExpired  = "expired"
	userStateExpiring = "expiring"
	userStateActive   = "active"

	userFlagLocked               = "locked"
	userFlagDisabled             = "disabled"
	userFlagExpired              = "expired"
	userFlagExpiring             = "expiring"
	userFlagPasswordNeverExpires = "password_never_expires"
	userFlagMustChangePassword   = "must_change_password"
	userFlagExpiryUnreadable     = "expiry_unreadable"
)

var (
	userStates = []string{userStateDisabled, userStateLocked, userStateExpired, userStateExpiring, userStateActive}
	userFlags  = []string{userFlagLocked, userFlagDisabled, userFlagExpired, userFlagExpiring,
		userFlagPasswordNeverExpires, userFlagMustChangePassword, userFlagExpiryUnreadable}
)

var (
	userAccountsDesc = NewFamilyDesc(Namespace+"_user_accounts",
		"Desktop user accounts of the target.",
		prometheus.GaugeValue, "target")
	usersDesc = NewFamilyDesc(Namespace+"_users",
		"Desktop user accounts by state, each in exactly one: disabled, else locked, else expired, else expiring (within account_expiry_days), else active. The states sum to workspace_user_accounts.",
		prometheus.GaugeValue, "target", "state")
	usersFlaggedDesc = NewFamilyDesc(Namespace+"_users_flagged",
		"Desktop user accounts carrying each flag (locked, disabled, expired, expiring, password_never_expires, must_change_password, expiry_unreadable); a user may carry several.",
		prometheus.GaugeValue, "target", "flag")
	usersWithDesktopsDesc = NewFamilyDesc(Namespace+"_users_with_desktops",
		"Desktop user accounts with at least one desktop assigned.",
		prometheus.GaugeValue, "target")
	usersExpiryWindowDesc = NewFamilyDesc(Namespace+"_users_expiry_window_seconds",
		"The window in which an account that expires counts as expiring (the account_expiry_days option).",
		prometheus.GaugeValue, "target")
	userGroupsDesc = NewFamilyDesc(Namespace+"_user_groups",
		"User groups by platform type. Every documented platform type is present (0 when none).",
		prometheus.GaugeValue, "target", "platform_type")
	userGroupMembersDesc = NewFamilyDesc(Namespace+"_user_group_members",
		"Members of the user groups, summed per platform type, as the provider counts them (a user in two groups counts twice).",
		prometheus.GaugeValue, "target", "platform_type")
)

func newUsersCollector(api provider.Client, opts any, logger *slog.Logger) (RefreshFunc, error) {
	l, ok := api.(model.UserLister)
	if !ok {
		return nil, fmt.Errorf("the provider client has no %s capability (model.UserLister)", model.CapabilityUsers)
	}
	o, _ := opts.(*UsersOptions)
	if o == nil {
		o = newUsersOptions()
	}
	o2 := *o
	if o2.AccountExpiryDays < 1 || o2.AccountExpiryDays > 365 {
		return nil, fmt.Errorf("account_expiry_days %d is outside 1..365", o2.AccountExpiryDays)
	}
	now := o2.now
	if now == nil {
		now = time.Now
	}
	platforms := api.Documented(model.FieldUserGroupPlatformType)
	return func(ctx context.Context) (Snapshot, error) {
		users, ustats, err := l.ListUsers(ctx)
		if err != nil {
			return nil, err
		}
		groups, gstats, err := l.ListUserGroups(ctx)
		if err != nil {
			return nil, err
		}
		logger.Debug("listed users and user groups", "users", len(users), "user_requests", ustats.Requests, "user_total", ustats.Total,
			"skipped_users", ustats.Invalid, "groups", len(groups), "group_requests", gstats.Requests, "skipped_groups", gstats.Invalid)
		s := newUsersSnapshot(users, groups, platforms, now(), o2.AccountExpiryDays)
		if n := s.flags[userFlagExpiryUnreadable]; n > 0 {
			logger.Info("user accounts with an expiry time that could not be read count as never expiring", "users", n)
		}
		logFolded(logger, s.platform)
		return s, nil
	}, nil
}

// usersSnapshot is immutable once built.
type usersSnapshot struct {
	accounts, withDesktops int
	window                 time.Duration
	states, flags          map[string]int
	platform               *labelFolder
	groups, members        map[string]int64 // by exported platform type
}

// userState is u's one state as of now (see the file comment).
func userState(u *model.User, now time.Time, window time.Duration) (state string, expiring bool) {
	expiring = !u.Expired && !u.AccountExpires.IsZero() && u.AccountExpires.Before(now.Add(window))
	switch {
	case u.Disabled:
		return userStateDisabled, expiring
	case u.Locked:
		return userStateLocked, expiring
	case u.Expired:
		return userStateExpired, expiring
	case expiring:
		return userStateExpiring, expiring
	}
	return userStateActive, expiring
}

func newUsersSnapshot(users []model.User, groups []model.UserGroup, platforms []string, now time.Time, days int) *usersSnapshot {
	s := &usersSnapshot{
		accounts: len(users),
		window:   time.Duration(days) * 24 * time.Hour,
		states:   make(map[string]int, len(userStates)),
		flags:    make(map[string]int, len(userFlags)),
	}
	for i := range users {
		u := &users[i]
		state, expiring := userState(u, now, s.window)
		s.states[state]++
		// In the order of userFlags.
		for i, on := range [...]bool{u.Locked, u.Disabled, u.Expired, expiring,
			u.PasswordNeverExpires, u.MustChangePassword, u.ExpiryUnreadable} {
			if on {
				s.flags[userFlags[i]]++
			}
		}
		if u.HasDesktops && u.Desktops > 0 {
			s.withDesktops++
		}
	}
	raw := make(map[string]int)
	for i := range groups {
		raw[platformValue(groups[i].PlatformType)]++
	}
	s.platform = newLabelFolder("platform_type", platforms, raw)
	s.groups = make(map[string]int64, len(s.platform.values))
	s.members = make(map[string]int64, len(s.platform.values))
	for i := range groups {
		g := &groups[i]
		v := s.platform.value(platformValue(g.PlatformType))
		s.groups[v]++
		if g.HasUsers {
			s.members[v] += g.Users
		}
	}
	return s
}

// platformValue is the label value of a platform type: unknownValue when
// the provider sent none.
func platformValue(p string) string {
	if p == "" {
		return unknownValue
	}
	return p
}

// Render adds the snapshot's series.
func (s *usersSnapshot) Render(b *Builder, target string) {
	b.Add(userAccountsDesc, float64(s.accounts), target)
	for _, st := range userStates {
		b.Add(usersDesc, float64(s.states[st]), target, st)
	}
	for _, f := range userFlags {
		b.Add(usersFlaggedDesc, float64(s.flags[f]), target, f)
	}
	b.Add(usersWithDesktopsDesc, float64(s.withDesktops), target)
	b.Add(usersExpiryWindowDesc, s.window.Seconds(), target)
	for _, v := range s.platform.values {
		b.Add(userGroupsDesc, float64(s.groups[v]), target, v)
		b.Add(userGroupMembersDesc, float64(s.members[v]), target, v)
	}
	renderFolded(b, target, "users", s.platform)
}
