package normalize

import (
	"slices"
	"testing"
	"time"

	"github.com/counternet/counternet/internal/event"
	"github.com/counternet/counternet/internal/pipeline"
)

// TestListingUSDBasis: a USD price comes from the page when it shows one,
// else from the rate the page states, else from an operator rate of the
// capture date; a page captured on another day than the operator's rates
// is not converted (a 2018 grid priced in BTC at 2026 rates was 12x too
// high) and says so.
func TestListingUSDBasis(t *testing.T) {
	day := prov.ObservedAt
	fresh := Rates{AsOf: day.Truncate(24 * time.Hour), USDPer: map[string]float64{"BTC": 65000, "EUR": 1.1}}
	old := prov
	old.ObservedAt = time.Date(2018, 2, 1, 9, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name   string
		prov   event.Provenance
		rates  Rates
		kv     []string
		usd    float64
		basis  string
		rate   float64
		flag   string
		prices int
	}{
		{"usd price", prov, fresh, []string{"price", "$12.40"}, 12.4, event.BasisPagePrice, 1, "", 1},
		{"usd beside btc", prov, fresh, []string{"price", "0.001 BTC", "price_usd", "USD 9.50"}, 9.5, event.BasisPagePrice, 9500, "", 2},
		{"page rate", old, fresh, []string{"price", "0.01 BTC", "rate", "1 BTC = 9,000 USD"}, 90, event.BasisPageRate, 9000, "", 1},
		{"capture rate", prov, fresh, []string{"price", "0.01 BTC"}, 650, event.BasisCaptureRate, 65000, "", 1},
		{"old page", old, fresh, []string{"price", "0.01 BTC"}, 0, event.BasisNone, 0, "price_usd:rate_not_of_capture_date", 1},
		{"no rates", prov, Rates{}, []string{"price", "0.01 BTC"}, 0, event.BasisNone, 0, "price_usd", 1},
		{"rates without a date", prov, Rates{USDPer: fresh.USDPer}, []string{"price", "0.01 BTC"}, 0, event.BasisNone, 0, "price_usd", 1},
		{"eur beside btc", prov, Rates{AsOf: day, USDPer: map[string]float64{"EUR": 1.1}},
			[]string{"price", "0.001 BTC", "price_eur", "€ 60,00"}, 66, event.BasisCaptureRate, 66000, "", 2},
		{"page rate of another currency", old, fresh, []string{"price", "10 EUR", "rate", "1 BTC = 9,000 USD"}, 0, event.BasisNone, 0, "price_usd", 1},
	} {
		kv := append([]string{"listing_id", "1"}, tc.kv...)
		l := Listing(rec("listing", kv...), tc.prov, tc.rates)
		if l.PriceUSD != tc.usd || l.PriceUSDBasis != tc.basis || l.PriceUSDRate != tc.rate || len(l.Prices) != tc.prices {
			t.Errorf("%s: usd %v basis %q rate %v prices %v; want %v %q %v and %d prices (flags %v)",
				tc.name, l.PriceUSD, l.PriceUSDBasis, l.PriceUSDRate, l.Prices, tc.usd, tc.basis, tc.rate, tc.prices, l.Flags)
		}
		if tc.flag != "" && !slices.Contains(l.Flags, tc.flag) {
			t.Errorf("%s: flags %v, want %q", tc.name, l.Flags, tc.flag)
		}
		if err := l.Validate(); err != nil {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}

func TestListingPagesFields(t *testing.T) {
	l := Listing(rec("listing",
		"listing_id", "9",
		"description", "  Line  one \n\n\n  Line two  \r\n third ",
		"price", "50.00 EUR", "price_max", "390 EUR", "price_btc", "0.0021", "price_xmr", "0.31 XMR",
		"listed_at", "2019-04-02 18:48:33",
		"stock", "0", "views", "1,204 views", "sold", "87 sold",
		"product_class", "Digital / Service", "finalize_early", "FE Required", "escrow", "No Escrow",
		"shipping_options", "Standard - 5 days - USD +5.00\n\n Express 24h (+0.002 BTC) ",
		"vendor_rating", "98%", "vendor_sales", "3,700", "vendor_level", "Level 6",
	), prov, Rates{})
	if l.Description != "Line one\n\nLine two\nthird" {
		t.Errorf("description %q", l.Description)
	}
	if l.PriceMax != 390 || len(l.Prices) != 3 || l.Prices[1] != (event.Money{Amount: 0.0021, Currency: "BTC", Raw: "0.0021"}) {
		t.Errorf("price_max %v prices %+v", l.PriceMax, l.Prices)
	}
	if !l.ListedAt.Equal(time.Date(2019, 4, 2, 18, 48, 33, 0, time.UTC)) || l.ListedRaw != "2019-04-02 18:48:33" {
		t.Errorf("listed_at %v %q", l.ListedAt, l.ListedRaw)
	}
	if l.Stock == nil || *l.Stock != 0 || *l.Views != 1204 || *l.Sold != 87 {
		t.Errorf("stock %v views %v sold %v", l.Stock, l.Views, l.Sold)
	}
	if l.ProductClass != event.ClassDigital || l.ProductClassRaw != "Digital / Service" {
		t.Errorf("product class %q %q", l.ProductClass, l.ProductClassRaw)
	}
	if l.FinalizeEarly == nil || !*l.FinalizeEarly || l.Escrow || !l.EscrowKnown {
		t.Errorf("fe %v escrow %v known %v", l.FinalizeEarly, l.Escrow, l.EscrowKnown)
	}
	if len(l.ShippingOptions) != 2 || l.ShippingOptions[1].Raw != "Express 24h (+0.002 BTC)" {
		t.Errorf("shipping options %+v", l.ShippingOptions)
	}
	if l.VendorRating != nil || l.VendorFeedbackPercent == nil || *l.VendorFeedbackPercent != 98 || slices.Contains(l.Flags, "vendor_rating:percent") ||
		*l.VendorSales != 3700 || l.VendorLevel != "Level 6" {
		t.Errorf("vendor stats %v %v %q flags %v", l.VendorRating, l.VendorSales, l.VendorLevel, l.Flags)
	}
	if err := l.Validate(); err != nil {
		t.Error(err)
	}
	for raw, want := range map[string]bool{"FE Listing": true, "100% FE": true, "No FE": false, "FE: not allowed": false,
		"Escrow": false, "yes": true, "Finalize Early": true} {
		l := Listing(rec("listing", "listing_id", "1", "finalize_early", raw), prov, Rates{})
		if l.FinalizeEarly == nil || *l.FinalizeEarly != want {
			t.Errorf("finalize_early %q = %v, want %v", raw, l.FinalizeEarly, want)
		}
	}
	if l := Listing(rec("listing", "listing_id", "1", "finalize_early", "maybe"), prov, Rates{}); l.FinalizeEarly != nil ||
		!slices.Contains(l.Flags, "finalize_early") {
		t.Errorf("unreadable FE: %v %v", l.FinalizeEarly, l.Flags)
	}
}

func TestVendorNewFields(t *testing.T) {
	r := rec("vendor", "handle", "snowman", "rating", "98.5%", "level", "Level 5", "trust_level", "Trusted",
		"verified", "✓", "disputes_won", "12", "disputes_lost", "0", "title", "Top Seller",
		"joined", "2019-04-02 18:48:33", "last_seen", "2019-05-01 10:00", "ships_to", "Germany",
		"attributes.batch:int", "#12", "attributes.lab:country", "Atlantis")
	r.Partial = true
	v := Vendor(r, prov)
	if v.ProfileURL != "" {
		t.Errorf("a partial vendor took the page URL %q as its profile", v.ProfileURL)
	}
	if v.Rating != 0 || v.FeedbackPercent == nil || *v.FeedbackPercent != 98.5 || slices.Contains(v.Flags, "rating:percent") {
		t.Errorf("rating %v feedback %v flags %v", v.Rating, v.FeedbackPercent, v.Flags)
	}
	if v.Level != "Level 5" || *v.LevelNum != 5 || v.TrustLevel != "Trusted" || v.TrustLevelNum != nil {
		t.Errorf("levels %q %v %q %v", v.Level, v.LevelNum, v.TrustLevel, v.TrustLevelNum)
	}
	if !*v.Verified || *v.DisputesWon != 12 || *v.DisputesLost != 0 || v.Title != "Top Seller" {
		t.Errorf("verified %v disputes %v/%v title %q", v.Verified, v.DisputesWon, v.DisputesLost, v.Title)
	}
	if v.Joined != "2019-04-02" || !v.JoinedAt.Equal(time.Date(2019, 4, 2, 18, 48, 33, 0, time.UTC)) ||
		!v.LastSeen.Equal(time.Date(2019, 5, 1, 10, 0, 0, 0, time.UTC)) {
		t.Errorf("joined %q %v last seen %v", v.Joined, v.JoinedAt, v.LastSeen)
	}
	if !slices.Equal(v.ShipsTo, []string{"DE"}) {
		t.Errorf("ships_to %v", v.ShipsTo)
	}
	want := []event.Attr{{Key: "batch", Type: "int", Value: "12"}, {Key: "lab", Type: "text", Value: "Atlantis"}}
	if !slices.Equal(v.Attributes, want) || !slices.Contains(v.Flags, "attributes.lab") {
		t.Errorf("attributes %+v flags %v", v.Attributes, v.Flags)
	}
	if err := v.Validate(); err != nil {
		t.Error(err)
	}
}

// TestDatesInTheSiteLocale: dates keep their time and zone (an ISO time
// at +03:00 lands on the right UTC day) and follow the site's day/month
// order.
func TestDatesInTheSiteLocale(t *testing.T) {
	r := rec("thread", "thread_id", "t1", "started_at", "2019-04-02T01:30:00+03:00", "last_post", "03/04/2019 10:00",
		"replies", "14", "pages", "2", "sticky", "no", "subforum", "Market > Reviews")
	r.Locale = pipeline.Locale{DateOrder: "MDY", TimeZone: "UTC"}
	th := Thread(r, prov)
	if !th.StartedAt.Equal(time.Date(2019, 4, 1, 22, 30, 0, 0, time.UTC)) || th.StartedRaw != "2019-04-02T01:30:00+03:00" {
		t.Errorf("started_at %v %q", th.StartedAt, th.StartedRaw)
	}
	if !th.LastPostAt.Equal(time.Date(2019, 3, 4, 10, 0, 0, 0, time.UTC)) {
		t.Errorf("last_post %v (MDY)", th.LastPostAt)
	}
	if th.Board != "Market > Reviews" || *th.Replies != 14 || *th.Pages != 2 || th.Views != nil || *th.Sticky || th.Locked != nil {
		t.Errorf("thread %+v", th)
	}
	if err := th.Validate(); err != nil || th.Schema != event.SchemaThread || th.Forum != prov.Source {
		t.Errorf("thread %+v: %v", th, err)
	}
}

// TestListingPlacesAndRanges: a range's upper end, origins that are
// regions, the full destination list of "worldwide except", domestic
// shipping, parsed shipping options.
func TestListingPlacesAndRanges(t *testing.T) {
	l := Listing(rec("listing", "listing_id", "1", "price", "50.00 - 39000.00 EUR", "ships_from", "European Union",
		"ships_to", "Worldwide except AU, SE", "shipping_options", "Standard - 5 days - USD +5.00\nExpress 24h (+0.002 BTC)"), prov, Rates{})
	if l.Price.Amount != 50 || l.Price.Currency != "EUR" || l.PriceMax != 39000 {
		t.Errorf("range: price %+v max %v", l.Price, l.PriceMax)
	}
	if l.ShipsFrom != "" || l.ShipsFromRegion != "EU" || slices.Contains(l.Flags, "ships_from") {
		t.Errorf("origin %q region %q flags %v", l.ShipsFrom, l.ShipsFromRegion, l.Flags)
	}
	if slices.Contains(l.ShipsTo, "AU") || slices.Contains(l.ShipsTo, "SE") || !slices.Contains(l.ShipsTo, "DE") ||
		len(l.ShipsTo) < 240 || len(l.ShipsToBasis) != len(l.ShipsTo) || l.ShipsToBasis[0] != event.DestWorldwide ||
		!slices.Equal(l.ShipsToExcluded, []string{"AU", "SE"}) {
		t.Errorf("worldwide except: %d destinations, excluded %v, basis %v", len(l.ShipsTo), l.ShipsToExcluded, l.ShipsToBasis[:1])
	}
	o := l.ShippingOptions
	if len(o) != 2 || o[0].Method != "Standard" || o[0].Cost.Amount != 5 || o[0].Cost.Currency != "USD" || o[0].Duration != "5 days" ||
		o[1].Cost.Currency != "BTC" || o[1].Cost.Amount != 0.002 {
		t.Errorf("shipping options %+v", o)
	}
	if err := l.Validate(); err != nil {
		t.Error(err)
	}
	d := Listing(rec("listing", "listing_id", "1", "ships_from", "Netherlands", "ships_to", "Domestic Shipping Only"), prov, Rates{})
	if !slices.Equal(d.ShipsTo, []string{"NL"}) || !slices.Equal(d.ShipsToBasis, []string{event.DestExplicit}) || len(d.Flags) != 0 {
		t.Errorf("domestic: %v %v flags %v", d.ShipsTo, d.ShipsToBasis, d.Flags)
	}
	for _, raw := range []string{"Digital", "Worldwide", "Unknown"} {
		l := Listing(rec("listing", "listing_id", "1", "ships_from", raw), prov, Rates{})
		if l.ShipsFromRegion == "" || slices.Contains(l.Flags, "ships_from") {
			t.Errorf("ships_from %q: region %q flags %v", raw, l.ShipsFromRegion, l.Flags)
		}
	}
}

func TestPostAuthorAndContacts(t *testing.T) {
	p := Post(rec("post", "post_id", "p1", "subforum", "Market > Drugs > Opioids", "author_title", "Senior Member",
		"author_posts", "1,024 posts", "author_joined", "21 ноября 2017", "post_number", "#7",
		"body", "Hit me up.\nTelegram: @snow_man99", "signature", "jabber: snow@jabber.example\nstay safe",
		"contacts", "Wickr: snowman1"), prov, nil)
	if p.Board != "Market > Drugs > Opioids" || p.Forum != prov.Source || p.AuthorTitle != "Senior Member" ||
		*p.AuthorPosts != 1024 || p.PostNumber != 7 || p.Body != "Hit me up.\nTelegram: @snow_man99" {
		t.Errorf("post %+v", p)
	}
	if !p.AuthorJoined.Equal(time.Date(2017, 11, 21, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("author_joined %v flags %v", p.AuthorJoined, p.Flags)
	}
	want := []event.Contact{{Kind: "wickr", Value: "snowman1"}, {Kind: "telegram", Value: "snow_man99"}, {Kind: "jabber", Value: "snow@jabber.example"}}
	if !slices.Equal(p.Contacts, want) {
		t.Errorf("contacts %+v, want %+v", p.Contacts, want)
	}
	if err := p.Validate(); err != nil {
		t.Error(err)
	}
}

func TestVendorHistory(t *testing.T) {
	v := Vendor(rec("vendor", "handle", "h", "history", "Dream 3700 deals, 4.82/5; Agora 1200 sales"), prov)
	if len(v.History) != 2 || v.History[0].Market != "Dream" || v.History[0].Sales != 3700 || v.History[0].Rating != 4.82 ||
		v.History[0].RatingMax != 5 || v.History[1].Sales != 1200 || v.HistoryRaw == "" {
		t.Errorf("history %+v", v.History)
	}
}

func TestBadges(t *testing.T) {
	for raw, want := range map[string]bool{"Verified": true, "Verified Vendor ✓": true, "Unverified": false, "Not verified": false, "yes": true, "no": false} {
		v := Vendor(rec("vendor", "handle", "h", "verified", raw), prov)
		if v.Verified == nil || *v.Verified != want {
			t.Errorf("verified %q = %v, want %v", raw, v.Verified, want)
		}
	}
	th := Thread(rec("thread", "thread_id", "1", "sticky", "Pinned", "locked", "Closed"), prov)
	if th.Sticky == nil || !*th.Sticky || th.Locked == nil || !*th.Locked {
		t.Errorf("sticky %v locked %v", th.Sticky, th.Locked)
	}
}
