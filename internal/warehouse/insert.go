package warehouse

import (
	"context"
	"fmt"
	"math"
	"reflect"
	"strings"
	"time"

	"github.com/counternet/counternet/internal/event"
)

// Batch is a set of events to insert together, one slice per table.
type Batch struct {
	Listings []event.Listing
	Vendors  []event.Vendor
	Captures []event.Capture
	Runs     []event.Run
	Posts    []event.Post
	Threads  []event.Thread
}

// Len is the number of events in the batch.
func (b *Batch) Len() int {
	return len(b.Listings) + len(b.Vendors) + len(b.Captures) + len(b.Runs) + len(b.Posts) + len(b.Threads)
}

// column is one named column of an insert and its values, a slice of the
// Go type clickhouse-go appends column-wise to that ClickHouse type.
type column struct {
	name   string
	values any
}

// Insert writes the batch: one column-wise INSERT per non-empty slice, in the
// order listings, vendors, posts, threads, captures, runs. It returns the first failure,
// naming the table and batch size; tables inserted before it stay inserted,
// which is safe because a retry of the same events collapses by event_id.
// Times outside the range of ClickHouse DateTime (1970 to 2106) are clamped
// to it, so a zero time reads as 1970-01-01 00:00:00.
//
// Each table's columns are built once over all its rows; a column whose
// every value the table would store anyway when it is left out is not sent
// (omitDefaults). The rest go in data blocks of insertChunk rows: the
// driver's column buffers are sized by the first block and reused by the
// next, so a batch of 50,000 listings is never copied into buffers that
// keep doubling, and the server parses one block while the next is built.
// A failed INSERT may have stored some of its blocks; like any failure it
// is retried whole and the repeats collapse by event_id.
func (db *DB) Insert(ctx context.Context, b *Batch) error {
	if b == nil {
		return nil
	}
	start := time.Now()
	for _, t := range batchTables(b) {
		if t.rows == 0 {
			continue
		}
		cols := t.cols()
		if err := checkRows(cols, t.rows); err != nil {
			return fmt.Errorf("inserting %s batch of %d: %w", t.table, t.rows, err)
		}
		cols, err := db.omitDefaults(ctx, t.table, cols)
		if err != nil {
			return fmt.Errorf("inserting %s batch of %d: %w", t.table, t.rows, err)
		}
		err = db.insertBlocks(ctx, t.table, t.rows, insertChunk, func(lo, hi int) []column {
			return sliceColumns(cols, lo, hi)
		})
		if err != nil {
			return err
		}
	}
	db.log.Debug().Int("listings", len(b.Listings)).Int("vendors", len(b.Vendors)).
		Int("captures", len(b.Captures)).Int("runs", len(b.Runs)).Int("posts", len(b.Posts)).
		Int("threads", len(b.Threads)).Dur("took", time.Since(start)).Msg("batch inserted")
	return nil
}

// batchTable is the rows of a batch that go into one table, and how to
// build their columns.
type batchTable struct {
	table string
	rows  int
	cols  func() []column
}

// batchTables is b's tables in the order Insert writes them.
func batchTables(b *Batch) []batchTable {
	return []batchTable{
		{"listing_obs", len(b.Listings), func() []column {
			return append(listingColumns(b.Listings), listingFieldColumns(b.Listings)...)
		}},
		{"vendor_obs", len(b.Vendors), func() []column {
			return append(vendorColumns(b.Vendors), vendorFieldColumns(b.Vendors)...)
		}},
		{"post_obs", len(b.Posts), func() []column {
			return append(postColumns(b.Posts), postFieldColumns(b.Posts)...)
		}},
		{"thread_obs", len(b.Threads), func() []column { return threadColumns(b.Threads) }},
		{"captures", len(b.Captures), func() []column {
			return append(captureColumns(b.Captures), captureCrawlColumns(b.Captures)...)
		}},
		{"runs", len(b.Runs), func() []column {
			return append(runColumns(b.Runs), runCrawlColumns(b.Runs)...)
		}},
	}
}

// sliceColumns is rows [lo, hi) of cols, whose values checkRows found to
// be slices of at least hi rows.
func sliceColumns(cols []column, lo, hi int) []column {
	out := make([]column, len(cols))
	for i, c := range cols {
		out[i] = column{c.name, reflect.ValueOf(c.values).Slice(lo, hi).Interface()}
	}
	return out
}

