// Package deploy holds counternet's deployment files; this test checks that
// each one parses and holds what its consumer needs, and that every
// counternet config among them loads under counternet's strict rules.
package deploy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/counternet/counternet/internal/config"
)

func docs(t *testing.T, path string) []map[string]any {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var out []map[string]any
	for {
		var d map[string]any
		err := dec.Decode(&d)
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if d != nil {
			out = append(out, d)
		}
	}
}

func loadsAsConfig(t *testing.T, name string, data []byte) {
	t.Helper()
	if _, err := config.Parse(name, data, config.WithLookupEnv(nil)); err != nil {
		t.Errorf("%s does not load as a counternet config:\n%v", name, err)
	}
}

func TestKubernetesManifests(t *testing.T) {
	files, _ := filepath.Glob("kubernetes/*.yaml")
	if len(files) < 7 {
		t.Fatalf("found %d manifests", len(files))
	}
	kinds := map[string]int{}
	for _, f := range files {
		for _, d := range docs(t, f) {
			kind, _ := d["kind"].(string)
			if kind == "Kustomization" {
				for _, r := range d["resources"].([]any) {
					if _, err := os.Stat(filepath.Join("kubernetes", r.(string))); err != nil {
						t.Errorf("kustomization names missing %s", r)
					}
				}
				continue
			}
			md, _ := d["metadata"].(map[string]any)
			if d["apiVersion"] == nil || kind == "" || md == nil || md["name"] == "" {
				t.Errorf("%s: a document lacks apiVersion, kind or metadata.name", f)
			}
			kinds[kind]++
			if kind == "ConfigMap" && md["name"] == "counternet-config" {
				for _, role := range []string{"collector.yaml", "loader.yaml"} {
					loadsAsConfig(t, f+":"+role, []byte(d["data"].(map[string]any)[role].(string)))
				}
			}
			if kind == "StatefulSet" && md["name"] == "counternet-collector" {
				// Evidence and the outbox must outlive the pod.
				// (The tor sidecar's emptyDir holds only tor's state.)
				claims, _ := d["spec"].(map[string]any)["volumeClaimTemplates"].([]any)
				if len(claims) == 0 || !strings.Contains(fmt.Sprint(d["spec"]), "mountPath:/var/lib/counternet/data name:evidence") ||
					!strings.Contains(fmt.Sprint(claims), "name:evidence") {
					t.Errorf("%s: the collector's data dir is not on a volume claim of its own", f)
				}
			}
			if kind == "StatefulSet" && md["name"] == "nats" {
				if n := d["spec"].(map[string]any)["replicas"]; n != 3 {
					t.Errorf("nats replicas %v, want 3", n)
				}
			}
		}
	}
	for kind, want := range map[string]int{"StatefulSet": 4, "Deployment": 1, "Service": 4, "ConfigMap": 5} {
		if kinds[kind] < want {
			t.Errorf("%d %s objects, want at least %d", kinds[kind], kind, want)
		}
	}
}

func TestGrafanaDashboards(t *testing.T) {
	exported := exportedSeries(t)
	for _, f := range []string{"grafana/operators.json", "grafana/analysts.json"} {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var d struct {
			UID    string `json:"uid"`
			Panels []struct {
				Title   string           `json:"title"`
				Targets []map[string]any `json:"targets"`
			} `json:"panels"`
		}
		if err := json.Unmarshal(data, &d); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if d.UID == "" || len(d.Panels) < 6 {
			t.Errorf("%s: uid %q, %d panels", f, d.UID, len(d.Panels))
		}
		for _, p := range d.Panels {
			if len(p.Targets) == 0 {
				t.Errorf("%s: panel %q has no query", f, p.Title)
			}
		}
		// A panel on a series counternet does not export stays empty
		// without an error: every counternet_* name must be one of ours.
		for _, m := range reSeries.FindAllStringSubmatch(string(data), -1) {
			if !exported[m[1]] {
				t.Errorf("%s: queries %s, which internal/metrics does not export", f, m[0])
			}
		}
	}
}

// reSeries finds counternet series in a dashboard; the name a histogram
// is registered under is without its _bucket, _sum or _count suffix.
var reSeries = regexp.MustCompile(`\b(counternet_[a-z0-9_]*?)(?:_bucket|_sum|_count)?\b`)

// exportedSeries lists the names internal/metrics registers.
func exportedSeries(t *testing.T) map[string]bool {
	t.Helper()
	src, err := os.ReadFile("../internal/metrics/metrics.go")
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, m := range regexp.MustCompile(`"(counternet_[a-z0-9_]+)"`).FindAllStringSubmatch(string(src), -1) {
		names[m[1]] = true
	}
	if len(names) < 10 {
		t.Fatalf("found %d series names in internal/metrics", len(names))
	}
	return names
}
