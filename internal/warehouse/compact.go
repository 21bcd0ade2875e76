package warehouse

import (
	"context"
	"fmt"
	"time"
)

// Compacted is one partition of a maintained table that Compact merged
// into one part.
type Compacted struct {
	Table     string        // routes_ids, routes_prices or vendor_identifiers_state
	Partition string        // the month (YYYYMM) as system.parts names it; "all" for vendor_identifiers_state
	Parts     int           // active parts before the merge
	Rows      uint64        // rows in them, before the merge collapsed repeats
	Took      time.Duration // how long the merge took
}

// Compact merges into one part what the engine's own merges leave in
// several (they stop at a few parts a partition, however long they wait),
// so that the views analysts wait on read one row per key:
//
//   - each month of routes_ids (migration 0160) and routes_prices (0102)
//     in several parts whose weeks all ended before the week before now's
//     began, so that no collector is still writing it (a late load may:
//     the month is merged again at a later call). routes counts the
//     distinct ids of every week of a month in several parts, and the rows
//     of a month in one part; merged, routes_prices holds one set of
//     median states per route and week. The weeks still being written stay
//     in several parts and are counted by id;
//   - vendor_identifiers_state (0101) when it is in several parts: the
//     whole table, which holds one row per vendor identity and identifier
//     (about 400,000 rows and a quarter of a second for 10 million listing
//     observations). vendor_links (0161) then has no holder to merge.
//
// Every merge is one OPTIMIZE ... FINAL, one after the other, bounded by
// ctx; it changes no answer, only how much the views read. On a cluster
// these tables are replicated with a full copy on every node and the
// merge, asked of one node, reaches the others through replication. It
// returns what it merged, in order, up to the first merge that failed.
func (db *DB) Compact(ctx context.Context, now time.Time) ([]Compacted, error) {
	// system.parts names a month by partition_id and an unpartitioned
	// table's one partition "all"; max_date is the latest week stored in
	// a part of the routes tables.
	rows, err := db.conn.Query(ctx, `SELECT table, partition_id, toUInt64(count()), sum(rows)
		FROM system.parts
		WHERE database = ? AND active AND (table IN ('routes_ids', 'routes_prices') OR table = 'vendor_identifiers_state')
		GROUP BY table, partition_id
		HAVING count() > 1 AND (table = 'vendor_identifiers_state' OR max(max_date) < toMonday(toDate(?)) - 7)
		ORDER BY table = 'vendor_identifiers_state', partition_id, table`, db.database, now.UTC().Format("2006-01-02"))
	if err != nil {
		return nil, fmt.Errorf("compacting: listing the parts of the maintained tables: %w", err)
	}
	var done []Compacted
	for rows.Next() {
		var c Compacted
		var parts uint64
		if err := rows.Scan(&c.Table, &c.Partition, &parts, &c.Rows); err != nil {
			rows.Close()
			return nil, fmt.Errorf("compacting: reading the parts of the maintained tables: %w", err)
		}
		c.Parts = int(parts)
		done = append(done, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("compacting: reading the parts of the maintained tables: %w", err)
	}
	for i, c := range done {
		start := time.Now()
		stmt := "OPTIMIZE TABLE " + quoteIdent(db.database) + "." + quoteIdent(c.Table)
		if c.Partition != "all" {
			stmt += " PARTITION ID " + quoteString(c.Partition)
		}
		if err := db.conn.Exec(ctx, stmt+" FINAL"); err != nil {
			return done[:i], fmt.Errorf("compacting: merging partition %s of %s (%d parts): %w", c.Partition, c.Table, c.Parts, err)
		}
		done[i].Took = time.Since(start)
	}
	return done, nil
}
