package crawl_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/counternet/counternet/internal/event"
	"github.com/counternet/counternet/internal/testenv"
	"github.com/counternet/counternet/internal/warehouse"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// TestCollectionGaps loads run events into ClickHouse and reads the
// collection_gaps view: one row per stretch of runs that observed nothing,
// bounded by the runs that did, with the reasons.
func TestCollectionGaps(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test: needs clickhouse-server")
	}
	db := testenv.ClickHouse(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	t0 := time.Date(2025, 5, 1, 0, 0, 0, 0, time.UTC)
	run := func(source string, h int, listings int, errText string) event.Run {
		r := event.Run{
			RunID: source + "-" + t0.Add(time.Duration(h)*time.Hour).Format("0102T15"), Source: source, Pipeline: source + "@1",
			StartedAt: t0.Add(time.Duration(h) * time.Hour), FinishedAt: t0.Add(time.Duration(h)*time.Hour + 10*time.Minute),
			Outcome: "ok", Listings: listings, Error: errText,
		}
		if listings == 0 {
			r.Outcome = "failed"
		}
		r.Finalize()
		return r
	}
	b := &warehouse.Batch{Runs: []event.Run{
		run("alpha", 0, 10, ""),
		run("alpha", 1, 0, "tor socks proxy unreachable"),
		run("alpha", 2, 0, "session expired: new login needed"),
		run("alpha", 3, 12, ""),
		run("alpha", 4, 0, "tor socks proxy unreachable"),
		run("beta", 0, 5, ""),
		run("beta", 1, 6, ""),
	}}
	if err := db.Insert(ctx, b); err != nil {
		t.Fatal(err)
	}
	rows, err := db.Conn().Query(ctx, `SELECT source, gap_from, gap_to, open, runs_failed, reasons
		FROM collection_gaps ORDER BY source, gap_from`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	type gap struct {
		source     string
		from, to   time.Time
		open       uint8
		runsFailed uint64
		reasons    []string
	}
	var got []gap
	for rows.Next() {
		var g gap
		if err := rows.Scan(&g.source, &g.from, &g.to, &g.open, &g.runsFailed, &g.reasons); err != nil {
			t.Fatal(err)
		}
		slices.Sort(g.reasons)
		got = append(got, g)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("gaps = %+v, want 2 for alpha, none for beta", got)
	}
	first, last := got[0], got[1]
	if first.source != "alpha" || !first.from.Equal(t0.Add(10*time.Minute)) || !first.to.Equal(t0.Add(3*time.Hour)) ||
		first.open != 0 || first.runsFailed != 2 ||
		strings.Join(first.reasons, "|") != "session expired: new login needed|tor socks proxy unreachable" {
		t.Errorf("first gap = %+v", first)
	}
	if !last.from.Equal(t0.Add(3*time.Hour+10*time.Minute)) || last.open != 1 || last.runsFailed != 1 ||
		last.to.Before(time.Now().Add(-time.Minute)) {
		t.Errorf("open gap = %+v", last)
	}
}
