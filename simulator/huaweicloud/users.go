package huaweicloud

import (
	"hash/fnv"
	"net/http"
	"strconv"
	"time"

	"github.com/workspace-exporter/workspace_exporter/client/huaweicloud/hwspec"
	"github.com/workspace-exporter/workspace_exporter/simulator"
)

// This file is the users domain, from the one fleet:
//
//   - ListUsers (§4.8.1): the tenant's desktop users. Every user of a
//     desktop of the fleet is one (total_desktops: how many desktops of
//     the fleet name it), in fleet order of their first desktop; after
//     them come pre-created users without a desktop, the next user names
//     the fleet would hand out (userName(userSeq), …): one for every 20
//     users handed out, and 3 more. When the fleet creates a desktop for
//     the next user, that user moves up to the desktop users and another
//     pre-created one appears; when a desktop is deleted its user goes
//     with it. A user's flags are drawn from the seed and the name, so
//     they stay the same from request to request: about 2.5% locked,
//     1.5% disabled, 1% expired (account_expired, and an expiry time in
//     the past), 3% expiring within 1..13 days of the fleet's epoch, 10%
//     with an expiry 30..400 days out, the rest never ("0"); the flags
//     overlap independently. Pre-created users must change their password
//     at the first login.
//   - ListUserGroups (§4.9.1): one LOCAL group per department (its tag,
//     e.g. "finance") and one AD group per desktop pool ("<pool>-users"),
//     always all of them; a desktop user belongs to the group of its first
//     desktop, a pre-created user to a department's group or none (by
//     hash). user_quantity is the number of users of ListUsers naming the
//     group, total_desktops the sum of their desktops.
//
// The users of desktops installed with SetDesktops (which have no
// department or pool) are users without a group.

// Paging of the users lists.
const (
	// §4.8.1: "if [limit] is not specified, all users ... are
	// returned" (seed 003 L16781); no range is documented, the table's
	// is served.
	usersDefaultLimit = 1 << 30
	// §4.9.1: limit 1..100, "not specified or ... 0" is 100 (Table
	// 4-1142).
	userGroupsDefaultLimit = 100
	usersSalt              = 0x75736572735f7631
)

func usersLimits(op string, def int) simulator.Limits {
	row := hwspec.Spec.Operation(op)
	return wksLimits(row.MinLimit, row.MaxLimit, def, "The value of limit must be greater than 0 and smaller than 1000.", "limit must be in "+strconv.Itoa(row.MinLimit)+".."+strconv.Itoa(row.MaxLimit)+".")
}

var (
	listUsersLimits      = usersLimits(hwspec.OpListUsers, usersDefaultLimit)
	listUserGroupsLimits = usersLimits(hwspec.OpListUserGroups, userGroupsDefaultLimit)
)

// User is one user as ListUsers serves it (§4.8.1 Table 4-1018).
type User struct {
	ID, Name, Email string
	// Desktops is total_desktops: the desktops of the fleet naming the
	// user.
	Desktops                  int
	Locked, Disabled, Expired bool
	// AccountExpires is "0" (never) or a UTC time with milliseconds.
	AccountExpires                          string
	PasswordNeverExpires, ChangeAtNextLogin bool
	PreUser                                 bool
	// ActiveType is USER_ACTIVATE or ADMIN_ACTIVATE.
	ActiveType string
	// Groups are the names of the user's groups (at most one here).
	Groups []string
}

// UserGroup is one user group as ListUserGroups serves it (§4.9.1 Table
// 4-1145).
type UserGroup struct {
	ID, Name, Description, PlatformType string
	Created                             string
	// Users is user_quantity, Desktops total_desktops.
	Users, Desktops int
}

// userGroupDefs are the groups: one per department, then one per pool.
type userGroupDef struct{ name, platform, desc string }

var userGroupDefs = func() []userGroupDef {
	var out []userGroupDef
	for _, d := range departments {
		out = append(out, userGroupDef{d.tag, "LOCAL", "Users of the " + d.tag + " department."})
	}
	for _, p := range pools {
		out = append(out, userGroupDef{p.name + "-users", "AD", "Users of " + p.name + "."})
	}
	return out
}()

func nameHash(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return h.Sum64()
}

