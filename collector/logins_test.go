package collector

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"

	"github.com/workspace-exporter/workspace_exporter/client/huaweicloud"
	"github.com/workspace-exporter/workspace_exporter/client/huaweicloud/hwspec"
	"github.com/workspace-exporter/workspace_exporter/config"
	"github.com/workspace-exporter/workspace_exporter/model"
	"github.com/workspace-exporter/workspace_exporter/provider"
	"github.com/workspace-exporter/workspace_exporter/simulator"
	hwsim "github.com/workspace-exporter/workspace_exporter/simulator/huaweicloud"
)

// fakeLogins is a model.LoginReader whose records the test sets; it
// answers the records whose start lies in the window asked for (all of
// those without a start), as the API does.
type fakeLogins struct {
	mu       sync.Mutex
	recs     []model.LoginRecord
	users    model.LoginUsers
	err      error // of ListLoginRecords
	usersErr error
	windows  [][2]time.Time
}

func (f *fakeLogins) ListLoginRecords(_ context.Context, from, to time.Time) ([]model.LoginRecord, model.ListStats, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.windows = append(f.windows, [2]time.Time{from, to})
	if f.err != nil {
		return nil, model.ListStats{}, f.err
	}
	var out []model.LoginRecord
	for _, r := range f.recs {
		if r.Start.IsZero() || !r.Start.Before(from) && !r.Start.After(to) {
			out = append(out, r)
		}
	}
	return out, model.ListStats{Requests: 1, Total: int64(len(out))}, nil
}

func (f *fakeLogins) LoginUsers(context.Context) (model.LoginUsers, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.users, f.usersErr
}

func (f *fakeLogins) set(fn func(f *fakeLogins)) { f.mu.Lock(); fn(f); f.mu.Unlock() }

func (f *fakeLogins) Operations() []string                      { return nil }
func (f *fakeLogins) Documented(string) []string                { return nil }
func (f *fakeLogins) SetCredentials(provider.Credentials) error { return nil }
func (f *fakeLogins) Close()                                    {}

// loginsClock is a settable clock.
type loginsClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *loginsClock) now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *loginsClock) advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

var loginsT0 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

// loginsRig is a logins collector on a fake reader and a fake clock,
// logging into logs.
type loginsRig struct {
	api     *fakeLogins
	clock   *loginsClock
	refresh RefreshFunc
	logs    *lockedBuffer
}

