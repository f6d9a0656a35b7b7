package huaweicloud

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/workspace-exporter/workspace_exporter/client"
)

// addFixtures seeds a fuzz corpus with every testdata/*.json example.
func addFixtures(f *testing.F) {
	files, err := filepath.Glob("testdata/*.json")
	if err != nil || len(files) == 0 {
		f.Fatalf("no fixtures: %v", err)
	}
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

// Any body either decodes into at most 500 desktops whose IDs and label
// values are valid, or fails with an error; it never panics.
func FuzzDecodeDesktopsPage(f *testing.F) {
	addFixtures(f)
	for _, s := range []string{
		`{"desktops":[42,"x",null,[1],{"desktop_id":""},{"desktop_id":"a","status":{"x":1}}],"total_count":"6"}`,
		`{"desktops":null}`, `{"total_count":1e400}`, `[]`, `{"desktops":[{"desktop_id":"\ud800"}]}`,
		`{"desktops":[{"desktop_id":"a","addresses":{"n":[{"addr":7}]},"process":"1e9","created":"x"}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		ds, _, _, invalid, err := DecodeDesktopsPage(body)
		if err != nil {
			if len(ds) != 0 {
				t.Fatal("desktops returned with an error")
			}
			return
		}
		if len(ds)+invalid > desktopsMaxLimit || invalid < 0 {
			t.Fatalf("%d desktops and %d invalid over the limit", len(ds), invalid)
		}
		for _, d := range ds {
			if !client.ValidID(d.ID) {
				t.Fatalf("invalid id %q", d.ID)
			}
			for _, v := range []string{d.ComputerName, d.UserName, d.Status, d.LoginStatus, d.TaskStatus, d.OSType, d.ProductID} {
				if !utf8.ValidString(v) || len(v) > client.MaxLabelLen {
					t.Fatalf("label value %q", v)
				}
			}
		}
	})
}

// Any error body is classified without panicking, and its strings come out
// bounded and free of the client's secrets.
func FuzzClassifyError(f *testing.F) {
	f.Add(400, `{"error_code":"WKS.0509","error_msg":"limit"}`)
	f.Add(429, `{"error_code":"APIGW.0308","error_msg":"The request is throttled."}`)
	f.Add(401, `{"error_code":"APIGW.0301","error_msg":"Incorrect IAM authentication information: `+testSK+`"}`)
	f.Add(502, `<html>bad gateway</html>`)
	f.Add(500, `{"code":7,"message":["x"]}`)
	c, err := New(Config{Endpoint: "http://127.0.0.1:1", ProjectID: testProject, AccessKey: testAK, SecretKey: testSK})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, status int, body string) {
		if status < 100 || status > 999 {
			return
		}
		red := c.tr.Redactor()
		e := c.ClassifyError(client.Operation{Name: "op"}, status, http.Header{}, red.Bounded(body, 4*client.MaxMessageLen))
		if e == nil {
			t.Fatal("nil error")
		}
		msg := red.Message(e.Message) + red.Message(e.Code)
		for i := 0; i+client.FragmentLen <= len(testSK); i++ {
			if strings.Contains(msg, testSK[i:i+client.FragmentLen]) {
				t.Fatalf("secret fragment in %q", msg)
			}
		}
		if e.Auth && e.Retryable {
			t.Fatal("an auth error is retryable")
		}
	})
}
