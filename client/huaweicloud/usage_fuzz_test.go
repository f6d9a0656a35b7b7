package huaweicloud

import (
	"math"
	"testing"
	"unicode/utf8"

	"github.com/workspace-exporter/workspace_exporter/client"
)

// usageFuzzSeeds are hostile shapes of the usage answers, beside the
// fixtures.
var usageFuzzSeeds = []string{
	`{"count":0,"items":[{"resource_id":"a","metric":[{"metric_name":"desktop_usage","metric_value":"1e400"},{"metric_name":"desktop_idle_duration","metric_value":-1}]}]}`,
	`{"count":"3","items":[1,null,{"username":"u","metric":[{"metric_name":"user_usage","metric_value":"NaN"},{"metric_name":"user_login_count"}]}]}`,
	`{"items":[{"resource_id":"a","metric":{"x":1}},{"resource_id":"a"}]}`,
	`{"items":null}`, `{"items":"x"}`, `[]`, `{"count":1e400}`,
	`{"total_num":5,"run_state_statistics":{"active_num":"7","x_num":-1},"attach_statistics":null}`,
	`{"total_num":-5}`, `{"stop_num":1.5,"active_num":"9007199254740993","error_num":"0x10"}`,
}

func fuzzUsageSeeds(f *testing.F) {
	addFixtures(f)
	for _, s := range usageFuzzSeeds {
		f.Add([]byte(s))
	}
}

func validUsageLabel(s string) bool { return utf8.ValidString(s) && len(s) <= client.MaxLabelLen }

func validUsageMetric(v float64, has bool) bool {
	return !math.IsNaN(v) && !math.IsInf(v, 0) && v >= 0 && (has || v == 0)
}

// Any body decodes into at most 100 usage items with valid IDs, bounded
// labels and finite values ≥ 0, or fails with an error; never a panic.
func FuzzDecodeDesktopUsagePage(f *testing.F) {
	fuzzUsageSeeds(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		p, err := DecodeDesktopUsagePage(body)
		if err != nil {
			if len(p.Items) != 0 {
				t.Fatal("items returned with an error")
			}
			return
		}
		if len(p.Items)+p.Invalid > usageMaxLimit || p.Invalid < 0 || p.SkippedMetrics < 0 || p.BadValues < 0 {
			t.Fatalf("%d items, %d invalid", len(p.Items), p.Invalid)
		}
		for _, d := range p.Items {
			if !client.ValidID(d.DesktopID) || !validUsageLabel(d.DesktopName) || !validUsageLabel(d.PoolID) ||
				!validUsageMetric(d.UsedSeconds, d.HasUsed) || !validUsageMetric(d.IdleSeconds, d.HasIdle) {
				t.Fatalf("item %+v", d)
			}
		}
	})
}

func FuzzDecodeUserUsagePage(f *testing.F) {
	fuzzUsageSeeds(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		p, err := DecodeUserUsagePage(body)
		if err != nil {
			if len(p.Items) != 0 {
				t.Fatal("items returned with an error")
			}
			return
		}
		if len(p.Items)+p.Invalid > usageMaxLimit || p.Invalid < 0 {
			t.Fatalf("%d items, %d invalid", len(p.Items), p.Invalid)
		}
		for _, u := range p.Items {
			if u.UserName == "" || !validUsageLabel(u.UserName) || !validUsageMetric(u.UsedSeconds, u.HasUsed) || !validUsageMetric(u.Logins, u.HasLogins) ||
				!validUsageMetric(u.LoginSuccesses, u.HasSuccesses) || !validUsageMetric(u.LoginFailures, u.HasFailures) {
				t.Fatalf("item %+v", u)
			}
		}
	})
}

// Any body decodes into counts ≥ 0 keyed by bounded names, or fails.
func FuzzDecodeUsageStatistics(f *testing.F) {
	fuzzUsageSeeds(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		check := func(m map[string]int64) {
			if len(m) > 4+5+maxUsageUndocumentedCounters {
				t.Fatalf("%d counters", len(m))
			}
			for k, v := range m {
				if v < 0 || !client.ValidID(k) {
					t.Fatalf("counter %q = %d", k, v)
				}
			}
		}
		if st, err := DecodeDesktopStatistics(body); err == nil {
			if st.Total < 0 {
				t.Fatalf("total %d", st.Total)
			}
			check(st.RunState)
			check(st.LoginState)
			check(st.AttachState)
		}
		if m, err := DecodeRunStateStatistics(body); err == nil {
			check(m)
		} else if m != nil {
			t.Fatal("counters returned with an error")
		}
	})
}
