package config

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// The providers and collectors of config's own tests. The real providers
// register themselves from their packages (client/huaweicloud), which
// import config, so config's tests cannot use them: testcloud mimics
// Huawei's settings, othercloud a provider with fewer keys and
// capabilities.
func init() {
	RegisterProvider("testcloud", ProviderSchema{
		NewOptions:   func() ProviderOptions { return &testOptions{} },
		Capabilities: []string{"desktops", "sessions"},
	})
	RegisterProvider("othercloud", ProviderSchema{
		NewOptions:   func() ProviderOptions { return &otherOptions{} },
		Capabilities: []string{"desktops"},
	})
	RegisterCollector("desktops", CollectorSchema{
		DefaultEnabled: true, DefaultInterval: 2 * time.Minute, Capability: "desktops",
		NewOptions: func() any { return &desktopsOptions{PerDesktopSeries: true} },
	})
	RegisterCollector("sessions", CollectorSchema{
		DefaultEnabled: false, DefaultInterval: 5 * time.Minute, Capability: "sessions",
	})
	RegisterCollector("quotas", CollectorSchema{
		DefaultEnabled: true, DefaultInterval: 10 * time.Minute,
		NewOptions: func() any { return &quotasOptions{Top: 10, Window: Duration(time.Hour)} },
	})
}

var (
	testRegionRe  = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)
	testProjectRe = regexp.MustCompile(`^[A-Za-z0-9]+$`)
)

// testOptions are testcloud's target settings, validated as Huawei's.
type testOptions struct {
	Region    string `yaml:"region"`
	ProjectID string `yaml:"project_id"`
	Endpoint  string `yaml:"endpoint,omitempty"`
}

func (o *testOptions) Validate(v *Validation) {
	if o.Region == "" {
		v.Fail("region", "required, e.g. ap-southeast-3")
	} else if !testRegionRe.MatchString(o.Region) {
		v.Fail("region", "%q is not a region name (lower-case letters, digits and dashes)", Truncate(o.Region))
	}
	if o.ProjectID == "" {
		v.Fail("project_id", "required (the IAM project ID of the region)")
	} else if !testProjectRe.MatchString(o.ProjectID) {
		v.Fail("project_id", "%q is not a project ID (letters and digits only)", Truncate(o.ProjectID))
	}
	if o.Endpoint == "" && testRegionRe.MatchString(o.Region) {
		o.Endpoint = "https://workspace." + o.Region + ".test.example"
	}
	v.Endpoint("endpoint", &o.Endpoint)
}

func (o *testOptions) InfoLabels() (string, string) { return o.Region, o.ProjectID }

// otherOptions have no project.
type otherOptions struct {
	Region   string `yaml:"region"`
	Endpoint string `yaml:"endpoint,omitempty"`
	Zone     string `yaml:"zone,omitempty"`
}

func (o *otherOptions) Validate(v *Validation) {
	if o.Region == "" {
		v.Fail("region", "required")
	}
	if o.Endpoint == "" {
		o.Endpoint = "https://other.example"
	}
	v.Endpoint("endpoint", &o.Endpoint)
}

func (o *otherOptions) InfoLabels() (string, string) { return o.Region, "" }

type desktopsOptions struct {
	PerDesktopSeries bool `yaml:"per_desktop_series"`
}

// quotasOptions check themselves.
type quotasOptions struct {
	Top    int      `yaml:"top"`
	Window Duration `yaml:"window"`
}

func (o *quotasOptions) Validate(v *Validation) {
	v.IntRange("top", o.Top, 1, 100)
	v.DurationRange("window", o.Window, time.Minute, 24*time.Hour)
	if o.Top > 50 {
		v.Warn("top", "%d: large", o.Top)
	}
}

