package cases_test

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/counternet/counternet/internal/capture"
	"github.com/counternet/counternet/internal/cases"
	"github.com/counternet/counternet/internal/event"
	"github.com/counternet/counternet/internal/fetch"
	"github.com/counternet/counternet/internal/testenv"
	"github.com/counternet/counternet/internal/warehouse"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// Users of the tests, with their console roles.
var (
	ivan  = cases.Actor{User: "ivan", Roles: []string{cases.RoleInvestigator, cases.RoleApprover}, Address: "127.0.0.1"}
	inge  = cases.Actor{User: "inge", Roles: []string{cases.RoleInvestigator}}
	anna  = cases.Actor{User: "anna", Roles: []string{cases.RoleApprover}}
	olga  = cases.Actor{User: "olga", Roles: []string{cases.RoleAnalyst}}
	admin = cases.Actor{User: "root", Roles: []string{cases.RoleAdmin}}
)

// world is a migrated test database with a capture store, into which a
// test loads vendor profiles and listings as the loader would.
type world struct {
	t     *testing.T
	db    *warehouse.DB
	store *capture.Store
	at    time.Time // observation time of the next record
}

func newWorld(t *testing.T) *world {
	t.Helper()
	db := testenv.ClickHouse(t)
	store, err := capture.Open(filepath.Join(t.TempDir(), "captures"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	return &world{t: t, db: db, store: store, at: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
}

func (w *world) service() *cases.Service {
	return &cases.Service{DB: w.db, Log: zerolog.New(zerolog.NewTestWriter(w.t)).Level(zerolog.WarnLevel)}
}

// page keeps a captured page and returns its SHA-256.
func (w *world) page(source, url, body string) string {
	w.t.Helper()
	p := &fetch.Page{URL: url, FinalURL: url, Status: 200, Header: http.Header{"Content-Type": {"text/html"}},
		Body: []byte(body), FetchedAt: w.at, Outcome: "ok", Method: "GET", Request: http.Header{}}
	rec, err := w.store.Put(source, p)
	if err != nil {
		w.t.Fatal(err)
	}
	return rec.SHA256
}

// vendor is a profile to load.
type vendor struct {
	market, handle string
	pgp            []string
	crypto         []event.CryptoAddress
}

// listing is a listing to load.
type listing struct {
	market, id, vendor, from string
	to                       []string
	crypto                   []event.CryptoAddress
}

// load inserts the records as one loader batch, each observed an hour
// after the previous one and resting on a captured page.
func (w *world) load(vs []vendor, ls []listing) {
	w.t.Helper()
	var b warehouse.Batch
	for _, v := range vs {
		w.at = w.at.Add(time.Hour)
		url := "http://" + v.market + "example.onion/vendor/" + v.handle
		sha := w.page(v.market, url, fmt.Sprintf("<html><h1>%s</h1><pre>%v</pre></html>", v.handle, v.pgp))
		e := event.Vendor{Provenance: event.Provenance{Source: v.market, Mirror: v.market + "example.onion", URL: url, ObservedAt: w.at,
			CaptureSHA256: sha, Pipeline: v.market + "@1", RunID: "run-" + v.market},
			Handle: v.handle, ProfileURL: url, PGPFingerprints: v.pgp, Crypto: v.crypto, ShipsFrom: "NL", Contacts: []string{"session: 05ab"}}
		e.Finalize()
		b.Vendors = append(b.Vendors, e)
	}
	for _, l := range ls {
		w.at = w.at.Add(time.Hour)
		url := "http://" + l.market + "example.onion/listing/" + l.id
		sha := w.page(l.market, url, fmt.Sprintf("<html><h1>%s</h1><a>%s</a><p>%s to %v</p></html>", l.id, l.vendor, l.from, l.to))
		basis := make([]string, len(l.to))
		for i := range basis {
			basis[i] = "explicit"
		}
		e := event.Listing{Provenance: event.Provenance{Source: l.market, Mirror: l.market + "example.onion", URL: url, ObservedAt: w.at,
			CaptureSHA256: sha, Pipeline: l.market + "@1", RunID: "run-" + l.market},
			ListingID: l.id, Title: "Listing " + l.id, Description: "Text of " + l.id, Category: "drugs.test", Vendor: l.vendor,
			Price: event.Money{Amount: 100, Currency: "USD"}, PriceUSD: 100, Quantity: 1, Unit: "g",
			ShipsFrom: l.from, ShipsTo: l.to, ShipsToBasis: basis, Crypto: l.crypto}
		e.Finalize()
		b.Listings = append(b.Listings, e)
	}
	if err := w.db.Insert(context.Background(), &b); err != nil {
		w.t.Fatal(err)
	}
}

// auditOf reads the console audit entries of one action.
func auditOf(t *testing.T, s *cases.Service, action string) []cases.AuditEntry {
	t.Helper()
	es, err := s.AuditTrail(context.Background(), admin, cases.AuditFilter{Action: action})
	if err != nil {
		t.Fatal(err)
	}
	return es
}
