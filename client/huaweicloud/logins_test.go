package huaweicloud

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/workspace-exporter/workspace_exporter/client"
)

// §4.13.1's example (003 L21849-21886, the page break removed) decodes:
// two records, no transaction_id (so digest keys, distinct and stable),
// every time parsed. Its total_count (4) does not match its two records:
// a walk of it would be inconsistent, the page decoder only reports it.
func TestLoginRecordsSeedExample(t *testing.T) {
	body, err := os.ReadFile("testdata/list_login_records_seed003.json")
	if err != nil {
		t.Fatal(err)
	}
	recs, total, known, invalid, err := DecodeLoginRecordsPage(body)
	if err != nil {
		t.Fatal(err)
	}
	if !known || total != 4 || invalid != 0 || len(recs) != 2 {
		t.Fatalf("total %d (known %v), invalid %d, %d records; want 4, 0, 2", total, known, invalid, len(recs))
	}
	ts := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	want := []LoginRecord{{
		UserName: "jy01@local.com", ComputerName: "JY011",
		Start: ts("2020-04-24T03:02:47Z"), Setup: ts("2020-04-24T03:02:49Z"), End: ts("2020-04-24T03:36:43Z"),
	}, {
		UserName: "jy01@local.com", ComputerName: "JY011",
		Start: ts("2020-04-23T08:58:02Z"), Setup: ts("2020-04-23T08:58:05Z"), End: ts("2020-04-23T22:45:00Z"),
	}}
	for i, w := range want {
		got := recs[i]
		if !strings.HasPrefix(got.Key, "sha256:") || len(got.Key) != len("sha256:")+2*keyDigestLen {
			t.Errorf("record %d: key %q is not a digest", i, got.Key)
		}
		w.Key = got.Key
		if got != w {
			t.Errorf("record %d:\n got %+v\nwant %+v", i, got, w)
		}
	}
	if recs[0].Key == recs[1].Key {
		t.Error("the two records share a key")
	}
	// The same record decoded again has the same key.
	again, _, _, _, _ := DecodeLoginRecordsPage(body)
	if again[0].Key != recs[0].Key {
		t.Error("digest keys are not stable")
	}
}

// §4.13.4's example (003 L22298-22301, the string wrapped across
// L22299-22300 joined) decodes: eleven hourly buckets, the last 10:00.
func TestLoginUsersSeedExample(t *testing.T) {
	body, err := os.ReadFile("testdata/show_login_users_seed003.json")
	if err != nil {
		t.Fatal(err)
	}
	b, err := DecodeLoginUsers(body, &client.Redactor{})
	if err != nil {
		t.Fatal(err)
	}
	if b != (LoginUsersBucket{Name: "10:00", Count: 0, Entries: 11}) {
		t.Errorf("got %+v", b)
	}
}

