package export

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/counternet/counternet/internal/capture"
	"github.com/counternet/counternet/internal/event"
	"github.com/counternet/counternet/internal/fetch"
	"github.com/counternet/counternet/internal/reference"
	"github.com/counternet/counternet/internal/testenv"
	"github.com/counternet/counternet/internal/warehouse"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// base is the Monday the fixture's observations start on.
var base = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// fixListing is one listing of the fixture and the weeks it was seen in.
type fixListing struct {
	market, id, vendor, title, desc, from string
	to                                    []string
	price                                 float64
	crypto                                []event.CryptoAddress
	weeks                                 []int
}

type fixVendor struct {
	market, handle string
	pgp            []string
	contacts       []string
	crypto         []event.CryptoAddress
	from           string
	week           int
}

// Shared identifiers that make vendor links.
const (
	pgpDutch  = "A1B2C3D4E5F60718293A4B5C6D7E8F9012345678"
	btcShared = "bc1qexportsharedaddr0000000000000000000000"
	xmrOwn    = "48exportxmrownaddress000000000000000000000000000000000000000000000000000000000000000000000000000"
)

var fixListings = []fixListing{
	{"alpha", "a-1", "DutchDirect", "MDMA crystals 10g", "Pure =cmd|' /C calc'!A0 stock", "NL", []string{"DE", "FR", "BE"}, 120, nil, []int{0, 1, 2}},
	{"alpha", "a-2", "DutchDirect", "Speed paste 50g", "Amphetamine, stealth shipping", "NL", []string{"DE"}, 200, nil, []int{1}},
	{"alpha", "a-3", "GermanGrams", "Cocaine 1g", "Fishscale", "DE", []string{"DE", "AT"}, 80, []event.CryptoAddress{{Chain: "btc", Address: btcShared}}, []int{0, 3}},
	{"alpha", "a-4", "GermanGrams", "Ketamine 5g", "Needles", "DE", []string{"AT", "CH"}, 150, nil, []int{2}},
	{"alpha", "a-5", "LoneWolf", "Cannabis 28g", "Outdoor", "ES", []string{"FR", "IT"}, 160, nil, []int{4}},
	{"bravo", "b-1", "dutchdirect", "MDMA pills x100", "Same vendor as on alpha", "NL", []string{"DE", "GB"}, 250, nil, []int{0, 1, 2, 3}},
	{"bravo", "b-2", "Canada_Meds", "Oxycodone 30mg x10", "Pharma grade", "CA", []string{"US"}, 300, []event.CryptoAddress{{Chain: "btc", Address: btcShared}}, []int{1, 5}},
	{"bravo", "b-3", "Canada_Meds", "Fentanyl patches", "Danger", "CA", []string{"US", "CA"}, 400, []event.CryptoAddress{{Chain: "xmr", Address: xmrOwn}}, []int{5}},
	{"bravo", "b-4", "PacificPills", "Xanax 2mg x50", "Bars", "AU", []string{"AU", "NZ"}, 90, nil, []int{6}},
}

var fixVendors = []fixVendor{
	{"alpha", "DutchDirect", []string{pgpDutch}, []string{"session: 05abcdef"}, nil, "NL", 0},
	{"bravo", "dutchdirect", []string{pgpDutch}, []string{"jabber: dd@xmpp.invalid"}, nil, "NL", 1},
	{"alpha", "GermanGrams", nil, []string{"jabber: gg@xmpp.invalid"}, []event.CryptoAddress{{Chain: "btc", Address: btcShared}}, "DE", 0},
	{"bravo", "Canada_Meds", nil, nil, nil, "CA", 1},
	{"alpha", "LoneWolf", nil, nil, nil, "ES", 4},
}