func TestRegistryNames(t *testing.T) {
	if got := strings.Join(ProviderNames(), ","); got != "othercloud,testcloud" {
		t.Errorf("providers %s", got)
	}
	if got := strings.Join(CollectorNames(), ","); got != "desktops,quotas,sessions" {
		t.Errorf("collectors %s", got)
	}
	s, ok := CollectorSchemaOf("sessions")
	if !ok || s.DefaultEnabled || s.DefaultInterval != 5*time.Minute || s.Capability != "sessions" || s.NewOptions != nil {
		t.Errorf("sessions = %+v %v", s, ok)
	}
	if _, ok := CollectorSchemaOf("nope"); ok {
		t.Error("unknown collector found")
	}
	p, ok := ProviderSchemaOf("othercloud")
	if !ok || !p.HasCapability("desktops") || p.HasCapability("sessions") || !p.HasCapability("") {
		t.Errorf("othercloud = %+v %v", p, ok)
	}
}

// Registration mistakes panic at init, naming the mistake.
func TestRegistrationPanics(t *testing.T) {
	panics := func(name, want string, f func()) {
		t.Helper()
		defer func() {
			t.Helper()
			r := recover()
			if r == nil || !strings.Contains(fmt.Sprint(r), want) {
				t.Errorf("%s: panic %v, want one containing %q", name, r, want)
			}
		}()
		f()
	}
	newOpts := func() ProviderOptions { return &testOptions{} }
	panics("duplicate provider", "provider registered twice: testcloud", func() {
		RegisterProvider("testcloud", ProviderSchema{NewOptions: newOpts})
	})
	panics("bad provider name", `provider name "Test" is not`, func() { RegisterProvider("Test", ProviderSchema{NewOptions: newOpts}) })
	panics("no options", "NewOptions is required", func() { RegisterProvider("x1", ProviderSchema{}) })
	panics("nil options", "non-nil pointer to a struct", func() {
		RegisterProvider("x2", ProviderSchema{NewOptions: func() ProviderOptions { return (*testOptions)(nil) }})
	})
	panics("common key", `option key "api" is a common target key`, func() {
		RegisterProvider("x3", ProviderSchema{NewOptions: func() ProviderOptions { return &clashOptions{} }})
	})
	panics("duplicate collector", "collector registered twice: desktops", func() {
		RegisterCollector("desktops", CollectorSchema{DefaultInterval: time.Minute})
	})
	panics("bad interval", "default interval 5s is outside 10s..1d", func() {
		RegisterCollector("x4", CollectorSchema{DefaultInterval: 5 * time.Second})
	})
	panics("options not a struct pointer", "not map[string]int", func() {
		RegisterCollector("x5", CollectorSchema{DefaultInterval: time.Minute, NewOptions: func() any { return map[string]int{} }})
	})
	panics("collector key clash", `option key "interval" is a common collector key`, func() {
		RegisterCollector("x6", CollectorSchema{DefaultInterval: time.Minute, NewOptions: func() any {
			return &struct {
				I Duration `yaml:"interval"`
			}{}
		}})
	})
	for _, n := range []string{"x1", "x2", "x3"} {
		if _, ok := ProviderSchemaOf(n); ok {
			t.Errorf("failed registration %s registered", n)
		}
	}
}

type clashOptions struct {
	API string `yaml:"api"`
}

func (*clashOptions) Validate(*Validation)         {}
func (*clashOptions) InfoLabels() (string, string) { return "", "" }

// A target's provider may come after its provider's keys.
func TestProviderKeyOrder(t *testing.T) {
	cfg, err := Parse([]byte("targets:\n  - name: a\n    region: r\n    endpoint: http://x/\n    project_id: p\n    provider: testcloud\n"), testOpts)
	if err != nil {
		t.Fatal(err)
	}
	o := cfg.Targets[0].Options.(*testOptions)
	if *o != (testOptions{Region: "r", ProjectID: "p", Endpoint: "http://x"}) {
		t.Errorf("options = %+v", o)
	}
	if r, p := cfg.Targets[0].InfoLabels(); r != "r" || p != "p" {
		t.Errorf("info labels %q %q", r, p)
	}
	// Problems of keys before provider keep their lines.
	_, err = Parse([]byte("targets:\n  - name: a\n    region: R\n    project_id: p\n    regoin: x\n    provider: testcloud\n"), testOpts)
	checkProblems(t, err,
		`line 3: target "a" (targets[0]): region: "R" is not a region name (lower-case letters, digits and dashes)`,
		`line 5: target "a" (targets[0]): unknown key "regoin" (did you mean "region"?)`)
	// ...also when provider comes from a merge.
	cfg, err = Parse([]byte("x: &p {provider: othercloud}\ntargets:\n  - name: a\n    zone: z\n    region: r\n    <<: *p\n"), testOpts)
	checkProblems(t, err, `line 1: unknown key "x" at the top level`)
	if cfg != nil {
		t.Fatal("config with an error")
	}
}

