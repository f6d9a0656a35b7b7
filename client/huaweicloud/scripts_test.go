package huaweicloud

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/workspace-exporter/workspace_exporter/client"
)

// The three documented examples decode (see testdata/README.md; the
// §4.24.9 one repaired): one item each, keyed by its id, the "string"
// placeholders kept as statuses, times in the documented DateTime format
// parsed as UTC and "string" times absent.
func TestScriptsSeedExamples(t *testing.T) {
	read := func(name string) []byte {
		b, err := os.ReadFile("testdata/" + name)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	tasks, total, known, invalid, err := DecodeScriptTasksPage(read("list_script_tasks_seed003.json"))
	if err != nil || !known || total != 0 || invalid != 0 || len(tasks) != 1 {
		t.Fatalf("tasks: %v, total %d (%v), invalid %d, %d tasks", err, total, known, invalid, len(tasks))
	}
	at := time.Date(2024, 12, 25, 7, 11, 2, 540e6, time.UTC)
	if want := (ScriptTask{Key: "sawafaw12414214awfa", Status: "string", Start: at, End: at}); tasks[0] != want {
		t.Errorf("task\n got %+v\nwant %+v", tasks[0], want)
	}
	runs, total, known, invalid, err := DecodeScriptRecordsPage(read("list_script_records_seed003.json"))
	if err != nil || !known || total != 0 || invalid != 0 || len(runs) != 1 {
		t.Fatalf("records: %v, total %d (%v), invalid %d, %d records", err, total, known, invalid, len(runs))
	}
	at = time.Date(2024, 12, 25, 7, 10, 49, 357e6, time.UTC)
	if want := (ScriptRun{Key: "sawafaw12414214awfa", TaskID: "string", Status: "string", Start: at, End: at, ResultCode: "string"}); runs[0] != want {
		t.Errorf("record\n got %+v\nwant %+v", runs[0], want)
	}
	pool, total, known, invalid, err := DecodePoolScriptTasksPage(read("list_pool_script_tasks_seed003.json"))
	if err != nil || !known || total != 0 || invalid != 0 || len(pool) != 1 {
		t.Fatalf("pool tasks: %v, total %d (%v), invalid %d, %d tasks", err, total, known, invalid, len(pool))
	}
	if want := (ScriptTask{Key: "string", PoolID: "string", Status: "string"}); pool[0] != want {
		t.Errorf("pool task\n got %+v\nwant %+v", pool[0], want)
	}
}

// The §4.24.9 example as printed (the premature "} ] }" after a trailing
// comma) is broken JSON: the page fails, it never decodes to something
// half-read.
func TestScriptTasksBrokenExampleAsPrinted(t *testing.T) {
	seed, err := os.ReadFile("../../../shared/seeds/003_0927ec9a9cb5f5cf.txt")
	if err != nil {
		t.Skip("the seed is not beside the repository:", err)
	}
	lines := strings.Split(string(seed), "\n")
	printed := strings.Join(lines[42595:42609], "\n") // L42596-42609
	if _, _, _, _, err := DecodeScriptTasksPage([]byte(printed)); err == nil {
		t.Fatal("the broken example decoded")
	}
}

// Unknown members and values never fail a page; elements that are not
// items are skipped and counted; counts that are not desktop counts are
// 0; every documented time format is read, no zone meaning UTC; hostile
// strings are cleaned and bounded; items without an id get a digest key.
func TestScriptsTolerance(t *testing.T) {
	long := strings.Repeat("x", 5000)
	body := `{"count":"9","new":{"a":[1]},"script_tasks":[
		{"id":"t1","status":"DONE_NEW","success_num":"3","failed_num":-1,"skip_num":1e12,"start_time":"2024-01-02 03:04:05","end_time":"2024-01-02T03:04:05","x":[1]},
		{"id":"t2","success_num":2.9,"start_time":"2024-01-02T03:04Z","end_time":"0000-01-01T00:00:00Z","task_scripts":"no list"},
		42, null, "x", [],
		{"status":"RUNNING"},
		{"task_scripts":[{"id":"s1","name":"n"},{"id":"s2"}],"start_time":"2024-01-02T03:04:05.5Z","resource_ids":["d1","d2"]},
		{"id":"` + long + `","status":"` + long + `"}
	]}`
	tasks, total, known, invalid, err := DecodeScriptTasksPage([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if !known || total != 9 || invalid != 5 || len(tasks) != 4 {
		t.Fatalf("total %d %v invalid %d tasks %d", total, known, invalid, len(tasks))
	}
	day := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	if tk := tasks[0]; tk.Status != "DONE_NEW" || tk.Succeeded != 3 || tk.Failed != 0 || tk.Skipped != 0 || !tk.Start.Equal(day) || !tk.End.Equal(day) {
		t.Errorf("%+v", tk)
	}
	if tk := tasks[1]; tk.Succeeded != 2 || !tk.Start.Equal(day.Add(-5*time.Second)) || !tk.End.IsZero() {
		t.Errorf("%+v", tk)
	}
	if tk := tasks[2]; !strings.HasPrefix(tk.Key, "sha256:") || tk.Start.IsZero() {
		t.Errorf("%+v", tk)
	}
	if tk := tasks[3]; !strings.HasPrefix(tk.Key, "sha256:") || len(tk.Status) > client.MaxLabelLen {
		t.Errorf("hostile: key %q status %d bytes", tk.Key, len(tk.Status))
	}
	runs, _, _, invalid, err := DecodeScriptRecordsPage([]byte(`{"script_records":[
		{"id":"r1","script_task_id":"t/../1","status":"SUCCESS","result_code":"  ` + long + `","reason":"password=hunter2"},
		{"script_task_id":"t1","resource_id":"d1","start_time":"2024-01-02T03:04:05Z"},
		{"reason":"only a reason"}, {}
	]}`))
	if err != nil || invalid != 2 || len(runs) != 2 {
		t.Fatalf("%v invalid %d runs %d", err, invalid, len(runs))
	}
	if r := runs[0]; r.TaskID != "t/../1" || len(r.ResultCode) > MaxScriptResultCodeLen || !strings.HasPrefix(r.ResultCode, "xxx") {
		t.Errorf("%+v", r)
	}
	if r := runs[1]; !strings.HasPrefix(r.Key, "sha256:") || r.TaskID != "t1" || !r.Start.Equal(day) {
		t.Errorf("%+v", r)
	}
	// Two records that differ only in their desktop have different keys.
	a, _, _, _, _ := DecodeScriptRecordsPage([]byte(`{"script_records":[{"script_task_id":"t","resource_id":"d1"},{"script_task_id":"t","resource_id":"d2"}]}`))
	if len(a) != 2 || a[0].Key == a[1].Key {
		t.Errorf("digest keys %+v", a)
	}
	pool, _, _, _, err := DecodePoolScriptTasksPage([]byte(`{"total_count":1,"script_execution_tasks":[{"id":"p1","desktop_pool_id":"pl\u0000x","status":"FINISH","command_content":"rm -rf /"}]}`))
	if err != nil || len(pool) != 1 || pool[0].PoolID != "" || pool[0].Status != "FINISH" {
		t.Fatalf("%v %+v", err, pool)
	}
}

// A missing, null, repeated or wrong-typed list, a body that is not an
// object and broken JSON fail the page.
func TestScriptsBrokenPages(t *testing.T) {
	decoders := map[string]func([]byte) error{
		"script_tasks": func(b []byte) error { _, _, _, _, err := DecodeScriptTasksPage(b); return err },
		"script_records": func(b []byte) error {
			_, _, _, _, err := DecodeScriptRecordsPage(b)
			return err
		},
		"script_execution_tasks": func(b []byte) error { _, _, _, _, err := DecodePoolScriptTasksPage(b); return err },
	}
	for key, decode := range decoders {
		for _, body := range []string{
			`{"count":1}`, `{"%s":null}`, `{"%s":"x"}`, `{"%s":{}}`, `[]`, `{"%s":[`, ``, `null`, `{"%s":[],"%s":[]}`,
		} {
			b := strings.ReplaceAll(body, "%s", key)
			if err := decode([]byte(b)); err == nil {
				t.Errorf("%s: no error", b)
			}
		}
		var page strings.Builder
		page.WriteString(`{"` + key + `":[`)
		for i := range scriptsMaxLimit + 1 {
			if i > 0 {
				page.WriteByte(',')
			}
			fmt.Fprintf(&page, `{"id":"i%d"}`, i)
		}
		page.WriteString(`]}`)
		if err := decode([]byte(page.String())); err == nil {
			t.Errorf("%s: a page of %d items (limit %d) decoded", key, scriptsMaxLimit+1, scriptsMaxLimit)
		}
	}
}

// The window asked for covers [from, to] at the second; a window that
// ends before it starts is refused before any request.
func TestScriptQueryWindow(t *testing.T) {
	from := time.Date(2024, 5, 6, 7, 8, 9, 500, time.FixedZone("x", 3600))
	to := from.Add(90*time.Minute + 300*time.Millisecond)
	s, e := ScriptQueryWindow(from, to)
	if s.Format(ScriptQueryTimeLayout) != "2024-05-06T06:08:09Z" || e.Format(ScriptQueryTimeLayout) != "2024-05-06T07:38:10Z" {
		t.Errorf("%s %s", s.Format(ScriptQueryTimeLayout), e.Format(ScriptQueryTimeLayout))
	}
	if _, e := ScriptQueryWindow(from.Truncate(time.Second), to.Truncate(time.Second)); !e.Equal(to.Truncate(time.Second)) {
		t.Errorf("a whole second rounded up: %s", e)
	}
	c := &Client{cfg: Config{ProjectID: "p"}}
	if _, err := c.scriptList(OpListScriptTasks, scriptTasksListKey, scriptTasksTotalKey, to, from); err == nil {
		t.Error("a reversed window accepted")
	}
}
