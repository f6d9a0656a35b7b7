package huaweicloud

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/workspace-exporter/workspace_exporter/client"
	"github.com/workspace-exporter/workspace_exporter/client/huaweicloud/hwspec"
	"github.com/workspace-exporter/workspace_exporter/model"
)

// Operation names of the login domain (API reference §4.13.1, §4.13.4).
const (
	// OpListLoginRecords is GET /v2/{project_id}/connections/desktops.
	OpListLoginRecords = hwspec.OpListLoginRecords
	// OpShowLoginUsers is GET /v2/{project_id}/connections/online-users.
	OpShowLoginUsers = hwspec.OpShowLoginUsers
)

// Paging of §4.13.1 (003 L21737-21748): offset from 0, limit 0..1000
// (default 20), the records in records, the total in total_count.
const (
	loginRecordsListKey  = "records"
	loginRecordsTotalKey = "total_count"
	loginRecordsMaxLimit = 1000
)

// QueryTimeLayout is the format of §4.13.1's and §4.13.4's start_time and
// end_time (003 L21737-21738: "2016-08-20T21:11Z"): UTC, minutes.
const QueryTimeLayout = "2006-01-02T15:04Z"

// Bounds of the values read from a login record.
const (
	// MaxFailureReasonLen bounds a record's FailureReason (bytes).
	MaxFailureReasonLen = 128
	// maxRTT: a latency above it is absurd and treated as absent.
	maxRTT = time.Hour
	// maxLoginUsersBody bounds a §4.13.4 answer: a month of daily
	// buckets is about 31 short strings.
	maxLoginUsersBody = 1 << 20
	// keyDigestLen is the number of bytes of SHA-256 a digest key keeps.
	keyDigestLen = 16
)

// LoginRecord is one §4.13.1 Record in the provider-neutral model.
//
// Key is transaction_id (003 L21810) when it is a usable identifier.
// Otherwise it is "sha256:" and 32 hex digits of a digest of sid,
// computer_name, user_name, connection_start_time, terminal_mac and
// terminal_ip as sent: the seed's only example (003 L21865-21895) has no
// transaction_id, and those fields identify one login and do not change
// while its record is updated (setup, end and latencies are filled in
// later, so they are left out). A transaction_id that is not a usable
// identifier (over 128 bytes, control characters) is digested too. A
// record without transaction_id and without any of sid, computer_name,
// user_name and connection_start_time cannot be told apart from others:
// it is skipped and counted as invalid.
//
// Times are parsed in every documented format (API digest §0.8; RFC 3339
// with or without a fraction, also without a zone, which is UTC); an
// unparsable time is left zero. network_rtt and e2e_rtt are integer
// milliseconds; negative values and values over an hour are absent.
// FailureReason is connection_failure_reason trimmed, redacted, with
// white space folded and at most MaxFailureReasonLen bytes; UserName and
// ComputerName are redacted and bounded as label values.
type LoginRecord = model.LoginRecord

// rawLoginRecord holds the raw JSON values of one Record's members that
// the exporter reads. Of a repeated member the last wins.
type rawLoginRecord struct {
	transactionID, sid, computerName, userName []byte
	terminalMAC, terminalIP                    []byte
	start, setup, end                          []byte
	reconnect, failureReason                   []byte
	networkRTT, e2eRTT                         []byte
}

// decodeLoginRecordJSON decodes one element of the records array: ok is
// false when it is not an object or cannot be identified.
func decodeLoginRecordJSON(s *client.JSONScanner, red *client.Redactor) (LoginRecord, bool) {
	if s.Kind() != client.JSONObject {
		s.Skip()
		return LoginRecord{}, false
	}
	var r rawLoginRecord
	var kb [64]byte
	s.EnterObject()
	for {
		key, ok := s.NextKey()
		if !ok {
			break
		}
		switch string(client.JSONFieldKey(kb[:0], key)) {
		case "transaction_id":
			r.transactionID = s.Raw()
		case "sid":
			r.sid = s.Raw()
		case "computer_name":
			r.computerName = s.Raw()
		case "user_name":
			r.userName = s.Raw()
		case "terminal_mac":
			r.terminalMAC = s.Raw()
		case "terminal_ip":
			r.terminalIP = s.Raw()
		case "connection_start_time":
			r.start = s.Raw()
		case "connection_setup_time":
			r.setup = s.Raw()
		case "connection_end_time":
			r.end = s.Raw()
		case "is_reconnect":
			r.reconnect = s.Raw()
		case "connection_failure_reason":
			r.failureReason = s.Raw()
		case "network_rtt":
			r.networkRTT = s.Raw()
		case "e2e_rtt":
			r.e2eRTT = s.Raw()
		default:
			s.Skip()
		}
	}
	return r.record(red)
}

