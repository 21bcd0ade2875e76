package deploy

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

type ruleFile struct {
	Groups []struct {
		Name  string `yaml:"name"`
		Rules []struct {
			Alert       string            `yaml:"alert"`
			Expr        string            `yaml:"expr"`
			Labels      map[string]string `yaml:"labels"`
			Annotations map[string]string `yaml:"annotations"`
		} `yaml:"rules"`
	} `yaml:"groups"`
}

// reMetric finds metric names in a PromQL expression: identifiers not
// followed by "(" (functions) and not inside label matchers or strings.
var reMetric = regexp.MustCompile(`[a-zA-Z_:][a-zA-Z0-9_:]*`)

// promQLWords are PromQL's keywords and the label names the rules group by.
var promQLWords = map[string]bool{"by": true, "without": true, "on": true, "ignoring": true, "group_left": true,
	"group_right": true, "and": true, "or": true, "unless": true, "bool": true, "offset": true,
	"job": true, "instance": true, "source": true, "outcome": true}

// nonCounternet are the series of Prometheus and client_golang the rules
// may use besides counternet's own.
var nonCounternet = map[string]bool{"up": true, "process_start_time_seconds": true}

// TestPrometheusRules checks the alerting rules: each counternet series
// they query is one internal/metrics registers, every alert the issue asks
// for is there with a severity and a summary, `promtool check rules`
// accepts the file and `promtool test rules` passes the unit tests, which
// cover every alert.
func TestPrometheusRules(t *testing.T) {
	exported := exportedSeries(t)
	var rf ruleFile
	if err := yaml.Unmarshal(mustRead(t, "prometheus/counternet.rules.yaml"), &rf); err != nil {
		t.Fatal(err)
	}
	var alerts []string
	for _, g := range rf.Groups {
		for _, r := range g.Rules {
			alerts = append(alerts, r.Alert)
			if r.Labels["severity"] == "" || r.Annotations["summary"] == "" || r.Annotations["description"] == "" {
				t.Errorf("alert %s lacks a severity, summary or description", r.Alert)
			}
			for _, name := range exprMetrics(r.Expr) {
				if name = reSuffix.ReplaceAllString(name, ""); !exported[name] && !nonCounternet[name] {
					t.Errorf("alert %s queries %s, which internal/metrics does not register", r.Alert, name)
				}
			}
		}
	}
	for _, want := range []string{"CounternetCollectionStopped", "CounternetSelectorHealthLow", "CounternetConsumerLagGrowing",
		"CounternetDeadLetters", "CounternetPagesNotKept"} {
		if !slices.Contains(alerts, want) {
			t.Errorf("no alert %s", want)
		}
	}
	// Every alert is unit-tested.
	tests := string(mustRead(t, "prometheus/counternet.rules.test.yaml"))
	for _, a := range alerts {
		if !strings.Contains(tests, "alertname: "+a+"\n") {
			t.Errorf("counternet.rules.test.yaml has no case where %s fires", a)
		}
	}

	promtool := tool(t, "promtool", "prometheus")
	start := time.Now()
	out, err := run(t, time.Minute, nil, "prometheus", promtool, "check", "rules", "counternet.rules.yaml")
	if err != nil {
		t.Errorf("promtool check rules: %v\n%s", err, out)
	}
	// The config names the token file of a real install
	// (/etc/prometheus/counternet.token), which promtool wants to exist:
	// it is checked as shipped, with that path pointing at a token here.
	checkDir := t.TempDir()
	token := filepath.Join(checkDir, "counternet.token")
	promYML := string(mustRead(t, "prometheus/prometheus.yml"))
	if !strings.Contains(promYML, "credentials_file: /etc/prometheus/counternet.token") {
		t.Error("prometheus.yml does not send the bearer token (authorization: credentials_file:)")
	}
	for name, data := range map[string]string{
		"counternet.token":      "t0ken\n",
		"counternet.rules.yaml": string(mustRead(t, "prometheus/counternet.rules.yaml")),
		"prometheus.yml":        strings.ReplaceAll(promYML, "/etc/prometheus/counternet.token", token),
	} {
		if err := os.WriteFile(filepath.Join(checkDir, name), []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	out, err = run(t, 2*time.Minute, nil, checkDir, promtool, "check", "config", "prometheus.yml")
	if err != nil {
		t.Errorf("promtool check config: %v\n%s", err, out)
	}
	out, err = run(t, 2*time.Minute, nil, "prometheus", promtool, "test", "rules", "counternet.rules.test.yaml")
	if err != nil || !strings.Contains(out, "SUCCESS") {
		t.Errorf("promtool test rules: %v\n%s", err, out)
	}
	t.Logf("promtool check rules, check config, test rules: %s", time.Since(start).Round(time.Millisecond))
}

var reSuffix = regexp.MustCompile(`_(bucket|sum|count)$`)

// exprMetrics lists the metric names an expression selects.
func exprMetrics(expr string) []string {
	// Drop strings, label matchers and durations.
	expr = regexp.MustCompile(`"[^"]*"`).ReplaceAllString(expr, `""`)
	expr = regexp.MustCompile(`\{[^}]*\}`).ReplaceAllString(expr, " ")
	expr = regexp.MustCompile(`\[[^\]]*\]`).ReplaceAllString(expr, " ")
	expr = regexp.MustCompile(`\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)`).ReplaceAllString(expr, " ")
	var out []string
	for _, loc := range reMetric.FindAllStringIndex(expr, -1) {
		name := expr[loc[0]:loc[1]]
		rest := strings.TrimLeft(expr[loc[1]:], " ")
		if promQLWords[name] || strings.HasPrefix(rest, "(") || regexp.MustCompile(`^[0-9]`).MatchString(name) {
			continue
		}
		out = append(out, name)
	}
	return out
}

func TestExprMetrics(t *testing.T) {
	got := exprMetrics(`(time() - process_start_time_seconds{job="x"} > 13 * 3600) unless on (job, instance) counternet_last_run_timestamp_seconds
	 or sum by (job) (increase(counternet_pages_total{outcome="error"}[1h])) / up`)
	want := []string{"process_start_time_seconds", "counternet_last_run_timestamp_seconds", "counternet_pages_total", "up"}
	if !slices.Equal(got, want) {
		t.Errorf("exprMetrics = %v, want %v", got, want)
	}
}
