package huaweicloud

import (
	"math/rand/v2"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"time"

	"github.com/workspace-exporter/workspace_exporter/client/huaweicloud/hwspec"
	"github.com/workspace-exporter/workspace_exporter/simulator"
)

// This file is the login domain: the login (connection) records the
// fleet's sessions leave (a loginStore, kept by the fleet and fed by its
// session changes, see fleet.go), ListLoginRecords (GET
// /v2/{project_id}/connections/desktops, API reference §4.13.1) and
// ShowLoginUsers (GET /v2/{project_id}/connections/online-users, §4.13.4).
//
// A desktop whose login state becomes CONNECTED in a step starts a
// successful login record: connection_start_time a few seconds before the
// step, connection_setup_time 1..8 s after the start (shown once the
// simulator's clock has passed it), latencies, is_reconnect when it came
// back from DISCONNECTED. The record gets its connection_end_time at the
// first step that finds the desktop no longer connected (disconnected,
// logged off, powered off, failed or being deleted). A registered desktop
// with a user that does not connect in a step sometimes makes a failed
// attempt: a record with a connection_failure_reason and no setup time,
// which does not change the desktop. Records become visible 0..3 minutes
// after their start (most at once): they arrive late, as real ones do.
// When the fleet is generated, the connected desktops whose current
// session began in the last two hours get their open record (backfill), so
// a fresh simulator already answers.
//
// The store is bounded: records older than 24 hours, and the oldest beyond
// 500,000, are dropped. All of it uses its own random source (seeded from
// the fleet's seed), never the fleet's, so the fleet and ListDesktopsDetail
// evolve exactly as without it; the records depend only on the seed, the
// fleet and the clock of the steps. The served state changes only at Step.

// Bounds of the login store.
const (
	loginMaxAge     = 24 * 60 * 60 // seconds
	loginMaxRecords = 500_000
	// loginBackfill is how far back the generated fleet's open sessions
	// get a record.
	loginBackfill = 2 * 60 * 60
	// pLoginFailure is the chance per step that a registered desktop with
	// a user makes a failed login attempt.
	pLoginFailure = 0.002
	// loginTimeLayout is the records' time format (003 L21861).
	loginTimeLayout = "2006-01-02T15:04:05Z"
	// loginQueryLayout is the format of start_time and end_time
	// (003 L21737: "2016-08-20T21:11Z").
	loginQueryLayout = "2006-01-02T15:04Z"
)

// loginFailureReasons are the failure reasons of failed attempts.
var loginFailureReasons = []string{
	"The username or password is incorrect.",
	"The desktop is not ready. Try again later.",
	"Connection timed out.",
	"The client version is not supported.",
	"The user has no permission to access the desktop.",
}

// Terminals users connect from.
var (
	loginTerminalTypes  = []string{"Windows 10", "Windows 11", "macOS 14", "Ubuntu 22.04", "Android 14", "iOS 17"}
	loginClientVersions = []string{"1.8.00005", "2.0.00012", "2.1.00007"}
	loginAgentVersions  = []string{"1.8.00005.10546", "2.0.00012.11201"}
)

// reasonFlooded marks a record an enum_flood fault rewrote: its failure
// reason is simulator.FloodPrefix and its transaction ID.
const reasonFlooded = -2

// loginRec is one login record. Times are Unix seconds; setup is the
// time the setup completes (0 for a failed attempt), shown once the
// store's clock reaches it; end is 0 while the session is open.
type loginRec struct {
	seq                     uint64
	desk                    *record // the desktop while the session is open, else nil
	name, user, sid         string  // sid "" for a generated desktop: derived from dhash
	dhash                   uint64
	dip                     uint32
	customIP                string
	start, setup, end, seen int64 // seen: when it becomes visible
	nrtt, e2e               int32 // ms; 0 for none
	reason                  int8  // index in loginFailureReasons; -1 for success
	reconnect               bool
}

// loginEvent is a session change seen during a step.
type loginEvent struct {
	r      *record
	before string
}

