// Command workspace_exporter exports the state of cloud desktop fleets
// (Huawei Cloud Workspace) as Prometheus metrics. This file holds flags and
// wiring only.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/alecthomas/kingpin/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	versioncollector "github.com/prometheus/client_golang/prometheus/collectors/version"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/common/promslog"
	"github.com/prometheus/common/promslog/flag"
	"github.com/prometheus/common/version"
	"github.com/prometheus/exporter-toolkit/web"
	"github.com/prometheus/exporter-toolkit/web/kingpinflag"

	"github.com/workspace-exporter/workspace_exporter/collector"
	"github.com/workspace-exporter/workspace_exporter/config"
)

const (
	programName = "workspace_exporter"
	// defaultAddress: the Prometheus default-port list's 9100-9999 range is
	// exhausted; 10078 was free in the copies of the list we checked.
	defaultAddress = ":10078"
)

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	app := kingpin.New(programName, "Prometheus exporter for cloud desktop fleets (Huawei Cloud Workspace).")
	var (
		metricsPath = app.Flag("web.telemetry-path", "Path under which to expose metrics.").Default("/metrics").String()
		noExporter  = app.Flag("web.disable-exporter-metrics", "Exclude the exporter's own process and Go runtime metrics (promhttp_*, process_*, go_*).").Bool()
		maxRequests = app.Flag("web.max-requests", "Maximum number of parallel scrape requests; 0 disables the limit.").Default("40").Int()
		configFile  = app.Flag("config.file", "Path of the configuration file.").Default("workspace_exporter.yml").String()
		configCheck = app.Flag("config.check", "Validate the configuration file, print the problems found and exit (0 when valid).").Bool()
		demo        = app.Flag("demo", "Run against a built-in simulated Huawei Cloud Workspace tenant on loopback (no account or configuration file needed).").Bool()
		demoOpts    = demoFlags(app)
		webFlags    = kingpinflag.AddFlags(app, defaultAddress)
		logConfig   = &promslog.Config{}
	)
	flag.AddFlags(app, logConfig)
	app.Version(version.Print(programName))
	app.HelpFlag.Short('h')
	if _, err := app.Parse(args); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", programName, err)
		return 2
	}
	logger := promslog.New(logConfig)

	if *configCheck {
		return checkConfig(*configFile)
	}

	logger.Info("Starting "+programName, "version", version.Info())
	logger.Info("Build context", "build_context", version.BuildContext())

	reg := prometheus.NewRegistry()
	reg.MustRegister(versioncollector.NewCollector(programName))
	exporterReg := prometheus.NewRegistry()
	if !*noExporter {
		exporterReg.MustRegister(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}), collectors.NewGoCollector())
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

	reload := func() error { return mgr.LoadFile(*configFile) }
	if *demo {
		stopDemo, err := startDemo(ctx, mgr, *demoOpts, logger)
		if err != nil {
			logger.Error("Cannot start the demo", "err", err)
			return 1
		}
		defer stopDemo()
		reload = func() error { return errors.New("demo mode has no configuration file to reload") }
	} else if err := reload(); err != nil {
		logger.Error("Cannot load the configuration", "err", err)
		return 1
	}

	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	go func() {
		for range hup {
			if err := reload(); err != nil {
				logger.Error("Configuration reload failed; the previous configuration keeps running", "err", err)
			} else {
				logger.Info("Configuration reloaded")
			}
		}
	}()

	mux := http.NewServeMux()
	handler := promhttp.HandlerFor(prometheus.Gatherers{exporterReg, reg}, promhttp.HandlerOpts{
		ErrorLog:            slog.NewLogLogger(logger.Handler(), slog.LevelError),
		ErrorHandling:       promhttp.ContinueOnError,
		MaxRequestsInFlight: *maxRequests,
		Registry:            exporterReg,
	})
	if !*noExporter {
		handler = promhttp.InstrumentMetricHandler(exporterReg, handler)
	}
	mux.Handle(*metricsPath, handler)
	mux.HandleFunc("/-/healthy", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "Healthy")
	})
	mux.HandleFunc("/-/ready", func(w http.ResponseWriter, _ *http.Request) {
		if !mgr.Ready() {
			http.Error(w, "Not ready: the first refresh of every collector has not finished yet", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "Ready")
	})
	mux.HandleFunc("/-/reload", func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			http.Error(w, "This endpoint requires a POST request.", http.StatusMethodNotAllowed)
			return
		}
		if err := reload(); err != nil {
			logger.Error("Configuration reload failed; the previous configuration keeps running", "err", err)
			http.Error(w, fmt.Sprintf("Failed to reload the configuration: %s", err), http.StatusInternalServerError)
			return
		}
		logger.Info("Configuration reloaded")
		fmt.Fprintln(w, "Configuration reloaded")
	})
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
		})
		if err != nil {
			logger.Error("Cannot build the landing page", "err", err)
			return 1
		}
		mux.Handle("/", landing)
	}

	srv := &http.Server{Handler: mux, ReadHeaderTimeout: time.Minute}
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
	cfg, err := config.LoadFile(path, config.Options{Collectors: collector.Names()})
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: configuration is invalid:\n%v\n", programName, err)
		return 1
	}
	fmt.Printf("%s: configuration %s is valid (%d targets)\n", programName, path, len(cfg.Targets))
	return 0
}
