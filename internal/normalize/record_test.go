package normalize

import (
	"math"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/counternet/counternet/internal/event"
	"github.com/counternet/counternet/internal/pipeline"
)

var prov = event.Provenance{
	Source:        "nebula",
	Mirror:        "z3gbkb64dxoxffmvdquqrchqsww3sbcndnz5nfxg34df22b32t6feiad.onion",
	URL:           "http://z3gbkb64dxoxffmvdquqrchqsww3sbcndnz5nfxg34df22b32t6feiad.onion/product/abc123",
	ObservedAt:    time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC),
	CaptureSHA256: strings.Repeat("ab", 32),
	Pipeline:      "nebula@3",
	RunID:         "run-1",
}

var rates = Rates{AsOf: prov.ObservedAt, USDPer: map[string]float64{"BTC": 65000, "EUR": 1.1}}

func rec(typ string, kv ...string) pipeline.Record {
	r := pipeline.Record{Type: typ, Fields: map[string]pipeline.Field{}}
	for i := 0; i+1 < len(kv); i += 2 {
		name, parser, _ := strings.Cut(kv[i], ":")
		r.Fields[name] = pipeline.Field{Raw: kv[i+1], Parser: parser}
	}
	return r
}

func TestListing(t *testing.T) {
	l := Listing(rec("listing",
		"listing_id:text", " abc123 ",
		"title:text", "Cocaine 97% pure 5g",
		"category:text", "Drugs > Stimulants",
		"vendor:text", " snowman ",
		"price:money", "€ 45,00",
		"quantity:float", "5g",
		"ships_from:country", "Deutschland",
		"ships_to:countries", "Germany, Austria, Worldwide",
		"payment_methods:text", "Bitcoin, XMR, btc",
		"escrow:bool", "yes",
	), prov, rates)
	want := event.Listing{
		Schema:      event.SchemaListing,
		Provenance:  prov,
		ListingID:   "abc123",
		Title:       "Cocaine 97% pure 5g",
		CategoryRaw: "Drugs > Stimulants",
		Category:    CategoryCocaine,
		Vendor:      "snowman",
		Price:       event.Money{Amount: 45, Currency: "EUR", Raw: "€ 45,00"},
		PriceUSD:    49.5,
		Quantity:    5,
		Unit:        "g",
		// 45 EUR for 5 g: 9 EUR and 9.90 USD per gram.
		PricePerUnit:    9,
		PricePerUnitUSD: 9.9,
		ShipsFrom:       "DE",
		ShipsFromRaw:    "Deutschland",
		ShipsToRaw:      "Germany, Austria, Worldwide",
		PaymentMethods:  []string{"BTC", "XMR"},
		Escrow:          true,
		EscrowKnown:     true,
		Flags:           []string{"ships_to:worldwide"},
		Prices:          []event.Money{{Amount: 45, Currency: "EUR", Raw: "€ 45,00"}},
		PriceUSDBasis:   event.BasisCaptureRate,
		PriceUSDRate:    1.1,
	}
	// Worldwide beside two countries: those two explicit, every other
	// ISO country with basis worldwide.
	want.ShipsTo, want.ShipsToBasis = []string{"DE", "AT"}, []string{event.DestExplicit, event.DestExplicit}
	for _, d := range Shipping("Worldwide").Destinations {
		if d.Country != "DE" && d.Country != "AT" {
			want.ShipsTo, want.ShipsToBasis = append(want.ShipsTo, d.Country), append(want.ShipsToBasis, event.DestWorldwide)
		}
	}
	if len(want.ShipsTo) < 240 {
		t.Fatalf("worldwide is %d countries", len(want.ShipsTo))
	}
	want.EventID = l.EventID
	if !reflect.DeepEqual(l, want) {
		t.Errorf("Listing =\n%+v\nwant\n%+v", l, want)
	}
	if l.EventID != event.ID(event.TypeListing, "nebula", "abc123", prov.ObservedAt, prov.CaptureSHA256) {
		t.Errorf("EventID not finalized: %q", l.EventID)
	}
	if err := l.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
}

