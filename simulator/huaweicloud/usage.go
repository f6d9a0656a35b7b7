package huaweicloud

import (
	"hash/fnv"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/workspace-exporter/workspace_exporter/client/huaweicloud/hwspec"
	"github.com/workspace-exporter/workspace_exporter/model"
	"github.com/workspace-exporter/workspace_exporter/simulator"
)

// This file is the usage domain, all from the one fleet:
//
//   - ListDesktopUsage (§4.21.9) and ListUserUsage (§4.21.10): the daily
//     usage report. Every desktop of the fleet that existed during a
//     reported day has a deterministic usage for it, derived from its
//     identity (record.hash), its creation time, its user and its current
//     status; users' lines are the sums over their desktops. Desktops
//     deleted since are not remembered, so they are not reported.
//   - ShowDesktopStatistics (§4.21.13) and ShowRunStateStatistics
//     (§4.21.14): current counts. Their run states are the fleet's statuses
//     (active = ACTIVE, stop = SHUTOFF, error = ERROR, hibernated =
//     HIBERNATED), so they equal ListDesktopsDetail's counts; §4.21.13's
//     login states are loginStateCounts, exactly what
//     ShowLoginStateStatistics (§4.21.15) serves; its attach states map the
//     desktops' attach_state (attachStatistic).
//
// The usage history. A day's report exists from 02:00 UTC the next day
// (seed 003 L39776) and for 180 days (L39784); user reports for 30 days
// (L39908). A desktop without a user is never used: its idle duration is
// the time since it was created. A desktop whose status is not ACTIVE now
// (shut off, hibernated, failed) was last used 1..40 days ago (by its hash)
// and not since: usage 0 and an idle duration that grows by a day every
// day, so a noticeable share of the fleet is idle for 7 days or more. Any
// other desktop with a user is used on 90% of weekdays and 25% of weekend
// days, half an hour to nine hours from a morning start; its idle duration
// is the time since its last session ended. Logins: 1..3 successful ones
// on a day of use, a failed one now and then, also on days without use.

// Documented limits of the usage lists (003 L39813-39814, L39935-39936).
const (
	usageDefaultLimit = 10
	dayMillis         = int64(24 * time.Hour / time.Millisecond)
	// reportDelay is when a day's report exists, after its end.
	reportDelay = int64(2 * time.Hour / time.Millisecond)
	// desktopReportDays and userReportDays are how long reports are kept.
	desktopReportDays = 180
	userReportDays    = 30
	// maxOffDays bounds how long a desktop that is not ACTIVE has been
	// unused.
	maxOffDays = 40
	// usageLookback bounds the search for a desktop's last session.
	usageLookback = 400
	// usageSalt separates the usage history's draws from the other uses
	// of record.hash.
	usageSalt = 0x75736167655f7631
)

// usageLimits are the paging rules of both usage lists: limit 1..100,
// default 10, and the API's 400 answers.
func usageLimits(op string) simulator.Limits {
	row := hwspec.Spec.Operation(op)
	return wksLimits(row.MinLimit, row.MaxLimit, usageDefaultLimit, "The value of limit must be greater than 0 and smaller than 1000.", "limit must be in "+strconv.Itoa(row.MinLimit)+".."+strconv.Itoa(row.MaxLimit)+".")
}

// badParameter is the 400 answer to an invalid or missing query parameter.
func badParameter(detail string) (int, []byte) {
	e := invalidParameter
	return http.StatusBadRequest, errorBody(&simulator.Error{Status: http.StatusBadRequest, Code: e.Code, Message: e.Message, Detail: detail})
}

// reportDays is the range of days [from, to] (days since the Unix epoch)
// a usage query covers: the whole days within [start_time, end_time] whose
// report exists at now and is still kept. ok is false when there is none.
type reportDays struct {
	from, to int64
	ok       bool
}

