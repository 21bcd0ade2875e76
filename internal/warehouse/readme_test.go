package warehouse_test

import (
	"os"
	"strings"
	"testing"

	"github.com/counternet/counternet/internal/testenv"
)

// TestReadmeQueries runs every statement of the README's SQL blocks (the
// analyst's first queries) against a migrated database, so a query a
// newcomer copies names tables, views and columns that exist.
func TestReadmeQueries(t *testing.T) {
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var stmts []string
	for _, block := range strings.Split(string(data), "```sql\n")[1:] {
		body, _, closed := strings.Cut(block, "```")
		if !closed {
			t.Fatalf("README: an SQL block is not closed: %.80q", block)
		}
		var lines []string
		for line := range strings.SplitSeq(body, "\n") {
			if !strings.HasPrefix(strings.TrimSpace(line), "--") {
				lines = append(lines, line)
			}
		}
		for stmt := range strings.SplitSeq(strings.Join(lines, "\n"), ";") {
			if s := strings.TrimSpace(stmt); s != "" {
				stmts = append(stmts, s)
			}
		}
	}
	if len(stmts) < 5 {
		t.Fatalf("found %d statements in the README's SQL blocks; the extraction is broken", len(stmts))
	}
	db := testenv.ClickHouse(t)
	ctx := testCtx(t)
	for _, stmt := range stmts {
		q := strings.ReplaceAll(stmt, "counternet.", db.Database()+".")
		rows, err := db.Conn().Query(ctx, q)
		if err != nil {
			t.Errorf("README query fails: %v\n%s", err, stmt)
			continue
		}
		for rows.Next() {
		}
		if err := rows.Err(); err != nil {
			t.Errorf("README query fails: %v\n%s", err, stmt)
		}
		rows.Close()
	}
}
