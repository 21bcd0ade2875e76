// Package loadtest is the harness of counternet's fault tests and loader
// benchmarks: deterministic synthetic listing events in bulk, the same rows
// as a JSONEachRow file for clickhouse-client, an exactly-once check of
// what reached ClickHouse, a loader run as a separate process (the test
// binary re-executed) that can be killed at any point, a clickhouse-server
// restarted on the ports it had, and the peak RSS of a process.
//
// It is used by tests and benchmarks only; nothing in a counternet binary
// imports it.
package loadtest

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/counternet/counternet/internal/bus"
	"github.com/counternet/counternet/internal/event"
)

// Base is the observation time of the first generated listing; listing i is
// observed i seconds later.
var Base = time.Date(2026, 10, 5, 8, 0, 0, 0, time.UTC)

var (
	markets    = []string{"alphabay", "abacus", "archetyp", "bohemia", "nexus", "kerberos"}
	categories = []string{"drugs.cannabis", "drugs.stimulants.cocaine", "drugs.opioids.heroin", "drugs.psychedelics.lsd", "drugs.stimulants.mdma", "drugs.benzos"}
	countries  = []string{"NL", "DE", "FR", "BE", "GB", "ES", "US", "CA", "AU", "PL", "CZ", "IT"}
	currencies = []string{"USD", "EUR", "BTC", "XMR"}
	units      = []string{"g", "kg", "pills", "tabs", "ml"}
)

// Listings returns n valid, finalized listing events generated from seed,
// shaped like those of real markets (title, a description of a few hundred
// bytes, prices, routes, a crypto address). The same n and seed give the
// same events, and every event id is distinct.
func Listings(n int, seed uint64) []event.Listing {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	ls := make([]event.Listing, n)
	for i := range ls {
		m := markets[r.IntN(len(markets))]
		from := countries[r.IntN(len(countries))]
		to := make([]string, 1+r.IntN(4))
		for j := range to {
			to[j] = countries[r.IntN(len(countries))]
		}
		price := float64(5+r.IntN(5000)) + float64(r.IntN(100))/100
		cur := currencies[r.IntN(len(currencies))]
		l := event.Listing{
			Provenance: event.Provenance{
				Source:        m,
				Mirror:        m + "xyzabcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrst.onion",
				URL:           "http://" + m + "xyzabcdefghijklmnopqrstuvwxyz.onion/listing/" + strconv.Itoa(i),
				ObservedAt:    Base.Add(time.Duration(i) * time.Second),
				CaptureSHA256: fmt.Sprintf("%064x", r.Uint64()),
				Pipeline:      m + "@3",
				RunID:         fmt.Sprintf("run-%s-%d", m, i/10000),
			},
			ListingID:      strconv.Itoa(100000 + i),
			Title:          fmt.Sprintf("%d%s %s premium quality, stealth shipping from %s", 1+r.IntN(100), units[r.IntN(len(units))], categories[r.IntN(len(categories))], from),
			Description:    "Top quality product, lab tested. Vacuum sealed, stealth packaging, tracked shipping. Reship once if lost, no refunds after finalize. Bulk discounts available: message me. Orders before 14:00 ship the same day. " + strconv.Itoa(r.IntN(1e6)),
			CategoryRaw:    "Drugs > " + categories[r.IntN(len(categories))],
			Category:       categories[r.IntN(len(categories))],
			Vendor:         "vendor" + strconv.Itoa(r.IntN(2000)),
			Price:          event.Money{Amount: price, Currency: cur, Raw: strconv.FormatFloat(price, 'f', 2, 64) + " " + cur},
			PriceUSD:       price * 1.08,
			Quantity:       float64(1 + r.IntN(1000)),
			Unit:           units[r.IntN(len(units))],
			ShipsFrom:      from,
			ShipsFromRaw:   "Ships from: " + from,
			ShipsTo:        to,
			ShipsToRaw:     "Worldwide",
			PaymentMethods: []string{"btc", "xmr"},
			Escrow:         r.IntN(2) == 0,
			Crypto:         []event.CryptoAddress{{Chain: "btc", Address: "bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh"}},
		}
		l.Finalize()
		ls[i] = l
	}
	return ls
}

