package huaweicloud

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/workspace-exporter/workspace_exporter/client"
	"github.com/workspace-exporter/workspace_exporter/model"
)

// §4.31.16's example (003 L48548-48565) decodes: one INIT job keyed by
// its id, the times read with their milliseconds, the count 0 beside an
// item known (the walk does not trust it; see paging).
func TestAppInstallJobsSeedExample(t *testing.T) {
	body, err := os.ReadFile("testdata/list_app_install_jobs_seed003.json")
	if err != nil {
		t.Fatal(err)
	}
	jobs, total, known, invalid, err := DecodeAppInstallJobsPage(body)
	if err != nil {
		t.Fatal(err)
	}
	if !known || total != 0 || invalid != 0 || len(jobs) != 1 {
		t.Fatalf("total %d (known %v), invalid %d, %d jobs; want 0, 0, 1", total, known, invalid, len(jobs))
	}
	at := time.Date(2022, 3, 7, 10, 40, 43, 858_000_000, time.UTC)
	want := AppInstallJob{Key: "xxxxx-xxx-xx", Status: "INIT", Phase: model.PhaseWaiting, AppName: "Workspace.exe", InstanceID: "xxx-xxxx-xxxx", Created: at, Updated: at}
	if jobs[0] != want {
		t.Fatalf("\n got %+v\nwant %+v", jobs[0], want)
	}
}

// Unknown members and values never fail a page; elements that are not
// jobs are skipped and counted; every documented time format is read
// (no zone: UTC), an unparsable or pre-1970 one is absent; a number is
// read as its text, an object as absent; hostile
// strings are cleaned and bounded; the user names and the failure text
// are never read.
func TestAppInstallJobsTolerance(t *testing.T) {
	long := strings.Repeat("x", 5000)
	body := `{"count":"9","new_member":{"a":[1]},"items":[
		{"id":"a","job_status":"CANCELLED","app_name":"Zoom","create_time":"2024-05-01 08:00:00","update_time":"2024-05-01T08:00:00+08:00","extra":[1,2]},
		{"id":"b","job_status":"WAITING","create_time":"0001-01-01T00:00:00Z","update_time":"yesterday","instance_id":"bad id/"},
		{"id":"c","job_status":7,"app_name":{"x":1},"create_time":12,"operator":"alice@example.com","target":"bob@example.com","error_message":"secret stuff"},
		42, "x", null, [1], {},
		{"app_id":"a1","instance_id":"d1","create_time":"2024-05-01T00:00:00Z"},
		{"id":"` + long + `","job_status":"` + long + `","app_name":"\ud800bad\u0000"}
	]}`
	jobs, total, known, invalid, err := DecodeAppInstallJobsPage([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if !known || total != 9 || invalid != 5 || len(jobs) != 5 {
		t.Fatalf("total %d (%v), invalid %d, %d jobs", total, known, invalid, len(jobs))
	}
	a := jobs[0]
	if a.Status != "CANCELLED" || a.AppName != "Zoom" || !a.Created.Equal(time.Date(2024, 5, 1, 8, 0, 0, 0, time.UTC)) ||
		!a.Updated.Equal(time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("a: %+v", a)
	}
	if b := jobs[1]; !b.Created.IsZero() || !b.Updated.IsZero() || b.InstanceID != "" {
		t.Errorf("b: %+v", b)
	}
	c := jobs[2]
	if c.Status != "7" || c.AppName != "" || !c.Created.IsZero() {
		t.Errorf("c: %+v", c)
	}
	if !strings.HasPrefix(jobs[3].Key, "sha256:") || jobs[3].InstanceID != "d1" {
		t.Errorf("job without id: %+v", jobs[3])
	}
	h := jobs[4]
	if !strings.HasPrefix(h.Key, "sha256:") || len(h.Status) > client.MaxLabelLen || !utf8.ValidString(h.AppName) {
		t.Errorf("hostile: %+v", h)
	}
	for _, j := range jobs {
		s := fmt.Sprintf("%+v", j)
		if strings.Contains(s, "alice") || strings.Contains(s, "bob") || strings.Contains(s, "secret stuff") {
			t.Errorf("a user name or the failure text was read: %s", s)
		}
	}
}

// A missing, null or mistyped items list, broken JSON and a page over the
// limit fail the page with an error.
func TestAppInstallJobsBadPages(t *testing.T) {
	for _, body := range []string{
		`{"count":1}`, `{"items":null,"count":0}`, `{"items":"x"}`, `{"items":{}}`, `[]`, `{"items":[{"id":"a"}`, ``,
		`{"items":[` + strings.Repeat(`{"id":"a"},`, 100) + `{"id":"b"}]}`,
	} {
		if _, _, _, _, err := DecodeAppInstallJobsPage([]byte(body)); err == nil {
			t.Errorf("%.60s: no error", body)
		}
	}
}

// appJobsServer serves n jobs, 100 a page, with the count or without;
// it records every path.
func appJobsServer(t *testing.T, n int, withCount bool, paths *[]string) *Client {
	t.Helper()
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		*paths = append(*paths, r.Method+" "+r.URL.Path)
		mu.Unlock()
		off, _ := strconv.Atoi(r.URL.Query().Get("offset"))
		lim, _ := strconv.Atoi(r.URL.Query().Get("limit"))
		var b strings.Builder
		b.WriteString(`{"items":[`)
		for i := off; i < min(off+lim, n); i++ {
			if i > off {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `{"id":"job-%d","job_status":"SUCCESS","app_name":"app","create_time":"2024-05-01T00:00:00.000Z"}`, i)
		}
		b.WriteString(`]`)
		if withCount {
			fmt.Fprintf(&b, `,"count":%d`, n)
		}
		b.WriteString(`}`)
		w.Write([]byte(b.String()))
	}))
	t.Cleanup(srv.Close)
	c, err := New(Config{Endpoint: srv.URL, ProjectID: "p1", AccessKey: "AK1234567", SecretKey: "SK1234567", Concurrency: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// The walk asks GET /v1/{project_id}/app-center/jobs (the v1 path through
// the allow-list and the transport), 100 a page, and stops at the bound:
// a list over maxJobs is a *model.TooManyItemsError, with the count found
// on the first page, without it when the pages the bound allows are all
// full; a list at the bound is returned whole.
func TestListAppInstallJobsBound(t *testing.T) {
	for _, c := range []struct {
		n, max    int
		withCount bool
		tooMany   bool
		requests  int
	}{
		{250, 250, true, false, 3},
		{250, 250, false, false, 3},
		{251, 250, true, true, 3},
		{1000, 250, true, true, 1},
		{1000, 250, false, true, 3},
		{300, 250, false, true, 3},
		{0, 10, true, false, 1},
	} {
		t.Run(fmt.Sprint(c.n, c.max, c.withCount), func(t *testing.T) {
			var paths []string
			cl := appJobsServer(t, c.n, c.withCount, &paths)
			jobs, stats, err := cl.ListAppInstallJobs(context.Background(), c.max)
			var tm *model.TooManyItemsError
			if c.tooMany != errors.As(err, &tm) {
				t.Fatalf("err %v, want too many %v", err, c.tooMany)
			}
			if !c.tooMany && (err != nil || len(jobs) != c.n) {
				t.Fatalf("%d jobs, %v", len(jobs), err)
			}
			if stats.Requests != c.requests || len(paths) != c.requests {
				t.Errorf("%d requests (%d served), want %d", stats.Requests, len(paths), c.requests)
			}
			for _, p := range paths {
				if p != "GET /v1/p1/app-center/jobs" {
					t.Errorf("request %s", p)
				}
			}
		})
	}
}
