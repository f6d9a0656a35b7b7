// Command workspace_exporter exports the state of cloud desktop fleets
// (Huawei Cloud Workspace) as Prometheus metrics. This file holds flags and
// wiring only.
package main

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/alecthomas/kingpin/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	versioncollector "github.com/prometheus/client_golang/prometheus/collectors/version"
	"github.com/prometheus/common/promslog"
	"github.com/prometheus/common/promslog/flag"
	"github.com/prometheus/common/version"
	"github.com/prometheus/exporter-toolkit/web"
	"github.com/prometheus/exporter-toolkit/web/kingpinflag"

	// Providers register themselves with the configuration and the
	// collector framework.
	_ "github.com/workspace-exporter/workspace_exporter/client/huaweicloud"
	"github.com/workspace-exporter/workspace_exporter/collector"
	"github.com/workspace-exporter/workspace_exporter/config"
)

const (
	programName = "workspace_exporter"
	// defaultAddress: the Prometheus default-port list's 9100-9999 range is
	// exhausted; 10078 was free in the copies of the list we checked.
	defaultAddress = ":10078"
)

// versionFile is the release version, used when the build did not set
// version.Version with -ldflags (go build, go run, go install).
//
//go:embed VERSION
var versionFile string

func main() {
	info, _ := debug.ReadBuildInfo()
	stampVersion(versionFile, info)
	os.Exit(run(os.Args[1:]))
}

// stampVersion fills in the build information that -ldflags did not set:
// the version from the VERSION file, the revision and date from the VCS
// stamp of the Go build (info may be nil).
func stampVersion(embedded string, info *debug.BuildInfo) {
	if version.Version == "" {
		version.Version = strings.TrimSpace(embedded)
	}
	if version.Revision == "" {
		// The vcs.revision stamp, "-modified" when the tree was dirty, or "unknown".
		version.Revision = version.GetRevision()
	}
	if version.BuildDate != "" || info == nil {
		return
	}
	for _, s := range info.Settings {
		if s.Key != "vcs.time" {
			continue
		}
		if t, err := time.Parse(time.RFC3339, s.Value); err == nil {
			version.BuildDate = t.UTC().Format("20060102-15:04:05") // the Makefile's format
		}
	}
}

