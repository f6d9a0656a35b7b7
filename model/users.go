package model

import (
	"context"
	"time"
)

// CapabilityUsers is the users domain: the provider's desktop user
// accounts and user groups (UserLister).
const CapabilityUsers = "users"

// FieldUserGroupPlatformType names a user group's platform (Huawei §4.9.1
// platform_type: AD, LOCAL).
const FieldUserGroupPlatformType = "user_group.platform_type"

// User is one desktop user account. It carries no name: user names are
// never label values of the aggregate series built from it.
type User struct {
	Locked, Disabled bool
	// Expired is the provider's own "account has expired" flag.
	Expired bool
	// AccountExpires is when the account expires; zero when it never does
	// (or the provider does not say). ExpiryUnreadable is true when the
	// provider sent an expiry that could not be read.
	AccountExpires   time.Time
	ExpiryUnreadable bool
	// PasswordNeverExpires and MustChangePassword are the provider's
	// password flags.
	PasswordNeverExpires, MustChangePassword bool
	// Desktops is the number of desktops assigned to the user, when
	// HasDesktops.
	Desktops    int64
	HasDesktops bool
}

// UserGroup is one user group.
type UserGroup struct {
	// PlatformType keeps whatever value the provider sent ("" when
	// absent); safe for a label value.
	PlatformType string
	// Users is the number of users in the group, when HasUsers.
	Users    int64
	HasUsers bool
}

// UserLister lists a target's desktop users and user groups: each list
// complete, or an error.
type UserLister interface {
	ListUsers(ctx context.Context) ([]User, ListStats, error)
	ListUserGroups(ctx context.Context) ([]UserGroup, ListStats, error)
}
