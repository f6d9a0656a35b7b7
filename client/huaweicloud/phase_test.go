package huaweicloud

import (
	"testing"

	"github.com/workspace-exporter/workspace_exporter/client/huaweicloud/hwspec"
	"github.com/workspace-exporter/workspace_exporter/model"
)

// Every documented status of the asynchronous items has a phase; an
// undocumented one is unknown, never finished.
func TestStatusPhases(t *testing.T) {
	cases := []struct {
		name   string
		phase  func(string) model.Phase
		values map[string]model.Phase
	}{
		{"jobs §4.28.2", jobPhase, map[string]model.Phase{
			"WAITING": model.PhaseWaiting, "RUNNING": model.PhaseRunning,
			"SUCCESS": model.PhaseSucceeded, "FAILED": model.PhaseFailed,
			"FAIL": model.PhaseUnknown, "success": model.PhaseUnknown, "": model.PhaseUnknown}},
		{"installations §4.31.16", appInstallPhase, map[string]model.Phase{
			"INIT": model.PhaseWaiting, "WAITING": model.PhaseWaiting,
			"SUCCESS": model.PhaseSucceeded, "FAIL": model.PhaseFailed,
			"FAILED": model.PhaseUnknown, "RUNNING": model.PhaseUnknown, "": model.PhaseUnknown}},
		{"scripts §4.24, §4.4.16", scriptPhase, map[string]model.Phase{
			"INIT": model.PhaseWaiting, "WAITING": model.PhaseWaiting, "RUNNING": model.PhaseRunning,
			"FINISH": model.PhaseSucceeded, "SUCCESS": model.PhaseSucceeded, "success": model.PhaseSucceeded,
			"FAILED": model.PhaseFailed, "FAIL": model.PhaseFailed, "SKIP": model.PhaseSkipped,
			"STOPPED": model.PhaseUnknown, "": model.PhaseUnknown}},
	}
	for _, c := range cases {
		for status, want := range c.values {
			if got := c.phase(status); got != want {
				t.Errorf("%s: %q is %v, want %v", c.name, status, got, want)
			}
		}
	}
	for field, phase := range map[string]func(string) model.Phase{
		model.FieldJobStatus: jobPhase, model.FieldAppInstallStatus: appInstallPhase, model.FieldPoolScriptTaskStatus: scriptPhase,
	} {
		docs := hwspec.Spec.Enums[field]
		if len(docs) == 0 {
			t.Errorf("%s: no documented values", field)
		}
		for _, v := range docs {
			if phase(v) == model.PhaseUnknown {
				t.Errorf("%s: the documented value %q has no phase", field, v)
			}
		}
	}
}
