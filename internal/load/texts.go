package load

import (
	"unsafe"

	"github.com/counternet/counternet/internal/event"
)

// texts keeps the text of a batch's listings column by column. Right after
// a message is decoded, while it is still in cache, each string of the
// listing is copied into the chunks of its own column, and the listing is
// pointed at the copy. The insert then reads every column from consecutive
// memory instead of from thousands of scattered messages (that read was
// the loader's largest single cost), and a message is garbage as soon as
// it is decoded: the batch keeps its reply subject, not its bytes.
//
// The chunks are kept for the next batch: reset makes them reusable, and
// must be called only once nothing refers to the batch's listings.
type texts struct {
	cols [textColumns]arena
}

// The columns of texts, one per string field of a listing; the short
// lists (ships_to, payment methods, flags, crypto) share one.
const (
	tEventID = iota
	tSource
	tMirror
	tURL
	tCapture
	tPipeline
	tRunID
	tListingID
	tTitle
	tDescription
	tCategoryRaw
	tCategory
	tVendor
	tCurrency
	tPriceRaw
	tUnit
	tShipsFrom
	tShipsFromRaw
	tShipsToRaw
	tLists
	tExtra // the fields a later v1 added: bases, regions, raw texts, levels
	textColumns
)

// own copies every string of l into the columns and points l at the copies.
func (t *texts) own(l *event.Listing) {
	c := &t.cols
	if l.Schema == event.SchemaListing {
		l.Schema = event.SchemaListing
	} else {
		l.Schema = c[tLists].copy(l.Schema)
	}
	l.EventID = c[tEventID].copy(l.EventID)
	l.Source = c[tSource].copy(l.Source)
	l.Mirror = c[tMirror].copy(l.Mirror)
	l.URL = c[tURL].copy(l.URL)
	l.CaptureSHA256 = c[tCapture].copy(l.CaptureSHA256)
	l.Pipeline = c[tPipeline].copy(l.Pipeline)
	l.RunID = c[tRunID].copy(l.RunID)
	l.ListingID = c[tListingID].copy(l.ListingID)
	l.Title = c[tTitle].copy(l.Title)
	l.Description = c[tDescription].copy(l.Description)
	l.CategoryRaw = c[tCategoryRaw].copy(l.CategoryRaw)
	l.Category = c[tCategory].copy(l.Category)
	l.Vendor = c[tVendor].copy(l.Vendor)
	l.Price.Currency = c[tCurrency].copy(l.Price.Currency)
	l.Price.Raw = c[tPriceRaw].copy(l.Price.Raw)
	l.Unit = c[tUnit].copy(l.Unit)
	l.ShipsFrom = c[tShipsFrom].copy(l.ShipsFrom)
	l.ShipsFromRaw = c[tShipsFromRaw].copy(l.ShipsFromRaw)
	l.ShipsToRaw = c[tShipsToRaw].copy(l.ShipsToRaw)
	extra := &c[tExtra]
	l.PriceUSDBasis = extra.copy(l.PriceUSDBasis)
	l.ShipsFromRegion = extra.copy(l.ShipsFromRegion)
	l.ListedRaw = extra.copy(l.ListedRaw)
	l.ProductClass = extra.copy(l.ProductClass)
	l.ProductClassRaw = extra.copy(l.ProductClassRaw)
	l.VendorLevel = extra.copy(l.VendorLevel)
	for i := range l.Prices {
		l.Prices[i].Currency = extra.copy(l.Prices[i].Currency)
		l.Prices[i].Raw = extra.copy(l.Prices[i].Raw)
	}
	for i := range l.ShippingOptions {
		o := &l.ShippingOptions[i]
		o.Method, o.Duration, o.Raw = extra.copy(o.Method), extra.copy(o.Duration), extra.copy(o.Raw)
		o.Cost.Currency, o.Cost.Raw = extra.copy(o.Cost.Currency), extra.copy(o.Cost.Raw)
		for j, d := range o.Destinations {
			o.Destinations[j] = extra.copy(d)
		}
	}
	for i := range l.Attributes {
		a := &l.Attributes[i]
		a.Key, a.Type, a.Value = extra.copy(a.Key), extra.copy(a.Type), extra.copy(a.Value)
	}
	lists := &c[tLists]
	for _, list := range [][]string{l.ShipsTo, l.ShipsToBasis, l.ShipsToExcluded, l.PaymentMethods, l.Flags} {
		for i, s := range list {
			list[i] = lists.copy(s)
		}
	}
	for i := range l.Crypto {
		l.Crypto[i].Chain = lists.copy(l.Crypto[i].Chain)
		l.Crypto[i].Address = lists.copy(l.Crypto[i].Address)
	}
}

// reset makes every chunk reusable.
func (t *texts) reset() {
	for i := range t.cols {
		t.cols[i].n = 0
	}
}

// arenaChunk is the size of a column's chunks (a longer string gets a
// chunk of its own size).
const arenaChunk = 64 << 10

// arena holds strings back to back in chunks that never move: a string
// handed out stays valid until reset.
type arena struct {
	chunks [][]byte // every chunk allocated so far
	n      int      // chunks[:n] are in use, chunks[n-1] is filling
}

// copy returns a copy of s held in the arena.
func (a *arena) copy(s string) string {
	if s == "" {
		return ""
	}
	if a.n == 0 || cap(a.chunks[a.n-1])-len(a.chunks[a.n-1]) < len(s) {
		a.next(len(s))
	}
	c := a.chunks[a.n-1]
	start := len(c)
	c = append(c, s...)
	a.chunks[a.n-1] = c
	return unsafe.String(&c[start], len(s))
}

// next starts filling the next chunk, reusing one from an earlier batch
// when it is large enough.
func (a *arena) next(size int) {
	if a.n == len(a.chunks) {
		a.chunks = append(a.chunks, nil)
	}
	if cap(a.chunks[a.n]) < size {
		a.chunks[a.n] = make([]byte, 0, max(arenaChunk, size))
	}
	a.chunks[a.n] = a.chunks[a.n][:0]
	a.n++
}
