package huaweicloud

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/workspace-exporter/workspace_exporter/client"
	"github.com/workspace-exporter/workspace_exporter/client/huaweicloud/hwspec"
	"github.com/workspace-exporter/workspace_exporter/model"
)

// The usage domain: the daily usage reports of §4.21.9 (per desktop) and
// §4.21.10 (per user), and the current desktop counts of §4.21.13 and
// §4.21.14. It implements model.UsageReader.

// Operation names of the usage domain (see hwspec).
const (
	OpListDesktopUsage       = hwspec.OpListDesktopUsage
	OpListUserUsage          = hwspec.OpListUserUsage
	OpShowDesktopStatistics  = hwspec.OpShowDesktopStatistics
	OpShowRunStateStatistics = hwspec.OpShowRunStateStatistics
)

// Paging of §4.21.9 and §4.21.10 (003 L39813-39814, L39935-39936): offset
// from 0, limit 1..100 (default 10), the total in count and the items in
// items. Both examples show "count" : 0 beside one item (003 L39877,
// L39999): a placeholder the walk does not trust (it reads on to a short
// page instead).
const (
	usageListKey  = "items"
	usageTotalKey = "count"
	usageMaxLimit = 100
)

// The documented metric names (003 §4.21.9 Table 4-2600, L39839;
// §4.21.10 Table 4-2609, L39959). The examples' "desktop_state"
// (L39883, L40003) is a placeholder: any other name is skipped.
const (
	metricDesktopUsage        = "desktop_usage"         // seconds
	metricDesktopIdleDuration = "desktop_idle_duration" // seconds
	metricUserUsage           = "user_usage"            // seconds
	metricUserLoginCount      = "user_login_count"
	metricUserLoginSuccess    = "user_login_success_count"
	metricUserLoginFail       = "user_login_fail_count"
)

// UsageTimeFormat is how start_time and end_time are sent. The seed says
// only "(GMT)" (003 L39802-39803, L39926-39927); its neighbour §4.21.11
// documents "2022-05-11T11:45:42Z" (L40044-40045), so RFC 3339 in UTC, whole
// seconds, with a Z.
const UsageTimeFormat = "2006-01-02T15:04:05Z"

// usageReadyAfter is how long after midnight UTC the previous day's report
// is read: the service aggregates it "at 02:00 every day" (003 L39776),
// plus half an hour of margin.
const usageReadyAfter = 2*time.Hour + 30*time.Minute

// UsagePeriod implements model.UsageReader: the latest complete UTC day
// whose report exists as of now. The service computes a day's usage
// (00:00:00-23:59:59) at 02:00 the next day (003 L39776), so from 02:30
// UTC on day D the period is [D-1 00:00, D 00:00); before that it is
// [D-2 00:00, D-1 00:00). The whole period is asked for, end to end
// (end_time is the next midnight): a range shorter than one period "may
// be empty" (L39802).
func (c *Client) UsagePeriod(now time.Time) model.UsagePeriod {
	return UsagePeriodAt(now)
}

// UsagePeriodAt is UsagePeriod without a client (for tests and tools).
func UsagePeriodAt(now time.Time) model.UsagePeriod {
	now = now.UTC()
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	if now.Sub(day) < usageReadyAfter {
		day = day.AddDate(0, 0, -1)
	}
	return model.UsagePeriod{Start: day.AddDate(0, 0, -1), End: day}
}

// usageListQuery is the query of a usage list for period p.
func usageListQuery(p model.UsagePeriod) url.Values {
	return url.Values{
		"start_time": {p.Start.UTC().Format(UsageTimeFormat)},
		"end_time":   {p.End.UTC().Format(UsageTimeFormat)},
	}
}

// usageMetricReport counts what a usage item's metric list held besides the
// documented metrics.
type usageMetricReport struct {
	// skipped are metric entries that are not objects or carry an
	// undocumented name; bad are documented ones whose value is not a
	// finite number ≥ 0 (treated as absent).
	skipped, bad int32
	// example is one skipped name, for the log.
	example string
}

