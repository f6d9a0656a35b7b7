package huaweicloud

import (
	"slices"
	"testing"
	"unicode/utf8"

	"github.com/workspace-exporter/workspace_exporter/client"
	"github.com/workspace-exporter/workspace_exporter/model"
)

func validLabel(s string) bool { return utf8.ValidString(s) && len(s) <= client.MaxLabelLen }

// checkCounts fails unless every key is a documented state of field and
// every value a count in [0, 2^53].
func checkCounts(t *testing.T, field string, counts map[string]int64) {
	t.Helper()
	for k, v := range counts {
		if !slices.Contains(Spec.Enums[field], k) || v < 0 || v > maxCounter {
			t.Fatalf("%s: counter %q = %d", field, k, v)
		}
	}
}

// Any body is either decoded by the three connection decoders into
// bounded, clean values, or refused with an error; nothing panics.
func FuzzDecodeConnections(f *testing.F) {
	addFixtures(f)
	for _, s := range []string{
		`{"desktops":[42,null,{"desktop_id":"a","attach_users":[{"name":"x","type":"USER"},{"name":"x","type":"USER"},7]}],"total_count":"1"}`,
		`{"desktops":[{"desktop_id":"a","attach_users":"x","connect_status":{"a":1}}]}`,
		`{"statics":[{"static_name":"g","running_num":-1}]}`, `{"statics":[{"ready_num":"1.5"},null]}`,
		`{"in_use_num":1e400}`, `{"in_use_num":"\u0031"}`, `[]`, `null`, `{"statics":null}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		ds, _, _, invalid, err := DecodeConnectDesktopsPage(body)
		if err != nil && len(ds) != 0 {
			t.Fatal("desktops returned with an error")
		}
		if len(ds)+invalid > Spec.Operation(OpListConnectDesktops).MaxLimit {
			t.Fatalf("%d desktops and %d invalid over the limit", len(ds), invalid)
		}
		for _, d := range ds {
			if !client.ValidID(d.DesktopID) || !validLabel(d.DesktopName) || !validLabel(d.ConnectStatus) || len(d.Users) > model.MaxConnectionUsers {
				t.Fatalf("desktop %+v", d)
			}
			for i, u := range d.Users {
				if u == "" || !validLabel(u) || slices.Contains(d.Users[:i], u) {
					t.Fatalf("users %q", d.Users)
				}
			}
		}

		groups, invalid, err := DecodeConnectionStatus(body)
		if err != nil && len(groups) != 0 {
			t.Fatal("groups returned with an error")
		}
		if len(groups)+invalid > maxConnectionGroups {
			t.Fatalf("%d groups", len(groups))
		}
		for _, g := range groups {
			if !validLabel(g.Group) {
				t.Fatalf("group %q", g.Group)
			}
			checkCounts(t, model.FieldGroupConnectionState, g.Counts)
		}

		counts, err := DecodeLoginStateStatistics(body)
		if err != nil && counts != nil {
			t.Fatal("counts returned with an error")
		}
		checkCounts(t, model.FieldLoginStateStatistic, counts)
	})
}
