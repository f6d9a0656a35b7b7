package collector

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/workspace-exporter/workspace_exporter/config"
	"github.com/workspace-exporter/workspace_exporter/model"
	"github.com/workspace-exporter/workspace_exporter/provider"
)

// The logins collector counts login (connection) records through the
// provider's model.LoginReader (Huawei: GET
// /v2/{project_id}/connections/desktops, API reference §4.13.1, and GET
// /v2/{project_id}/connections/online-users, §4.13.4).
//
// Each refresh lists the records whose start lies in the window [now −
// lookback, now], widened to whole minutes (the API's precision): its
// start rounded down, its end rounded up. Windows overlap, so one record
// is listed by many refreshes; it is counted once, by its key, the first
// time it is seen "settled": with a failure reason (a failed login) or a
// setup time (a successful one). Records with neither are pending and
// looked at again by the next refreshes. The keys counted are remembered
// (as 128-bit digests, in a onceSet) with the record's start, or the
// time of the latest refresh that listed them when the record has none,
// and forgotten once that time falls before the window's start: the API
// cannot list them again.
//
// All counting state belongs to the refresh function and changes only
// when a refresh succeeds as a whole: a failed or partial refresh changes
// nothing, so a retried or repeated listing cannot count a record twice.
// The first successful refresh after the exporter starts only remembers
// the settled records already there (it counts nothing), so a restart
// never counts records a previous process counted; the counters are then
// present at 0.

func init() {
	registerCollector(Collector{
		Name:            "logins",
		DefaultEnabled:  true,
		DefaultInterval: 5 * time.Minute,
		Capability:      model.CapabilityLogins,
		NewOptions:      func() any { return defaultLoginsOptions() },
		New: func(api provider.Client, opts any, logger *slog.Logger) (RefreshFunc, error) {
			return newLoginsCollector(api, opts, logger, time.Now)
		},
		Families: []*FamilyDesc{loginsTotalDesc, loginFailuresDesc, loginReconnectsDesc, loginSetupDesc,
			loginNetworkRTTDesc, loginE2ERTTDesc, loginRecordsTrackedDesc, loginRecordsPendingDesc, loginUsersDesc},
	})
}

// Bounds of the logins collector's options.
const (
	minLoginsLookback          = 10 * time.Minute
	maxLoginsLookback          = 7 * 24 * time.Hour
	minLoginsMaxTracked        = 1000
	maxLoginsMaxTracked        = 10_000_000
	minLoginsMaxFailureReasons = 1
	maxLoginsMaxFailureReasons = 50
)

// LoginsOptions are the logins collector's own settings.
type LoginsOptions struct {
	// Lookback is how far back each refresh lists records: at least
	// 10m and at least twice the collector's interval, so that
	// consecutive windows overlap.
	Lookback config.Duration `yaml:"lookback"`
	// MaxTrackedRecords bounds the records of one window (and the keys
	// remembered); a refresh that would exceed it fails.
	MaxTrackedRecords int `yaml:"max_tracked_records"`
	// MaxFailureReasons is how many distinct failure reasons get their
	// own reason label value; later ones count as "other".
	MaxFailureReasons int `yaml:"max_failure_reasons"`
}

func defaultLoginsOptions() *LoginsOptions {
	return &LoginsOptions{Lookback: config.Duration(2 * time.Hour), MaxTrackedRecords: 200_000, MaxFailureReasons: 10}
}

// Validate implements config.OptionsValidator.
func (o *LoginsOptions) Validate(v *config.Validation) {
	v.DurationRange("lookback", o.Lookback, minLoginsLookback, maxLoginsLookback)
	if iv := v.Interval(); iv > 0 && time.Duration(o.Lookback) >= minLoginsLookback && time.Duration(o.Lookback) < 2*iv {
		v.Fail("lookback", "%s is less than twice the collector's interval (%s): records that start between two refreshes could be missed; set lookback to at least %s or shorten the interval",
			o.Lookback, config.Duration(iv), config.Duration(2*iv))
	}
	v.IntRange("max_tracked_records", o.MaxTrackedRecords, minLoginsMaxTracked, maxLoginsMaxTracked)
	v.IntRange("max_failure_reasons", o.MaxFailureReasons, minLoginsMaxFailureReasons, maxLoginsMaxFailureReasons)
}

// Result label values of workspace_logins_total.
const (
	loginResultSuccess = "success"
	loginResultFailure = "failure"
)

