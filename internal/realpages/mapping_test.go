package realpages

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/counternet/counternet/internal/normalize"
)

// fieldMap says which event fields (JSON paths, tried in order) carry a
// truth key, which site-file field extracts it and how values compare.
type fieldMap struct {
	paths []string
	raw   string
	cmp   string
}

func fm(cmp, raw string, paths ...string) fieldMap { return fieldMap{paths: paths, raw: raw, cmp: cmp} }

// listingKeys maps the truth keys of a listing (a product page's listing:
// block, an item of a grid) to listing event fields.
var listingKeys = map[string]fieldMap{
	"title":                   fm("text", "title", "title"),
	"listing_id":              fm("id", "listing_id", "listing_id"),
	"product_id":              fm("id", "listing_id", "listing_id"),
	"item_id":                 fm("id", "listing_id", "listing_id"),
	"product_code":            fm("id", "listing_id", "listing_id"),
	"listing_slug":            fm("id", "listing_id", "listing_id"),
	"item_slug":               fm("id", "listing_id", "listing_id"),
	"vendor":                  fm("text", "vendor", "vendor"),
	"category":                fm("text", "category", "category_raw"),
	"subcategory":             fm("text", "category", "category_raw"),
	"currency":                fm("text", "price", "price.currency"),
	"price_min":               fm("num", "price", "price.amount"),
	"price_max":               fm("num", "price_max", "price_max"),
	"level":                   fm("level", "vendor_level", "vendor_level"),
	"vendor_level":            fm("level", "vendor_level", "vendor_level"),
	"vendor_rating":           fm("num", "vendor_rating", "vendor_rating"),
	"vendor_sales_or_count":   fm("num", "vendor_sales", "vendor_sales"),
	"escrow_only":             fm("bool", "escrow", "escrow"),
	"fe":                      fm("bool", "finalize_early", "finalize_early"),
	"stock_left":              fm("num", "stock", "stock"),
	"type":                    fm("class", "product_class", "product_class"),
	"class":                   fm("class", "product_class", "product_class"),
	"product_class":           fm("class", "product_class", "product_class"),
	"product_type":            fm("class", "product_class", "product_class"),
	"date":                    fm("date", "listed_at", "listed_at"),
	"views":                   fm("num", "views", "views"),
	"sold":                    fm("num", "sold", "sold"),
	"sales":                   fm("num", "sold", "sold"),
	"sales_since":             fm("date", "attributes.sold_since", "attributes.sold_since"),
	"promoted_ad":             fm("bool", "attributes.ad_label", "attributes.promoted"),
	"thumbs_up":               fm("num", "attributes.thumbs_up", "attributes.thumbs_up"),
	"vendor_last_seen_raw":    fm("textci", "attributes.vendor_last_seen", "attributes.vendor_last_seen"),
	"vendor_score_shown":      fm("text", "attributes.vendor_score", "attributes.vendor_score"),
	"vendor_score_title_attr": fm("text", "attributes.vendor_score_title", "attributes.vendor_score_title"),
	"quantity_left":           fm("textci", "attributes.quantity_left", "attributes.quantity_left"),
	"ends_in":                 fm("textci", "attributes.ends_in", "attributes.ends_in"),
	"listing_type":            fm("textci", "attributes.listing_type", "attributes.listing_type"),
	"feedback_count_on_page":  fm("num", "attributes.feedback_count", "attributes.feedback_count"),
	"discussion_count":        fm("num", "attributes.discussion_count", "attributes.discussion_count"),
	"description_first_line":  fm("prefix", "description", "description"),
	"terms_first_line":        fm("prefix", "attributes.terms", "attributes.terms"),
	"finalize_early":          fm("bool", "finalize_early", "finalize_early"),
	"escrow_type":             fm("textci", "attributes.escrow_type", "attributes.escrow_type"),
	"weight":                  fm("num", "quantity", "quantity"),
	"quantity_button":         fm("text", "attributes.quantity_button", "attributes.quantity_button"),
	"quantity_selector_max":   fm("num", "attributes.quantity_max", "attributes.quantity_max"),
}

