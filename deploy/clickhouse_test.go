package deploy

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/counternet/counternet/internal/config"
	"github.com/counternet/counternet/internal/warehouse"
)

// TestClickHouseReadme checks deploy/clickhouse/README.md against the code
// and the config: the tables it says are sharded are the ones the cluster
// rendering shards, and its config example loads strictly and names the
// cluster the Kubernetes manifests run.
func TestClickHouseReadme(t *testing.T) {
	readme := string(mustRead(t, "clickhouse/README.md"))
	ms, err := warehouse.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	var stmts []string
	for _, m := range ms {
		stmts = append(stmts, m.Statements...)
	}
	rendered, err := warehouse.RenderCluster(stmts, "counternet", "counternet")
	if err != nil {
		t.Fatal(err)
	}
	reDist := regexp.MustCompile("ENGINE = Distributed\\([^,]+, [^,]+, `?([a-z0-9_]+)_local`?")
	var sharded []string
	for _, s := range rendered {
		if m := reDist.FindStringSubmatch(s); m != nil {
			sharded = append(sharded, m[1])
		}
	}
	slices.Sort(sharded)
	// Each ALTER of a sharded table makes its Distributed table again.
	sharded = slices.Compact(sharded)
	m := regexp.MustCompile(`an observation table \(([^)]*)\)`).FindStringSubmatch(readme)
	if m == nil {
		t.Fatal("README: no row for observation tables")
	}
	var listed []string
	tables, _, _ := strings.Cut(m[1], ":") // what follows says why they are
	for _, n := range regexp.MustCompile("`([a-z0-9_]+)`").FindAllStringSubmatch(tables, -1) {
		listed = append(listed, n[1])
	}
	slices.Sort(listed)
	if !slices.Equal(listed, sharded) {
		t.Errorf("README lists sharded tables %v; the cluster rendering shards %v", listed, sharded)
	}

	// The config example.
	blocks := regexp.MustCompile("(?s)```yaml\n(.*?)```").FindAllStringSubmatch(readme, -1)
	var found bool
	for _, b := range blocks {
		if !strings.Contains(b[1], "cluster:") {
			continue
		}
		found = true
		cfg, err := config.Parse("clickhouse/README.md", []byte(b[1]), config.WithLookupEnv(nil))
		if err != nil {
			t.Errorf("README's config example does not load:\n%v", err)
			continue
		}
		k8s := decodeAll(t, "kubernetes/clickhouse.yaml", mustRead(t, "kubernetes/clickhouse.yaml"))
		name, _, _ := clickhouseCluster(t, k8s[0].Data["cluster.xml"])
		if cfg.ClickHouse.Cluster != name {
			t.Errorf("README's example names cluster %q, the Kubernetes manifests %q", cfg.ClickHouse.Cluster, name)
		}
	}
	if !found {
		t.Error("README shows no config setting clickhouse.cluster")
	}
}