func TestListingFlags(t *testing.T) {
	long := strings.Repeat("é", event.MaxTitle) // 2 bytes each
	l := Listing(rec("listing",
		"listing_id", "x1",
		"title", long,
		"description", "ok\x00 \xff",
		"price", "call me",
		"ships_from", "Mordor",
		"ships_to", "Germany, Gondor",
		"escrow", "maybe",
		"quantity", "lots",
	), prov, rates)
	if len(l.Title) > event.MaxTitle || !utf8.ValidString(l.Title) || len(l.Title) != event.MaxTitle {
		t.Errorf("title cut to %d bytes, valid %v", len(l.Title), utf8.ValidString(l.Title))
	}
	if l.Description != "ok \uFFFD" {
		t.Errorf("description = %q", l.Description)
	}
	if l.Price.Raw != "call me" || l.Price.Currency != "" || l.PriceUSD != 0 {
		t.Errorf("price = %+v, usd %v", l.Price, l.PriceUSD)
	}
	if l.ShipsFrom != "" || l.ShipsFromRaw != "Mordor" || !reflect.DeepEqual(l.ShipsTo, []string{"DE"}) || l.ShipsToRaw != "Germany, Gondor" {
		t.Errorf("shipping = %q %q %v %q", l.ShipsFrom, l.ShipsFromRaw, l.ShipsTo, l.ShipsToRaw)
	}
	wantFlags := []string{"title:truncated", "category", "price", "quantity", "ships_from", "ships_to", "escrow"}
	if !reflect.DeepEqual(l.Flags, wantFlags) {
		t.Errorf("flags = %v, want %v", l.Flags, wantFlags)
	}
	if err := l.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
}

func TestListingPriceUSD(t *testing.T) {
	tests := []struct {
		name  string
		rec   pipeline.Record
		usd   float64
		flags []string
	}{
		{"converted", rec("listing", "listing_id", "1", "price", "0.0012 BTC"), 78, nil},
		{"usd", rec("listing", "listing_id", "1", "price", "$12"), 12, nil},
		{"no rate", rec("listing", "listing_id", "1", "price", "1 XMR"), 0, []string{"price_usd"}},
		{"field float", rec("listing", "listing_id", "1", "price", "1 XMR", "price_usd:float", "150.5"), 150.5, nil},
		{"field money", rec("listing", "listing_id", "1", "price_usd:money", "USD 150"), 150, nil},
		{"field money not usd", rec("listing", "listing_id", "1", "price_usd:money", "EUR 150"), 0, []string{"price_usd"}},
		{"no price", rec("listing", "listing_id", "1"), 0, nil},
		{"no id", rec("listing"), 0, []string{"listing_id"}},
		{"domestic", rec("listing", "listing_id", "1", "ships_from", "NL", "ships_to", "Domestic, BE"), 0, nil},
		{"ships_to country parser", rec("listing", "listing_id", "1", "ships_to:country", "Belgium"), 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := Listing(tt.rec, prov, rates)
			if l.PriceUSD != tt.usd || !reflect.DeepEqual(l.Flags, tt.flags) {
				t.Errorf("price_usd %v flags %v; want %v %v", l.PriceUSD, l.Flags, tt.usd, tt.flags)
			}
			switch tt.name {
			case "domestic":
				if !reflect.DeepEqual(l.ShipsTo, []string{"BE", "NL"}) {
					t.Errorf("ships_to = %v", l.ShipsTo)
				}
			case "ships_to country parser":
				if !reflect.DeepEqual(l.ShipsTo, []string{"BE"}) {
					t.Errorf("ships_to = %v", l.ShipsTo)
				}
			}
		})
	}
}

