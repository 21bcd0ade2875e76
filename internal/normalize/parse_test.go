package normalize

import (
	"errors"
	"math"
	"regexp"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/counternet/counternet/internal/event"
)

func TestMoney(t *testing.T) {
	tests := []struct {
		raw    string
		amount float64
		cur    string
	}{
		{"USD 45.00", 45, "USD"},
		{"$45.00", 45, "USD"},
		{"45.00 USD", 45, "USD"},
		{"€ 45,00", 45, "EUR"},
		{"45.00 EUR", 45, "EUR"},
		{"£12", 12, "GBP"},
		{"0.0012 BTC", 0.0012, "BTC"},
		{"฿0.0012", 0.0012, "BTC"},
		{"1.5 XMR", 1.5, "XMR"},
		{"1,234.56 USD", 1234.56, "USD"},
		{"1.234,56 €", 1234.56, "EUR"},
		{"1 234,56 €", 1234.56, "EUR"},
		{"US$ 1,000", 1000, "USD"},
		{"usd45", 45, "USD"},
		{"Price: 45 dollars", 45, "USD"},
		{"  0,001 btc  ", 0.001, "BTC"},
		{"Buy 2 for $45.00 (0.0012 BTC)", 45, "USD"},
		{"45€", 45, "EUR"},
		{"1,5 XMR", 1.5, "XMR"},
		{"12 000 ₽", 12000, "RUB"},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			m, err := Money(tt.raw)
			if err != nil {
				t.Fatalf("Money(%q): %v", tt.raw, err)
			}
			if math.Abs(m.Amount-tt.amount) > 1e-9 || m.Currency != tt.cur {
				t.Errorf("Money(%q) = %v %s, want %v %s", tt.raw, m.Amount, m.Currency, tt.amount, tt.cur)
			}
			if m.Raw == "" {
				t.Error("Raw not kept")
			}
		})
	}
	for _, raw := range []string{"", "free", "45.00", "45 FOO", "call me", "1.2.3,4,5 USD", "$"} {
		m, err := Money(raw)
		if !errors.Is(err, ErrUnparsable) {
			t.Errorf("Money(%q) = %+v, %v; want ErrUnparsable", raw, m, err)
		}
	}
}

func TestInt(t *testing.T) {
	tests := []struct {
		raw  string
		want int64
	}{
		{"1,234", 1234}, {"1234 sales", 1234}, {"(1.2k)", 1200}, {"1.234 Verkäufe", 1234}, {"3M", 3000000},
		{"12", 12}, {"Sales: 0", 0}, {"5 min", 5}, {"1 234 567", 1234567}, {"2.5K", 2500},
	}
	for _, tt := range tests {
		got, err := Int(tt.raw)
		if err != nil || got != tt.want {
			t.Errorf("Int(%q) = %d, %v; want %d", tt.raw, got, err, tt.want)
		}
	}
	for _, raw := range []string{"", "many", "12.5", "99999999999999999999999"} {
		if got, err := Int(raw); !errors.Is(err, ErrUnparsable) {
			t.Errorf("Int(%q) = %d, %v; want ErrUnparsable", raw, got, err)
		}
	}
}

func TestFloat(t *testing.T) {
	tests := []struct {
		raw  string
		want float64
	}{
		{"4.5", 4.5}, {"10g", 10}, {"0,5 g", 0.5}, {"1,234.5", 1234.5}, {"1.234,5", 1234.5}, {"120.00", 120},
	}
	for _, tt := range tests {
		got, err := Float(tt.raw)
		if err != nil || got != tt.want {
			t.Errorf("Float(%q) = %v, %v; want %v", tt.raw, got, err, tt.want)
		}
	}
	if _, err := Float("n/a"); !errors.Is(err, ErrUnparsable) {
		t.Errorf("Float(n/a) = %v", err)
	}
}