// A record's digest key depends only on its identifying fields: a record
// updated later (setup, end, latencies filled in) keeps its key, and
// transaction_id wins when present.
func TestLoginRecordKeys(t *testing.T) {
	page := func(recs ...string) []LoginRecord {
		t.Helper()
		body := `{"total_count":` + strconv.Itoa(len(recs)) + `,"records":[` + strings.Join(recs, ",") + `]}`
		out, _, _, invalid, err := DecodeLoginRecordsPage([]byte(body))
		if err != nil || invalid != 0 {
			t.Fatalf("%s: %v (invalid %d)", body, err, invalid)
		}
		return out
	}
	early := page(`{"sid":"s1","computer_name":"PC1","user_name":"u","connection_start_time":"2026-01-01T10:00:00Z","terminal_mac":"m","terminal_ip":"1.2.3.4"}`)[0]
	late := page(`{"sid":"s1","computer_name":"PC1","user_name":"u","connection_start_time":"2026-01-01T10:00:00Z","terminal_mac":"m","terminal_ip":"1.2.3.4",
		"connection_setup_time":"2026-01-01T10:00:03Z","connection_end_time":"2026-01-01T11:00:00Z","network_rtt":12,"e2e_rtt":30,"terminal_name":"T"}`)[0]
	if early.Key != late.Key {
		t.Errorf("the key changed as the record was updated: %s → %s", early.Key, late.Key)
	}
	for _, other := range []string{
		`{"sid":"s2","computer_name":"PC1","user_name":"u","connection_start_time":"2026-01-01T10:00:00Z","terminal_mac":"m","terminal_ip":"1.2.3.4"}`,
		`{"sid":"s1","computer_name":"PC1","user_name":"u","connection_start_time":"2026-01-01T10:00:01Z","terminal_mac":"m","terminal_ip":"1.2.3.4"}`,
		`{"sid":"s1","computer_name":"PC1","user_name":"u","connection_start_time":"2026-01-01T10:00:00Z","terminal_mac":"m","terminal_ip":"1.2.3.5"}`,
		// Field boundaries matter: "PC1"+"u" is not "PC"+"1u".
		`{"sid":"s1","computer_name":"PC","user_name":"1u","connection_start_time":"2026-01-01T10:00:00Z","terminal_mac":"m","terminal_ip":"1.2.3.4"}`,
	} {
		if k := page(other)[0].Key; k == early.Key {
			t.Errorf("%s shares the key %s", other, k)
		}
	}
	if k := page(`{"transaction_id":"tx-1","user_name":"u"}`)[0].Key; k != "tx-1" {
		t.Errorf("transaction_id key = %q", k)
	}
	if k := page(`{"transaction_id":"  tx-2 ","user_name":"u"}`)[0].Key; k != "tx-2" {
		t.Errorf("transaction_id is not trimmed: %q", k)
	}
	// An unusable transaction_id (too long, control characters) is digested.
	long := strings.Repeat("x", 500)
	a, b := page(`{"transaction_id":"` + long + `"}`)[0].Key, page(`{"transaction_id":"` + long + `y"}`)[0].Key
	if !strings.HasPrefix(a, "sha256:") || a == b {
		t.Errorf("long transaction_ids: %q %q", a, b)
	}
	if k := page(`{"transaction_id":"a\u0001b"}`)[0].Key; !strings.HasPrefix(k, "sha256:") {
		t.Errorf("control characters kept in key %q", k)
	}
}

// Every documented time format parses (API digest §0.8); anything else
// leaves the field zero without failing the record.
func TestLoginRecordTimes(t *testing.T) {
	want := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	for _, s := range []string{
		"2026-03-04T05:06:07Z", "2026-03-04T05:06:07.000Z", "2026-03-04T08:06:07+03:00", "2026-03-04T05:06:07",
		"2026-03-04 05:06:07", `2026-03-04T05:06:07.000000`,
	} {
		recs, _, _, _, err := DecodeLoginRecordsPage([]byte(`{"records":[{"transaction_id":"t","connection_start_time":"` + s + `"}]}`))
		if err != nil || len(recs) != 1 || !recs[0].Start.Equal(want) {
			t.Errorf("%q: %v %+v", s, err, recs)
		}
	}
	recs, _, _, _, _ := DecodeLoginRecordsPage([]byte(`{"records":[{"transaction_id":"t","connection_start_time":"2016-08-20T21:11Z"}]}`))
	if got := recs[0].Start; !got.Equal(time.Date(2016, 8, 20, 21, 11, 0, 0, time.UTC)) {
		t.Errorf("minute precision: %v", got)
	}
	recs, _, _, _, _ = DecodeLoginRecordsPage([]byte(`{"records":[{"transaction_id":"t","connection_start_time":1767225600000}]}`))
	if got := recs[0].Start; !got.Equal(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("epoch milliseconds: %v", got)
	}
	for _, bad := range []string{`"yesterday"`, `""`, `null`, `{}`, `[1]`, `true`, `"2026-13-45T99:99:99Z"`, `"` + strings.Repeat("9", 5000) + `"`} {
		recs, _, _, invalid, err := DecodeLoginRecordsPage([]byte(`{"records":[{"transaction_id":"t","connection_start_time":` + bad +
			`,"connection_setup_time":` + bad + `,"connection_end_time":` + bad + `}]}`))
		if err != nil || invalid != 0 || len(recs) != 1 {
			t.Fatalf("%s: %v invalid %d", bad, err, invalid)
		}
		if r := recs[0]; !r.Start.IsZero() || !r.Setup.IsZero() || !r.End.IsZero() {
			t.Errorf("%s parsed as %+v", bad, r)
		}
	}
}

