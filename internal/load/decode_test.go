package load

import (
	"encoding/json"
	"errors"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/counternet/counternet/internal/event"
	"github.com/counternet/counternet/internal/warehouse"
)

func sampleListing() event.Listing {
	l := event.Listing{
		Provenance: event.Provenance{Source: "alpha", Mirror: "alphaxyz.onion", URL: "http://alphaxyz.onion/l/1",
			ObservedAt: time.Date(2026, 10, 5, 8, 0, 0, 123, time.UTC), CaptureSHA256: strings.Repeat("ab", 32),
			Pipeline: "alpha@3", RunID: "run-1"},
		ListingID: "1", Title: "10g <cocaine> & \"more\" é", Description: "line1\nline2\ttab \u2028 ünïcode",
		CategoryRaw: "Drugs > Coke", Category: "drugs.stimulants.cocaine", Vendor: "v1",
		Price: event.Money{Amount: 123.45, Currency: "EUR", Raw: "€123.45"}, PriceUSD: 133.33, Quantity: 10,
		Unit: "g", ShipsFrom: "NL", ShipsFromRaw: "Netherlands", ShipsTo: []string{"DE", "FR"}, ShipsToRaw: "EU",
		PaymentMethods: []string{"btc"}, Escrow: true,
		Crypto: []event.CryptoAddress{{Chain: "btc", Address: "bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh"}},
		Flags:  []string{"description:truncated"},
		// The fields a later v1 added.
		Prices:   []event.Money{{Amount: 123.45, Currency: "EUR", Raw: "€123.45"}, {Amount: 0.0021, Currency: "BTC", Raw: "฿0.0021"}},
		PriceMax: 300, PriceUSDBasis: event.BasisPageRate, PriceUSDRate: 1.08,
		ShipsToBasis: []string{event.DestRegion, event.DestRegion}, ShipsFromRegion: "EU",
		ListedAt: time.Date(2026, 9, 1, 7, 30, 0, 0, time.UTC), ListedRaw: "1 Sep 2026 10:30 +03:00",
		Stock: ptr(int64(40)), Views: ptr(int64(-0)), Sold: ptr(int64(9223372036854775807)),
		ProductClass: event.ClassPhysical, ProductClassRaw: "Physical package",
		FinalizeEarly: ptr(false), EscrowKnown: true,
		ShippingOptions: []event.ShippingOption{{Method: "Express", Cost: event.Money{Amount: 0.002, Currency: "BTC"},
			Duration: "24h", Destinations: []string{"DE"}, Raw: "Express 24h (+0.002 BTC)"}, {Raw: "Pickup"}},
		VendorRating: ptr(4.82), VendorFeedbackPercent: ptr(98.5), VendorSales: ptr(int64(3700)), VendorLevel: "Level 5",
		Attributes: []event.Attr{{Key: "purity", Type: event.AttrFloat, Value: "87.5"}, {Key: "lab_tested", Type: event.AttrBool, Value: "true"}},
	}
	l.Finalize()
	return l
}

func ptr[T any](v T) *T { return &v }

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestDecodeListingFastPath: the fast decoder takes well-formed listings,
// including one carrying fields a later v1 added, and gives exactly what
// event.Decode gives.
func TestDecodeListingFastPath(t *testing.T) {
	l := sampleListing()
	plain := mustJSON(t, &l)
	extra := append(plain[:len(plain)-1:len(plain)-1], []byte(`,"seller_rank":{"tier":[1,2,{"x":null}],"ok":true},"z":-1.5e3}`)...)
	for name, data := range map[string][]byte{"v1": plain, "v1 with extra fields": extra} {
		t.Run(name, func(t *testing.T) {
			got := new(event.Listing)
			if err := decodeListing(got, data); err != nil {
				t.Fatalf("fast path refused it: %v", err)
			}
			want, err := event.Decode(data)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want.Listing) {
				t.Fatalf("fast path differs:\n got %+v\nwant %+v", got, want.Listing)
			}
		})
	}
}

// TestDecodeFallsBack: what the fast path is not sure about goes to
// event.Decode, and the result (or error) is event.Decode's.
func TestDecodeFallsBack(t *testing.T) {
	l := sampleListing()
	plain := string(mustJSON(t, &l))
	v := event.Vendor{Provenance: l.Provenance, Handle: "v1"}
	v.Finalize()
	p := event.Post{Provenance: l.Provenance, ThreadID: "t1", PostID: "p1", Body: "see alpha"}
	p.Finalize()
	tests := []struct {
		name    string
		data    string
		wantErr error // nil: decodes
	}{
		{"vendor", string(mustJSON(t, &v)), nil},
		{"post", string(mustJSON(t, &p)), nil},
		{"key in other case", strings.Replace(plain, `"title"`, `"Title"`, 1), nil},
		{"null field", strings.Replace(plain, `"unit":"g"`, `"unit":null`, 1), nil},
		{"schema v2", strings.Replace(plain, event.SchemaListing, "counternet.listing.v2", 1), event.ErrUnknownSchema},
		{"wrong type", strings.Replace(plain, `"price_usd":133.33`, `"price_usd":"133"`, 1), event.ErrInvalid},
		{"invalid json", plain[:len(plain)-1], event.ErrInvalid},
		{"trailing data", plain + "x", event.ErrInvalid},
		{"oversize", strings.Replace(plain, `"title":`, `"padding":"`+strings.Repeat("x", event.MaxMessage)+`","title":`, 1), event.ErrInvalid},
		{"failed validation", strings.Replace(plain, `"ships_from":"NL"`, `"ships_from":"Netherlands"`, 1), event.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := decodeListing(new(event.Listing), []byte(tt.data)); err == nil {
				t.Fatalf("fast path accepted it")
			}
			var got warehouse.Batch
			subject := event.Subject(event.TypeListing, l.Source)
			if h, _ := event.Decode([]byte(tt.data)); h.Vendor != nil {
				subject = event.Subject(event.TypeVendor, l.Source)
			} else if h.Post != nil {
				subject = event.Subject(event.TypePost, l.Source)
			}
			err := decodeInto(&got, subject, []byte(tt.data))
			want, wantErr := event.Decode([]byte(tt.data))
			if tt.wantErr == nil {
				if err != nil || wantErr != nil || !reflect.DeepEqual(got, batchOf(want)) {
					t.Fatalf("decode = %+v, %v; event.Decode = %+v, %v", got, err, want, wantErr)
				}
				return
			}
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("decode error %v, want %v", err, tt.wantErr)
			}
		})
	}
}

