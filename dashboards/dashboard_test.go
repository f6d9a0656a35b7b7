// Package dashboards holds the Grafana dashboards of workspace_exporter.
//
// This test lints every *.json dashboard in this folder and the Prometheus
// rule file in ../alerts, in the spirit of grafana/dashboard-linter and
// mixtool lint, with the standard library only:
//
//   - dashboards: uid, title and schemaVersion set; one datasource variable;
//     multi-value job and target variables with allValue ".+"; every panel
//     (panels inside rows included) has a title, a description and a unit
//     (rows and text panels excepted); every query selects on $job and
//     $target, uses [$__rate_interval] for ranges and the datasource variable;
//   - dashboards and rules: every workspace_* metric name is documented in
//     ../METRICS.md (or is a recording rule of the rule file), and *_total
//     counters appear only inside rate(), irate() or increase();
//   - rules: alert names, severity, summary, description and runbook_url
//     follow the house style, and alerts/RUNBOOK.md has a section per alert.
package dashboards

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"unicode"
)

const (
	// metricsDocPath lists every exported metric as a "### `workspace_…`" heading.
	metricsDocPath = "../METRICS.md"
	rulesPath      = "../alerts/workspace_exporter.rules.yml"
	runbookPath    = "../alerts/RUNBOOK.md"
	runbookURL     = "https://github.com/workspace-exporter/workspace_exporter/blob/main/alerts/RUNBOOK.md#"
	minSchema      = 39
)

// ---------------------------------------------------------------- dashboards

type dashboard struct {
	UID           string  `json:"uid"`
	Title         string  `json:"title"`
	SchemaVersion int     `json:"schemaVersion"`
	Panels        []panel `json:"panels"`
	Templating    struct {
		List []variable `json:"list"`
	} `json:"templating"`
	Annotations struct {
		List []annotation `json:"list"`
	} `json:"annotations"`
}

type panel struct {
	ID          int             `json:"id"`
	Type        string          `json:"type"`
	Title       string          `json:"title"`
	Description string          `json:"description"`
	Datasource  json.RawMessage `json:"datasource"`
	FieldConfig struct {
		Defaults struct {
			Unit string `json:"unit"`
		} `json:"defaults"`
	} `json:"fieldConfig"`
	Targets []struct {
		RefID      string          `json:"refId"`
		Expr       string          `json:"expr"`
		Datasource json.RawMessage `json:"datasource"`
	} `json:"targets"`
	Panels []panel `json:"panels"` // panels of a collapsed row
}

type variable struct {
	Name       string          `json:"name"`
	Type       string          `json:"type"`
	Query      json.RawMessage `json:"query"`
	Datasource json.RawMessage `json:"datasource"`
	Multi      bool            `json:"multi"`
	IncludeAll bool            `json:"includeAll"`
	AllValue   string          `json:"allValue"`
}

type annotation struct {
	Name       string          `json:"name"`
	Expr       string          `json:"expr"`
	Datasource json.RawMessage `json:"datasource"`
}

// query returns a variable's query, stored either as a string or as an
// object with a "query" field (Grafana 10+ Prometheus variable editor).
func (v variable) query() string {
	var s string
	if json.Unmarshal(v.Query, &s) == nil {
		return s
	}
	var o struct {
		Query string `json:"query"`
	}
	if json.Unmarshal(v.Query, &o) == nil {
		return o.Query
	}
	return ""
}

// dsRef decodes a datasource reference: an object {type, uid} or a string.
func dsRef(raw json.RawMessage) (typ, uid string) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return "", s
	}
	var o struct {
		Type string `json:"type"`
		UID  string `json:"uid"`
	}
	_ = json.Unmarshal(raw, &o)
	return o.Type, o.UID
}

func isDatasourceVar(uid string) bool {
	return uid == "$datasource" || uid == "${datasource}"
}

type dashFile struct {
	path string
	d    dashboard
}

func loadDashboards(t *testing.T) []dashFile {
	t.Helper()
	paths, err := filepath.Glob("*.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) == 0 {
		t.Fatal("no *.json dashboard in dashboards/")
	}
	var out []dashFile
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var d dashboard
		if err := json.Unmarshal(b, &d); err != nil {
			t.Fatalf("%s: invalid JSON: %v", p, err)
		}
		out = append(out, dashFile{p, d})
	}
	return out
}

