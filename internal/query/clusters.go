package query

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/counternet/counternet/internal/warehouse"
)

// ErrStale reports that a table a query reads is derived from others, was
// computed over other data than they hold now, and could not be recomputed.
var ErrStale = errors.New("out of date")

// codeReadonly is ClickHouse's READONLY: the user may not write.
const codeReadonly = 164

// strongKinds are the vendor_links kinds vendor_clusters is computed over.
const strongKinds = `kind IN ('pgp_fingerprint', 'crypto_address')`

// PrepareClusters readies vendor_clusters for a query that reads it
// (Query.RefreshClusters): it recomputes the table. A read-only user may
// not; the stored clusters are then used only when they were computed over
// as many strong links and identities as vendor_links holds now, and the
// note says when they were computed. Otherwise the error is ErrStale: a
// cluster list missing today's links is not given as the answer.
func PrepareClusters(ctx context.Context, db *warehouse.DB) (note string, err error) {
	_, err = db.RefreshVendorClusters(ctx)
	var ex *clickhouse.Exception
	if err == nil || !errors.As(err, &ex) || ex.Code != codeReadonly {
		return "", err
	}
	var (
		links, members             uint64
		storedLinks, storedMembers uint64
		at                         time.Time
	)
	conn := db.Conn()
	if err := conn.QueryRow(ctx, `SELECT count(), uniqExact(s, h) FROM
(
    SELECT source_a AS s, handle_a AS h FROM vendor_links WHERE `+strongKinds+`
    UNION ALL
    SELECT source_b AS s, handle_b AS h FROM vendor_links WHERE `+strongKinds+`
)`).Scan(&links, &members); err != nil {
		return "", fmt.Errorf("checking vendor_clusters: %w", err)
	}
	links /= 2 // every link gave two rows
	if err := conn.QueryRow(ctx, `SELECT toUInt64(sum(l)), toUInt64(sum(n)), max(t) FROM
(
    SELECT cluster_id, any(links) AS l, count() AS n, max(computed_at) AS t FROM vendor_clusters GROUP BY cluster_id
)`).Scan(&storedLinks, &storedMembers, &at); err != nil {
		return "", fmt.Errorf("checking vendor_clusters: %w", err)
	}
	if links != storedLinks || members != storedMembers {
		return "", fmt.Errorf("vendor_clusters is %w: computed %s over %d strong links between %d identities, vendor_links now holds %d between %d, "+
			"and this ClickHouse user may not recompute it; run the query once as a user who can write",
			ErrStale, stamp(at), storedLinks, storedMembers, links, members)
	}
	return fmt.Sprintf("vendor_clusters not recomputed (read-only user): computed %s over the %d strong links between %d identities vendor_links holds now",
		stamp(at), links, members), nil
}

func stamp(t time.Time) string {
	if t.IsZero() || t.Unix() <= 0 {
		return "never"
	}
	return "at " + t.UTC().Format(time.DateTime) + " UTC"
}