// loginStore keeps the login records of the fleet. It is not safe for
// concurrent use (the fleet's lock guards it). A nil store does nothing.
type loginStore struct {
	rng  *rand.Rand
	seed uint64
	seq  uint64
	now  int64 // Unix seconds of the latest step (or of the generation)
	// maxRecords bounds visible (loginMaxRecords; tests lower it).
	maxRecords int
	// events are the session changes of the current step, in fleet order.
	events []loginEvent
	// open are the successful records whose session is open, in
	// creation order; incoming the records not yet visible.
	open, incoming []*loginRec
	// visible are the served records, newest first (start, then seq,
	// descending); spare is the merge buffer.
	visible, spare []*loginRec
}

// newLoginStore makes the store of a generated fleet and backfills the
// open sessions of its connected desktops that began in the last two
// hours.
func newLoginStore(seed int64, recs []*record, now time.Time) *loginStore {
	s := &loginStore{rng: rand.New(rand.NewPCG(uint64(seed), 0x10c1a5)), seed: uint64(seed), now: now.Unix(), maxRecords: loginMaxRecords}
	for _, r := range recs {
		if r.login != loginConnected || r.user == "" {
			continue
		}
		age := s.rng.Int64N(4 * loginBackfill)
		if age > loginBackfill {
			continue
		}
		s.connect(r, s.now-age, s.rng.Float64() < 0.1)
	}
	s.publish()
	return s
}

// session notes a desktop's login state change during a step (fleet.go
// calls it for every desktop whose session moved, before being the state
// it had before).
func (s *loginStore) session(r *record, before string) {
	if s == nil {
		return
	}
	if r.login != before || r.login == loginRegistered && r.user != "" {
		s.events = append(s.events, loginEvent{r, before})
	}
}

// step applies the step's session changes at now: new records for the
// desktops that connected, failed attempts, ends for the sessions that
// closed; then late records become visible and old ones are dropped.
func (s *loginStore) step(now time.Time) {
	if s == nil {
		return
	}
	s.now = now.Unix()
	for _, e := range s.events {
		switch {
		case e.r.login == loginConnected && e.before != loginConnected:
			s.connect(e.r, s.now-s.rng.Int64N(10), e.before == loginDisconnected)
		case e.r.login == loginRegistered && e.before == loginRegistered:
			if s.rng.Float64() < pLoginFailure {
				s.fail(e.r, s.now-s.rng.Int64N(10))
			}
		}
	}
	clear(s.events)
	s.events = s.events[:0]
	kept := s.open[:0]
	for _, rec := range s.open {
		d := rec.desk
		if d.login == loginConnected && d.status == statusActive && d.task != taskDeleting {
			kept = append(kept, rec)
			continue
		}
		rec.end = max(s.now-s.rng.Int64N(10), rec.setup+1)
		rec.desk = nil
	}
	clear(s.open[len(kept):])
	s.open = kept
	s.publish()
}

// newRec starts a record of desktop r at start.
func (s *loginStore) newRec(r *record, start int64) *loginRec {
	s.seq++
	rec := &loginRec{seq: s.seq, name: r.name, user: r.user, dhash: r.hash, dip: r.ip, start: start, reason: -1}
	if r.custom != nil {
		rec.sid = r.custom.SID
		if len(r.custom.IPAddresses) > 0 {
			rec.customIP = r.custom.IPAddresses[0]
		}
	}
	// Most records are visible at once; some arrive up to 3 minutes late.
	rec.seen = start
	if s.rng.Float64() < 0.4 {
		rec.seen += 1 + s.rng.Int64N(180)
	}
	return rec
}

// connect adds the open record of a successful login of r at start.
func (s *loginStore) connect(r *record, start int64, reconnect bool) {
	rec := s.newRec(r, start)
	rec.setup = start + 1 + s.rng.Int64N(8)
	rec.reconnect = reconnect
	rec.nrtt = int32(5 + s.rng.IntN(20) + s.rng.IntN(20)*s.rng.IntN(6))
	rec.e2e = rec.nrtt + int32(10+s.rng.IntN(50))
	rec.desk = r
	s.open = append(s.open, rec)
	s.incoming = append(s.incoming, rec)
}

// fail adds the record of a failed attempt of r at start.
func (s *loginStore) fail(r *record, start int64) {
	rec := s.newRec(r, start)
	rec.reason = int8(s.rng.IntN(len(loginFailureReasons)))
	rec.reconnect = s.rng.Float64() < 0.05
	s.incoming = append(s.incoming, rec)
}

