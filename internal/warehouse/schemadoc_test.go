package warehouse_test

import (
	"bytes"
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/counternet/counternet/internal/testenv"
	"github.com/counternet/counternet/internal/warehouse"
)

var update = flag.Bool("update", false, "rewrite docs/schema.md from the migrations")

const schemaDocPath = "../../docs/schema.md"

// TestSchemaDoc regenerates docs/schema.md in memory and fails when the
// committed file differs; -update rewrites it.
func TestSchemaDoc(t *testing.T) {
	doc, err := warehouse.SchemaDoc()
	if err != nil {
		t.Fatal(err)
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
		t.Errorf("%s is out of date with the migrations: run go test ./internal/warehouse -run TestSchemaDoc -update", schemaDocPath)
	}
}

// TestTablesDocumented checks that every column of every table is
// documented in the comment block above its CREATE TABLE.
func TestTablesDocumented(t *testing.T) {
	objs, _, err := warehouse.SchemaObjects()
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) < 20 {
		t.Fatalf("found %d tables and views, want at least 20", len(objs))
	}
	for _, o := range objs {
		if o.Description == "" {
			t.Errorf("%s (%s): no description", o.Name, o.Migration)
		}
		if o.Kind != "table" {
			continue
		}
		for _, c := range o.Order {
			if !o.Documents(c) {
				t.Errorf("%s.%s (%s): column not documented", o.Name, c, o.Migration)
			}
		}
	}
}

// strictBelow is the first migration version whose views are only logged,
// not failed, when a column is undocumented: migrations from 0020 on belong
// to other parts (crawl bookkeeping, dead letters) and document their views
// in their own way.
const strictBelow = "0020"

// TestViewsDocumented checks every column of every view, as the server
// reports them, against the view's comment block: named there, or inherited
// from the table the block says the columns come from ("as in X", "has in X").
func TestViewsDocumented(t *testing.T) {
	db := testenv.ClickHouse(t)
	objs, _, err := warehouse.SchemaObjects()
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]warehouse.SchemaObject{}
	for _, o := range objs {
		byName[o.Name] = o
	}
	rows, err := db.Conn().Query(testCtx(t), `SELECT table, name FROM system.columns
		WHERE database = currentDatabase() AND table IN (SELECT name FROM system.tables WHERE database = currentDatabase() AND engine = 'View')`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var table, col string
		if err := rows.Scan(&table, &col); err != nil {
			t.Fatal(err)
		}
		n++
		o, ok := byName[table]
		if !ok {
			t.Errorf("view %s: not documented in any migration", table)
			continue
		}
		if o.Documents(col) {
			continue
		}
		inherited := false
		for _, other := range objs {
			if other.Name != o.Name && (strings.Contains(o.Description, "as in "+other.Name) || strings.Contains(o.Description, "has in "+other.Name)) && other.Documents(col) {
				inherited = true
			}
		}
		switch {
		case inherited:
		case o.Migration < strictBelow:
			t.Errorf("view %s: column %s not documented", table, col)
		default:
			t.Logf("view %s (%s): column %s not documented", table, o.Migration, col)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Error("no view columns found")
	}
}
