package huaweicloud

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/workspace-exporter/workspace_exporter/client/huaweicloud/hwspec"
	"github.com/workspace-exporter/workspace_exporter/simulator"
)

const (
	loginsPath = "/v2/{project_id}/connections/desktops"
	usersPath  = "/v2/{project_id}/connections/online-users"
)

// testClock is a settable clock for the simulator. It stays within the
// ±15 minutes of the real time the signature check allows.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func newTestClock() *testClock {
	return &testClock{t: time.Now().Add(-10 * time.Minute).Truncate(time.Second)}
}
func (c *testClock) now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// loginSim starts a simulator of n desktops on clock c.
func loginSim(t *testing.T, n int, seed int64, c *testClock) (*Simulator, string) {
	t.Helper()
	o := testOptions(n)
	o.Seed, o.Now = seed, c.now
	return startSim(t, o)
}

// wireRecord is a record as served.
type wireRecord struct {
	TransactionID string `json:"transaction_id"`
	SID           string `json:"sid"`
	ComputerName  string `json:"computer_name"`
	UserName      string `json:"user_name"`
	TerminalMAC   string `json:"terminal_mac"`
	TerminalIP    string `json:"terminal_ip"`
	DesktopIP     string `json:"desktop_ip"`
	Start         string `json:"connection_start_time"`
	Setup         string `json:"connection_setup_time"`
	End           string `json:"connection_end_time"`
	Reconnect     *bool  `json:"is_reconnect"`
	FailureReason string `json:"connection_failure_reason"`
	NetworkRTT    *int   `json:"network_rtt"`
	E2ERTT        *int   `json:"e2e_rtt"`
}

type recordsBody struct {
	Records    []wireRecord `json:"records"`
	TotalCount *int         `json:"total_count"`
}

func getRecords(t *testing.T, base string, query map[string]any) (response, recordsBody) {
	t.Helper()
	r := do(t, sdkRequest(t, base, signed{path: loginsPath, query: query}))
	var b recordsBody
	if r.status == http.StatusOK {
		if err := json.Unmarshal(r.body, &b); err != nil {
			t.Fatalf("records body is not JSON: %v: %s", err, r.body)
		}
	}
	return r, b
}

// walkRecords reads every record of the query, page by page.
func walkRecords(t *testing.T, base string, query map[string]any, limit int) []wireRecord {
	t.Helper()
	var out []wireRecord
	for offset := 0; ; offset += limit {
		q := map[string]any{"offset": strconv.Itoa(offset), "limit": strconv.Itoa(limit)}
		for k, v := range query {
			q[k] = v
		}
		r, b := getRecords(t, base, q)
		if r.status != http.StatusOK {
			t.Fatalf("offset %d: %d %s", offset, r.status, r.body)
		}
		out = append(out, b.Records...)
		if len(b.Records) < limit {
			return out
		}
	}
}

func step(s *Simulator, c *testClock, n int, every time.Duration) {
	for range n {
		c.advance(every)
		s.Step()
	}
}

