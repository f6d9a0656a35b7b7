package simulator

import (
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestRecorder(t *testing.T) {
	rec := newRecorder(t)
	req, err := http.NewRequest(http.MethodPost, rec.URL()+"/a/b?c=d", strings.NewReader("body"))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "SDK-HMAC-SHA256 Access=AK, SignedHeaders=host, Signature=00")
	req.Header.Add("X-Many", "1")
	req.Header.Add("X-Many", "2")
	r := do(t, req)
	if r.status != 200 || string(r.body) != `{"desktops":[],"total_count":0}` || r.header.Get("Content-Type") != "application/json" {
		t.Errorf("answer %d %q %v", r.status, r.body, r.header)
	}
	got := rec.Requests()
	if len(got) != 1 {
		t.Fatalf("%d requests recorded", len(got))
	}
	g := got[0]
	if g.Method != "POST" || g.URL != "/a/b?c=d" || g.Host != strings.TrimPrefix(rec.URL(), "http://") ||
		g.Header.Get("Authorization") != req.Header.Get("Authorization") || !slices.Equal(g.Header.Values("X-Many"), []string{"1", "2"}) {
		t.Errorf("recorded %+v", g)
	}
	// Requests returns copies.
	g.Header.Set("Authorization", "changed")
	if rec.Requests()[0].Header.Get("Authorization") == "changed" {
		t.Error("Requests shares its headers with the Recorder")
	}
	// At most maxRecorded requests are kept: the first ones.
	for i := range maxRecorded + 5 {
		resp, err := http.Get(rec.URL() + "/n/" + strconv.Itoa(i))
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	got = rec.Requests()
	if len(got) != maxRecorded || got[1].URL != "/n/0" || got[maxRecorded-1].URL != "/n/"+strconv.Itoa(maxRecorded-2) {
		t.Errorf("%d recorded, last %q", len(got), got[len(got)-1].URL)
	}
}
