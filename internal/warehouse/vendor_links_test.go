package warehouse_test

import (
	"fmt"
	"testing"

	"github.com/counternet/counternet/internal/testenv"
)

// TestVendorLinksHoldersAcrossParts: vendor_links links an identifier held
// by 50 vendor identities even when each identity's rows are in three
// parts of vendor_identifiers_state (150 rows), and not one held by 51; the
// pairs and their sides' dates are those of the merged states, before and
// after the engine merges the parts.
func TestVendorLinksHoldersAcrossParts(t *testing.T) {
	db := testenv.ClickHouse(t)
	ctx := testCtx(t)
	// Three inserts of the same 51 handles on one market, a day apart,
	// each showing fingerprint FP50 for the first 50 handles and FP51 for
	// all 51: every identity's rows of each fingerprint in three parts.
	for day := range 3 {
		q := fmt.Sprintf(`INSERT INTO vendor_obs (event_id, source, handle, pgp_fingerprints, observed_at, capture_sha256)
			SELECT hex(cityHash64(number, %[1]d)), 'm1', concat('v', toString(number)),
				if(number < 50, ['FP50', 'FP51'], ['FP51']),
				toDateTime(1700000000 + %[1]d * 86400 + number), hex(cityHash64(number, %[1]d, 'c'))
			FROM numbers(51)`, day)
		if err := db.Conn().Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{fmt.Sprintf("%d | 0 | 1", 50*49/2)}
	query := `SELECT count(), countIf(NOT (first_seen_a = toDateTime(1700000000 + toUInt32(substring(handle_a, 2)))
			AND last_seen_a = toDateTime(1700000000 + 2 * 86400 + toUInt32(substring(handle_a, 2)))
			AND capture_a = hex(cityHash64(toUInt64(substring(handle_a, 2)), 2, 'c'))
			AND first_seen_b = toDateTime(1700000000 + toUInt32(substring(handle_b, 2))))),
		uniqExact(evidence) FROM vendor_links WHERE kind = 'pgp_fingerprint' AND evidence IN ('FP50', 'FP51')`
	if n := count(t, db, `SELECT count() FROM system.parts WHERE database = currentDatabase()
		AND table = 'vendor_identifiers_state' AND active`); n < 3 {
		t.Fatalf("vendor_identifiers_state has %d parts, want the three inserts' apart", n)
	}
	check(t, "links across parts", rowsOf(t, db, query), want)
	if err := db.Conn().Exec(ctx, "OPTIMIZE TABLE vendor_identifiers_state FINAL"); err != nil {
		t.Fatal(err)
	}
	check(t, "links once merged", rowsOf(t, db, query), want)
}
