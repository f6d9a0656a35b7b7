package collector

import (
	"context"
	"fmt"
	"log/slog"
	"syscall"
	"testing"
	"time"

	"github.com/workspace-exporter/workspace_exporter/client/huaweicloud"
	"github.com/workspace-exporter/workspace_exporter/simulator"
	hwsim "github.com/workspace-exporter/workspace_exporter/simulator/huaweicloud"
)

const (
	benchAK      = "BNCHK7QX2M9ZP4W8RT1Y"
	benchSK      = "bq7Vx2Kp9Lm4Nz8Rt1Yw6Hc3Jd5Fg0Sa"
	benchProject = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"
)

// startSim starts a simulated fleet of n desktops on loopback.
func startSim(tb testing.TB, n int) (*hwsim.Simulator, string) {
	tb.Helper()
	sim, err := hwsim.New(hwsim.Options{ProjectID: benchProject, Credentials: []simulator.Credential{{AccessKey: benchAK, SecretKey: benchSK}}, Desktops: n, Seed: 3})
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
func benchRefresh(b *testing.B, n int, perDesktop bool) (RefreshFunc, *hwsim.Simulator) {
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

// BenchmarkDesktopsRefresh: one background refresh of a 10,000 and a
// 100,000-desktop fleet: signed page requests to the loopback simulator,
// decoding, the snapshot build and its rendering, as a runner does.
// cpu-s/refresh is the process's CPU time (user + system) per refresh,
// the in-process simulator's included.
func BenchmarkDesktopsRefresh(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("desktops=%d", n), func(b *testing.B) {
			refresh, sim := benchRefresh(b, n, true)
			sim.ResetCounters()
			b.ReportAllocs()
			cpu := processCPU()
			for b.Loop() {
				snap, err := refresh(context.Background())
				if err != nil {
					b.Fatal(err)
				}
				bld := NewBuilder()
				snap.Render(bld, "bench")
				bld.Families()
			}
			b.ReportMetric((processCPU()-cpu).Seconds()/float64(b.N), "cpu-s/refresh")
			b.ReportMetric(float64(sim.Requests(huaweicloud.OpListDesktopsDetail))/float64(b.N), "requests/refresh")
		})
	}
}

// processCPU is the CPU time (user + system) the process has used so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
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
