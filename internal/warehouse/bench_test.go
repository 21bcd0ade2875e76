package warehouse_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/counternet/counternet/internal/event"
	"github.com/counternet/counternet/internal/testenv"
	"github.com/counternet/counternet/internal/warehouse"
)

// BenchmarkInsertListings inserts batches of 50,000 realistic listings and
// reports rows per second.
func BenchmarkInsertListings(b *testing.B) {
	const batchSize = 50_000
	db := testenv.ClickHouse(b)
	ls := make([]event.Listing, batchSize)
	for i := range ls {
		l := listing("alpha", strconv.Itoa(i), "vendor"+strconv.Itoa(i%500), week1.Add(time.Duration(i)*time.Second), float64(i%300), "NL", "DE", "FR", "BE")
		l.Description = "Pure product, stealth shipping, tracked. Reship policy: one time. "
		l.PaymentMethods = []string{"btc", "xmr"}
		l.Crypto = []event.CryptoAddress{{Chain: "btc", Address: "bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh"}}
		ls[i] = l
	}
	batch := &warehouse.Batch{Listings: ls}
	ctx := context.Background()
	for b.Loop() {
		if err := db.Insert(ctx, batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*batchSize)/b.Elapsed().Seconds(), "rows/s")
}