func TestRating(t *testing.T) {
	tests := []struct {
		raw  string
		want float64
	}{
		{"4.87★", 4.87}, {"4.9/5", 4.9}, {"98%", 4.9}, {"9.5/10", 4.75}, {"4.9 / 5.0", 4.9},
		{"(4.87)", 4.87}, {"★★★★☆", 4}, {"100% positive", 5}, {"0", 0}, {"5", 5},
	}
	for _, tt := range tests {
		got, err := Rating(tt.raw)
		if err != nil || math.Abs(got-tt.want) > 1e-9 {
			t.Errorf("Rating(%q) = %v, %v; want %v", tt.raw, got, err, tt.want)
		}
	}
	for _, raw := range []string{"", "great", "87", "6/5", "4/0", "120%", "4/"} {
		if got, err := Rating(raw); !errors.Is(err, ErrUnparsable) {
			t.Errorf("Rating(%q) = %v, %v; want ErrUnparsable", raw, got, err)
		}
	}
}

func TestFingerprint(t *testing.T) {
	const want = "ABCD1234ABCD1234ABCD1234ABCD1234ABCD1234"
	for _, raw := range []string{
		"ABCD 1234 ABCD 1234 ABCD  1234 ABCD 1234 ABCD 1234",
		"abcd1234abcd1234abcd1234abcd1234abcd1234",
		"0xABCD1234ABCD1234ABCD1234ABCD1234ABCD1234",
		"Fingerprint: ABCD 1234 ABCD 1234 ABCD 1234\nABCD 1234 ABCD 1234",
	} {
		got, err := Fingerprint(raw)
		if err != nil || got != want {
			t.Errorf("Fingerprint(%q) = %q, %v; want %q", raw, got, err, want)
		}
	}
	for _, raw := range []string{"", "ABCD", "ABCD1234ABCD1234ABCD1234ABCD1234ABCD123", "ABCD1234ABCD1234ABCD1234ABCD1234ABCD1234AB",
		"ZZCD1234ABCD1234ABCD1234ABCD1234ABCD1234"} {
		if got, err := Fingerprint(raw); !errors.Is(err, ErrUnparsable) {
			t.Errorf("Fingerprint(%q) = %q, %v; want ErrUnparsable", raw, got, err)
		}
	}
}

func TestDate(t *testing.T) {
	tests := []struct{ raw, want string }{
		{"2024-03-01", "2024-03-01"},
		{"2024-03-01T12:00:00Z", "2024-03-01"},
		{"Mar 2024", "2024-03-01"},
		{"Member since March, 2024", "2024-03-01"},
		{"01/03/2024", "2024-03-01"},
		{"1.3.2024", "2024-03-01"},
		{"1 March 2024", "2024-03-01"},
		{"1st Mar. 2024", "2024-03-01"},
		{"March 1, 2024", "2024-03-01"},
		{"sept 2023", "2023-09-01"},
	}
	for _, tt := range tests {
		got, err := Date(tt.raw)
		if err != nil || got.Format(time.DateOnly) != tt.want || got.Location() != time.UTC {
			t.Errorf("Date(%q) = %v, %v; want %s", tt.raw, got, err, tt.want)
		}
	}
	for _, raw := range []string{"", "yesterday", "2024-13-01", "31/02/2024", "Mar 1889", "3 days ago"} {
		if got, err := Date(raw); !errors.Is(err, ErrUnparsable) {
			t.Errorf("Date(%q) = %v, %v; want ErrUnparsable", raw, got, err)
		}
	}
}

func TestBool(t *testing.T) {
	tests := []struct {
		raw  string
		want bool
	}{
		{"yes", true}, {"Escrow", true}, {"true", true}, {"✓", true}, {"Yes.", true}, {"Escrow available", true},
		{"no", false}, {"FE", false}, {"false", false}, {"No escrow", false}, {"✗", false}, {"Finalize Early", false},
	}
	for _, tt := range tests {
		got, err := Bool(tt.raw)
		if err != nil || got != tt.want {
			t.Errorf("Bool(%q) = %v, %v; want %v", tt.raw, got, err, tt.want)
		}
	}
	for _, raw := range []string{"", "maybe", "42"} {
		if _, err := Bool(raw); !errors.Is(err, ErrUnparsable) {
			t.Errorf("Bool(%q) = %v; want ErrUnparsable", raw, err)
		}
	}
}