// listingVendorKeys maps the vendor: block of a product page to the
// listing's vendor fields.
var listingVendorKeys = map[string]fieldMap{
	"name":                  fm("text", "vendor", "vendor"),
	"rating":                fm("num", "vendor_rating", "vendor_rating"),
	"score":                 fm("num", "vendor_rating", "vendor_rating"),
	"rating_percent":        fm("num", "attributes.vendor_feedback_percent", "attributes.vendor_feedback_percent"),
	"transactions":          fm("num", "vendor_sales", "vendor_sales"),
	"sales":                 fm("num", "vendor_sales", "vendor_sales"),
	"level":                 fm("level", "vendor_level", "vendor_level"),
	"level_points":          fm("num", "attributes.vendor_level_points", "attributes.vendor_level_points"),
	"vendor_id":             fm("id", "attributes.vendor_id", "attributes.vendor_id"),
	"deals_range":           fm("text", "attributes.vendor_deals", "attributes.vendor_deals"),
	"feedback_positive":     fm("num", "attributes.vendor_feedback_positive", "attributes.vendor_feedback_positive"),
	"feedback_negative":     fm("num", "attributes.vendor_feedback_negative", "attributes.vendor_feedback_negative"),
	"sold_since_normalized": fm("date", "attributes.vendor_sold_since", "attributes.vendor_sold_since"),
}

// notScored are truth keys that describe the page rather than a value an
// event carries, with the reason; they are listed once, not counted.
var notScored = map[string]string{
	"page": "meta", "market": "meta", "forum": "meta", "page_type": "meta", "language": "meta",
	"html_title": "the <title>, not a record field", "html_title_decoded": "the <title>, not a record field",
	"logged_in_as": "asserted never a vendor/author", "onion_host": "site file mirrors",
	"hard_parts": "notes", "note": "notes", "notes": "notes", "capture_time_estimate": "capture time",
	"capture_date_estimate": "capture time", "capture_date": "capture time", "serialization_note": "notes",
	"sort": "page state", "date_formats_seen": "notes", "header_wallet": "asserted never a price",
	"exchange_rate_ticker": "asserted never a price", "exchange_rates_footer": "asserted never a price",
	"exchange_rates_header": "asserted never a price", "header_balances": "account balance, never a price",
	"header_balance": "account balance, never a price", "site_footer_stats": "site chrome",
	"market_notice": "site chrome", "navigation_noise": "asserted never items", "featured_block": "header block, not grid items",
	"nested_vendor_blocks": "asserted never items", "sidebar_category_counts": "sidebar", "logo_text": "site chrome",
	"view_mode": "page state", "item_fields": "notes", "currencies_on_page": "covered by the items' prices",
	"duplicates": "notes", "duplicate_titles_on_page": "notes", "filters_active": "page state",
	"result_count_raw": "page chrome", "display_currency": "page state", "site_version": "site chrome",
	"breadcrumb": "scored as the thread board on thread pages", "expected_extractor_behaviour": "scored as items_on_page",
	"description_note": "notes", "body_note": "notes", "markup_note": "notes", "active_tab": "page state",
	"rating_scale": "fixed 0-5 scale of rating", "raw": "raw form of a normalized value",
	"stats_raw": "raw form of a normalized value", "rating_raw": "raw form of a normalized value",
	"score_raw": "raw form of a normalized value", "level_raw": "raw form of a normalized value",
	"feedback_raw": "raw form of a normalized value", "sold_since_raw": "raw form of a normalized value",
	"sales_raw": "raw form of a normalized value", "escrow_normalized": "scored with escrow",
	"hidden_decoy_price": "asserted never the price", "position": "item position", "quantity_options": "form control",
	"payment_currency_options": "scored as payment_options", "topic": "a summary, not a page value",
	"subject": "a summary, not a page value", "service_offered": "a summary, not a page value",
	"offer": "a summary of the post body", "services_named": "a summary of the post bodies",
	"edited_note_example": "notes", "duplicate_posts": "notes", "distinct_posts": "notes",
	"date_format": "notes", "user_titles_seen": "notes", "author_group_class": "CSS class",
	"pgp_key": "scored as pgp_key_present", "ships_from_on_cards": "notes", "item_slug": "scored with listing_id",
	"basket_id": "scored with listing_id", "vendor_id": "scored on the vendor", "contact_handles_in_signatures": "notes",
	"btc_usd_rate": "ticker", "note2": "notes",
}

