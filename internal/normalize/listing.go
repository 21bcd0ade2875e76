package normalize

import (
	"math"
	"strings"

	"github.com/counternet/counternet/internal/event"
	"github.com/counternet/counternet/internal/pipeline"
)

// Listing turns an extracted listing record into a listing event. Each
// field is normalized by its parser; raw text is kept where the event has
// room for it (price.raw, category_raw, ships_from_raw, ships_to_raw,
// listed_raw); a field that does not normalize is left empty and named in
// Flags ("price", "ships_from"); text over its bound is cut on a
// character boundary and flagged ("title:truncated"). The record is never
// dropped; Listing calls Finalize.
//
//   - price: Money; with no currency on the page the price stays empty and
//     is flagged, unless the record has a "currency" field (a site-file
//     default). A price stated per unit ("30 EUR/g") is flagged
//     "price:per_unit" and turned into the price of the listing's quantity
//     when that is in the same unit; with no quantity the listing is taken
//     to offer one such unit. price_max is the upper end of a range.
//   - prices: every price the page shows (price, price_usd, price_btc,
//     price_xmr, price_ltc, price_eur, price_gbp), each with its currency
//     (the field's own when the text names none) and raw text.
//   - price_usd: see listingUSD; its basis says whether the page showed
//     it, a rate the page states converted it, or an operator rate valid
//     for the capture date did; otherwise it stays 0 with basis "none" and
//     the flag "price_usd". No rate is ever assumed.
//   - quantity and unit: from the quantity and unit fields (Quantity,
//     UnitCode) or, when the record has no quantity field, from the title;
//     always in grams, millilitres or units (unit "g", "ml", "unit"). An
//     unknown unit word is kept lower-cased and flagged "unit". quantity
//     is the amount offered per unit of sale; stock the items available.
//   - category: the taxonomy code of the breadcrumb and title
//     (CategoryOf); unmapped, the raw breadcrumb is kept and "category"
//     flagged.
//   - ships_to: see shipsTo; "domestic" resolves to ships_from when it is
//     known.
//   - dates (listed_at) keep their time and are UTC; counts (stock, views,
//     sold, vendor_sales) are nil when not shown; finalize_early and
//     escrow are tri-state.
//   - crypto addresses: every valid address in any field (CryptoAddresses);
//     a field with the "crypto" parser holding none is flagged.
//   - attributes.<key> fields become typed attributes (Attributes).
func Listing(rec pipeline.Record, prov event.Provenance, rates Rates) event.Listing {
	var fl flags
	fs := fields{rec: rec, flags: &fl}
	l := event.Listing{Provenance: prov}

	l.ListingID = fs.text("listing_id", event.MaxText)
	if l.ListingID == "" {
		fl.add("listing_id")
	}
	l.Title = fs.text("title", event.MaxTitle)
	l.Description = fs.multiline("description", event.MaxDescription)
	l.CategoryRaw = fs.text("category", event.MaxText)
	l.Vendor = fs.text("vendor", event.MaxText)
	if code, ok := CategoryOf(l.CategoryRaw, l.Title); ok {
		l.Category = code
	} else if l.CategoryRaw != "" || l.Title != "" {
		fl.add("category")
	}

	per := listingPrice(fs, &l)
	l.Quantity, l.Unit = listingQuantity(fs, l.Title)
	if per.Unit != "" {
		fl.add("price:per_unit")
		switch {
		case l.Quantity == 0 && (l.Unit == "" || l.Unit == per.Unit):
			l.Quantity, l.Unit = per.Quantity, per.Unit
		case l.Unit == per.Unit && per.Quantity > 0:
			l.Price.Amount = math.Round(l.Price.Amount*l.Quantity/per.Quantity*1e8) / 1e8
		}
	}
	l.Prices = listingPrices(fs, l.Price)
	listingUSD(fs, &l, rates)

	l.ShipsFrom, l.ShipsFromRegion, l.ShipsFromRaw = shipsFrom(fs)
	if raw, parser, ok := fs.get("ships_to"); ok {
		l.ShipsToRaw = fs.bound("ships_to_raw", raw, event.MaxText)
		l.ShipsTo, l.ShipsToBasis, l.ShipsToExcluded = shipsTo(fs, raw, parser, l.ShipsFrom)
	}

	if raw, _, ok := fs.get("payment_methods"); ok {
		l.PaymentMethods = paymentMethods(fs, raw)
	}
	if b := fs.boolean("escrow"); b != nil {
		l.Escrow, l.EscrowKnown = *b, true
	}
	l.FinalizeEarly = finalizeEarly(fs)
	l.ListedAt, l.ListedRaw = fs.date("listed_at", "listed_raw", prov.ObservedAt)
	l.Stock, l.Views, l.Sold = fs.count("stock"), fs.count("views"), fs.count("sold")
	l.ProductClass, l.ProductClassRaw = productClass(fs)
	l.ShippingOptions = shippingOptions(fs)
	l.VendorRating = rating(fs, "vendor_rating")
	if raw, _, ok := fs.get("vendor_rating"); ok && l.VendorRating == nil && strings.Contains(raw, "%") {
		if p, err := Percent(raw); err == nil {
			l.VendorFeedbackPercent = &p
			fl.delete("vendor_rating:percent")
		}
	}
	l.VendorSales = fs.count("vendor_sales")
	l.VendorLevel = fs.text("vendor_level", event.MaxText)

	l.Crypto = recordCrypto(fs)
	if p, usd, ok := PerUnitPrice(l); ok {
		l.PricePerUnit, l.PricePerUnitUSD = p, usd
	}
	l.Attributes = attributes(fs, prov.ObservedAt)
	l.Flags = fl
	l.Finalize()
	return l
}

// currencyCode reads a currency named alone ("EUR", "€", "bitcoin").
func currencyCode(raw string) string {
	if code, n := currencyAfter(raw); code != "" && strings.TrimSpace(raw[n:]) == "" {
		return code
	}
	return ""
}

// listingQuantity reads quantity and unit from the quantity and unit
// fields, or from the title when there is no quantity field.
func listingQuantity(fs fields, title string) (float64, string) {
	unitRaw := fs.text("unit", event.MaxText)
	unitCode, factor, unitOK := UnitCode(unitRaw)
	raw, parser, ok := fs.get("quantity")
	if !ok {
		if q, u, err := Quantity(title); err == nil {
			return q, u
		}
		if unitRaw == "" {
			return 0, ""
		}
		if !unitOK {
			fs.flags.add("unit")
			return 0, strings.ToLower(unitRaw)
		}
		return 0, unitCode
	}
	if q, u, err := Quantity(raw); err == nil {
		return q, u
	}
	var q float64
	var err error
	if parser == pipeline.ParserInt {
		var n int64
		n, err = Int(raw)
		q = float64(n)
	} else {
		q, err = Float(raw)
	}
	if err != nil || !(q > 0) {
		fs.flags.add("quantity")
		return 0, ""
	}
	switch {
	case unitOK:
		return roundQty(q * factor), unitCode
	case unitRaw != "":
		fs.flags.add("unit")
		return q, strings.ToLower(unitRaw)
	}
	fs.flags.add("unit")
	return q, ""
}
