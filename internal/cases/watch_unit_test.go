package cases_test

import (
	"errors"
	"testing"

	"github.com/counternet/counternet/internal/cases"
)

func TestNormalizeWatch(t *testing.T) {
	tests := []struct {
		kind, in, want string
	}{
		{cases.WatchHandle, "  DutchDirect ", "dutchdirect"},
		{cases.WatchPGP, "0x0123 4567 89ab cdef 0123  4567 89AB CDEF 0123 4567", "0123456789ABCDEF0123456789ABCDEF01234567"},
		{cases.WatchCrypto, " bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq ", "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"},
		{cases.WatchCrypto, "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"},
		{cases.WatchRoute, "de", "DE"},
		// Refused: the error names the value.
		{cases.WatchHandle, "   ", ""},
		{cases.WatchHandle, "two\nlines", ""},
		{cases.WatchPGP, "0123456789ABCDEF", ""},
		{cases.WatchCrypto, "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb", ""},
		{cases.WatchRoute, "DEU", ""},
		{cases.WatchRoute, "Germany", ""},
		{"email", "a@b.invalid", ""},
	}
	for _, tt := range tests {
		got, err := cases.NormalizeWatch(tt.kind, tt.in)
		switch {
		case tt.want == "" && !errors.Is(err, cases.ErrInvalid):
			t.Errorf("NormalizeWatch(%s, %q) = %q, %v; want ErrInvalid", tt.kind, tt.in, got, err)
		case tt.want != "" && (err != nil || got != tt.want):
			t.Errorf("NormalizeWatch(%s, %q) = %q, %v; want %q", tt.kind, tt.in, got, err, tt.want)
		}
	}
}
