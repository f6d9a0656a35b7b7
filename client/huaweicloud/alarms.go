package huaweicloud

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/workspace-exporter/workspace_exporter/client"
	"github.com/workspace-exporter/workspace_exporter/client/huaweicloud/hwspec"
	"github.com/workspace-exporter/workspace_exporter/model"
)

// The alarms domain: the alarm records of §4.22.1 and the alarm counts of
// §4.22.2 (seed 003). It implements model.AlarmReader.

// Operation names of the alarms domain (see hwspec).
const (
	OpListAlarms          = hwspec.OpListAlarms
	OpShowAlarmStatistics = hwspec.OpShowAlarmStatistics
)

// Paging of §4.22.1 (003 L40809-40810, L40826-40827): the records in
// alarm_histories, the total in count, limit 100 by default and no
// documented maximum (the client asks for at most 100). The example shows
// "count": 0 beside one record (L40951): a placeholder the walk does not
// trust.
const (
	alarmsListKey  = "alarm_histories"
	alarmsTotalKey = "count"
	alarmsMaxLimit = 100
)

// alarmStatusActive is the documented status of a raised alarm (003
// L40837: ok, alarm, invalid).
const alarmStatusActive = "alarm"

// alarmSeverity is the documented name of a level (003 L40839: 1
// critical, 2 major, 3 minor, 4 warning); "" for any other.
func alarmSeverity(level int64, ok bool) string {
	if !ok || level < 1 || level > int64(len(hwspec.AlarmSeverities)) {
		return ""
	}
	return hwspec.AlarmSeverities[level-1]
}

// alarmTime reads begin_time, "Generation time (UTC)" typed String (003
// L40840) without a format: any time format the documentation shows
// (parseTime), or epoch milliseconds as a number. The example's integer
// 231025 (L40922) is none of them: zero. Times before 2000 or after 2200
// are not believed either.
func alarmTime(raw []byte) time.Time {
	if len(raw) == 0 {
		return time.Time{}
	}
	var t time.Time
	switch raw[0] {
	case '"':
		t = parseTime(rawString(raw))
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		if f, err := strconv.ParseFloat(string(raw), 64); err == nil && f > 1e11 && f < 1e14 && f == math.Trunc(f) {
			t = time.UnixMilli(int64(f)).UTC()
		}
	}
	if t.Year() < 2000 || t.Year() > 2200 {
		return time.Time{}
	}
	return t
}

// rawAlarm holds the raw values of the members of one AlarmHistoryItem
// the exporter reads (003 Table 4-2664, L40832-40845).
type rawAlarm struct {
	recordID, alarmID, name, status, typ, level, begin []byte
	resourceID, resourceName                           []byte
	// dimension is the value of the first dimension of metric.dimensions
	// with a non-empty value: the resource of a metric alarm, which has
	// no additional_info ("applies only to alarm records generated in
	// event monitoring scenarios", L40845).
	dimension []byte
}

// decodeAlarmJSON decodes one element of alarm_histories: ok is false
// when it is not an object. Members of unexpected types are empty.
func decodeAlarmJSON(s *client.JSONScanner) (r rawAlarm, ok bool) {
	if !s.EnterObject() {
		return r, false
	}
	var kb [32]byte
	for {
		key, ok := s.NextKey()
		if !ok {
			break
		}
		switch string(client.JSONFieldKey(kb[:0], key)) {
		case "record_id":
			r.recordID = s.Raw()
		case "alarm_id":
			r.alarmID = s.Raw()
		case "name":
			r.name = s.Raw()
		case "status":
			r.status = s.Raw()
		case "type":
			r.typ = s.Raw()
		case "level":
			r.level = s.Raw()
		case "begin_time":
			r.begin = s.Raw()
		case "additional_info":
			s.Members(func(k []byte) bool {
				switch string(k) {
				case "resource_id":
					r.resourceID = s.Raw()
				case "resource_name":
					r.resourceName = s.Raw()
				default:
					return false
				}
				return true
			})
		case "metric":
			r.readMetric(s)
		default:
			s.Skip()
		}
	}
	return r, true
}

