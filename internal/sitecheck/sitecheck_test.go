package sitecheck

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/counternet/counternet/internal/event"
	"github.com/counternet/counternet/internal/pipeline"
)

// copySite copies nebula's site file and its saved listing page into a
// temporary directory and returns the site loaded from there, with the
// listing expectation replaced by want.
func copySite(t *testing.T, want string) *pipeline.Site {
	t.Helper()
	dir := t.TempDir()
	src := filepath.Join("..", "..", "pipelines")
	site, err := os.ReadFile(filepath.Join(src, "nebula.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	// Only the listing test.
	text := string(site)
	text = text[:strings.Index(text, "tests:")] + "tests:\n  - {name: listing, file: listing.html, page: listing, url: \"http://p3abovdascsd4wzwxnc5wednyrugvsgnk5tacvoors74qin5m7ckxbid.onion/product/99685\", captured: \"2026-11-24\"}\n"
	page, err := os.ReadFile(filepath.Join(src, "testdata", "nebula", "listing.html"))
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string]string{"nebula.yaml": text, "listing.html": string(page), "listing.want.yaml": want} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s, err := pipeline.Load(filepath.Join(dir, "nebula.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

const wantRaw = `records:
  - type: listing
    fields:
      attributes.images: "http://p3abovdascsd4wzwxnc5wednyrugvsgnk5tacvoors74qin5m7ckxbid.onion/img/99685/1.jpg\nhttp://p3abovdascsd4wzwxnc5wednyrugvsgnk5tacvoors74qin5m7ckxbid.onion/img/99685/2.jpg"
      category: Chemicals > Precursors > BMK
      description: "New batch, same quality as always.\nConversion instructions available to buyers.\nStealth is our top priority, no signature needed.\nShips from Italy.\nReships at 50% after the first failed delivery."
      escrow: "Yes"
      listing_id: "99685"
      payment_methods: BTC, XMR, LTC
      price: USD 3281.78
      quantity: "5"
      ships_from: Italy
      ships_to: Italy, Norway, Germany, Belgium, Australia
      title: 5kg BMK glycidate powder
      unit: kg
      vendor: Green_Team
links:
  - vendor http://p3abovdascsd4wzwxnc5wednyrugvsgnk5tacvoors74qin5m7ckxbid.onion/vendor/Green_Team
`

func TestNormalizedExpectations(t *testing.T) {
	good := strings.Replace(wantRaw, "      vendor: Green_Team\n", "      vendor: Green_Team\n    normalized:\n      price.amount: \"3281.78\"\n      price.currency: USD\n      quantity: \"5000\"\n      unit: g\n      ships_from: IT\n      category: precursor\n", 1)
	s := copySite(t, good)
	diffs, err := pipeline.RunTestsWith(s, Normalizer(s, Options{}))
	if err != nil || len(diffs) != 0 {
		t.Fatalf("good expectations: %v %v", diffs, err)
	}
	// Without a normalizer, stated normalized values are an error, never
	// silently unchecked.
	if _, err := pipeline.RunTests(s); err == nil {
		t.Error("RunTests without a normalizer passed normalized expectations")
	}
	// A wrong normalized value is a difference naming its path.
	bad := strings.Replace(good, "ships_from: IT", "ships_from: DE", 1)
	s = copySite(t, bad)
	diffs, err = pipeline.RunTestsWith(s, Normalizer(s, Options{}))
	if err != nil || len(diffs) != 1 || diffs[0].Field != "normalized.ships_from" || diffs[0].Got != "IT" {
		t.Fatalf("wrong value: %v %v", diffs, err)
	}
}

// A value that does not normalize is a failure, unless the expectation
// says it is known not to.
func TestUnparsedIsAFailure(t *testing.T) {
	page, err := os.ReadFile(filepath.Join("..", "..", "pipelines", "testdata", "nebula", "listing.html"))
	if err != nil {
		t.Fatal(err)
	}
	s := copySite(t, "")
	res, err := s.Extract("listing", "http://p3abovdascsd4wzwxnc5wednyrugvsgnk5tacvoors74qin5m7ckxbid.onion/product/99685", page)
	if err != nil {
		t.Fatal(err)
	}
	rec := res.Records[0]
	rec.Fields["price"] = pipeline.Field{Raw: "ask me", Parser: pipeline.ParserMoney}
	rec.Fields["ships_from"] = pipeline.Field{Raw: "Atlantis", Parser: pipeline.ParserCountry}
	ev, err := Normalize(rec, eventProv(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(ev.Unparsed) != 2 || !strings.Contains(strings.Join(ev.Unparsed, "|"), `price: "ask me" (parser money) not understood`) {
		t.Errorf("unparsed = %q", ev.Unparsed)
	}
	diffs, err := Compare(map[string]string{"title": "5kg BMK glycidate powder"}, ev)
	if err != nil || len(diffs) != 2 {
		t.Errorf("unparsed values not failures: %v %v", diffs, err)
	}
	diffs, err = Compare(map[string]string{"title": "5kg BMK glycidate powder", "unparsed": "price, ships_from"}, ev)
	if err != nil || len(diffs) != 0 {
		t.Errorf("known unparsed values still failures: %v %v", diffs, err)
	}
}

type eventProvenance = event.Provenance

func eventProv() (p eventProvenance) {
	p.Source, p.URL = "nebula", "http://p3abovdascsd4wzwxnc5wednyrugvsgnk5tacvoors74qin5m7ckxbid.onion/product/99685"
	return p
}