// newUser draws a user's attributes from the seed and the name.
func newUser(seed uint64, epoch int64, name string, desktops int, pre bool) User {
	h := mix(nameHash(name)^seed, usersSalt)
	u := User{
		ID: hex32(mix(h, 1), mix(h, 2)), Name: name, Email: name + "@example.com", Desktops: desktops,
		Locked: mix(h, 3)%1000 < 25, Disabled: mix(h, 4)%1000 < 15, Expired: mix(h, 5)%1000 < 10,
		AccountExpires: "0", PasswordNeverExpires: mix(h, 6)%100 < 20, ChangeAtNextLogin: pre || mix(h, 7)%100 < 5,
		PreUser: pre, ActiveType: "USER_ACTIVATE",
	}
	if mix(h, 8)%100 < 10 {
		u.ActiveType = "ADMIN_ACTIVATE"
	}
	day := int64(24 * time.Hour / time.Millisecond)
	switch v := mix(h, 9) % 1000; {
	case u.Expired:
		u.AccountExpires = formatMillis(epoch - day*int64(1+mix(h, 10)%100))
	case v < 30:
		u.AccountExpires = formatMillis(epoch + day*int64(1+mix(h, 10)%13))
	case v < 130:
		u.AccountExpires = formatMillis(epoch + day*int64(30+mix(h, 10)%371))
	}
	return u
}

// users builds the user and group lists from the fleet; the caller holds
// the fleet lock.
func (f *fleet) users() ([]User, []UserGroup) {
	var seed uint64
	if f.logins != nil {
		seed = f.logins.seed
	}
	index := make(map[string]int, len(f.recs)+f.userSeq/20+3)
	var out []User
	groupOf := map[string]int{} // user → group index, -1 for none
	for _, r := range f.recs {
		if r.user == "" {
			continue
		}
		if i, ok := index[r.user]; ok {
			out[i].Desktops++
			continue
		}
		index[r.user] = len(out)
		out = append(out, newUser(seed, f.epoch, r.user, 1, false))
		g := -1
		switch {
		case r.custom != nil:
		case r.dept != nil:
			g = r.dept.index
		case r.pool != nil:
			g = len(departments) + r.pool.index
		}
		groupOf[r.user] = g
	}
	for k := range f.userSeq/20 + 3 {
		name := userName(f.userSeq + k)
		if _, ok := index[name]; ok {
			continue
		}
		index[name] = len(out)
		u := newUser(seed, f.epoch, name, 0, true)
		g := -1
		if h := mix(nameHash(name)^seed, usersSalt+1); h%2 == 0 {
			g = int(h / 2 % uint64(len(departments)))
		}
		groupOf[name] = g
		out = append(out, u)
	}
	groups := make([]UserGroup, len(userGroupDefs))
	for i, d := range userGroupDefs {
		h := mix(seed^usersSalt, uint64(i)+100)
		groups[i] = UserGroup{ID: uuidString(mix(h, 1), mix(h, 2)), Name: d.name, Description: d.desc, PlatformType: d.platform,
			Created: formatMillis(f.epoch - int64(400+i)*int64(24*time.Hour/time.Millisecond))}
	}
	for i := range out {
		if g := groupOf[out[i].Name]; g >= 0 {
			out[i].Groups = []string{groups[g].Name}
			groups[g].Users++
			groups[g].Desktops += out[i].Desktops
		}
	}
	return out, groups
}

// Users returns the users ListUsers serves now, in list order.
func (s *Simulator) Users() []User {
	var out []User
	s.ReadFleet(func() { out, _ = s.api.fleet.users() })
	return out
}

// UserGroups returns the groups ListUserGroups serves now, in list order.
func (s *Simulator) UserGroups() []UserGroup {
	var out []UserGroup
	s.ReadFleet(func() { _, out = s.api.fleet.users() })
	return out
}