func (r *usageMetricReport) add(o usageMetricReport) {
	r.skipped += o.skipped
	r.bad += o.bad
	if r.example == "" {
		r.example = o.example
	}
}

// readUsageMetrics reads a Metric list (metric_name, metric_value), calling set
// for each entry with a documented name (known reports it) and a valid
// value. A list of another type, null included, holds no metrics. Of a
// metric repeated with valid values the last wins.
func readUsageMetrics(s *client.JSONScanner, red *client.Redactor, known func(string) bool, set func(name string, v float64)) usageMetricReport {
	var rep usageMetricReport
	if !s.EnterArray() {
		s.Skip()
		return rep
	}
	var kb [32]byte
	for s.NextElement() {
		if !s.EnterObject() {
			s.Skip()
			rep.skipped++
			continue
		}
		var name, value []byte
		for {
			key, ok := s.NextKey()
			if !ok {
				break
			}
			switch string(client.JSONFieldKey(kb[:0], key)) {
			case "metric_name":
				name = s.Raw()
			case "metric_value":
				value = s.Raw()
			default:
				s.Skip()
			}
		}
		n := ""
		if len(name) >= 2 && name[0] == '"' {
			n = client.JSONStringValue(name[1 : len(name)-1])
		}
		if !known(n) {
			rep.skipped++
			if rep.example == "" {
				rep.example = red.Bounded(n, 64)
			}
			continue
		}
		v, ok := usageMetricValue(value)
		if !ok {
			rep.bad++
			continue
		}
		set(n, v)
	}
	return rep
}

// usageMetricValue reads a metric_value: a JSON number or a numeric string,
// finite and not negative. Anything else (null, absent, a negative or
// non-finite number, another type) is absent.
func usageMetricValue(raw []byte) (float64, bool) {
	if len(raw) == 0 {
		return 0, false
	}
	var s string
	switch raw[0] {
	case '"':
		s = strings.TrimSpace(client.JSONStringValue(raw[1 : len(raw)-1]))
		if len(s) > 64 || strings.ContainsAny(s, "xXpP_") {
			return 0, false // not a decimal number
		}
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		s = string(raw)
	default:
		return 0, false
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
		return 0, false
	}
	return v + 0, true // -0 is 0
}

// desktopUsageItem is a decoded DesktopMetric and what its metric list
// held besides the documented metrics.
type desktopUsageItem struct {
	model.DesktopUsage
	rep usageMetricReport
}

func knownDesktopMetric(n string) bool {
	return n == metricDesktopUsage || n == metricDesktopIdleDuration
}

// decodeDesktopMetric decodes one DesktopMetric of §4.21.9 (003 Table
// 4-2600, L39833-39839): resource_id (the item's ID), resource_pool_id,
// resource_name and the metric list. An element that is not an object is
// invalid; members of unexpected types are empty.
func decodeDesktopMetric(red *client.Redactor) client.RawItemDecoder[desktopUsageItem] {
	return func(s *client.JSONScanner) (desktopUsageItem, string, bool, error) {
		var it desktopUsageItem
		if !s.EnterObject() {
			return it, "", false, nil
		}
		var id, pool, name []byte
		var kb [32]byte
		for {
			key, ok := s.NextKey()
			if !ok {
				break
			}
			switch string(client.JSONFieldKey(kb[:0], key)) {
			case "resource_id":
				id = s.Raw()
			case "resource_pool_id":
				pool = s.Raw()
			case "resource_name":
				name = s.Raw()
			case "metric":
				it.rep.add(readUsageMetrics(s, red, knownDesktopMetric, func(n string, v float64) {
					if n == metricDesktopUsage {
						it.UsedSeconds, it.HasUsed = v, true
					} else {
						it.IdleSeconds, it.HasIdle = v, true
					}
				}))
			default:
				s.Skip()
			}
		}
		rawID := rawString(id)
		it.DesktopID = rawID
		it.PoolID = red.Label(rawString(pool))
		it.DesktopName = red.Label(rawString(name))
		return it, rawID, true, nil
	}
}