// record converts r; ok is false when r has nothing to identify it by.
func (r *rawLoginRecord) record(red *client.Redactor) (LoginRecord, bool) {
	sid, name, user, start := rawString(r.sid), rawString(r.computerName), rawString(r.userName), rawString(r.start)
	rec := LoginRecord{
		UserName:      red.Label(user),
		ComputerName:  red.Label(name),
		Start:         parseTime(start),
		Setup:         parseTime(rawString(r.setup)),
		End:           parseTime(rawString(r.end)),
		Reconnect:     rawBool(r.reconnect),
		FailureReason: red.Bounded(strings.TrimSpace(rawString(r.failureReason)), MaxFailureReasonLen),
	}
	rec.NetworkRTT, rec.HasNetworkRTT = rawRTT(r.networkRTT)
	rec.E2ERTT, rec.HasE2ERTT = rawRTT(r.e2eRTT)
	tid := strings.TrimSpace(rawString(r.transactionID))
	switch {
	case tid != "" && client.ValidID(tid):
		rec.Key = tid
	case tid != "":
		rec.Key = digestKey(tid)
	case sid == "" && name == "" && user == "" && start == "":
		return LoginRecord{}, false
	default:
		rec.Key = digestKey(sid, name, user, start, rawString(r.terminalMAC), rawString(r.terminalIP))
	}
	return rec, true
}

// digestKey is "sha256:" and the hex of the first keyDigestLen bytes of
// the SHA-256 of the length-prefixed fields (so that no two different
// lists of fields share an input).
func digestKey(fields ...string) string {
	h := sha256.New()
	var n [binary.MaxVarintLen64]byte
	for _, f := range fields {
		h.Write(n[:binary.PutUvarint(n[:], uint64(len(f)))])
		h.Write([]byte(f))
	}
	sum := h.Sum(nil)
	return "sha256:" + hex.EncodeToString(sum[:keyDigestLen])
}

// rawRTT reads a latency in integer milliseconds (a numeric string too);
// negative, absurd (over maxRTT) and unreadable values are absent.
func rawRTT(raw []byte) (time.Duration, bool) {
	ms, ok := rawInt(raw)
	if !ok || ms < 0 || ms > maxRTT.Milliseconds() {
		return 0, false
	}
	return time.Duration(ms) * time.Millisecond, true
}

// decodeLoginRecord decodes one element of the records array.
func decodeLoginRecord(red *client.Redactor) client.RawItemDecoder[LoginRecord] {
	return func(s *client.JSONScanner) (LoginRecord, string, bool, error) {
		rec, ok := decodeLoginRecordJSON(s, red)
		return rec, rec.Key, ok, nil
	}
}

// DecodeLoginRecordsPage decodes one §4.13.1 response body with the
// decoder ListLoginRecords uses for every page (limit 1000). It is
// exported for fixture tests and tools. Elements that are not records are
// skipped and counted in invalid.
func DecodeLoginRecordsPage(body []byte) (records []LoginRecord, total int64, totalKnown bool, invalid int, err error) {
	p, err := client.DecodePageRaw(bytes.NewReader(body), OpListLoginRecords, loginRecordsListKey, loginRecordsTotalKey, loginRecordsMaxLimit, decodeLoginRecord(&client.Redactor{}))
	if err != nil {
		return nil, 0, false, 0, err
	}
	return p.Items, p.Total, p.HasTotal, p.Invalid, nil
}

// LoginQueryWindow is the window ListLoginRecords asks §4.13.1 for, at
// the API's minute precision (UTC): from rounded down, to rounded up to
// the minute, so that the window asked for covers [from, to].
func LoginQueryWindow(from, to time.Time) (start, end time.Time) {
	start = from.UTC().Truncate(time.Minute)
	end = to.UTC().Truncate(time.Minute)
	if end.Before(to) {
		end = end.Add(time.Minute)
	}
	return start, end
}

// ListLoginRecords implements model.LoginReader: it walks GET
// /v2/{project_id}/connections/desktops with start_time and end_time set
// to LoginQueryWindow(from, to), with the largest page (1000, or the
// configured page size), and returns every record, or an error: never a
// partial or inconsistent list (see client.WalkOffset). The API selects
// records by their start time (003 L21737); records it returns outside
// the window are returned too.
func (c *Client) ListLoginRecords(ctx context.Context, from, to time.Time) ([]LoginRecord, model.ListStats, error) {
	if to.Before(from) {
		return nil, model.ListStats{Total: -1}, fmt.Errorf("%s: the window ends (%s) before it starts (%s)", OpListLoginRecords, to.UTC().Format(time.RFC3339), from.UTC().Format(time.RFC3339))
	}
	start, end := LoginQueryWindow(from, to)
	q := url.Values{}
	q.Set("start_time", start.Format(QueryTimeLayout))
	q.Set("end_time", end.Format(QueryTimeLayout))
	return client.WalkOffsetRaw(ctx, c.tr, client.OffsetList{
		Op:          c.operation(OpListLoginRecords),
		Query:       q,
		ListKey:     loginRecordsListKey,
		TotalKey:    loginRecordsTotalKey,
		Limit:       c.limit(OpListLoginRecords),
		MaxPages:    c.cfg.MaxPages,
		Concurrency: c.cfg.Concurrency,
	}, decodeLoginRecord(c.tr.Redactor()))
}