func newLoginsRig(t *testing.T, o *LoginsOptions) *loginsRig {
	t.Helper()
	r := &loginsRig{api: &fakeLogins{users: model.LoginUsers{Hour: 3, HasHour: true, Day: 7, HasDay: true}},
		clock: &loginsClock{t: loginsT0}, logs: &lockedBuffer{}}
	logger := slog.New(slog.NewTextHandler(r.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	var err error
	if r.refresh, err = newLoginsCollector(r.api, o, logger, r.clock.now); err != nil {
		t.Fatal(err)
	}
	return r
}

// snap refreshes and returns the parsed families, or the error.
func (r *loginsRig) snap(t *testing.T) (map[string]*dto.MetricFamily, error) {
	t.Helper()
	s, err := r.refresh(context.Background())
	if err != nil {
		return nil, err
	}
	return renderSnapshot(t, s), nil
}

func (r *loginsRig) mustSnap(t *testing.T) map[string]*dto.MetricFamily {
	t.Helper()
	mfs, err := r.snap(t)
	if err != nil {
		t.Fatal(err)
	}
	return mfs
}

func renderSnapshot(t *testing.T, s Snapshot) map[string]*dto.MetricFamily {
	t.Helper()
	b := NewBuilder()
	s.Render(b, "t")
	fams := b.Families()
	if fams.Dropped() != 0 {
		t.Fatalf("%d duplicate series", fams.Dropped())
	}
	return parseText(t, Render(fams).Text())
}

// loginValue returns the value of the series of family name whose labels
// include labels ("k=v" each), NaN when absent. For a histogram it is the
// sample count.
func loginValue(mfs map[string]*dto.MetricFamily, name string, labels ...string) float64 {
	mf := mfs[name]
	if mf == nil {
		return math.NaN()
	}
next:
	for _, m := range mf.GetMetric() {
		have := map[string]string{}
		for _, l := range m.GetLabel() {
			have[l.GetName()] = l.GetValue()
		}
		for _, kv := range labels {
			k, v, _ := strings.Cut(kv, "=")
			if have[k] != v {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.GetCounter().GetValue()
		case m.Gauge != nil:
			return m.GetGauge().GetValue()
		case m.Histogram != nil:
			return float64(m.GetHistogram().GetSampleCount())
		}
	}
	return math.NaN()
}

// loginCounters are the counter values a test compares.
type loginCounters struct {
	success, failure, reconnects, tracked, pending float64
}

func countersOf(mfs map[string]*dto.MetricFamily) loginCounters {
	return loginCounters{
		success:    loginValue(mfs, "workspace_logins_total", "result=success"),
		failure:    loginValue(mfs, "workspace_logins_total", "result=failure"),
		reconnects: loginValue(mfs, "workspace_login_reconnects_total"),
		tracked:    loginValue(mfs, "workspace_login_records_tracked"),
		pending:    loginValue(mfs, "workspace_login_records_pending"),
	}
}

func okRec(key string, start time.Time, setup time.Duration) model.LoginRecord {
	return model.LoginRecord{Key: key, UserName: "u-" + key, Start: start, Setup: start.Add(setup)}
}

func failRec(key, reason string, start time.Time) model.LoginRecord {
	return model.LoginRecord{Key: key, UserName: "u-" + key, Start: start, FailureReason: reason}
}

// The first refresh only primes; later refreshes of overlapping windows
// count each settled record exactly once, pending ones once they settle.
func TestLoginsCountOnceAcrossOverlappingWindows(t *testing.T) {
	r := newLoginsRig(t, nil)
	r.api.set(func(f *fakeLogins) {
		f.recs = []model.LoginRecord{
			okRec("old1", loginsT0.Add(-30*time.Minute), 2*time.Second),
			failRec("old2", "Authentication failed.", loginsT0.Add(-20*time.Minute)),
			{Key: "pend", Start: loginsT0.Add(-time.Minute)}, // neither setup nor failure yet
		}
	})
	mfs := r.mustSnap(t)
	if got := countersOf(mfs); got != (loginCounters{0, 0, 0, 2, 1}) {
		t.Fatalf("priming: %+v; want nothing counted, 2 tracked, 1 pending", got)
	}
	if v := loginValue(mfs, "workspace_login_failures_total", "reason=other"); v != 0 {
		t.Errorf("reason=other = %v, want present at 0", v)
	}
	if v := loginValue(mfs, "workspace_login_setup_duration_seconds"); v != 0 {
		t.Errorf("setup histogram count = %v, want present at 0", v)
	}
	if got := []float64{loginValue(mfs, "workspace_login_users", "period=hour"), loginValue(mfs, "workspace_login_users", "period=day")}; got[0] != 3 || got[1] != 7 {
		t.Errorf("login users %v", got)
	}

	// Five minutes later: the pending record settled, one new success
	// (a reconnect) and one new failure arrived; the old ones are listed
	// again.
	r.clock.advance(5 * time.Minute)
	r.api.set(func(f *fakeLogins) {
		f.recs[2].Setup = f.recs[2].Start.Add(4 * time.Second)
		f.recs[2].NetworkRTT, f.recs[2].HasNetworkRTT = 25*time.Millisecond, true
		n := okRec("new1", loginsT0.Add(2*time.Minute), 1500*time.Millisecond)
		n.Reconnect = true
		n.E2ERTT, n.HasE2ERTT = 80*time.Millisecond, true
		f.recs = append(f.recs, n, failRec("new2", "The desktop is not ready.", loginsT0.Add(3*time.Minute)))
	})
	mfs = r.mustSnap(t)
	if got := countersOf(mfs); got != (loginCounters{2, 1, 1, 5, 0}) {
		t.Fatalf("second refresh: %+v", got)
	}
	if v := loginValue(mfs, "workspace_login_failures_total", "reason=The desktop is not ready."); v != 1 {
		t.Errorf("failure by reason = %v", v)
	}
	if _, ok := mfs["workspace_login_failures_total"]; ok && !math.IsNaN(loginValue(mfs, "workspace_login_failures_total", "reason=Authentication failed.")) {
		t.Error("a reason seen only while priming has a series")
	}
	h := mfs["workspace_login_setup_duration_seconds"].GetMetric()[0].GetHistogram()
	if h.GetSampleCount() != 2 || h.GetSampleSum() != 5.5 {
		t.Errorf("setup histogram: %d samples, sum %v; want 2, 5.5", h.GetSampleCount(), h.GetSampleSum())
	}
	for _, b := range h.GetBucket() {
		want := map[float64]uint64{0.5: 0, 1: 0, 2: 1, 3: 1, 5: 2}[b.GetUpperBound()]
		if b.GetUpperBound() <= 5 && b.GetCumulativeCount() != want {
			t.Errorf("setup bucket le=%v: %d, want %d", b.GetUpperBound(), b.GetCumulativeCount(), want)
		}
	}
	if v := loginValue(mfs, "workspace_login_network_rtt_seconds"); v != 1 {
		t.Errorf("network rtt count %v", v)
	}
	if v := loginValue(mfs, "workspace_login_e2e_rtt_seconds"); v != 1 {
		t.Errorf("e2e rtt count %v", v)
	}

	// The same records again, and again: nothing more.
	for range 3 {
		r.clock.advance(5 * time.Minute)
		if got := countersOf(r.mustSnap(t)); got != (loginCounters{2, 1, 1, 5, 0}) {
			t.Fatalf("unchanged records counted again: %+v", got)
		}
	}
	// A record updated later (its end filled in) is not counted again.
	r.api.set(func(f *fakeLogins) { f.recs[3].End = loginsT0.Add(10 * time.Minute) })
	if got := countersOf(r.mustSnap(t)); got.success != 2 {
		t.Errorf("an updated record was counted again: %+v", got)
	}
	// The window asked for is whole minutes: [now − 2h, now] rounded out.
	r.clock.advance(90 * time.Second)
	r.mustSnap(t)
	r.api.mu.Lock()
	w := r.api.windows[len(r.api.windows)-1]
	r.api.mu.Unlock()
	now := r.clock.now()
	if !w[0].Equal(now.Add(-2*time.Hour).Truncate(time.Minute)) || !w[1].Equal(now.Truncate(time.Minute).Add(time.Minute)) {
		t.Errorf("window %v..%v at %v", w[0], w[1], now)
	}
}

// A failed refresh (the walk, or the user counts) changes nothing: the
// records it listed are counted by the next successful one, once.
func TestLoginsFailedRefreshChangesNothing(t *testing.T) {
	r := newLoginsRig(t, nil)
	r.mustSnap(t) // primes an empty window
	r.api.set(func(f *fakeLogins) { f.recs = []model.LoginRecord{okRec("a", loginsT0.Add(time.Minute), time.Second)} })
	r.clock.advance(5 * time.Minute)
	r.api.set(func(f *fakeLogins) { f.usersErr = errors.New("ShowLoginUsers: HTTP 503") })
	if _, err := r.snap(t); err == nil {
		t.Fatal("the refresh succeeded although the user counts failed")
	}
	r.api.set(func(f *fakeLogins) { f.usersErr, f.err = nil, errors.New("ListLoginRecords: inconsistent list") })
	if _, err := r.snap(t); err == nil {
		t.Fatal("the refresh succeeded although the walk failed")
	}
	r.api.set(func(f *fakeLogins) { f.err = nil })
	if got := countersOf(r.mustSnap(t)); got != (loginCounters{1, 0, 0, 1, 0}) {
		t.Errorf("after the failures: %+v; want the record counted once", got)
	}

	// A failed first refresh does not prime: the first successful one
	// does, and counts nothing.
	r = newLoginsRig(t, nil)
	r.api.set(func(f *fakeLogins) {
		f.recs = []model.LoginRecord{okRec("a", loginsT0.Add(-time.Minute), time.Second)}
		f.usersErr = errors.New("ShowLoginUsers: HTTP 503")
	})
	if _, err := r.snap(t); err == nil {
		t.Fatal("the refresh succeeded although the user counts failed")
	}
	r.clock.advance(time.Minute)
	r.api.set(func(f *fakeLogins) {
		f.usersErr = nil
		f.recs = append(f.recs, okRec("b", loginsT0.Add(30*time.Second), time.Second))
	})
	if got := countersOf(r.mustSnap(t)); got != (loginCounters{0, 0, 0, 2, 0}) {
		t.Errorf("the first successful refresh after a failed one: %+v; want it to prime", got)
	}
}

// A window holding more records than max_tracked_records fails the
// refresh with an error naming the option, and changes nothing.
func TestLoginsMaxTrackedRecords(t *testing.T) {
	r := newLoginsRig(t, &LoginsOptions{Lookback: config.Duration(time.Hour), MaxTrackedRecords: 3, MaxFailureReasons: 10})
	var recs []model.LoginRecord
	for i := range 4 {
		recs = append(recs, okRec(fmt.Sprint("r", i), loginsT0.Add(-time.Duration(i)*time.Minute), time.Second))
	}
	r.api.set(func(f *fakeLogins) { f.recs = recs[:3] })
	r.mustSnap(t)
	r.clock.advance(time.Minute)
	r.api.set(func(f *fakeLogins) { f.recs = recs })
	_, err := r.snap(t)
	if err == nil || !strings.Contains(err.Error(), "max_tracked_records (3)") || !strings.Contains(err.Error(), "4 records") {
		t.Fatalf("err = %v", err)
	}
	// Remembered keys count too: the 3 remembered and 1 new record of a
	// window that lists only the new one exceed it as well.
	r.api.set(func(f *fakeLogins) { f.recs = recs[3:] })
	if _, err := r.snap(t); err == nil || !strings.Contains(err.Error(), "would remember 4 records, more than max_tracked_records (3)") {
		t.Fatalf("remembered + new over the bound: err = %v", err)
	}
	// Nothing changed: the first three are still remembered, nothing
	// was counted, and r3 is counted once it fits.
	r.api.set(func(f *fakeLogins) { f.recs = recs[:3] })
	if got := countersOf(r.mustSnap(t)); got != (loginCounters{0, 0, 0, 3, 0}) {
		t.Errorf("after the failures: %+v", got)
	}
	r.clock.advance(59 * time.Minute) // the window starts at 10:00: r1, r2 forgotten
	r.api.set(func(f *fakeLogins) {
		f.recs = []model.LoginRecord{recs[0], okRec("r4", loginsT0.Add(time.Minute), time.Second)}
	})
	if got := countersOf(r.mustSnap(t)); got != (loginCounters{1, 0, 0, 2, 0}) {
		t.Errorf("after the window moved: %+v", got)
	}
}

// Keys are forgotten once their record's start falls before the window
// start; records the API returns outside the window are ignored.
func TestLoginsPruneAndOutsideWindow(t *testing.T) {
	o := &LoginsOptions{Lookback: config.Duration(30 * time.Minute), MaxTrackedRecords: 1000, MaxFailureReasons: 10}
	r := newLoginsRig(t, o)
	r.api.set(func(f *fakeLogins) {
		f.recs = []model.LoginRecord{okRec("a", loginsT0.Add(-20*time.Minute), time.Second), okRec("b", loginsT0.Add(-5*time.Minute), time.Second)}
	})
	r.mustSnap(t)
	r.clock.advance(15 * time.Minute) // the window starts at 09:45: a (09:40) is forgotten
	if got := countersOf(r.mustSnap(t)); got != (loginCounters{0, 0, 0, 1, 0}) {
		t.Errorf("after pruning: %+v", got)
	}

	// An API that ignores the window: a record from before it (whose key
	// may have been forgotten) and one from the future are not counted.
	api := &outsideReader{&fakeLogins{users: r.api.users}}
	now := r.clock.now()
	api.recs = []model.LoginRecord{okRec("a", now.Add(-40*time.Minute), time.Second), okRec("c", now.Add(time.Hour), time.Second),
		okRec("d", now.Add(-time.Minute), time.Second)}
	refresh, err := newLoginsCollector(api, o, slog.New(slog.DiscardHandler), r.clock.now)
	if err != nil {
		t.Fatal(err)
	}
	want := []loginCounters{{0, 0, 0, 1, 0}, {1, 0, 0, 2, 0}}
	for i, w := range want {
		s, err := refresh(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if got := countersOf(renderSnapshot(t, s)); got != w {
			t.Errorf("refresh %d: %+v, want %+v", i, got, w)
		}
		api.set(func(f *fakeLogins) { f.recs = append(f.recs, okRec("e", now.Add(-30*time.Second), time.Second)) })
	}
}

// outsideReader answers every record whatever the window.
type outsideReader struct{ *fakeLogins }

func (o *outsideReader) ListLoginRecords(_ context.Context, _, _ time.Time) ([]model.LoginRecord, model.ListStats, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]model.LoginRecord(nil), o.recs...), model.ListStats{}, nil
}

// The first max_failure_reasons distinct reasons keep their value for
// the life of the process; later ones count as "other", logged once; a
// reason the API calls "other" is counted there too.
func TestLoginsFailureReasonsAreBounded(t *testing.T) {
	r := newLoginsRig(t, &LoginsOptions{Lookback: config.Duration(time.Hour), MaxTrackedRecords: 1000, MaxFailureReasons: 2})
	r.mustSnap(t)
	at := loginsT0
	add := func(reasons ...string) {
		r.api.set(func(f *fakeLogins) {
			for _, reason := range reasons {
				at = at.Add(time.Second)
				f.recs = append(f.recs, failRec(fmt.Sprint(at.Unix()), reason, at))
			}
		})
		r.clock.advance(time.Minute)
	}
	add("A", "B", "A", "C", "other", "D")
	mfs := r.mustSnap(t)
	for reason, want := range map[string]float64{"A": 2, "B": 1, "other": 3} {
		if v := loginValue(mfs, "workspace_login_failures_total", "reason="+reason); v != want {
			t.Errorf("reason %s = %v, want %v", reason, v, want)
		}
	}
	if n := len(mfs["workspace_login_failures_total"].GetMetric()); n != 3 {
		t.Errorf("%d reason series, want 3", n)
	}
	add("C", "B", "E")
	mfs = r.mustSnap(t)
	if v := loginValue(mfs, "workspace_login_failures_total", "reason=other"); v != 5 {
		t.Errorf("other = %v, want 5", v)
	}
	if v := loginValue(mfs, "workspace_logins_total", "result=failure"); v != 9 {
		t.Errorf("failures = %v, want 9", v)
	}
	if n := strings.Count(r.logs.String(), "more distinct login failure reasons"); n != 1 {
		t.Errorf("the folding was logged %d times, want once:\n%s", n, r.logs.String())
	}
	if !strings.Contains(r.logs.String(), "C | D") {
		t.Errorf("the log does not name the folded examples:\n%s", r.logs.String())
	}
}

// A gap between successful refreshes longer than lookback is logged.
func TestLoginsWarnsAboutGaps(t *testing.T) {
	r := newLoginsRig(t, &LoginsOptions{Lookback: config.Duration(20 * time.Minute), MaxTrackedRecords: 1000, MaxFailureReasons: 2})
	r.mustSnap(t)
	r.clock.advance(19 * time.Minute)
	r.mustSnap(t)
	if strings.Contains(r.logs.String(), "may have been missed") {
		t.Fatal("warned without a gap")
	}
	r.clock.advance(21 * time.Minute)
	r.mustSnap(t)
	if !strings.Contains(r.logs.String(), "may have been missed") {
		t.Error("no warning after a gap longer than lookback")
	}
}

// The options are validated with the configuration, each problem at its
// key: lookback at least 10m and twice the interval, the bounds of the
// others.
func TestLoginsOptionsValidation(t *testing.T) {
	checkCollectorOptions(t, "logins", map[string]string{
		`{}`:                              "",
		`{interval: 90m}`:                 "collectors.logins.lookback: 2h is less than twice the collector's interval (1h30m)",
		`{interval: 1h}`:                  "",
		`{interval: 30m, lookback: 1h}`:   "",
		`{interval: 31m, lookback: 1h}`:   "set lookback to at least 1h2m",
		`{lookback: 5m}`:                  "collectors.logins.lookback: 5m is below the minimum of 10m",
		`{lookback: 30d}`:                 "above the maximum",
		`{max_tracked_records: 999}`:      "collectors.logins.max_tracked_records: 999 is outside 1000..10000000",
		`{max_tracked_records: 10000001}`: "outside 1000..10000000",
		`{max_failure_reasons: 0}`:        "collectors.logins.max_failure_reasons: 0 is outside 1..50",
		`{max_failure_reasons: 51}`:       "outside 1..50",
		`{lookback: 10m, interval: 5m}`:   "",
		`{unknown_key: 1}`:                "unknown_key",
		`{lookback: 3h, max_failure_reasons: 50, max_tracked_records: 10000000}`: "",
	}, func(opts any) bool {
		o, ok := opts.(*LoginsOptions)
		return ok && o.MaxTrackedRecords != 0 && o.Lookback != 0 && o.MaxFailureReasons != 0
	})
}

// Every family the collector declares is rendered, with the target label,
// and the exposition lints clean.
func TestLoginsFamiliesAndLint(t *testing.T) {
	r := newLoginsRig(t, nil)
	r.api.set(func(f *fakeLogins) { f.recs = []model.LoginRecord{failRec("x", "y\n\"z\\", loginsT0)} })
	r.mustSnap(t)
	r.api.set(func(f *fakeLogins) { f.recs = append(f.recs, failRec("w", "a\"b", loginsT0.Add(time.Second))) })
	r.clock.advance(time.Minute)
	s, err := r.refresh(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	b := NewBuilder()
	s.Render(b, "t")
	text := Render(b.Families()).Text()
	mfs := parseText(t, text)
	var names []string
	for _, d := range registry["logins"].Families {
		names = append(names, d.Name())
		mf := mfs[d.Name()]
		if mf == nil {
			t.Errorf("%s not rendered", d.Name())
			continue
		}
		for _, m := range mf.GetMetric() {
			if !hasLabel(m, "target") {
				t.Errorf("%s: a series without target", d.Name())
			}
		}
	}
	sort.Strings(names)
	if len(mfs) != len(names) {
		t.Errorf("rendered %d families, declared %d", len(mfs), len(names))
	}
	problems, err := testutil.CollectAndLint(textCollector(text))
	if err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %v", problems, err)
	}
	if !bytes.Contains(text, []byte(`reason="a\"b"`)) {
		t.Errorf("reason not escaped:\n%s", text)
	}
}

func hasLabel(m *dto.Metric, name string) bool {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return true
		}
	}
	return false
}

