package collector

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"reflect"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/workspace-exporter/workspace_exporter/client"
	"github.com/workspace-exporter/workspace_exporter/config"
	"github.com/workspace-exporter/workspace_exporter/provider"
)

// Options configure a Manager.
type Options struct {
	Logger *slog.Logger
	// Registerer receives the cross-scrape instruments (API request
	// counters, reload gauges). Required.
	Registerer prometheus.Registerer
	// UserAgent is sent to the cloud APIs.
	UserAgent string
	// ConfigOptions are passed to config validation (env and file readers).
	ConfigOptions config.Options
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// StartSpread bounds the random delay before a collector's first
	// refresh, which keeps many targets from starting in lock step;
	// default 2s, negative for none (tests).
	StartSpread time.Duration
}

// Manager owns the running targets. It is a prometheus.Collector that
// reports every target's snapshots and freshness, and it applies new
// configurations (initial load and reloads) without losing the data of
// targets whose configuration did not change.
type Manager struct {
	opts Options
	log  *slog.Logger
	api  *apiMetrics
	ctx  context.Context
	stop context.CancelFunc

	mu      sync.RWMutex
	targets []*target

	// renderMu serialises republish; expo is its latest result. published
	// counts the changes asked to be rendered, rendered (under renderMu)
	// those the latest render covers.
	renderMu  sync.Mutex
	expo      atomic.Pointer[Exposition]
	published atomic.Uint64
	rendered  uint64
	lastFreed time.Time

	reloadMu          sync.Mutex
	reloadTimeout     time.Duration
	reloadSuccess     prometheus.Gauge
	reloadSuccessTime prometheus.Gauge
}

// NewManager creates a Manager with no targets and registers its
// instruments.
func NewManager(opts Options) (*Manager, error) {
	if opts.Registerer == nil {
		return nil, errors.New("collector: a Registerer is required")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	switch {
	case opts.StartSpread == 0:
		opts.StartSpread = 2 * time.Second
	case opts.StartSpread < 0:
		opts.StartSpread = 0
	}
	ctx, cancel := context.WithCancel(context.Background())
	m := &Manager{
		opts:          opts,
		log:           opts.Logger,
		api:           newAPIMetrics(),
		ctx:           ctx,
		stop:          cancel,
		reloadTimeout: ReloadTimeout,
		reloadSuccess: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: Namespace, Name: "config_last_reload_successful",
			Help: "1 when the latest attempt to load the configuration file succeeded, 0 when it failed (the previous configuration keeps running).",
		}),
		reloadSuccessTime: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: Namespace, Name: "config_last_reload_success_timestamp_seconds",
			Help: "Unix time of the latest successful configuration load.",
		}),
	}
	for _, c := range []prometheus.Collector{m.api, m.reloadSuccess, m.reloadSuccessTime} {
		if err := opts.Registerer.Register(c); err != nil {
			cancel()
			return nil, fmt.Errorf("collector: registering metrics: %w", err)
		}
	}
	return m, nil
}

// ConfigOptions returns the validation options.
func (m *Manager) ConfigOptions() config.Options { return m.opts.ConfigOptions }

// LoadFile reads, validates and applies a configuration file, recording
// the outcome in the reload metrics. On any error the running
// configuration is kept.
func (m *Manager) LoadFile(path string) error {
	m.reloadMu.Lock()
	defer m.reloadMu.Unlock()
	cfg, err := m.readConfig(path)
	if err == nil {
		err = m.apply(cfg)
	}
	m.recordReload(err)
	return err
}

// ReloadTimeout bounds reading and validating a configuration file and
// its credential files.
const ReloadTimeout = 30 * time.Second

// readConfig loads the file under ReloadTimeout, so a reload can never
// hang: config files are read without blocking, and this is the belt to
// those braces.
func (m *Manager) readConfig(path string) (*config.Config, error) {
	type result struct {
		cfg *config.Config
		err error
	}
	done := make(chan result, 1)
	go func() {
		cfg, err := config.LoadFile(path, m.ConfigOptions())
		done <- result{cfg, err}
	}()
	timer := time.NewTimer(m.reloadTimeout)
	defer timer.Stop()
	select {
	case r := <-done:
		return r.cfg, r.err
	case <-timer.C:
		return nil, fmt.Errorf("reading the configuration %s did not finish within %s; the previous configuration keeps running", path, m.reloadTimeout)
	}
}