// userUsageItem is a decoded UserMetric and what its metric list held
// besides the documented metrics.
type userUsageItem struct {
	model.UserUsage
	rep usageMetricReport
}

func knownUserMetric(n string) bool {
	switch n {
	case metricUserUsage, metricUserLoginCount, metricUserLoginSuccess, metricUserLoginFail:
		return true
	}
	return false
}

// decodeUserMetric decodes one UserMetric of §4.21.10 (003 Table 4-2609,
// L39955-39959): username (the item's ID; the exported name is redacted
// and bounded) and the metric list.
func decodeUserMetric(red *client.Redactor) client.RawItemDecoder[userUsageItem] {
	return func(s *client.JSONScanner) (userUsageItem, string, bool, error) {
		var it userUsageItem
		if !s.EnterObject() {
			return it, "", false, nil
		}
		var name []byte
		var kb [32]byte
		for {
			key, ok := s.NextKey()
			if !ok {
				break
			}
			switch string(client.JSONFieldKey(kb[:0], key)) {
			case "username":
				name = s.Raw()
			case "metric":
				it.rep.add(readUsageMetrics(s, red, knownUserMetric, func(n string, v float64) {
					switch n {
					case metricUserUsage:
						it.UsedSeconds, it.HasUsed = v, true
					case metricUserLoginCount:
						it.Logins, it.HasLogins = v, true
					case metricUserLoginSuccess:
						it.LoginSuccesses, it.HasSuccesses = v, true
					case metricUserLoginFail:
						it.LoginFailures, it.HasFailures = v, true
					}
				}))
			default:
				s.Skip()
			}
		}
		raw := rawString(name)
		it.UserName = red.Label(raw)
		return it, raw, true, nil
	}
}

// UsagePage is one decoded page of §4.21.9 or §4.21.10.
type UsagePage[T any] struct {
	Items []T
	// Total is count, when TotalKnown.
	Total      int64
	TotalKnown bool
	// Invalid are elements skipped (not objects, or without a valid ID).
	Invalid int
	// SkippedMetrics are metric entries with an undocumented name (or
	// that are not objects); BadValues documented ones whose value is
	// not a finite number ≥ 0.
	SkippedMetrics, BadValues int
}

// DecodeDesktopUsagePage decodes one §4.21.9 response body with the
// decoder DesktopUsage uses (limit 100). It is exported for fixture tests
// and tools.
func DecodeDesktopUsagePage(body []byte) (UsagePage[model.DesktopUsage], error) {
	p, err := client.DecodePageRaw(bytes.NewReader(body), OpListDesktopUsage, usageListKey, usageTotalKey, usageMaxLimit, decodeDesktopMetric(&client.Redactor{}))
	if err != nil {
		return UsagePage[model.DesktopUsage]{}, err
	}
	out := UsagePage[model.DesktopUsage]{Total: p.Total, TotalKnown: p.HasTotal, Invalid: p.Invalid}
	var rep usageMetricReport
	out.Items = desktopUsages(p.Items, &rep)
	out.SkippedMetrics, out.BadValues = int(rep.skipped), int(rep.bad)
	return out, nil
}

// DecodeUserUsagePage decodes one §4.21.10 response body with the decoder
// UserUsage uses (limit 100).
func DecodeUserUsagePage(body []byte) (UsagePage[model.UserUsage], error) {
	p, err := client.DecodePageRaw(bytes.NewReader(body), OpListUserUsage, usageListKey, usageTotalKey, usageMaxLimit, decodeUserMetric(&client.Redactor{}))
	if err != nil {
		return UsagePage[model.UserUsage]{}, err
	}
	out := UsagePage[model.UserUsage]{Total: p.Total, TotalKnown: p.HasTotal, Invalid: p.Invalid}
	var rep usageMetricReport
	out.Items = userUsages(p.Items, &rep)
	out.SkippedMetrics, out.BadValues = int(rep.skipped), int(rep.bad)
	return out, nil
}

