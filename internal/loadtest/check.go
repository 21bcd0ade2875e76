package loadtest

import (
	"context"
	"fmt"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// Landed is what a table holds of a set of published events.
type Landed struct {
	Rows      uint64 // rows before collapsing (duplicates not yet merged count)
	Events    uint64 // rows after collapsing (FINAL)
	Distinct  uint64 // distinct event ids
	Checksum  uint64 // sum(cityHash64(event_id)) after collapsing, wrapping
	Missing   uint64 // published ids not in the table
	Unexpect  uint64 // ids in the table that were not published
	Published uint64 // ids published
	Want      uint64 // sum(cityHash64(event_id)) over the published ids, wrapping
}

// ExactlyOnce reports whether every published event is in the table exactly
// once after collapsing, with nothing else there.
func (l Landed) ExactlyOnce() bool {
	return l.Events == l.Published && l.Distinct == l.Published && l.Checksum == l.Want &&
		l.Missing == 0 && l.Unexpect == 0
}

func (l Landed) String() string {
	return fmt.Sprintf("published %d (checksum %d); table: %d rows, %d after collapsing, %d distinct ids (checksum %d), %d missing, %d not published",
		l.Published, l.Want, l.Rows, l.Events, l.Distinct, l.Checksum, l.Missing, l.Unexpect)
}

// CheckLanded compares the event ids in table (a ReplacingMergeTree whose
// sort key ends in event_id, e.g. listing_obs) with ids. It stores ids in a
// table published_ids of conn's database (replacing what it held) and lets
// ClickHouse compute both checksums with the same function.
func CheckLanded(ctx context.Context, conn driver.Conn, table string, ids []string) (Landed, error) {
	var l Landed
	for _, q := range []string{
		"DROP TABLE IF EXISTS published_ids",
		"CREATE TABLE published_ids (event_id String) ENGINE = MergeTree ORDER BY event_id",
	} {
		if err := conn.Exec(ctx, q); err != nil {
			return l, fmt.Errorf("checking landed events: %w", err)
		}
	}
	for start := 0; start < len(ids); start += 100_000 {
		b, err := conn.PrepareBatch(ctx, "INSERT INTO published_ids (event_id)")
		if err != nil {
			return l, fmt.Errorf("checking landed events: storing published ids: %w", err)
		}
		if err := b.Column(0).Append(ids[start:min(start+100_000, len(ids))]); err != nil {
			b.Abort()
			return l, fmt.Errorf("checking landed events: storing published ids: %w", err)
		}
		if err := b.Send(); err != nil {
			return l, fmt.Errorf("checking landed events: storing published ids: %w", err)
		}
	}
	queries := []struct {
		q    string
		dest []any
	}{
		{"SELECT count(), sum(cityHash64(event_id)) FROM published_ids", []any{&l.Published, &l.Want}},
		{"SELECT count() FROM " + table, []any{&l.Rows}},
		{"SELECT count(), uniqExact(event_id), sum(cityHash64(event_id)) FROM " + table + " FINAL", []any{&l.Events, &l.Distinct, &l.Checksum}},
		{"SELECT count() FROM published_ids WHERE event_id NOT IN (SELECT event_id FROM " + table + ")", []any{&l.Missing}},
		{"SELECT count() FROM (SELECT DISTINCT event_id FROM " + table + ") WHERE event_id NOT IN (SELECT event_id FROM published_ids)", []any{&l.Unexpect}},
	}
	for _, q := range queries {
		if err := conn.QueryRow(ctx, q.q).Scan(q.dest...); err != nil {
			return l, fmt.Errorf("checking landed events: %s: %w", q.q, err)
		}
	}
	return l, nil
}
