package warehouse

import "testing"

// TestAlterScopes: the renderer marks an ALTER of a sharded table's local
// part to run on one replica of each shard, one of a fully replicated
// table on one node, and leaves an ALTER of a table each node fills itself
// (a backfill) ON CLUSTER.
func TestAlterScopes(t *testing.T) {
	r := &clusterRenderer{cluster: "c1", database: "cn", sharded: map[string]bool{}}
	out, err := r.render([]string{
		"CREATE TABLE IF NOT EXISTS runs\n(\n    event_id String\n)\nENGINE = ReplacingMergeTree\nORDER BY (source, event_id)",
		"CREATE TABLE IF NOT EXISTS countries\n(\n    iso2 String\n)\nENGINE = MergeTree\nORDER BY iso2",
		"CREATE TABLE IF NOT EXISTS filled ENGINE = MergeTree ORDER BY a\nAS SELECT 1 AS a",
		"ALTER TABLE runs ADD COLUMN pages_ok UInt32 DEFAULT 0",
		"ALTER TABLE countries ADD COLUMN x String",
		"ALTER TABLE filled ADD COLUMN y String",
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"ALTER TABLE `cn`.`runs_local` ON CLUSTER `c1` ADD COLUMN pages_ok UInt32 DEFAULT 0": scopeShard,
		"ALTER TABLE `cn`.`countries` ON CLUSTER `c1` ADD COLUMN x String":                   scopeAll,
		"ALTER TABLE `cn`.`filled` ON CLUSTER `c1` ADD COLUMN y String":                      "",
	}
	for stmt, scope := range want {
		found := false
		for _, s := range out {
			found = found || s == stmt
		}
		if !found {
			t.Errorf("not rendered: %s\n%q", stmt, out)
		}
		if got := r.scopes[stmt]; got != scope {
			t.Errorf("%s: scope %q, want %q", stmt, got, scope)
		}
	}
}