func TestVendor(t *testing.T) {
	v := Vendor(rec("vendor",
		"handle", " snowman ",
		"pgp_fingerprint", "ABCD 1234 ABCD 1234 ABCD 1234 ABCD 1234 ABCD 1234, 0000 1111 2222 3333 4444 5555 6666 7777 8888 9999",
		"rating", "4.87★",
		"sales", "(1,234 sales)",
		"joined", "Mar 2024",
		"ships_from", "Deutschland",
		"contacts", "snowman@dnmx.example, session: 05abc, snowman@dnmx.example",
	), prov)
	want := event.Vendor{
		Schema:          event.SchemaVendor,
		Provenance:      prov,
		Handle:          "snowman",
		ProfileURL:      prov.URL,
		PGPFingerprints: []string{"ABCD1234ABCD1234ABCD1234ABCD1234ABCD1234", "0000111122223333444455556666777788889999"},
		Rating:          4.87,
		Sales:           1234,
		Joined:          "2024-03-01",
		JoinedAt:        time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC),
		ShipsFrom:       "DE",
		ShipsFromRaw:    "Deutschland",
		Contacts:        []string{"snowman@dnmx.example", "session: 05abc"},
		TypedContacts:   []event.Contact{{Kind: "email", Value: "snowman@dnmx.example"}},
	}
	want.EventID = v.EventID
	if !reflect.DeepEqual(v, want) {
		t.Errorf("Vendor =\n%+v\nwant\n%+v", v, want)
	}
	if err := v.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}

	bad := Vendor(rec("vendor", "handle", "x", "profile_url", "http://h/v/x", "pgp_fingerprint", "nope", "rating:float", "7",
		"sales", "lots", "joined", "long ago", "ships_from", "Mordor"), prov)
	wantFlags := []string{"pgp_fingerprint", "rating", "sales", "joined", "ships_from"}
	if !reflect.DeepEqual(bad.Flags, wantFlags) || bad.ProfileURL != "http://h/v/x" || bad.Rating != 0 {
		t.Errorf("flags = %v, want %v; profile %q", bad.Flags, wantFlags, bad.ProfileURL)
	}
}