// Messages encodes listings as bus messages on their subjects, each with its
// event id as the message id, as a collector publishes them.
func Messages(ls []event.Listing) ([]bus.Message, error) {
	msgs := make([]bus.Message, len(ls))
	for i := range ls {
		m, err := bus.Encode(event.Subject(event.TypeListing, ls[i].Source), ls[i].EventID, &ls[i])
		if err != nil {
			return nil, err
		}
		msgs[i] = m
	}
	return msgs, nil
}

// IDs returns the event ids of listings, in order.
func IDs(ls []event.Listing) []string {
	ids := make([]string, len(ls))
	for i := range ls {
		ids[i] = ls[i].EventID
	}
	return ids
}

// row is a listing_obs row as clickhouse-client reads it in JSONEachRow.
type row struct {
	EventID        string   `json:"event_id"`
	Source         string   `json:"source"`
	Mirror         string   `json:"mirror"`
	URL            string   `json:"url"`
	ListingID      string   `json:"listing_id"`
	Title          string   `json:"title"`
	Description    string   `json:"description"`
	CategoryRaw    string   `json:"category_raw"`
	Category       string   `json:"category"`
	Vendor         string   `json:"vendor"`
	PriceAmount    float64  `json:"price_amount"`
	PriceCurrency  string   `json:"price_currency"`
	PriceRaw       string   `json:"price_raw"`
	PriceUSD       float64  `json:"price_usd"`
	Quantity       float64  `json:"quantity"`
	Unit           string   `json:"unit"`
	ShipsFrom      string   `json:"ships_from"`
	ShipsFromRaw   string   `json:"ships_from_raw"`
	ShipsTo        []string `json:"ships_to"`
	ShipsToRaw     string   `json:"ships_to_raw"`
	PaymentMethods []string `json:"payment_methods"`
	Escrow         uint8    `json:"escrow"`
	CryptoChains   []string `json:"crypto_chains"`
	CryptoAddrs    []string `json:"crypto_addresses"`
	Flags          []string `json:"flags"`
	ObservedAt     string   `json:"observed_at"`
	CaptureSHA256  string   `json:"capture_sha256"`
	Pipeline       string   `json:"pipeline"`
	RunID          string   `json:"run_id"`
}

// RowColumns is the column list of the rows WriteJSONEachRow writes, for
// "INSERT INTO listing_obs (RowColumns) FORMAT JSONEachRow".
const RowColumns = "event_id, source, mirror, url, listing_id, title, description, category_raw, category, vendor, " +
	"price_amount, price_currency, price_raw, price_usd, quantity, unit, ships_from, ships_from_raw, ships_to, " +
	"ships_to_raw, payment_methods, escrow, crypto_chains, crypto_addresses, flags, observed_at, capture_sha256, " +
	"pipeline, run_id"

// WriteJSONEachRow writes listings as listing_obs rows, one JSON object a
// line, the input clickhouse-client reads with FORMAT JSONEachRow.
func WriteJSONEachRow(w io.Writer, ls []event.Listing) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	enc := json.NewEncoder(bw)
	for i := range ls {
		l := &ls[i]
		r := row{
			EventID: l.EventID, Source: l.Source, Mirror: l.Mirror, URL: l.URL, ListingID: l.ListingID,
			Title: l.Title, Description: l.Description, CategoryRaw: l.CategoryRaw, Category: l.Category,
			Vendor: l.Vendor, PriceAmount: l.Price.Amount, PriceCurrency: l.Price.Currency, PriceRaw: l.Price.Raw,
			PriceUSD: l.PriceUSD, Quantity: l.Quantity, Unit: l.Unit, ShipsFrom: l.ShipsFrom,
			ShipsFromRaw: l.ShipsFromRaw, ShipsTo: nonNil(l.ShipsTo), ShipsToRaw: l.ShipsToRaw,
			PaymentMethods: nonNil(l.PaymentMethods), CryptoChains: []string{}, CryptoAddrs: []string{},
			Flags: nonNil(l.Flags), ObservedAt: l.ObservedAt.UTC().Format(time.DateTime),
			CaptureSHA256: l.CaptureSHA256, Pipeline: l.Pipeline, RunID: l.RunID,
		}
		if l.Escrow {
			r.Escrow = 1
		}
		for _, c := range l.Crypto {
			r.CryptoChains = append(r.CryptoChains, c.Chain)
			r.CryptoAddrs = append(r.CryptoAddrs, c.Address)
		}
		if err := enc.Encode(&r); err != nil {
			return fmt.Errorf("writing row %d: %w", i, err)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("writing rows: %w", err)
	}
	return nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