// scoreListing scores a listing block (product page or grid item) against
// one listing event.
func (sc *scorer) scoreListing(prefix string, b map[string]any, it *item) {
	keys := sortedKeys(b)
	// Raw forms are scored only where no normalized value is stated.
	for _, k := range keys {
		v := b[k]
		f := prefix + k
		if strings.HasSuffix(k, "_raw") {
			base := strings.TrimSuffix(k, "_raw")
			if _, ok := b[base]; ok {
				continue
			}
		}
		switch k {
		case "listing_id", "product_id", "item_id", "product_code", "listing_slug", "item_slug", "basket_id":
			if k == "basket_id" && b["item_slug"] != nil {
				continue
			}
			sc.check(spec{field: f, want: v, typ: "listing", it: it, paths: []string{"listing_id"}, raw: "listing_id", cmp: "id"})
		case "price":
			switch p := v.(type) {
			case map[string]any:
				a, _ := num(p["amount"])
				sc.checkMoney(f, it, "listing", a, text(p["currency"]))
			default:
				sc.check(spec{field: f, want: v, typ: "listing", it: it, paths: []string{"price.amount"}, raw: "price", cmp: "num"})
			}
		case "price_raw":
			sc.check(spec{field: f, want: v, typ: "listing", it: it, paths: []string{"price.raw"}, raw: "price", cmp: "text"})
		case "other_prices":
			list := asList(v)
			if m, ok := v.(map[string]any); ok {
				list = asList(m["values"])
			}
			for i, e := range list {
				m, _ := e.(map[string]any)
				a, _ := num(m["amount"])
				sc.checkMoney(fmt.Sprintf("%s[%d]", f, i), it, "listing", a, text(m["currency"]))
			}
		case "btc":
			a, _ := num(v)
			sc.checkMoney(f, it, "listing", a, "BTC")
		case "ships_from", "location":
			sc.checkPlace(f, v, it, "listing", "ships_from")
		case "ships_to", "ships_to_raw":
			if k == "ships_to_raw" && b["ships_to"] != nil {
				continue
			}
			sc.checkShipsTo(f, v, it)
		case "category_path":
			if _, ok := b["category"]; ok {
				continue
			}
			var parts []string
			for _, p := range asList(v) {
				s := text(p)
				if s == "Home" || s == text(b["title"]) {
					continue
				}
				parts = append(parts, s)
			}
			sc.check(spec{field: f, want: strings.Join(parts, " > "), typ: "listing", it: it, paths: []string{"category_raw"}, raw: "category", cmp: "text"})
		case "vendor":
			if m, ok := v.(map[string]any); ok {
				sc.scoreBlock(f+".", m, it, "listing", listingVendorKeys)
				continue
			}
			sc.check(spec{field: f, want: v, typ: "listing", it: it, paths: []string{"vendor"}, raw: "vendor", cmp: "text"})
		case "escrow", "payment", "escrow_or_fe":
			sc.checkEscrow(f, v, it)
		case "stock":
			if n, ok := num(v); ok {
				sc.check(spec{field: f, want: n, typ: "listing", it: it, paths: []string{"stock"}, raw: "stock", cmp: "num"})
			} else {
				sc.check(spec{field: f, want: v, typ: "listing", it: it, paths: []string{"attributes.stock"}, raw: "attributes.stock", cmp: "textci"})
			}
		case "stock_raw":
			sc.check(spec{field: f, want: v, typ: "listing", it: it, paths: []string{"attributes.stock"}, raw: "attributes.stock", cmp: "textci"})
		case "feedback":
			m, _ := v.(map[string]any)
			sc.check(spec{field: f + ".positive", want: m["positive"], typ: "listing", it: it, paths: []string{"attributes.vendor_feedback_positive"}, raw: "attributes.vendor_feedback_positive", cmp: "num"})
			sc.check(spec{field: f + ".negative", want: m["negative"], typ: "listing", it: it, paths: []string{"attributes.vendor_feedback_negative"}, raw: "attributes.vendor_feedback_negative", cmp: "num"})
		case "shipping_options":
			for i, e := range asList(v) {
				m, _ := e.(map[string]any)
				raw := text(m["raw"])
				if m["raw"] == nil {
					raw = text(m["raw_name"])
				}
				sc.check(spec{field: fmt.Sprintf("%s[%d]", f, i), want: raw, typ: "listing", it: it, paths: []string{"shipping_options"}, raw: "shipping_options", cmp: "contains"})
			}
		case "accepted", "payment_options", "payment_currency_options":
			for _, e := range asList(v) {
				s := strings.TrimSuffix(text(e), " (disabled)")
				sc.check(spec{field: f + "[" + s + "]", want: s, typ: "listing", it: it, paths: []string{"payment_methods"}, raw: "payment_methods", cmp: "payment"})
			}
		case "badges", "tags":
			for _, e := range asList(v) {
				sc.check(spec{field: f + "[" + text(e) + "]", want: e, typ: "listing", it: it, paths: []string{"attributes." + k}, raw: "attributes." + k, cmp: "contains"})
			}
		case "description_mentions":
			for i, part := range strings.Split(text(v), "; ") {
				sc.check(spec{field: fmt.Sprintf("%s[%d]", f, i), want: part, typ: "listing", it: it, paths: []string{"description"}, raw: "description", cmp: "contains"})
			}
		case "reviews":
			sc.add(f, reviewsShown(v), nil, missing, "reviews: no review record type in the contract (needs a review record and event)")
		default:
			if m, ok := listingKeys[k]; ok {
				sc.check(spec{field: f, want: v, typ: "listing", it: it, paths: m.paths, raw: m.raw, cmp: m.cmp})
				continue
			}
			sc.unmapped(f)
		}
	}
}

