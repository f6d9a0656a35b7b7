package huaweicloud

import (
	"hash/fnv"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/workspace-exporter/workspace_exporter/client/huaweicloud/hwspec"
	"github.com/workspace-exporter/workspace_exporter/simulator"
)

// This file is the alarms domain (§4.22), all from the one fleet:
//
//   - ListAlarms (§4.22.1) lists the alarm records: one per raised alarm
//     (status "alarm"), and the most recent cleared ones (status "ok"; or
//     "invalid" when the desktop was deleted while its alarm was raised),
//     newest first.
//   - ShowAlarmStatistics (§4.22.2) counts those same records by level
//     (info_count the level-4 warnings, as 003 L41003 says) and in total,
//     so that both endpoints always agree.
//
// Alarms are raised and cleared by the fleet's state, looked at whenever
// either endpoint is asked: a desktop in ERROR raises a major alarm on
// that desktop, a desktop whose deletion failed (deleteFailed) a minor
// one, a desktop in maintenance mode a warning; two tenant-level metric
// alarms watch the whole fleet: a critical one while at least 2% of the
// desktops (and at least one) are in ERROR, a warning while at least 25%
// are SHUTOFF. An alarm is raised at the time the simulator first sees its
// condition (for the conditions of the fleet as generated, a
// deterministic time within the six hours before), and cleared when it
// sees the condition gone.
//
// offset is a record offset (the reading of "Page offset", 003 L40809,
// that the neighbouring lists document); limit is 1..100, default 100
// (L40810; no maximum is documented, 100 is the most the client asks).

// alarmRule is one alarm rule of the simulated tenant.
type alarmRule struct {
	key, id, name, typ string
	level              int
	metric             string
	perDesktop         bool
}

var (
	alarmRuleDesktopError = &alarmRule{key: "desktop-error", id: "al1700000000001WksDeskErr", name: "workspace-desktop-error",
		typ: "EVENT.SYS", level: 2, metric: "desktop_status", perDesktop: true}
	alarmRuleDeleteFailed = &alarmRule{key: "delete-failed", id: "al1700000000002WksDelFail", name: "workspace-desktop-delete-failed",
		typ: "EVENT.SYS", level: 3, metric: "desktop_task_status", perDesktop: true}
	alarmRuleMaintenance = &alarmRule{key: "maintenance", id: "al1700000000003WksMaint", name: "workspace-desktop-maintenance",
		typ: "EVENT.SYS", level: 4, metric: "desktop_maintenance", perDesktop: true}
	alarmRuleErrorRate = &alarmRule{key: "error-rate", id: "al1700000000004WksErrRate", name: "workspace-tenant-error-rate",
		typ: "ALL_INSTANCE", level: 1, metric: "desktop_error_ratio"}
	alarmRuleShutoff = &alarmRule{key: "shutoff-share", id: "al1700000000005WksShutoff", name: "workspace-tenant-shutoff-share",
		typ: "ALL_INSTANCE", level: 4, metric: "desktop_shutoff_ratio"}
)

const (
	// alarmHistoryMax bounds the cleared records kept (and listed).
	alarmHistoryMax = 50
	// alarmDefaultLimit is §4.22.1's default limit (003 L40810).
	alarmDefaultLimit = 100
	// alarmInitialSpread is how far before the first look the alarms of
	// the fleet as generated were raised.
	alarmInitialSpread = int64(6 * time.Hour / time.Millisecond)
	alarmTimeLayout    = "2006-01-02T15:04:05Z"
)

// Alarm is one alarm record as the simulator serves it.
type Alarm struct {
	RecordID, AlarmID, Name, Status, Type string
	Level                                 int
	Begin                                 time.Time
	// ResourceID and ResourceName are additional_info's (event alarms);
	// Dimension is the value of the record's one metric dimension (the
	// desktop, or the project for the tenant-level alarms).
	ResourceID, ResourceName, Dimension string
}

// alarmRecord is one record; recs are shared with the list being served
// and never changed once cleared.
type alarmRecord struct {
	Alarm
	rule *alarmRule
	// cond is the record's condition key while it is raised.
	cond string
}

// alarmState is what the simulator remembers of the alarms of one
// Simulator, beside its fleet: the raised records by condition, and the
// most recent cleared ones.
type alarmState struct {
	mu      sync.Mutex
	primed  bool
	seq     uint64
	active  map[string]*alarmRecord
	history []*alarmRecord // oldest first, at most alarmHistoryMax
}

// alarmCondition is one condition that holds now.
type alarmCondition struct {
	rule               *alarmRule
	resource, resName  string
	dimension, eventID string
	hash               uint64
}

func alarmHash(parts ...string) uint64 {
	h := fnv.New64a()
	for _, p := range parts {
		_, _ = h.Write([]byte(p))
		_, _ = h.Write([]byte{0})
	}
	return h.Sum64()
}

