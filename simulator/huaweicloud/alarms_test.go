package huaweicloud

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"testing"

	"github.com/workspace-exporter/workspace_exporter/client/huaweicloud/hwspec"
	"github.com/workspace-exporter/workspace_exporter/simulator"
)

// alarmItem is an AlarmHistoryItem as served (003 Table 4-2664).
type alarmItem struct {
	RecordID  string `json:"record_id"`
	AlarmID   string `json:"alarm_id"`
	Name      string `json:"name"`
	Status    string `json:"status"`
	Type      string `json:"type"`
	Level     int    `json:"level"`
	BeginTime string `json:"begin_time"`
	Metric    struct {
		Namespace  string `json:"namespace"`
		MetricName string `json:"metric_name"`
		Dimensions []struct {
			Name  string `json:"name"`
			Value string `json:"value"`
		} `json:"dimensions"`
	} `json:"metric"`
	AdditionalInfo *struct {
		ResourceID   string `json:"resource_id"`
		ResourceName string `json:"resource_name"`
		EventID      string `json:"event_id"`
	} `json:"additional_info"`
}

type alarmPage struct {
	Items []alarmItem `json:"alarm_histories"`
	Count *int        `json:"count"`
}

func getAlarms(t *testing.T, base string, query map[string]any) (response, alarmPage) {
	t.Helper()
	r := do(t, sdkRequest(t, base, signed{path: "/v2/{project_id}/alarms", query: query}))
	var p alarmPage
	if r.status == http.StatusOK {
		if err := json.Unmarshal(r.body, &p); err != nil {
			t.Fatalf("%s: %v", r.body, err)
		}
	}
	return r, p
}

// walkSimAlarms reads every record with record offsets, limit 7.
func walkSimAlarms(t *testing.T, base string) []alarmItem {
	t.Helper()
	var out []alarmItem
	for off := 0; ; off += 7 {
		r, p := getAlarms(t, base, map[string]any{"offset": strconv.Itoa(off), "limit": "7"})
		if r.status != http.StatusOK {
			t.Fatalf("%d %s", r.status, r.body)
		}
		out = append(out, p.Items...)
		if p.Count == nil || *p.Count < len(out) {
			t.Fatalf("count %v after %d records", p.Count, len(out))
		}
		if len(p.Items) < 7 {
			return out
		}
	}
}