// readMetric reads metric.dimensions[].value, keeping the first
// non-empty one.
func (r *rawAlarm) readMetric(s *client.JSONScanner) {
	if !s.EnterObject() {
		s.Skip()
		return
	}
	var kb [32]byte
	for {
		key, ok := s.NextKey()
		if !ok {
			return
		}
		if string(client.JSONFieldKey(kb[:0], key)) != "dimensions" || !s.EnterArray() {
			s.Skip()
			continue
		}
		for s.NextElement() {
			if !s.EnterObject() {
				s.Skip()
				continue
			}
			for {
				key, ok := s.NextKey()
				if !ok {
					break
				}
				if string(client.JSONFieldKey(kb[:0], key)) == "value" && r.dimension == nil {
					if v := s.Raw(); rawString(v) != "" {
						r.dimension = v
					}
				} else {
					s.Skip()
				}
			}
		}
	}
}

// alarm converts r, cleaning every string that can become a label value.
// The key is record_id; a record without a usable one is keyed by a
// digest of its identifying fields.
func (r *rawAlarm) alarm(red *client.Redactor) (model.Alarm, string) {
	level, hasLevel := rawInt(r.level)
	a := model.Alarm{
		AlarmID:      red.Label(rawString(r.alarmID)),
		Name:         red.Label(rawString(r.name)),
		Level:        level,
		Severity:     alarmSeverity(level, hasLevel),
		Status:       red.Label(rawString(r.status)),
		Type:         red.Label(rawString(r.typ)),
		ResourceID:   red.Label(rawString(r.resourceID)),
		ResourceName: red.Label(rawString(r.resourceName)),
		Begin:        alarmTime(r.begin),
	}
	a.Active = a.Status == alarmStatusActive
	if a.ResourceID == "" {
		a.ResourceID = red.Label(rawString(r.dimension))
	}
	key := rawString(r.recordID)
	if !client.ValidID(key) {
		key = ""
		if rawString(r.alarmID) != "" {
			h := sha256.New()
			for _, f := range [][]byte{r.alarmID, r.resourceID, r.dimension, r.level, r.status, r.begin, r.name} {
				v := rawString(f)
				fmt.Fprintf(h, "%d:%s", len(v), v)
			}
			key = "digest:" + hex.EncodeToString(h.Sum(nil)[:16])
		}
	}
	a.Key = key
	return a, key
}

// decodeAlarm decodes one element of the alarm_histories array. An
// element that is not an object, or has neither a record_id nor an
// alarm_id, is invalid.
func decodeAlarm(red *client.Redactor) client.RawItemDecoder[model.Alarm] {
	return func(s *client.JSONScanner) (model.Alarm, string, bool, error) {
		r, ok := decodeAlarmJSON(s)
		if !ok {
			return model.Alarm{}, "", false, nil
		}
		a, key := r.alarm(red)
		return a, key, true, nil
	}
}

// AlarmsPage is one decoded §4.22.1 page.
type AlarmsPage struct {
	Alarms []model.Alarm
	// Total is count, when TotalKnown.
	Total      int64
	TotalKnown bool
	// Invalid are elements skipped (not objects, or without an ID).
	Invalid int
}

// DecodeAlarmsPage decodes one §4.22.1 response body with the decoder
// ListAlarms uses (limit 100). It is exported for fixture tests and
// tools.
func DecodeAlarmsPage(body []byte) (AlarmsPage, error) {
	p, err := client.DecodePageRaw(bytes.NewReader(body), OpListAlarms, alarmsListKey, alarmsTotalKey, alarmsMaxLimit, decodeAlarm(&client.Redactor{}))
	if err != nil {
		return AlarmsPage{}, err
	}
	return AlarmsPage{Alarms: p.Items, Total: p.Total, TotalKnown: p.HasTotal, Invalid: p.Invalid}, nil
}

// alarmOffsetMode is what §4.22.1's offset turned out to mean.
type alarmOffsetMode int

const (
	alarmOffsetUnknown alarmOffsetMode = iota
	// alarmOffsetRecords: offset is the position of the first record.
	alarmOffsetRecords
	// alarmOffsetPages0: offset is a page number from 0.
	alarmOffsetPages0
	// alarmOffsetPages1: offset is a page number from 1 (no offset is
	// page 1, and so is offset 1).
	alarmOffsetPages1
)

func (m alarmOffsetMode) String() string {
	switch m {
	case alarmOffsetRecords:
		return "record offset"
	case alarmOffsetPages0:
		return "page number from 0"
	case alarmOffsetPages1:
		return "page number from 1"
	}
	return "unknown"
}