// parseQueryTime reads start_time or end_time: RFC 3339 (the client sends
// 2006-01-02T15:04:05Z), or without seconds as §4.13.x's examples.
func parseQueryTime(v string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04Z07:00"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// usageDays validates start_time and end_time (mandatory) and returns the
// days they cover, or the 400 answer.
func usageDays(q url.Values, now time.Time, keep int64) (reportDays, int, []byte) {
	var ts [2]time.Time
	for i, key := range []string{"start_time", "end_time"} {
		v := q.Get(key)
		if v == "" {
			st, b := badParameter(key + " is mandatory.")
			return reportDays{}, st, b
		}
		t, ok := parseQueryTime(v)
		if !ok {
			st, b := badParameter("The format of the parameters entered through the interface is invalid. " + key + " is invalid.")
			return reportDays{}, st, b
		}
		ts[i] = t
	}
	if ts[1].Before(ts[0]) {
		st, b := badParameter("end_time must not be earlier than start_time.")
		return reportDays{}, st, b
	}
	start, end := ts[0].UnixMilli(), ts[1].UnixMilli()
	from := floorDiv(start+dayMillis-1, dayMillis) // first day starting at or after start
	to := floorDiv(end, dayMillis) - 1             // last day ending at or before end
	nowMs := now.UnixMilli()
	to = min(to, floorDiv(nowMs-reportDelay, dayMillis)-1) // reports made by now
	from = max(from, floorDiv(nowMs, dayMillis)-keep)      // and still kept
	return reportDays{from: from, to: to, ok: from <= to}, 0, nil
}

// usageClock is what the usage history of one request depends on.
type usageClock struct{ today int64 }

// createdMs is when r was created: its record's time, the created field of
// a desktop installed with SetDesktops, else a year before today.
func (c usageClock) createdMs(r *record) int64 {
	if r.created != 0 {
		return r.created
	}
	if r.custom != nil {
		for _, layout := range []string{timeLayout, time.RFC3339Nano, "2006-01-02 15:04:05"} {
			if t, err := time.Parse(layout, r.custom.Created); err == nil {
				return t.UnixMilli()
			}
		}
	}
	return (c.today - 365) * dayMillis
}

// usageSeed is the source of r's usage draws: its hash, or for a desktop
// installed with SetDesktops (no hash) a digest of its ID.
func usageSeed(r *record) uint64 {
	h := r.hash
	if h == 0 {
		f := fnv.New64a()
		_, _ = f.Write([]byte(r.id))
		h = f.Sum64()
	}
	return h ^ usageSalt
}

// lastActiveDay is the last day r can be used: today for an ACTIVE
// desktop, 1..maxOffDays days ago for one that is not.
func (c usageClock) lastActiveDay(r *record) int64 {
	if r.status == statusActive {
		return c.today
	}
	return c.today - 1 - int64(mix(usageSeed(r), 1)%maxOffDays)
}

// session is r's use on day d: the seconds used and when the session
// ended (Unix ms); ok is false on a day without use.
func (c usageClock) session(r *record, d int64) (used, end int64, ok bool) {
	created := c.createdMs(r)
	dayStart := d * dayMillis
	if r.user == "" || dayStart+dayMillis <= created {
		return 0, 0, false
	}
	last := c.lastActiveDay(r)
	if d > last {
		return 0, 0, false
	}
	x := mix(usageSeed(r), uint64(d)+2)
	pct := uint64(90)
	if wd := (d + 4) % 7; wd == 0 || wd == 6 { // 1970-01-01 was a Thursday
		pct = 25
	}
	if x%100 >= pct && !(d == last && r.status != statusActive) {
		return 0, 0, false // a desktop that is not ACTIVE was used on its last day
	}
	startSec := int64(7*3600 + (x>>8)%(4*3600))
	endSec := min(startSec+1800+int64((x>>24)%30600), 86400)
	if cs := (created - dayStart + 999) / 1000; cs > startSec {
		startSec = cs
	}
	if startSec >= endSec {
		return 0, 0, false
	}
	return endSec - startSec, dayStart + endSec*1000, true
}

// idle is r's idle duration at the end of day d, in seconds: since its
// last session ended, or since it was created.
func (c usageClock) idle(r *record, d int64) int64 {
	created := c.createdMs(r)
	dayEnd := (d + 1) * dayMillis
	since := created
	if r.user != "" {
		for k := d; k > d-usageLookback && (k+1)*dayMillis > created; k-- {
			if _, end, ok := c.session(r, k); ok {
				since = end
				break
			}
			if k == d-usageLookback+1 {
				since = k * dayMillis
			}
		}
	}
	return max(0, (dayEnd-since)/1000)
}

// logins are r's user's logins on day d: successes and failures.
func (c usageClock) logins(r *record, d int64, used bool) (ok, fail int64) {
	if r.user == "" || (d+1)*dayMillis <= c.createdMs(r) {
		return 0, 0
	}
	x := mix(usageSeed(r), uint64(d)+0x10000)
	if used {
		ok = 1 + int64(x%3)
		if (x>>8)%10 == 0 {
			fail = 1
		}
	} else if (x>>16)%25 == 0 {
		fail = 1
	}
	return ok, fail
}

// DesktopUsageRow is one desktop's line of a usage report.
type DesktopUsageRow struct {
	DesktopID, DesktopName, PoolID string
	UsedSeconds, IdleSeconds       int64
}

// UserUsageRow is one user's line of a usage report.
type UserUsageRow struct {
	UserName                                      string
	UsedSeconds, Logins, LoginSuccess, LoginFails int64
}

// desktopRow computes the line of r, a desktop of the report, over days.
func (c usageClock) desktopRow(r *record, days reportDays) DesktopUsageRow {
	row := DesktopUsageRow{DesktopID: r.id, DesktopName: r.name, PoolID: r.poolID(), IdleSeconds: c.idle(r, days.to)}
	for d := days.from; d <= days.to; d++ {
		if used, _, ok := c.session(r, d); ok {
			row.UsedSeconds += used
		}
	}
	return row
}

// usageLine is one user of a report: the user's desktops.
type usageLine struct {
	rec  *record   // the user's first desktop
	more []*record // the user's other desktops
}

// appendMetric appends one {"metric_name":…,"metric_value":…} object.
func appendMetric(b []byte, first bool, name, id string, flood bool, v int64) []byte {
	if !first {
		b = append(b, ',')
	}
	if flood {
		name = simulator.FloodPrefix + id
	}
	b = appendKeyString(b, '{', "metric_name", name)
	b = append(b, `,"metric_value":`...)
	b = strconv.AppendInt(b, v, 10)
	return append(b, '}')
}

// appendDesktopUsage appends a DesktopMetric (003 Table 4-2600);
// resource_pool_id only for a pooled desktop.
func appendDesktopUsage(b []byte, r DesktopUsageRow, flood bool) []byte {
	b = appendKeyString(b, '{', "resource_id", r.DesktopID)
	if r.PoolID != "" {
		b = appendKeyString(b, ',', "resource_pool_id", r.PoolID)
	}
	b = appendKeyString(b, ',', "resource_name", r.DesktopName)
	b = append(b, `,"metric":[`...)
	b = appendMetric(b, true, "desktop_usage", r.DesktopID, flood, r.UsedSeconds)
	b = appendMetric(b, false, "desktop_idle_duration", r.DesktopID, flood, r.IdleSeconds)
	return append(b, ']', '}')
}

// appendUserUsage appends a UserMetric (003 Table 4-2609).
func appendUserUsage(b []byte, r UserUsageRow, flood bool) []byte {
	b = appendKeyString(b, '{', "username", r.UserName)
	b = append(b, `,"metric":[`...)
	b = appendMetric(b, true, "user_usage", r.UserName, flood, r.UsedSeconds)
	b = appendMetric(b, false, "user_login_count", r.UserName, flood, r.Logins)
	b = appendMetric(b, false, "user_login_success_count", r.UserName, flood, r.LoginSuccess)
	b = appendMetric(b, false, "user_login_fail_count", r.UserName, flood, r.LoginFails)
	return append(b, ']', '}')
}

// inReport reports whether r is a desktop of the report over days: it
// existed during them.
func (c usageClock) inReport(r *record, days reportDays) bool {
	return days.ok && (days.to+1)*dayMillis > c.createdMs(r)
}

// userLines are the users of the report over days: per user name, in the
// fleet order of their first desktop, the desktops of the user that
// existed during them.
func (c usageClock) userLines(recs []*record, days reportDays) []usageLine {
	if !days.ok {
		return nil
	}
	var lines []usageLine
	index := map[string]int{}
	for _, r := range recs {
		if r.user == "" || (days.to+1)*dayMillis <= c.createdMs(r) {
			continue
		}
		if i, seen := index[r.user]; seen {
			lines[i].more = append(lines[i].more, r)
			continue
		}
		index[r.user] = len(lines)
		lines = append(lines, usageLine{rec: r})
	}
	return lines
}

// userRow computes a user's line over days.
func (c usageClock) userRow(l usageLine, days reportDays) UserUsageRow {
	row := UserUsageRow{UserName: l.rec.user}
	add := func(r *record) {
		for d := days.from; d <= days.to; d++ {
			used, _, ok := c.session(r, d)
			row.UsedSeconds += used
			s, f := c.logins(r, d, ok)
			row.LoginSuccess += s
			row.LoginFails += f
			row.Logins += s + f
		}
	}
	add(l.rec)
	for _, r := range l.more {
		add(r)
	}
	return row
}

func (a *api) usageClock() usageClock {
	return usageClock{today: floorDiv(a.srv.Now().UnixMilli(), dayMillis)}
}

// usageMemo keeps the reports already served. A day's report is fixed
// once made (desktops deleted since stay in it, as the service's daily
// aggregates do), so that paging through it is consistent while the fleet
// churns; computing it once keeps serving a 100,000-desktop report linear.
type usageMemo struct {
	mu      sync.Mutex
	reports map[usageKey]*usageReport // at most maxUsageReports
	order   []usageKey                // oldest first
}

type usageKey struct {
	op       string
	from, to int64
}

// usageReport is a report's lines, in fleet order, as served.
type usageReport struct {
	desktops []served[DesktopUsageRow]
	users    []served[UserUsageRow]
}

// served is a line of a report; flood replaces its metric names
// (enum_flood: undocumented metric names).
type served[T any] struct {
	row   T
	flood bool
}

func floodServed[T any](l served[T], _ []string) served[T] {
	l.flood = true
	return l
}

// maxUsageReports bounds the reports kept (a few days of both lists).
const maxUsageReports = 8

// report returns the report of op over days, computing it from the fleet
// the first time. The caller holds the fleet's read lock.
func (a *api) report(op string, days reportDays) *usageReport {
	if !days.ok {
		return &usageReport{}
	}
	k := usageKey{op, days.from, days.to}
	m := &a.usage
	m.mu.Lock()
	defer m.mu.Unlock()
	if r := m.reports[k]; r != nil {
		return r
	}
	c := a.usageClock()
	r := &usageReport{}
	if op == hwspec.OpListUserUsage {
		for _, l := range c.userLines(a.fleet.recs, days) {
			r.users = append(r.users, served[UserUsageRow]{row: c.userRow(l, days)})
		}
	} else {
		for _, rec := range a.fleet.recs {
			if c.inReport(rec, days) {
				r.desktops = append(r.desktops, served[DesktopUsageRow]{row: c.desktopRow(rec, days)})
			}
		}
	}
	if m.reports == nil {
		m.reports = map[usageKey]*usageReport{}
	}
	if len(m.order) >= maxUsageReports {
		delete(m.reports, m.order[0])
		m.order = m.order[1:]
	}
	m.reports[k] = r
	m.order = append(m.order, k)
	return r
}

// DesktopUsageReport returns the §4.21.9 report for [start, end] at the
// simulator's clock, every line as ListDesktopUsage serves it (nil when no
// day of it is available).
func (s *Simulator) DesktopUsageReport(start, end time.Time) []DesktopUsageRow {
	var out []DesktopUsageRow
	s.ReadFleet(func() {
		days, _, _ := usageDays(timeQuery(start, end), s.Now(), desktopReportDays)
		for _, l := range s.api.report(hwspec.OpListDesktopUsage, days).desktops {
			out = append(out, l.row)
		}
	})
	return out
}

// UserUsageReport returns the §4.21.10 report for [start, end] at the
// simulator's clock, as ListUserUsage serves it.
func (s *Simulator) UserUsageReport(start, end time.Time) []UserUsageRow {
	var out []UserUsageRow
	s.ReadFleet(func() {
		days, _, _ := usageDays(timeQuery(start, end), s.Now(), userReportDays)
		for _, l := range s.api.report(hwspec.OpListUserUsage, days).users {
			out = append(out, l.row)
		}
	})
	return out
}

func timeQuery(start, end time.Time) url.Values {
	return url.Values{"start_time": {start.UTC().Format(time.RFC3339)}, "end_time": {end.UTC().Format(time.RFC3339)}}
}

// listUsage answers ListDesktopUsage (§4.21.9) or ListUserUsage
// (§4.21.10): the report's lines in fleet order. The caller holds the
// fleet's read lock.
func (a *api) listUsage(op simulator.Operation, r *http.Request, b []byte, f *simulator.Fault) (int, []byte) {
	q := r.URL.Query()
	page, e := simulator.ParsePage(q, usageLimits(op.Name))
	if e != nil {
		return e.Status, errorBody(e)
	}
	keep := int64(desktopReportDays)
	if op.Name == hwspec.OpListUserUsage {
		keep = userReportDays
	}
	days, status, body := usageDays(q, a.srv.Now(), keep)
	if body != nil {
		return status, body
	}
	rep := a.report(op.Name, days)
	if op.Name == hwspec.OpListUserUsage {
		l := simulator.List[served[UserUsageRow]]{
			ListKey:  op.ListKey,
			TotalKey: op.TotalKey,
			Mode:     a.srv.TotalCountMode(),
			Items:    rep.users,
			Page:     page,
			Append:   func(b []byte, u served[UserUsageRow]) []byte { return appendUserUsage(b, u.row, u.flood) },
			Flood:    floodServed[UserUsageRow],
			ItemSize: 240,
		}
		return http.StatusOK, l.AppendTo(b, f)
	}
	l := simulator.List[served[DesktopUsageRow]]{
		ListKey:  op.ListKey,
		TotalKey: op.TotalKey,
		Mode:     a.srv.TotalCountMode(),
		Items:    rep.desktops,
		Page:     page,
		Append:   func(b []byte, d served[DesktopUsageRow]) []byte { return appendDesktopUsage(b, d.row, d.flood) },
		Flood:    floodServed[DesktopUsageRow],
		ItemSize: 200,
	}
	return http.StatusOK, l.AppendTo(b, f)
}

// appendOversizedUsage appends the n-th item of an oversized page.
func appendOversizedUsage(key string) func(b []byte, n int) []byte {
	return func(b []byte, n int) []byte {
		b = append(b, `{"`...)
		b = append(b, key...)
		b = append(b, `":"oversize-`...)
		d := strconv.AppendInt(nil, int64(n), 10)
		for i := len(d); i < 8; i++ {
			b = append(b, '0')
		}
		b = append(b, d...)
		return append(b, `","metric":[]}`...)
	}
}

// runStateStatistic maps a desktop status to its §4.21.14 counter (003
// Table 4-2641, and §4.21.13's run_state_statistics, Table 4-2636).
var runStateStatistic = map[string]string{
	statusActive:     "active",
	statusShutoff:    "stop",
	statusError:      "error",
	statusHibernated: "hibernated",
}

// attachStatistic maps a desktop's attach_state (§4.3.8) to its §4.21.13
// attach_statistics counter (Table 4-2635): ATTACHED is attached,
// UNATTACH and DEATTACHED (a desktop whose user was removed) unattached,
// ATTACHING attaching, ATTACHFAIL attach_error. Other values count in
// none.
var attachStatistic = map[string]string{
	attachAttached:   "attached",
	attachUnattach:   "unattached",
	attachDeattached: "unattached",
	attachAttaching:  "attaching",
	attachFail:       "attach_error",
}

// countBy counts recs by the counter key maps their field to.
func countBy(recs []*record, field func(*record) string, key map[string]string) map[string]int64 {
	out := map[string]int64{}
	for _, r := range recs {
		if k, ok := key[field(r)]; ok {
			out[k]++
		}
	}
	return out
}

// appendCounters appends "name":{"<enum>_num":n,…} with every documented
// counter of field (the spec table's values, in its order).
func appendCounters(b []byte, name, field string, counts map[string]int64) []byte {
	b = append(b, ',', '"')
	b = append(b, name...)
	b = append(b, `":{`...)
	for i, k := range hwspec.Spec.Enums[field] {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = append(b, k...)
		b = append(b, `_num":`...)
		b = strconv.AppendInt(b, counts[k], 10)
	}
	return append(b, '}')
}

// listValues reads an "Array of strings" query parameter: repeated keys
// and comma-separated values alike (its encoding is not documented, digest
// §0.7).
func listValues(q url.Values, key string) []string {
	var out []string
	for _, v := range q[key] {
		for part := range strings.SplitSeq(v, ",") {
			if part = strings.TrimSpace(part); part != "" && !slices.Contains(out, part) {
				out = append(out, part)
			}
		}
	}
	return out
}

// The statistics_type values of §4.21.13 (003 L40261).
const (
	statisticsAttach = "attach-state"
	statisticsLogin  = "login-state"
	statisticsRun    = "run-state"
)

// appendStatistics appends total_num and the asked statistics of recs.
func appendStatistics(b []byte, recs []*record, types []string) []byte {
	b = append(b, `"total_num":`...)
	b = strconv.AppendInt(b, int64(len(recs)), 10)
	if slices.Contains(types, statisticsAttach) {
		b = appendCounters(b, "attach_statistics", model.FieldAttachStateStatistic,
			countBy(recs, func(r *record) string { return r.attach }, attachStatistic))
	}
	if slices.Contains(types, statisticsRun) {
		b = appendCounters(b, "run_state_statistics", model.FieldRunStateStatistic,
			countBy(recs, func(r *record) string { return r.status }, runStateStatistic))
	}
	if slices.Contains(types, statisticsLogin) {
		b = appendCounters(b, "login_state_statistics", model.FieldLoginStateStatistic, loginStateCounts(recs))
	}
	return b
}

// showDesktopStatistics answers ShowDesktopStatistics (§4.21.13): the
// desktops of the desktop_type asked for (DEDICATED, POOLED; all when
// none), total_num and the statistics_type objects asked for (attach-state,
// login-state, run-state; only the total when none), and with POOLED the
// same per desktop pool in desktop_pool_statistics. An unknown value is a
// 400 answer. The caller holds the fleet's read lock.
func (a *api) showDesktopStatistics(_ simulator.Operation, r *http.Request, b []byte, _ *simulator.Fault) (int, []byte) {
	q := r.URL.Query()
	types := listValues(q, "statistics_type")
	for _, t := range types {
		if t != statisticsAttach && t != statisticsLogin && t != statisticsRun {
			return badParameter("The format of the parameters entered through the interface is invalid. statistics_type is invalid.")
		}
	}
	kinds := listValues(q, "desktop_type")
	for _, k := range kinds {
		if k != "DEDICATED" && k != "POOLED" {
			return badParameter("The format of the parameters entered through the interface is invalid. desktop_type is invalid.")
		}
	}
	recs := a.fleet.recs
	if len(kinds) > 0 {
		recs = nil
		for _, rec := range a.fleet.recs {
			if slices.Contains(kinds, rec.desktopType()) {
				recs = append(recs, rec)
			}
		}
	}
	b = append(b, '{')
	b = appendStatistics(b, recs, types)
	if slices.Contains(kinds, "POOLED") {
		var ids []string
		byPool := map[string][]*record{}
		names := map[string]string{}
		for _, rec := range recs {
			id := rec.poolID()
			if id == "" || rec.desktopType() != "POOLED" {
				continue
			}
			if _, seen := byPool[id]; !seen {
				ids = append(ids, id)
				if rec.pool != nil {
					names[id] = rec.pool.name
				}
			}
			byPool[id] = append(byPool[id], rec)
		}
		b = append(b, `,"desktop_pool_statistics":[`...)
		for i, id := range ids {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendKeyString(b, '{', "desktop_pool_id", id)
			b = appendKeyString(b, ',', "desktop_pool_name", names[id])
			b = append(b, ',')
			b = appendStatistics(b, byPool[id], types)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	return http.StatusOK, append(b, '}')
}

// showRunStateStatistics answers ShowRunStateStatistics (§4.21.14): the
// fleet's desktops by status, as ListDesktopsDetail shows them.
func (a *api) showRunStateStatistics(_ simulator.Operation, _ *http.Request, b []byte, _ *simulator.Fault) (int, []byte) {
	counts := countBy(a.fleet.recs, func(r *record) string { return r.status }, runStateStatistic)
	b = append(b, '{')
	// The example's order: stop, active, error, hibernated.
	for i, k := range []string{"stop", "active", "error", "hibernated"} {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = append(b, k...)
		b = append(b, `_num":`...)
		b = strconv.AppendInt(b, counts[k], 10)
	}
	return http.StatusOK, append(b, '}')
}