// ---- Against the simulator ----

// loginsSimRig is a logins collector, through the real signing client,
// on a simulated fleet; the collector and the simulator share a clock
// (kept within the ±15 minutes of real time the signature check allows).
type loginsSimRig struct {
	sim        *hwsim.Simulator
	url        string
	clock      *loginsClock
	refresh    RefreshFunc
	clientLogs *lockedBuffer
	logs       *lockedBuffer
	opts       *LoginsOptions
}

func newLoginsSimRig(t *testing.T, n int, seed int64) *loginsSimRig {
	t.Helper()
	clock := &loginsClock{t: time.Now().Add(-10 * time.Minute).Truncate(time.Second)}
	sim, err := hwsim.New(hwsim.Options{ProjectID: benchProject, Credentials: []simulator.Credential{{AccessKey: benchAK, SecretKey: benchSK}},
		Desktops: n, Seed: seed, Now: clock.now})
	if err != nil {
		t.Fatal(err)
	}
	url, err := sim.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	r := &loginsSimRig{sim: sim, url: url, clock: clock, opts: defaultLoginsOptions()}
	r.refresh, r.clientLogs, r.logs = r.newCollector(t)
	return r
}

// newCollector builds another logins collector (its own client and
// state) on the rig's simulator, as a restarted exporter would.
func (r *loginsSimRig) newCollector(t *testing.T) (RefreshFunc, *lockedBuffer, *lockedBuffer) {
	t.Helper()
	url := r.url
	clientLogs, logs := &lockedBuffer{}, &lockedBuffer{}
	cl, err := huaweicloud.New(huaweicloud.Config{Endpoint: url, ProjectID: benchProject, AccessKey: benchAK, SecretKey: benchSK,
		PageSize: 50, MaxRetries: 2, MinBackoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(clientLogs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	refresh, err := newLoginsCollector(cl, r.opts, slog.New(slog.NewTextHandler(logs, nil)), r.clock.now)
	if err != nil {
		t.Fatal(err)
	}
	return refresh, clientLogs, logs
}

// mustSnap refreshes the rig's first collector.
func (r *loginsSimRig) mustSnap(t *testing.T) map[string]*dto.MetricFamily {
	t.Helper()
	mfs, err := r.snap(t)
	if err != nil {
		t.Fatal(err)
	}
	return mfs
}

func (r *loginsSimRig) snap(t *testing.T) (map[string]*dto.MetricFamily, error) {
	t.Helper()
	s, err := r.refresh(context.Background())
	if err != nil {
		return nil, err
	}
	return renderSnapshot(t, s), nil
}

func (r *loginsSimRig) step(n int) {
	for range n {
		r.clock.advance(10 * time.Second)
		r.sim.Step()
	}
}

// loginsTruth is what the collector must show, computed from the
// simulator's own records.
type loginsTruth struct {
	success, failure, reconnects uint64
	reasons                      map[string]uint64
	setup, network, e2e          []float64
}

// settledSim tells whether a simulator record is settled.
func settledSim(r hwsim.LoginRecord) bool { return r.FailureReason != "" || !r.Setup.IsZero() }

// inWindow tells whether r starts in the window a refresh at now lists.
func inWindow(r hwsim.LoginRecord, now time.Time, lookback time.Duration) bool {
	from := now.Add(-lookback).UTC().Truncate(time.Minute)
	to := now.UTC().Truncate(time.Minute)
	if to.Before(now) {
		to = to.Add(time.Minute)
	}
	return !r.Start.Before(from) && !r.Start.After(to)
}

func truthOf(counted map[string]hwsim.LoginRecord) loginsTruth {
	tr := loginsTruth{reasons: map[string]uint64{}}
	for _, r := range counted {
		if r.FailureReason != "" {
			tr.failure++
			tr.reasons[r.FailureReason]++
		} else {
			tr.success++
		}
		if r.Reconnect {
			tr.reconnects++
		}
		if !r.Setup.IsZero() {
			tr.setup = append(tr.setup, r.Setup.Sub(r.Start).Seconds())
		}
		if r.NetworkRTT > 0 {
			tr.network = append(tr.network, float64(r.NetworkRTT)/1000)
			tr.e2e = append(tr.e2e, float64(r.E2ERTT)/1000)
		}
	}
	return tr
}

// checkHistogram compares a rendered histogram with observations.
func checkHistogram(t *testing.T, mfs map[string]*dto.MetricFamily, name string, obs []float64) {
	t.Helper()
	mf := mfs[name]
	if mf == nil || len(mf.GetMetric()) != 1 {
		t.Errorf("%s: missing", name)
		return
	}
	h := mf.GetMetric()[0].GetHistogram()
	sum := 0.0
	for _, v := range obs {
		sum += v
	}
	if h.GetSampleCount() != uint64(len(obs)) || math.Abs(h.GetSampleSum()-sum) > 1e-9*max(1, sum) {
		t.Errorf("%s: %d observations summing to %v, want %d summing to %v", name, h.GetSampleCount(), h.GetSampleSum(), len(obs), sum)
	}
	for _, b := range h.GetBucket() {
		var want uint64
		for _, v := range obs {
			if v <= b.GetUpperBound() {
				want++
			}
		}
		if b.GetCumulativeCount() != want {
			t.Errorf("%s{le=%v} = %d, want %d", name, b.GetUpperBound(), b.GetCumulativeCount(), want)
		}
	}
}

// checkCounters compares the counted families with the truth.
func checkCounters(t *testing.T, what string, mfs map[string]*dto.MetricFamily, tr loginsTruth) {
	t.Helper()
	got := countersOf(mfs)
	if got.success != float64(tr.success) || got.failure != float64(tr.failure) || got.reconnects != float64(tr.reconnects) {
		t.Errorf("%s: success %v failure %v reconnects %v; the simulator's records say %d, %d, %d",
			what, got.success, got.failure, got.reconnects, tr.success, tr.failure, tr.reconnects)
	}
	n := 0
	for reason, want := range tr.reasons {
		n++
		if v := loginValue(mfs, "workspace_login_failures_total", "reason="+reason); v != float64(want) {
			t.Errorf("%s: failures for %q = %v, want %d", what, reason, v, want)
		}
	}
	if v := loginValue(mfs, "workspace_login_failures_total", "reason=other"); v != 0 {
		t.Errorf("%s: reason=other = %v, want 0", what, v)
	}
	if got := len(mfs["workspace_login_failures_total"].GetMetric()); got != n+1 {
		t.Errorf("%s: %d reason series, want %d and other", what, got, n)
	}
	checkHistogram(t, mfs, "workspace_login_setup_duration_seconds", tr.setup)
	checkHistogram(t, mfs, "workspace_login_network_rtt_seconds", tr.network)
	checkHistogram(t, mfs, "workspace_login_e2e_rtt_seconds", tr.e2e)
}

// Must show (issue 8): the login counters never count a record twice,
// whatever the overlap of the windows, the retries of a page, the second
// walks of an inconsistent list, the refreshes that fail, or records
// arriving late; and they count each new record exactly once — at every
// successful refresh they equal what the simulator's own records say:
// the records settled in the windows listed since the priming refresh,
// minus those already settled then.
func TestLoginsCountEachRecordOnceOnTheSimulator(t *testing.T) {
	r := newLoginsSimRig(t, 400, 13)
	lookback := time.Duration(r.opts.Lookback)
	mfs := r.mustSnap(t)
	primed := map[string]bool{}
	for _, rec := range r.sim.LoginRecords() {
		if settledSim(rec) && inWindow(rec, r.clock.now(), lookback) {
			primed[rec.TransactionID] = true
		}
	}
	if len(primed) == 0 {
		t.Fatal("nothing to prime with")
	}
	checkCounters(t, "priming", mfs, loginsTruth{})
	if v := loginValue(mfs, "workspace_login_records_tracked"); v != float64(len(primed)) {
		t.Errorf("priming tracked %v records, the simulator has %d settled", v, len(primed))
	}

	op := hwspec.OpListLoginRecords
	faults := []struct {
		f     simulator.Fault
		fails bool
	}{
		{},
		{simulator.Fault{Kind: simulator.FaultServerError, Operation: op, Count: 1, Offsets: []int{50}, Status: 503}, false}, // retried by the client
		{simulator.Fault{Kind: simulator.FaultDuplicate, Operation: op, Count: 1, Offsets: []int{50}}, false},                // walked again
		{simulator.Fault{Kind: simulator.FaultShortPage, Operation: op, Count: 1, Offsets: []int{0}}, false},                 // walked again
		{simulator.Fault{Kind: simulator.FaultTotalDrift, Operation: op, Count: 1, Offsets: []int{50}}, false},               // walked again
		{simulator.Fault{Kind: simulator.FaultServerError, Operation: op, Count: 1000, Offsets: []int{50}}, true},            // the walk fails
		{simulator.Fault{Kind: simulator.FaultServerError, Operation: hwspec.OpShowLoginUsers, Count: 1000}, true},           // fails after a complete walk
		{simulator.Fault{Kind: simulator.FaultIgnoreOffset, Operation: op, Count: 1, Offsets: []int{50}}, true},              // the walk fails
	}
	counted := map[string]hwsim.LoginRecord{}
	firstSeen := map[string]time.Time{}
	var failures, wantFailures, late int
	sawPending := false
	lastSuccess := r.clock.now()
	for i := range 36 {
		r.step(3)
		fault := faults[i%len(faults)]
		if fault.f.Kind != "" {
			r.sim.InjectFault(fault.f)
		}
		if fault.fails {
			wantFailures++
		}
		now := r.clock.now()
		recs := r.sim.LoginRecords()
		mfs, err := r.snap(t)
		r.sim.ClearFaults()
		if err != nil {
			failures++
			continue
		}
		for _, rec := range recs {
			if _, ok := firstSeen[rec.TransactionID]; !ok {
				firstSeen[rec.TransactionID] = now
				if !lastSuccess.Before(rec.Start) {
					late++ // the previous successful refresh, after its start, did not see it
				}
			}
			if settledSim(rec) && inWindow(rec, now, lookback) && !primed[rec.TransactionID] {
				if _, ok := counted[rec.TransactionID]; !ok {
					counted[rec.TransactionID] = rec
				}
			}
		}
		lastSuccess = now
		checkCounters(t, fmt.Sprintf("refresh %d", i), mfs, truthOf(counted))
		if loginValue(mfs, "workspace_login_records_pending") > 0 {
			sawPending = true
		}
		if t.Failed() {
			t.FailNow()
		}
	}
	// The test shows what it claims only if all of it happened.
	if len(counted) < 50 || failures != wantFailures || late == 0 || !sawPending {
		t.Errorf("counted %d, failed refreshes %d, late records %d, pending seen %v", len(counted), failures, late, sawPending)
	}
	if n := r.sim.RequestsByStatus(op)[503]; n == 0 {
		t.Error("no page was retried")
	}
	if n := strings.Count(r.clientLogs.String(), "walking it again"); n < 3 {
		t.Errorf("%d second walks, want at least 3:\n%s", n, r.clientLogs.String())
	}
}

// A restarted exporter (a new collector on the same API) primes again:
// it never counts what was there before it started, only what settles
// after, exactly once.
func TestLoginsRestartNeverInflates(t *testing.T) {
	r := newLoginsSimRig(t, 400, 29)
	lookback := time.Duration(r.opts.Lookback)
	r.mustSnap(t)
	r.step(20)
	before := countersOf(r.mustSnap(t))
	if before.success == 0 {
		t.Fatal("nothing counted before the restart")
	}
	refresh2, _, _ := r.newCollector(t)
	snap := func(refresh RefreshFunc) map[string]*dto.MetricFamily {
		s, err := refresh(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return renderSnapshot(t, s)
	}
	mfs := snap(refresh2)
	checkCounters(t, "after the restart", mfs, loginsTruth{})
	primed := map[string]bool{}
	for _, rec := range r.sim.LoginRecords() {
		if settledSim(rec) && inWindow(rec, r.clock.now(), lookback) {
			primed[rec.TransactionID] = true
		}
	}
	if got := loginValue(mfs, "workspace_login_records_tracked"); got != float64(len(primed)) {
		t.Errorf("the restarted collector tracks %v records, want %d", got, len(primed))
	}
	counted := map[string]hwsim.LoginRecord{}
	for range 5 {
		r.step(6)
		now := r.clock.now()
		for _, rec := range r.sim.LoginRecords() {
			if settledSim(rec) && inWindow(rec, now, lookback) && !primed[rec.TransactionID] {
				if _, ok := counted[rec.TransactionID]; !ok {
					counted[rec.TransactionID] = rec
				}
			}
		}
		checkCounters(t, "restarted", snap(refresh2), truthOf(counted))
		old := countersOf(r.mustSnap(t))
		if len(counted) > 0 && old.success+old.failure != before.success+before.failure+float64(len(counted)) {
			t.Errorf("the first collector counted %v, want %v + %d", old.success+old.failure, before.success+before.failure, len(counted))
		}
	}
	if len(counted) == 0 {
		t.Error("nothing settled after the restart: the test shows nothing")
	}
}

// The per-domain comparison: on a seeded fleet, every family of the
// logins collector equals what the simulator's record store says —
// counters, reasons, histograms, the records tracked and pending, and the
// login users of the current hour and day (distinct users with a
// successful login, from the same records).
func TestLoginsMatchTheSimulator(t *testing.T) {
	r := newLoginsSimRig(t, 2000, 17)
	lookback := time.Duration(r.opts.Lookback)
	r.mustSnap(t)
	primed := map[string]bool{}
	for _, rec := range r.sim.LoginRecords() {
		if settledSim(rec) && inWindow(rec, r.clock.now(), lookback) {
			primed[rec.TransactionID] = true
		}
	}
	counted := map[string]hwsim.LoginRecord{}
	var mfs map[string]*dto.MetricFamily
	var recs []hwsim.LoginRecord
	for range 6 {
		r.step(5)
		recs = r.sim.LoginRecords()
		for _, rec := range recs {
			if settledSim(rec) && inWindow(rec, r.clock.now(), lookback) && !primed[rec.TransactionID] {
				if _, ok := counted[rec.TransactionID]; !ok {
					counted[rec.TransactionID] = rec
				}
			}
		}
		mfs = r.mustSnap(t)
	}
	tr := truthOf(counted)
	checkCounters(t, "seeded fleet", mfs, tr)
	if tr.success == 0 || tr.failure == 0 || tr.reconnects == 0 {
		t.Errorf("the fleet made %d successes, %d failures, %d reconnects: each should occur", tr.success, tr.failure, tr.reconnects)
	}
	now := r.clock.now().UTC()
	var tracked, pending int
	hourUsers, dayUsers := map[string]bool{}, map[string]bool{}
	for _, rec := range recs {
		if inWindow(rec, now, lookback) {
			if settledSim(rec) {
				tracked++
			} else {
				pending++
			}
		}
		if rec.FailureReason == "" && !rec.Setup.IsZero() {
			if !rec.Start.Before(now.Truncate(time.Hour)) {
				hourUsers[rec.UserName] = true
			}
			if !rec.Start.Before(now.Truncate(24 * time.Hour)) {
				dayUsers[rec.UserName] = true
			}
		}
	}
	for name, want := range map[string]float64{
		"workspace_login_records_tracked": float64(tracked),
		"workspace_login_records_pending": float64(pending),
	} {
		if got := loginValue(mfs, name); got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	if got := loginValue(mfs, "workspace_login_users", "period=hour"); got != float64(len(hourUsers)) || got == 0 {
		t.Errorf("login users this hour = %v, want %d", got, len(hourUsers))
	}
	if got := loginValue(mfs, "workspace_login_users", "period=day"); got != float64(len(dayUsers)) {
		t.Errorf("login users today = %v, want %d", got, len(dayUsers))
	}
}

// A window holding more records than max_tracked_records fails the
// refresh visibly (workspace_collector_success 0, an error naming the
// option in the log) while the last complete data stays served.
func TestLoginsOverflowFailsVisibly(t *testing.T) {
	sim, url := startSim(t, 3000)
	logs := &lockedBuffer{}
	reg := prometheus.NewRegistry()
	m, err := NewManager(Options{Registerer: reg, Logger: slog.New(slog.NewTextHandler(logs, nil)), StartSpread: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	reg.MustRegister(m)
	var others []string
	for _, name := range Names() {
		if name != "logins" {
			others = append(others, name+": {enabled: false}")
		}
	}
	applyYAML(t, m, fmt.Sprintf(`targets:
  - name: sim
    provider: huaweicloud
    region: ap-southeast-3
    project_id: %s
    endpoint: %s
    credentials: %s
    collectors: {logins: {interval: 1h, max_tracked_records: 1000}, %s}
`, benchProject, url, benchCredentials, strings.Join(others, ", ")))
	gather := func() map[string]*dto.MetricFamily {
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]*dto.MetricFamily{}
		for _, mf := range mfs {
			out[mf.GetName()] = mf
		}
		return out
	}
	mfs := gather()
	tracked := loginValue(mfs, "workspace_login_records_tracked")
	if ok := loginValue(mfs, "workspace_collector_success", "collector=logins"); ok != 1 || tracked == 0 || tracked > 1000 {
		t.Fatalf("before: success %v, tracked %v", ok, tracked)
	}
	for i := 0; len(sim.LoginRecords()) <= 1000; i++ {
		if i > 500 {
			t.Fatal("the fleet does not make 1000 records")
		}
		sim.Step()
	}
	refreshAll(m)
	mfs = gather()
	if ok := loginValue(mfs, "workspace_collector_success", "collector=logins"); ok != 0 {
		t.Errorf("success = %v after the overflow, want 0", ok)
	}
	if got := loginValue(mfs, "workspace_login_records_tracked"); got != tracked {
		t.Errorf("tracked = %v, want the last data (%v) kept", got, tracked)
	}
	if !strings.Contains(logs.String(), "more than max_tracked_records (1000)") {
		t.Errorf("the error does not name the option:\n%s", logs.String())
	}
}

// Hostile answers to the login operations, end to end: each either fails
// the logins refresh while its last complete data stays served, or is
// skipped and counted; no secret fragment reaches the logs or /metrics.
func TestLoginsHostileAnswers(t *testing.T) {
	recOp, usersOp := hwspec.OpListLoginRecords, hwspec.OpShowLoginUsers
	cases := []struct {
		name  string
		fault simulator.Fault
		fails bool
		log   string
	}{
		{"records missing", simulator.Fault{Kind: simulator.FaultBadList, Operation: recOp, Probability: 1}, true, "list is missing"},
		{"records null", simulator.Fault{Kind: simulator.FaultBadList, Operation: recOp, Probability: 1, Variant: simulator.BadListNull}, true, "is null"},
		{"records object", simulator.Fault{Kind: simulator.FaultBadList, Operation: recOp, Probability: 1, Variant: simulator.BadListObject}, true, "not a list"},
		{"records oversized", simulator.Fault{Kind: simulator.FaultOversizedPage, Operation: recOp, Probability: 1, Items: 100_000}, true, "more than the 1000 items"},
		{"records short", simulator.Fault{Kind: simulator.FaultShortPage, Operation: recOp, Probability: 1}, true, "inconsistent"},
		{"records malformed", simulator.Fault{Kind: simulator.FaultMalformed, Operation: recOp, Probability: 1}, true, "ListLoginRecords"},
		{"records echo secret", simulator.Fault{Kind: simulator.FaultEchoSecret, Operation: recOp, Probability: 1, Status: 400}, true, "HTTP 400"},
		{"records junk", simulator.Fault{Kind: simulator.FaultJunkItems, Operation: recOp, Probability: 1, Items: 7}, false, "skipped list elements"},
		{"records flooded", simulator.Fault{Kind: simulator.FaultEnumFlood, Operation: recOp, Probability: 1}, false, ""},
		{"time_counts null", simulator.Fault{Kind: simulator.FaultBadList, Operation: usersOp, Probability: 1, Variant: simulator.BadListNull}, true, "is null"},
		{"time_counts string", simulator.Fault{Kind: simulator.FaultBadList, Operation: usersOp, Probability: 1, Variant: simulator.BadListString}, true, "not a list"},
		{"time_counts junk", simulator.Fault{Kind: simulator.FaultJunkItems, Operation: usersOp, Probability: 1, Items: 100}, true, "none of the"},
		{"time_counts oversized", simulator.Fault{Kind: simulator.FaultOversizedPage, Operation: usersOp, Probability: 1, Items: 1_000_000}, true, "over 1048576 bytes"},
		{"time_counts echo secret", simulator.Fault{Kind: simulator.FaultEchoSecret, Operation: usersOp, Probability: 1, Status: 401, Variant: simulator.EchoStart}, true, "HTTP 401"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHostileTargetWith(t, 1234, func(url string) string {
				return simYAMLCollectors(url, benchCredentials, hostileAPI,
					"desktops: {interval: 1h}, logins: {interval: 1h}"+othersDisabled("desktops", "logins"))
			})
			gather := func() map[string]*dto.MetricFamily {
				mfs, err := h.reg.Gather()
				if err != nil {
					t.Fatal(err)
				}
				out := map[string]*dto.MetricFamily{}
				for _, mf := range mfs {
					out[mf.GetName()] = mf
				}
				return out
			}
			mfs := gather()
			tracked := loginValue(mfs, "workspace_login_records_tracked")
			if ok := loginValue(mfs, "workspace_collector_success", "collector=logins"); ok != 1 || tracked == 0 {
				t.Fatalf("before: success %v, tracked %v", ok, tracked)
			}
			h.sim.InjectFault(c.fault)
			for range 3 {
				h.sim.Step()
			}
			refreshAll(h.m)
			mfs = gather()
			ok := loginValue(mfs, "workspace_collector_success", "collector=logins")
			switch {
			case c.fails && (ok != 0 || loginValue(mfs, "workspace_login_records_tracked") != tracked):
				t.Errorf("success %v, tracked %v; want a failure serving the last data (%v tracked)", ok, loginValue(mfs, "workspace_login_records_tracked"), tracked)
			case !c.fails && ok != 1:
				t.Errorf("success %v; want the answer skipped and counted", ok)
			}
			if c.fault.Kind == simulator.FaultJunkItems && !c.fails {
				if v := loginValue(mfs, "workspace_api_invalid_items_total", "operation="+recOp); v < 7 {
					t.Errorf("invalid items of %s = %v, want at least 7", recOp, v)
				}
			}
			if n := len(mfs["workspace_login_failures_total"].GetMetric()); n > defaultLoginsOptions().MaxFailureReasons+1 {
				t.Errorf("%d failure reason series", n)
			}
			logs := h.logs.String()
			if !strings.Contains(logs, c.log) {
				t.Errorf("the log does not say %q:\n%s", c.log, logs)
			}
			assertNoSecret(t, "the log", logs)
			assertNoSecret(t, "/metrics", h.exposition(t))
		})
	}
}
