package collector

import (
	"context"
	"log/slog"
	"testing"

	"github.com/workspace-exporter/workspace_exporter/client/huaweicloud"
	"github.com/workspace-exporter/workspace_exporter/simulator"
)

const (
	benchAK      = "BNCHK7QX2M9ZP4W8RT1Y"
	benchSK      = "bq7Vx2Kp9Lm4Nz8Rt1Yw6Hc3Jd5Fg0Sa"
	benchProject = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"
)

// startSim starts a simulated fleet of n desktops on loopback.
func startSim(tb testing.TB, n int) (*simulator.Simulator, string) {
	tb.Helper()
	sim, err := simulator.New(simulator.Options{ProjectID: benchProject, Credentials: []simulator.Credential{{AccessKey: benchAK, SecretKey: benchSK}}, Desktops: n, Seed: 3})
	if err != nil {
		tb.Fatal(err)
	}
	url, err := sim.Start("127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { sim.Close() })
	return sim, url
}

// benchRefresh returns the desktops collector's refresh function wired to
// a simulated fleet through the real signing client.
func benchRefresh(b *testing.B, n int, perDesktop bool) (RefreshFunc, *simulator.Simulator) {
	b.Helper()
	sim, url := startSim(b, n)
	cl, err := huaweicloud.New(huaweicloud.Config{Endpoint: url, ProjectID: benchProject, AccessKey: benchAK, SecretKey: benchSK})
	if err != nil {
		b.Fatal(err)
	}
	refresh, err := newDesktopsCollector(cl, &DesktopsOptions{PerDesktopSeries: perDesktop}, slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	return refresh, sim
}

// BenchmarkDesktopsRefresh100k: one background refresh of a 100,000-desktop
// fleet: 200 signed page requests to the loopback simulator, decoding and
// the snapshot build.
func BenchmarkDesktopsRefresh100k(b *testing.B) {
	refresh, sim := benchRefresh(b, 100000, true)
	sim.ResetCounters()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := refresh(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(sim.Requests(huaweicloud.OpListDesktopsDetail))/float64(b.N), "requests/refresh")
}

// BenchmarkDesktopsRender100k: what publishing a refresh of 100,000
// desktops costs beyond the refresh itself: rendering the snapshot's
// series into text once (scrapes then write those bytes).
func BenchmarkDesktopsRender100k(b *testing.B) {
	for _, per := range []bool{true, false} {
		name := "per_desktop_series=true"
		if !per {
			name = "per_desktop_series=false"
		}
		b.Run(name, func(b *testing.B) {
			refresh, _ := benchRefresh(b, 100000, per)
			snap, err := refresh(context.Background())
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				bld := NewBuilder()
				snap.Render(bld, "bench")
				e := Render(bld.Families())
				b.ReportMetric(float64(e.Series()), "series")
			}
		})
	}
}
