package huaweicloud

import (
	"testing"
	"unicode/utf8"

	"github.com/workspace-exporter/workspace_exporter/client"
)

func checkLabel(t *testing.T, vs ...string) {
	t.Helper()
	for _, v := range vs {
		if !utf8.ValidString(v) || len(v) > client.MaxLabelLen {
			t.Fatalf("label value %q", v)
		}
	}
}

func checkTime(t *testing.T, ts ...interface{ Year() int }) {
	t.Helper()
	for _, x := range ts {
		if y := x.Year(); y != 1 && y < 1971 {
			t.Fatalf("year %d", y)
		}
	}
}

// Any §4.20.1, §4.20.8 or §4.20.9 page either decodes into at most a
// page of items with IDs, clean bounded strings, non-negative counts and
// times that are absent or real, or fails with an error; any §4.20.3
// body decodes or fails. Nothing panics.
func FuzzDecodeScheduledTasks(f *testing.F) {
	addFixtures(f)
	for _, s := range []string{
		`{"scheduled_tasks":[42,{},{"id":"\ud800"},{"id":"a","next_execution_time":"2022-01-01 00:00:00","time_zone":"GMT+99"}],"total_count":"3"}`,
		`{"tasks_records":[{"id":"r","success_num":1e400,"start_time":"2022-01-01 00:00:00","time_zone":"../x"}]}`,
		`{"tasks_records_details":[{"desktop_id":"d"},{"id":"","exec_status":{}}]}`,
		`{"apply_objects":[1,2,[3]],"expire_time":"0001-01-01 00:00:00"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if tasks, _, _, invalid, err := DecodeScheduledTasksPage(body); err == nil {
			if len(tasks)+invalid > schedTasksMaxLimit {
				t.Fatalf("%d tasks", len(tasks))
			}
			for _, x := range tasks {
				if x.ID == "" || x.PathSafe && !ValidScheduledID(x.ID) {
					t.Fatalf("id %q", x.ID)
				}
				checkLabel(t, x.ID, x.Name, x.TaskType, x.ScheduledType, x.LastStatus)
				checkTime(t, x.NextExecution)
			}
		}
		if recs, _, _, invalid, err := DecodeScheduledTaskRecordsPage(body); err == nil {
			if len(recs)+invalid > schedRecordsMax {
				t.Fatalf("%d records", len(recs))
			}
			for _, r := range recs {
				if r.ID == "" || r.Success < 0 || r.Failed < 0 || r.Skipped < 0 {
					t.Fatalf("%+v", r)
				}
				checkLabel(t, r.ID, r.TaskType, r.Status)
				checkTime(t, r.Start)
			}
		}
		if ds, _, _, invalid, err := DecodeScheduledTaskRecordDetailsPage(body); err == nil {
			if len(ds)+invalid > schedRecordsMax {
				t.Fatalf("%d details", len(ds))
			}
			for _, d := range ds {
				checkLabel(t, d.ID, d.DesktopID, d.ExecStatus)
				if d.ID == "" || !utf8.ValidString(d.ResultCode) || len(d.ResultCode) > MaxScheduledResultCodeLen {
					t.Fatalf("%+v", d)
				}
			}
		}
		if d, err := DecodeScheduledTaskDetail(body, &client.Redactor{}); err == nil {
			checkLabel(t, d.ID)
			checkTime(t, d.Expire)
			if d.ApplyObjects < 0 {
				t.Fatal(d.ApplyObjects)
			}
		}
	})
}
