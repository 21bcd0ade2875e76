package warehouse

import (
	"context"
	"fmt"
	"reflect"
	"strings"
)

// InsertRowByRow writes b as Insert did before it went column-wise: every
// column of every table sent, each row given to the driver's batch.Append
// as its own values. Tests hold Insert's stored rows equal to these.
func InsertRowByRow(ctx context.Context, db *DB, b *Batch) error {
	for _, t := range batchTables(b) {
		if t.rows == 0 {
			continue
		}
		cols, rows := t.cols(), t.rows
		names := make([]string, len(cols))
		for i, c := range cols {
			names[i] = c.name
		}
		batch, err := db.conn.PrepareBatch(ctx, "INSERT INTO "+t.table+" ("+strings.Join(names, ", ")+")")
		if err != nil {
			return err
		}
		row := make([]any, len(cols))
		for r := range rows {
			for i, c := range cols {
				row[i] = reflect.ValueOf(c.values).Index(r).Interface()
			}
			if err := batch.Append(row...); err != nil {
				batch.Close()
				return fmt.Errorf("%s row %d: %w", t.table, r, err)
			}
		}
		if err := batch.Send(); err != nil {
			return fmt.Errorf("%s: %w", t.table, err)
		}
	}
	return nil
}

// SentColumns names, for each table b has rows for, the columns Insert
// sends for them.
func SentColumns(ctx context.Context, db *DB, b *Batch) (map[string][]string, error) {
	out := map[string][]string{}
	for _, t := range batchTables(b) {
		if t.rows == 0 {
			continue
		}
		cols, err := db.omitDefaults(ctx, t.table, t.cols())
		if err != nil {
			return nil, err
		}
		for _, c := range cols {
			out[t.table] = append(out[t.table], c.name)
		}
	}
	return out, nil
}
