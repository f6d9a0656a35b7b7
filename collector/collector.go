// Package collector runs the exporter's collectors and turns their results
// into Prometheus metrics.
//
// A collector covers one API domain (desktops, and later connections,
// quotas, alarms, …) and registers itself from its own file with
// registerCollector. For every configured target and every enabled
// collector, a runner refreshes in the background on the collector's own
// interval (with jitter) and publishes an immutable Snapshot. Collect only
// turns the latest snapshots into const metrics: a scrape never calls a
// cloud API, so scrapes are fast and API load does not grow with the number
// of scrapers. A failed refresh keeps the last complete snapshot and shows
// up in workspace_collector_success and
// workspace_collector_last_success_timestamp_seconds.
package collector

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/workspace-exporter/workspace_exporter/config"
	"github.com/workspace-exporter/workspace_exporter/provider"
)

// Namespace prefixes every metric name.
const Namespace = "workspace"

// Snapshot is the immutable result of one successful refresh.
type Snapshot interface {
	// Render adds the snapshot's series, labelled with the target, to b.
	// It runs once per refresh; scrapes serve the rendered text.
	Render(b *Builder, target string)
}

// RefreshFunc fetches a complete snapshot, or fails without a partial one.
type RefreshFunc func(ctx context.Context) (Snapshot, error)

// Factory builds a collector's refresh function for one target. api is the
// target's provider client, which implements the model capability the
// collector requires; opts is the collector's options (what its
// NewOptions returns, decoded and validated), nil when it has none.
type Factory func(api provider.Client, opts any, logger *slog.Logger) (RefreshFunc, error)

// Collector describes one collector to the framework.
type Collector struct {
	Name            string
	DefaultEnabled  bool
	DefaultInterval time.Duration
	// Capability is what the collector needs of a provider
	// (model.Capability…); targets of providers without it have no such
	// collector, and enabling it for them is a configuration error.
	Capability string
	// NewOptions returns a pointer to the collector's options with their
	// defaults; nil when it has none. The configuration decodes them
	// strictly from the collector's block.
	NewOptions func() any
	New        Factory
	// Families are the descriptions of the collector's metrics (for the
	// METRICS.md test).
	Families []*FamilyDesc
}

var registry = map[string]Collector{}

// registerCollector is called from each collector file's init. It also
// registers the collector's schema with the configuration.
func registerCollector(c Collector) {
	if _, dup := registry[c.Name]; dup {
		panic("collector registered twice: " + c.Name)
	}
	registry[c.Name] = c
	config.RegisterCollector(c.Name, config.CollectorSchema{
		DefaultEnabled:  c.DefaultEnabled,
		DefaultInterval: c.DefaultInterval,
		Capability:      c.Capability,
		NewOptions:      c.NewOptions,
	})
}

