package realpages

import (
	"strings"
	"testing"
)

// assertNoChrome fails when a logged-in research account appears as a
// vendor, author or poster, or when a ticker or balance figure of the
// page's chrome appears as a price.
func assertNoChrome(t *testing.T, where string, truth map[string]any, pe *pageEvents) {
	t.Helper()
	account := text(truth["logged_in_as"])
	if truth["logged_in_as"] == nil {
		account = ""
	}
	var all []item
	all = append(append(append(append(all, pe.listings...), pe.vendors...), pe.posts...), pe.threads...)
	if account != "" {
		for _, it := range all {
			for _, k := range []string{"vendor", "handle", "author", "last_poster"} {
				if v, ok := lookup(it.ev, k); ok && strings.EqualFold(text(v), account) {
					t.Errorf("%s: logged-in account %q appears as %s", where, account, k)
				}
			}
		}
	}
	var chrome []float64
	for _, k := range []string{"header_wallet", "exchange_rate_ticker", "exchange_rates_footer", "exchange_rates_header"} {
		collectNumbers(truth[k], &chrome)
	}
	for _, it := range all {
		for _, m := range moneys(it.ev) {
			for _, c := range chrome {
				if c != 0 && near(m.amount, c) {
					t.Errorf("%s: chrome figure %v appears as a price (%s %v %s)", where, c, m.path, m.amount, m.currency)
				}
			}
		}
	}
}

func collectNumbers(v any, out *[]float64) {
	switch x := v.(type) {
	case map[string]any:
		for _, e := range x {
			collectNumbers(e, out)
		}
	case []any:
		for _, e := range x {
			collectNumbers(e, out)
		}
	default:
		for _, m := range numRE.FindAllString(text(v), -1) {
			if n, ok := num(m); ok {
				*out = append(*out, n)
			}
		}
	}
}