func run(args []string) int {
	app := kingpin.New(programName, "Prometheus exporter for cloud desktop fleets (Huawei Cloud Workspace).")
	var (
		metricsPath       = app.Flag("web.telemetry-path", "Path under which to expose metrics.").Default("/metrics").String()
		noExporter        = app.Flag("web.disable-exporter-metrics", "Exclude the exporter's own process and Go runtime metrics (promhttp_*, process_*, go_*).").Bool()
		maxRequests       = app.Flag("web.max-requests", "Maximum number of parallel scrape requests; more get 503 at once. 0 disables the limit.").Default("40").Int()
		readHeaderTimeout = app.Flag("web.read-header-timeout", "Maximum time a client may take to send the request headers.").Default("10s").Duration()
		writeTimeout      = app.Flag("web.write-timeout", "Maximum time to answer a request, from the end of its headers. Must be at least as long as the slowest scrape: a scrape writes pre-rendered bytes, so it takes about as long as sending them (52 MB at 100,000 desktops with per-desktop series; 7.6 MB gzipped) to the slowest scraper.").Default("2m").Duration()
		idleTimeout       = app.Flag("web.idle-timeout", "Time after which an idle keep-alive connection is closed.").Default("2m").Duration()
		configFile        = app.Flag("config.file", "Path of the configuration file.").Default("workspace_exporter.yml").String()
		configCheck       = app.Flag("config.check", "Validate the configuration file, print the problems found and exit (0 when valid).").Bool()
		demo              = app.Flag("demo", "Run against a built-in simulated Huawei Cloud Workspace tenant on loopback (no account or configuration file needed).").Bool()
		demoOpts          = demoFlags(app)
		webFlags          = kingpinflag.AddFlags(app, defaultAddress)
		logConfig         = &promslog.Config{}
	)
	flag.AddFlags(app, logConfig)
	app.Version(version.Print(programName))
	app.HelpFlag.Short('h')
	if _, err := app.Parse(args); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", programName, err)
		return 2
	}
	for _, d := range []struct {
		flag  string
		value time.Duration
	}{{"web.read-header-timeout", *readHeaderTimeout}, {"web.write-timeout", *writeTimeout}, {"web.idle-timeout", *idleTimeout}} {
		if d.value <= 0 {
			fmt.Fprintf(os.Stderr, "%s: --%s must be positive, got %s\n", programName, d.flag, d.value)
			return 2
		}
	}
	logger := promslog.New(logConfig)

	if *configCheck {
		return checkConfig(*configFile)
	}

	logger.Info("Starting "+programName, "version", version.Info())
	logger.Info("Build context", "build_context", version.BuildContext())

	// reg: the exporter's build info and the Manager's API and reload
	// instruments; the Manager's snapshots are collected per scrape by
	// collector.NewHandler. exporterReg: process, Go and promhttp metrics.
	reg := prometheus.NewRegistry()
	reg.MustRegister(versioncollector.NewCollector(programName))
	exporterReg := prometheus.NewRegistry()
	var handlerMetrics prometheus.Registerer
	if !*noExporter {
		exporterReg.MustRegister(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}), collectors.NewGoCollector())
		handlerMetrics = exporterReg
	}

	mgr, err := collector.NewManager(collector.Options{
		Logger:     logger,
		Registerer: reg,
		UserAgent:  version.ComponentUserAgent(programName),
	})
	if err != nil {
		logger.Error("Cannot set up collectors", "err", err)
		return 1
	}
	defer mgr.Close()

	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()

	load := func() error { return mgr.LoadFile(*configFile) }
	if *demo {
		stopDemo, err := startDemo(ctx, mgr, *demoOpts, logger)
		if err != nil {
			logger.Error("Cannot start the demo", "err", err)
			return 1
		}
		defer stopDemo()
		load = func() error { return errors.New("demo mode has no configuration file to reload") }
	} else if err := load(); err != nil {
		logger.Error("Cannot load the configuration", "err", err)
		return 1
	}
	reload := func() error {
		if err := load(); err != nil {
			logger.Error("Configuration reload failed; the previous configuration keeps running", "err", err)
			return err
		}
		logger.Info("Configuration reloaded")
		return nil
	}

	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	go func() {
		for range hup {
			_ = reload()
		}
	}()

	mux := http.NewServeMux()
	mux.Handle(*metricsPath, collector.NewHandler(mgr, prometheus.Gatherers{exporterReg, reg}, collector.HandlerOpts{
		Logger:              logger,
		MaxRequestsInFlight: *maxRequests,
		Registry:            handlerMetrics,
	}))
	mux.HandleFunc("/-/healthy", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "Healthy")
	})
	mux.Handle("/-/ready", collector.ReadyHandler(mgr))
	mux.Handle("/-/reload", collector.ReloadHandler(reload))
	if *metricsPath != "/" {
		landing, err := web.NewLandingPage(web.LandingConfig{
			Name:        programName,
			Description: "Prometheus exporter for cloud desktop fleets (Huawei Cloud Workspace)",
			Version:     version.Info(),
			Links: []web.LandingLinks{
				{Address: *metricsPath, Text: "Metrics"},
				{Address: "/-/healthy", Text: "Health"},
				{Address: "/-/ready", Text: "Readiness"},
			},
			Profiling: "false", // no /debug/pprof handlers here
		})
		if err != nil {
			logger.Error("Cannot build the landing page", "err", err)
			return 1
		}
		mux.Handle("/", landing)
	}

	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: *readHeaderTimeout,
		WriteTimeout:      *writeTimeout,
		IdleTimeout:       *idleTimeout,
	}
	go func() {
		<-ctx.Done()
		sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer scancel()
		_ = srv.Shutdown(sctx)
	}()
	if err := web.ListenAndServe(srv, webFlags, logger); err != nil && !errors.Is(err, http.ErrServerClosed) {
		logger.Error("HTTP server failed", "err", err)
		return 1
	}
	logger.Info("Shut down")
	return 0
}

// checkConfig implements --config.check.
func checkConfig(path string) int {
	cfg, err := config.LoadFile(path, config.Options{})
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: configuration is invalid:\n%v\n", programName, err)
		return 1
	}
	n := len(cfg.Targets)
	plural := "s"
	if n == 1 {
		plural = ""
	}
	fmt.Printf("%s: configuration %s is valid (%d target%s)\n", programName, path, n, plural)
	for _, w := range cfg.Warnings {
		fmt.Fprintf(os.Stderr, "%s: warning: %s\n", programName, w)
	}
	return 0
}