// Names lists the registered collectors, sorted.
func Names() []string {
	out := make([]string, 0, len(registry))
	for n := range registry {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// state is what a runner publishes after each refresh attempt.
type state struct {
	// families are the last complete snapshot, rendered with the target
	// label (the snapshot itself is not kept); hasData is false before
	// the first success.
	families    Families
	hasData     bool
	success     bool      // the latest attempt succeeded
	duration    float64   // seconds taken by the latest attempt
	lastSuccess time.Time // end of the latest successful attempt
	attempts    uint64
}

// runner refreshes one collector of one target.
type runner struct {
	target   string
	name     string
	interval time.Duration
	refresh  RefreshFunc
	logger   *slog.Logger
	cur      atomic.Pointer[state]
	// startSpread bounds the random delay before the first refresh.
	startSpread time.Duration
	// publish is called after each new state (the Manager re-renders).
	publish func()
	// firstDone is closed after the first refresh attempt.
	firstDone chan struct{}
	now       func() time.Time
}

func (r *runner) run(ctx context.Context) {
	// Spread targets a little so several do not start in lock step.
	if !r.sleep(ctx, time.Duration(rand.Int64N(int64(min(r.interval/20, r.startSpread))+1))) {
		close(r.firstDone)
		return
	}
	r.refreshOnce(ctx)
	close(r.firstDone)
	for {
		// ±10% jitter keeps many targets from synchronising on the API.
		jitter := time.Duration(rand.Int64N(int64(r.interval/5)+1)) - r.interval/10
		if !r.sleep(ctx, r.interval+jitter) {
			return
		}
		r.refreshOnce(ctx)
	}
}

func (r *runner) sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// refreshOnce runs one refresh under a deadline of one interval and
// publishes the outcome.
func (r *runner) refreshOnce(ctx context.Context) {
	rctx, cancel := context.WithTimeout(ctx, max(r.interval, 30*time.Second))
	defer cancel()
	start := r.now()
	fams, err := r.safeRefresh(rctx)
	end := r.now()
	prev := r.cur.Load()
	next := &state{duration: end.Sub(start).Seconds()}
	if prev != nil {
		next.hasData, next.families, next.lastSuccess, next.attempts = prev.hasData, prev.families, prev.lastSuccess, prev.attempts
	}
	next.attempts++
	if ctx.Err() != nil {
		return // shutting down: keep what we had
	}
	switch {
	case err != nil && next.hasData:
		r.logger.Error("refresh failed; serving the last complete data", "err", err, "duration_seconds", next.duration,
			"data_age_seconds", end.Sub(next.lastSuccess).Round(time.Second).Seconds())
	case err != nil:
		r.logger.Error("refresh failed; no data to serve yet", "err", err, "duration_seconds", next.duration)
	default:
		next.hasData, next.families, next.success, next.lastSuccess = true, fams, true, end
		r.logger.Debug("refresh succeeded", "duration_seconds", next.duration, "series", fams.Series())
		if fams.Dropped() > 0 {
			r.logger.Error("the collector rendered duplicate series; they were dropped", "dropped", fams.Dropped())
		}
	}
	r.cur.Store(next)
	if r.publish != nil {
		r.publish()
	}
}

// safeRefresh refreshes and renders the snapshot once, turning a
// panicking collector into an error.
func (r *runner) safeRefresh(ctx context.Context) (fams Families, err error) {
	defer func() {
		if p := recover(); p != nil {
			fams, err = Families{}, fmt.Errorf("collector panicked: %v", p)
		}
	}()
	snap, err := r.refresh(ctx)
	if err == nil && snap == nil {
		err = errors.New("collector returned no snapshot")
	}
	if err != nil {
		return Families{}, err
	}
	b := NewBuilder()
	snap.Render(b, r.target)
	return b.Families(), nil
}

// target is one configured target with its runners.
type target struct {
	// cfg is never written after the target is built (scrapes read it
	// unlocked); its Credentials are those it was built with.
	cfg config.Target
	// creds are the credentials in use, swapped by a rotation.
	creds   atomic.Pointer[credState]
	client  provider.Client
	runners []*runner
	// unavailable are the registered collectors its provider cannot serve.
	unavailable []string
	cancel      context.CancelFunc
	done        sync.WaitGroup
}

// credState identifies the credentials a target signs with: their
// configuration and a fingerprint of the resolved values.
type credState struct {
	cfg config.Credentials
	fp  [32]byte
}

func (t *target) start(parent context.Context) {
	ctx, cancel := context.WithCancel(parent)
	t.cancel = cancel
	for _, r := range t.runners {
		t.done.Add(1)
		go func() {
			defer t.done.Done()
			r.run(ctx)
		}()
	}
}

func (t *target) stop() {
	if t.cancel != nil {
		t.cancel()
	}
	t.done.Wait()
}

// The exporter's own per-target and per-collector metrics, rendered at
// each publish beside the snapshots.
var (
	upDesc = NewFamilyDesc(Namespace+"_up",
		"1 when the latest refresh of every enabled collector of the target succeeded, 0 otherwise.",
		prometheus.GaugeValue, "target")
	targetInfoDesc = NewFamilyDesc(Namespace+"_target_info",
		"Configured targets: the cloud provider, region and project of each. Always 1.",
		prometheus.GaugeValue, "target", "provider", "region", "project_id")
	collectorSuccessDesc = NewFamilyDesc(Namespace+"_collector_success",
		"1 when the latest background refresh of the collector succeeded, 0 when it failed (the last complete data is still served).",
		prometheus.GaugeValue, "target", "collector")
	collectorDurationDesc = NewFamilyDesc(Namespace+"_collector_duration_seconds",
		"Seconds the latest background refresh of the collector took, successful or not.",
		prometheus.GaugeValue, "target", "collector")
	collectorIntervalDesc = NewFamilyDesc(Namespace+"_collector_interval_seconds",
		"Configured refresh interval of the collector, so that staleness alerts can scale with it.",
		prometheus.GaugeValue, "target", "collector")
	collectorLastSuccessDesc = NewFamilyDesc(Namespace+"_collector_last_success_timestamp_seconds",
		"Unix time at which the collector's served data was fetched (end of its latest successful refresh).",
		prometheus.GaugeValue, "target", "collector")
)

// healthFamilies are the descriptions of those metrics.
var healthFamilies = []*FamilyDesc{upDesc, targetInfoDesc, collectorSuccessDesc, collectorDurationDesc, collectorIntervalDesc, collectorLastSuccessDesc}