// FuzzDecodeListing holds the fast decoder to event.Decode: whatever it
// accepts, event.Decode accepts with the same result.
func FuzzDecodeListing(f *testing.F) {
	l := sampleListing()
	f.Add(mustJSON(f, &l))
	f.Add([]byte(`{"schema":"counternet.listing.v1","title":"a\u00e9\ud83d\ude00","x":[1,{"y":"z"}]}`))
	f.Add([]byte(`{"schema":"counternet.listing.v1","price":{"amount":1e400}}`))
	f.Add([]byte(` {"schema" : "counternet.listing.v1" , "escrow" : false } `))
	f.Add([]byte(`{"schema":"counternet.listing.v1","stock":007,"views":1e2,"sold":-0,"vendor_rating":null,"finalize_early":true}`))
	f.Add([]byte(`{"schema":"counternet.listing.v1","prices":[{"amount":1,"currency":"BTC"},{}],"shipping_options":[{"cost":{"amount":2}}],"attributes":[{"key":"k","type":"text","value":"v","key":"x"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		got := new(event.Listing)
		if err := decodeListing(got, data); err != nil {
			return
		}
		want, werr := event.Decode(data)
		if werr != nil {
			t.Fatalf("fast path accepted what event.Decode rejects (%v): %q", werr, data)
		}
		if !reflect.DeepEqual(got, want.Listing) {
			t.Fatalf("fast path differs on %q:\n got %+v\nwant %+v", data, got, want.Listing)
		}
	})
}

func batchOf(d event.Decoded) warehouse.Batch {
	var b warehouse.Batch
	switch {
	case d.Listing != nil:
		b.Listings = []event.Listing{*d.Listing}
	case d.Vendor != nil:
		b.Vendors = []event.Vendor{*d.Vendor}
	case d.Capture != nil:
		b.Captures = []event.Capture{*d.Capture}
	case d.Run != nil:
		b.Runs = []event.Run{*d.Run}
	case d.Post != nil:
		b.Posts = []event.Post{*d.Post}
	case d.Thread != nil:
		b.Threads = []event.Thread{*d.Thread}
	}
	return b
}

func BenchmarkDecodeListing(b *testing.B) {
	l := sampleListing()
	data := mustJSON(b, &l)
	b.Run("fast", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		var batch warehouse.Batch
		for b.Loop() {
			batch.Listings = batch.Listings[:0]
			if err := decodeInto(&batch, "intel.v1.listing.alpha", data); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding_json", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			if _, err := event.Decode(data); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestListingKeysCoverEvent guards the fast decoder: every JSON field of
// event.Listing (its own and Provenance's) must be one it decodes, or a
// field added to the event would be dropped without a word.
func TestListingKeysCoverEvent(t *testing.T) {
	var fields []string
	var walk func(reflect.Type)
	walk = func(typ reflect.Type) {
		for i := range typ.NumField() {
			f := typ.Field(i)
			if f.Anonymous {
				walk(f.Type)
				continue
			}
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			fields = append(fields, name)
		}
	}
	walk(reflect.TypeOf(event.Listing{}))
	for _, f := range fields {
		if !slices.Contains(listingKeys, f) {
			t.Errorf("event.Listing field %q is not decoded by the fast listing decoder", f)
		}
	}
	if len(fields) != len(listingKeys) {
		t.Errorf("event.Listing has %d fields, the decoder knows %d", len(fields), len(listingKeys))
	}
}

// TestSpecialWord holds the word-at-a-time test to a byte-by-byte one: for
// every byte value at every position of a word of otherwise plain bytes,
// and for random words.
func TestSpecialWord(t *testing.T) {
	byteSpecial := func(w uint64) bool {
		for k := 0; k < 8; k++ {
			c := byte(w >> (8 * k))
			if c == '"' || c == '\\' || c < 0x20 {
				return true
			}
		}
		return false
	}
	for _, fill := range []byte{'a', 0x7f, 0x80, 0xff, ' ', '#', '[', ']'} {
		for pos := 0; pos < 8; pos++ {
			for c := 0; c < 256; c++ {
				w := lo * uint64(fill)
				w = w&^(0xff<<(8*pos)) | uint64(c)<<(8*pos)
				if got, want := special(w), byteSpecial(w); got != want {
					t.Fatalf("special(%#016x) = %v, want %v", w, got, want)
				}
			}
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 1_000_000 {
		w := r.Uint64()
		if got, want := special(w), byteSpecial(w); got != want {
			t.Fatalf("special(%#016x) = %v, want %v", w, got, want)
		}
	}
	s := "abcdefgh"
	if got := load64(s, 0); got != 0x6867666564636261 {
		t.Fatalf("load64 = %#x", got)
	}
}
