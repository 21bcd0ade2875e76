package warehouse

import (
	"context"
	"fmt"
	"time"
)

// SourceStatus is the last collection of one source as the warehouse saw it.
type SourceStatus struct {
	Source      string
	LastStart   time.Time
	LastFinish  time.Time
	LastOutcome string
	LastError   string
	Pages       uint32
	Failed      uint32
	Listings    uint32
	Vendors     uint32
	// Health is the share of the last run's ok pages that yielded records.
	Health float64
}

// lastRunsQuery picks each source's latest run and the share of its ok
// pages that yielded records.
//
// Inside the subquery no alias may take a column's name: ClickHouse would
// read started_at in argMax(..., started_at) as the alias max(started_at),
// an aggregate inside an aggregate.
const lastRunsQuery = `SELECT r.source, r.last_start, r.last_finish, r.outcome, r.error, r.pages, r.pages_failed, r.listings, r.vendors,
       ifNull(c.health, 0) AS health
FROM
(
    SELECT source, argMax(run_id, started_at) AS run_id, max(started_at) AS last_start,
           argMax(finished_at, started_at) AS last_finish, argMax(outcome, started_at) AS outcome,
           argMax(error, started_at) AS error, argMax(pages, started_at) AS pages,
           argMax(pages_failed, started_at) AS pages_failed, argMax(listings, started_at) AS listings,
           argMax(vendors, started_at) AS vendors
    FROM runs FINAL GROUP BY source
) AS r
ANY LEFT JOIN
(
    SELECT run_id, countIf(records > 0) / count() AS health
    FROM captures FINAL WHERE outcome = 'ok' GROUP BY run_id
) AS c USING (run_id)
ORDER BY r.source`

// SourceStatuses reports the latest run of every source.
func (db *DB) SourceStatuses(ctx context.Context) ([]SourceStatus, error) {
	rows, err := db.conn.Query(ctx, lastRunsQuery)
	if err != nil {
		return nil, fmt.Errorf("reading last runs in %s: %w", db.database, err)
	}
	defer rows.Close()
	var out []SourceStatus
	for rows.Next() {
		var s SourceStatus
		if err := rows.Scan(&s.Source, &s.LastStart, &s.LastFinish, &s.LastOutcome, &s.LastError,
			&s.Pages, &s.Failed, &s.Listings, &s.Vendors, &s.Health); err != nil {
			return nil, fmt.Errorf("reading last runs: %w", err)
		}
		out = append(out, s)
	}
	return out, rows.Err()
}