func TestProviderErrors(t *testing.T) {
	cases := []struct {
		name, yaml string
		want       []string
	}{
		{"unknown provider: only its name is wrong", "targets:\n  - {name: a, provider: aws, region: r, project_id: p, zone: z}\n", []string{
			`line 2: target "a" (targets[0]): provider: unknown provider "aws" (supported: othercloud, testcloud)`}},
		{"missing provider", "targets:\n  - name: a\n    region: r\n    regoin: r\n", []string{
			`line 2: target "a" (targets[0]): provider: required (one of: othercloud, testcloud)`,
			`line 4: target "a" (targets[0]): unknown key "regoin" (did you mean "region"?)`}},
		{"provider not a string", "targets:\n  - name: a\n    provider: [testcloud]\n    region: r\n", []string{
			`line 3: target "a" (targets[0]): provider: want a string, got a list`}},
		{"another provider's key", "targets:\n  - name: a\n    provider: othercloud\n    region: r\n    project_id: p\n", []string{
			`line 5: target "a" (targets[0]): unknown key "project_id" (provider othercloud has no project_id; it belongs to testcloud)`}},
		{"another provider's key, the other way", "targets:\n  - name: a\n    provider: testcloud\n    region: r\n    project_id: p\n    zone: z\n", []string{
			`line 6: target "a" (targets[0]): unknown key "zone" (provider testcloud has no zone; it belongs to othercloud)`}},
		{"typo of a provider key", "targets:\n  - name: a\n    provider: othercloud\n    region: r\n    endpont: http://x\n", []string{
			`line 5: target "a" (targets[0]): unknown key "endpont" (did you mean "endpoint"?)`}},
		{"provider options checked with lines", "targets:\n  - name: a\n    provider: othercloud\n    endpoint: ftp://x\n", []string{
			`line 2: target "a" (targets[0]): region: required`,
			`line 4: target "a" (targets[0]): endpoint: "ftp://x" needs an http:// or https:// scheme`}},
		{"provider option of the wrong type", "targets:\n  - name: a\n    provider: othercloud\n    region: {a: b}\n", []string{
			`line 4: target "a" (targets[0]): region: want a string, got a mapping`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse([]byte(c.yaml), testOpts)
			checkProblems(t, err, c.want...)
		})
	}
}