// scoreBlock scores the keys of b with a table.
func (sc *scorer) scoreBlock(prefix string, b map[string]any, it *item, typ string, table map[string]fieldMap) {
	for _, k := range sortedKeys(b) {
		if strings.HasSuffix(k, "_raw") {
			if _, ok := b[strings.TrimSuffix(k, "_raw")]; ok {
				continue
			}
		}
		m, ok := table[k]
		if !ok {
			sc.unmapped(prefix + k)
			continue
		}
		sc.check(spec{field: prefix + k, want: b[k], typ: typ, it: it, paths: m.paths, raw: m.raw, cmp: m.cmp})
	}
}

// unmapped notes a truth key the test has no mapping for (not counted).
func (sc *scorer) unmapped(field string) {
	last := field[strings.LastIndexAny(field, ".]")+1:]
	if why, ok := notScored[last]; ok {
		_ = why
		return
	}
	sc.add(field, nil, nil, unscored, "no mapping in the test")
}

// checkPlace compares an origin: a country (name or code) by its ISO code,
// anything else (a region, "Torland", "Worldwide") by the text shown.
func (sc *scorer) checkPlace(field string, v any, it *item, typ, raw string) {
	want := v
	if m, ok := v.(map[string]any); ok {
		want = m["title_attr"]
		if want == nil || want == "" {
			want = m["raw"]
		}
	}
	if want == nil {
		sc.check(spec{field: field, want: nil, typ: typ, it: it, paths: []string{"ships_from", "ships_from_raw"}, raw: raw})
		return
	}
	if code, err := normalize.Country(text(want)); err == nil {
		sc.check(spec{field: field, want: code, typ: typ, it: it, paths: []string{"ships_from"}, raw: raw, cmp: "text"})
		return
	}
	sc.check(spec{field: field, want: want, typ: typ, it: it, paths: []string{"ships_from_raw", "ships_from_region"}, raw: raw, cmp: "textci"})
}