// alarmPage fetches one page: without an offset parameter when offset is
// negative (the first page, whatever offset means).
func (c *Client) alarmPage(ctx context.Context, offset, limit int) (client.Page[model.Alarm], error) {
	q := url.Values{"limit": {strconv.Itoa(limit)}}
	if offset >= 0 {
		q.Set("offset", strconv.Itoa(offset))
	}
	var p client.Page[model.Alarm]
	err := c.tr.Do(ctx, c.operation(OpListAlarms), q, func(body io.Reader) error {
		var err error
		p, err = client.DecodePageRaw(body, OpListAlarms, alarmsListKey, alarmsTotalKey, limit, decodeAlarm(c.tr.Redactor()))
		return err
	})
	if err != nil {
		if offset < 0 {
			return p, fmt.Errorf("%w (first page)", err)
		}
		return p, fmt.Errorf("%w (at offset %d)", err, offset)
	}
	p.Offset = offset
	return p, nil
}

// ListAlarms implements model.AlarmReader: it walks GET
// /v2/{project_id}/alarms (§4.22.1) and returns every alarm record, or
// an error: never a partial or inconsistent list.
//
// The documentation calls offset only "Page offset" (003 L40809): the
// position of the first record, or a page number (from 0 or from 1). The
// walk reads the first page without an offset, which is the first page
// whichever it means; a short first page is the whole list (the usual
// case: one request). After a full first page it asks for offset 1 and
// compares: the same records shifted by one mean record offsets, records
// none of which were on the first page mean page numbers from 0, and the
// same page again means page numbers from 1, which offset 2 then confirms
// (the same page a third time is an API that ignores offset: an error).
// It then reads on in that unit to a short page. A record seen twice, a
// page that fits no reading, or a trusted count that differs from the
// records read makes the walk inconsistent: it is walked once more, and
// a second inconsistency is the error.
func (c *Client) ListAlarms(ctx context.Context) ([]model.Alarm, model.ListStats, error) {
	stats := model.ListStats{Total: -1, PageSize: c.limit(OpListAlarms)}
	limit := stats.PageSize
	for {
		stats.Walks++
		items, mode, err := c.walkAlarms(ctx, &limit, &stats)
		var inc *client.InconsistentError
		if errors.As(err, &inc) && stats.Walks == 1 && ctx.Err() == nil {
			c.tr.Logger().Warn("list walk was inconsistent, walking it again", "operation", OpListAlarms, "problem", inc.Problem)
			continue
		}
		if err != nil {
			if stats.Walks > 1 && errors.As(err, &inc) {
				err = fmt.Errorf("%w (a second walk was inconsistent too; the alarms may be changing faster than they can be listed)", err)
			}
			return nil, stats, err
		}
		if stats.Invalid > 0 {
			if c.cfg.Observer != nil {
				c.cfg.Observer.ObserveInvalidItems(OpListAlarms, stats.Invalid)
			}
			c.tr.Logger().Warn("skipped list elements that are not objects or lack a record_id and alarm_id", "operation", OpListAlarms, "skipped", stats.Invalid)
		}
		if mode != alarmOffsetUnknown {
			c.tr.Logger().Debug("alarm list walked", "offset_means", mode.String(), "requests", stats.Requests, "alarms", len(items))
		}
		return items, stats, nil
	}
}

// alarmTrustedTotal reports whether a first page's count can be relied
// on (see client.WalkOffset: present, not negative, not a placeholder).
func alarmTrustedTotal(p *client.Page[model.Alarm]) bool {
	switch {
	case !p.HasTotal, p.Total < 0, p.Total >= math.MaxInt32:
		return false
	case p.Total == 0 && p.Elements > 0:
		return false
	}
	return true
}