// Collector options are decoded strictly from the collector's mapping,
// defaults first; every unlisted collector gets its defaults.
func TestCollectorOptions(t *testing.T) {
	cfg, err := Parse([]byte(doc("collectors:\n  desktops:\n    per_desktop_series: false\n  quotas: {top: 60}")), testOpts)
	if err != nil {
		t.Fatal(err)
	}
	cs := cfg.Targets[0].Collectors
	if len(cs) != 3 {
		t.Errorf("collectors %v", cs)
	}
	d := cs["desktops"]
	if !d.IsEnabled() || time.Duration(d.Interval) != 2*time.Minute || d.Options.(*desktopsOptions).PerDesktopSeries {
		t.Errorf("desktops %+v %+v", d, d.Options)
	}
	q := cs["quotas"]
	if o := q.Options.(*quotasOptions); !q.IsEnabled() || time.Duration(q.Interval) != 10*time.Minute || o.Top != 60 || o.Window != Duration(time.Hour) {
		t.Errorf("quotas %+v %+v", q, q.Options)
	}
	s := cs["sessions"]
	if s.IsEnabled() || s.Enabled == nil || time.Duration(s.Interval) != 5*time.Minute || s.Options != nil {
		t.Errorf("sessions %+v", s)
	}
	if got := strings.Join(cfg.Targets[0].EnabledCollectors(), ","); got != "desktops,quotas" {
		t.Errorf("enabled %s", got)
	}
	if want := `line 9: target "a" (targets[0]): collectors.quotas.top: 60: large`; len(cfg.Warnings) != 1 || cfg.Warnings[0] != want {
		t.Errorf("warnings %q", cfg.Warnings)
	}

	cases := []struct {
		name, yaml string
		want       []string
	}{
		{"unknown option, with a suggestion", "collectors:\n  desktops:\n    per_desktop_serie: false\n    interval: 1m\n  quotas:\n    tops: 3", []string{
			`line 8: target "a" (targets[0]): unknown key "per_desktop_serie" in collectors.desktops (did you mean "per_desktop_series"?)`,
			`line 11: target "a" (targets[0]): unknown key "tops" in collectors.quotas (did you mean "top"?)`}},
		{"a collector without options", "collectors:\n  sessions:\n    top: 3", []string{
			`line 8: target "a" (targets[0]): unknown key "top" in collectors.sessions`}},
		{"option of the wrong type", "collectors:\n  desktops: {per_desktop_series: sometimes}", []string{
			`line 7: target "a" (targets[0]): collectors.desktops.per_desktop_series: want true or false, got "sometimes"`}},
		{"options checked with their lines", "collectors:\n  quotas:\n    top: 0\n    window: 2d", []string{
			`line 8: target "a" (targets[0]): collectors.quotas.top: 0 is outside 1..100`,
			`line 9: target "a" (targets[0]): collectors.quotas.window: 2d is above the maximum of 1d`}},
		{"null options keep their defaults", "collectors:\n  quotas: {top: ~}\n  desktops: ~", nil},
		{"unknown collector", "collectors:\n  desktops: {}\n  desktopz: {anything: 1}", []string{
			`line 8: target "a" (targets[0]): collectors.desktopz: unknown collector (known: desktops, quotas, sessions)`}},
		{"unknown null collector", "collectors:\n  desktopz:", []string{
			`line 7: target "a" (targets[0]): collectors.desktopz: unknown collector (known: desktops, quotas, sessions)`}},
		{"collectors not a mapping", "collectors: [desktops]", []string{
			`line 6: target "a" (targets[0]): collectors: want a mapping, got a list`}},
		{"collector not a mapping", "collectors: {desktops: true}", []string{
			`line 6: target "a" (targets[0]): collectors.desktops: want a mapping, got "true"`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse([]byte(doc(c.yaml)), testOpts)
			checkProblems(t, err, c.want...)
		})
	}
}

// A collector needs its capability from the target's provider: enabling
// it where the provider lacks it is an error; otherwise the target simply
// does not have it.
func TestCollectorCapabilities(t *testing.T) {
	other := "targets:\n  - name: o\n    provider: othercloud\n    region: r\n"
	cfg, err := Parse([]byte(other), testOpts)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(sortedKeys(cfg.Targets[0].Collectors), ","); got != "desktops,quotas" {
		t.Errorf("othercloud collectors %s", got)
	}
	for _, ok := range []string{"    collectors: {sessions: {enabled: false}}\n", "    collectors: {sessions: {interval: 1m}}\n", "    collectors: {sessions: ~}\n"} {
		cfg, err := Parse([]byte(other+ok), testOpts)
		if err != nil {
			t.Errorf("%s: %v", ok, err)
			continue
		}
		if _, has := cfg.Targets[0].Collectors["sessions"]; has {
			t.Errorf("%s: sessions kept", ok)
		}
	}
	_, err = Parse([]byte(other+"    collectors:\n      sessions:\n        enabled: true\n"), testOpts)
	checkProblems(t, err, `line 7: target "o" (targets[0]): collectors.sessions.enabled: true, but provider othercloud cannot run collector sessions: it lacks capability "sessions" (othercloud has: desktops)`)
	// In code too.
	on := true
	_, err = Validate(&Config{Targets: []Target{{Name: "o", Provider: "othercloud", Options: &otherOptions{Region: "r"},
		Collectors: map[string]CollectorConfig{"sessions": {Enabled: &on}}}}}, testOpts)
	checkProblems(t, err, `target "o" (targets[0]): collectors.sessions.enabled: true, but provider othercloud cannot run collector sessions: it lacks capability "sessions" (othercloud has: desktops)`)
	// testcloud has it: listed, off by default.
	cfg, err = Parse([]byte(doc("collectors: {sessions: {enabled: true}}")), testOpts)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(cfg.Targets[0].EnabledCollectors(), ","); got != "desktops,quotas,sessions" {
		t.Errorf("enabled %s", got)
	}
}

