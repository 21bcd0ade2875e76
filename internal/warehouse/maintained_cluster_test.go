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
	if strings.Contains(text, "currentDatabase()") {
		t.Errorf("rendered migrations still ask currentDatabase(), the default database on a node running ON CLUSTER DDL")
	}
	for _, want := range []string{
		"CREATE TABLE IF NOT EXISTS `cn`.`routes_state` ON CLUSTER `c1`",
		"ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/tables/all/cn/routes_state', '{replica}')",
		"CREATE MATERIALIZED VIEW IF NOT EXISTS `cn`.`routes_mv` ON CLUSTER `c1` TO `cn`.`routes_state` AS\nSELECT",
		"CREATE TABLE IF NOT EXISTS `cn`.`routes_backfill` ON CLUSTER `c1`\nENGINE = AggregatingMergeTree\n",
		"DROP TABLE IF EXISTS `cn`.`routes_mv` ON CLUSTER `c1`",
		"DROP TABLE IF EXISTS `cn`.`routes_state` ON CLUSTER `c1`",
		"CREATE TABLE IF NOT EXISTS `cn`.`routes_members` ON CLUSTER `c1`",
		"ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/all/cn/routes_members', '{replica}')",
		"CREATE MATERIALIZED VIEW IF NOT EXISTS `cn`.`routes_members_mv` ON CLUSTER `c1` TO `cn`.`routes_members` AS\nSELECT",
		"FROM `cn`.`listing_obs`\nARRAY JOIN arrayConcat(",
		"CREATE TABLE IF NOT EXISTS `cn`.`routes_members_backfill` ON CLUSTER `c1`\nENGINE = ReplacingMergeTree\n",
		"ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/tables/all/cn/routes_prices', '{replica}')",
		"CREATE MATERIALIZED VIEW IF NOT EXISTS `cn`.`routes_prices_mv` ON CLUSTER `c1` TO `cn`.`routes_prices` AS\nSELECT",
		"CREATE TABLE IF NOT EXISTS `cn`.`routes_prices_backfill` ON CLUSTER `c1`\nENGINE = AggregatingMergeTree\n",
		"SELECT route_sip, route_city, week, kind, _part_index + 1 AS u FROM `cn`.`routes_members`\n",
		"SELECT route_sip, route_city, week, kind, id FROM `cn`.`routes_members_backfill`\n",
		// The backfill and the view name the database they read, not the
		// default database ON CLUSTER DDL runs in.
		"WHERE inserted_at <= (SELECT max(metadata_modification_time) FROM system.tables WHERE database = 'cn' AND name = 'routes_members_mv')",
		"WHERE database = 'cn' AND table IN ('routes_members', 'routes_members_backfill') AND active",
		"CREATE TABLE IF NOT EXISTS `cn`.`routes_ids` ON CLUSTER `c1`",
		"ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/all/cn/routes_ids', '{replica}')",
		"CREATE MATERIALIZED VIEW IF NOT EXISTS `cn`.`routes_ids_mv` ON CLUSTER `c1` TO `cn`.`routes_ids` AS\nSELECT",
		"CREATE TABLE IF NOT EXISTS `cn`.`routes_ids_backfill` ON CLUSTER `c1`\nENGINE = ReplacingMergeTree\n",
		"SELECT route_sip, route_city, week, kind, _part_index + 1 AS u FROM `cn`.`routes_ids`\n",
		"WHERE inserted_at <= (SELECT max(metadata_modification_time) FROM system.tables WHERE database = 'cn' AND name = 'routes_ids_mv')",
		"WHERE database = 'cn' AND table IN ('routes_ids', 'routes_ids_backfill') AND active",
		"DROP TABLE IF EXISTS `cn`.`routes_members` ON CLUSTER `c1`",
		"FROM `cn`.`vendor_identifiers_state`\n",
		"CREATE MATERIALIZED VIEW IF NOT EXISTS `cn`.`vendor_identifiers_listings_mv` ON CLUSTER `c1` TO `cn`.`vendor_identifiers_state` AS",
		"CREATE TABLE IF NOT EXISTS `cn`.`vendor_identifiers_backfill` ON CLUSTER `c1`\nENGINE = AggregatingMergeTree\n",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("rendered migrations lack %q", want)
		}
	}
}
