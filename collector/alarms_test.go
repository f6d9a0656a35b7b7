package collector

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/workspace-exporter/workspace_exporter/client/huaweicloud"
	"github.com/workspace-exporter/workspace_exporter/config"
	"github.com/workspace-exporter/workspace_exporter/model"
	hwsim "github.com/workspace-exporter/workspace_exporter/simulator/huaweicloud"
)

var testAlarmEnums = alarmEnums{
	severity: huaweicloud.Spec.Enums[model.FieldAlarmSeverity],
	status:   huaweicloud.Spec.Enums[model.FieldAlarmStatus],
}

// alarmsTarget starts a simulator of n desktops and a Manager running only
// the alarms collector (with extra options, e.g. "max_alarm_series: 3").
func alarmsTarget(t *testing.T, n int, extra string) (*hwsim.Simulator, *prometheus.Registry) {
	t.Helper()
	sim, url := startSim(t, n)
	m, reg := newTestManager(t, nil)
	opts := "interval: 1h"
	if extra != "" {
		opts += ", " + extra
	}
	applyYAML(t, m, simYAMLCollectors(url, benchCredentials, "", "alarms: {"+opts+"}"+othersDisabled("alarms")))
	return sim, reg
}

func gatherAll(t *testing.T, reg prometheus.Gatherer) map[string]series {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]series{}
	for _, mf := range mfs {
		s := series{}
		for _, mt := range mf.GetMetric() {
			s[labelKey(mt)] = mt.GetGauge().GetValue() + mt.GetCounter().GetValue()
		}
		out[mf.GetName()] = s
	}
	return out
}

var simSeverity = map[int]string{1: "critical", 2: "major", 3: "minor", 4: "warning"}

// expectedAlarms computes the alarms collector's families from the
// simulator's own list of alarm records (not through its handlers, the
// client or the collector), with the documented meaning of each field:
// level 1..4 → severity, status "alarm" → raised, additional_info's
// resource, else the metric's dimension.
func expectedAlarms(alarms []hwsim.Alarm, maxSeries int) map[string]series {
	active, stats, per, begin := series{}, series{}, series{}, series{}
	for _, sev := range testAlarmEnums.severity {
		stats["severity="+sev] = 0
		for _, st := range testAlarmEnums.status {
			active["severity="+sev+",status="+st] = 0
		}
	}
	raised := 0
	for _, a := range alarms {
		sev := simSeverity[a.Level]
		active["severity="+sev+",status="+a.Status]++
		stats["severity="+sev]++
		if a.Status != "alarm" {
			continue
		}
		raised++
		res := a.ResourceID
		if res == "" {
			res = a.Dimension
		}
		key := fmt.Sprintf("alarm_id=%s,alarm_name=%s,resource_id=%s,resource_name=%s,severity=%s", a.AlarmID, a.Name, res, a.ResourceName, sev)
		per[key] = 1
		begin[key] = float64(a.Begin.Unix())
	}
	dropped := 0
	if raised > maxSeries {
		dropped = raised - maxSeries
		per, begin = nil, nil // checked separately
	}
	out := map[string]series{
		"workspace_alarms_active":            active,
		"workspace_alarm_statistics":         stats,
		"workspace_alarm_statistics_records": {"": float64(len(alarms))},
		"workspace_alarm_series_dropped":     {"": float64(dropped)},
		"workspace_label_values_folded":      {"collector=alarms,label=status": 0},
	}
	if per != nil {
		out["workspace_alarm_active"] = per
		out["workspace_alarm_active_begin_timestamp_seconds"] = begin
	}
	return out
}