func TestListingNormalized(t *testing.T) {
	ltc := "LTuoeY6RBHV3n3cfhXVVTbJbxzxnXs9ofm"
	tests := []struct {
		name     string
		rec      pipeline.Record
		qty      float64
		unit     string
		price    event.Money
		usd      float64
		category string
		crypto   []event.CryptoAddress
		flags    []string
	}{
		{name: "quantity from title", rec: rec("listing", "listing_id", "1", "title", "250 GRAM Amnesia Haze", "price", "$1,200"),
			qty: 250, unit: UnitGram, price: event.Money{Amount: 1200, Currency: "USD", Raw: "$1,200"}, usd: 1200, category: CategoryCannabis},
		{name: "count times dose", rec: rec("listing", "listing_id", "1", "title", "20 x 2mg Xanax bars", "category", "Benzos"),
			qty: 20, unit: UnitCount, category: CategorySedative},
		{name: "quantity and unit fields", rec: rec("listing", "listing_id", "1", "title", "Speed", "quantity:float", "1.5", "unit", "kg"),
			qty: 1500, unit: UnitGram, category: CategoryATS},
		{name: "quantity parser", rec: rec("listing", "listing_id", "1", "title", "LSD", "quantity:quantity", "10 blotters"),
			qty: 10, unit: UnitCount, category: CategoryPsychedelic},
		{name: "unknown unit", rec: rec("listing", "listing_id", "1", "title", "MDMA", "quantity", "3", "unit", "bags"),
			qty: 3, unit: "bags", category: CategoryATS, flags: []string{"unit"}},
		{name: "per gram with quantity", rec: rec("listing", "listing_id", "1", "title", "3.5g Cocaine", "price", "30 EUR/g"),
			qty: 3.5, unit: UnitGram, price: event.Money{Amount: 105, Currency: "EUR", Raw: "30 EUR/g"}, usd: 115.5, category: CategoryCocaine,
			flags: []string{"price:per_unit"}},
		{name: "per gram alone", rec: rec("listing", "listing_id", "1", "title", "Cocaine", "price", "30 EUR/g"),
			qty: 1, unit: UnitGram, price: event.Money{Amount: 30, Currency: "EUR", Raw: "30 EUR/g"}, usd: 33, category: CategoryCocaine,
			flags: []string{"price:per_unit"}},
		{name: "page rate", rec: rec("listing", "listing_id", "1", "title", "Heroin 1g", "price", "0.3105 XMR", "rate", "1 XMR = $150.00"),
			qty: 1, unit: UnitGram, price: event.Money{Amount: 0.3105, Currency: "XMR", Raw: "0.3105 XMR"}, usd: 46.575, category: CategoryOpioid},
		{name: "no rate", rec: rec("listing", "listing_id", "1", "title", "Heroin 1g", "price", "0.2211 LTC"),
			qty: 1, unit: UnitGram, price: event.Money{Amount: 0.2211, Currency: "LTC", Raw: "0.2211 LTC"}, category: CategoryOpioid,
			flags: []string{"price_usd"}},
		{name: "bad rate", rec: rec("listing", "listing_id", "1", "title", "Heroin 1g", "price", "0.2211 LTC", "rate", "rates vary"),
			qty: 1, unit: UnitGram, price: event.Money{Amount: 0.2211, Currency: "LTC", Raw: "0.2211 LTC"}, category: CategoryOpioid,
			flags: []string{"rate", "price_usd"}},
		{name: "no currency, site default", rec: rec("listing", "listing_id", "1", "title", "x", "price", "1.234,56", "currency", "€"),
			price: event.Money{Amount: 1234.56, Currency: "EUR", Raw: "1.234,56"}, usd: 1358.016, flags: []string{"category"}},
		{name: "no currency", rec: rec("listing", "listing_id", "1", "title", "x", "price", "1,234.56"),
			price: event.Money{Raw: "1,234.56"}, flags: []string{"category", "price"}},
		{name: "crypto in description", rec: rec("listing", "listing_id", "1", "title", "Weed", "description", "Pay direct: "+ltc+" or 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb"),
			category: CategoryCannabis, crypto: []event.CryptoAddress{{Chain: ChainLitecoin, Address: ltc}}},
		{name: "crypto field", rec: rec("listing", "listing_id", "1", "title", "Weed", "btc:crypto", "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb"),
			category: CategoryCannabis, flags: []string{"btc"}},
		{name: "unmapped category", rec: rec("listing", "listing_id", "1", "title", "Mystery box", "category", "Other"),
			flags: []string{"category"}},
		{name: "worldwide except", rec: rec("listing", "listing_id", "1", "title", "Weed", "ships_to", "Worldwide except USA"),
			category: CategoryCannabis, flags: []string{"ships_to:worldwide", "ships_to:except"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := Listing(tt.rec, prov, rates)
			if l.Quantity != tt.qty || l.Unit != tt.unit || l.Price != tt.price || math.Abs(l.PriceUSD-tt.usd) > 1e-9 ||
				l.Category != tt.category || !reflect.DeepEqual(l.Crypto, tt.crypto) || !reflect.DeepEqual(l.Flags, tt.flags) {
				t.Errorf("got qty %v %q price %+v usd %v category %q crypto %v flags %v\nwant qty %v %q price %+v usd %v category %q crypto %v flags %v",
					l.Quantity, l.Unit, l.Price, l.PriceUSD, l.Category, l.Crypto, l.Flags,
					tt.qty, tt.unit, tt.price, tt.usd, tt.category, tt.crypto, tt.flags)
			}
			if err := l.Validate(); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestVendorKeysAndContacts(t *testing.T) {
	ed := readKey(t, "pgp_ed25519.asc")
	xmr := "49Xgwx3RfyV3ZMEVyrUNuUMzgQ1WHjkWL5T6Xk7QaTszggbtPbRPEkZQau9yACYEmUCHPNrU2MBdnJf4s4xLK5AyLDP5ucd"
	v := Vendor(rec("vendor",
		"handle", "snowman",
		"pgp", "My key:\n"+strings.Join(strings.Fields(ed), " "),
		"pgp_fingerprint", "607E 7810 DC73 BB92 FDC5 BFA6 3ECF 55EB D6CF 2AFA",
		"contacts", "Wickr: Snowman_UK, snowman@dnmx.example",
		"description", "Tips in XMR "+xmr+". Backup: Telegram @snowman_backup",
	), prov)
	if want := []string{rsaKey.Fingerprint, edKey.Fingerprint}; !reflect.DeepEqual(v.PGPFingerprints, want) {
		t.Errorf("fingerprints = %v, want %v", v.PGPFingerprints, want)
	}
	if want := []string{"wickr:snowman_uk", "snowman@dnmx.example", "telegram:snowman_backup"}; !reflect.DeepEqual(v.Contacts, want) {
		t.Errorf("contacts = %v, want %v", v.Contacts, want)
	}
	if want := []event.CryptoAddress{{Chain: ChainMonero, Address: xmr}}; !reflect.DeepEqual(v.Crypto, want) {
		t.Errorf("crypto = %v, want %v", v.Crypto, want)
	}
	if len(v.Flags) != 0 {
		t.Errorf("flags = %v", v.Flags)
	}
	bad := Vendor(rec("vendor", "handle", "x", "pgp", pgpBegin+"\n\nbroken\n"+pgpEnd), prov)
	if !reflect.DeepEqual(bad.Flags, []string{"pgp"}) || bad.PGPFingerprints != nil {
		t.Errorf("bad key: flags %v fingerprints %v", bad.Flags, bad.PGPFingerprints)
	}
}

// TestExtractAndNormalize runs the nebula test pages of the pipeline
// package through extraction and normalization.
func TestExtractAndNormalize(t *testing.T) {
	s, err := pipeline.Load("../pipeline/testdata/nebula.good.yaml")
	if err != nil {
		t.Fatal(err)
	}
	body, err := os.ReadFile("../pipeline/testdata/nebula.listing.html")
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.Extract("listing", prov.URL, body)
	if err != nil || len(res.Records) != 1 {
		t.Fatalf("Extract: %v, %+v", err, res)
	}
	l := Listing(res.Records[0], prov, rates)
	if l.ListingID != "abc123" || l.Price.Amount != 120 || l.PriceUSD != 120 || l.ShipsFrom != "DE" ||
		!reflect.DeepEqual(l.ShipsTo, []string{"DE", "AT", "CH"}) || !reflect.DeepEqual(l.PaymentMethods, []string{"BTC", "XMR"}) ||
		l.CategoryRaw != "Drugs > Stimulants > Cocaine" || l.Vendor != "snowman" || len(l.Flags) != 0 {
		t.Errorf("listing = %+v", l)
	}
	if err := l.Validate(); err != nil {
		t.Error(err)
	}

	body, err = os.ReadFile("../pipeline/testdata/nebula.vendor.html")
	if err != nil {
		t.Fatal(err)
	}
	res, err = s.Extract("vendor", prov.URL, body)
	if err != nil || len(res.Records) != 1 {
		t.Fatalf("Extract: %v, %+v", err, res)
	}
	v := Vendor(res.Records[0], prov)
	if v.Handle != "snowman" || v.Sales != 1234 || v.Rating != 4.87 || v.Joined != "2024-03-01" || v.ShipsFrom != "DE" ||
		len(v.PGPFingerprints) != 1 || len(v.Flags) != 0 {
		t.Errorf("vendor = %+v", v)
	}
}
