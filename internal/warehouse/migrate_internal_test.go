package warehouse

import (
	"strings"
	"testing"
)

// TestPendingMigrationsOnCluster upgrades a cluster whose tables came from
// migrations applied by an earlier run: an ALTER of an observation table in
// a new migration must still reach its sharded _local part.
func TestPendingMigrationsOnCluster(t *testing.T) {
	ms, err := Migrations()
	if err != nil {
		t.Fatal(err)
	}
	applied := map[uint32]bool{}
	for _, m := range ms {
		if m.Version < 20 {
			applied[m.Version] = true
		}
	}
	r := &clusterRenderer{cluster: "c1", database: "cn", sharded: map[string]bool{}}
	steps, err := pendingMigrations(ms, applied, r.render)
	if err != nil {
		t.Fatal(err)
	}
	if len(steps) == 0 || steps[0].Version != 20 {
		t.Fatalf("first pending migration %+v, want 0020", steps)
	}
	for _, st := range steps {
		if applied[st.Version] {
			t.Errorf("applied migration %04d_%s is pending again", st.Version, st.Name)
		}
	}
	want := "ALTER TABLE `cn`.`captures_local` ON CLUSTER `c1` ADD COLUMN mirror String DEFAULT ''"
	if !strings.Contains(strings.Join(steps[0].rendered, "\n"), want) {
		t.Errorf("0020 rendered as\n%s\nwant it to hold\n%s", strings.Join(steps[0].rendered, "\n"), want)
	}
}
