package collector

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/workspace-exporter/workspace_exporter/simulator"
	hwsim "github.com/workspace-exporter/workspace_exporter/simulator/huaweicloud"
)

// Rotating the key files swaps the keys in place: the target keeps its
// runners and data (its series never disappear, not even for one scrape
// during the reload), and the next requests are signed with the new key.
func TestSecretFileRotationKeepsSeries(t *testing.T) {
	const ak1, sk1 = "RT8KQ2XW7M4ZP9V3N6Y1", "rt5Gh8Kq2Wx7Mz4Pv9Nc3Yb6Jd1Lf0Sa"
	const ak2, sk2 = "RT3NV6Y1Q8KX2W7M4ZP9", "rt2Lf0SaGh8Kq5Wx7Mz4Pv9Nc3Yb6Jd1"
	sim, err := hwsim.New(hwsim.Options{ProjectID: benchProject, Desktops: 40, Seed: 5,
		Credentials: []simulator.Credential{{AccessKey: ak1, SecretKey: sk1}, {AccessKey: ak2, SecretKey: sk2}}})
	if err != nil {
		t.Fatal(err)
	}
	// Record the access key of every request, then let the simulator
	// verify the signature.
	var mu sync.Mutex
	var keys []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth := r.Header.Get("Authorization")
		if i := strings.Index(auth, "Access="); i >= 0 {
			mu.Lock()
			keys = append(keys, strings.SplitN(auth[i+7:], ",", 2)[0])
			mu.Unlock()
		}
		sim.ServeHTTP(w, r)
	}))
	defer srv.Close()
	lastKey := func() string {
		mu.Lock()
		defer mu.Unlock()
		return keys[len(keys)-1]
	}

	dir := t.TempDir()
	akFile, skFile := filepath.Join(dir, "ak"), filepath.Join(dir, "sk")
	writeKeys := func(ak, sk string) {
		// Written as a secret manager does: a new file renamed over the old.
		for path, v := range map[string]string{akFile: ak, skFile: sk} {
			if err := os.WriteFile(path+".new", []byte(v+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Rename(path+".new", path); err != nil {
				t.Fatal(err)
			}
		}
	}
	writeKeys(ak1, sk1)
	path := writeConfig(t, dir, simYAML(srv.URL, fmt.Sprintf("{access_key_file: %s, secret_key_file: %s}", akFile, skFile), "", ""))
	m, _ := newTestManager(t, nil)
	if err := m.LoadFile(path); err != nil {
		t.Fatal(err)
	}
	waitReady(t, m)
	if lastKey() != ak1 {
		t.Fatalf("first refresh signed with %q", lastKey())
	}
	m.mu.RLock()
	before := m.targets[0]
	m.mu.RUnlock()

	// Scrape continuously while the keys rotate.
	var gaps, scrapes atomic.Int32
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			ch := make(chan prometheus.Metric, 4096)
			go func() { m.Collect(ch); close(ch) }()
			n := 0
			for mt := range ch {
				if strings.Contains(mt.Desc().String(), `"workspace_desktop_status"`) {
					n++
				}
			}
			scrapes.Add(1)
			if n != 40 {
				gaps.Add(1)
			}
		}
	}()
	writeKeys(ak2, sk2)
	if err := m.LoadFile(path); err != nil {
		t.Fatal(err)
	}
	for scrapes.Load() < 20 {
		time.Sleep(time.Millisecond)
	}
	close(stop)
	wg.Wait()
	if g := gaps.Load(); g > 0 {
		t.Errorf("%d of %d scrapes during the rotation lacked the desktops' series", g, scrapes.Load())
	}
	m.mu.RLock()
	after := m.targets[0]
	m.mu.RUnlock()
	if before != after {
		t.Error("the target was rebuilt instead of having its keys swapped")
	}
	refreshAll(m)
	if lastKey() != ak2 {
		t.Errorf("after the rotation requests are signed with %q, want the new key", lastKey())
	}
	if st := after.runners[0].cur.Load(); st == nil || !st.success {
		t.Errorf("refresh with the new key failed: %+v", st)
	}
}

// A target rebuilt by a reload (here: its endpoint changed) closes the idle
// connections of its replaced HTTP client at once, not after 90 s.
func TestReplacedClientClosesIdleConnections(t *testing.T) {
	sim, err := hwsim.New(hwsim.Options{ProjectID: benchProject, Desktops: 10, Seed: 5,
		Credentials: []simulator.Credential{{AccessKey: benchAK, SecretKey: benchSK}}})
	if err != nil {
		t.Fatal(err)
	}
	var open atomic.Int32
	servers := make([]*httptest.Server, 2)
	for i := range servers {
		servers[i] = httptest.NewUnstartedServer(sim)
		if i == 0 {
			servers[i].Config.ConnState = func(_ net.Conn, s http.ConnState) {
				switch s {
				case http.StateNew:
					open.Add(1)
				case http.StateClosed, http.StateHijacked:
					open.Add(-1)
				}
			}
		}
		servers[i].Start()
		defer servers[i].Close()
	}
	dir := t.TempDir()
	path := writeConfig(t, dir, simYAML(servers[0].URL, benchCredentials, "", ""))
	m, _ := newTestManager(t, nil)
	if err := m.LoadFile(path); err != nil {
		t.Fatal(err)
	}
	waitReady(t, m)
	if open.Load() == 0 {
		t.Fatal("no connection to the first endpoint")
	}
	writeConfig(t, dir, simYAML(servers[1].URL, benchCredentials, "", ""))
	if err := m.LoadFile(path); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for open.Load() > 0 && ctx.Err() == nil {
		time.Sleep(10 * time.Millisecond)
	}
	if n := open.Load(); n != 0 {
		t.Errorf("%d connections of the replaced client are still open", n)
	}
}
