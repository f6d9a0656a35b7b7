package huaweicloud

import (
	"testing"
	"time"
	"unicode/utf8"

	"github.com/workspace-exporter/workspace_exporter/client"
)

func checkFuzzedScriptTask(t *testing.T, tk ScriptTask) {
	t.Helper()
	if !client.ValidID(tk.Key) || tk.PoolID != "" && !client.ValidID(tk.PoolID) {
		t.Fatalf("key %q pool %q", tk.Key, tk.PoolID)
	}
	if !utf8.ValidString(tk.Status) || len(tk.Status) > client.MaxLabelLen {
		t.Fatalf("status %q", tk.Status)
	}
	for _, n := range []int64{tk.Succeeded, tk.Failed, tk.Skipped} {
		if n < 0 || n > MaxTaskDesktops {
			t.Fatalf("count %d", n)
		}
	}
	for _, at := range []time.Time{tk.Start, tk.End} {
		if !at.IsZero() && (at.Year() < 1970 || at.Year() > 2200) {
			t.Fatalf("time %s", at)
		}
	}
}

// Any body either decodes into at most 100 script tasks with valid keys,
// clean and bounded strings and sane counts, or fails with an error; it
// never panics. The same for §4.4.16 pool tasks and §4.24.8 records.
func FuzzDecodeScriptPages(f *testing.F) {
	addFixtures(f)
	for _, s := range []string{
		`{"script_tasks":[42,"x",null,[1],{},{"id":""},{"id":"a","success_num":"-5","task_scripts":[{"id":1e400}]}],"count":"6"}`,
		`{"script_records":[{"script_task_id":"\ud800","result_code":{"a":1}}],"count":1}`,
		`{"script_execution_tasks":[{"desktop_pool_id":"p","start_time":"2024-01-02T03:04:05Z"}],"total_count":1}`,
		`{"script_tasks":null}`, `{"count":1e400}`, `[]`, `{"script_tasks":[{"id":"\u0000"}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if tasks, _, _, invalid, err := DecodeScriptTasksPage(body); err == nil {
			if len(tasks)+invalid > scriptsMaxLimit {
				t.Fatalf("%d tasks and %d invalid over the limit", len(tasks), invalid)
			}
			for _, tk := range tasks {
				checkFuzzedScriptTask(t, tk)
			}
		} else if len(tasks) != 0 {
			t.Fatal("tasks returned with an error")
		}
		if tasks, _, _, invalid, err := DecodePoolScriptTasksPage(body); err == nil {
			if len(tasks)+invalid > scriptsMaxLimit {
				t.Fatalf("%d pool tasks and %d invalid over the limit", len(tasks), invalid)
			}
			for _, tk := range tasks {
				checkFuzzedScriptTask(t, tk)
			}
		}
		if runs, _, _, invalid, err := DecodeScriptRecordsPage(body); err == nil {
			if len(runs)+invalid > scriptsMaxLimit {
				t.Fatalf("%d records and %d invalid over the limit", len(runs), invalid)
			}
			for _, r := range runs {
				if !client.ValidID(r.Key) || r.TaskID != "" && !client.ValidID(r.TaskID) {
					t.Fatalf("key %q task %q", r.Key, r.TaskID)
				}
				if !utf8.ValidString(r.Status) || len(r.Status) > client.MaxLabelLen ||
					!utf8.ValidString(r.ResultCode) || len(r.ResultCode) > MaxScriptResultCodeLen {
					t.Fatalf("status %q result code %q", r.Status, r.ResultCode)
				}
			}
		}
	})
}
