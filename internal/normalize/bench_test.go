package normalize

import (
	"strings"
	"testing"
	"time"

	"github.com/counternet/counternet/internal/event"
	"github.com/counternet/counternet/internal/pipeline"
)

// benchText is a 4 KB vendor page text of the kind CryptoAddresses scans:
// prose, prices, a few addresses (some with typos), hashes and hex that
// must not be taken for addresses.
var benchText = func() string {
	para := `Welcome to SnowmanUK's shop! Shipping from the UK, worldwide except USA/AU. Prices: 1g £80, 3.5g £250,
7g £460 (0.0061 BTC / 0.3105 XMR). Pay only through escrow; FE for 50+ sales buyers. Tips: XMR
49Xgwx3RfyV3ZMEVyrUNuUMzgQ1WHjkWL5T6Xk7QaTszggbtPbRPEkZQau9yACYEmUCHPNrU2MBdnJf4s4xLK5AyLDP5ucd or BTC
bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4; old 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb is dead (typo!). Order id
9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08, tx 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed.
Contact: Wickr snowman_uk, Session 05ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12.
`
	var b strings.Builder
	for b.Len() < 4<<10 {
		b.WriteString(para)
	}
	return cut(b.String(), 4<<10)
}()

// baselineFields is the reference both benchmarks are measured against in
// the same run: splitting the same text into words, the least any text
// scanner does.
func baselineFields(s string) int { return len(strings.Fields(s)) }

// reportRatio times n calls of baseline in the same run and reports the
// benchmark's ns/op as a multiple of it ("x-baseline").
func reportRatio(b *testing.B, perOp time.Duration, baseline func()) {
	b.Helper()
	const n = 2000
	start := time.Now()
	for i := 0; i < n; i++ {
		baseline()
	}
	base := time.Since(start) / n
	if base > 0 {
		b.ReportMetric(float64(perOp)/float64(base), "x-baseline")
	}
}

func BenchmarkCryptoAddresses(b *testing.B) {
	if n := len(CryptoAddresses(benchText)); n != 3 {
		b.Fatalf("found %d addresses, want 3", n)
	}
	b.SetBytes(int64(len(benchText)))
	b.ReportAllocs()
	start := time.Now()
	for b.Loop() {
		CryptoAddresses(benchText)
	}
	b.StopTimer()
	reportRatio(b, time.Since(start)/time.Duration(b.N), func() { baselineFields(benchText) })
}

func BenchmarkMoney(b *testing.B) {
	prices := []string{"$41.20", "USD 12.40", "EUR 95.00", "฿0.00081", "0.2211 LTC", "0.3105 XMR", "1,234.56 USD",
		"1.234,56 €", "€ 30", "30 EUR/g"}
	b.ReportAllocs()
	start := time.Now()
	for b.Loop() {
		for _, p := range prices {
			if _, err := Money(p); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.StopTimer()
	reportRatio(b, time.Since(start)/time.Duration(b.N), func() {
		for _, p := range prices {
			baselineFields(p)
		}
	})
}

func BenchmarkQuantity(b *testing.B) {
	titles := []string{"250 GRAM Amnesia Haze", "20 x 2mg Xanax bars", "1/8 oz OG Kush", "10x Oxycodone 30mg (M30)", "Cocaine 97% pure 5g"}
	b.ReportAllocs()
	for b.Loop() {
		for _, s := range titles {
			Quantity(s)
		}
	}
}

// BenchmarkListingRecord normalizes a typical full listing record.
//
//	go test ./internal/normalize/ -run '^$' -bench ListingRecord
func BenchmarkListingRecord(b *testing.B) {
	r := pipeline.Record{Type: pipeline.RecordListing, Fields: map[string]pipeline.Field{
		"listing_id": {Raw: "abc123"}, "title": {Raw: "Cocaine 97% pure 5g"}, "category": {Raw: "Drugs > Stimulants"},
		"vendor": {Raw: "snowman"}, "price": {Raw: "€ 45,00"}, "ships_from": {Raw: "Germany"},
		"ships_to": {Raw: "Worldwide except AU, SE"}, "payment_methods": {Raw: "Bitcoin, XMR"}, "escrow": {Raw: "yes"},
		"description": {Raw: strings.Repeat("Top quality, fast shipping.\n", 40)},
	}}
	prov := event.Provenance{Source: "nebula", URL: "http://x.onion/p/1", ObservedAt: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	rates := Rates{AsOf: prov.ObservedAt, USDPer: map[string]float64{"EUR": 1.1}}
	b.ReportAllocs()
	for b.Loop() {
		Listing(r, prov, rates)
	}
}
