package huaweicloud

import (
	"bytes"
	"context"
	"time"

	"github.com/workspace-exporter/workspace_exporter/client"
	"github.com/workspace-exporter/workspace_exporter/client/huaweicloud/hwspec"
	"github.com/workspace-exporter/workspace_exporter/model"
)

// The users domain: the desktop users of §4.8.1 and the user groups of
// §4.9.1. It implements model.UserLister. Nothing here calls a per-user
// or per-group operation (see hwspec/users.go for what is left out, and
// why).

// Operation names of the users domain (see hwspec).
const (
	OpListUsers      = hwspec.OpListUsers
	OpListUserGroups = hwspec.OpListUserGroups
)

// List and total keys (seed 003 Table 4-1017 L16808-16809, Table 4-1144 L18641-18644).
const (
	usersListKey      = "users"
	userGroupsListKey = "user_groups"
	usersTotalKey     = "total_count"
)

// maxAccountExpiry is the latest expiry taken as a date: later ones (AD's
// "never" is 2^63-1 in 100 ns units, which some gateways pass through as
// milliseconds) mean the account never expires.
var maxAccountExpiry = time.Date(9000, 1, 1, 0, 0, 0, 0, time.UTC)

// accountExpires reads §4.8.1 account_expires: documented as a String in
// which "0" means never (L16826); its format is given only for the
// request of §4.8.2 ("yyyy-MM-ddTHH:mm:ssZ or yyyy-MM-ddTHH:mm:ss.SSSZ",
// L16999), and §4.8.4 sends it as a Long of UTC milliseconds (L17315).
// Absent, null, "", "0", 0 and "-1" are never; a date in any documented
// format or epoch milliseconds is the expiry; anything else (a boolean, an
// object, a small number, text) is unreadable: never, flagged.
func accountExpires(raw []byte) (t time.Time, unreadable bool) {
	if len(raw) == 0 {
		return time.Time{}, false
	}
	switch raw[0] {
	case 'n':
		return time.Time{}, false
	case 't', 'f', '{', '[':
		return time.Time{}, true
	}
	s := rawString(raw)
	if len(s) > 64 {
		return time.Time{}, true
	}
	switch s {
	case "", "0", "-1":
		return time.Time{}, false
	}
	t = parseTime(s)
	switch {
	case t.IsZero():
		return time.Time{}, true
	case !t.Before(maxAccountExpiry):
		return time.Time{}, false
	}
	return t, false
}

// decodeUser decodes one User of §4.8.1 (Table 4-1018, L16811-16843): its
// id (the item's ID; "name:" and user_name when id is absent, since names
// are unique in a tenant), the flags locked, disabled, account_expired,
// password_never_expired, next_login_change_password, account_expires and
// total_desktops. Booleans arriving as strings are read; anything else is
// false. The user name itself is not kept.
func decodeUser(s *client.JSONScanner) (model.User, string, bool, error) {
	var u model.User
	if !s.EnterObject() {
		return u, "", false, nil
	}
	var id, name, expires, desktops []byte
	var kb [32]byte
	for {
		key, ok := s.NextKey()
		if !ok {
			break
		}
		switch string(client.JSONFieldKey(kb[:0], key)) {
		case "id":
			id = s.Raw()
		case "user_name":
			name = s.Raw()
		case "locked":
			u.Locked = rawBool(s.Raw())
		case "disabled":
			u.Disabled = rawBool(s.Raw())
		case "account_expired":
			u.Expired = rawBool(s.Raw())
		case "password_never_expired":
			u.PasswordNeverExpires = rawBool(s.Raw())
		case "next_login_change_password":
			u.MustChangePassword = rawBool(s.Raw())
		case "account_expires":
			expires = s.Raw()
		case "total_desktops":
			desktops = s.Raw()
		default:
			s.Skip()
		}
	}
	u.AccountExpires, u.ExpiryUnreadable = accountExpires(expires)
	if n, ok := rawInt(desktops); ok && n >= 0 {
		u.Desktops, u.HasDesktops = n, true
	}
	key := rawString(id)
	if key == "" {
		if n := rawString(name); n != "" {
			key = "name:" + n
		}
	}
	return u, key, true, nil
}

