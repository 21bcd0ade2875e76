// Package synth writes realistic synthetic observations straight into the
// warehouse — listings and vendors drawn from the fixture markets' catalog,
// cloned and spread over weeks — for benchmarks and for analysts trying
// queries (`counternet gen`). Nothing it writes came from a real site, and
// nothing it writes can pass for intelligence: it writes into a database of
// its own (Database), which it marks with the table synthetic_dataset
// (exports refuse a database holding it), never into one holding collected
// observations, and every row names the pipeline "<market>@synthetic".
package synth

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/counternet/counternet/internal/config"
	"github.com/counternet/counternet/internal/event"
	"github.com/counternet/counternet/internal/fixture"
	"github.com/counternet/counternet/internal/normalize"
	"github.com/counternet/counternet/internal/pipeline"
	"github.com/counternet/counternet/internal/warehouse"
)

// MarkerTable is the table that marks a database as holding synthetic
// data: one row per Write. Exports refuse a database that holds it.
const MarkerTable = "synthetic_dataset"

// Suffix ends the name of the database synthetic data goes to.
const Suffix = "_synthetic"

// PipelineSuffix ends the pipeline of every synthetic row ("nebula@synthetic").
const PipelineSuffix = "@synthetic"

// ErrCollected reports a database that holds collected observations:
// synthetic rows are never mixed into one.
var ErrCollected = errors.New("database holds collected observations")

// Database is the database synthetic data for the warehouse database
// named real goes to: real + Suffix.
func Database(real string) string {
	if strings.HasSuffix(real, Suffix) {
		return real
	}
	return real + Suffix
}

// Options shape a synthetic dataset.
type Options struct {
	Listings  int       // listing observations to write
	Seed      int64     // seed of the fixture world and of the price noise
	Start     time.Time // first observation week (default: 52 weeks before now)
	Weeks     int       // weeks the observations spread over (default 52)
	BatchSize int       // rows per insert (default 50,000)
	// Rates convert prices to USD as a collection does (the config's fx
	// section, stack.Rates); zero: the default config's rates.
	Rates normalize.Rates
}

// Stats is what Write wrote.
type Stats struct {
	Listings, Vendors, Batches int
}

