package warehouse_test

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/counternet/counternet/internal/event"
	"github.com/counternet/counternet/internal/testenv"
	"github.com/counternet/counternet/internal/warehouse"
)

// readmeStatement is one statement of the README's SQL blocks and the
// comment lines right above it.
type readmeStatement struct {
	comment, sql string
}

func readmeStatements(t *testing.T) []readmeStatement {
	t.Helper()
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var stmts []readmeStatement
	for _, block := range strings.Split(string(data), "```sql\n")[1:] {
		body, _, closed := strings.Cut(block, "```")
		if !closed {
			t.Fatalf("README: an SQL block is not closed: %.80q", block)
		}
		var comment, lines []string
		emit := func() {
			if q := strings.TrimSuffix(strings.TrimSpace(strings.Join(lines, "\n")), ";"); q != "" {
				stmts = append(stmts, readmeStatement{comment: strings.Join(comment, " "), sql: q})
			}
			comment, lines = nil, nil
		}
		for line := range strings.SplitSeq(body, "\n") {
			if c, ok := strings.CutPrefix(strings.TrimSpace(line), "--"); ok {
				comment = append(comment, strings.TrimSpace(c))
				continue
			}
			lines = append(lines, line)
			if strings.HasSuffix(strings.TrimSpace(line), ";") {
				emit()
			}
		}
		emit()
	}
	if len(stmts) < 5 {
		t.Fatalf("found %d statements in the README's SQL blocks; the extraction is broken", len(stmts))
	}
	return stmts
}

// TestReadmeQueries runs every statement of the README's SQL blocks (the
// analyst's first queries) against a migrated database, so a query a
// newcomer copies names tables, views and columns that exist.
func TestReadmeQueries(t *testing.T) {
	stmts := readmeStatements(t)
	db := testenv.ClickHouse(t)
	ctx := testCtx(t)
	for _, stmt := range stmts {
		q := strings.ReplaceAll(stmt.sql, "counternet.", db.Database()+".")
		rows, err := db.Conn().Query(ctx, q)
		if err != nil {
			t.Errorf("README query fails: %v\n%s", err, stmt.sql)
			continue
		}
		for rows.Next() {
		}
		if err := rows.Err(); err != nil {
			t.Errorf("README query fails: %v\n%s", err, stmt.sql)
		}
		rows.Close()
	}
}

// TestReadmeRoutesCountOnce runs the README's routes example over a
// listing seen in three weeks on NL -> DE (named on the page) and a
// listing shipping "Worldwide except AU" from NL: each counts once on
// NL -> DE, under its basis, and the worldwide one is on NL -> FR too but
// not on NL -> AU. (The example summed the weekly routes view, counting the
// first listing three times and missing the second.)
func TestReadmeRoutesCountOnce(t *testing.T) {
	var routes string
	for _, s := range readmeStatements(t) {
		if strings.Contains(s.comment, "trafficking routes") {
			routes = s.sql
		}
	}
	if routes == "" {
		t.Fatal("the README has no statement under a \"trafficking routes\" comment")
	}
	db := testenv.ClickHouse(t)
	ctx := testCtx(t)
	var ls []event.Listing
	for w := range 3 {
		l := listing("alpha", "a1", "MrWhite", week1.Add(time.Duration(w)*7*24*time.Hour), 100, "NL", "DE")
		l.ShipsToBasis = []string{event.DestExplicit}
		l.Finalize()
		ls = append(ls, l)
	}
	ww := listing("bravo", "b1", "Gus", week1, 100, "NL", "DE", "FR")
	ww.ShipsToBasis, ww.ShipsToExcluded, ww.ShipsToRaw = []string{event.DestWorldwide, event.DestWorldwide}, []string{"AU"}, "Worldwide except Australia"
	ww.Finalize()
	ls = append(ls, ww)
	if err := db.Insert(ctx, &warehouse.Batch{Listings: ls}); err != nil {
		t.Fatal(err)
	}
	got := rowsOf(t, db, strings.ReplaceAll(routes, "counternet.", db.Database()+"."))
	check(t, "README routes", got, []string{
		"NL | DE | 2 | 1 | 0 | 1",
		"NL | FR | 1 | 0 | 0 | 1",
	})
}
