package console

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/counternet/counternet/internal/testenv"
)

// TestVendorProfileSaysWhatIsCut: a vendor with 501 listings in 501
// categories on the real server: the profile shows the first 500 of each
// and says that both sections were cut; one at 500 says nothing.
func TestVendorProfileSaysWhatIsCut(t *testing.T) {
	if testing.Short() {
		t.Skip("needs clickhouse-server")
	}
	db := testenv.ClickHouse(t)
	ctx := context.Background()
	if err := db.Conn().Exec(ctx, `INSERT INTO listing_obs (event_id, source, listing_id, vendor, category, observed_at)
		SELECT hex(cityHash64(number)), 'm0', toString(number), if(number < 501, 'wide', 'exact'),
			concat('cat.', toString(number)), toDateTime(1700000000 + number)
		FROM numbers(1001)`); err != nil {
		t.Fatal(err)
	}
	p, err := loadPages()
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{opts: Options{Conn: db.Conn(), QueryTimeout: time.Minute, Log: zerolog.Nop()}, pages: p}
	d, err := s.vendorProfile(ctx, "m0", "wide")
	if err != nil {
		t.Fatal(err)
	}
	if !d.ListingsCut || len(d.Listings) != maxProfileRows || !slices.Equal(d.Cut, []string{"categories"}) || len(d.Categories) != maxProfileRows {
		t.Errorf("wide: listings cut %v (%d shown), other sections cut %q (%d categories shown)", d.ListingsCut, len(d.Listings), d.Cut, len(d.Categories))
	}
	d, err = s.vendorProfile(ctx, "m0", "exact")
	if err != nil {
		t.Fatal(err)
	}
	if d.ListingsCut || len(d.Cut) != 0 || len(d.Categories) != maxProfileRows {
		t.Errorf("exact: listings cut %v, other sections cut %q, %d categories", d.ListingsCut, d.Cut, len(d.Categories))
	}
}