// LoginUsersBucket is the last valid bucket of one §4.13.4 answer.
type LoginUsersBucket struct {
	// Name is the bucket's time as the API names it ("10:00"), redacted
	// and bounded, for logs.
	Name  string
	Count int64
	// Malformed counts the entries skipped: not strings, or not "time :
	// count" with a non-negative integer count.
	Malformed int
	// Entries counts every entry of the list.
	Entries int
}

// DecodeLoginUsers reads one §4.13.4 body: the object's time_counts list
// of "query time : count" strings (003 L22238), split on the LAST colon
// (the time itself holds one) and trimmed. It returns the last valid
// entry. It fails when the body is not an object, time_counts is missing,
// null, repeated or not a list, or no entry is valid.
func DecodeLoginUsers(body []byte, red *client.Redactor) (LoginUsersBucket, error) {
	var b LoginUsersBucket
	invalid := func(format string, args ...any) error {
		return &client.InvalidResponseError{Operation: OpShowLoginUsers, Problem: fmt.Sprintf(format, args...)}
	}
	var raw json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		// Broken JSON: a proxy or a cut connection, retried.
		return b, fmt.Errorf("%s: the body is not valid JSON: %s", OpShowLoginUsers, red.Message(err.Error()))
	}
	var s client.JSONScanner
	s.Reset(body)
	if !s.EnterObject() {
		return b, invalid("the body is not a JSON object")
	}
	var list []byte
	var kb [32]byte
	for {
		key, ok := s.NextKey()
		if !ok {
			break
		}
		if string(client.JSONFieldKey(kb[:0], key)) != "time_counts" {
			s.Skip()
			continue
		}
		if list != nil {
			return b, invalid(`"time_counts" appears twice`)
		}
		if s.Kind() != client.JSONArray {
			return b, invalid(`"time_counts" is %s, not a list`, kindName(s.Kind()))
		}
		list = s.Raw()
	}
	if list == nil {
		return b, invalid(`the "time_counts" list is missing`)
	}
	s.Reset(list)
	s.EnterArray()
	found := false
	for s.NextElement() {
		b.Entries++
		if s.Kind() != client.JSONString {
			s.Skip()
			b.Malformed++
			continue
		}
		raw := s.Raw()
		name, n, ok := parseTimeCount(client.JSONStringValue(raw[1 : len(raw)-1]))
		if !ok {
			b.Malformed++
			continue
		}
		b.Name, b.Count, found = name, n, true
	}
	if !found {
		return b, invalid("none of the %d time_counts entries is \"time : count\"", b.Entries)
	}
	b.Name = red.Bounded(b.Name, 64)
	return b, nil
}

// parseTimeCount splits "10:00 : 3" on its last colon.
func parseTimeCount(e string) (name string, n int64, ok bool) {
	i := strings.LastIndexByte(e, ':')
	if i < 0 {
		return "", 0, false
	}
	name, count := strings.TrimSpace(e[:i]), strings.TrimSpace(e[i+1:])
	n, err := strconv.ParseInt(count, 10, 64)
	if name == "" || err != nil || n < 0 {
		return "", 0, false
	}
	return name, n, true
}

// showLoginUsers calls §4.13.4 with query_type.
func (c *Client) showLoginUsers(ctx context.Context, queryType string) (LoginUsersBucket, error) {
	var b LoginUsersBucket
	q := url.Values{}
	q.Set("query_type", queryType)
	red := c.tr.Redactor()
	err := c.tr.Do(ctx, c.operation(OpShowLoginUsers), q, func(body io.Reader) error {
		data, err := io.ReadAll(io.LimitReader(body, maxLoginUsersBody+1))
		if err != nil {
			return err
		}
		if len(data) > maxLoginUsersBody {
			return &client.InvalidResponseError{Operation: OpShowLoginUsers, Problem: fmt.Sprintf("the body is over %d bytes", maxLoginUsersBody)}
		}
		b, err = DecodeLoginUsers(data, red)
		return err
	})
	if err != nil {
		return LoginUsersBucket{}, fmt.Errorf("%w (query_type=%s)", err, queryType)
	}
	if b.Malformed > 0 {
		c.tr.Logger().Warn("skipped time_counts entries that are not \"time : count\"", "operation", OpShowLoginUsers,
			"query_type", queryType, "skipped", b.Malformed, "entries", b.Entries)
	}
	return b, nil
}

// LoginUsers implements model.LoginReader with two §4.13.4 calls:
// query_type=DAY answers hourly buckets of today, the last one the
// current hour; query_type=WEEK daily buckets, the last one today.
// Malformed entries are skipped (and logged with their number); an answer
// without any valid entry is an error.
func (c *Client) LoginUsers(ctx context.Context) (model.LoginUsers, error) {
	hour, err := c.showLoginUsers(ctx, "DAY")
	if err != nil {
		return model.LoginUsers{}, err
	}
	day, err := c.showLoginUsers(ctx, "WEEK")
	if err != nil {
		return model.LoginUsers{}, err
	}
	return model.LoginUsers{
		Hour: hour.Count, HasHour: true, HourBucket: hour.Name,
		Day: day.Count, HasDay: true, DayBucket: day.Name,
	}, nil
}