// Latencies: integers (or numeric strings) of milliseconds; negative,
// absurd and unreadable ones are absent.
func TestLoginRecordRTT(t *testing.T) {
	for raw, want := range map[string]time.Duration{
		`12`: 12 * time.Millisecond, `"40"`: 40 * time.Millisecond, `0`: 0, `7.9`: 7 * time.Millisecond,
		`3600000`: time.Hour,
		`-1`:      -1, `3600001`: -1, `1e30`: -1, `"fast"`: -1, `null`: -1, `{}`: -1, `[]`: -1, `true`: -1,
		`99999999999999999999999`: -1,
	} {
		recs, _, _, _, err := DecodeLoginRecordsPage([]byte(`{"records":[{"transaction_id":"t","network_rtt":` + raw + `,"e2e_rtt":` + raw + `}]}`))
		if err != nil || len(recs) != 1 {
			t.Fatalf("%s: %v", raw, err)
		}
		r := recs[0]
		if want < 0 {
			if r.HasNetworkRTT || r.HasE2ERTT || r.NetworkRTT != 0 || r.E2ERTT != 0 {
				t.Errorf("%s: kept as %+v", raw, r)
			}
			continue
		}
		if !r.HasNetworkRTT || !r.HasE2ERTT || r.NetworkRTT != want || r.E2ERTT != want {
			t.Errorf("%s: %+v, want %v", raw, r, want)
		}
	}
}

// Hostile records: unknown fields and wrong types lose only the field;
// elements that are not records, or cannot be identified, are skipped and
// counted; strings that become labels are cleaned and bounded.
func TestLoginRecordsHostile(t *testing.T) {
	red := client.NewRedactor(testSK)
	body := `{"total_count":"7","unknown":{"x":[1,2]},"records":[
	  42, "x", null, [1], {}, {"terminal_mac":"only-this"},
	  {"transaction_id":"a","user_name":{"n":1},"computer_name":7,"is_reconnect":"true","connection_failure_reason":"   boom\n\twith  ` + testSK + `  ",
	   "network_rtt":"x","new_field":[{"deep":true}],"connection_start_time":["2026-01-01T00:00:00Z"]},
	  {"transaction_id":"b","user_name":"u\u0000\u00ff` + strings.Repeat("é", 200) + `","connection_failure_reason":"` + strings.Repeat("r", 1000) + `","is_reconnect":1},
	  {"TRANSACTION_ID":"c","Is_Reconnect":false,"connection_failure_reason":"   "},
	  {"transaction_id":"d","transaction_id":"e"}
	]}`
	p, err := client.DecodePageRaw(strings.NewReader(body), OpListLoginRecords, loginRecordsListKey, loginRecordsTotalKey, loginRecordsMaxLimit, decodeLoginRecord(red))
	if err != nil {
		t.Fatal(err)
	}
	if p.Invalid != 6 || len(p.Items) != 4 || !p.HasTotal || p.Total != 7 {
		t.Fatalf("invalid %d, %d records, total %d; want 6, 4, 7: %+v", p.Invalid, len(p.Items), p.Total, p.Items)
	}
	a, b, c, e := p.Items[0], p.Items[1], p.Items[2], p.Items[3]
	if a.Key != "a" || a.UserName != "" || a.ComputerName != "7" || !a.Reconnect || a.HasNetworkRTT || !a.Start.IsZero() {
		t.Errorf("a = %+v", a)
	}
	if a.FailureReason != "boom with "+client.Redacted {
		t.Errorf("failure reason not trimmed, folded and redacted: %q", a.FailureReason)
	}
	if !b.Reconnect || len(b.FailureReason) > MaxFailureReasonLen || !utf8.ValidString(b.UserName) || len(b.UserName) > client.MaxLabelLen {
		t.Errorf("b = %+v", b)
	}
	if c.Key != "c" || c.Reconnect || c.FailureReason != "" {
		t.Errorf("c (case-insensitive keys, blank reason) = %+v", c)
	}
	if e.Key != "e" {
		t.Errorf("repeated member: the last one wins, got %q", e.Key)
	}

	for _, bad := range []string{
		``, `null`, `[]`, `{"records":null}`, `{"records":{}}`, `{"records":"x"}`, `{"total_count":1}`,
		`{"records":[],"records":[]}`, `{"records":[{"transaction_id":"a"}`, `<html>502</html>`,
	} {
		if _, _, _, _, err := DecodeLoginRecordsPage([]byte(bad)); err == nil {
			t.Errorf("%q decoded without error", bad)
		}
	}
	// More than the limit asked for is an error, and is not read past it.
	var over bytes.Buffer
	over.WriteString(`{"records":[`)
	for i := range loginRecordsMaxLimit + 1 {
		if i > 0 {
			over.WriteByte(',')
		}
		fmt.Fprintf(&over, `{"transaction_id":"t%d"}`, i)
	}
	over.WriteString(`]}`)
	if _, _, _, _, err := DecodeLoginRecordsPage(over.Bytes()); err == nil {
		t.Error("an oversized page decoded")
	}
}

