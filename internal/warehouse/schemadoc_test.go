package warehouse_test

import (
	"bytes"
	"flag"
	"os"
	"testing"

	"github.com/counternet/counternet/internal/testenv"
	"github.com/counternet/counternet/internal/warehouse"
)

var update = flag.Bool("update", false, "rewrite docs/schema.md from a migrated database and the migrations")

const schemaDocPath = "../../docs/schema.md"

// TestSchemaDoc generates docs/schema.md from a freshly migrated database
// (every table, view and column as system.columns reports it) and the
// migrations' comments, and fails on any difference with the committed
// file and on every documentation problem SchemaDoc finds: a table, view or
// column without a meaning, one meaning for several columns, a meaning
// copied from a neighbouring column, a documented column the database does
// not have, an issue number. -update rewrites the file.
func TestSchemaDoc(t *testing.T) {
	db := testenv.ClickHouse(t)
	live, err := db.LiveSchema(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(live) < 40 {
		t.Fatalf("the database holds %d tables and views, want at least 40", len(live))
	}
	doc, problems, err := warehouse.SchemaDoc(live)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Error(p)
	}
	if *update {
		if err := os.WriteFile(schemaDocPath, doc, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	have, err := os.ReadFile(schemaDocPath)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/warehouse -run TestSchemaDoc -update)", err)
	}
	if !bytes.Equal(have, doc) {
		t.Errorf("%s differs from the database and the migrations: run go test ./internal/warehouse -run TestSchemaDoc -update", schemaDocPath)
	}
}
