package huaweicloud

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/workspace-exporter/workspace_exporter/client"
)

// Any body either decodes into at most 1000 login records with valid keys
// and clean, bounded strings, or fails with an error; it never panics.
func FuzzDecodeLoginRecordsPage(f *testing.F) {
	addFixtures(f)
	for _, s := range []string{
		`{"records":[42,"x",null,[1],{},{"transaction_id":""},{"transaction_id":"a","network_rtt":"-5","e2e_rtt":1e400}],"total_count":"6"}`,
		`{"records":null}`, `{"total_count":1e400}`, `[]`, `{"records":[{"transaction_id":"\ud800"}]}`,
		`{"records":[{"sid":"s","connection_start_time":"2016-08-20T21:11Z","connection_failure_reason":"\u0000\n  x  "}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		recs, _, _, invalid, err := DecodeLoginRecordsPage(body)
		if err != nil {
			if len(recs) != 0 {
				t.Fatal("records returned with an error")
			}
			return
		}
		if len(recs)+invalid > loginRecordsMaxLimit || invalid < 0 {
			t.Fatalf("%d records and %d invalid over the limit", len(recs), invalid)
		}
		for _, r := range recs {
			if !client.ValidID(r.Key) {
				t.Fatalf("invalid key %q", r.Key)
			}
			for _, v := range []string{r.UserName, r.ComputerName} {
				if !utf8.ValidString(v) || len(v) > client.MaxLabelLen {
					t.Fatalf("label value %q", v)
				}
			}
			if !utf8.ValidString(r.FailureReason) || len(r.FailureReason) > MaxFailureReasonLen || r.FailureReason != strings.TrimSpace(r.FailureReason) {
				t.Fatalf("failure reason %q", r.FailureReason)
			}
			if r.NetworkRTT < 0 || r.NetworkRTT > maxRTT ||
				r.E2ERTT < 0 || r.E2ERTT > maxRTT || !r.HasNetworkRTT && r.NetworkRTT != 0 || !r.HasE2ERTT && r.E2ERTT != 0 {
				t.Fatalf("latencies %+v", r)
			}
		}
	})
}

// Any §4.13.4 body either yields a valid bucket or an error.
func FuzzDecodeLoginUsers(f *testing.F) {
	addFixtures(f)
	for _, s := range []string{
		`{"time_counts":["00:00 : 0","01:00 : 3"]}`, `{"time_counts":[1,null,"x",": 1","a : -1"]}`,
		`{"time_counts":null}`, `{"time_counts":"a"}`, `{"time_counts":[],"time_counts":[]}`, `["00:00 : 1"]`,
	} {
		f.Add([]byte(s))
	}
	red := client.NewRedactor(testSK)
	f.Fuzz(func(t *testing.T, body []byte) {
		b, err := DecodeLoginUsers(body, red)
		if err != nil {
			return
		}
		if b.Count < 0 || len(b.Name) > 64 || !utf8.ValidString(b.Name) || b.Malformed < 0 || b.Malformed >= b.Entries {
			t.Fatalf("bucket %+v", b)
		}
	})
}