// decodeUserGroup decodes one UserGroupInfo of §4.9.1 (Table 4-1145): id
// (the item's ID; "name:" and name when absent), platform_type (redacted
// and bounded: a label value) and user_quantity. parent, another
// UserGroupInfo, is not read.
func decodeUserGroup(red *client.Redactor) client.RawItemDecoder[model.UserGroup] {
	return func(s *client.JSONScanner) (model.UserGroup, string, bool, error) {
		var g model.UserGroup
		if !s.EnterObject() {
			return g, "", false, nil
		}
		var id, name, platform, users []byte
		var kb [32]byte
		for {
			key, ok := s.NextKey()
			if !ok {
				break
			}
			switch string(client.JSONFieldKey(kb[:0], key)) {
			case "id":
				id = s.Raw()
			case "name":
				name = s.Raw()
			case "platform_type":
				platform = s.Raw()
			case "user_quantity":
				users = s.Raw()
			default:
				s.Skip()
			}
		}
		g.PlatformType = red.Label(rawString(platform))
		if n, ok := rawInt(users); ok && n >= 0 {
			g.Users, g.HasUsers = n, true
		}
		key := rawString(id)
		if key == "" {
			if n := rawString(name); n != "" {
				key = "name:" + n
			}
		}
		return g, key, true, nil
	}
}

// ListPage is one decoded page of a users-domain list.
type ListPage[T any] struct {
	Items      []T
	Total      int64
	TotalKnown bool
	// Invalid are elements skipped (not objects, or without a valid ID).
	Invalid int
}

// DecodeUsersPage decodes one §4.8.1 response body with the decoder
// ListUsers uses, at its largest page (500). For fixture tests and tools.
func DecodeUsersPage(body []byte) (ListPage[model.User], error) {
	p, err := client.DecodePageRaw(bytes.NewReader(body), OpListUsers, usersListKey, usersTotalKey,
		Spec.Operation(OpListUsers).MaxLimit, decodeUser)
	if err != nil {
		return ListPage[model.User]{}, err
	}
	return ListPage[model.User]{Items: p.Items, Total: p.Total, TotalKnown: p.HasTotal, Invalid: p.Invalid}, nil
}

// DecodeUserGroupsPage decodes one §4.9.1 response body with the decoder
// ListUserGroups uses, at its largest page (100).
func DecodeUserGroupsPage(body []byte) (ListPage[model.UserGroup], error) {
	p, err := client.DecodePageRaw(bytes.NewReader(body), OpListUserGroups, userGroupsListKey, usersTotalKey,
		Spec.Operation(OpListUserGroups).MaxLimit, decodeUserGroup(&client.Redactor{}))
	if err != nil {
		return ListPage[model.UserGroup]{}, err
	}
	return ListPage[model.UserGroup]{Items: p.Items, Total: p.Total, TotalKnown: p.HasTotal, Invalid: p.Invalid}, nil
}

// usersList is the walk of a users-domain list: offset and limit always
// sent (§4.8.1 answers every user at once without a limit, L16781), no
// filter.
func (c *Client) usersList(op, listKey string) client.OffsetList {
	return client.OffsetList{
		Op:          c.operation(op),
		ListKey:     listKey,
		TotalKey:    usersTotalKey,
		Limit:       c.limit(op),
		MaxPages:    c.cfg.MaxPages,
		Concurrency: c.cfg.Concurrency,
	}
}

// ListUsers implements model.UserLister: it walks GET
// /v2/{project_id}/users (§4.8.1) and returns every user, or an error.
func (c *Client) ListUsers(ctx context.Context) ([]model.User, model.ListStats, error) {
	return client.WalkOffsetRaw(ctx, c.tr, c.usersList(OpListUsers, usersListKey), decodeUser)
}

// ListUserGroups implements model.UserLister: it walks GET
// /v2/{project_id}/groups (§4.9.1) and returns every user group, or an
// error.
func (c *Client) ListUserGroups(ctx context.Context) ([]model.UserGroup, model.ListStats, error) {
	return client.WalkOffsetRaw(ctx, c.tr, c.usersList(OpListUserGroups, userGroupsListKey), decodeUserGroup(c.tr.Redactor()))
}

var _ model.UserLister = (*Client)(nil)