// checkRows makes sure every column holds a slice of rows values.
func checkRows(cols []column, rows int) error {
	for _, c := range cols {
		v := reflect.ValueOf(c.values)
		if v.Kind() != reflect.Slice || v.Len() != rows {
			return fmt.Errorf("column %s: %T is not %d values", c.name, c.values, rows)
		}
	}
	return nil
}

// insertChunk is how many rows one data block of an INSERT holds.
const insertChunk = 8192

// insert writes rows rows, whose values cols holds, into table in one
// INSERT of one data block.
func (db *DB) insert(ctx context.Context, table string, rows int, cols []column) error {
	return db.insertBlocks(ctx, table, rows, max(rows, 1), func(int, int) []column { return cols })
}

// insertBlocks writes rows rows into table in one INSERT, one data block
// of up to size rows at a time, taking the values of rows [lo, hi) from
// cols(lo, hi).
func (db *DB) insertBlocks(ctx context.Context, table string, rows, size int, cols func(lo, hi int) []column) error {
	chunk := cols(0, min(rows, size))
	names := make([]string, len(chunk))
	for i, c := range chunk {
		names[i] = c.name
	}
	// 18.16 needs the column list: without it the batch has no columns.
	batch, err := db.conn.PrepareBatch(ctx, "INSERT INTO "+table+" ("+strings.Join(names, ", ")+")")
	if err != nil {
		return fmt.Errorf("inserting %s batch of %d: preparing: %w", table, rows, err)
	}
	defer batch.Close()
	// The batch's own columns, which stay the same across Flush.
	bcols := batch.Columns()
	if len(bcols) != len(chunk) {
		return fmt.Errorf("inserting %s batch of %d: the server expects %d columns, not %d", table, rows, len(bcols), len(chunk))
	}
	for lo := 0; lo < rows; lo += size {
		hi := min(rows, lo+size)
		if lo > 0 {
			chunk = cols(lo, hi)
		}
		for i, c := range chunk {
			if err := appendColumn(batch.Column(i), bcols[i], c.values); err != nil {
				return fmt.Errorf("inserting %s batch of %d: column %s: %w", table, rows, c.name, err)
			}
		}
		if hi < rows {
			if err := batch.Flush(); err != nil {
				return fmt.Errorf("inserting %s batch of %d: rows %d-%d: %w", table, rows, lo, hi, err)
			}
		}
	}
	if err := batch.Send(); err != nil {
		return fmt.Errorf("inserting %s batch of %d: %w", table, rows, err)
	}
	return nil
}