// Histogram bounds, in seconds.
var (
	loginSetupBuckets = []float64{0.5, 1, 2, 3, 5, 10, 20, 30, 60, 120}
	loginRTTBuckets   = []float64{0.005, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 1}
)

const loginsCountedHelp = " Each record is counted once, when it first shows a setup time or a failure reason; the first refresh after the exporter starts only remembers the records already there, so a restart never counts them again."

var (
	loginsTotalDesc = NewFamilyDesc(Namespace+"_logins_total",
		"Login records by result: success (a setup time) or failure (a failure reason)."+loginsCountedHelp,
		prometheus.CounterValue, "target", "result")
	loginFailuresDesc = NewFamilyDesc(Namespace+"_login_failures_total",
		"Failed logins by failure reason, as the API words it: the first max_failure_reasons distinct reasons of the process have their own value, later ones count as \"other\"."+loginsCountedHelp,
		prometheus.CounterValue, "target", "reason")
	loginReconnectsDesc = NewFamilyDesc(Namespace+"_login_reconnects_total",
		"Login records that are reconnections (is_reconnect)."+loginsCountedHelp,
		prometheus.CounterValue, "target")
	loginSetupDesc = NewHistogramDesc(Namespace+"_login_setup_duration_seconds",
		"Seconds from a connection's start to its setup, of the login records counted that have both.",
		loginSetupBuckets, "target")
	loginNetworkRTTDesc = NewHistogramDesc(Namespace+"_login_network_rtt_seconds",
		"Network round-trip time of the login records counted that report one.",
		loginRTTBuckets, "target")
	loginE2ERTTDesc = NewHistogramDesc(Namespace+"_login_e2e_rtt_seconds",
		"End-to-end round-trip time of the login records counted that report one.",
		loginRTTBuckets, "target")
	loginRecordsTrackedDesc = NewFamilyDesc(Namespace+"_login_records_tracked",
		"Login records remembered as counted, so that overlapping windows do not count them again (bounded by max_tracked_records).",
		prometheus.GaugeValue, "target")
	loginRecordsPendingDesc = NewFamilyDesc(Namespace+"_login_records_pending",
		"Login records of the latest window with neither a setup time nor a failure reason yet: not counted until they have one.",
		prometheus.GaugeValue, "target")
	loginUsersDesc = NewFamilyDesc(Namespace+"_login_users",
		"Users who logged in, as the provider counts them: in the current hour (period=\"hour\") and the current day (period=\"day\").",
		prometheus.GaugeValue, "target", "period")
)

// loginHistogram accumulates observations; counts are per bucket (not
// cumulative), the last one +Inf.
type loginHistogram struct {
	bounds []float64
	counts []uint64
	count  uint64
	sum    float64
}

func newLoginHistogram(bounds []float64) loginHistogram {
	return loginHistogram{bounds: bounds, counts: make([]uint64, len(bounds)+1)}
}

func (h *loginHistogram) observe(v float64) {
	i := 0
	for i < len(h.bounds) && v > h.bounds[i] {
		i++
	}
	h.counts[i]++
	h.count++
	h.sum += v
}

func (h *loginHistogram) add(o *loginHistogram) {
	for i := range h.counts {
		h.counts[i] += o.counts[i]
	}
	h.count += o.count
	h.sum += o.sum
}

// cumulative returns the counts as Prometheus buckets (finite bounds).
func (h *loginHistogram) cumulative() []uint64 {
	out := make([]uint64, len(h.bounds))
	var c uint64
	for i := range h.bounds {
		c += h.counts[i]
		out[i] = c
	}
	return out
}

func (h *loginHistogram) clone() loginHistogram {
	c := *h
	c.counts = append([]uint64(nil), h.counts...)
	return c
}

// loginCounts are the counters of counted records.
type loginCounts struct {
	success, failure, reconnects uint64
	reasons                      map[string]uint64 // by the reason's label value, "other" included
	setup, network, e2e          loginHistogram
}

func newLoginCounts() loginCounts {
	return loginCounts{
		reasons: map[string]uint64{},
		setup:   newLoginHistogram(loginSetupBuckets),
		network: newLoginHistogram(loginRTTBuckets),
		e2e:     newLoginHistogram(loginRTTBuckets),
	}
}

