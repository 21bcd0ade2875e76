package warehouse_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/counternet/counternet/internal/warehouse"
)

func TestRenderCluster(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		want []string
	}{
		{"observation table: local replicated + distributed", `CREATE TABLE IF NOT EXISTS listing_obs
(
    event_id String,
    observed_at DateTime
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(observed_at)
ORDER BY (source, listing_id, observed_at, event_id)`, []string{
			"CREATE TABLE IF NOT EXISTS `cn`.`listing_obs_local` ON CLUSTER `c1`\n(\n    event_id String,\n    observed_at DateTime\n)\n" +
				"ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/cn/listing_obs_local', '{replica}')\n" +
				"PARTITION BY toYYYYMM(observed_at)\nORDER BY (source, listing_id, observed_at, event_id)",
			"CREATE TABLE IF NOT EXISTS `cn`.`listing_obs` ON CLUSTER `c1` AS `cn`.`listing_obs_local`\n" +
				"ENGINE = Distributed(`c1`, `cn`, `listing_obs_local`, sipHash64(event_id))",
		}},
		{"small table: replicated everywhere", "CREATE TABLE IF NOT EXISTS countries\n(\n    iso2 String\n)\nENGINE = MergeTree\nORDER BY iso2", []string{
			"CREATE TABLE IF NOT EXISTS `cn`.`countries` ON CLUSTER `c1`\n(\n    iso2 String\n)\n" +
				"ENGINE = ReplicatedMergeTree('/clickhouse/tables/all/cn/countries', '{replica}')\nORDER BY iso2",
		}},
		{"engine arguments kept", "CREATE TABLE IF NOT EXISTS t\n(\n    v UInt32\n)\nENGINE = ReplacingMergeTree(v)\nORDER BY v", []string{
			"CREATE TABLE IF NOT EXISTS `cn`.`t` ON CLUSTER `c1`\n(\n    v UInt32\n)\n" +
				"ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/all/cn/t', '{replica}', v)\nORDER BY v",
		}},
		{"view", "CREATE VIEW IF NOT EXISTS routes AS\nSELECT 1", []string{"CREATE VIEW IF NOT EXISTS `cn`.`routes` ON CLUSTER `c1` AS\nSELECT 1"}},
		{"drop", "DROP TABLE IF EXISTS routes", []string{"DROP TABLE IF EXISTS `cn`.`routes` ON CLUSTER `c1`"}},
		{"alter of a small table", "ALTER TABLE countries ADD COLUMN x String", []string{"ALTER TABLE `cn`.`countries` ON CLUSTER `c1` ADD COLUMN x String"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := warehouse.RenderCluster([]string{tc.in}, "c1", "cn")
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(got, "\n;\n") != strings.Join(tc.want, "\n;\n") {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n;\n"), strings.Join(tc.want, "\n;\n"))
			}
		})
	}
	t.Run("alter of a sharded table alters the local part and makes the distributed one again", func(t *testing.T) {
		got, err := warehouse.RenderCluster([]string{
			"CREATE TABLE IF NOT EXISTS runs\n(\n    event_id String\n)\nENGINE = ReplacingMergeTree\nORDER BY (source, event_id)",
			"ALTER TABLE runs ADD COLUMN pages_ok UInt32 DEFAULT 0",
		}, "c1", "cn")
		if err != nil {
			t.Fatal(err)
		}
		want := []string{
			"ALTER TABLE `cn`.`runs_local` ON CLUSTER `c1` ADD COLUMN pages_ok UInt32 DEFAULT 0",
			"DROP TABLE IF EXISTS `cn`.`runs` ON CLUSTER `c1`",
			"CREATE TABLE IF NOT EXISTS `cn`.`runs` ON CLUSTER `c1` AS `cn`.`runs_local`\n" +
				"ENGINE = Distributed(`c1`, `cn`, `runs_local`, sipHash64(event_id))",
		}
		if len(got) != 5 || got[2] != want[0] || got[3] != want[1] || got[4] != want[2] {
			t.Errorf("got %q, want the last two to be %q", got, want)
		}
	})
	t.Run("unknown statement", func(t *testing.T) {
		if _, err := warehouse.RenderCluster([]string{"INSERT INTO t VALUES (1)"}, "c1", "cn"); !errors.Is(err, warehouse.ErrCannotRender) {
			t.Errorf("err = %v, want ErrCannotRender", err)
		}
	})
	// Every embedded migration renders.
	ms, err := warehouse.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	var all []string
	for _, m := range ms {
		all = append(all, m.Statements...)
	}
	out, err := warehouse.RenderCluster(all, "prod", "counternet")
	if err != nil {
		t.Fatalf("rendering the migrations: %v", err)
	}
	for _, s := range out {
		// A copy between replicated tables runs on one node.
		if !strings.Contains(s, "ON CLUSTER `prod`") && !strings.HasPrefix(s, "INSERT INTO ") {
			t.Errorf("statement without ON CLUSTER: %s", s)
		}
	}
	for _, name := range []string{"listing_obs", "vendor_obs", "post_obs", "captures", "runs"} {
		if !strings.Contains(strings.Join(out, "\n"), "`"+name+"_local`, sipHash64(event_id))") {
			t.Errorf("%s is not sharded by event_id", name)
		}
	}
}