// publish moves the records whose time has come from incoming to visible
// and drops the records beyond the store's bounds.
func (s *loginStore) publish() {
	var ready []*loginRec
	kept := s.incoming[:0]
	for _, rec := range s.incoming {
		if rec.seen <= s.now {
			ready = append(ready, rec)
		} else {
			kept = append(kept, rec)
		}
	}
	clear(s.incoming[len(kept):])
	s.incoming = kept
	if len(ready) > 0 {
		slices.SortFunc(ready, loginNewerFirst)
		merged := s.spare[:0]
		i, j := 0, 0
		for i < len(ready) || j < len(s.visible) {
			if j == len(s.visible) || i < len(ready) && loginNewerFirst(ready[i], s.visible[j]) < 0 {
				merged = append(merged, ready[i])
				i++
			} else {
				merged = append(merged, s.visible[j])
				j++
			}
		}
		clear(s.visible)
		s.visible, s.spare = merged, s.visible[:0]
	}
	n := len(s.visible)
	for n > 0 && (n > s.maxRecords || s.visible[n-1].start < s.now-loginMaxAge) {
		n--
	}
	clear(s.visible[n:])
	s.visible = s.visible[:n]
}

// loginNewerFirst orders records newest first.
func loginNewerFirst(a, b *loginRec) int {
	switch {
	case a.start != b.start:
		return -cmpInt64(a.start, b.start)
	case a.seq != b.seq:
		return -cmpInt64(int64(a.seq), int64(b.seq))
	}
	return 0
}

func cmpInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// setupShown reports whether rec shows its setup time at the store's
// clock.
func (s *loginStore) setupShown(rec *loginRec) bool { return rec.setup != 0 && rec.setup <= s.now }

// appendTransactionID appends the record's deterministic UUID-like transaction_id.
func (s *loginStore) appendTransactionID(b []byte, rec *loginRec) []byte {
	return appendUUID(b, mix(s.seed^0x7a11, rec.seq), mix(rec.seq, s.seed))
}

// terminal fields are per desktop (its user's usual terminal).
func terminalHash(rec *loginRec) uint64 { return mix(rec.dhash, 21) }

// appendLogin appends the JSON of one record as §4.13.1's Record.
func (s *loginStore) appendLogin(b []byte, rec *loginRec) []byte {
	th := terminalHash(rec)
	b = append(b, `{"transaction_id":"`...)
	b = s.appendTransactionID(b, rec)
	b = append(b, `","sid":`...)
	if rec.sid != "" || rec.dhash == 0 {
		b = appendString(b, rec.sid) // a desktop installed with SetDesktops
	} else {
		b = append(b, '"')
		b = appendUUID(b, mix(rec.dhash, 6), mix(rec.dhash, 7)) // the desktop's sid (desktops.go)
		b = append(b, '"')
	}
	b = appendKeyString(b, ',', "computer_name", rec.name)
	b = appendKeyString(b, ',', "user_name", rec.user)
	b = append(b, `,"terminal_mac":"`...)
	b = appendTerminalMAC(b, th)
	b = append(b, `","terminal_name":"DESKTOP-`...)
	const alnum = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"
	for i := range 7 {
		b = append(b, alnum[(th>>(6*i))%uint64(len(alnum))])
	}
	b = append(b, `","terminal_ip":"`...)
	b = appendIP(b, terminalIP(th))
	b = append(b, '"')
	b = appendKeyString(b, ',', "client_version", loginClientVersions[th%uint64(len(loginClientVersions))])
	b = appendKeyString(b, ',', "terminal_type", loginTerminalTypes[(th>>8)%uint64(len(loginTerminalTypes))])
	b = appendKeyString(b, ',', "agent_version", loginAgentVersions[rec.dhash%uint64(len(loginAgentVersions))])
	b = append(b, `,"desktop_ip":`...)
	if rec.customIP != "" || rec.dip == 0 {
		b = appendString(b, rec.customIP)
	} else {
		b = append(b, '"')
		b = appendIP(b, rec.dip)
		b = append(b, '"')
	}
	b = append(b, `,"connection_start_time":"`...)
	b = time.Unix(rec.start, 0).UTC().AppendFormat(b, loginTimeLayout)
	b = append(b, '"')
	if s.setupShown(rec) {
		b = append(b, `,"connection_setup_time":"`...)
		b = time.Unix(rec.setup, 0).UTC().AppendFormat(b, loginTimeLayout)
		b = append(b, '"')
	}
	if rec.end != 0 {
		b = append(b, `,"connection_end_time":"`...)
		b = time.Unix(rec.end, 0).UTC().AppendFormat(b, loginTimeLayout)
		b = append(b, '"')
	}
	b = appendKeyBool(b, "is_reconnect", rec.reconnect)
	switch {
	case rec.reason == reasonFlooded:
		b = append(b, `,"connection_failure_reason":"`+simulator.FloodPrefix...)
		b = s.appendTransactionID(b, rec)
		b = append(b, '"')
	case rec.reason >= 0:
		b = appendKeyString(b, ',', "connection_failure_reason", loginFailureReasons[rec.reason])
	}
	if rec.nrtt > 0 && s.setupShown(rec) {
		b = append(b, `,"network_rtt":`...)
		b = strconv.AppendInt(b, int64(rec.nrtt), 10)
		b = append(b, `,"e2e_rtt":`...)
		b = strconv.AppendInt(b, int64(rec.e2e), 10)
	}
	b = append(b, `,"source_ip":"`...)
	b = appendIP(b, terminalIP(th))
	b = append(b, `","public_ip":"`...)
	b = appendIP(b, 203<<24|0<<16|113<<8|uint32(th>>40)&0xff)
	return append(b, `"}`...)
}