// loginsState is what the collector remembers between refreshes. It is
// changed only by commit, after a refresh succeeded.
type loginsState struct {
	mu          sync.Mutex
	lastSuccess time.Time
	// seen holds the keys of counted records with the Unix second of
	// their start (or of the refresh that last listed them, when they
	// have none).
	seen   *onceSet
	counts loginCounts
	// reasons are the failure reasons with their own label value, in
	// the order they were first counted; at most MaxFailureReasons.
	reasons []string
	// foldLogged is set once the first folded reasons were logged.
	foldLogged bool
}

// loginsDelta is what one refresh adds to the state.
type loginsDelta struct {
	tx         *onceTx
	counts     loginCounts
	newReasons []string
	folded     []string // examples of reasons counted as "other"
	pending    int
	outside    int
	counted    int
}

func newLoginsCollector(api provider.Client, opts any, logger *slog.Logger, now func() time.Time) (RefreshFunc, error) {
	lr, ok := api.(model.LoginReader)
	if !ok {
		return nil, fmt.Errorf("the provider client has no %s capability (model.LoginReader)", model.CapabilityLogins)
	}
	o, _ := opts.(*LoginsOptions)
	if o == nil {
		o = defaultLoginsOptions()
	}
	lookback := time.Duration(o.Lookback)
	st := &loginsState{seen: newOnceSet(), counts: newLoginCounts()}
	return func(ctx context.Context) (Snapshot, error) {
		t := now()
		from, to := loginsWindow(t, lookback)
		recs, stats, err := lr.ListLoginRecords(ctx, from, to)
		if err != nil {
			return nil, err
		}
		if len(recs) > o.MaxTrackedRecords {
			return nil, fmt.Errorf("the login records window of %s holds %d records, more than max_tracked_records (%d): raise max_tracked_records or shorten lookback",
				config.Duration(lookback), len(recs), o.MaxTrackedRecords)
		}
		users, err := lr.LoginUsers(ctx)
		if err != nil {
			return nil, err
		}
		st.mu.Lock()
		defer st.mu.Unlock()
		d := st.delta(recs, from, to, t, o.MaxFailureReasons)
		cut := from.Unix()
		if size := d.tx.Size(cut); size > o.MaxTrackedRecords {
			return nil, fmt.Errorf("counting the login records of the window of %s would remember %d records, more than max_tracked_records (%d): raise max_tracked_records or shorten lookback",
				config.Duration(lookback), size, o.MaxTrackedRecords)
		}
		if !st.lastSuccess.IsZero() && t.Sub(st.lastSuccess) > lookback {
			logger.Warn("the previous successful refresh of login records is older than lookback: records that started in between may have been missed",
				"since_last_success", t.Sub(st.lastSuccess).Round(time.Second).String(), "lookback", config.Duration(lookback).String())
		}
		primed := st.seen.Primed()
		st.commit(d, cut, t, logger)
		logger.Debug("listed login records", "records", len(recs), "requests", stats.Requests, "page_size", stats.PageSize,
			"total", stats.Total, "skipped_items", stats.Invalid, "walks", stats.Walks, "counted", d.counted, "priming", !primed,
			"pending", d.pending, "outside_window", d.outside, "tracked", st.seen.Len(),
			"hour_bucket", users.HourBucket, "day_bucket", users.DayBucket)
		return st.snapshot(d.pending, users), nil
	}, nil
}

// loginsWindow is the window a refresh at t lists: [t − lookback, t]
// widened to whole minutes (the API's precision).
func loginsWindow(t time.Time, lookback time.Duration) (from, to time.Time) {
	from = t.Add(-lookback).UTC().Truncate(time.Minute)
	to = t.UTC().Truncate(time.Minute)
	if to.Before(t) {
		to = to.Add(time.Minute)
	}
	return from, to
}

