package links_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/counternet/counternet/internal/event"
	"github.com/counternet/counternet/internal/fixture"
	"github.com/counternet/counternet/internal/images"
	"github.com/counternet/counternet/internal/links"
	"github.com/counternet/counternet/internal/normalize"
	"github.com/counternet/counternet/internal/testenv"
	"github.com/counternet/counternet/internal/warehouse"
)

// pageHash stands for the capture of a fixture page.
func pageHash(market, path string) string {
	s := sha256.Sum256([]byte(market + path))
	return hex.EncodeToString(s[:])
}

// worldBatch is the listing and vendor observations of w's pages, each
// resting on its page's capture; vendors carry the user ids and subkeys of
// the keys they show.
func worldBatch(w *fixture.World, at time.Time) *warehouse.Batch {
	b := &warehouse.Batch{}
	for _, m := range w.AllMarkets() {
		prov := func(path string) event.Provenance {
			return event.Provenance{Source: m.Name, Mirror: m.Host, URL: "http://" + m.Host + path, ObservedAt: at,
				CaptureSHA256: pageHash(m.Name, path), Pipeline: m.Name + "@1", RunID: "run-links"}
		}
		for _, v := range m.Vendors {
			e := event.Vendor{Provenance: prov(m.VendorPath(v.Handle)), Handle: v.Handle, PGPFingerprints: []string{v.PGPFingerprint}, ShipsFrom: v.ShipsFrom}
			if acc, _ := w.AccountOf(m.Name, v.Handle); acc.PGPKey != "" {
				// The key's user ids and subkeys, as normalize reads the
				// armored key (its fingerprint is v.PGPFingerprint).
				keys, _ := normalize.PGPKeys(acc.PGPKey)
				for _, k := range keys {
					for _, u := range k.UserIDs {
						e.PGPUserIDs = append(e.PGPUserIDs, normalize.NormalizeUserID(u))
					}
					e.PGPSubkeys = append(e.PGPSubkeys, k.Subkeys...)
				}
			}
			for _, c := range v.Crypto {
				e.Crypto = append(e.Crypto, event.CryptoAddress{Chain: c.Chain, Address: c.Address})
			}
			e.Finalize()
			b.Vendors = append(b.Vendors, e)
		}
		for _, l := range m.Listings {
			cat, _ := normalize.CategoryOf(l.Category, l.Title)
			e := event.Listing{Provenance: prov(m.ListingPath(l.ID)), ListingID: l.ID, Title: l.Title, Description: l.Description,
				Category: cat, CategoryRaw: l.Category, Vendor: l.Vendor, PriceUSD: m.PriceUSD(l), Quantity: l.Quantity, Unit: l.Unit,
				Price: event.Money{Amount: l.Price, Currency: l.Currency}, ShipsFrom: l.ShipsFrom, ShipsTo: l.ShipsTo}
			e.Finalize()
			b.Listings = append(b.Listings, e)
		}
	}
	for _, f := range w.Forums {
		for _, th := range f.Threads {
			path := f.ThreadPath(th.ID, 1)
			for _, p := range th.Posts {
				e := event.Post{Provenance: event.Provenance{Source: f.Name, Mirror: f.Host, URL: "http://" + f.Host + path, ObservedAt: at,
					CaptureSHA256: pageHash(f.Name, path), Pipeline: f.Name + "@1", RunID: "run-links"},
					Forum: f.Name, ThreadID: th.ID, ThreadTitle: th.Title, PostID: p.ID, Author: p.Author, PostedAt: p.PostedAt, Body: p.Body}
				e.Finalize()
				b.Posts = append(b.Posts, e)
			}
		}
	}
	return b
}

// worldImages is the listing_images events of w's photos as the collector
// records them (hashed from the bytes the markets serve; the blocklisted
// photo left out).
func worldImages(t *testing.T, w *fixture.World, at time.Time) []event.Image {
	var out []event.Image
	for _, m := range w.AllMarkets() {
		for _, l := range m.Listings {
			for n := 1; n <= 2; n++ {
				p, ok, err := links.FixturePhoto(m, l, n)
				if err != nil {
					t.Fatal(err)
				}
				if !ok {
					continue
				}
				path := m.ListingPath(l.ID)
				im := event.Image{Provenance: event.Provenance{Source: m.Name, Mirror: m.Host, URL: "http://" + m.Host + path, ObservedAt: at,
					CaptureSHA256: pageHash(m.Name, path), Pipeline: m.Name + "@1", RunID: "run-links"},
					ListingID: l.ID, Vendor: l.Vendor, ImageURL: "http://" + m.Host + fixture.PhotoPath(l.ID, n), Position: n,
					Outcome: event.ImageOK, FetchedAt: at, Status: 200, ContentType: "image/jpeg", Bytes: 1,
					SHA256: p.SHA256, PHash: images.Hex(p.PHash), DHash: images.Hex(p.DHash), AHash: images.Hex(p.AHash),
					Format: p.Format, Width: p.Width, Height: p.Height}
				im.Finalize()
				out = append(out, im)
			}
		}
	}
	return out
}