// The alarms follow the fleet: a desktop in ERROR has a raised major
// alarm on it, a failed deletion a minor one, maintenance a warning, and
// nothing else is raised but the two tenant-level rules; conditions that
// end clear their alarm (invalid when the desktop is gone), and the
// cleared records kept are bounded. Both endpoints agree at every step.
func TestAlarmsFollowTheFleet(t *testing.T) {
	s, base := startSim(t, testOptions(400))
	sawCleared, sawRaised := false, false
	var first map[string]int
	for step := 0; step < 40; step++ {
		ds := s.Desktops()
		want := map[string]int{} // rule/resource → level
		errs, shutoff := 0, 0
		ids := map[string]bool{}
		for _, d := range ds {
			ids[d.DesktopID] = true
			if d.Status == statusError {
				errs++
				want["workspace-desktop-error/"+d.DesktopID] = 2
			}
			if d.Status == statusShutoff {
				shutoff++
			}
			if d.TaskStatus == taskDeleteFailed {
				want["workspace-desktop-delete-failed/"+d.DesktopID] = 3
			}
			if d.InMaintenanceMode {
				want["workspace-desktop-maintenance/"+d.DesktopID] = 4
			}
		}
		if errs > 0 && errs*50 >= len(ds) {
			want["workspace-tenant-error-rate/"+testProject] = 1
		}
		if shutoff*4 >= len(ds) {
			want["workspace-tenant-shutoff-share/"+testProject] = 4
		}

		items := walkSimAlarms(t, base)
		got := map[string]int{}
		var counts [5]int
		cleared := 0
		seen := map[string]bool{}
		for i, it := range items {
			if seen[it.RecordID] {
				t.Fatalf("step %d: record %s twice", step, it.RecordID)
			}
			seen[it.RecordID] = true
			if i > 0 && it.BeginTime > items[i-1].BeginTime {
				t.Fatalf("step %d: not newest first: %s after %s", step, it.BeginTime, items[i-1].BeginTime)
			}
			if it.Level < 1 || it.Level > 4 || len(it.Metric.Dimensions) != 1 {
				t.Fatalf("record %+v", it)
			}
			counts[it.Level]++
			res := it.Metric.Dimensions[0].Value
			if it.AdditionalInfo != nil && it.AdditionalInfo.ResourceID != res {
				t.Fatalf("record %+v", it)
			}
			switch it.Status {
			case "alarm":
				got[it.Name+"/"+res] = it.Level
			case "ok":
				cleared++
			case "invalid":
				cleared++
				if ids[res] {
					t.Errorf("step %d: invalid alarm on desktop %s, which exists", step, res)
				}
			default:
				t.Fatalf("status %q", it.Status)
			}
		}
		if !mapsEqual(got, want) {
			t.Fatalf("step %d: raised %v, want %v", step, got, want)
		}
		if cleared > alarmHistoryMax {
			t.Fatalf("%d cleared records kept", cleared)
		}
		if api := s.Alarms(); len(api) != len(items) {
			t.Fatalf("Alarms() has %d records, the list %d", len(api), len(items))
		}

		r := do(t, sdkRequest(t, base, signed{path: "/v2/{project_id}/statistics/alarms"}))
		var st map[string]int
		if r.status != http.StatusOK || json.Unmarshal(r.body, &st) != nil {
			t.Fatalf("%d %s", r.status, r.body)
		}
		if st["critical_count"] != counts[1] || st["major_count"] != counts[2] || st["minor_count"] != counts[3] ||
			st["info_count"] != counts[4] || st["total"] != len(items) || len(st) != 5 {
			t.Fatalf("step %d: statistics %v, list by level %v of %d", step, st, counts, len(items))
		}
		for level := 1; level <= 4; level++ {
			_, p := getAlarms(t, base, map[string]any{"level": strconv.Itoa(level)})
			if len(p.Items) != min(counts[level], 100) || p.Count == nil || *p.Count != counts[level] {
				t.Fatalf("level %d: %d of %v, want %d", level, len(p.Items), p.Count, counts[level])
			}
		}
		if step == 0 {
			if len(got) == 0 {
				t.Fatal("no raised alarm in the fleet as generated")
			}
			first = got
		}
		sawCleared = sawCleared || cleared > 0
		for k := range got {
			if _, ok := first[k]; !ok {
				sawRaised = true
			}
		}
		for range 5 {
			s.Step()
		}
	}
	if !sawCleared || !sawRaised {
		t.Errorf("in 200 steps: alarms cleared %v, new alarms raised %v", sawCleared, sawRaised)
	}
}

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func TestAlarmsPagingLimits(t *testing.T) {
	_, base := startSim(t, testOptions(50))
	row := hwspec.Spec.Operation(hwspec.OpListAlarms)
	for _, c := range []struct {
		query map[string]any
		code  string
	}{
		{map[string]any{"offset": "-1"}, "WKS.0508"},
		{map[string]any{"offset": "x"}, "WKS.0508"},
		{map[string]any{"limit": "0"}, "WKS.0509"},
		{map[string]any{"limit": strconv.Itoa(row.MaxLimit + 1)}, "WKS.0509"},
		{map[string]any{"level": "5"}, "WKS.0001"},
		{map[string]any{"level": "major"}, "WKS.0001"},
	} {
		r, _ := getAlarms(t, base, c.query)
		if r.status != http.StatusBadRequest || errorCode(t, r) != c.code {
			t.Errorf("%v: %d %s", c.query, r.status, r.body)
		}
	}
	r, p := getAlarms(t, base, map[string]any{"limit": strconv.Itoa(row.MaxLimit), "offset": "100000"})
	if r.status != http.StatusOK || len(p.Items) != 0 || p.Count == nil {
		t.Errorf("past the end: %d %s", r.status, r.body)
	}
}

// The shared page faults apply to the alarm list.
func TestAlarmsPageFaults(t *testing.T) {
	s, base := startSim(t, testOptions(2000))
	all := walkSimAlarms(t, base)
	if len(all) < 10 {
		t.Fatalf("only %d alarms", len(all))
	}
	s.InjectFault(simulator.Fault{Kind: simulator.FaultEnumFlood, Operation: hwspec.OpListAlarms, Count: 1, Fields: []string{floodStatus}})
	_, p := getAlarms(t, base, map[string]any{"limit": "5"})
	for _, it := range p.Items {
		if it.Status != simulator.FloodPrefix+it.RecordID {
			t.Errorf("flooded status %q", it.Status)
		}
	}
	s.InjectFault(simulator.Fault{Kind: simulator.FaultBadList, Operation: hwspec.OpListAlarms, Count: 1, Variant: simulator.BadListNull})
	r := do(t, sdkRequest(t, base, signed{path: "/v2/{project_id}/alarms"}))
	if string(r.body) != `{"alarm_histories":null,"count":`+strconv.Itoa(len(all))+`}` {
		t.Errorf("bad_list: %s", r.body)
	}
	s.InjectFault(simulator.Fault{Kind: simulator.FaultOversizedPage, Operation: hwspec.OpListAlarms, Count: 1, Items: 3})
	r = do(t, sdkRequest(t, base, signed{path: "/v2/{project_id}/alarms"}))
	var page alarmPage
	if err := json.Unmarshal(r.body, &page); err != nil || len(page.Items) != 3 || page.Items[0].RecordID == "" {
		t.Errorf("oversized: %v %.200s", err, r.body)
	}
	if !slices.ContainsFunc(all, func(it alarmItem) bool { return it.Status == "alarm" }) {
		t.Error("no raised alarm")
	}
}
