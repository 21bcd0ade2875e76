package warehouse_test

import (
	"strings"
	"testing"

	"github.com/counternet/counternet/internal/warehouse"
)

// TestRenderClusterMaintained checks how the statements of the maintained
// views render for a cluster: the materialized view reads the Distributed
// table and writes into its replicated target; the backfill table is one
// full copy per node, not replicated.
func TestRenderClusterMaintained(t *testing.T) {
	ms, err := warehouse.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	var all []string
	for _, m := range ms {
		all = append(all, m.Statements...)
	}
	out, err := warehouse.RenderCluster(all, "c1", "cn")
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Join(out, "\n;\n")
	for _, want := range []string{
		"CREATE TABLE IF NOT EXISTS `cn`.`routes_state` ON CLUSTER `c1`",
		"ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/tables/all/cn/routes_state', '{replica}')",
		"CREATE MATERIALIZED VIEW IF NOT EXISTS `cn`.`routes_mv` ON CLUSTER `c1` TO `cn`.`routes_state` AS\nSELECT",
		"CREATE TABLE IF NOT EXISTS `cn`.`routes_backfill` ON CLUSTER `c1`\nENGINE = AggregatingMergeTree\n",
		"CREATE MATERIALIZED VIEW IF NOT EXISTS `cn`.`vendor_identifiers_listings_mv` ON CLUSTER `c1` TO `cn`.`vendor_identifiers_state` AS",
		"CREATE TABLE IF NOT EXISTS `cn`.`vendor_identifiers_backfill` ON CLUSTER `c1`\nENGINE = AggregatingMergeTree\n",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("rendered migrations lack %q", want)
		}
	}
}