// A fresh simulator already answers: the connected desktops whose session
// began in the last two hours have their open record, newest first, with
// setup time and latencies; the ground truth agrees with the wire.
func TestLoginRecordsBackfill(t *testing.T) {
	c := newTestClock()
	s, base := loginSim(t, 400, 5, c)
	truth := s.LoginRecords()
	if len(truth) < 20 {
		t.Fatalf("only %d backfilled records", len(truth))
	}
	connected := map[string]bool{}
	for _, d := range s.Desktops() {
		if d.LoginStatus == loginConnected {
			connected[d.ComputerName] = true
		}
	}
	recs := walkRecords(t, base, nil, 1000)
	if len(recs) != len(truth) {
		t.Fatalf("served %d records, the simulator holds %d", len(recs), len(truth))
	}
	now := c.now()
	for i, r := range recs {
		w := truth[i]
		start, err := time.Parse(time.RFC3339, r.Start)
		if err != nil || !start.Equal(w.Start) || r.TransactionID != w.TransactionID || r.UserName != w.UserName {
			t.Fatalf("record %d: %+v vs %+v (%v)", i, r, w, err)
		}
		if i > 0 && recs[i-1].Start < r.Start {
			t.Errorf("record %d is newer than the one before it", i)
		}
		if now.Sub(start) > 2*time.Hour || start.After(now) {
			t.Errorf("record %d starts at %v, not in the last 2 hours of %v", i, start, now)
		}
		if !connected[r.ComputerName] || r.End != "" || r.FailureReason != "" || r.UserName == "" {
			t.Errorf("record %d is not an open session of a connected desktop: %+v", i, r)
		}
		if r.Setup == "" || r.NetworkRTT == nil || r.E2ERTT == nil || *r.E2ERTT <= *r.NetworkRTT || r.Reconnect == nil {
			t.Errorf("record %d lacks setup or latencies: %+v", i, r)
		}
		if len(r.TransactionID) != 36 || len(r.SID) != 36 || strings.Count(r.TerminalMAC, "-") != 5 || r.DesktopIP == "" || r.TerminalIP == "" {
			t.Errorf("record %d identifiers: %+v", i, r)
		}
	}
}

// Records follow the fleet: connections start records (some reconnects),
// registered desktops make a few failed attempts, records get their end
// when the session ends, some arrive late; the same seed and clock give
// the same records.
func TestLoginRecordsFollowTheFleet(t *testing.T) {
	run := func() ([]LoginRecord, map[string]time.Time, time.Time) {
		c := newTestClock()
		s, _ := loginSim(t, 600, 9, c)
		firstSeen := map[string]time.Time{}
		for range 60 {
			step(s, c, 1, 10*time.Second)
			for _, r := range s.LoginRecords() {
				if _, ok := firstSeen[r.TransactionID]; !ok {
					firstSeen[r.TransactionID] = c.now()
				}
			}
		}
		return s.LoginRecords(), firstSeen, c.now()
	}
	recs, firstSeen, _ := run()
	var failed, reconnects, ended, late, open int
	reasons := map[string]bool{}
	for _, r := range recs {
		switch {
		case r.FailureReason != "":
			failed++
			reasons[r.FailureReason] = true
			if !r.Setup.IsZero() || !r.End.IsZero() || r.NetworkRTT != 0 {
				t.Errorf("a failed attempt has a setup, end or latency: %+v", r)
			}
		case r.End.IsZero():
			open++
		default:
			ended++
			if r.End.Before(r.Setup) {
				t.Errorf("ends before its setup: %+v", r)
			}
		}
		if r.Reconnect {
			reconnects++
		}
		if d := r.Setup.Sub(r.Start); !r.Setup.IsZero() && (d < time.Second || d > 8*time.Second) {
			t.Errorf("setup %v after the start", d)
		}
		if firstSeen[r.TransactionID].Sub(r.Start) > 20*time.Second {
			late++
		}
	}
	if failed == 0 || reconnects == 0 || ended == 0 || open == 0 || late == 0 {
		t.Errorf("failed %d, reconnects %d, ended %d, open %d, late %d: each should occur", failed, reconnects, ended, open, late)
	}
	for r := range reasons {
		if !slices.Contains(loginFailureReasons, r) {
			t.Errorf("reason %q", r)
		}
	}
	again, _, _ := run()
	if len(again) != len(recs) {
		t.Fatalf("the same seed gave %d and %d records", len(recs), len(again))
	}
	for i := range recs {
		a, b := recs[i], again[i]
		// Times depend on the clock, which started at another instant.
		if a.TransactionID != b.TransactionID || a.UserName != b.UserName || a.FailureReason != b.FailureReason || a.Reconnect != b.Reconnect {
			t.Fatalf("record %d differs between runs: %+v vs %+v", i, a, b)
		}
	}
}