// allPanels flattens rows: panels of expanded rows follow the row at the
// top level, panels of collapsed rows sit in the row's "panels".
func allPanels(ps []panel) []panel {
	var out []panel
	for _, p := range ps {
		out = append(out, p)
		out = append(out, allPanels(p.Panels)...)
	}
	return out
}

// dashboardExprs returns every PromQL expression of a dashboard with a
// description of where it is.
func dashboardExprs(d dashboard) map[string]string {
	out := map[string]string{}
	for _, p := range allPanels(d.Panels) {
		for _, tg := range p.Targets {
			if tg.Expr != "" {
				out[fmt.Sprintf("panel %q target %s", p.Title, tg.RefID)] = tg.Expr
			}
		}
	}
	for _, a := range d.Annotations.List {
		if a.Expr != "" {
			out[fmt.Sprintf("annotation %q", a.Name)] = a.Expr
		}
	}
	for _, v := range d.Templating.List {
		if v.Type == "query" && v.query() != "" {
			out[fmt.Sprintf("variable %q", v.Name)] = v.query()
		}
	}
	return out
}

func mentionsVar(expr, name string) bool {
	return strings.Contains(expr, "$"+name) || strings.Contains(expr, "${"+name+"}")
}

func TestDashboards(t *testing.T) {
	for _, f := range loadDashboards(t) {
		t.Run(f.path, func(t *testing.T) {
			d := f.d
			if strings.TrimSpace(d.UID) == "" {
				t.Error("uid is not set")
			}
			if strings.TrimSpace(d.Title) == "" {
				t.Error("title is not set")
			}
			if d.SchemaVersion < minSchema {
				t.Errorf("schemaVersion %d, want >= %d", d.SchemaVersion, minSchema)
			}

			// Variables.
			var dsVars int
			vars := map[string]variable{}
			for _, v := range d.Templating.List {
				vars[v.Name] = v
				if v.Type == "datasource" {
					dsVars++
					if v.query() != "prometheus" {
						t.Errorf("datasource variable %q: query %q, want \"prometheus\"", v.Name, v.query())
					}
				}
			}
			if dsVars != 1 {
				t.Errorf("%d datasource variables, want exactly 1", dsVars)
			}
			for _, name := range []string{"job", "target"} {
				v, ok := vars[name]
				switch {
				case !ok:
					t.Errorf("no %q variable", name)
				case !v.Multi || !v.IncludeAll || v.AllValue != ".+":
					t.Errorf("variable %q: multi=%v includeAll=%v allValue=%q, want true, true, \".+\"",
						name, v.Multi, v.IncludeAll, v.AllValue)
				}
				if ok && v.Type == "query" {
					if _, uid := dsRef(v.Datasource); !isDatasourceVar(uid) {
						t.Errorf("variable %q: datasource %q, want the datasource variable", name, uid)
					}
				}
			}

			// Panels.
			ids := map[int]string{}
			for _, p := range allPanels(d.Panels) {
				if prev, dup := ids[p.ID]; dup {
					t.Errorf("panel id %d used by %q and %q", p.ID, prev, p.Title)
				}
				ids[p.ID] = p.Title
				if strings.TrimSpace(p.Title) == "" {
					t.Errorf("panel id %d (%s) has no title", p.ID, p.Type)
				}
				if p.Type == "row" || p.Type == "text" {
					continue
				}
				if strings.TrimSpace(p.Description) == "" {
					t.Errorf("panel %q has no description", p.Title)
				}
				if strings.TrimSpace(p.FieldConfig.Defaults.Unit) == "" {
					t.Errorf("panel %q has no unit (fieldConfig.defaults.unit)", p.Title)
				}
				if len(p.Targets) == 0 {
					t.Errorf("panel %q has no query", p.Title)
				}
				if _, uid := dsRef(p.Datasource); !isDatasourceVar(uid) {
					t.Errorf("panel %q: datasource %q, want the datasource variable", p.Title, uid)
				}
				for _, tg := range p.Targets {
					if _, uid := dsRef(tg.Datasource); uid != "" && !isDatasourceVar(uid) {
						t.Errorf("panel %q target %s: datasource %q, want the datasource variable", p.Title, tg.RefID, uid)
					}
				}
			}

			// Queries.
			for where, expr := range dashboardExprs(d) {
				if strings.HasPrefix(where, "variable ") {
					continue // variables select the job and target themselves
				}
				for _, name := range []string{"job", "target"} {
					if !mentionsVar(expr, name) {
						t.Errorf("%s: query does not select on $%s: %s", where, name, expr)
					}
				}
				for _, r := range rangeRe.FindAllStringSubmatch(stripStrings(expr), -1) {
					if r[1] != "$__rate_interval" && r[1] != "${__rate_interval}" {
						t.Errorf("%s: range [%s], want [$__rate_interval]: %s", where, r[1], expr)
					}
				}
				for _, e := range checkCounters(expr) {
					t.Errorf("%s: %v", where, e)
				}
			}
		})
	}
}