// Apply applies an already validated configuration (used by --demo),
// recording the outcome in the reload metrics.
func (m *Manager) Apply(cfg *config.Config) error {
	m.reloadMu.Lock()
	defer m.reloadMu.Unlock()
	err := m.apply(cfg)
	m.recordReload(err)
	return err
}

func (m *Manager) recordReload(err error) {
	if err != nil {
		m.reloadSuccess.Set(0)
		return
	}
	m.reloadSuccess.Set(1)
	m.reloadSuccessTime.Set(float64(m.opts.Now().UnixNano()) / 1e9)
}

// apply builds every new or changed target first; only when all of them
// could be built does it swap them in, stop the replaced ones and start
// the new ones. Unchanged targets keep running with their data; a target
// whose only change is its credentials (inline, environment or file
// content) keeps running too, with the new keys swapped in, so its series
// never disappear.
func (m *Manager) apply(cfg *config.Config) error {
	m.mu.RLock()
	old := map[string]*target{}
	for _, t := range m.targets {
		old[t.cfg.Name] = t
	}
	m.mu.RUnlock()

	type rotation struct {
		t    *target
		cfg  config.Target
		cred config.Resolved
	}
	var next, started []*target
	var rotate []rotation
	var errs []error
	keep := map[*target]bool{}
	for _, tc := range cfg.Targets {
		cred, err := tc.Credentials.Resolve(m.opts.ConfigOptions)
		if err != nil {
			errs = append(errs, fmt.Errorf("target %q: credentials.%w", tc.Name, err))
			continue
		}
		fp := fingerprint(cred)
		if t, ok := old[tc.Name]; ok && sameExceptCredentials(t.cfg, tc) {
			next = append(next, t)
			keep[t] = true
			if cur := t.creds.Load(); cur.fp != fp || !reflect.DeepEqual(cur.cfg, tc.Credentials) {
				rotate = append(rotate, rotation{t, tc, cred})
			}
			continue
		}
		t, err := m.buildTarget(tc, cred)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		next = append(next, t)
		started = append(started, t)
	}
	for _, w := range cfg.Warnings {
		m.log.Warn("configuration warning", "warning", w)
	}
	// Check every rotation before changing anything.
	if len(errs) == 0 {
		for _, r := range rotate {
			if err := r.t.client.SetCredentials(providerCredentials(r.cred)); err != nil {
				errs = append(errs, fmt.Errorf("target %q: new credentials: %w", r.cfg.Name, err))
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		for _, t := range started {
			t.client.Close()
		}
		return err
	}
	for _, r := range rotate {
		r.t.creds.Store(&credState{cfg: r.cfg.Credentials, fp: fingerprint(r.cred)})
		m.log.Info("credentials changed; swapped in place", "target", r.cfg.Name)
	}
	m.mu.Lock()
	prev := m.targets
	m.targets = next
	m.mu.Unlock()
	for _, t := range prev {
		if !keep[t] {
			t.stop()
			t.client.Close()
			if _, still := findTarget(next, t.cfg.Name); !still {
				m.api.forget(t.cfg.Name)
			}
		}
	}
	m.republish()
	for _, t := range started {
		t.start(m.ctx)
	}
	for _, t := range started {
		names := make([]string, len(t.runners))
		for i, r := range t.runners {
			names[i] = r.name
		}
		m.log.Info("target started", "target", t.cfg.Name, "provider", t.cfg.Provider, "collectors", strings.Join(names, ","),
			"not_available_for_provider", strings.Join(t.unavailable, ","))
	}
	m.log.Info("configuration applied", "targets", len(next), "started", len(started), "unchanged", len(keep)-len(rotate), "credentials_rotated", len(rotate))
	return nil
}

// sameExceptCredentials reports whether two target configurations differ
// at most in their credentials.
func sameExceptCredentials(a, b config.Target) bool {
	a.Credentials, b.Credentials = config.Credentials{}, config.Credentials{}
	return reflect.DeepEqual(a, b)
}

func findTarget(ts []*target, name string) (*target, bool) {
	for _, t := range ts {
		if t.cfg.Name == name {
			return t, true
		}
	}
	return nil, false
}

// fingerprint identifies resolved credentials without keeping them, so a
// reload notices a rotated key file.
func fingerprint(c config.Resolved) [32]byte {
	return sha256.Sum256([]byte(c.AccessKey.Reveal() + "\x00" + c.SecretKey.Reveal() + "\x00" + c.SecurityToken.Reveal()))
}

func (m *Manager) buildTarget(tc config.Target, cred config.Resolved) (*target, error) {
	tlog := m.log.With("target", tc.Name)
	hc, err := client.NewHTTPClient(tc.TLSConfig, tc.ProxyConfig, tc.Name)
	if err != nil {
		return nil, fmt.Errorf("target %q: tls_config or proxy: %w", tc.Name, err)
	}
	pc, err := provider.New(tc, providerCredentials(cred), provider.Deps{
		HTTPClient: hc, Observer: m.api.observer(tc.Name), Logger: tlog, UserAgent: m.opts.UserAgent,
	})
	if err != nil {
		hc.CloseIdleConnections()
		return nil, err
	}
	m.api.initTarget(tc.Name, pc.Operations())
	t := &target{cfg: tc, client: pc}
	t.creds.Store(&credState{cfg: tc.Credentials, fp: fingerprint(cred)})
	for _, name := range Names() {
		cc, available := tc.Collectors[name]
		if !available {
			t.unavailable = append(t.unavailable, name)
			continue
		}
		if !cc.IsEnabled() {
			continue
		}
		clog := tlog.With("collector", name)
		refresh, err := registry[name].New(pc, cc.Options, clog)
		if err != nil {
			pc.Close()
			return nil, fmt.Errorf("target %q: collector %q: %w", tc.Name, name, err)
		}
		t.runners = append(t.runners, &runner{
			target: tc.Name, name: name, interval: time.Duration(cc.Interval), refresh: refresh, startSpread: m.opts.StartSpread, publish: m.republish,
			logger: clog, firstDone: make(chan struct{}), now: m.opts.Now,
		})
	}
	return t, nil
}

func providerCredentials(c config.Resolved) provider.Credentials {
	return provider.Credentials{AccessKey: c.AccessKey.Reveal(), SecretKey: c.SecretKey.Reveal(), SecurityToken: c.SecurityToken.Reveal()}
}

// Ready reports whether every collector of every target has finished its
// first refresh attempt, so a scrape shows data rather than nothing.
func (m *Manager) Ready() bool {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if len(m.targets) == 0 {
		return false
	}
	for _, t := range m.targets {
		for _, r := range t.runners {
			select {
			case <-r.firstDone:
			default:
				return false
			}
		}
	}
	return true
}

// Readiness reports whether every enabled collector of every target has
// finished its first refresh attempt (ready), and names, as
// "target/collector", the collectors that have no data to serve: those
// still in their first refresh and those whose every refresh failed so far.
// With no target configured it is not ready.
func (m *Manager) Readiness() (ready bool, noData []string) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	ready = len(m.targets) > 0
	for _, t := range m.targets {
		for _, r := range t.runners {
			select {
			case <-r.firstDone:
			default:
				ready = false
			}
			if st := r.cur.Load(); st == nil || !st.hasData {
				noData = append(noData, t.cfg.Name+"/"+r.name)
			}
		}
	}
	return ready, noData
}

// WaitReady blocks until Ready or the context ends.
func (m *Manager) WaitReady(ctx context.Context) error {
	for !m.Ready() {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
	return nil
}

// Close stops every target.
func (m *Manager) Close() {
	m.stop()
	m.mu.Lock()
	ts := m.targets
	m.targets = nil
	m.mu.Unlock()
	for _, t := range ts {
		t.stop()
		t.client.Close()
	}
}

// Exposition returns the latest rendered exposition of every target's
// snapshots and health metrics: what /metrics serves, shared by every
// scrape. It is never nil.
func (m *Manager) Exposition() *Exposition {
	if e := m.expo.Load(); e != nil {
		return e
	}
	return emptyExposition
}

// republish renders every target's health metrics beside the latest
// rendered snapshots of its collectors into one Exposition and publishes
// it. It runs after each refresh and each configuration change; a scrape
// never renders.
//
// Calls coalesce: a call whose change an already finished render covered
// returns at once, so many collectors finishing together render once or
// twice, not once each. The gzip form is computed here too, so no scrape
// waits for it.
func (m *Manager) republish() {
	want := m.published.Add(1)
	m.renderMu.Lock()
	defer m.renderMu.Unlock()
	if m.rendered >= want {
		return
	}
	// Every state published before this load is read below.
	covers := m.published.Load()
	m.mu.RLock()
	ts := m.targets
	m.mu.RUnlock()
	b := NewBuilder()
	parts := make([]Families, 0, 1+len(ts))
	for _, t := range ts {
		name := t.cfg.Name
		region, project := t.cfg.InfoLabels()
		b.Add(targetInfoDesc, 1, name, t.cfg.Provider, region, project)
		up := 1.0
		for _, r := range t.runners {
			b.Add(collectorIntervalDesc, r.interval.Seconds(), name, r.name)
			st := r.cur.Load()
			if st == nil {
				up = 0
				continue
			}
			if !st.success {
				up = 0
			}
			b.Add(collectorSuccessDesc, b2f(st.success), name, r.name)
			b.Add(collectorDurationDesc, st.duration, name, r.name)
			if !st.lastSuccess.IsZero() {
				b.Add(collectorLastSuccessDesc, float64(st.lastSuccess.UnixNano())/1e9, name, r.name)
			}
			parts = append(parts, st.families)
		}
		b.Add(upDesc, up, name)
	}
	parts = append(parts, b.Families())
	e := Render(parts...)
	if e.Dropped() > 0 {
		m.log.Error("series rendered twice were dropped from the exposition", "dropped", e.Dropped(), "problems", strings.Join(e.Problems(), "; "))
	}
	e.Gzip()
	m.expo.Store(e)
	m.rendered = covers
	// A large refresh leaves hundreds of MB of garbage (decoded pages)
	// that the runtime would keep from the OS for minutes: hand it back,
	// at most once a minute, so the resident size is what is in use.
	if len(e.Text()) >= freeOSMemoryAbove && time.Since(m.lastFreed) > time.Minute {
		debug.FreeOSMemory()
		m.lastFreed = time.Now()
	}
}

// freeOSMemoryAbove is the exposition size from which a publish returns
// freed memory to the OS (about 15,000 desktops with per-desktop series).
const freeOSMemoryAbove = 8 << 20

// Describe implements prometheus.Collector. The Manager is an unchecked
// collector: its label values (new enum values) are not known in advance.
func (m *Manager) Describe(chan<- *prometheus.Desc) {}

// Collect implements prometheus.Collector by parsing the latest
// exposition back into metrics, for embedding the Manager in a
// prometheus.Registry and for tests (testutil). /metrics does not use it:
// it writes the exposition's bytes.
func (m *Manager) Collect(ch chan<- prometheus.Metric) { collectText(ch, m.Exposition().Text()) }

// collectText sends the metrics of a text exposition as const metrics.
func collectText(ch chan<- prometheus.Metric, text []byte) {
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(bytes.NewReader(text))
	if err != nil {
		ch <- prometheus.NewInvalidMetric(prometheus.NewInvalidDesc(err), err)
		return
	}
	for _, mf := range mfs {
		typ := prometheus.UntypedValue
		switch mf.GetType() {
		case dto.MetricType_GAUGE:
			typ = prometheus.GaugeValue
		case dto.MetricType_COUNTER:
			typ = prometheus.CounterValue
		}
		for _, mt := range mf.GetMetric() {
			names := make([]string, len(mt.GetLabel()))
			values := make([]string, len(mt.GetLabel()))
			for i, l := range mt.GetLabel() {
				names[i], values[i] = l.GetName(), l.GetValue()
			}
			desc := prometheus.NewDesc(mf.GetName(), mf.GetHelp(), names, nil)
			if h := mt.GetHistogram(); mf.GetType() == dto.MetricType_HISTOGRAM && h != nil {
				buckets := map[float64]uint64{}
				for _, b := range h.GetBucket() {
					if !math.IsInf(b.GetUpperBound(), +1) {
						buckets[b.GetUpperBound()] = b.GetCumulativeCount()
					}
				}
				ch <- prometheus.MustNewConstHistogram(desc, h.GetSampleCount(), h.GetSampleSum(), buckets, values...)
				continue
			}
			v := mt.GetGauge().GetValue() + mt.GetCounter().GetValue() + mt.GetUntyped().GetValue()
			ch <- prometheus.MustNewConstMetric(desc, typ, v, values...)
		}
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
