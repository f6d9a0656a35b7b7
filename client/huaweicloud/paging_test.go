package huaweicloud

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/workspace-exporter/workspace_exporter/simulator"
	hwsim "github.com/workspace-exporter/workspace_exporter/simulator/huaweicloud"
)

func newSim(t testing.TB, n int, mode simulator.TotalCountMode) (*hwsim.Simulator, *Client) {
	t.Helper()
	sim, err := hwsim.New(hwsim.Options{
		ProjectID:   testProject,
		Credentials: []simulator.Credential{{AccessKey: testAK, SecretKey: testSK}},
		Desktops:    n,
		Seed:        42,
		TotalCount:  mode,
	})
	if err != nil {
		t.Fatal(err)
	}
	url, err := sim.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	c, err := New(Config{Endpoint: url, ProjectID: testProject, AccessKey: testAK, SecretKey: testSK, MaxRetries: 2})
	if err != nil {
		t.Fatal(err)
	}
	return sim, c
}

func ids(ds []Desktop) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.ID
	}
	sort.Strings(out)
	return out
}

func simIDs(sim *hwsim.Simulator) []string {
	var out []string
	for _, d := range sim.Desktops() {
		out = append(out, d.DesktopID)
	}
	sort.Strings(out)
	return out
}

func TestPaging(t *testing.T) {
	cases := []struct {
		n        int
		mode     simulator.TotalCountMode
		requests int64
	}{
		{0, simulator.TotalExact, 1},
		{1, simulator.TotalExact, 1},
		{499, simulator.TotalExact, 1},
		{500, simulator.TotalExact, 1}, // total_count says there is no second page
		{501, simulator.TotalExact, 2},
		{1000, simulator.TotalExact, 2}, // exact multiple: no empty extra page
		{1234, simulator.TotalExact, 3},
		// Placeholders: the walk stops on the first short page.
		{1000, simulator.TotalOmitted, 3},
		{1234, simulator.TotalOmitted, 3},
		{1000, simulator.TotalZero, 3},
		{1234, simulator.TotalMaxInt, 3},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%d-%v", c.n, c.mode), func(t *testing.T) {
			sim, cl := newSim(t, c.n, c.mode)
			ds, stats, err := cl.ListDesktops(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			got, want := ids(ds), simIDs(sim)
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("got %d desktops, want %d (ids differ)", len(got), len(want))
			}
			if r := sim.Requests(OpListDesktopsDetail); r != c.requests || int64(stats.Requests) != c.requests {
				t.Errorf("requests: simulator saw %d, client counted %d, want %d", r, stats.Requests, c.requests)
			}
		})
	}
}

// The figure: 100,000 desktops cost exactly ⌈100000/500⌉ = 200 list requests.
func TestHundredThousandDesktopsTake200Requests(t *testing.T) {
	if testing.Short() {
		t.Skip("large fleet")
	}
	sim, cl := newSim(t, 100000, simulator.TotalExact)
	ds, _, err := cl.ListDesktops(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != 100000 {
		t.Fatalf("desktops = %d", len(ds))
	}
	if r := sim.Requests(OpListDesktopsDetail); r != 200 {
		t.Errorf("list requests = %d, want exactly 200", r)
	}
}

func TestLimitTooLargeIsHalved(t *testing.T) {
	sim, err := hwsim.New(hwsim.Options{
		ProjectID: testProject, Credentials: []simulator.Credential{{AccessKey: testAK, SecretKey: testSK}},
		Desktops: 700, Seed: 1, MaxLimit: 200,
	})
	if err != nil {
		t.Fatal(err)
	}
	url, _ := sim.Start("127.0.0.1:0")
	defer sim.Close()
	cl, _ := New(Config{Endpoint: url, ProjectID: testProject, AccessKey: testAK, SecretKey: testSK})
	ds, stats, err := cl.ListDesktops(context.Background())
	if err != nil || len(ds) != 700 || stats.PageSize != 125 {
		t.Fatalf("desktops %d page size %d err %v", len(ds), stats.PageSize, err)
	}
}

func TestWrongCredentialsAgainstSimulator(t *testing.T) {
	sim, _ := newSim(t, 10, simulator.TotalExact)
	_ = sim
	for name, mod := range map[string]func(*Config){
		"secret key": func(c *Config) { c.SecretKey = "not-the-secret-key-000" },
		"project":    func(c *Config) { c.ProjectID = "ffffffffffffffffffffffffffffffff" },
	} {
		t.Run(name, func(t *testing.T) {
			_, cl := newSim(t, 10, simulator.TotalExact)
			cfg := cl.cfg
			mod(&cfg)
			bad, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			_, _, err = bad.ListDesktops(context.Background())
			if !IsAuthError(err) {
				t.Fatalf("want an auth error, got %v", err)
			}
		})
	}
}

func TestFaultsAreRetried(t *testing.T) {
	for _, kind := range []simulator.FaultKind{"throttle", "server_error", "malformed", "truncated"} {
		t.Run(string(kind), func(t *testing.T) {
			sim, cl := newSim(t, 1200, simulator.TotalExact)
			cfg := cl.cfg
			cfg.Sleep = func(context.Context, time.Duration) error { return nil }
			cl, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			sim.InjectFault(simulator.Fault{Kind: kind, Count: 2})
			ds, _, err := cl.ListDesktops(context.Background())
			if err != nil || len(ds) != 1200 {
				t.Fatalf("%d desktops, err %v", len(ds), err)
			}
			if r := sim.Requests(OpListDesktopsDetail); r != 5 {
				t.Errorf("requests = %d, want 3 pages + 2 retries", r)
			}
		})
	}
}

// BenchmarkListDesktops100k is one full list walk of 100,000 desktops (200
// signed pages) against the in-process simulator. cpu-s/op is the process
// CPU time (user + system) per walk: the simulator's share (rendering and
// serving the pages, checking signatures) is included.
func BenchmarkListDesktops100k(b *testing.B) {
	_, cl := newSim(b, 100000, simulator.TotalExact)
	b.ReportAllocs()
	start := processCPU()
	for b.Loop() {
		ds, _, err := cl.ListDesktops(context.Background())
		if err != nil || len(ds) != 100000 {
			b.Fatal(err, len(ds))
		}
	}
	b.ReportMetric((processCPU()-start).Seconds()/float64(b.N), "cpu-s/op")
}