// alarmConditions are the conditions of the fleet now, by key, and the
// IDs of its desktops.
func alarmConditions(recs []*record, project string) (map[string]alarmCondition, map[string]bool) {
	conds := map[string]alarmCondition{}
	ids := make(map[string]bool, len(recs))
	errors, shutoff := 0, 0
	add := func(rule *alarmRule, r *record) {
		h := alarmHash(rule.key, r.id)
		conds[rule.key+"/"+r.id] = alarmCondition{rule: rule, resource: r.id, resName: r.name, dimension: r.id,
			eventID: "ev" + strconv.FormatUint(h, 36), hash: h}
	}
	for _, r := range recs {
		ids[r.id] = true
		switch r.status {
		case statusError:
			errors++
			add(alarmRuleDesktopError, r)
		case statusShutoff:
			shutoff++
		}
		if r.task == taskDeleteFailed {
			add(alarmRuleDeleteFailed, r)
		}
		if r.maintenance {
			add(alarmRuleMaintenance, r)
		}
	}
	n := len(recs)
	tenant := func(rule *alarmRule) {
		conds[rule.key] = alarmCondition{rule: rule, dimension: project, hash: alarmHash(rule.key, project)}
	}
	if errors > 0 && errors*50 >= n {
		tenant(alarmRuleErrorRate)
	}
	if n > 0 && shutoff*4 >= n {
		tenant(alarmRuleShutoff)
	}
	return conds, ids
}

// alarms returns the alarm records as of now, newest first, after
// raising and clearing them from the fleet. The caller holds the fleet's
// read lock.
func (a *api) alarms() []*alarmRecord {
	st := a.alarmSt
	now := a.srv.Now().UTC()
	conds, ids := alarmConditions(a.fleet.recs, a.projectID)
	st.mu.Lock()
	defer st.mu.Unlock()
	for k, rec := range st.active {
		if _, holds := conds[k]; holds {
			continue
		}
		cleared := *rec
		cleared.Status, cleared.cond = "ok", ""
		if rec.rule.perDesktop && !ids[rec.ResourceID] {
			cleared.Status = "invalid" // the desktop is gone
		}
		delete(st.active, k)
		st.history = append(st.history, &cleared)
	}
	if n := len(st.history) - alarmHistoryMax; n > 0 {
		st.history = slices.Delete(st.history, 0, n)
	}
	for _, k := range slices.Sorted(maps.Keys(conds)) {
		if st.active[k] != nil {
			continue
		}
		c := conds[k]
		begin := now.UnixMilli()
		if !st.primed {
			begin -= int64(c.hash % uint64(alarmInitialSpread))
		}
		begin -= begin % 1000
		st.seq++
		rec := &alarmRecord{rule: c.rule, cond: k, Alarm: Alarm{
			RecordID: "rec" + strconv.FormatUint(alarmHash(k, strconv.FormatUint(st.seq, 10), a.projectID), 16),
			AlarmID:  c.rule.id, Name: c.rule.name, Status: "alarm", Type: c.rule.typ, Level: c.rule.level,
			Begin:      time.UnixMilli(begin).UTC(),
			ResourceID: c.resource, ResourceName: c.resName, Dimension: c.dimension,
		}}
		st.active[k] = rec
	}
	st.primed = true
	out := make([]*alarmRecord, 0, len(st.active)+len(st.history))
	for _, rec := range st.active {
		out = append(out, rec)
	}
	out = append(out, st.history...)
	slices.SortFunc(out, func(x, y *alarmRecord) int {
		if c := y.Begin.Compare(x.Begin); c != 0 {
			return c
		}
		if x.RecordID < y.RecordID {
			return -1
		}
		if x.RecordID > y.RecordID {
			return 1
		}
		return 0
	})
	return out
}

// Alarms returns the alarm records ListAlarms serves now, newest first
// (raising and clearing them from the fleet as a request would).
func (s *Simulator) Alarms() []Alarm {
	var out []Alarm
	s.ReadFleet(func() {
		for _, rec := range s.api.alarms() {
			out = append(out, rec.Alarm)
		}
	})
	return out
}

// alarmLimits are §4.22.1's paging rules and the API's 400 answers.
func alarmLimits() simulator.Limits {
	row := hwspec.Spec.Operation(hwspec.OpListAlarms)
	return wksLimits(row.MinLimit, row.MaxLimit, alarmDefaultLimit, "The value of limit is invalid.", "limit must be in "+strconv.Itoa(row.MinLimit)+".."+strconv.Itoa(row.MaxLimit)+".")
}