// walkAlarms is one walk of ListAlarms.
func (c *Client) walkAlarms(ctx context.Context, limit *int, stats *model.ListStats) ([]model.Alarm, alarmOffsetMode, error) {
	stats.Invalid, stats.Total = 0, -1
	inconsistent := func(format string, args ...any) error {
		return &client.InconsistentError{Operation: OpListAlarms, Problem: fmt.Sprintf(format, args...)}
	}
	var first client.Page[model.Alarm]
	for {
		var err error
		first, err = c.alarmPage(ctx, -1, *limit)
		stats.Requests++
		var ae *client.APIError
		if err != nil && errors.As(err, &ae) && ae.PageSizeRejected && *limit > 1 {
			c.tr.Logger().Warn("the API refused the page size, halving it", "operation", OpListAlarms, "limit", *limit)
			*limit /= 2
			continue
		}
		if err != nil {
			return nil, alarmOffsetUnknown, err
		}
		break
	}
	stats.PageSize = *limit
	n := *limit
	maxPages := c.cfg.MaxPages
	trusted := alarmTrustedTotal(&first)
	if trusted {
		stats.Total = first.Total
		if first.Total > int64(n)*int64(maxPages) {
			return nil, alarmOffsetUnknown, fmt.Errorf("%s: the API announces %d alarm records, more than max_pages (%d) pages of %d", OpListAlarms, first.Total, maxPages, n)
		}
	}
	seen := make(map[string]bool, len(first.IDs))
	items := append([]model.Alarm(nil), first.Items...)
	// elements counts the list positions read, invalid ones included.
	elements := first.Elements
	for _, id := range first.IDs {
		if seen[id] {
			return nil, alarmOffsetUnknown, inconsistent("record %s appears twice on the first page", c.tr.Redactor().Message(id))
		}
		seen[id] = true
	}
	// add appends the records of p, none of which may have been seen.
	add := func(p *client.Page[model.Alarm]) error {
		for j, id := range p.IDs {
			if seen[id] {
				return inconsistent("record %s appears again at offset %d", c.tr.Redactor().Message(id), p.Offset)
			}
			seen[id] = true
			items = append(items, p.Items[j])
		}
		elements += p.Elements
		return nil
	}
	mode := alarmOffsetUnknown
	prev := first
	if first.Elements == n {
		probe, err := c.alarmPage(ctx, 1, n)
		stats.Requests++
		if err != nil {
			return nil, mode, err
		}
		overlap := 0
		for _, id := range probe.IDs {
			if seen[id] {
				overlap++
			}
		}
		switch {
		case probe.Elements == 0:
			// A full first page and nothing at offset 1: page numbers
			// from 0 and exactly one page (record offsets would still
			// show the first page's records after the first, when
			// n > 1; for n = 1 both readings agree).
			mode = alarmOffsetPages0
			prev = probe
		case overlap > 0 && sameIDs(probe.IDs, first.IDs):
			third, err := c.alarmPage(ctx, 2, n)
			stats.Requests++
			if err != nil {
				return nil, mode, err
			}
			if len(third.IDs) > 0 && sameIDs(third.IDs, first.IDs) {
				return nil, mode, fmt.Errorf("%s: the API answered offsets 1 and 2 with the same records as the first page: it ignores offset, so the list cannot be walked", OpListAlarms)
			}
			mode = alarmOffsetPages1
			if err := add(&third); err != nil {
				return nil, mode, err
			}
			prev = third
		case overlap > 0:
			// Record offsets: offset 1 holds the records of the first
			// page but its first one, then the record after the first
			// page, if any.
			mode = alarmOffsetRecords
			newElements := max(0, probe.Elements-(n-1))
			fresh := 0
			for _, id := range probe.IDs {
				if !seen[id] {
					fresh++
				}
			}
			if fresh > newElements || overlap+fresh < len(first.IDs)-1 || first.Invalid == 0 && len(first.IDs) > 0 && slices.Contains(probe.IDs, first.IDs[0]) {
				return nil, mode, inconsistent("offset 1 is neither the first page shifted by one record nor another page (%d of its records were on the first page, %d were not)", overlap, fresh)
			}
			for j, id := range probe.IDs {
				if !seen[id] {
					seen[id] = true
					items = append(items, probe.Items[j])
				}
			}
			elements += newElements
			prev = probe // at offset 1: the next records start at 1+n
		default:
			if n > 1 {
				mode = alarmOffsetPages0
			} else {
				mode = alarmOffsetRecords // n = 1: both readings agree
			}
			if err := add(&probe); err != nil {
				return nil, mode, err
			}
			prev = probe
		}
		for pages := 2; prev.Elements == n; pages++ {
			if pages >= maxPages {
				return nil, mode, fmt.Errorf("%s: more than max_pages (%d) full pages of %d without an end", OpListAlarms, maxPages, n)
			}
			next := prev.Offset + 1
			if mode == alarmOffsetRecords {
				next = prev.Offset + n
			}
			p, err := c.alarmPage(ctx, next, n)
			stats.Requests++
			if err != nil {
				return nil, mode, err
			}
			if len(p.IDs) > 0 && sameIDs(p.IDs, prev.IDs) {
				return nil, mode, fmt.Errorf("%s: the API answered offset %d with the same records as offset %d: it ignores offset, so the list cannot be walked", OpListAlarms, next, prev.Offset)
			}
			if err := add(&p); err != nil {
				return nil, mode, err
			}
			prev = p
		}
	}
	stats.Invalid = elements - len(items)
	if trusted && int64(elements) != first.Total {
		return nil, mode, inconsistent("count is %d, but %d records were read", first.Total, elements)
	}
	return items, mode, nil
}