func desktopUsages(items []desktopUsageItem, rep *usageMetricReport) []model.DesktopUsage {
	out := make([]model.DesktopUsage, len(items))
	for i := range items {
		out[i] = items[i].DesktopUsage
		rep.add(items[i].rep)
	}
	return out
}

func userUsages(items []userUsageItem, rep *usageMetricReport) []model.UserUsage {
	out := make([]model.UserUsage, len(items))
	for i := range items {
		out[i] = items[i].UserUsage
		rep.add(items[i].rep)
	}
	return out
}

// usageList is the walk of a usage list over period p.
func (c *Client) usageList(op string, p model.UsagePeriod) client.OffsetList {
	return client.OffsetList{
		Op:          c.operation(op),
		Query:       usageListQuery(p),
		ListKey:     usageListKey,
		TotalKey:    usageTotalKey,
		Limit:       c.limit(op),
		MaxPages:    c.cfg.MaxPages,
		Concurrency: c.cfg.Concurrency,
	}
}

// logUsageMetricReport logs, once per walk, the metric entries that were not
// read: undocumented names are expected (the documentation's examples
// show the placeholder "desktop_state") and never fail the walk.
func (c *Client) logUsageMetricReport(op string, rep usageMetricReport) {
	if rep.skipped == 0 && rep.bad == 0 {
		return
	}
	c.tr.Logger().Info("usage report entries were not read: undocumented metric names are skipped, values that are not finite numbers ≥ 0 are treated as absent",
		"operation", op, "skipped_metrics", rep.skipped, "invalid_values", rep.bad, "example_name", rep.example)
}

// DesktopUsage implements model.UsageReader: it walks GET
// /v2/{project_id}/statistics/metrics/desktops (§4.21.9) over period p
// with limit 100 and returns every desktop's usage, or an error.
func (c *Client) DesktopUsage(ctx context.Context, p model.UsagePeriod) ([]model.DesktopUsage, model.ListStats, error) {
	items, stats, err := client.WalkOffsetRaw(ctx, c.tr, c.usageList(OpListDesktopUsage, p), decodeDesktopMetric(c.tr.Redactor()))
	if err != nil {
		return nil, stats, err
	}
	var rep usageMetricReport
	out := desktopUsages(items, &rep)
	c.logUsageMetricReport(OpListDesktopUsage, rep)
	return out, stats, nil
}

// UserUsage implements model.UsageReader: it walks GET
// /v2/{project_id}/statistics/metrics/users (§4.21.10) over period p with
// limit 100 and returns every user's usage, or an error.
func (c *Client) UserUsage(ctx context.Context, p model.UsagePeriod) ([]model.UserUsage, model.ListStats, error) {
	items, stats, err := client.WalkOffsetRaw(ctx, c.tr, c.usageList(OpListUserUsage, p), decodeUserMetric(c.tr.Redactor()))
	if err != nil {
		return nil, stats, err
	}
	var rep usageMetricReport
	out := userUsages(items, &rep)
	c.logUsageMetricReport(OpListUserUsage, rep)
	return out, stats, nil
}

// maxUsageStatisticsBody bounds a statistics answer: a few counters (and, when
// asked for, one entry per desktop pool, which the exporter does not ask
// for). A larger body is not a statistics answer.

// maxUsageUndocumentedCounters bounds the undocumented counters kept of one
// statistics object (the collector exports at most
// collector.MaxUndocumentedValues of them).
const maxUsageUndocumentedCounters = 64

// The statistics objects of §4.21.13 (003 Table 4-2633, L40274-40283) and
// the statistics_type value that asks for each (L40261).
var usageStatisticsCategories = []struct {
	key, statisticsType, field string
}{
	{"run_state_statistics", "run-state", model.FieldRunStateStatistic},
	{"login_state_statistics", "login-state", model.FieldLoginStateStatistic},
	{"attach_statistics", "attach-state", model.FieldAttachStateStatistic},
}

