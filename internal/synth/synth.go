// Package synth writes realistic synthetic observations straight into the
// warehouse — listings and vendors drawn from the fixture markets' catalog,
// cloned and spread over weeks — for benchmarks and for analysts trying
// queries (`counternet gen`). Nothing it writes came from a real site.
package synth

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/counternet/counternet/internal/event"
	"github.com/counternet/counternet/internal/fixture"
	"github.com/counternet/counternet/internal/normalize"
	"github.com/counternet/counternet/internal/warehouse"
)

// Options shape a synthetic dataset.
type Options struct {
	Listings  int       // listing observations to write
	Seed      int64     // seed of the fixture world and of the price noise
	Start     time.Time // first observation week (default: 52 weeks before now)
	Weeks     int       // weeks the observations spread over (default 52)
	BatchSize int       // rows per insert (default 50,000)
}

// Stats is what Write wrote.
type Stats struct {
	Listings, Vendors, Batches int
}

// eurUSD converts fixture EUR prices (a fixed rate is enough for synthetic data).
const eurUSD = 1.08

// worldwide is where a listing shipping "worldwide" is taken to ship.
var worldwide = []string{"US", "GB", "DE", "FR", "NL", "AU", "CA", "ES", "IT", "SE"}

// Write writes opts.Listings realistic listing observations, and the
// vendor observations that go with them, straight into the warehouse. The
// catalog is the fixture world of opts.Seed (its markets, vendors, products,
// prices and routes); each round re-observes every listing a week later
// with its price moved a little, and once the weeks are used up the catalog
// is cloned under new listing ids, so the dataset grows the way a crawl
// history does. Rows go in batches of opts.BatchSize through Insert.
func Write(ctx context.Context, db *warehouse.DB, opts Options, log zerolog.Logger) (Stats, error) {
	var st Stats
	if opts.Weeks <= 0 {
		opts.Weeks = 52
	}
	if opts.BatchSize <= 0 {
		opts.BatchSize = 50_000
	}
	if opts.Start.IsZero() {
		opts.Start = time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, -7*opts.Weeks)
	}
	w := fixture.Generate(opts.Seed)
	markets := slices.Concat(w.Markets, w.Extra)
	var catalog []fixture.Listing
	vendors := map[string]fixture.Vendor{}
	for _, m := range markets {
		catalog = append(catalog, m.Listings...)
		for _, v := range m.Vendors {
			vendors[m.Name+"\x00"+v.Handle] = v
		}
	}
	if len(catalog) == 0 {
		return st, fmt.Errorf("synthesizing: the fixture world of seed %d has no listings", opts.Seed)
	}
	rng := rand.New(rand.NewPCG(uint64(opts.Seed), 0x5eed))
	batch := &warehouse.Batch{}
	flush := func() error {
		if batch.Len() == 0 {
			return nil
		}
		if err := db.Insert(ctx, batch); err != nil {
			return fmt.Errorf("synthesizing: %w", err)
		}
		st.Batches++
		batch = &warehouse.Batch{Listings: batch.Listings[:0], Vendors: batch.Vendors[:0]}
		return nil
	}
	seenVendor := map[string]int{}
	for n := 0; n < opts.Listings; n++ {
		idx := n % len(catalog)
		round := n / len(catalog)
		week, clone := round%opts.Weeks, round/opts.Weeks
		fl := catalog[idx]
		at := opts.Start.AddDate(0, 0, 7*week).Add(time.Duration(rng.IntN(7*24*3600)) * time.Second)
		l := synthListing(fl, clone, at, rng)
		batch.Listings = append(batch.Listings, l)
		st.Listings++
		key := fl.Market + "\x00" + fl.Vendor
		if v, ok := vendors[key]; ok && seenVendor[key] <= round {
			seenVendor[key] = round + 1
			batch.Vendors = append(batch.Vendors, synthVendor(fl.Market, v, at))
			st.Vendors++
		}
		if batch.Len() >= opts.BatchSize {
			if err := flush(); err != nil {
				return st, err
			}
		}
	}
	if err := flush(); err != nil {
		return st, err
	}
	log.Info().Int("listings", st.Listings).Int("vendors", st.Vendors).Int("batches", st.Batches).Msg("synthetic observations written")
	return st, nil
}

func synthListing(fl fixture.Listing, clone int, at time.Time, rng *rand.Rand) event.Listing {
	id := fl.ID
	if clone > 0 {
		id += "-" + strconv.Itoa(clone)
	}
	price := fl.Price * (0.9 + 0.2*rng.Float64())
	usd := price
	if fl.Currency == "EUR" {
		usd = price * eurUSD
	}
	to := fl.ShipsTo
	if to == nil {
		to = slices.DeleteFunc(slices.Clone(worldwide), func(c string) bool { return slices.Contains(fl.ShipsToExcept, c) })
	}
	sum := fmt.Sprintf("%064x", uint64(at.UnixNano())^uint64(len(id))<<40)
	l := event.Listing{
		Provenance: event.Provenance{
			Source: fl.Market, Mirror: fixture.HostFor(fl.Market), URL: "http://" + fixture.HostFor(fl.Market) + "/listing/" + id,
			ObservedAt: at, CaptureSHA256: sum, Pipeline: fl.Market + "@synthetic", RunID: "synthetic-" + at.Format("2006-01-02"),
		},
		ListingID: id, Title: fl.Title, Description: fl.Description, CategoryRaw: fl.Category, Vendor: fl.Vendor,
		Price:    event.Money{Amount: price, Currency: fl.Currency, Raw: strconv.FormatFloat(price, 'f', 2, 64) + " " + fl.Currency},
		PriceUSD: usd, Quantity: fl.Quantity, Unit: fl.Unit, ShipsFrom: fl.ShipsFrom, ShipsFromRaw: fl.ShipsFrom,
		ShipsTo: to, ShipsToRaw: strings.Join(to, ", "), PaymentMethods: fl.PaymentMethods, Escrow: fl.Escrow,
	}
	// The taxonomy code the pipeline gives a listing, flagged as there
	// when nothing matches.
	if code, ok := normalize.CategoryOf(l.CategoryRaw, l.Title); ok {
		l.Category = code
	} else {
		l.Flags = append(l.Flags, "category")
	}
	l.Finalize()
	return l
}

func synthVendor(market string, v fixture.Vendor, at time.Time) event.Vendor {
	ve := event.Vendor{
		Provenance: event.Provenance{
			Source: market, Mirror: fixture.HostFor(market), URL: "http://" + fixture.HostFor(market) + "/vendor/" + v.Handle,
			ObservedAt: at, CaptureSHA256: fmt.Sprintf("%064x", uint64(at.UnixNano())+1), Pipeline: market + "@synthetic",
			RunID: "synthetic-" + at.Format("2006-01-02"),
		},
		Handle: v.Handle, Rating: v.Rating, Sales: int64(v.Sales), Joined: v.Joined, ShipsFrom: v.ShipsFrom,
	}
	if v.PGPFingerprint != "" {
		ve.PGPFingerprints = []string{v.PGPFingerprint}
	}
	ve.Finalize()
	return ve
}