// Every family equals what the simulator's alarm records say; §4.22.1
// and §4.22.2 agree (the records by severity, summed over status, are the
// statistics); and the raised major alarms are the fleet's desktops in
// ERROR, one per desktop.
func TestAlarmsMatchTheFleet(t *testing.T) {
	sim, reg := alarmsTarget(t, 3000, "")
	got := gatherAll(t, reg)
	alarms := sim.Alarms()
	compareFamilies(t, got, expectedAlarms(alarms, defaultMaxAlarmSeries))

	for _, sev := range testAlarmEnums.severity {
		sum := 0.0
		for _, st := range testAlarmEnums.status {
			sum += got["workspace_alarms_active"]["severity="+sev+",status="+st]
		}
		if s := got["workspace_alarm_statistics"]["severity="+sev]; s != sum {
			t.Errorf("%s: §4.22.2 says %v, the §4.22.1 records %v", sev, s, sum)
		}
	}
	errorDesktops := map[string]bool{}
	for _, d := range sim.Desktops() {
		if d.Status == "ERROR" {
			errorDesktops[d.DesktopID] = true
		}
	}
	majors := 0
	for k := range got["workspace_alarm_active"] {
		f := fields(k)
		if f["severity"] != "major" {
			continue
		}
		majors++
		if !errorDesktops[f["resource_id"]] || f["resource_name"] == "" {
			t.Errorf("major alarm %s is not on a desktop in ERROR", k)
		}
	}
	if majors != len(errorDesktops) || majors == 0 {
		t.Errorf("%d major alarms, %d desktops in ERROR", majors, len(errorDesktops))
	}
	if got["workspace_collector_success"]["collector=alarms"] != 1 {
		t.Error("the refresh failed")
	}
}

// Beyond max_alarm_series the most severe and oldest raised alarms are
// kept, the rest counted; 0 turns the series off.
func TestAlarmsSeriesBounded(t *testing.T) {
	sim, reg := alarmsTarget(t, 3000, "max_alarm_series: 3")
	got := gatherAll(t, reg)
	alarms := sim.Alarms()
	compareFamilies(t, got, expectedAlarms(alarms, 3))
	raised := 0
	for _, a := range alarms {
		if a.Status == "alarm" {
			raised++
		}
	}
	if raised <= 3 {
		t.Fatalf("only %d raised alarms", raised)
	}
	if n := len(got["workspace_alarm_active"]); n != 3 {
		t.Errorf("%d series", n)
	}
	if d := got["workspace_alarm_series_dropped"][""]; d != float64(raised-3) {
		t.Errorf("dropped %v, want %d", d, raised-3)
	}
	// The kept ones are at least as severe as every dropped one.
	worst := 0
	for k := range got["workspace_alarm_active"] {
		for l, sev := range simSeverity {
			if fields(k)["severity"] == sev {
				worst = max(worst, l)
			}
		}
	}
	for _, a := range alarms {
		if a.Status == "alarm" && a.Level < worst {
			kept := false
			for k := range got["workspace_alarm_active"] {
				kept = kept || strings.Contains(k, "resource_id="+a.ResourceID+",") && a.ResourceID != ""
			}
			if !kept {
				t.Errorf("a level-%d alarm was dropped while a level-%d one was kept", a.Level, worst)
			}
		}
	}

	_, reg = alarmsTarget(t, 300, "max_alarm_series: 0")
	got = gatherAll(t, reg)
	if len(got["workspace_alarm_active"]) != 0 || len(got["workspace_alarm_active_begin_timestamp_seconds"]) != 0 {
		t.Error("per-alarm series with max_alarm_series 0")
	}
}

func TestAlarmsOptionsValidated(t *testing.T) {
	_, url := startSim(t, 10)
	m, _ := newTestManager(t, nil)
	for _, v := range []string{"-1", "10001", "x"} {
		yaml := simYAMLCollectors(url, benchCredentials, "", "alarms: {max_alarm_series: "+v+"}"+othersDisabled("alarms"))
		if _, err := config.Parse([]byte(yaml), m.ConfigOptions()); err == nil {
			t.Errorf("max_alarm_series %s accepted", v)
		}
	}
	yaml := simYAMLCollectors(url, benchCredentials, "", "alarms: {max_alarm_seris: 3}"+othersDisabled("alarms"))
	if _, err := config.Parse([]byte(yaml), m.ConfigOptions()); err == nil {
		t.Error("a misspelt key accepted")
	}
}