// time_counts: split on the last colon and trimmed; malformed entries are
// skipped and counted; no valid entry, or no list, is an error.
func TestDecodeLoginUsers(t *testing.T) {
	red := client.NewRedactor(testSK)
	for body, want := range map[string]LoginUsersBucket{
		`{"time_counts":["00:00 : 1","01:00 : 5"]}`:                 {Name: "01:00", Count: 5, Entries: 2},
		`{"time_counts":["2026-11-29 : 7","2026-11-30 : 12"]}`:      {Name: "2026-11-30", Count: 12, Entries: 2},
		`{"time_counts":["10:00:7"]}`:                               {Name: "10:00", Count: 7, Entries: 1},
		`{"time_counts":["  10:00   :   3  "]}`:                     {Name: "10:00", Count: 3, Entries: 1},
		`{"time_counts":["09:00 : 2", 7, null, "x", "10:00 : -1"]}`: {Name: "09:00", Count: 2, Malformed: 4, Entries: 5},
		`{"time_counts":["09:00 : 2", "10:00 : many", ": 4"]}`:      {Name: "09:00", Count: 2, Malformed: 2, Entries: 3},
		`{"Time_Counts":["09:00 : 2"],"other":{"time_counts":1}}`:   {Name: "09:00", Count: 2, Entries: 1},
		`{"time_counts":["` + testSK + ` : 2"]}`:                    {Name: client.Redacted, Count: 2, Entries: 1},
		`{"time_counts":["09:00 : 99999999999999999999"]}`:          {},
	} {
		got, err := DecodeLoginUsers([]byte(body), red)
		if want == (LoginUsersBucket{}) {
			if err == nil {
				t.Errorf("%s: no error", body)
			}
			continue
		}
		if err != nil || got != want {
			t.Errorf("%s: %+v %v, want %+v", body, got, err, want)
		}
	}
	for _, bad := range []string{
		``, `null`, `[]`, `"x"`, `{}`, `{"time_counts":null}`, `{"time_counts":{}}`, `{"time_counts":"00:00 : 1"}`,
		`{"time_counts":[]}`, `{"time_counts":[1,2]}`, `{"time_counts":["a"],"time_counts":["00:00 : 1"]}`,
		`{"time_counts":["00:00 : 1"]`, `{"time_counts":["00:00 : 1"]} trailing`,
	} {
		if _, err := DecodeLoginUsers([]byte(bad), red); err == nil {
			t.Errorf("%q decoded without error", bad)
		}
	}
	// A long name is bounded.
	got, err := DecodeLoginUsers([]byte(`{"time_counts":["`+strings.Repeat("h", 10000)+` : 1"]}`), red)
	if err != nil || len(got.Name) > 64 {
		t.Errorf("long bucket name: %d bytes, %v", len(got.Name), err)
	}
}

// loginsLog captures the client's log lines.
type loginsLog struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *loginsLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}
func (l *loginsLog) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