// The login records never touch the fleet's random source: stepping a
// fleet with and without its login store gives the same desktops
// (ListDesktopsDetail's answers are unchanged for a seed and step count).
func TestLoginRecordsLeaveTheFleetAlone(t *testing.T) {
	now := time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)
	with, without := newFleet(21, 800, now), newFleet(21, 800, now)
	without.logins = nil
	for i := range 300 {
		at := now.Add(time.Duration(i+1) * 10 * time.Second)
		with.step(at)
		without.step(at)
	}
	if len(with.logins.visible) == 0 {
		t.Fatal("no login records were made")
	}
	if len(with.recs) != len(without.recs) {
		t.Fatalf("%d and %d desktops", len(with.recs), len(without.recs))
	}
	for i := range with.recs {
		if a, b := appendRecord(nil, with.recs[i]), appendRecord(nil, without.recs[i]); !bytes.Equal(a, b) {
			t.Fatalf("desktop %d differs:\n%s\n%s", i, a, b)
		}
	}
}

// The store is bounded by age (24 hours) and count.
func TestLoginRecordsAreBounded(t *testing.T) {
	now := time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)
	f := newFleet(4, 500, now)
	f.logins.maxRecords = 50
	for i := range 200 {
		f.step(now.Add(time.Duration(i+1) * time.Minute))
		if n := len(f.logins.visible); n > 50 {
			t.Fatalf("step %d: %d records held, over 50", i, n)
		}
	}
	if n := len(f.logins.visible); n != 50 {
		t.Fatalf("%d records held, want the bound 50 reached", n)
	}
	f.logins.maxRecords = loginMaxRecords
	last := now.Add(200 * time.Minute)
	f.step(last.Add(25 * time.Hour)) // a day later: everything held is too old
	for _, rec := range f.logins.visible {
		if rec.start < last.Add(time.Hour).Unix() {
			t.Fatalf("a record of %v is held a day later", time.Unix(rec.start, 0).UTC())
		}
	}
	if len(f.logins.incoming)+len(f.logins.events) > 500 || len(f.logins.open) > len(f.recs) {
		t.Errorf("incoming %d, events %d, open %d", len(f.logins.incoming), len(f.logins.events), len(f.logins.open))
	}
}