// ---------------------------------------------------------------- PromQL scanning

var (
	identRe = regexp.MustCompile(`[A-Za-z_:][A-Za-z0-9_:]*`)
	rangeRe = regexp.MustCompile(`\[([^\]]*)\]`)
	// metricRe is what counts as a reference to one of our metrics.
	metricRe = regexp.MustCompile(`^workspace_[a-z_]+$`)
)

// stripStrings blanks out string literals ("…", '…', `…`) so that label
// values are not mistaken for metric names, functions or ranges.
func stripStrings(expr string) string {
	b := []byte(expr)
	for i := 0; i < len(b); i++ {
		q := b[i]
		if q != '"' && q != '\'' && q != '`' {
			continue
		}
		j := i + 1
		for ; j < len(b) && b[j] != q; j++ {
			if b[j] == '\\' && q != '`' {
				b[j] = ' '
				j++
				if j < len(b) {
					b[j] = ' '
				}
				continue
			}
			b[j] = ' '
		}
		i = j
	}
	return string(b)
}

type token struct {
	name      string
	pos       int
	isCall    bool     // followed by "("
	enclosing []string // names of the enclosing calls / groupings, outermost first
}

// tokens lists the identifiers of a PromQL expression with the calls that
// enclose each one.
func tokens(expr string) []token {
	s := stripStrings(expr)
	var out []token
	var stack []string
	last := "" // identifier immediately before the current position
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '(':
			stack = append(stack, last)
			last = ""
			i++
		case c == ')':
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
			last = ""
			i++
		case c == '$' || c == '{' && i > 0 && s[i-1] == '$':
			// Grafana variable: skip its name.
			j := i + 1
			for j < len(s) && (s[j] == '{' || s[j] == '}' || s[j] == '_' || unicode.IsLetter(rune(s[j])) || unicode.IsDigit(rune(s[j]))) {
				j++
			}
			last = ""
			i = j
		case c == '_' || c == ':' || unicode.IsLetter(rune(c)):
			if i > 0 && unicode.IsDigit(rune(s[i-1])) {
				// duration unit such as the "m" of 15m
				i++
				continue
			}
			loc := identRe.FindStringIndex(s[i:])
			name := s[i : i+loc[1]]
			j := i + loc[1]
			for j < len(s) && (s[j] == ' ' || s[j] == '\n' || s[j] == '\t') {
				j++
			}
			out = append(out, token{name: name, pos: i, isCall: j < len(s) && s[j] == '(',
				enclosing: append([]string(nil), stack...)})
			last = name
			i += loc[1]
		case c == ' ' || c == '\n' || c == '\t':
			i++
		default:
			last = ""
			i++
		}
	}
	return out
}

// checkCounters reports *_total series that are not inside rate(),
// irate() or increase().
func checkCounters(expr string) []error {
	var errs []error
	for _, tk := range tokens(expr) {
		if tk.isCall || !strings.HasSuffix(tk.name, "_total") {
			continue
		}
		ok := false
		for _, f := range tk.enclosing {
			if f == "rate" || f == "irate" || f == "increase" {
				ok = true
			}
		}
		if !ok {
			errs = append(errs, fmt.Errorf("counter %s used outside rate()/irate()/increase(): %s", tk.name, oneLine(expr)))
		}
	}
	return errs
}