// usageCount reads a count: a JSON integer (or an integral number, or a
// numeric string). ok is false for anything else (null, a fraction, a
// string that is not a number, a number beyond 2^53): the count is absent.
func usageCount(raw []byte) (n int64, ok bool) {
	if len(raw) == 0 || raw[0] == 'n' || raw[0] == 't' || raw[0] == 'f' || raw[0] == '{' || raw[0] == '[' {
		return 0, false
	}
	s := string(raw)
	if raw[0] == '"' {
		s = strings.TrimSpace(client.JSONStringValue(raw[1 : len(raw)-1]))
	}
	if len(s) > 64 {
		return 0, false
	}
	if v, err := strconv.ParseInt(s, 10, 64); err == nil {
		if v > 1<<53 || v < -(1<<53) {
			return 0, false
		}
		return v, true
	}
	if strings.ContainsAny(s, "xXpP_") {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return 0, false
	}
	return int64(f), true
}

// readUsageCounters reads one statistics object (…_num counters) into m, keyed
// by the counter's name without its _num suffix (the hwspec enum values):
// members not named …_num are ignored, a count that cannot be read is
// absent, a negative one is an error naming the field. documented are the
// names always kept; at most maxUsageUndocumentedCounters others are.
func readUsageCounters(s *client.JSONScanner, op, where string, documented []string, red *client.Redactor, m map[string]int64) error {
	var kb [64]byte
	undocumented := 0
	for {
		key, ok := s.NextKey()
		if !ok {
			return nil
		}
		k := string(client.JSONFieldKey(kb[:0], key))
		name, isCount := strings.CutSuffix(k, "_num")
		if !isCount || name == "" || name == "total" {
			s.Skip()
			continue
		}
		raw := s.Raw()
		v, ok := usageCount(raw)
		if !ok {
			continue
		}
		field := k
		if where != "" {
			field = where + "." + k
		}
		if v < 0 {
			return &client.InvalidResponseError{Operation: op, Problem: fmt.Sprintf("%s is %d, a negative count", red.Bounded(field, 96), v)}
		}
		if _, seen := m[name]; !seen && !slices.Contains(documented, name) {
			if undocumented >= maxUsageUndocumentedCounters || !client.ValidID(name) {
				continue
			}
			undocumented++
			name = red.Label(name)
		}
		m[name] = v
	}
}

// DecodeDesktopStatistics decodes one §4.21.13 response body (003 Table
// 4-2633, L40274-40283): total_num, which must be a count (a missing or
// unreadable one is an invalid response: it is the one member every
// answer has, as the example L40344-40346 shows), and the
// run_state_statistics, login_state_statistics and attach_statistics
// objects, each into its map (nil when the object is absent or not an
// object). desktop_pool_statistics is not read.
func DecodeDesktopStatistics(body []byte) (model.DesktopStatistics, error) {
	return decodeUsageDesktopStatistics(body, &client.Redactor{})
}

func decodeUsageDesktopStatistics(body []byte, red *client.Redactor) (model.DesktopStatistics, error) {
	var st model.DesktopStatistics
	b, err := readObjectBody(OpShowDesktopStatistics, "statistics answer", bytes.NewReader(body))
	if err != nil {
		return st, err
	}
	return usageStatisticsFromJSON(b, red)
}