// ListLoginRecords asks for the window at minute precision in UTC (from
// rounded down, to rounded up), with the largest page, and walks it;
// LoginUsers asks DAY then WEEK and reads the last buckets.
func TestLoginsRequests(t *testing.T) {
	var mu sync.Mutex
	var queries []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		queries = append(queries, r.URL.Path+"?"+r.URL.RawQuery)
		mu.Unlock()
		q := r.URL.Query()
		switch r.URL.Path {
		case "/v2/" + testProject + "/connections/desktops":
			off, _ := strconv.Atoi(q.Get("offset"))
			lim, _ := strconv.Atoi(q.Get("limit"))
			var recs []string
			for i := off; i < min(off+lim, 2500); i++ {
				recs = append(recs, fmt.Sprintf(`{"transaction_id":"t%d","connection_start_time":"2026-01-01T10:00:00Z"}`, i))
			}
			fmt.Fprintf(w, `{"total_count":2500,"records":[%s]}`, strings.Join(recs, ","))
		case "/v2/" + testProject + "/connections/online-users":
			if q.Get("query_type") == "DAY" {
				fmt.Fprint(w, `{"time_counts":["00:00 : 1","01:00 : 4","bad"]}`)
			} else {
				fmt.Fprint(w, `{"time_counts":["2026-01-01 : 9"]}`)
			}
		default:
			w.WriteHeader(404)
		}
	}))
	defer srv.Close()
	logs := &loginsLog{}
	c, _, _ := newTestClient(t, srv.URL, func(c *Config) { c.Logger = slog.New(slog.NewTextHandler(logs, nil)) })
	loc := time.FixedZone("X", 5*3600)
	from := time.Date(2026, 1, 1, 15, 0, 30, 0, loc) // 10:00:30Z
	to := time.Date(2026, 1, 1, 17, 0, 0, 1, loc)    // 12:00:00.000000001Z
	recs, stats, err := c.ListLoginRecords(context.Background(), from, to)
	if err != nil || len(recs) != 2500 || stats.Requests != 3 || stats.Total != 2500 {
		t.Fatalf("%d records, %+v, %v", len(recs), stats, err)
	}
	mu.Lock()
	first := queries[0]
	queries = nil
	mu.Unlock()
	if want := "/v2/" + testProject + "/connections/desktops?end_time=2026-01-01T12%3A01Z&limit=1000&offset=0&start_time=2026-01-01T10%3A00Z"; first != want {
		t.Errorf("first request\n got %s\nwant %s", first, want)
	}
	if s, e := LoginQueryWindow(time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC), time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)); !s.Equal(time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)) || !e.Equal(time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)) {
		t.Errorf("whole minutes are kept: %v %v", s, e)
	}
	if _, _, err := c.ListLoginRecords(context.Background(), to, from); err == nil {
		t.Error("a reversed window was sent")
	}

	u, err := c.LoginUsers(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if u.Hour != 4 || !u.HasHour || u.HourBucket != "01:00" || u.Day != 9 || !u.HasDay || u.DayBucket != "2026-01-01" {
		t.Errorf("%+v", u)
	}
	mu.Lock()
	got := strings.Join(queries, " ")
	mu.Unlock()
	if want := "/v2/" + testProject + "/connections/online-users?query_type=DAY /v2/" + testProject + "/connections/online-users?query_type=WEEK"; got != want {
		t.Errorf("requests %s, want %s", got, want)
	}
	if l := logs.String(); !strings.Contains(l, "skipped=1") || !strings.Contains(l, "query_type=DAY") {
		t.Errorf("the malformed entry was not counted in the log: %s", l)
	}
}

// A failing or invalid §4.13.4 answer fails LoginUsers with an error
// naming the operation; an invalid one is not retried.
func TestLoginUsersFailures(t *testing.T) {
	for _, tc := range []struct {
		body     string
		attempts int32
	}{
		{`{"time_counts":null}`, 1},
		{`{"time_counts":["x"]}`, 1},
		{`{"time_counts":[` + strings.Repeat(`"00:00 : 1",`, maxLoginUsersBody/10) + `"00:00 : 1"]}`, 1}, // over the body cap
	} {
		srv, n := scripted(status(200, tc.body))
		c, _, _ := newTestClient(t, srv.URL, nil)
		_, err := c.LoginUsers(context.Background())
		var inv *client.InvalidResponseError
		if err == nil || !errors.As(err, &inv) || !strings.Contains(err.Error(), OpShowLoginUsers) {
			t.Errorf("%.60s: %v", tc.body, err)
		}
		if got := n.Load(); got != tc.attempts {
			t.Errorf("%.60s: %d attempts, want %d", tc.body, got, tc.attempts)
		}
		srv.Close()
	}
	srv, n := scripted(status(500, `{"error_code":"WKS.0001","error_msg":"x"}`))
	defer srv.Close()
	c, _, _ := newTestClient(t, srv.URL, nil)
	if _, err := c.LoginUsers(context.Background()); err == nil || n.Load() != 4 {
		t.Errorf("5xx: %v after %d attempts, want an error after 4", err, n.Load())
	}
}