// Write writes opts.Listings realistic listing observations, and the
// vendor observations that go with them, straight into the warehouse. The
// catalog is the fixture world of opts.Seed (its markets, vendors, products,
// prices and routes); each round re-observes every listing a week later
// with its price moved a little, and once the weeks are used up the catalog
// is cloned under new listing ids, so the dataset grows the way a crawl
// history does. Each listing goes through the normalizer a collection
// uses (prices converted with opts.Rates, destinations parsed from the text
// the page shows). Rows go in batches of opts.BatchSize through Insert.
//
// db must be a migrated database holding no collected observations
// (ErrCollected); Write marks it with MarkerTable first.
func Write(ctx context.Context, db *warehouse.DB, opts Options, log zerolog.Logger) (Stats, error) {
	var st Stats
	if opts.Rates.USDPer == nil {
		cfg, err := config.Default()
		if err != nil {
			return st, fmt.Errorf("synthesizing: %w", err)
		}
		opts.Rates = normalize.Rates{AsOf: cfg.FX.AsOf.Time(), USDPer: cfg.FX.USDPer}
	}
	if opts.Weeks <= 0 {
		opts.Weeks = 52
	}
	if opts.BatchSize <= 0 {
		opts.BatchSize = 50_000
	}
	if opts.Start.IsZero() {
		opts.Start = time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, -7*opts.Weeks)
	}
	if opts.Rates.Window == 0 {
		// Synthetic prices are made from these rates over the whole span:
		// they are valid for every synthetic capture date, and converted
		// as a collected price with rates of its day would be.
		span := time.Duration(opts.Weeks) * 7 * 24 * time.Hour
		opts.Rates.AsOf = opts.Start.Add(span / 2)
		opts.Rates.Window = span/2 + 48*time.Hour
	}
	if err := mark(ctx, db, opts); err != nil {
		return st, err
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
		l := synthListing(fl, clone, at, rng, opts.Rates)
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

// synthListing is the record a product page of fl would give, observed at
// at with its price moved a little, normalized as a collection normalizes.
func synthListing(fl fixture.Listing, clone int, at time.Time, rng *rand.Rand, rates normalize.Rates) event.Listing {
	id := fl.ID
	if clone > 0 {
		id += "-" + strconv.Itoa(clone)
	}
	price := fl.Price * (0.9 + 0.2*rng.Float64())
	shipsTo := fl.ShipsToText
	if shipsTo == "" {
		shipsTo = strings.Join(fl.ShipsTo, ", ")
	}
	escrow := "no"
	if fl.Escrow {
		escrow = "yes"
	}
	f := func(raw string) pipeline.Field { return pipeline.Field{Raw: raw} }
	rec := pipeline.Record{Type: pipeline.RecordListing, URL: "http://" + fixture.HostFor(fl.Market) + "/listing/" + id,
		Fields: map[string]pipeline.Field{
			"listing_id": f(id), "title": f(fl.Title), "description": f(fl.Description), "category": f(fl.Category),
			"vendor": f(fl.Vendor), "price": f(strconv.FormatFloat(price, 'f', 4, 64) + " " + fl.Currency),
			"ships_from": f(fl.ShipsFrom), "ships_to": f(shipsTo), "payment_methods": f(strings.Join(fl.PaymentMethods, ", ")),
			"escrow": f(escrow),
		}}
	if fl.Quantity > 0 {
		rec.Fields["quantity"] = f(strconv.FormatFloat(fl.Quantity, 'f', -1, 64) + " " + fl.Unit)
	}
	sum := fmt.Sprintf("%064x", uint64(at.UnixNano())^uint64(len(id))<<40)
	return normalize.Listing(rec, event.Provenance{
		Source: fl.Market, Mirror: fixture.HostFor(fl.Market), URL: rec.URL,
		ObservedAt: at, CaptureSHA256: sum, Pipeline: fl.Market + PipelineSuffix, RunID: "synthetic-" + at.Format("2006-01-02"),
	}, rates)
}

func synthVendor(market string, v fixture.Vendor, at time.Time) event.Vendor {
	ve := event.Vendor{
		Provenance: event.Provenance{
			Source: market, Mirror: fixture.HostFor(market), URL: "http://" + fixture.HostFor(market) + "/vendor/" + v.Handle,
			ObservedAt: at, CaptureSHA256: fmt.Sprintf("%064x", uint64(at.UnixNano())+1), Pipeline: market + PipelineSuffix,
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

// mark refuses a database holding collected observations and records this
// dataset in MarkerTable, creating it first.
func mark(ctx context.Context, db *warehouse.DB, opts Options) error {
	conn := db.Conn()
	var collected uint64
	if err := conn.QueryRow(ctx, "SELECT count() FROM listing_obs WHERE NOT endsWith(pipeline, ?)", PipelineSuffix).Scan(&collected); err != nil {
		return fmt.Errorf("synthesizing: checking %s: %w", db.Database(), err)
	}
	if collected > 0 {
		return fmt.Errorf("synthesizing: %w: %s has %d listing observations that are not synthetic; synthetic data goes to a database of its own (%s)",
			ErrCollected, db.Database(), collected, Database(db.Database()))
	}
	err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS `+MarkerTable+`
(
    written_at DateTime,
    listings UInt64,
    seed Int64,
    weeks UInt32,
    fx_as_of Date,
    note String
)
ENGINE = MergeTree
ORDER BY written_at`)
	if err != nil {
		return fmt.Errorf("synthesizing: marking %s as synthetic: %w", db.Database(), err)
	}
	b, err := conn.PrepareBatch(ctx, "INSERT INTO "+MarkerTable+" (written_at, listings, seed, weeks, fx_as_of, note)")
	if err != nil {
		return fmt.Errorf("synthesizing: marking %s as synthetic: %w", db.Database(), err)
	}
	defer b.Close()
	asOf := opts.Rates.AsOf
	if asOf.IsZero() {
		asOf = time.Unix(0, 0)
	}
	if err := b.Append(time.Now().UTC().Truncate(time.Second), uint64(opts.Listings), opts.Seed, uint32(opts.Weeks), asOf.UTC(),
		"synthetic observations from counternet gen: not intelligence, never exported"); err != nil {
		return fmt.Errorf("synthesizing: marking %s as synthetic: %w", db.Database(), err)
	}
	if err := b.Send(); err != nil {
		return fmt.Errorf("synthesizing: marking %s as synthetic: %w", db.Database(), err)
	}
	return nil
}