func usageStatisticsFromJSON(b []byte, red *client.Redactor) (model.DesktopStatistics, error) {
	var st model.DesktopStatistics
	op := OpShowDesktopStatistics
	var s client.JSONScanner
	s.Reset(b)
	s.EnterObject()
	var total []byte
	var kb [64]byte
	for {
		key, ok := s.NextKey()
		if !ok {
			break
		}
		k := string(client.JSONFieldKey(kb[:0], key))
		if k == "total_num" {
			total = s.Raw()
			continue
		}
		var m *map[string]int64
		var field string
		switch k {
		case "run_state_statistics":
			m, field = &st.RunState, model.FieldRunStateStatistic
		case "login_state_statistics":
			m, field = &st.LoginState, model.FieldLoginStateStatistic
		case "attach_statistics":
			m, field = &st.AttachState, model.FieldAttachStateStatistic
		default:
			s.Skip()
			continue
		}
		if !s.EnterObject() {
			s.Skip() // null or another type: the counters are absent
			continue
		}
		if *m == nil {
			*m = map[string]int64{}
		}
		if err := readUsageCounters(&s, op, k, Spec.Enums[field], red, *m); err != nil {
			return model.DesktopStatistics{}, err
		}
	}
	n, ok := usageCount(total)
	switch {
	case total == nil:
		return model.DesktopStatistics{}, &client.InvalidResponseError{Operation: op, Problem: "total_num is missing"}
	case !ok:
		return model.DesktopStatistics{}, &client.InvalidResponseError{Operation: op, Problem: "total_num is not a count"}
	case n < 0:
		return model.DesktopStatistics{}, &client.InvalidResponseError{Operation: op, Problem: fmt.Sprintf("total_num is %d, a negative count", n)}
	}
	st.Total = n
	return st, nil
}

// DecodeRunStateStatistics decodes one §4.21.14 response body (003 Table
// 4-2641, L40392-40398): the counters stop_num, active_num, error_num and
// hibernated_num, keyed without the _num suffix. An absent counter is
// absent from the map; a negative one is an error.
func DecodeRunStateStatistics(body []byte) (map[string]int64, error) {
	return decodeUsageRunState(body, &client.Redactor{})
}

func decodeUsageRunState(body []byte, red *client.Redactor) (map[string]int64, error) {
	return decodeUsageRunStateReader(bytes.NewReader(body), red)
}

func decodeUsageRunStateReader(body io.Reader, red *client.Redactor) (map[string]int64, error) {
	b, err := readObjectBody(OpShowRunStateStatistics, "statistics answer", body)
	if err != nil {
		return nil, err
	}
	var s client.JSONScanner
	s.Reset(b)
	s.EnterObject()
	m := map[string]int64{}
	if err := readUsageCounters(&s, OpShowRunStateStatistics, "", Spec.Enums[model.FieldRunStateStatistic], red, m); err != nil {
		return nil, err
	}
	return m, nil
}

// DesktopStatistics implements model.UsageReader: GET
// /v2/{project_id}/statistics (§4.21.13) for all desktops, once per
// statistics_type (run-state, login-state, attach-state). The parameter is
// an "Array of strings" whose encoding the seed does not give (digest
// §0.7); one value per request needs none. total_num is the first
// answer's; each category comes from the answer that asked for it. The
// three are current counts, not the daily report.
func (c *Client) DesktopStatistics(ctx context.Context) (model.DesktopStatistics, error) {
	var out model.DesktopStatistics
	red := c.tr.Redactor()
	for i, cat := range usageStatisticsCategories {
		var st model.DesktopStatistics
		err := c.tr.Do(ctx, c.operation(OpShowDesktopStatistics), url.Values{"statistics_type": {cat.statisticsType}}, func(r io.Reader) error {
			b, err := readObjectBody(OpShowDesktopStatistics, "statistics answer", r)
			if err != nil {
				return err
			}
			st, err = usageStatisticsFromJSON(b, red)
			return err
		})
		if err != nil {
			return model.DesktopStatistics{}, err
		}
		if i == 0 {
			out.Total = st.Total
		}
		switch cat.field {
		case model.FieldRunStateStatistic:
			out.RunState = st.RunState
		case model.FieldLoginStateStatistic:
			out.LoginState = st.LoginState
		case model.FieldAttachStateStatistic:
			out.AttachState = st.AttachState
		}
	}
	return out, nil
}

// RunStateStatistics implements model.UsageReader: GET
// /v2/{project_id}/desktops/statistics/run-state (§4.21.14).
func (c *Client) RunStateStatistics(ctx context.Context) (map[string]int64, error) {
	var m map[string]int64
	err := c.tr.Do(ctx, c.operation(OpShowRunStateStatistics), nil, func(r io.Reader) error {
		var err error
		m, err = decodeUsageRunStateReader(r, c.tr.Redactor())
		return err
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

var _ model.UsageReader = (*Client)(nil)