func listingColumns(ls []event.Listing) []column {
	n := len(ls)
	var (
		eventID, source, mirror, url, listingID = mk[string](n), mk[string](n), mk[string](n), mk[string](n), mk[string](n)
		title, description, categoryRaw         = mk[string](n), mk[string](n), mk[string](n)
		category, vendor                        = mk[string](n), mk[string](n)
		priceAmount, priceUSD, quantity         = mk[float64](n), mk[float64](n), mk[float64](n)
		priceCurrency, priceRaw, unit           = mk[string](n), mk[string](n), mk[string](n)
		shipsFrom, shipsFromRaw, shipsToRaw     = mk[string](n), mk[string](n), mk[string](n)
		shipsTo, payment, flags                 = mk[[]string](n), mk[[]string](n), mk[[]string](n)
		chains, addrs                           = mk[[]string](n), mk[[]string](n)
		escrow                                  = mk[uint8](n)
		observedAt                              = mk[time.Time](n)
		captureSHA, pipeline, runID             = mk[string](n), mk[string](n), mk[string](n)
		shipsToExcluded                         = mk[[]string](n)
		pricePerUnit, pricePerUnitUSD           = mk[float64](n), mk[float64](n)
	)
	for i := range ls {
		l := &ls[i]
		eventID[i], source[i], mirror[i], url[i], listingID[i] = l.EventID, l.Source, l.Mirror, l.URL, l.ListingID
		title[i], description[i], categoryRaw[i] = l.Title, l.Description, l.CategoryRaw
		category[i], vendor[i] = l.Category, l.Vendor
		priceAmount[i], priceCurrency[i], priceRaw[i] = l.Price.Amount, l.Price.Currency, l.Price.Raw
		priceUSD[i], quantity[i], unit[i] = l.PriceUSD, l.Quantity, l.Unit
		shipsFrom[i], shipsFromRaw[i], shipsTo[i], shipsToRaw[i] = l.ShipsFrom, l.ShipsFromRaw, l.ShipsTo, l.ShipsToRaw
		payment[i], escrow[i], flags[i] = l.PaymentMethods, boolUInt8(l.Escrow), l.Flags
		chains[i], addrs[i] = splitCrypto(l.Crypto)
		observedAt[i] = clampTime(l.ObservedAt)
		captureSHA[i], pipeline[i], runID[i] = l.CaptureSHA256, l.Pipeline, l.RunID
		shipsToExcluded[i], pricePerUnit[i], pricePerUnitUSD[i] = l.ShipsToExcluded, l.PricePerUnit, l.PricePerUnitUSD
	}
	return []column{
		{"event_id", eventID}, {"source", source}, {"mirror", mirror}, {"url", url},
		{"listing_id", listingID}, {"title", title}, {"description", description},
		{"category_raw", categoryRaw}, {"category", category}, {"vendor", vendor},
		{"price_amount", priceAmount}, {"price_currency", priceCurrency}, {"price_raw", priceRaw},
		{"price_usd", priceUSD}, {"quantity", quantity}, {"unit", unit},
		{"ships_from", shipsFrom}, {"ships_from_raw", shipsFromRaw}, {"ships_to", shipsTo},
		{"ships_to_raw", shipsToRaw}, {"payment_methods", payment}, {"escrow", escrow},
		{"crypto_chains", chains}, {"crypto_addresses", addrs}, {"flags", flags},
		{"observed_at", observedAt}, {"capture_sha256", captureSHA}, {"pipeline", pipeline},
		{"run_id", runID},
		{"ships_to_excluded", shipsToExcluded}, {"price_per_unit", pricePerUnit}, {"price_per_unit_usd", pricePerUnitUSD},
	}
}

func vendorColumns(vs []event.Vendor) []column {
	n := len(vs)
	var (
		eventID, source, mirror, url        = mk[string](n), mk[string](n), mk[string](n), mk[string](n)
		handle, profileURL, joined          = mk[string](n), mk[string](n), mk[string](n)
		pgp, contacts, chains, addrs, flags = mk[[]string](n), mk[[]string](n), mk[[]string](n), mk[[]string](n), mk[[]string](n)
		rating                              = mk[float64](n)
		sales                               = mk[int64](n)
		shipsFrom, shipsFromRaw             = mk[string](n), mk[string](n)
		observedAt                          = mk[time.Time](n)
		captureSHA, pipeline, runID         = mk[string](n), mk[string](n), mk[string](n)
	)
	for i := range vs {
		v := &vs[i]
		eventID[i], source[i], mirror[i], url[i] = v.EventID, v.Source, v.Mirror, v.URL
		handle[i], profileURL[i], pgp[i] = v.Handle, v.ProfileURL, v.PGPFingerprints
		rating[i], sales[i], joined[i] = v.Rating, v.Sales, v.Joined
		shipsFrom[i], shipsFromRaw[i], contacts[i] = v.ShipsFrom, v.ShipsFromRaw, v.Contacts
		chains[i], addrs[i] = splitCrypto(v.Crypto)
		flags[i], observedAt[i] = v.Flags, clampTime(v.ObservedAt)
		captureSHA[i], pipeline[i], runID[i] = v.CaptureSHA256, v.Pipeline, v.RunID
	}
	return []column{
		{"event_id", eventID}, {"source", source}, {"mirror", mirror}, {"url", url},
		{"handle", handle}, {"profile_url", profileURL}, {"pgp_fingerprints", pgp},
		{"rating", rating}, {"sales", sales}, {"joined", joined},
		{"ships_from", shipsFrom}, {"ships_from_raw", shipsFromRaw}, {"contacts", contacts},
		{"crypto_chains", chains}, {"crypto_addresses", addrs}, {"flags", flags},
		{"observed_at", observedAt}, {"capture_sha256", captureSHA}, {"pipeline", pipeline},
		{"run_id", runID},
	}
}