// Code-built options of the wrong type are errors, not panics.
func TestValidateWrongOptionTypes(t *testing.T) {
	_, err := Validate(&Config{Targets: []Target{
		{Name: "a", Provider: "testcloud", Options: &otherOptions{Region: "r"}},
		{Name: "b", Provider: "othercloud", Options: &otherOptions{Region: "r"}, Collectors: map[string]CollectorConfig{
			"desktops": {Options: &quotasOptions{}}, "sessions": {Options: &desktopsOptions{}}, "quotas": {Options: quotasOptions{Top: 1}}}},
		{Name: "c", Provider: "testcloud", Collectors: map[string]CollectorConfig{"sessions": {Options: &desktopsOptions{}}}},
	}}, testOpts)
	checkProblems(t, err,
		`target "a" (targets[0]): provider: the options of provider testcloud are a *config.testOptions, not a *config.otherOptions`,
		`target "b" (targets[1]): collectors.desktops: the options of collector desktops are a *config.desktopsOptions, not a *config.quotasOptions`,
		`target "b" (targets[1]): collectors.quotas: the options of collector quotas are a *config.quotasOptions, not a config.quotasOptions`,
		`target "c" (targets[2]): region: required, e.g. ap-southeast-3`,
		`target "c" (targets[2]): project_id: required (the IAM project ID of the region)`,
		`target "c" (targets[2]): collectors.sessions: collector sessions has no options, but a *config.desktopsOptions is given`)
}

// A configuration writes back as the file has it: provider and
// collector options inline.
func TestMarshalInline(t *testing.T) {
	cfg, err := Parse([]byte(doc("collectors: {desktops: {per_desktop_series: false}}")), testOpts)
	if err != nil {
		t.Fatal(err)
	}
	y, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	// Compared line by line, indentation aside.
	lines := strings.Split(string(y), "\n")
	for i := range lines {
		lines[i] = strings.TrimSpace(lines[i])
	}
	flat := strings.Join(lines, "\n")
	for _, want := range []string{
		"provider: testcloud\nregion: ap-southeast-3\nproject_id: p\nendpoint: https://workspace.ap-southeast-3.test.example\napi:\n",
		"desktops:\nenabled: true\ninterval: 2m\nper_desktop_series: false\n",
		"sessions:\nenabled: false\ninterval: 5m\n",
	} {
		if !strings.Contains(flat, want) {
			t.Errorf("marshalled config lacks\n%s\nin\n%s", want, y)
		}
	}
	again, err := Parse(y, testOpts)
	if err != nil {
		t.Fatalf("the marshalled config does not load: %v\n%s", err, y)
	}
	if again.Targets[0].Options.(*testOptions).Endpoint != cfg.Targets[0].Options.(*testOptions).Endpoint {
		t.Error("round trip lost the endpoint")
	}
}

// The settings of an unknown collector are not decoded, but what their
// aliases reach still counts against the bound on alias expansion.
func TestUnknownCollectorAliasesCount(t *testing.T) {
	var b strings.Builder
	b.WriteString("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i <= 6; i++ {
		fmt.Fprintf(&b, "a%d: &a%d [%s]\n", i, i, strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*a%d, ", i-1), 10), ", "))
	}
	b.WriteString(doc("collectors: {nope: *a6}"))
	_, err := Parse([]byte(b.String()), testOpts)
	if err == nil || !strings.Contains(err.Error(), "anchors and aliases expand the document to more than 100000 values") {
		t.Errorf("error %v", err)
	}
}
