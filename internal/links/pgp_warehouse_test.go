package links_test

import (
	"context"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/counternet/counternet/internal/event"
	"github.com/counternet/counternet/internal/links"
	"github.com/counternet/counternet/internal/normalize"
	"github.com/counternet/counternet/internal/pipeline"
	"github.com/counternet/counternet/internal/testenv"
	"github.com/counternet/counternet/internal/warehouse"
)

// TestPGPUserIDsReachAccounts: two profiles showing different real keys of
// one vendor (GnuPG-made, sharing the user id snowman@protonmail.example)
// are normalized, loaded into vendor_obs (pgp_user_ids, pgp_subkeys) and
// read back by ReadAccounts with the user ids, the subkeys and the capture
// showing each; the pgp signal names the shared user id with both
// captures.
func TestPGPUserIDsReachAccounts(t *testing.T) {
	if testing.Short() {
		t.Skip("needs clickhouse-server")
	}
	db := testenv.ClickHouse(t)
	ctx := context.Background()
	at := time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)
	b := &warehouse.Batch{}
	for _, c := range []struct{ market, handle, key string }{
		{"harbor", "snowman", "pgp_ed25519.asc"}, {"whitehall", "frosty_uk", "pgp_ed25519_sameuid.asc"},
	} {
		key, err := os.ReadFile("../normalize/testdata/" + c.key)
		if err != nil {
			t.Fatal(err)
		}
		prov := event.Provenance{Source: c.market, Mirror: c.market + ".onion", URL: "http://" + c.market + ".onion/v/" + c.handle,
			ObservedAt: at, CaptureSHA256: pageHash(c.market, c.handle), Pipeline: c.market + "@1", RunID: "run-pgp"}
		v := normalize.Vendor(pipeline.Record{Type: pipeline.RecordVendor,
			Fields: map[string]pipeline.Field{"handle": {Raw: c.handle}, "pgp": {Raw: string(key)}}}, prov)
		b.Vendors = append(b.Vendors, v)
	}
	if err := db.Insert(ctx, b); err != nil {
		t.Fatal(err)
	}
	var uids, subkeys []string
	if err := db.Conn().QueryRow(ctx, "SELECT pgp_user_ids, pgp_subkeys FROM vendor_obs WHERE handle = 'frosty_uk'").Scan(&uids, &subkeys); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(uids, []string{"snowman <snowman@protonmail.example>"}) || !slices.Equal(subkeys, []string{"16A4AE7D2EBE4653794797E21FE469C53CACEE2E"}) {
		t.Errorf("vendor_obs holds user ids %q, subkeys %v", uids, subkeys)
	}
	accounts, err := links.ReadAccounts(ctx, db.Conn())
	if err != nil {
		t.Fatal(err)
	}
	if len(accounts) != 2 {
		t.Fatalf("read %d accounts, want 2", len(accounts))
	}
	for _, a := range accounts {
		want := []string{"snowman@protonmail.example"}
		if a.Handle == "snowman" {
			want = []string{"snowman@dnmx.example", "snowman@protonmail.example"}
		}
		if !slices.Equal(a.PGPUserIDs, want) || len(a.PGPSubkeys) != 1 || a.Captures["uid:snowman@protonmail.example"] != pageHash(a.Source, a.Handle) {
			t.Errorf("%s: user ids %q (want %q), subkeys %v, captures %v", a.Key(), a.PGPUserIDs, want, a.PGPSubkeys, a.Captures)
		}
	}
	m, err := links.DefaultModel()
	if err != nil {
		t.Fatal(err)
	}
	res := links.Resolve(accounts, m, links.Options{})
	if len(res.Links) != 1 {
		t.Fatalf("%d links, want the pair: %+v", len(res.Links), res.Links)
	}
	var pgp *links.Contribution
	for i, c := range res.Links[0].Contributions {
		if c.Signal == links.SignalPGP {
			pgp = &res.Links[0].Contributions[i]
		}
	}
	if pgp == nil || pgp.Value != "keys sharing user ID snowman@protonmail.example (held by 2 accounts)" ||
		pgp.CaptureA == "" || pgp.CaptureB == "" || pgp.LogOdds < 4 {
		t.Errorf("pgp contribution %+v, want the shared user id with both captures and at least +4", pgp)
	}
}