// metricRefs returns the metric and recording-rule names an expression
// uses: identifiers matching workspace_[a-z_]+ and colon names that
// contain "workspace_".
func metricRefs(expr string) []string {
	var out []string
	for _, tk := range tokens(expr) {
		if tk.isCall {
			continue
		}
		if metricRe.MatchString(tk.name) || strings.Contains(tk.name, ":") && strings.Contains(tk.name, "workspace_") {
			out = append(out, tk.name)
		}
	}
	return out
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func TestScanner(t *testing.T) {
	cases := []struct {
		expr     string
		counters int // errors from checkCounters
		refs     string
	}{
		{`sum by (code) (rate(workspace_api_requests_total{job=~"$job", target=~"$target"}[$__rate_interval]))`, 0, "workspace_api_requests_total"},
		{`workspace_api_requests_total{code="workspace_fake_total"} > 0`, 1, "workspace_api_requests_total"},
		{`sum(increase(workspace_api_throttled_total[1h])) / sum(workspace_api_throttled_total)`, 1, "workspace_api_throttled_total workspace_api_throttled_total"},
		{`target:workspace_desktops:sum_by_status{status="ERROR"} > 0 and ignoring (status) x:workspace_y:z`, 0, "target:workspace_desktops:sum_by_status x:workspace_y:z"},
		{"histogram_quantile(0.95, sum by (le) (rate(workspace_api_request_duration_seconds_bucket[15m])))", 0, "workspace_api_request_duration_seconds_bucket"},
		{`label_values(workspace_up{job=~"${job}"}, target)`, 0, "workspace_up"},
	}
	for _, c := range cases {
		if got := len(checkCounters(c.expr)); got != c.counters {
			t.Errorf("checkCounters(%q) = %d errors, want %d", c.expr, got, c.counters)
		}
		if got := strings.Join(metricRefs(c.expr), " "); got != c.refs {
			t.Errorf("metricRefs(%q) = %q, want %q", c.expr, got, c.refs)
		}
	}
}

// ---------------------------------------------------------------- rule file

// rule is one recording or alerting rule of the rule file.
type rule struct {
	line        int
	record      string
	alert       string
	expr        string
	forDur      string
	labels      map[string]string
	annotations map[string]string
}

var ruleItemRe = regexp.MustCompile(`^(\s*)- (record|alert):`)

// parseRules reads the rules of a Prometheus rule file. It is not a YAML
// parser: it understands block mappings, plain and quoted scalars and
// block scalars (| and >), which is the style the rule file is written in.
func parseRules(text string) ([]rule, error) {
	lines := strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	var rules []rule
	for i, l := range lines {
		m := ruleItemRe.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		indent := len(m[1]) + 2
		item := make([]string, len(lines))
		copy(item, lines)
		item[i] = m[1] + "  " + l[len(m[1])+2:] // "- key: v" -> "  key: v"
		mp, _, err := parseMapping(item, i, indent)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", i+1, err)
		}
		r := rule{line: i + 1, labels: map[string]string{}, annotations: map[string]string{}}
		r.record, _ = mp["record"].(string)
		r.alert, _ = mp["alert"].(string)
		r.expr, _ = mp["expr"].(string)
		r.forDur, _ = mp["for"].(string)
		for k, dst := range map[string]map[string]string{"labels": r.labels, "annotations": r.annotations} {
			if sub, ok := mp[k].(map[string]any); ok {
				for kk, vv := range sub {
					s, _ := vv.(string)
					dst[kk] = s
				}
			}
		}
		rules = append(rules, r)
	}
	if len(rules) == 0 {
		return nil, errors.New("no rules found")
	}
	return rules, nil
}

func indentOf(l string) int { return len(l) - len(strings.TrimLeft(l, " ")) }

func blank(l string) bool {
	t := strings.TrimSpace(l)
	return t == "" || strings.HasPrefix(t, "#")
}

