package load

import (
	"encoding/json"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/counternet/counternet/internal/event"
	"github.com/counternet/counternet/internal/warehouse"
)

// benchEnvelope is an envelope of the 50 listings of one index page, shaped
// like the listings of BenchmarkLoader1M.
func benchEnvelope(tb testing.TB) (subject string, data []byte) {
	tb.Helper()
	evs := make([]event.Encoded, 50)
	for i := range evs {
		l := event.Listing{
			Provenance: event.Provenance{Source: "alpha", Mirror: "alphaxyzabcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrst.onion",
				URL:        "http://alphaxyzabcdefghijklmnopqrstuvwxyz.onion/listing/" + strconv.Itoa(i),
				ObservedAt: time.Date(2026, 10, 5, 8, 0, i, 0, time.UTC), CaptureSHA256: strings.Repeat("ab", 32),
				Pipeline: "alpha@3", RunID: "run-alpha-1"},
			ListingID: strconv.Itoa(100000 + i), Title: "10g cocaine premium quality, stealth shipping from NL",
			Description: "Top quality product, lab tested. Vacuum sealed, stealth packaging, tracked shipping. Reship once if lost, " +
				"no refunds after finalize. Bulk discounts available: message me. Orders before 14:00 ship the same day. 123456",
			CategoryRaw: "Drugs > cocaine", Category: "drugs.stimulants.cocaine", Vendor: "vendor" + strconv.Itoa(i),
			Price: event.Money{Amount: 123.45, Currency: "EUR", Raw: "123.45 EUR"}, PriceUSD: 133.33, Quantity: 10,
			Unit: "g", ShipsFrom: "NL", ShipsFromRaw: "Ships from: NL", ShipsTo: []string{"DE", "FR", "BE"}, ShipsToRaw: "Worldwide",
			PaymentMethods: []string{"btc", "xmr"}, Escrow: i%2 == 0,
			Crypto: []event.CryptoAddress{{Chain: "btc", Address: "bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh"}},
		}
		l.Finalize()
		d, err := json.Marshal(&l)
		if err != nil {
			tb.Fatal(err)
		}
		evs[i] = event.Encoded{ID: l.EventID, Data: d}
	}
	envs, err := event.Pack("alpha", strings.Repeat("ab", 32), "alpha@3", evs)
	if err != nil || len(envs) != 1 {
		tb.Fatalf("packing: %v (%d envelopes)", err, len(envs))
	}
	return envs[0].Subject, envs[0].Data
}

// BenchmarkDecodeEnvelope is the loader's work on one envelope before the
// insert: open it, decode and check each of its 50 listings, and copy
// their text into the batch's columns. cpu_ns/event is the process's CPU
// time (garbage collection included) per event, which a machine busy with
// other work does not inflate as it does ns/op.
func BenchmarkDecodeEnvelope(b *testing.B) {
	subject, data := benchEnvelope(b)
	b.SetBytes(int64(len(data)))
	var (
		bt = batch{rows: warehouse.Batch{Listings: make([]event.Listing, 0, 50_000)}} // as the loader makes it
		n  int
	)
	cpu := func() time.Duration {
		var ru syscall.Rusage
		if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
			b.Fatal(err)
		}
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	start := cpu()
	for b.Loop() {
		if n == 1000 { // a batch of 50,000 listings, then the next
			bt.reset()
			n = 0
		}
		n++
		h, rest, err := event.OpenEnvelope(subject, data)
		if err != nil {
			b.Fatal(err)
		}
		o := envelopeOrigin(h.Source)
		for len(rest) > 0 {
			var line []byte
			line, rest = event.NextLine(rest)
			at := len(bt.rows.Listings)
			if err := decodeFrom(&bt.rows, &bt.sc, o, line); err != nil {
				b.Fatal(err)
			}
			bt.texts.own(&bt.rows.Listings[at])
		}
	}
	b.ReportMetric(float64(cpu()-start)/float64(b.N*50), "cpu_ns/event")
}
