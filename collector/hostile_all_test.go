package collector

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/workspace-exporter/workspace_exporter/client"
	"github.com/workspace-exporter/workspace_exporter/client/huaweicloud/hwspec"
	"github.com/workspace-exporter/workspace_exporter/simulator"
	hwsim "github.com/workspace-exporter/workspace_exporter/simulator/huaweicloud"
)

// TestEveryOperationOfEveryCollectorUnderHostileAnswers runs each
// collector alone against the simulator, lets one refresh succeed, then
// breaks one of its operations at a time: a list that is null, a body that
// is not JSON, an error answer that echoes the signing secret (each must
// fail the refresh, keep serving the last snapshot byte for byte, and leak
// no secret fragment into the log or /metrics), and junk list elements
// (skipped and counted: the refresh succeeds); the list faults apply to
// paged lists. A fault only counts when
// the refresh called the operation (some are called only when the data
// asks for them, e.g. details of a failed record); an operation whose
// answer is reused (a day's usage report, task details) is broken before
// the first refresh instead.
func TestEveryOperationOfEveryCollectorUnderHostileAnswers(t *testing.T) {
	type hostile struct {
		name     string
		fault    simulator.Fault
		listOnly bool
		fails    bool
	}
	faults := []hostile{
		{"list null", simulator.Fault{Kind: simulator.FaultBadList, Variant: simulator.BadListNull}, true, true},
		{"malformed", simulator.Fault{Kind: simulator.FaultMalformed}, false, true},
		{"echo secret", simulator.Fault{Kind: simulator.FaultEchoSecret, Status: 400}, false, true},
		{"junk items", simulator.Fault{Kind: simulator.FaultJunkItems, Items: 3}, true, false},
	}
	for _, name := range slices.Sorted(maps.Keys(collectorOperations)) {
		c, ok := registry[name]
		if !ok {
			t.Fatalf("collector %q is not registered", name)
		}
		own := map[string]bool{}
		for _, f := range c.Families {
			own[f.name] = true
		}
		ops := collectorOperations[name].required
		for _, op := range ops {
			spec := hwspec.Spec.Operation(op)
			for _, hf := range faults {
				// A detail answer (no paging) may leave its list out or
				// null: e.g. a task without subtasks (§4.28.1).
				if hf.listOnly && (spec.ListKey == "" || spec.Paging == client.NoPaging) {
					continue
				}
				t.Run(name+"/"+op+"/"+hf.name, func(t *testing.T) {
					h := newHostileTargetWith(t, 300, func(url string) string {
						return simYAMLCollectors(url, benchCredentials, hostileAPI, name+": {interval: 1h}"+othersDisabled(name))
					})
					if got := collectorSuccess(t, h, name); got != 1 {
						t.Fatalf("the first refresh failed:\n%s", h.logs.String())
					}
					before := ownLines(h.exposition(t), own)
					calls := h.sim.Requests(op)
					f := hf.fault
					f.Operation, f.Probability = op, 1
					h.sim.InjectFault(f)
					refreshAll(h.m)
					called := h.sim.Requests(op) > calls
					after := h.exposition(t)
					success := collectorSuccess(t, h, name)
					if !called {
						// Read once and reused (a day's usage report, task
						// details): break it before the first refresh.
						h = newHostileTargetWith(t, 300, func(url string) string {
							return simYAMLCollectors(url, benchCredentials, hostileAPI, name+": {interval: 1h}"+othersDisabled(name))
						}, func(sim *hwsim.Simulator) { sim.InjectFault(f) })
						if h.sim.Requests(op) == 0 {
							t.Fatalf("%s is not called by the first refresh either", op)
						}
						if want := map[bool]float64{true: 0, false: 1}[hf.fails]; collectorSuccess(t, h, name) != want {
							t.Errorf("the first refresh on a hostile %s answer: success %v, want %v\n%s", op, collectorSuccess(t, h, name), want, h.logs.String())
						}
						assertNoSecret(t, "the log", h.logs.String())
						assertNoSecret(t, "/metrics", h.exposition(t))
						return
					}
					switch {
					case hf.fails && success != 0:
						t.Errorf("the refresh succeeded on a hostile %s answer", op)
					case hf.fails && ownLines(after, own) != before:
						t.Errorf("a failed refresh changed the served series of %s", name)
					case !hf.fails && success != 1:
						t.Errorf("junk elements failed the refresh:\n%s", h.logs.String())
					}
					assertNoSecret(t, "the log", h.logs.String())
					assertNoSecret(t, "/metrics", after)
				})
			}
		}
	}
	// Every operation of the spec table is covered by some collector
	// above (TestCollectorsCallOnlyTheirOperations checks the same map).
	covered := map[string]bool{}
	for _, ops := range collectorOperations {
		for _, op := range ops.required {
			covered[op] = true
		}
		for _, op := range ops.optional {
			covered[op] = true
		}
	}
	for _, op := range hwspec.Spec.OperationNames() {
		if !covered[op] {
			t.Errorf("operation %s is in no collector's list", op)
		}
	}
}

// collectorSuccess is workspace_collector_success of the named collector.
func collectorSuccess(t *testing.T, h *hostileTarget, name string) float64 {
	t.Helper()
	mfs, err := h.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "workspace_collector_success" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "collector" && l.GetValue() == name {
					return m.GetGauge().GetValue()
				}
			}
		}
	}
	return -1
}

// ownLines are the sample lines of exposition whose family is in own.
func ownLines(exposition string, own map[string]bool) string {
	var b strings.Builder
	for line := range strings.SplitSeq(exposition, "\n") {
		if line == "" || line[0] == '#' {
			continue
		}
		name, _, _ := strings.Cut(line, "{")
		name, _, _ = strings.Cut(name, " ")
		base := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(name, "_bucket"), "_sum"), "_count")
		if own[name] || own[base] {
			b.WriteString(line)
			b.WriteByte('\n')
		}
	}
	return b.String()
}
