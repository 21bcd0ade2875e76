package warehouse_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/counternet/counternet/internal/reference"
	"github.com/counternet/counternet/internal/testenv"
	"github.com/counternet/counternet/internal/warehouse"
)

func referenceDB(t *testing.T) (*warehouse.DB, *reference.Data) {
	t.Helper()
	db := testenv.ClickHouse(t)
	ref, err := reference.Default()
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if _, err := db.LoadReference(testCtx(t), ref); err != nil {
		t.Fatal(err)
	}
	t.Logf("reference data loaded in %v", time.Since(start).Round(time.Millisecond))
	return db, ref
}

// basisRow renders a legal basis as the test compares it.
func basisRow(a, b, id string, rank uint8, instrument, provisions, use, why, sources string, unverified []string, primary, gap, held bool) string {
	return fmt.Sprintf("%s-%s %d %s primary=%d gap=%d held=%d uncertain=%d\n\t%s | %s | %s | %s | %s | %s",
		a, b, rank, id, b2i(primary), b2i(gap), b2i(held), b2i(gap || len(unverified) > 0),
		instrument, provisions, use, why, sources, strings.Join(unverified, "; "))
}

// TestCooperationIsLegalBases: for every ordered pair of countries, the
// cooperation view names the legal bases the export's draft request names
// (reference.LegalBases), with the same texts, order, primary instrument
// and uncertainty; those that need the data held in the partner state are
// marked data_held_only, and the rest are LegalBases when it is not.
// reference.Channels gives the same rows.
func TestCooperationIsLegalBases(t *testing.T) {
	db, ref := referenceDB(t)
	start := time.Now()
	rows, err := db.Conn().Query(testCtx(t), `SELECT requesting, partner, channel, rank, instrument, provisions, serves,
		reason, sources, unverified, is_primary, gap, data_held_only, uncertain, legal_basis, dual_criminality
		FROM cooperation ORDER BY requesting, partner, rank`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	got := map[string][]string{}
	held := map[string][]bool{}
	n := 0
	for rows.Next() {
		var (
			a, b, ch, ins, prov, use, why, src, lb, dual string
			unv                                          []string
			rank, primary, gap, dh, unc                  uint8
		)
		if err := rows.Scan(&a, &b, &ch, &rank, &ins, &prov, &use, &why, &src, &unv, &primary, &gap, &dh, &unc, &lb, &dual); err != nil {
			t.Fatal(err)
		}
		if unc != b2u(gap == 1 || len(unv) > 0) || lb == "" || dual == "" {
			t.Errorf("%s-%s %s: uncertain %d with %d unverified facts, gap %d; legal_basis %q, dual_criminality %q", a, b, ch, unc, len(unv), gap, lb, dual)
		}
		k := a + "-" + b
		got[k] = append(got[k], basisRow(a, b, ch, rank, ins, prov, use, why, src, unv, primary == 1, gap == 1, dh == 1))
		held[k] = append(held[k], dh == 1)
		n++
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d rows for %d ordered pairs read in %v", n, len(got), time.Since(start).Round(time.Millisecond))
	rank := map[string]uint8{}
	for _, c := range reference.Catalog() {
		rank[c.ID] = c.Rank
	}
	bad, pairs := 0, 0
	report := func(pair, what string, g, w []string) {
		if bad++; bad <= 5 {
			t.Errorf("%s: %s\ngot\n%s\nwant\n%s", pair, what, strings.Join(g, "\n"), strings.Join(w, "\n"))
		}
	}
	for _, a := range ref.Countries {
		for _, b := range ref.Countries {
			pair := a.ISO2 + "-" + b.ISO2
			var whenHeld, whenNot, routes []string
			for _, bs := range ref.LegalBases(a.ISO2, b.ISO2, true) {
				whenHeld = append(whenHeld, basisRow(a.ISO2, b.ISO2, bs.ID, rank[bs.ID], bs.Instrument, bs.Provisions, bs.Use, bs.Why, bs.Sources, bs.Unverified, bs.Primary, bs.Gap, false))
			}
			for _, bs := range ref.LegalBases(a.ISO2, b.ISO2, false) {
				whenNot = append(whenNot, basisRow(a.ISO2, b.ISO2, bs.ID, rank[bs.ID], bs.Instrument, bs.Provisions, bs.Use, bs.Why, bs.Sources, bs.Unverified, bs.Primary, bs.Gap, false))
			}
			for _, r := range ref.Channels(a.ISO2, b.ISO2) {
				routes = append(routes, basisRow(a.ISO2, b.ISO2, r.Channel, r.Rank, r.Instrument, r.Provisions, r.Use, r.Reason, r.Sources, r.Unverified, r.Primary, r.Gap, r.DataHeldOnly))
			}
			if len(whenHeld) > 0 {
				pairs++
			}
			// The view without its held flags is LegalBases with the data
			// held; its rows not needing the data held are LegalBases
			// without.
			var all, notHeld []string
			for i, r := range got[pair] {
				all = append(all, strings.Replace(r, " held=1 ", " held=0 ", 1))
				if !held[pair][i] {
					notHeld = append(notHeld, r)
				}
			}
			switch {
			case strings.Join(all, "\n") != strings.Join(whenHeld, "\n"):
				report(pair, "the cooperation view is not LegalBases(data held)", all, whenHeld)
			case strings.Join(notHeld, "\n") != strings.Join(whenNot, "\n"):
				report(pair, "the view's rows with data_held_only = 0 are not LegalBases(data not held)", notHeld, whenNot)
			case strings.Join(routes, "\n") != strings.Join(got[pair], "\n"):
				report(pair, "reference.Channels is not the cooperation view", routes, got[pair])
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d ordered pairs disagree", bad, pairs)
	}
	if pairs != len(got) || pairs != len(ref.Countries)*(len(ref.Countries)-1) {
		t.Errorf("the view has %d pairs, LegalBases %d, want every ordered pair of %d countries", len(got), pairs, len(ref.Countries))
	}
}

// TestCooperation: the saved query's view for pairs an investigator asks
// about, worked out by hand from the reference files.
func TestCooperation(t *testing.T) {
	db, _ := referenceDB(t)
	for _, tc := range []struct {
		name, req, partner string
		want               []string
	}{
		{"EIO states", "NL", "ES", []string{"eio | 1 | 0 | 0", "vienna1988_art7 | 0 | 1 | 0", "budapest_preservation | 0 | 0 | 1", "coordination | 0 | 0 | 0"}},
		{"EU and UK: TCA on the 1959 Convention", "DE", "GB", []string{"eu_uk_tca | 1 | 0 | 0", "coe_mla_1959 | 0 | 1 | 0", "vienna1988_art7 | 0 | 1 | 0", "budapest_preservation | 0 | 0 | 1", "coordination | 0 | 1 | 0"}},
		{"EU and US: no 1959 Convention", "FR", "US", []string{"vienna1988_art7 | 1 | 1 | 0", "budapest_preservation | 0 | 0 | 1", "bilateral_treaty | 0 | 1 | 0", "untoc_art18 | 0 | 1 | 0", "coordination | 0 | 0 | 0"}},
		{"UK and US", "GB", "US", []string{"vienna1988_art7 | 1 | 1 | 0", "budapest_preservation | 0 | 0 | 1", "bilateral_treaty | 0 | 1 | 0", "untoc_art18 | 0 | 1 | 0", "coordination | 0 | 0 | 0"}},
		{"1959 Convention without the EIO", "DK", "DE", []string{"coe_mla_1959 | 1 | 1 | 0", "vienna1988_art7 | 0 | 1 | 0", "budapest_preservation | 0 | 0 | 1", "coordination | 0 | 0 | 0"}},
		{"Ireland: no Budapest", "IE", "FR", []string{"coe_mla_1959 | 1 | 1 | 0", "vienna1988_art7 | 0 | 1 | 0", "coordination | 0 | 0 | 0"}},
		{"1988 Convention and UNTOC only", "IR", "CN", []string{"vienna1988_art7 | 1 | 1 | 0", "bilateral_treaty | 0 | 1 | 0", "untoc_art18 | 0 | 1 | 0", "coordination | 0 | 0 | 0"}},
		{"not a 1988 party", "DE", "KI", []string{"budapest_preservation | 0 | 0 | 1", "bilateral_treaty | 1 | 1 | 0", "untoc_art18 | 0 | 1 | 0", "coordination | 0 | 0 | 0"}},
		{"same country", "DE", "DE", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			check(t, tc.req+"-"+tc.partner, rowsOf(t, db, `SELECT channel, is_primary, uncertain, data_held_only FROM cooperation
				WHERE requesting = @r AND partner = @p ORDER BY rank`, clickhouse.Named("r", tc.req), clickhouse.Named("p", tc.partner)), tc.want)
		})
	}
	check(t, "DE-GB texts", rowsOf(t, db, `SELECT channel_name, reason FROM cooperation
		WHERE requesting = 'DE' AND partner = 'GB' AND channel IN ('eu_uk_tca', 'budapest_preservation') ORDER BY rank`), []string{
		"EU-UK Trade and Cooperation Agreement: mutual assistance | Germany and the United Kingdom: one is the United Kingdom, the other an EU member state; the TCA has applied since 1 January 2021",
		"Budapest Convention: expedited preservation | Germany and the United Kingdom are both parties to the Convention, and the data sought is held in the United Kingdom",
	})
}

func b2u(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}
