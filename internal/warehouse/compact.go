package warehouse

import (
	"context"
	"fmt"
	"time"
)

// CompactedMonth is one month of a routes table that CompactRoutes merged.
type CompactedMonth struct {
	Table     string        // routes_ids or routes_prices
	Partition string        // the month, as system.parts names it (YYYYMM)
	Parts     int           // active parts before the merge
	Rows      uint64        // rows in them, before the merge collapsed repeats
	Took      time.Duration // how long the merge took
}

// CompactRoutes merges into one part each month of routes_ids (migration
// 0160) and of routes_prices (0102) whose rows are in several parts and
// whose weeks all ended before
// the week before now's began, so that no collector is still writing it
// (a late load may: the month is merged again at a later call). The engine's own
// merges leave a month in a few parts, and the routes view counts the
// distinct ids of every week of a month in several parts; a month in one
// part it counts by rows. Merged, routes_prices holds one set of median
// states per route and week instead of one per part. The weeks still
// being written stay in several parts and are counted by id.
//
// Each month is one OPTIMIZE ... PARTITION ... FINAL, one after the other,
// bounded by ctx; on a cluster the table is replicated with a full copy on
// every node and the merge, asked of one node, reaches the others through
// replication. It returns the months merged, in order, up to the first
// that failed.
func (db *DB) CompactRoutes(ctx context.Context, now time.Time) ([]CompactedMonth, error) {
	// system.parts names a month by partition_id; its max_date is the
	// latest week stored in the part.
	rows, err := db.conn.Query(ctx, `SELECT table, partition_id, toUInt64(count()), sum(rows)
		FROM system.parts
		WHERE database = ? AND table IN ('routes_ids', 'routes_prices') AND active
		GROUP BY table, partition_id
		HAVING count() > 1 AND max(max_date) < toMonday(toDate(?)) - 7
		ORDER BY partition_id, table`, db.database, now.UTC().Format("2006-01-02"))
	if err != nil {
		return nil, fmt.Errorf("compacting routes: listing the parts of the routes tables: %w", err)
	}
	var months []CompactedMonth
	for rows.Next() {
		var m CompactedMonth
		var parts uint64
		if err := rows.Scan(&m.Table, &m.Partition, &parts, &m.Rows); err != nil {
			rows.Close()
			return nil, fmt.Errorf("compacting routes: reading the parts of the routes tables: %w", err)
		}
		m.Parts = int(parts)
		months = append(months, m)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("compacting routes: reading the parts of the routes tables: %w", err)
	}
	for i := range months {
		start := time.Now()
		m := months[i]
		stmt := "OPTIMIZE TABLE " + quoteIdent(db.database) + "." + quoteIdent(m.Table) + " PARTITION ID " + quoteString(m.Partition) + " FINAL"
		if err := db.conn.Exec(ctx, stmt); err != nil {
			return months[:i], fmt.Errorf("compacting routes: merging month %s of %s (%d parts): %w", m.Partition, m.Table, m.Parts, err)
		}
		months[i].Took = time.Since(start)
	}
	return months, nil
}