// TestBuildFromWarehouse loads a held-out identity-noise world into
// ClickHouse, links it from there and checks vendor_link_scores: the
// linked pairs against the world's truth, the contributions, and the
// captures behind a shared PGP key.
func TestBuildFromWarehouse(t *testing.T) {
	if testing.Short() {
		t.Skip("needs clickhouse-server")
	}
	db := testenv.ClickHouse(t)
	ctx := context.Background()
	w := fixture.GenerateWith(links.TestSeeds[0], fixture.Options{Identities: true})
	at := time.Date(2026, 1, 10, 12, 0, 0, 0, time.UTC)
	if err := db.Insert(ctx, worldBatch(w, at)); err != nil {
		t.Fatal(err)
	}
	if err := (&images.Store{Conn: db.Conn()}).InsertImages(ctx, worldImages(t, w, at), nil); err != nil {
		t.Fatal(err)
	}
	accounts, err := links.ReadAccounts(ctx, db.Conn())
	if err != nil {
		t.Fatal(err)
	}
	fixtureAccounts, identities, err := links.FixtureAccounts(w)
	if err != nil {
		t.Fatal(err)
	}
	if len(accounts) != len(fixtureAccounts) {
		t.Fatalf("read %d accounts, the world has %d (%d on markets)", len(accounts), len(fixtureAccounts), len(w.Accounts))
	}
	checkPostsRead(t, fixtureAccounts, accounts)
	checkPhotosRead(t, w, accounts)
	m, err := links.DefaultModel()
	if err != nil {
		t.Fatal(err)
	}
	res := links.Resolve(accounts, m, links.Options{})
	n, err := links.WriteScores(ctx, db.Conn(), res, m, m.Threshold, time.Date(2026, 1, 11, 0, 0, 0, 0, time.UTC))
	if err != nil || n == 0 {
		t.Fatalf("WriteScores: %d rows, %v", n, err)
	}
	rows, err := db.Conn().Query(ctx, "SELECT source_a, handle_a, source_b, handle_b, probability, linked, baseline, signals, contributions, "+
		"evidence, captures_a, captures_b, model_version FROM vendor_link_scores WHERE built_at = (SELECT max(built_at) FROM vendor_link_scores)")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	tp, fp, got, pgpChecked, overlapChecked, photoChecked := 0, 0, 0, 0, 0, 0
	for rows.Next() {
		var sa, ha, sb, hb, version string
		var p, base float64
		var linked uint8
		var sigs, ev, ca, cb []string
		var cons []float64
		if err := rows.Scan(&sa, &ha, &sb, &hb, &p, &linked, &base, &sigs, &cons, &ev, &ca, &cb, &version); err != nil {
			t.Fatal(err)
		}
		got++
		if version != m.Version || len(sigs) != len(cons) || len(sigs) != len(ca) || len(sigs) != len(cb) || len(sigs) != len(ev) {
			t.Fatalf("%s:%s %s:%s: model %s, %d signals, %d contributions, %d/%d captures", sa, ha, sb, hb, version, len(sigs), len(cons), len(ca), len(cb))
		}
		z := base
		for _, c := range cons {
			z += c
		}
		if pz := 1 / (1 + exp(-z)); abs(pz-p) > 1e-6 {
			t.Errorf("%s:%s %s:%s: probability %.6f, but baseline + contributions give %.6f", sa, ha, sb, hb, p, pz)
		}
		for i, s := range sigs {
			if s == links.SignalPhoto {
				if !listingPageOf(w, sa, ha, ca[i]) || !listingPageOf(w, sb, hb, cb[i]) {
					t.Errorf("%s:%s %s:%s: photo evidence %q with pages %s, %s; want a listing page of each vendor", sa, ha, sb, hb, ev[i], ca[i], cb[i])
				}
				photoChecked++
			}
			if s != links.SignalPGP {
				continue
			}
			va, _ := w.Market(sa).Vendor(ha)
			vb, _ := w.Market(sb).Vendor(hb)
			same := va.PGPFingerprint == vb.PGPFingerprint
			if fpr, ok := strings.CutPrefix(ev[i], "key "); ok != same || same && va.PGPFingerprint != fpr ||
				!same && !strings.HasPrefix(ev[i], "keys sharing ") {
				t.Errorf("%s:%s %s:%s: pgp evidence %q for keys %s and %s", sa, ha, sb, hb, ev[i], va.PGPFingerprint, vb.PGPFingerprint)
			}
			if ca[i] != pageHash(sa, w.Market(sa).VendorPath(ha)) || cb[i] != pageHash(sb, w.Market(sb).VendorPath(hb)) {
				t.Errorf("%s:%s %s:%s: pgp evidence %q with pages %s, %s; want both vendor pages", sa, ha, sb, hb, ev[i], ca[i], cb[i])
			}
			pgpChecked++
			if !same {
				overlapChecked++
			}
		}
		if linked == 1 {
			ia, _ := w.IdentityOf(sa, ha)
			ib, _ := w.IdentityOf(sb, hb)
			if ia == ib {
				tp++
			} else {
				fp++
			}
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	truth := map[int]int{} // market accounts and forum authors
	for _, id := range identities {
		truth[id]++
	}
	pairs := 0
	for _, k := range truth {
		pairs += k * (k - 1) / 2
	}
	prec, rec := float64(tp)/float64(max(tp+fp, 1)), float64(tp)/float64(max(pairs, 1))
	t.Logf("%d rows; linked %d of one identity, %d of two; %d true pairs: precision %.3f, recall %.3f; %d pgp (%d of keys sharing a user id or subkey) and %d photo evidences checked",
		got, tp, fp, pairs, prec, rec, pgpChecked, overlapChecked, photoChecked)
	if prec < 0.9 || rec < 0.8 || pgpChecked == 0 || overlapChecked == 0 || photoChecked == 0 {
		t.Errorf("from the warehouse: precision %.3f, recall %.3f (want >= 0.9, >= 0.8), %d pgp evidences (%d of overlapping keys), %d photo evidences",
			prec, rec, pgpChecked, overlapChecked, photoChecked)
	}
}

// checkPhotosRead: the photos read from listing_images are, per account,
// the photos FixtureAccounts gives it (the same files, the same pHashes).
func checkPhotosRead(t *testing.T, w *fixture.World, read []links.Account) {
	t.Helper()
	want, _, err := links.FixtureAccounts(w)
	if err != nil {
		t.Fatal(err)
	}
	byKey := map[string][]links.Photo{}
	for _, a := range want {
		byKey[a.Key()] = a.Photos
	}
	n := 0
	for _, a := range read {
		got, exp := slices.Clone(a.Photos), slices.Clone(byKey[a.Key()])
		cmp := func(p, q links.Photo) int { return strings.Compare(p.SHA256, q.SHA256) }
		slices.SortFunc(got, cmp)
		slices.SortFunc(exp, cmp)
		if !slices.Equal(got, exp) {
			t.Errorf("%s: read %d photos from listing_images, the world shows %d (or other ones)", a.Key(), len(got), len(exp))
		}
		for _, p := range a.Photos {
			if a.Captures["photo:"+p.SHA256] == "" {
				t.Errorf("%s: photo %s has no capture", a.Key(), p.SHA256)
			}
		}
		n += len(got)
	}
	if n == 0 {
		t.Error("no photos read from listing_images")
	}
}

// listingPageOf says whether capture is a listing page of handle on market.
func listingPageOf(w *fixture.World, market, handle, capture string) bool {
	m := w.Market(market)
	for _, l := range m.Listings {
		if l.Vendor == handle && pageHash(market, m.ListingPath(l.ID)) == capture {
			return true
		}
	}
	return false
}

func exp(x float64) float64 { return math.Exp(x) }
func abs(x float64) float64 { return math.Abs(x) }

// checkPostsRead checks that every forum author is read with the bodies of
// its posts, as the evaluation reads them from the fixture.
func checkPostsRead(t *testing.T, want, got []links.Account) {
	t.Helper()
	byKey := map[string]links.Account{}
	for _, a := range got {
		byKey[a.Key()] = a
	}
	authors := 0
	for _, a := range want {
		if a.Source != fixture.Dredge {
			continue
		}
		authors++
		g, ok := byKey[a.Key()]
		if !ok {
			t.Errorf("forum author %s not read", a.Key())
			continue
		}
		if !slices.Equal(sorted(g.Texts), sorted(a.Texts)) {
			t.Errorf("forum author %s: read %d posts, the forum shows %d (or other bodies)", a.Key(), len(g.Texts), len(a.Texts))
		}
		if g.Captures["text"] == "" {
			t.Errorf("forum author %s: no capture for its text", a.Key())
		}
	}
	if authors == 0 {
		t.Error("the world's forum has no authors")
	}
}

func sorted(s []string) []string { return slices.Sorted(slices.Values(s)) }