// delta computes what recs add to the state, without changing it.
// Records whose start lies outside [from, to] are ignored: the API should
// not return them, and counting one that started before from could count
// it again after its key was forgotten.
func (st *loginsState) delta(recs []model.LoginRecord, from, to, now time.Time, maxReasons int) *loginsDelta {
	d := &loginsDelta{tx: st.seen.Begin(), counts: newLoginCounts()}
	known := make(map[string]bool, len(st.reasons)+maxReasons)
	for _, r := range st.reasons {
		known[r] = true
	}
	for i := range recs {
		r := &recs[i]
		if !r.Start.IsZero() && (r.Start.Before(from) || r.Start.After(to)) {
			d.outside++
			continue
		}
		if r.FailureReason == "" && r.Setup.IsZero() {
			d.pending++
			continue
		}
		at := now.Unix()
		if !r.Start.IsZero() {
			at = r.Start.Unix()
		}
		if !d.tx.Observe(r.Key, at) {
			continue
		}
		d.counted++
		c := &d.counts
		if r.FailureReason != "" {
			c.failure++
			reason := r.FailureReason
			switch {
			case known[reason] && reason != OtherValue:
			case reason != OtherValue && len(known) < maxReasons:
				known[reason] = true
				d.newReasons = append(d.newReasons, reason)
			default:
				if reason != OtherValue && len(d.folded) < 5 && !slices.Contains(d.folded, reason) {
					d.folded = append(d.folded, reason)
				}
				reason = OtherValue
			}
			c.reasons[reason]++
		} else {
			c.success++
		}
		if r.Reconnect {
			c.reconnects++
		}
		if !r.Start.IsZero() && !r.Setup.IsZero() && !r.Setup.Before(r.Start) {
			c.setup.observe(r.Setup.Sub(r.Start).Seconds())
		}
		if r.HasNetworkRTT {
			c.network.observe(r.NetworkRTT.Seconds())
		}
		if r.HasE2ERTT {
			c.e2e.observe(r.E2ERTT.Seconds())
		}
	}
	return d
}

// commit applies a refresh's delta: forgets the keys whose time is before
// cut, remembers the new ones, adds the counts.
func (st *loginsState) commit(d *loginsDelta, cut int64, now time.Time, logger *slog.Logger) {
	d.tx.Commit(cut)
	c, dc := &st.counts, &d.counts
	c.success += dc.success
	c.failure += dc.failure
	c.reconnects += dc.reconnects
	for r, n := range dc.reasons {
		c.reasons[r] += n
	}
	c.setup.add(&dc.setup)
	c.network.add(&dc.network)
	c.e2e.add(&dc.e2e)
	st.reasons = append(st.reasons, d.newReasons...)
	if len(d.folded) > 0 && !st.foldLogged {
		st.foldLogged = true
		logger.Warn("more distinct login failure reasons than max_failure_reasons: the later ones are counted as reason=\"other\"",
			"kept", strings.Join(st.reasons, " | "), "examples", strings.Join(d.folded, " | "))
	}
	st.lastSuccess = now
}

// snapshot copies the state into an immutable snapshot.
func (st *loginsState) snapshot(pending int, users model.LoginUsers) *loginsSnapshot {
	c := &st.counts
	s := &loginsSnapshot{
		success: c.success, failure: c.failure, reconnects: c.reconnects,
		reasons: append([]string(nil), st.reasons...),
		counts:  make([]uint64, len(st.reasons)),
		other:   c.reasons[OtherValue],
		setup:   c.setup.clone(), network: c.network.clone(), e2e: c.e2e.clone(),
		tracked: st.seen.Len(), pending: pending, users: users,
	}
	for i, r := range st.reasons {
		s.counts[i] = c.reasons[r]
	}
	return s
}

// loginsSnapshot is immutable once built.
type loginsSnapshot struct {
	success, failure, reconnects uint64
	reasons                      []string
	counts                       []uint64 // of reasons
	other                        uint64
	setup, network, e2e          loginHistogram
	tracked, pending             int
	users                        model.LoginUsers
}

// Render adds the snapshot's series.
func (s *loginsSnapshot) Render(b *Builder, target string) {
	b.Add(loginsTotalDesc, float64(s.success), target, loginResultSuccess)
	b.Add(loginsTotalDesc, float64(s.failure), target, loginResultFailure)
	for i, r := range s.reasons {
		b.Add(loginFailuresDesc, float64(s.counts[i]), target, r)
	}
	b.Add(loginFailuresDesc, float64(s.other), target, OtherValue)
	b.Add(loginReconnectsDesc, float64(s.reconnects), target)
	for _, h := range []struct {
		d *FamilyDesc
		h *loginHistogram
	}{{loginSetupDesc, &s.setup}, {loginNetworkRTTDesc, &s.network}, {loginE2ERTTDesc, &s.e2e}} {
		b.AddHistogram(h.d, h.h.cumulative(), h.h.count, h.h.sum, target)
	}
	b.Add(loginRecordsTrackedDesc, float64(s.tracked), target)
	b.Add(loginRecordsPendingDesc, float64(s.pending), target)
	if s.users.HasHour {
		b.Add(loginUsersDesc, float64(s.users.Hour), target, "hour")
	}
	if s.users.HasDay {
		b.Add(loginUsersDesc, float64(s.users.Day), target, "day")
	}
}
