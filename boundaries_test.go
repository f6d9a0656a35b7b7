package main

import (
	"os/exec"
	"strings"
	"testing"
)

// goListDeps returns the packages pkg compiles with (tests excluded).
func goListDeps(t *testing.T, pkgs ...string) []string {
	t.Helper()
	out, err := exec.Command("go", append([]string{"list", "-deps"}, pkgs...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps %v: %v\n%s", pkgs, err, out)
	}
	return strings.Fields(string(out))
}

// The shape the project keeps: collectors and the shared simulator are
// provider-neutral, and the cloud clients know nothing of Prometheus'
// client library.
func TestPackageBoundaries(t *testing.T) {
	const mod = "github.com/workspace-exporter/workspace_exporter/"
	providerPkgs := map[string]bool{}
	for _, p := range goListDeps(t, "./client/...") {
		if strings.HasPrefix(p, mod+"client/") {
			providerPkgs[p] = true
		}
	}
	if len(providerPkgs) == 0 {
		t.Fatal("no provider package found under client/")
	}
	for _, pkg := range []string{"./collector/...", "./model/...", "./provider/...", "./config/..."} {
		for _, dep := range goListDeps(t, pkg) {
			if providerPkgs[dep] || strings.HasPrefix(dep, mod+"simulator") {
				t.Errorf("%s depends on %s: collectors and the neutral packages must not import a provider or the simulator", pkg, dep)
			}
		}
	}
	// The shared simulator machinery is provider-neutral: the provider
	// simulators (simulator/<provider>) build on it, never the reverse.
	for _, dep := range goListDeps(t, "./simulator") {
		if providerPkgs[dep] || strings.HasPrefix(dep, mod+"simulator/") || strings.HasPrefix(dep, "github.com/huaweicloud/") {
			t.Errorf("./simulator depends on %s: the shared simulator must not import a provider package, a provider simulator or a cloud SDK", dep)
		}
	}
	// Our own packages under these must not import client_golang. (It
	// still comes in below prometheus/common/config, whose connection
	// tracking registers metrics nobody gathers; that is not ours to
	// change.)
	for _, pkg := range []string{"./client/...", "./model/...", "./provider/...", "./config/..."} {
		var ours []string
		for _, dep := range goListDeps(t, pkg) {
			if strings.HasPrefix(dep, mod) {
				ours = append(ours, dep)
			}
		}
		out, err := exec.Command("go", append([]string{"list", "-f", "{{.ImportPath}} {{join .Imports \" \"}}"}, ours...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("go list: %v\n%s", err, out)
		}
		for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			fields := strings.Fields(line)
			for _, imp := range fields[1:] {
				if strings.HasPrefix(imp, "github.com/prometheus/client_golang") {
					t.Errorf("%s imports %s: API clients and neutral packages must not import client_golang", fields[0], imp)
				}
			}
		}
	}
}
