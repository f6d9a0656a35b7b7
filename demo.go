package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/alecthomas/kingpin/v2"

	"github.com/workspace-exporter/workspace_exporter/client/huaweicloud"
	"github.com/workspace-exporter/workspace_exporter/collector"
	"github.com/workspace-exporter/workspace_exporter/config"
	"github.com/workspace-exporter/workspace_exporter/simulator"
	hwsim "github.com/workspace-exporter/workspace_exporter/simulator/huaweicloud"
)

type demoOptions struct {
	desktops int
	seed     int64
	churn    time.Duration
	interval time.Duration
	faults   string
}

func demoFlags(app *kingpin.Application) *demoOptions {
	o := &demoOptions{}
	app.Flag("demo.desktops", "Size of the simulated fleet in --demo mode.").Default("3000").IntVar(&o.desktops)
	app.Flag("demo.seed", "Seed of the simulated fleet in --demo mode.").Default("1").Int64Var(&o.seed)
	app.Flag("demo.churn-interval", "How often the simulated fleet changes in --demo mode.").Default("10s").DurationVar(&o.churn)
	app.Flag("demo.refresh-interval", "Refresh interval of the collectors in --demo mode.").Default("15s").DurationVar(&o.interval)
	app.Flag("demo.faults", `Faults the simulator injects in --demo mode, e.g. "throttle=0.05,server_error=0.01,latency=200ms:0.1". None by default.`).StringVar(&o.faults)
	return o
}

// startDemo starts the simulator on loopback with random credentials and
// points one target at it through the real, signing client.
func startDemo(ctx context.Context, mgr *collector.Manager, o demoOptions, logger *slog.Logger) (func(), error) {
	if o.desktops < 0 {
		return nil, fmt.Errorf("--demo.desktops must not be negative, got %d", o.desktops)
	}
	faults, err := simulator.ParseFaults(o.faults)
	if err != nil {
		return nil, fmt.Errorf("--demo.faults: %w", err)
	}
	ak, sk := randomHex(10), randomHex(20)
	project := randomHex(16)
	sim, err := hwsim.New(hwsim.Options{
		ProjectID:   project,
		Credentials: []simulator.Credential{{AccessKey: ak, SecretKey: sk}},
		Desktops:    o.desktops,
		Seed:        o.seed,
	})
	if err != nil {
		return nil, err
	}
	for i, f := range faults {
		if err := sim.CheckFault(f); err != nil { // e.g. enum_flood naming a field desktops lack
			return nil, fmt.Errorf("--demo.faults: fault %d: %w", i+1, err)
		}
		sim.InjectFault(f)
	}
	url, err := sim.Start("127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("starting the simulator: %w", err)
	}
	simCtx, stopSim := context.WithCancel(ctx)
	go sim.Run(simCtx, o.churn)

	// Every collector the provider has refreshes at the demo's interval, so
	// that the daily and session domains show data within minutes.
	enabled := true
	collectors := map[string]config.CollectorConfig{}
	for _, name := range config.CollectorNames() {
		if s, _ := config.CollectorSchemaOf(name); s.Capability == "" || slices.Contains(huaweicloudCapabilities(), s.Capability) {
			collectors[name] = config.CollectorConfig{Enabled: &enabled, Interval: config.Duration(o.interval)}
		}
	}
	cfg := &config.Config{Targets: []config.Target{{
		Name:     "demo",
		Provider: huaweicloud.ProviderName,
		Options:  &huaweicloud.TargetOptions{Region: "ap-southeast-3", ProjectID: project, Endpoint: url},
		Credentials: config.Credentials{
			AccessKey: config.Secret(ak),
			SecretKey: config.Secret(sk),
		},
		Collectors: collectors,
	}}}
	cfg, err = config.Validate(cfg, mgr.ConfigOptions())
	if err != nil {
		stopSim()
		_ = sim.Close()
		return nil, err
	}
	if err := mgr.Apply(cfg); err != nil {
		stopSim()
		_ = sim.Close()
		return nil, err
	}
	logger.Info("Demo mode: polling a simulated Huawei Cloud Workspace tenant", "endpoint", url, "desktops", o.desktops, "faults", o.faults)
	return func() {
		stopSim()
		_ = sim.Close()
	}, nil
}

// huaweicloudCapabilities are the capabilities the simulated provider has.
func huaweicloudCapabilities() []string {
	s, _ := config.ProviderSchemaOf(huaweicloud.ProviderName)
	return s.Capabilities
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