func terminalIP(th uint64) uint32 { return 10<<24 | uint32(th>>16)&0xffffff }

// appendTerminalMAC writes a MAC address as §4.13.1's example does
// ("00-ac-9c-c7-9a-df").
func appendTerminalMAC(b []byte, v uint64) []byte {
	const digits = "0123456789abcdef"
	for i := range 6 {
		if i > 0 {
			b = append(b, '-')
		}
		x := byte(v >> (8 * i))
		b = append(b, digits[x>>4], digits[x&0xf])
	}
	return b
}

// loginLimits are the paging rules of ListLoginRecords (003 L21747):
// limit 0..1000, default 20.
var loginLimits = wksLimits(0, hwspec.Spec.Operation(hwspec.OpListLoginRecords).MaxLimit, 20, "The value of limit must be between 0 and 1000.", "")

// badLoginQuery is the 400 answer to a malformed time filter.
func badLoginQuery(detail string) (int, []byte) {
	return http.StatusBadRequest, errorBody(&simulator.Error{Status: http.StatusBadRequest,
		Code: invalidParameter.Code, Message: invalidParameter.Message, Detail: detail})
}

// loginTimeRange reads start_time and end_time: both or neither (003
// L21737-21738); ok is false (with the 400 answer) when only one is given
// or one is not in the documented format.
func loginTimeRange(q map[string][]string) (from, to int64, given bool, status int, body []byte) {
	_, hasStart := q["start_time"]
	_, hasEnd := q["end_time"]
	if !hasStart && !hasEnd {
		return 0, 0, false, 0, nil
	}
	if hasStart != hasEnd {
		status, body = badLoginQuery("start_time and end_time must be given together.")
		return 0, 0, false, status, body
	}
	a, err1 := time.Parse(loginQueryLayout, q["start_time"][0])
	b, err2 := time.Parse(loginQueryLayout, q["end_time"][0])
	if err1 != nil || err2 != nil {
		status, body = badLoginQuery("start_time and end_time must be formatted as 2016-08-20T21:11Z.")
		return 0, 0, false, status, body
	}
	return a.Unix(), b.Unix(), true, 0, nil
}