func sameIDs(a, b []string) bool { return slices.Equal(a, b) }

// maxAlarmStatisticsBody bounds a §4.22.2 answer: five counters.
const maxAlarmStatisticsBody = 64 << 10

// alarmStatisticsFields are the counters of §4.22.2 (003 Table 4-2675,
// L41000-41003) and the severities they count: info_count is "Total
// number of warning alarm records" (L41003).
var alarmStatisticsFields = []struct{ key, severity string }{
	{"critical_count", "critical"},
	{"major_count", "major"},
	{"minor_count", "minor"},
	{"info_count", "warning"},
}

// DecodeAlarmStatistics decodes one §4.22.2 response body: the four
// severity counters and total (003 L41000-41004). A counter that is
// absent or not a count is absent; a negative one is an invalid
// response, and so is a body without any of the five.
func DecodeAlarmStatistics(body []byte) (model.AlarmStatistics, error) {
	return decodeAlarmStatisticsReader(bytes.NewReader(body), &client.Redactor{})
}

func decodeAlarmStatisticsReader(body io.Reader, red *client.Redactor) (model.AlarmStatistics, error) {
	op := OpShowAlarmStatistics
	b, err := io.ReadAll(io.LimitReader(body, maxAlarmStatisticsBody+1))
	if err != nil {
		return model.AlarmStatistics{}, err
	}
	if len(b) > maxAlarmStatisticsBody {
		return model.AlarmStatistics{}, &client.InvalidResponseError{Operation: op, Problem: fmt.Sprintf("the body is over %d bytes, larger than any alarm statistics answer", maxAlarmStatisticsBody)}
	}
	if b, err = readObjectBody(op, "statistics answer", bytes.NewReader(b)); err != nil {
		return model.AlarmStatistics{}, err
	}
	raw := map[string][]byte{}
	var s client.JSONScanner
	s.Reset(b)
	s.EnterObject()
	var kb [32]byte
	for {
		key, ok := s.NextKey()
		if !ok {
			break
		}
		k := string(client.JSONFieldKey(kb[:0], key))
		switch k {
		case "critical_count", "major_count", "minor_count", "info_count", "total":
			raw[k] = s.Raw() // of a repeated member the last wins
		default:
			s.Skip()
		}
	}
	st := model.AlarmStatistics{BySeverity: map[string]int64{}}
	read := func(k string) (int64, bool, error) {
		v, ok := usageCount(raw[k])
		if ok && v < 0 {
			return 0, false, &client.InvalidResponseError{Operation: op, Problem: fmt.Sprintf("%s is %d, a negative count", red.Bounded(k, 32), v)}
		}
		return v, ok, nil
	}
	for _, f := range alarmStatisticsFields {
		v, ok, err := read(f.key)
		if err != nil {
			return model.AlarmStatistics{}, err
		}
		if ok {
			st.BySeverity[f.severity] = v
		}
	}
	v, ok, err := read("total")
	if err != nil {
		return model.AlarmStatistics{}, err
	}
	st.Total, st.HasTotal = v, ok
	if !ok && len(st.BySeverity) == 0 {
		return model.AlarmStatistics{}, &client.InvalidResponseError{Operation: op, Problem: "none of critical_count, major_count, minor_count, info_count and total is a count"}
	}
	return st, nil
}

// AlarmStatistics implements model.AlarmReader: GET
// /v2/{project_id}/statistics/alarms (§4.22.2).
func (c *Client) AlarmStatistics(ctx context.Context) (model.AlarmStatistics, error) {
	var st model.AlarmStatistics
	err := c.tr.Do(ctx, c.operation(OpShowAlarmStatistics), nil, func(r io.Reader) error {
		var err error
		st, err = decodeAlarmStatisticsReader(r, c.tr.Redactor())
		return err
	})
	if err != nil {
		return model.AlarmStatistics{}, err
	}
	return st, nil
}

var _ model.AlarmReader = (*Client)(nil)