// fixture is a warehouse database and capture store holding the listings
// and vendors above, every observation resting on a captured page.
type fixture struct {
	db       *warehouse.DB
	captures *capture.Store
	shas     map[string]bool // every capture the records name
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	db := testenv.ClickHouse(t)
	store, err := capture.Open(filepath.Join(t.TempDir(), "captures"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	f := &fixture{db: db, captures: store, shas: map[string]bool{}}
	put := func(source, url, body string, at time.Time) string {
		page := &fetch.Page{URL: url, FinalURL: url, Status: 200, Header: http.Header{"Content-Type": {"text/html"}},
			Body: []byte(body), FetchedAt: at, Outcome: "ok", Method: "GET", Request: http.Header{}}
		rec, err := store.Put(source, page)
		if err != nil {
			t.Fatal(err)
		}
		f.shas[rec.SHA256] = true
		return rec.SHA256
	}
	var b warehouse.Batch
	for _, fl := range fixListings {
		for _, w := range fl.weeks {
			at := base.AddDate(0, 0, 7*w)
			url := "http://" + fl.market + "example.onion/listing/" + fl.id
			body := fmt.Sprintf("<html><h1>%s</h1><p>%s</p><a>%s</a><p>week %d</p></html>", fl.title, fl.desc, fl.vendor, w)
			sha := put(fl.market, url, body, at)
			l := event.Listing{
				Provenance: event.Provenance{Source: fl.market, Mirror: fl.market + "example.onion", URL: url, ObservedAt: at,
					CaptureSHA256: sha, Pipeline: fl.market + "@1", RunID: "run-" + fl.market},
				ListingID: fl.id, Title: fl.title, Description: fl.desc, Category: "drugs.test", CategoryRaw: "Drugs > Test",
				Vendor: fl.vendor, Price: event.Money{Amount: fl.price + float64(w), Currency: "USD"}, PriceUSD: fl.price + float64(w),
				Quantity: 1, Unit: "g", ShipsFrom: fl.from, ShipsTo: fl.to, PaymentMethods: []string{"btc"}, Escrow: true, Crypto: fl.crypto,
			}
			l.Finalize()
			b.Listings = append(b.Listings, l)
		}
	}
	for _, fv := range fixVendors {
		at := base.AddDate(0, 0, 7*fv.week).Add(time.Hour)
		url := "http://" + fv.market + "example.onion/vendor/" + fv.handle
		sha := put(fv.market, url, "<html><h1>"+fv.handle+"</h1><pre>"+strings.Join(fv.pgp, " ")+"</pre></html>", at)
		v := event.Vendor{
			Provenance: event.Provenance{Source: fv.market, Mirror: fv.market + "example.onion", URL: url, ObservedAt: at,
				CaptureSHA256: sha, Pipeline: fv.market + "@1", RunID: "run-" + fv.market},
			Handle: fv.handle, ProfileURL: url, PGPFingerprints: fv.pgp, Rating: 4.8, Sales: 120, Joined: "2025-01-01",
			ShipsFrom: fv.from, Contacts: fv.contacts, Crypto: fv.crypto,
		}
		v.Finalize()
		b.Vendors = append(b.Vendors, v)
	}
	if err := db.Insert(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	return f
}

// wantListings lists market:id of the fixture listings a selection holds.
func wantListings(sel Selection) []string {
	var out []string
	for _, fl := range fixListings {
		if len(sel.Markets) > 0 && !slices.Contains(sel.Markets, fl.market) {
			continue
		}
		if len(sel.Vendors) > 0 && !slices.Contains(sel.Vendors, fl.market+":"+fl.vendor) && !slices.Contains(sel.Vendors, fl.vendor) {
			continue
		}
		if len(sel.Routes) > 0 && !slices.ContainsFunc(sel.Routes, func(r Route) bool {
			return (r.From == "" || r.From == fl.from) && (r.To == "" || slices.Contains(fl.to, r.To))
		}) {
			continue
		}
		if len(sel.Jurisdictions) > 0 && !slices.ContainsFunc(sel.Jurisdictions, func(j string) bool {
			return j == fl.from || slices.Contains(fl.to, j)
		}) {
			continue
		}
		seen := false
		for _, w := range fl.weeks {
			at := base.AddDate(0, 0, 7*w)
			if (sel.Since.IsZero() || !at.Before(sel.Since)) && (sel.Until.IsZero() || !at.After(sel.Until)) {
				seen = true
			}
		}
		if seen {
			out = append(out, fl.market+":"+fl.id)
		}
	}
	slices.Sort(out)
	return out
}

// party is a generated key set of one agency.
type party struct {
	keys KeySet
	dir  string
}

func newParty(t testing.TB) party {
	t.Helper()
	dir := t.TempDir()
	ks, err := GenerateKeys(filepath.Join(dir, "keys"))
	if err != nil {
		t.Fatal(err)
	}
	return party{keys: ks, dir: dir}
}

func (p party) signingKey(t testing.TB) []byte {
	t.Helper()
	k, err := LoadSigningKey(filepath.Join(p.keys.Dir, SigningKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func (p party) identityFile() string { return filepath.Join(p.keys.Dir, AgeIdentityFile) }

// env is an exporter over a fixture with partners of each kind.
type env struct {
	fx       *fixture
	sender   party
	partners map[string]party
	x        *Exporter
	out      string
}

func newEnv(t testing.TB) *env {
	t.Helper()
	ref, err := reference.Default()
	if err != nil {
		t.Fatal(err)
	}
	e := &env{fx: newFixture(t), sender: newParty(t), partners: map[string]party{}, out: t.TempDir()}
	var ps []reference.Partner
	for _, p := range []reference.Partner{
		{ID: "politie-nl", Agency: "Politie (test)", Country: "NL", Contact: "desk@test.invalid", MaxTLP: "amber+strict"},
		{ID: "nca-gb", Agency: "NCA (test)", Country: "GB", Contact: "desk@test.invalid", MaxTLP: "amber",
			ExcludedFields: []string{"listing_obs.description", "contacts"}},
		{ID: "fbi-us", Agency: "FBI (test)", Country: "US", Contact: "desk@test.invalid", MaxTLP: "green"},
		{ID: "plain-at", Agency: "BK (test, no encryption key)", Country: "AT", Contact: "desk@test.invalid", MaxTLP: "red"},
	} {
		pt := newParty(t)
		e.partners[p.ID] = pt
		p.SigningKey = pt.keys.SigningPub
		if p.ID != "plain-at" {
			p.EncryptionKey = pt.keys.AgeRecipient
		}
		ps = append(ps, p)
	}
	e.x = &Exporter{
		DB: e.fx.db, Ref: ref, Partners: ps, Sender: Sender{Agency: "Bundeskriminalamt (test)", Country: "DE", Contact: "so4@test.invalid"},
		SigningKey: e.sender.signingKey(t), Captures: e.fx.captures, AuditLog: filepath.Join(e.sender.dir, AuditLogFile),
		Log: zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel),
	}
	return e
}

func (e *env) request(partner, name string) Request {
	return Request{Partner: partner, TLP: "amber", Purpose: "Identify the vendors shipping to the partner's country",
		LegalBasis: "Budapest Convention Art. 26 (spontaneous information)", Who: "investigator.test", Evidence: true,
		Output: filepath.Join(e.out, name+".cnpkg")}
}

func sha(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}