// parseMapping parses the "key: value" lines at exactly indent, starting
// at line i. It returns the mapping and the index of the first line after it.
func parseMapping(lines []string, i, indent int) (map[string]any, int, error) {
	out := map[string]any{}
	for i < len(lines) {
		l := lines[i]
		if blank(l) {
			i++
			continue
		}
		in := indentOf(l)
		if in < indent || strings.HasPrefix(strings.TrimSpace(l), "- ") {
			break
		}
		if in > indent {
			return nil, i, fmt.Errorf("line %d: unexpected indentation", i+1)
		}
		key, val, ok := strings.Cut(strings.TrimSpace(l), ":")
		if !ok {
			return nil, i, fmt.Errorf("line %d: expected key: value", i+1)
		}
		val = strings.TrimSpace(val)
		i++
		switch {
		case val == "":
			// Nested mapping (or nothing).
			j := i
			for j < len(lines) && blank(lines[j]) {
				j++
			}
			if j < len(lines) && indentOf(lines[j]) > indent {
				sub, next, err := parseMapping(lines, j, indentOf(lines[j]))
				if err != nil {
					return nil, next, err
				}
				out[key] = sub
				i = next
			} else {
				out[key] = ""
			}
		case strings.HasPrefix(val, "|") || strings.HasPrefix(val, ">"):
			var body []string
			for i < len(lines) && (strings.TrimSpace(lines[i]) == "" || indentOf(lines[i]) > indent) {
				body = append(body, strings.TrimSpace(lines[i]))
				i++
			}
			sep := "\n"
			if val[0] == '>' {
				sep = " "
			}
			out[key] = strings.TrimSpace(strings.Join(body, sep))
		default:
			out[key] = unquote(stripComment(val))
		}
	}
	return out, i, nil
}

func stripComment(v string) string {
	if strings.HasPrefix(v, `"`) || strings.HasPrefix(v, `'`) {
		return v
	}
	if i := strings.Index(v, " #"); i >= 0 {
		return strings.TrimSpace(v[:i])
	}
	return v
}

