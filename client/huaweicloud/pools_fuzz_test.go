package huaweicloud

import (
	"testing"
	"unicode/utf8"

	"github.com/workspace-exporter/workspace_exporter/client"
	"github.com/workspace-exporter/workspace_exporter/model"
)

// poolsFuzzSeeds are hostile shapes of the pool answers, beside the
// fixtures.
var poolsFuzzSeeds = []string{
	`{"total_count":"3","desktop_pools":[1,null,{"id":"..","desktop_count":-1},{"id":"p","autoscale_policy":{"min_idle":1e400}}]}`,
	`{"desktop_pools":[{"id":"p","id":"q","status":"\ud800","product":{"product_id":[]}}]}`,
	`{"desktop_pools":null}`, `{"desktop_pools":"x"}`, `[]`, `{"total_count":1e400}`,
	`{"id":"p","desktop_count":"9007199254740993","disconnected_retention_period":"-5","in_maintenance_mode":"TRUE"}`,
	`{"objects":[{"object_type":"USER","object_id":""},{"object_type":7,"object_id":"x"},3],"total_count":-1}`,
}

func fuzzPoolsSeeds(f *testing.F) {
	addFixtures(f)
	for _, s := range poolsFuzzSeeds {
		f.Add([]byte(s))
	}
}

func validPool(p model.Pool) bool {
	for _, v := range []string{p.Name, p.Type, p.Status, p.AvailabilityZone, p.ProductID, p.ImageOSType, p.ChargingMode, p.AutoscaleType} {
		if !utf8.ValidString(v) || len(v) > client.MaxLabelLen {
			return false
		}
	}
	for _, c := range []struct {
		v   int64
		has bool
	}{{p.DesktopCount, p.HasDesktopCount}, {p.DesktopUsed, p.HasDesktopUsed}, {p.MinIdle, p.HasMinIdle},
		{p.MaxAutoCreated, p.HasMaxAutoCreated}, {p.OnceAutoCreated, p.HasOnceAutoCreated}} {
		if c.v < 0 || !c.has && c.v != 0 {
			return false
		}
	}
	return poolIDRe.MatchString(p.ID) && p.DisconnectedRetention >= 0
}

// Any body decodes into at most 1000 pools with safe IDs, bounded labels
// and counts ≥ 0, or fails with an error; never a panic.
func FuzzDecodePoolsPage(f *testing.F) {
	fuzzPoolsSeeds(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		p, err := DecodePoolsPage(body)
		if err != nil {
			if len(p.Items) != 0 {
				t.Fatal("pools returned with an error")
			}
			return
		}
		if len(p.Items)+p.Invalid > poolsMaxLimit || p.Invalid < 0 {
			t.Fatalf("%d pools, %d invalid", len(p.Items), p.Invalid)
		}
		for _, pl := range p.Items {
			if !validPool(pl) {
				t.Fatalf("pool %+v", pl)
			}
		}
	})
}

// Any body is one valid pool or an error.
func FuzzDecodePool(f *testing.F) {
	fuzzPoolsSeeds(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		p, err := DecodePool(body)
		if err == nil && !validPool(p) {
			t.Fatalf("pool %+v", p)
		}
	})
}

// Any body decodes into at most 100 bounded object types, or an error.
func FuzzDecodePoolAuthorizedObjectsPage(f *testing.F) {
	fuzzPoolsSeeds(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		p, err := DecodePoolAuthorizedObjectsPage(body)
		if err != nil {
			return
		}
		if len(p.Items)+p.Invalid > poolAuthMaxLimit {
			t.Fatalf("%d objects, %d invalid", len(p.Items), p.Invalid)
		}
		for _, typ := range p.Items {
			if !utf8.ValidString(typ) || len(typ) > client.MaxLabelLen {
				t.Fatalf("type %q", typ)
			}
		}
	})
}