func appendUser(b []byte, u User) []byte {
	b = appendKeyString(b, '{', "id", u.ID)
	b = appendKeyString(b, ',', "sid", u.ID)
	b = appendKeyString(b, ',', "user_name", u.Name)
	b = appendKeyString(b, ',', "user_email", u.Email)
	b = append(b, `,"total_desktops":`...)
	b = strconv.AppendInt(b, int64(u.Desktops), 10)
	b = appendKeyString(b, ',', "active_type", u.ActiveType)
	b = appendKeyBool(b, "is_pre_user", u.PreUser)
	b = appendKeyString(b, ',', "account_expires", u.AccountExpires)
	b = appendKeyBool(b, "password_never_expired", u.PasswordNeverExpires)
	b = appendKeyBool(b, "account_expired", u.Expired)
	b = appendKeyBool(b, "enable_change_password", true)
	b = appendKeyBool(b, "next_login_change_password", u.ChangeAtNextLogin)
	b = appendKeyString(b, ',', "description", "")
	b = appendKeyBool(b, "locked", u.Locked)
	b = appendKeyBool(b, "disabled", u.Disabled)
	b = appendKeyBool(b, "share_space_subscription", false)
	b = append(b, `,"share_space_desktops":0,"group_names":[`...)
	for i, g := range u.Groups {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, g)
	}
	b = append(b, ']')
	b = appendKeyString(b, ',', "enterprise_project_id", "0")
	return append(b, '}')
}

func appendUserGroup(b []byte, g UserGroup) []byte {
	b = appendKeyString(b, '{', "name", g.Name)
	b = appendKeyString(b, ',', "id", g.ID)
	b = appendKeyString(b, ',', "create_time", g.Created)
	b = appendKeyString(b, ',', "description", g.Description)
	b = append(b, `,"user_quantity":`...)
	b = strconv.AppendInt(b, int64(g.Users), 10)
	b = append(b, `,"parent":{}`...)
	b = appendKeyString(b, ',', "realm_id", "")
	b = appendKeyString(b, ',', "platform_type", g.PlatformType)
	b = appendKeyString(b, ',', "group_dn", "")
	b = appendKeyString(b, ',', "domain", "")
	b = appendKeyString(b, ',', "sid", g.ID)
	b = append(b, `,"total_desktops":`...)
	b = strconv.AppendInt(b, int64(g.Desktops), 10)
	return append(b, '}')
}

// listUsers answers ListUsers (§4.8.1): every user when no limit is
// given, else the page; the filters are not served (the exporter sends
// none). The caller holds the fleet's read lock.
func (a *api) listUsers(op simulator.Operation, r *http.Request, b []byte, f *simulator.Fault) (int, []byte) {
	page, e := simulator.ParsePage(r.URL.Query(), listUsersLimits)
	if e != nil {
		return e.Status, errorBody(e)
	}
	users, _ := a.fleet.users()
	l := simulator.List[User]{
		ListKey: op.ListKey, TotalKey: op.TotalKey, Mode: a.srv.TotalCountMode(),
		Items: users, Page: page, Append: appendUser,
		// No enum field of a user is read; active_type stands in.
		Flood: func(u User, _ []string) User {
			u.ActiveType = simulator.FloodPrefix + u.ID
			return u
		},
		ItemSize: 420,
	}
	return http.StatusOK, l.AppendTo(b, f)
}

// listUserGroups answers ListUserGroups (§4.9.1): limit 1..100, 100 when
// absent or 0; an offset without a limit is refused ("must be used
// together with limit", Table 4-1142).
func (a *api) listUserGroups(op simulator.Operation, r *http.Request, b []byte, f *simulator.Fault) (int, []byte) {
	q := r.URL.Query()
	if q.Get("limit") == "0" {
		q.Del("limit")
	}
	if _, hasOffset := q["offset"]; hasOffset && q.Get("limit") == "" {
		return badParameter("offset must be used together with limit.")
	}
	page, e := simulator.ParsePage(q, listUserGroupsLimits)
	if e != nil {
		return e.Status, errorBody(e)
	}
	_, groups := a.fleet.users()
	l := simulator.List[UserGroup]{
		ListKey: op.ListKey, TotalKey: op.TotalKey, Mode: a.srv.TotalCountMode(),
		Items: groups, Page: page, Append: appendUserGroup,
		Flood: func(g UserGroup, _ []string) UserGroup {
			g.PlatformType = simulator.FloodPrefix + g.ID
			return g
		},
		ItemSize: 360,
	}
	return http.StatusOK, l.AppendTo(b, f)
}

func appendOversizedUser(b []byte, n int) []byte {
	b = append(b, `{"id":"oversize-`...)
	b = appendPadded(b, n)
	return append(b, `","user_name":"oversize","locked":false}`...)
}

func appendOversizedUserGroup(b []byte, n int) []byte {
	b = append(b, `{"id":"oversize-`...)
	b = appendPadded(b, n)
	return append(b, `","name":"oversize","platform_type":"LOCAL","user_quantity":1}`...)
}