func unquote(v string) string {
	if len(v) >= 2 && v[0] == '\'' && v[len(v)-1] == '\'' {
		return strings.ReplaceAll(v[1:len(v)-1], "''", "'")
	}
	if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
		r := strings.NewReplacer(`\"`, `"`, `\\`, `\`, `\n`, "\n")
		return r.Replace(v[1 : len(v)-1])
	}
	return v
}

func loadRules(t *testing.T) []rule {
	t.Helper()
	b, err := os.ReadFile(rulesPath)
	if err != nil {
		t.Fatalf("cannot read the rule file: %v", err)
	}
	rules, err := parseRules(string(b))
	if err != nil {
		t.Fatalf("%s: %v", rulesPath, err)
	}
	return rules
}

func TestRuleFileParser(t *testing.T) {
	src := `groups:
  - name: g
    rules:
      - record: a:b:c
        expr: sum(x) # comment
      - alert: Foo
        expr: |
          x
          > 1
        for: 5m
        labels:
          severity: "warning"
        annotations:
          summary: 'It''s bad.'
          description: >-
            {{ $value }}
            more
`
	rules, err := parseRules(src)
	if err != nil {
		t.Fatal(err)
	}
	if len(rules) != 2 {
		t.Fatalf("got %d rules, want 2", len(rules))
	}
	if r := rules[0]; r.record != "a:b:c" || r.expr != "sum(x)" {
		t.Errorf("rule 0 = %+v", r)
	}
	r := rules[1]
	if r.alert != "Foo" || r.expr != "x\n> 1" || r.forDur != "5m" || r.labels["severity"] != "warning" ||
		r.annotations["summary"] != "It's bad." || r.annotations["description"] != "{{ $value }} more" {
		t.Errorf("rule 1 = %+v", r)
	}
}

var alertNameRe = regexp.MustCompile(`^Workspace[A-Z][A-Za-z0-9]*$`)

func TestAlertRules(t *testing.T) {
	rules := loadRules(t)
	runbook, err := os.ReadFile(runbookPath)
	if err != nil {
		t.Fatalf("cannot read the runbook: %v", err)
	}
	headings := map[string]bool{}
	for _, l := range strings.Split(string(runbook), "\n") {
		if strings.HasPrefix(l, "## ") {
			headings[strings.ToLower(strings.TrimSpace(l[3:]))] = true
		}
	}
	seen := map[string]bool{}
	var alerts int
	for _, r := range rules {
		for _, e := range checkCounters(r.expr) {
			t.Errorf("%s:%d: %v", rulesPath, r.line, e)
		}
		if r.alert == "" {
			if r.record == "" || r.expr == "" {
				t.Errorf("%s:%d: rule without record/alert or expr", rulesPath, r.line)
			}
			continue
		}
		alerts++
		name := r.alert
		where := fmt.Sprintf("%s:%d: alert %s", rulesPath, r.line, name)
		if seen[name] {
			t.Errorf("%s: defined twice", where)
		}
		seen[name] = true
		if !alertNameRe.MatchString(name) || len(name) > 40 {
			t.Errorf("%s: name must be CamelCase, start with Workspace and be at most 40 characters", where)
		}
		if r.expr == "" {
			t.Errorf("%s: no expr", where)
		}
		if r.forDur == "" {
			t.Errorf("%s: no for:", where)
		}
		switch r.labels["severity"] {
		case "critical", "warning", "info":
		default:
			t.Errorf("%s: severity %q, want critical, warning or info", where, r.labels["severity"])
		}
		s := r.annotations["summary"]
		switch {
		case s == "":
			t.Errorf("%s: no summary", where)
		case strings.Contains(s, "{{"):
			t.Errorf("%s: summary must not be templated", where)
		case !unicode.IsUpper([]rune(s)[0]) || !strings.HasSuffix(s, "."):
			t.Errorf("%s: summary must start with a capital and end with a period: %q", where, s)
		}
		d := r.annotations["description"]
		if !strings.Contains(d, "{{") || !strings.Contains(d, "$labels") && !strings.Contains(d, "$value") {
			t.Errorf("%s: description must be templated with $labels or $value", where)
		}
		if want := runbookURL + strings.ToLower(name); r.annotations["runbook_url"] != want {
			t.Errorf("%s: runbook_url %q, want %q", where, r.annotations["runbook_url"], want)
		}
		if !headings[strings.ToLower(name)] {
			t.Errorf("%s: %s has no \"## %s\" section", where, runbookPath, name)
		}
	}
	if alerts == 0 {
		t.Error("no alerting rules found")
	}
}

// ---------------------------------------------------------------- metric names

var metricHeadingRe = regexp.MustCompile("^### `(workspace_[A-Za-z0-9_]+)")

// documentedMetrics reads the metric names of METRICS.md.
func documentedMetrics(t *testing.T) map[string]bool {
	t.Helper()
	b, err := os.ReadFile(metricsDocPath)
	if errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("%s does not exist: the metric names used by the dashboards and %s are checked against its "+
			"\"### `workspace_…`\" headings (one per metric); write %s first", metricsDocPath, rulesPath, metricsDocPath)
	}
	if err != nil {
		t.Fatalf("cannot read %s: %v", metricsDocPath, err)
	}
	known := map[string]bool{}
	for _, l := range strings.Split(string(b), "\n") {
		if m := metricHeadingRe.FindStringSubmatch(strings.TrimRight(l, "\r")); m != nil {
			known[m[1]] = true
		}
	}
	if len(known) == 0 {
		t.Fatalf("%s has no \"### `workspace_…`\" metric heading", metricsDocPath)
	}
	return known
}

func isKnown(name string, known map[string]bool) bool {
	if known[name] {
		return true
	}
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		if base, ok := strings.CutSuffix(name, suffix); ok && known[base] {
			return true // series of a histogram
		}
	}
	return false
}

func TestMetricNamesKnown(t *testing.T) {
	known := documentedMetrics(t)
	rules := loadRules(t)
	for _, r := range rules {
		if r.record != "" {
			known[r.record] = true
		}
	}
	unknown := map[string][]string{}
	for _, r := range rules {
		where := fmt.Sprintf("%s:%d", rulesPath, r.line)
		for _, m := range metricRefs(r.expr) {
			if !isKnown(m, known) {
				unknown[m] = append(unknown[m], where)
			}
		}
	}
	for _, f := range loadDashboards(t) {
		for where, expr := range dashboardExprs(f.d) {
			for _, m := range metricRefs(expr) {
				if !isKnown(m, known) {
					unknown[m] = append(unknown[m], f.path+" "+where)
				}
			}
		}
	}
	names := make([]string, 0, len(unknown))
	for n := range unknown {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		t.Errorf("%s is neither documented in %s nor a recording rule; used in: %s",
			n, metricsDocPath, strings.Join(unknown[n], "; "))
	}
}