// listLoginRecords answers ListLoginRecords: the visible records newest
// first, those whose start lies in [start_time, end_time] when the times
// are given, filtered by user_name and computer_name, paged, with the page
// fault f applied. The caller holds the fleet's read lock.
func (a *api) listLoginRecords(op simulator.Operation, r *http.Request, b []byte, f *simulator.Fault) (int, []byte) {
	q := r.URL.Query()
	page, e := simulator.ParsePage(q, loginLimits)
	if e != nil {
		return e.Status, errorBody(e)
	}
	from, to, timed, status, body := loginTimeRange(q)
	if status != 0 {
		return status, body
	}
	s := a.fleet.logins
	var items []*loginRec
	if s != nil {
		items = s.visible
	}
	if timed {
		// Newest first: the records at or before to, then those before from.
		lo := sort.Search(len(items), func(i int) bool { return items[i].start <= to })
		hi := sort.Search(len(items), func(i int) bool { return items[i].start < from })
		items = items[lo:max(lo, hi)]
	}
	var match func(*loginRec) bool
	user, byUser := q["user_name"]
	name, byName := q["computer_name"]
	if byUser || byName {
		match = func(rec *loginRec) bool {
			return (!byUser || rec.user == user[0]) && (!byName || rec.name == name[0])
		}
	}
	l := simulator.List[*loginRec]{
		ListKey:  op.ListKey,
		TotalKey: op.TotalKey,
		Mode:     a.srv.TotalCountMode(),
		Items:    items,
		Match:    match,
		Page:     page,
		Append:   s.appendLogin,
		Flood:    floodLogin,
		ItemSize: 720,
	}
	return http.StatusOK, l.AppendTo(b, f)
}

// floodLogin returns a copy of rec whose failure reason is
// simulator.FloodPrefix and its transaction ID (login records have no
// documented enum field: the failure reason is the label an API can
// flood).
func floodLogin(rec *loginRec, _ []string) *loginRec {
	c := *rec
	c.reason = reasonFlooded
	return &c
}

// appendOversizedLogin appends the n-th record of an oversized page.
func appendOversizedLogin(b []byte, n int) []byte {
	b = append(b, `{"transaction_id":"oversize-`...)
	d := strconv.AppendInt(nil, int64(n), 10)
	for i := len(d); i < 8; i++ {
		b = append(b, '0')
	}
	b = append(b, d...)
	return append(b, `","connection_start_time":"2026-01-01T00:00:00Z","connection_setup_time":"2026-01-01T00:00:02Z"}`...)
}

// appendOversizedTimeCount appends the n-th entry of an oversized
// time_counts list.
func appendOversizedTimeCount(b []byte, n int) []byte {
	b = append(b, '"')
	b = strconv.AppendInt(b, int64(n%24), 10)
	b = append(b, `:00 : `...)
	b = strconv.AppendInt(b, int64(n), 10)
	return append(b, '"')
}

// showLoginUsers answers ShowLoginUsers: time_counts of "time : count"
// strings, count being the distinct users with a successful login (a
// visible record with its setup time) whose start lies in the bucket, in
// UTC. query_type DAY: hourly buckets "HH:MM" of today up to the current
// hour (003 L22299); WEEK: daily buckets "YYYY-MM-DD" of the last seven
// days, today last; MONTH: daily buckets of this month up to today. The
// daily format is not shown in the seeds (this one is the simulator's
// choice). Without query_type, start_time and end_time select the range:
// hourly buckets within one day, daily ones otherwise. The documentation
// says the parameters cannot all be empty; the simulator answers a request
// without any as DAY. Days older than the store's 24 hours count only the
// records still held. "Today" and "now" are the clock of the latest step.
func (a *api) showLoginUsers(op simulator.Operation, r *http.Request, b []byte, f *simulator.Fault) (int, []byte) {
	q := r.URL.Query()
	s := a.fleet.logins
	now := time.Now().Unix()
	if s != nil {
		now = s.now
	}
	day := time.Unix(now, 0).UTC().Truncate(24 * time.Hour)
	var from time.Time
	var buckets int
	hourly := false
	switch qt := q.Get("query_type"); qt {
	case "DAY":
		from, buckets, hourly = day, int(time.Unix(now, 0).UTC().Sub(day)/time.Hour)+1, true
	case "WEEK":
		from, buckets = day.AddDate(0, 0, -6), 7
	case "MONTH":
		from = time.Date(day.Year(), day.Month(), 1, 0, 0, 0, 0, time.UTC)
		buckets = day.Day()
	case "":
		lo, hi, timed, status, body := loginTimeRange(q)
		switch {
		case status != 0:
			return status, body
		case !timed:
			from, buckets, hourly = day, int(time.Unix(now, 0).UTC().Sub(day)/time.Hour)+1, true
		case hi < lo:
			return badLoginQuery("end_time is before start_time.")
		case time.Unix(lo, 0).UTC().Truncate(24 * time.Hour).Equal(time.Unix(hi, 0).UTC().Truncate(24 * time.Hour)):
			from = time.Unix(lo, 0).UTC().Truncate(time.Hour)
			buckets, hourly = int((hi-from.Unix())/3600)+1, true
		default:
			from = time.Unix(lo, 0).UTC().Truncate(24 * time.Hour)
			buckets = int((hi-from.Unix())/86400) + 1
			if buckets > 366 {
				return badLoginQuery("the time range is longer than a year.")
			}
		}
	default:
		return badLoginQuery("query_type must be MONTH, WEEK or DAY.")
	}
	width := int64(86400)
	if hourly {
		width = 3600
	}
	counts := s.distinctUsers(from.Unix(), width, buckets)
	items := make([]string, buckets)
	for i := range items {
		t := from.Add(time.Duration(i) * time.Duration(width) * time.Second)
		label := t.Format("2006-01-02")
		if hourly {
			label = t.Format("15:04")
		}
		items[i] = label + " : " + strconv.Itoa(counts[i])
	}
	l := simulator.List[string]{
		ListKey:  op.ListKey,
		Mode:     simulator.TotalOmitted,
		Items:    items,
		Page:     simulator.Page{Limit: len(items)},
		Append:   appendString,
		Flood:    func(v string, _ []string) string { return v },
		ItemSize: 16,
	}
	return http.StatusOK, l.AppendTo(b, f)
}