// checkShipsTo compares destinations: country lists by code, "Worldwide"
// and region words by the text shown, worldwide-except by the excluded
// codes, domestic-only by the destination.
func (sc *scorer) checkShipsTo(field string, v any, it *item) {
	base := spec{field: field, typ: "listing", it: it, raw: "ships_to"}
	switch x := v.(type) {
	case nil:
		base.paths = []string{"ships_to", "ships_to_raw"}
		sc.check(base)
	case map[string]any:
		switch x["mode"] {
		case "worldwide_except":
			for _, c := range asList(x["except"]) {
				code, _ := normalize.Country(text(c))
				sc.check(spec{field: field + ".except[" + text(c) + "]", want: code, typ: "listing", it: it, paths: []string{"ships_to_excluded"}, raw: "ships_to", cmp: "contains"})
			}
		case "domestic_only":
			for _, c := range asList(x["countries"]) {
				code, _ := normalize.Country(text(c))
				sc.check(spec{field: field + "[" + text(c) + "]", want: code, typ: "listing", it: it, paths: []string{"ships_to"}, raw: "ships_to", cmp: "contains"})
			}
		default:
			want := x["title_attr"]
			if want == nil || want == "" {
				want = x["raw"]
			}
			sc.checkShipsTo(field, want, it)
		}
	case []any:
		for _, c := range x {
			sc.check(spec{field: field + "[" + text(c) + "]", want: c, typ: "listing", it: it, paths: []string{"ships_to_raw"}, raw: "ships_to", cmp: "contains"})
		}
	default:
		if codes, ok := normalize.Countries(text(v)); ok && len(codes) > 0 {
			base.want, base.paths, base.cmp = strings.Join(codes, ","), []string{"ships_to"}, "text"
			sc.check(base)
			return
		}
		base.want, base.paths, base.cmp = v, []string{"ships_to_raw"}, "textci"
		sc.check(base)
	}
}

// checkEscrow reads escrow and finalize-early wordings of the truth files.
func (sc *scorer) checkEscrow(field string, v any, it *item) {
	s := strings.ToLower(text(v))
	switch {
	case v == nil:
		sc.check(spec{field: field, want: nil, typ: "listing", it: it, paths: []string{"escrow", "finalize_early"}, raw: "escrow"})
	case s == "false" || s == "true":
		sc.check(spec{field: field, want: v, typ: "listing", it: it, paths: []string{"escrow"}, raw: "escrow", cmp: "bool"})
	case strings.HasPrefix(s, "escrow ("):
		sc.check(spec{field: field, want: true, typ: "listing", it: it, paths: []string{"escrow"}, raw: "escrow", cmp: "bool"})
	case strings.Contains(s, "no escrow"):
		sc.check(spec{field: field, want: false, typ: "listing", it: it, paths: []string{"escrow"}, raw: "escrow", cmp: "bool"})
	case strings.Contains(s, "fe required"):
		sc.check(spec{field: field, want: true, typ: "listing", it: it, paths: []string{"finalize_early"}, raw: "finalize_early", cmp: "bool"})
	case strings.Contains(s, "escrow"):
		sc.check(spec{field: field, want: true, typ: "listing", it: it, paths: []string{"escrow"}, raw: "escrow", cmp: "bool"})
	default:
		sc.unmapped(field)
	}
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// relRE reads the parts of a relative age ("1 day, 23 hours").
var relRE = regexp.MustCompile(`(\d+)\s*(year|month|week|day|hour|minute)s?`)

// ago is the time a relative age before t.
func ago(t time.Time, s string) (time.Time, bool) {
	ms := relRE.FindAllStringSubmatch(s, -1)
	if ms == nil {
		return time.Time{}, false
	}
	for _, m := range ms {
		n, _ := strconv.Atoi(m[1])
		switch m[2] {
		case "year":
			t = t.AddDate(-n, 0, 0)
		case "month":
			t = t.AddDate(0, -n, 0)
		case "week":
			t = t.AddDate(0, 0, -7*n)
		case "day":
			t = t.AddDate(0, 0, -n)
		case "hour":
			t = t.Add(-time.Duration(n) * time.Hour)
		case "minute":
			t = t.Add(-time.Duration(n) * time.Minute)
		}
	}
	return t, true
}

var _ = slices.Contains[[]string]
