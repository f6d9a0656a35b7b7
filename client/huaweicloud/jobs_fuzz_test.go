package huaweicloud

import (
	"testing"
	"unicode/utf8"

	"github.com/workspace-exporter/workspace_exporter/client"
)

func checkFuzzedJob(t *testing.T, j Job) {
	t.Helper()
	if !client.ValidID(j.Key) {
		t.Fatalf("invalid key %q", j.Key)
	}
	if j.JobID != "" && !ValidJobID(j.JobID) {
		t.Fatalf("job_id %q", j.JobID)
	}
	for _, v := range []string{j.JobType, j.Status, j.DesktopID} {
		if !utf8.ValidString(v) || len(v) > client.MaxLabelLen {
			t.Fatalf("label value %q", v)
		}
	}
	if !utf8.ValidString(j.ErrorCode) || len(j.ErrorCode) > MaxJobErrorCodeLen {
		t.Fatalf("error code %q", j.ErrorCode)
	}
	if j.Progress < 0 || j.Progress > 100 || !j.HasProgress && j.Progress != 0 {
		t.Fatalf("progress %d %v", j.Progress, j.HasProgress)
	}
}

// Any body either decodes into at most 1000 subtasks with valid keys and
// clean, bounded strings, or fails with an error; it never panics.
func FuzzDecodeSubJobsPage(f *testing.F) {
	addFixtures(f)
	for _, s := range []string{
		`{"jobs":[42,"x",null,[1],{},{"id":""},{"id":"a","process":"-5","entities":{"desktop_id":1e400}}],"total_count":"6"}`,
		`{"jobs":null}`, `{"total_count":1e400}`, `[]`, `{"jobs":[{"id":"\ud800","job_id":"\u0000"}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		jobs, _, _, invalid, err := DecodeSubJobsPage(body)
		if err != nil {
			if len(jobs) != 0 {
				t.Fatal("jobs returned with an error")
			}
			return
		}
		if len(jobs)+invalid > subJobsMaxLimit || invalid < 0 {
			t.Fatalf("%d jobs and %d invalid over the limit", len(jobs), invalid)
		}
		for _, j := range jobs {
			checkFuzzedJob(t, j)
		}
	})
}

// Any §4.28.1 body either decodes into a task with clean, bounded strings
// and at most MaxShowJobSubJobs subtasks, or fails with an error.
func FuzzDecodeJobDetail(f *testing.F) {
	addFixtures(f)
	for _, s := range []string{
		`{}`, `{"sub_jobs":null}`, `{"sub_jobs":[1,{"id":"a"}],"sub_jobs_total":"x"}`, `{"sub_jobs":"x"}`, `[]`,
		`{"id":"\ud800","status":"\u0000RUNNING","job_error_code":{"a":1}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		d, skipped, err := DecodeJobDetail(body, &client.Redactor{})
		if err != nil {
			return
		}
		if len(d.SubJobs) > MaxShowJobSubJobs || skipped < 0 || d.HasSubJobsTotal && d.SubJobsTotal < 0 {
			t.Fatalf("%d subtasks, %d skipped, total %d", len(d.SubJobs), skipped, d.SubJobsTotal)
		}
		for _, v := range []string{d.JobType, d.Status} {
			if !utf8.ValidString(v) || len(v) > client.MaxLabelLen {
				t.Fatalf("label value %q", v)
			}
		}
		if !utf8.ValidString(d.ErrorCode) || len(d.ErrorCode) > MaxJobErrorCodeLen {
			t.Fatalf("error code %q", d.ErrorCode)
		}
		for _, j := range d.SubJobs {
			checkFuzzedJob(t, j)
		}
	})
}
