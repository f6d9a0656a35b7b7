package huaweicloud

import (
	"testing"
	"time"
)

var usersFuzzSeeds = []string{
	`{"total_count":"2","users":[{"id":"a","locked":"TRUE","account_expires":"9223372036854775807","total_desktops":"-1"},7,null]}`,
	`{"users":[{"ID":"a","account_expires":{"x":[1,2]},"group_names":"g"},{"user_name":"b","account_expires":1e400}]}`,
	`{"users":null}`, `{"users":"x"}`, `{"user_groups":[{"id":"g","platform_type":"\ud800","user_quantity":1e30}]}`,
	`{"user_groups":[{"name":"g","parent":{"parent":{"parent":{}}}}],"total_count":-1}`,
}

func fuzzUsersSeeds(f *testing.F) {
	addFixtures(f)
	for _, s := range usersFuzzSeeds {
		f.Add([]byte(s))
	}
}

// Any body decodes into at most 500 users with sane fields, or fails with
// an error; never a panic.
func FuzzDecodeUsersPage(f *testing.F) {
	fuzzUsersSeeds(f)
	latest := time.Date(9000, 1, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, body []byte) {
		p, err := DecodeUsersPage(body)
		if err != nil {
			if len(p.Items) != 0 {
				t.Fatal("items returned with an error")
			}
			return
		}
		if len(p.Items)+p.Invalid > 500 || p.Invalid < 0 {
			t.Fatalf("%d users, %d invalid", len(p.Items), p.Invalid)
		}
		for _, u := range p.Items {
			if u.Desktops < 0 || !u.HasDesktops && u.Desktops != 0 || !u.AccountExpires.Before(latest) ||
				u.ExpiryUnreadable && !u.AccountExpires.IsZero() {
				t.Fatalf("user %+v", u)
			}
		}
	})
}

// Any body decodes into at most 100 groups with bounded label values and
// counts ≥ 0, or fails with an error.
func FuzzDecodeUserGroupsPage(f *testing.F) {
	fuzzUsersSeeds(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		p, err := DecodeUserGroupsPage(body)
		if err != nil {
			if len(p.Items) != 0 {
				t.Fatal("items returned with an error")
			}
			return
		}
		if len(p.Items)+p.Invalid > 100 {
			t.Fatalf("%d groups", len(p.Items))
		}
		for _, g := range p.Items {
			if !validLabel(g.PlatformType) || g.Users < 0 || !g.HasUsers && g.Users != 0 {
				t.Fatalf("group %+v", g)
			}
		}
	})
}