func TestRatesUSD(t *testing.T) {
	r := Rates{USDPer: map[string]float64{"BTC": 65000, "EUR": 1.08, "BAD": -1}}
	tests := []struct {
		m    event.Money
		want float64
		ok   bool
	}{
		{event.Money{Amount: 45, Currency: "USD"}, 45, true},
		{event.Money{Amount: 0.0012, Currency: "BTC"}, 78, true},
		{event.Money{Amount: 10, Currency: "EUR"}, 10.8, true},
		{event.Money{Amount: 1, Currency: "XMR"}, 0, false},
		{event.Money{Amount: 1, Currency: "BAD"}, 0, false},
		{event.Money{Amount: 1}, 0, false},
	}
	for _, tt := range tests {
		got, ok := r.USD(tt.m)
		if got != tt.want || ok != tt.ok {
			t.Errorf("USD(%+v) = %v, %v; want %v, %v", tt.m, got, ok, tt.want, tt.ok)
		}
	}
}

func TestCut(t *testing.T) {
	s := "añb" // ñ is two bytes
	if got := cut(s, 2); got != "a" || !utf8.ValidString(got) {
		t.Errorf("cut = %q", got)
	}
}

var hexRE = regexp.MustCompile(`^[0-9A-F]{40}$`)

func FuzzMoney(f *testing.F) {
	for _, s := range []string{"USD 45.00", "1.234,56 €", "฿0.0012", "1 234,56 €", "$", "\xff$1", "1,2,3.4.5 USD"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		m, err := Money(raw)
		if err != nil {
			if !errors.Is(err, ErrUnparsable) {
				t.Fatalf("error does not wrap ErrUnparsable: %v", err)
			}
			return
		}
		if m.Currency == "" || m.Amount < 0 || math.IsNaN(m.Amount) || math.IsInf(m.Amount, 0) {
			t.Fatalf("Money(%q) = %+v", raw, m)
		}
		for _, c := range m.Currency {
			if c < 'A' || c > 'Z' {
				t.Fatalf("currency %q not upper case", m.Currency)
			}
		}
	})
}

func FuzzFingerprint(f *testing.F) {
	for _, s := range []string{"ABCD 1234 ABCD 1234 ABCD 1234 ABCD 1234 ABCD 1234", "0x", "fpr: 00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		fp, err := Fingerprint(raw)
		if err != nil {
			if !errors.Is(err, ErrUnparsable) {
				t.Fatalf("error does not wrap ErrUnparsable: %v", err)
			}
			return
		}
		if !hexRE.MatchString(fp) {
			t.Fatalf("Fingerprint(%q) = %q", raw, fp)
		}
	})
}

func FuzzNumbers(f *testing.F) {
	for _, s := range []string{"1,234", "(1.2k)", "98%", "4.9/5", "Mar 2024", "01/03/2024", "yes", "9/0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		if _, err := Int(raw); err != nil && !errors.Is(err, ErrUnparsable) {
			t.Fatalf("Int: %v", err)
		}
		if v, err := Float(raw); err == nil && (v < 0 || math.IsNaN(v) || math.IsInf(v, 0)) {
			t.Fatalf("Float(%q) = %v", raw, v)
		}
		if v, err := Rating(raw); err == nil && (v < 0 || v > 5 || math.IsNaN(v)) {
			t.Fatalf("Rating(%q) = %v", raw, v)
		}
		if d, err := Date(raw); err == nil && (d.Year() < 1990 || d.Year() > 2100) {
			t.Fatalf("Date(%q) = %v", raw, d)
		}
		_, _ = Bool(raw)
	})
}