// distinctUsers counts, per bucket of width seconds from from, the
// distinct users with a successful login.
func (s *loginStore) distinctUsers(from, width int64, buckets int) []int {
	counts := make([]int, buckets)
	if s == nil {
		return counts
	}
	to := from + width*int64(buckets)
	seen := make([]map[string]struct{}, buckets)
	lo := sort.Search(len(s.visible), func(i int) bool { return s.visible[i].start < to })
	for _, rec := range s.visible[lo:] {
		if rec.start < from {
			break
		}
		if rec.reason != -1 || !s.setupShown(rec) || rec.user == "" {
			continue
		}
		i := int((rec.start - from) / width)
		if seen[i] == nil {
			seen[i] = map[string]struct{}{}
		}
		seen[i][rec.user] = struct{}{}
	}
	for i := range counts {
		counts[i] = len(seen[i])
	}
	return counts
}

// LoginRecord is one login record as the simulator serves it through
// ListLoginRecords (§4.13.1): Setup is zero until the setup time is shown,
// End while the session is open; FailureReason is "" for a successful
// login; NetworkRTT and E2ERTT (milliseconds) are 0 when not served.
type LoginRecord struct {
	TransactionID, ComputerName, UserName string
	Start, Setup, End                     time.Time
	Reconnect                             bool
	FailureReason                         string
	NetworkRTT, E2ERTT                    int
}

// LoginRecords returns the records ListLoginRecords serves now, newest
// first: the simulator's own view, for tests.
func (s *Simulator) LoginRecords() []LoginRecord {
	var out []LoginRecord
	s.ReadFleet(func() {
		st := s.api.fleet.logins
		if st == nil {
			return
		}
		out = make([]LoginRecord, len(st.visible))
		for i, rec := range st.visible {
			l := LoginRecord{
				TransactionID: string(st.appendTransactionID(nil, rec)),
				ComputerName:  rec.name, UserName: rec.user,
				Start: time.Unix(rec.start, 0).UTC(), Reconnect: rec.reconnect,
			}
			if st.setupShown(rec) {
				l.Setup = time.Unix(rec.setup, 0).UTC()
				l.NetworkRTT, l.E2ERTT = int(rec.nrtt), int(rec.e2e)
			}
			if rec.end != 0 {
				l.End = time.Unix(rec.end, 0).UTC()
			}
			if rec.reason >= 0 {
				l.FailureReason = loginFailureReasons[rec.reason]
			}
			out[i] = l
		}
	})
	return out
}

// LoginFailureReasons are the failure reasons the simulator's failed
// attempts carry.
func LoginFailureReasons() []string { return slices.Clone(loginFailureReasons) }