// Paging: limit 0..1000 (default 20), offset from 0, the documented 400
// answers; total_count exact; the time filter is inclusive and needs both
// times.
func TestLoginRecordsPagingAndFilters(t *testing.T) {
	c := newTestClock()
	s, base := loginSim(t, 1500, 6, c)
	step(s, c, 30, 10*time.Second)
	truth := s.LoginRecords()
	if len(truth) < 60 {
		t.Fatalf("only %d records", len(truth))
	}
	r, b := getRecords(t, base, nil)
	if r.status != 200 || len(b.Records) != 20 || b.TotalCount == nil || *b.TotalCount != len(truth) {
		t.Fatalf("default page: %d, %d records, total %v; want 20 of %d", r.status, len(b.Records), b.TotalCount, len(truth))
	}
	r, b = getRecords(t, base, map[string]any{"limit": "0"})
	if r.status != 200 || len(b.Records) != 0 || *b.TotalCount != len(truth) {
		t.Errorf("limit 0: %d %d %v", r.status, len(b.Records), b.TotalCount)
	}
	for _, q := range []map[string]any{
		{"limit": "1001"}, {"limit": "-1"}, {"limit": "x"}, {"offset": "-1"}, {"offset": "x"},
		{"start_time": "2026-01-01T00:00Z"}, {"end_time": "2026-01-01T00:00Z"},
		{"start_time": "2026-01-01", "end_time": "2026-01-02"}, {"start_time": "2026-01-01T00:00:00Z", "end_time": "2026-01-01T01:00:00Z"},
	} {
		r, _ := getRecords(t, base, q)
		if r.status != http.StatusBadRequest {
			t.Errorf("%v: %d %s, want 400", q, r.status, r.body)
			continue
		}
		var e apiErrorBody
		if json.Unmarshal(r.body, &e) != nil || !strings.HasPrefix(e.Code, "WKS.") || e.Msg == "" {
			t.Errorf("%v: error body %s", q, r.body)
		}
	}
	// Every record once, newest first, in pages of 7.
	all := walkRecords(t, base, nil, 7)
	if len(all) != len(truth) {
		t.Fatalf("walked %d, want %d", len(all), len(truth))
	}
	for i := range all {
		if all[i].TransactionID != truth[i].TransactionID {
			t.Fatalf("record %d is %s, want %s", i, all[i].TransactionID, truth[i].TransactionID)
		}
	}
	// A window: the records whose start lies in it, inclusive.
	from := truth[len(truth)/2].Start.Truncate(time.Minute)
	to := truth[len(truth)/5].Start.Truncate(time.Minute)
	var want []string
	for _, r := range truth {
		if !r.Start.Before(from) && !r.Start.After(to) {
			want = append(want, r.TransactionID)
		}
	}
	q := map[string]any{"start_time": from.Format("2006-01-02T15:04Z"), "end_time": to.Format("2006-01-02T15:04Z")}
	got := walkRecords(t, base, q, 1000)
	var ids []string
	for _, r := range got {
		ids = append(ids, r.TransactionID)
	}
	if !slices.Equal(ids, want) || len(want) == 0 {
		t.Errorf("window %v..%v: %d records, want %d", from, to, len(ids), len(want))
	}
	_, b = getRecords(t, base, map[string]any{"start_time": to.Format("2006-01-02T15:04Z"), "end_time": from.Format("2006-01-02T15:04Z")})
	if len(b.Records) != 0 || *b.TotalCount != 0 {
		t.Errorf("a reversed window answered %d records", len(b.Records))
	}
	u := truth[0].UserName
	_, b = getRecords(t, base, map[string]any{"user_name": u, "limit": "1000"})
	for _, r := range b.Records {
		if r.UserName != u {
			t.Errorf("user_name filter let %q through", r.UserName)
		}
	}
	if len(b.Records) == 0 {
		t.Error("user_name filter found nothing")
	}
}

// The shared page faults reach ListLoginRecords.
func TestLoginRecordsPageFaults(t *testing.T) {
	c := newTestClock()
	s, base := loginSim(t, 800, 6, c)
	_, clean := getRecords(t, base, map[string]any{"limit": "10", "offset": "10"})
	s.InjectFault(simulator.Fault{Kind: simulator.FaultDuplicate, Operation: hwspec.OpListLoginRecords, Count: 1})
	_, dup := getRecords(t, base, map[string]any{"limit": "10", "offset": "10"})
	_, prev := getRecords(t, base, map[string]any{"limit": "10", "offset": "0"})
	if len(dup.Records) != 10 || dup.Records[0].TransactionID != prev.Records[9].TransactionID || dup.Records[1].TransactionID != clean.Records[1].TransactionID {
		t.Errorf("duplicate fault not applied")
	}
	s.InjectFault(simulator.Fault{Kind: simulator.FaultEnumFlood, Operation: hwspec.OpListLoginRecords, Count: 1})
	_, fl := getRecords(t, base, map[string]any{"limit": "3"})
	for _, r := range fl.Records {
		if r.FailureReason != simulator.FloodPrefix+r.TransactionID {
			t.Errorf("flooded reason %q", r.FailureReason)
		}
	}
	s.InjectFault(simulator.Fault{Kind: simulator.FaultBadList, Operation: hwspec.OpShowLoginUsers, Count: 1, Variant: simulator.BadListNull})
	r := do(t, sdkRequest(t, base, signed{path: usersPath, query: map[string]any{"query_type": "DAY"}}))
	if !bytes.Contains(r.body, []byte(`"time_counts":null`)) {
		t.Errorf("bad_list on ShowLoginUsers: %s", r.body)
	}
}

