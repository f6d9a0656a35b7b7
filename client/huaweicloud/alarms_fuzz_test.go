package huaweicloud

import (
	"testing"

	"github.com/workspace-exporter/workspace_exporter/client"
	"github.com/workspace-exporter/workspace_exporter/client/huaweicloud/hwspec"
)

// alarmFuzzSeeds are hostile shapes of the alarm answers, beside the
// fixtures.
var alarmFuzzSeeds = []string{
	`{"count":0,"alarm_histories":[{"record_id":"r","alarm_id":"a","level":"1e400","begin_time":-1e300,"metric":{"dimensions":[null,{"value":{"x":1}}]}}]}`,
	`{"alarm_histories":[1,null,{"alarm_id":"\ud800"},{"record_id":"` + "\x01" + `","alarm_id":"a"}],"count":"x"}`,
	`{"alarm_histories":null}`, `{"alarm_histories":"x"}`, `[]`, `{"count":1e400}`,
	`{"critical_count":"7","info_count":-1}`, `{"total":1.5,"major_count":9007199254740993}`,
}

func fuzzAlarmSeeds(f *testing.F) {
	addFixtures(f)
	for _, s := range alarmFuzzSeeds {
		f.Add([]byte(s))
	}
}

// Any body decodes into at most 100 alarm records with valid keys,
// bounded labels and a documented severity (or none), or fails with an
// error; never a panic.
func FuzzDecodeAlarmsPage(f *testing.F) {
	fuzzAlarmSeeds(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		p, err := DecodeAlarmsPage(body)
		if err != nil {
			if len(p.Alarms) != 0 {
				t.Fatal("records returned with an error")
			}
			return
		}
		if len(p.Alarms)+p.Invalid > alarmsMaxLimit || p.Invalid < 0 {
			t.Fatalf("%d records, %d invalid", len(p.Alarms), p.Invalid)
		}
		for _, a := range p.Alarms {
			if !client.ValidID(a.Key) {
				t.Fatalf("key %q", a.Key)
			}
			for _, s := range []string{a.AlarmID, a.Name, a.Status, a.Type, a.ResourceID, a.ResourceName} {
				if !validUsageLabel(s) {
					t.Fatalf("label %q of %+v", s, a)
				}
			}
			if a.Severity != "" && !usageContains(hwspec.AlarmSeverities, a.Severity) {
				t.Fatalf("severity %q", a.Severity)
			}
			if !a.Begin.IsZero() && (a.Begin.Year() < 2000 || a.Begin.Year() > 2200) {
				t.Fatalf("begin %v", a.Begin)
			}
		}
	})
}

// Any body decodes into counts ≥ 0 of documented severities, or fails.
func FuzzDecodeAlarmStatistics(f *testing.F) {
	fuzzAlarmSeeds(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		st, err := DecodeAlarmStatistics(body)
		if err != nil {
			return
		}
		if st.Total < 0 || !st.HasTotal && st.Total != 0 || !st.HasTotal && len(st.BySeverity) == 0 {
			t.Fatalf("%+v", st)
		}
		for sev, v := range st.BySeverity {
			if v < 0 || !usageContains(hwspec.AlarmSeverities, sev) {
				t.Fatalf("%+v", st)
			}
		}
	})
}