// Undocumented levels and statuses, records of one alarm twice, records
// without a time and statistics without a total.
func TestAlarmsSnapshot(t *testing.T) {
	at := time.Date(2025, 3, 9, 10, 0, 0, 0, time.UTC)
	alarms := []model.Alarm{
		{Key: "1", AlarmID: "a1", Name: "err", Severity: "major", Level: 2, Status: "alarm", Active: true, ResourceID: "d1", ResourceName: "PC-1", Begin: at},
		{Key: "2", AlarmID: "a1", Name: "err", Severity: "major", Level: 2, Status: "alarm", Active: true, ResourceID: "d1", ResourceName: "PC-1", Begin: at.Add(time.Hour)},
		{Key: "3", AlarmID: "a9", Name: "odd", Level: 9, Status: "alarm", Active: true},
		{Key: "4", AlarmID: "a2", Name: "gone", Severity: "minor", Level: 3, Status: "ok"},
		{Key: "5", AlarmID: "a3", Name: "x", Severity: "warning", Level: 4, Status: "FROZEN"},
		{Key: "6", AlarmID: "a4", Name: "y", Severity: "critical", Level: 1, Status: ""},
	}
	st := model.AlarmStatistics{BySeverity: map[string]int64{"major": 2, "warning": 1}}
	snap := newAlarmsSnapshot(alarms, st, testAlarmEnums, 500)
	reg := prometheus.NewRegistry()
	reg.MustRegister(snapCollector{snap, "t"})
	got := gatherAll(t, reg)
	active := series{}
	for _, sev := range []string{"critical", "major", "minor", "warning", "unknown"} {
		for _, s := range []string{"ok", "alarm", "invalid", "FROZEN", "unknown"} {
			active["severity="+sev+",status="+s] = 0
		}
	}
	active["severity=major,status=alarm"] = 2
	active["severity=unknown,status=alarm"] = 1
	active["severity=minor,status=ok"] = 1
	active["severity=warning,status=FROZEN"] = 1
	active["severity=critical,status=unknown"] = 1
	compareFamilies(t, got, map[string]series{
		"workspace_alarms_active":    active,
		"workspace_alarm_statistics": {"severity=critical": 0, "severity=major": 2, "severity=minor": 0, "severity=warning": 1},
		"workspace_alarm_active": {
			"alarm_id=a1,alarm_name=err,resource_id=d1,resource_name=PC-1,severity=major": 1,
			"alarm_id=a9,alarm_name=odd,resource_id=,resource_name=,severity=unknown":     1,
		},
		"workspace_alarm_active_begin_timestamp_seconds": {
			"alarm_id=a1,alarm_name=err,resource_id=d1,resource_name=PC-1,severity=major": float64(at.Unix()),
		},
		"workspace_alarm_series_dropped": {"": 0},
	})
	if _, ok := got["workspace_alarm_statistics_records"]; ok {
		t.Error("a total without one in the answer")
	}
	if err := testutil.CollectAndCompare(snapCollector{newAlarmsSnapshot(nil, model.AlarmStatistics{Total: 0, HasTotal: true}, testAlarmEnums, 500), "t"},
		strings.NewReader(emptyAlarmsText()), "workspace_alarms_active", "workspace_alarm_statistics_records", "workspace_alarm_series_dropped"); err != nil {
		t.Error(err)
	}
}

func emptyAlarmsText() string {
	var b strings.Builder
	b.WriteString("# HELP workspace_alarms_active " + alarmsActiveDesc.help + "\n# TYPE workspace_alarms_active gauge\n")
	for _, sev := range testAlarmEnums.severity {
		for _, st := range testAlarmEnums.status {
			b.WriteString(`workspace_alarms_active{severity="` + sev + `",status="` + st + `",target="t"} 0` + "\n")
		}
	}
	b.WriteString("# HELP workspace_alarm_statistics_records " + alarmStatisticsRecordsDesc.help + "\n# TYPE workspace_alarm_statistics_records gauge\n")
	b.WriteString(`workspace_alarm_statistics_records{target="t"} 0` + "\n")
	b.WriteString("# HELP workspace_alarm_series_dropped " + alarmSeriesDroppedDesc.help + "\n# TYPE workspace_alarm_series_dropped gauge\n")
	b.WriteString(`workspace_alarm_series_dropped{target="t"} ` + strconv.Itoa(0) + "\n")
	return b.String()
}
