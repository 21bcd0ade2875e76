package links

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/counternet/counternet/internal/fixture"
	"github.com/counternet/counternet/internal/normalize"
)

// FixtureAccounts returns the vendor accounts of w as their profile and
// listing pages show them (texts read through the normalizer's contact
// and history-claim parsers, as collection would), and the identity
// behind each (w.Accounts). Photos are the listings' photos as the
// collector hashes them (photofixture.go). The authors of the forums'
// posts follow (posts.go). Captures are left empty: the
// pages of a generated world are not captured.
func FixtureAccounts(w *fixture.World) ([]Account, []int, error) {
	var accounts []Account
	var identity []int
	for _, m := range w.AllMarkets() {
		listings := map[string][]fixture.Listing{}
		for _, l := range m.Listings {
			listings[l.Vendor] = append(listings[l.Vendor], l)
		}
		for _, v := range m.Vendors {
			a := Account{Source: m.Name, Handle: v.Handle, ShipsFrom: v.ShipsFrom}
			if acc, _ := w.AccountOf(m.Name, v.Handle); acc.PGPKey != "" {
				if err := a.addArmoredKeys(acc.PGPKey); err != nil {
					return nil, nil, fmt.Errorf("links: the key of %s on %s: %w", v.Handle, m.Name, err)
				}
				if !slices.Contains(a.PGP, v.PGPFingerprint) {
					return nil, nil, fmt.Errorf("links: the key of %s on %s is not its fingerprint %s", v.Handle, m.Name, v.PGPFingerprint)
				}
			} else if v.PGPFingerprint != "" {
				a.PGP = []string{v.PGPFingerprint}
			}
			for _, c := range v.Crypto {
				a.Crypto = append(a.Crypto, c.Address)
			}
			prices := map[string][]float64{}
			for _, l := range listings[v.Handle] {
				if !slices.Contains(a.Texts, l.Description) {
					a.AddText(l.Description)
				}
				cat, _ := normalize.CategoryOf(l.Category, l.Title)
				if cat != "" && l.Quantity > 0 {
					prices[cat] = append(prices[cat], m.PriceUSD(l)/l.Quantity)
				}
				a.ShipsTo = addAll(a.ShipsTo, l.ShipsTo...)
				a.addFromText(l.Description)
			}
			a.setPrices(prices)
			if err := a.addFixturePhotos(m, listings[v.Handle]); err != nil {
				return nil, nil, err
			}
			id, _ := w.IdentityOf(m.Name, v.Handle)
			accounts = append(accounts, a)
			identity = append(identity, id)
		}
	}
	fa, fi := fixtureForumAccounts(w)
	return append(accounts, fa...), append(identity, fi...), nil
}

// addFromText adds what a text names: contacts, claims of history and
// shipping methods.
func (a *Account) addFromText(t string) {
	for _, c := range normalize.TypedContacts(t) {
		a.Contacts = addAll(a.Contacts, c.Kind+":"+strings.ToLower(c.Value))
	}
	for _, c := range normalize.HistoryClaims(t) {
		a.Claims = addAll(a.Claims, strings.ToLower(c.Market))
	}
	a.Shipping = addAll(a.Shipping, ShippingMethods(t)...)
}

// setPrices sets the median unit price of each category (and the
// categories).
func (a *Account) setPrices(prices map[string][]float64) {
	if len(prices) == 0 {
		return
	}
	a.Prices = map[string]float64{}
	for c, ps := range prices {
		sort.Float64s(ps)
		a.Prices[c] = ps[len(ps)/2]
		a.Categories = addAll(a.Categories, c)
	}
	slices.Sort(a.Categories)
}

func addAll(list []string, vs ...string) []string {
	for _, v := range vs {
		if v != "" && !slices.Contains(list, v) {
			list = append(list, v)
		}
	}
	return list
}

// shippingWords are the shipping methods and packing a text may name.
var shippingWords = []string{"vacuum", "mbb", "dvd", "letter", "tracked", "decoy", "express", "signature", "smell proof",
	"next day", "first class", "registered", "priority", "dead drop", "courier"}

// ShippingMethods lists the shipping methods t names.
func ShippingMethods(t string) []string {
	t = strings.ToLower(t)
	var out []string
	for _, w := range shippingWords {
		if strings.Contains(t, w) {
			out = append(out, w)
		}
	}
	return out
}