// listAlarms answers ListAlarms (§4.22.1), with its level filter (1..4,
// 003 L40808).
func (a *api) listAlarms(op simulator.Operation, r *http.Request, b []byte, f *simulator.Fault) (int, []byte) {
	q := r.URL.Query()
	page, e := simulator.ParsePage(q, alarmLimits())
	if e != nil {
		return e.Status, errorBody(e)
	}
	var match func(*alarmRecord) bool
	if v, ok := q["level"]; ok {
		level, err := strconv.Atoi(v[0])
		if err != nil || level < 1 || level > len(hwspec.AlarmSeverities) {
			return badParameter("level must be 1, 2, 3 or 4.")
		}
		match = func(rec *alarmRecord) bool { return rec.Level == level }
	}
	l := simulator.List[*alarmRecord]{
		ListKey:  op.ListKey,
		TotalKey: op.TotalKey,
		Mode:     a.srv.TotalCountMode(),
		Items:    a.alarms(),
		Match:    match,
		Page:     page,
		Append:   appendAlarm,
		Flood:    floodAlarm,
		ItemSize: 700,
	}
	return http.StatusOK, l.AppendTo(b, f)
}

// floodAlarm returns a copy of rec whose status is flooded (enum_flood).
func floodAlarm(rec *alarmRecord, fields []string) *alarmRecord {
	c := *rec
	if slices.Contains(fields, floodStatus) {
		c.Status = simulator.FloodPrefix + c.RecordID
	}
	return &c
}

// appendAlarm appends one AlarmHistoryItem (003 Table 4-2664).
func appendAlarm(b []byte, rec *alarmRecord) []byte {
	b = appendKeyString(b, '{', "record_id", rec.RecordID)
	b = appendKeyString(b, ',', "alarm_id", rec.AlarmID)
	b = appendKeyString(b, ',', "name", rec.Name)
	b = appendKeyString(b, ',', "status", rec.Status)
	b = appendKeyString(b, ',', "type", rec.Type)
	b = append(b, `,"level":`...)
	b = strconv.AppendInt(b, int64(rec.Level), 10)
	b = appendKeyString(b, ',', "begin_time", rec.Begin.Format(alarmTimeLayout))
	b = append(b, `,"metric":`...)
	b = appendKeyString(b, '{', "namespace", "SYS.WORKSPACE")
	b = appendKeyString(b, ',', "metric_name", rec.rule.metric)
	dim := "desktop_id"
	if !rec.rule.perDesktop {
		dim = "project_id"
	}
	b = append(b, `,"dimensions":[`...)
	b = appendKeyString(b, '{', "name", dim)
	b = appendKeyString(b, ',', "value", rec.Dimension)
	b = append(b, `}]}`...)
	period := 0
	if !rec.rule.perDesktop {
		period = 300
	}
	b = append(b, `,"condition":{"period":`...)
	b = strconv.AppendInt(b, int64(period), 10)
	b = append(b, `,"filter":"average","comparison_operator":">=","value":1,"unit":"count","count":1,"suppress_duration":300}`...)
	if rec.rule.perDesktop {
		b = append(b, `,"additional_info":`...)
		b = appendKeyString(b, '{', "resource_id", rec.ResourceID)
		b = appendKeyString(b, ',', "resource_name", rec.ResourceName)
		b = appendKeyString(b, ',', "event_id", "ev"+strconv.FormatUint(alarmHash(rec.rule.key, rec.ResourceID), 36))
		b = append(b, '}')
	}
	b = append(b, `,"data_points":[{"time":`...)
	b = appendString(b, rec.Begin.Format(alarmTimeLayout))
	b = append(b, `,"value":1}]}`...)
	return b
}

// appendOversizedAlarm appends the n-th record of an oversized page.
func appendOversizedAlarm(b []byte, n int) []byte {
	b = append(b, `{"record_id":"oversize-`...)
	b = appendPadded(b, n)
	return append(b, `","alarm_id":"al-oversize","status":"alarm","level":2}`...)
}

// showAlarmStatistics answers ShowAlarmStatistics (§4.22.2): the records
// ListAlarms serves, by level, and their number.
func (a *api) showAlarmStatistics(_ simulator.Operation, _ *http.Request, b []byte, _ *simulator.Fault) (int, []byte) {
	var counts [5]int64
	recs := a.alarms()
	for _, rec := range recs {
		if rec.Level >= 1 && rec.Level <= 4 {
			counts[rec.Level]++
		}
	}
	b = append(b, '{')
	for i, key := range []string{"critical_count", "major_count", "minor_count", "info_count"} {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = append(b, key...)
		b = append(b, `":`...)
		b = strconv.AppendInt(b, counts[i+1], 10)
	}
	b = append(b, `,"total":`...)
	b = strconv.AppendInt(b, int64(len(recs)), 10)
	return http.StatusOK, append(b, '}')
}