// ShowLoginUsers counts the distinct users with a successful login per
// hour of today (DAY), per day of the last week (WEEK) and of the month
// (MONTH), from the same records; by time too; bad queries are 400.
func TestShowLoginUsers(t *testing.T) {
	c := newTestClock()
	s, base := loginSim(t, 1500, 8, c)
	step(s, c, 20, 10*time.Second)
	now := c.now().UTC()
	users := func(from, to time.Time) int {
		set := map[string]bool{}
		for _, r := range s.LoginRecords() {
			if r.FailureReason == "" && !r.Setup.IsZero() && !r.Start.Before(from) && r.Start.Before(to) {
				set[r.UserName] = true
			}
		}
		return len(set)
	}
	get := func(q map[string]any) (int, []string) {
		r := do(t, sdkRequest(t, base, signed{path: usersPath, query: q}))
		var b struct {
			TimeCounts []string `json:"time_counts"`
		}
		if r.status == 200 {
			if err := json.Unmarshal(r.body, &b); err != nil {
				t.Fatal(err)
			}
		}
		return r.status, b.TimeCounts
	}
	day := now.Truncate(24 * time.Hour)
	hour := now.Truncate(time.Hour)
	st, day1 := get(map[string]any{"query_type": "DAY"})
	if st != 200 || len(day1) != now.Hour()+1 || day1[0] != "00:00 : "+strconv.Itoa(users(day, day.Add(time.Hour))) {
		t.Fatalf("DAY: %d %v", st, day1)
	}
	if want := hour.Format("15:04") + " : " + strconv.Itoa(users(hour, hour.Add(time.Hour))); day1[len(day1)-1] != want {
		t.Errorf("DAY: last bucket %q, want %q", day1[len(day1)-1], want)
	}
	if users(hour, hour.Add(time.Hour))+users(hour.Add(-time.Hour), hour) == 0 {
		t.Error("no logins in the last hours: the test shows nothing")
	}
	st, week := get(map[string]any{"query_type": "WEEK"})
	if st != 200 || len(week) != 7 || week[6] != day.Format("2006-01-02")+" : "+strconv.Itoa(users(day, day.Add(24*time.Hour))) ||
		!strings.HasPrefix(week[0], day.AddDate(0, 0, -6).Format("2006-01-02")+" : ") {
		t.Errorf("WEEK: %d %v", st, week)
	}
	st, month := get(map[string]any{"query_type": "MONTH"})
	if st != 200 || len(month) != day.Day() || month[len(month)-1] != week[6] {
		t.Errorf("MONTH: %d %v", st, month)
	}
	st, none := get(nil)
	if st != 200 || !slices.Equal(none, day1) {
		t.Errorf("no parameters: %d %v, want the DAY answer", st, none)
	}
	st, byTime := get(map[string]any{"start_time": hour.Add(-time.Hour).Format("2006-01-02T15:04Z"), "end_time": hour.Add(30 * time.Minute).Format("2006-01-02T15:04Z")})
	if hour.Add(-time.Hour).Day() == hour.Day() && (st != 200 || len(byTime) != 2 || byTime[1] != day1[len(day1)-1]) {
		t.Errorf("by time: %d %v", st, byTime)
	}
	for _, q := range []map[string]any{
		{"query_type": "YEAR"}, {"start_time": "2026-01-01T00:00Z"}, {"start_time": "x", "end_time": "y"},
		{"start_time": "2026-01-02T00:00Z", "end_time": "2026-01-01T00:00Z"}, {"start_time": "2020-01-01T00:00Z", "end_time": "2026-01-01T00:00Z"},
	} {
		if st, _ := get(q); st != http.StatusBadRequest {
			t.Errorf("%v: %d, want 400", q, st)
		}
	}
}