func captureColumns(cs []event.Capture) []column {
	n := len(cs)
	var (
		eventID, source, url, outcome = mk[string](n), mk[string](n), mk[string](n), mk[string](n)
		sha, contentType, pageKind    = mk[string](n), mk[string](n), mk[string](n)
		runID, errText                = mk[string](n), mk[string](n)
		fetchedAt                     = mk[time.Time](n)
		status                        = mk[uint16](n)
		bytes, durationMS             = mk[int64](n), mk[int64](n)
		records                       = mk[uint32](n)
	)
	for i := range cs {
		c := &cs[i]
		eventID[i], source[i], url[i], fetchedAt[i] = c.EventID, c.Source, c.URL, clampTime(c.FetchedAt)
		status[i], outcome[i], bytes[i], sha[i] = clampUInt16(c.Status), c.Outcome, c.Bytes, c.SHA256
		contentType[i], pageKind[i], records[i] = c.Type, c.PageKind, clampUInt32(c.Records)
		runID[i], errText[i], durationMS[i] = c.RunID, c.Error, c.DurationMS
	}
	return []column{
		{"event_id", eventID}, {"source", source}, {"url", url}, {"fetched_at", fetchedAt},
		{"status", status}, {"outcome", outcome}, {"bytes", bytes}, {"sha256", sha},
		{"content_type", contentType}, {"page_kind", pageKind}, {"records", records},
		{"run_id", runID}, {"error", errText}, {"duration_ms", durationMS},
	}
}

func runColumns(rs []event.Run) []column {
	n := len(rs)
	var (
		eventID, runID, source, pipeline     = mk[string](n), mk[string](n), mk[string](n), mk[string](n)
		startedAt, finishedAt                = mk[time.Time](n), mk[time.Time](n)
		outcome, errText                     = mk[string](n), mk[string](n)
		pages, failed, listings, vendorCount = mk[uint32](n), mk[uint32](n), mk[uint32](n), mk[uint32](n)
	)
	for i := range rs {
		r := &rs[i]
		eventID[i], runID[i], source[i], pipeline[i] = r.EventID, r.RunID, r.Source, r.Pipeline
		startedAt[i], finishedAt[i] = clampTime(r.StartedAt), clampTime(r.FinishedAt)
		outcome[i], errText[i] = r.Outcome, r.Error
		pages[i], failed[i] = clampUInt32(r.Pages), clampUInt32(r.Failed)
		listings[i], vendorCount[i] = clampUInt32(r.Listings), clampUInt32(r.Vendors)
	}
	return []column{
		{"event_id", eventID}, {"run_id", runID}, {"source", source}, {"pipeline", pipeline},
		{"started_at", startedAt}, {"finished_at", finishedAt}, {"outcome", outcome},
		{"pages", pages}, {"pages_failed", failed}, {"listings", listings}, {"vendors", vendorCount},
		{"error", errText},
	}
}

func mk[T any](n int) []T { return make([]T, n) }

// splitCrypto turns addresses into the parallel arrays crypto_chains and
// crypto_addresses.
func splitCrypto(cs []event.CryptoAddress) (chains, addrs []string) {
	if len(cs) == 0 {
		return nil, nil
	}
	chains = make([]string, len(cs))
	addrs = make([]string, len(cs))
	for i, c := range cs {
		chains[i], addrs[i] = c.Chain, c.Address
	}
	return chains, addrs
}

// Bounds of ClickHouse DateTime (seconds in a UInt32).
var (
	minDateTime = time.Unix(0, 0).UTC()
	maxDateTime = time.Unix(math.MaxUint32, 0).UTC()
)

// clampTime brings t into the DateTime range, so that a zero or absurd time
// cannot wrap around into a plausible-looking date.
func clampTime(t time.Time) time.Time {
	switch {
	case t.Before(minDateTime):
		return minDateTime
	case t.After(maxDateTime):
		return maxDateTime
	}
	return t
}

func clampUInt16(v int) uint16 { return uint16(min(max(v, 0), math.MaxUint16)) }

func clampUInt32(v int) uint32 { return uint32(min(max(v, 0), math.MaxUint32)) }

func boolUInt8(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}
