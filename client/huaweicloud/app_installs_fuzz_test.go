package huaweicloud

import (
	"testing"
	"time"
	"unicode/utf8"

	"github.com/workspace-exporter/workspace_exporter/client"
)

// Any body either decodes into at most 100 installation jobs with valid
// keys, clean bounded label values, clean instance IDs and no time before
// 1970, or fails with an error; it never panics.
func FuzzDecodeAppInstallJobsPage(f *testing.F) {
	addFixtures(f)
	for _, s := range []string{
		`{"items":[42,"x",null,[1],{},{"id":""},{"id":"a","create_time":"0001-01-01T00:00:00Z","instance_id":1e400}],"count":"6"}`,
		`{"items":null}`, `{"count":1e400}`, `[]`, `{"items":[{"id":"\ud800","job_status":"\u0000"}]}`,
		`{"items":[{"app_id":"a","create_time":"2022-03-07T10:40:43.858Z","update_time":"2022-03-07 10:40:43"}],"count":1}`,
	} {
		f.Add([]byte(s))
	}
	epoch := time.Unix(0, 0)
	f.Fuzz(func(t *testing.T, body []byte) {
		jobs, _, _, invalid, err := DecodeAppInstallJobsPage(body)
		if err != nil {
			if len(jobs) != 0 {
				t.Fatal("jobs returned with an error")
			}
			return
		}
		if len(jobs)+invalid > appInstallMaxLimit || invalid < 0 {
			t.Fatalf("%d jobs and %d invalid over the limit", len(jobs), invalid)
		}
		for _, j := range jobs {
			if !client.ValidID(j.Key) {
				t.Fatalf("invalid key %q", j.Key)
			}
			for _, v := range []string{j.Status, j.AppName} {
				if !utf8.ValidString(v) || len(v) > client.MaxLabelLen {
					t.Fatalf("label value %q", v)
				}
			}
			if j.InstanceID != "" && !ValidJobID(j.InstanceID) {
				t.Fatalf("instance %q", j.InstanceID)
			}
			for _, at := range []time.Time{j.Created, j.Updated} {
				if !at.IsZero() && at.Before(epoch) {
					t.Fatalf("time %v", at)
				}
			}
		}
	})
}
