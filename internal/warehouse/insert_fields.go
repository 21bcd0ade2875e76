package warehouse

import (
	"strings"
	"time"

	"github.com/counternet/counternet/internal/event"
)

// The columns migration 0060 added to listing_obs, vendor_obs and post_obs,
// and the thread_obs table: every field of the events reaches a column.

// listingFieldColumns go after listingColumns' in a listing_obs insert.
func listingFieldColumns(ls []event.Listing) []column {
	n := len(ls)
	var (
		pricesAmount, shipCosts                    = mk[[]float64](n), mk[[]float64](n)
		pricesCurrency, pricesRaw, basis           = mk[[]string](n), mk[[]string](n), mk[[]string](n)
		shipMethods, shipCurrencies, shipDurations = mk[[]string](n), mk[[]string](n), mk[[]string](n)
		shipDests, shipRaw                         = mk[[]string](n), mk[[]string](n)
		attrKeys, attrTypes, attrValues            = mk[[]string](n), mk[[]string](n), mk[[]string](n)
		priceMax, usdRate                          = mk[float64](n), mk[float64](n)
		usdBasis, fromRegion, listedRaw            = mk[string](n), mk[string](n), mk[string](n)
		class, classRaw, vendorLevel               = mk[string](n), mk[string](n), mk[string](n)
		listedAt                                   = mk[time.Time](n)
		stock, views, sold, vendorSales            = mk[*int64](n), mk[*int64](n), mk[*int64](n), mk[*int64](n)
		vendorRating, vendorFeedback               = mk[*float64](n), mk[*float64](n)
		fe                                         = mk[*uint8](n)
		escrowKnown                                = mk[uint8](n)
	)
	for i := range ls {
		l := &ls[i]
		pricesAmount[i], pricesCurrency[i], pricesRaw[i] = splitMoney(l.Prices)
		priceMax[i], usdBasis[i], usdRate[i] = l.PriceMax, l.PriceUSDBasis, l.PriceUSDRate
		basis[i], fromRegion[i] = orEmpty(l.ShipsToBasis), l.ShipsFromRegion
		listedAt[i], listedRaw[i] = clampTime(l.ListedAt), l.ListedRaw
		stock[i], views[i], sold[i] = l.Stock, l.Views, l.Sold
		class[i], classRaw[i], fe[i], escrowKnown[i] = l.ProductClass, l.ProductClassRaw, boolPtrUInt8(l.FinalizeEarly), boolUInt8(l.EscrowKnown)
		shipMethods[i], shipCosts[i], shipCurrencies[i], shipDurations[i], shipDests[i], shipRaw[i] = splitOptions(l.ShippingOptions)
		vendorRating[i], vendorSales[i], vendorLevel[i] = l.VendorRating, l.VendorSales, l.VendorLevel
		vendorFeedback[i] = l.VendorFeedbackPercent
		attrKeys[i], attrTypes[i], attrValues[i] = splitAttrs(l.Attributes)
	}
	return []column{
		{"prices_amount", pricesAmount}, {"prices_currency", pricesCurrency}, {"prices_raw", pricesRaw},
		{"price_max", priceMax}, {"price_usd_basis", usdBasis}, {"price_usd_rate", usdRate},
		{"ships_to_basis", basis}, {"ships_from_region", fromRegion}, {"listed_at", listedAt}, {"listed_raw", listedRaw},
		{"stock", stock}, {"views", views}, {"sold", sold}, {"product_class", class}, {"product_class_raw", classRaw},
		{"finalize_early", fe}, {"escrow_known", escrowKnown},
		{"shipping_methods", shipMethods}, {"shipping_costs", shipCosts}, {"shipping_currencies", shipCurrencies},
		{"shipping_durations", shipDurations}, {"shipping_destinations", shipDests}, {"shipping_raw", shipRaw},
		{"vendor_rating", vendorRating}, {"vendor_sales", vendorSales}, {"vendor_level", vendorLevel},
		{"vendor_feedback_percent", vendorFeedback},
		{"attr_keys", attrKeys}, {"attr_types", attrTypes}, {"attr_values", attrValues},
	}
}

// vendorFieldColumns go after vendorColumns' in a vendor_obs insert.
func vendorFieldColumns(vs []event.Vendor) []column {
	n := len(vs)
	var (
		joinedAt, lastOnline                        = mk[time.Time](n), mk[time.Time](n)
		fromRegion, toRaw, lastRaw                  = mk[string](n), mk[string](n), mk[string](n)
		level, trust, historyRaw, title             = mk[string](n), mk[string](n), mk[string](n), mk[string](n)
		to, basis, excluded                         = mk[[]string](n), mk[[]string](n), mk[[]string](n)
		histMarkets, histClaims                     = mk[[]string](n), mk[[]string](n)
		histSales                                   = mk[[]int64](n)
		histRatings, histMax                        = mk[[]float64](n), mk[[]float64](n)
		contactKinds, contactValues                 = mk[[]string](n), mk[[]string](n)
		attrKeys, attrTypes, attrValues             = mk[[]string](n), mk[[]string](n), mk[[]string](n)
		uids, subkeys                               = mk[[]string](n), mk[[]string](n)
		feedback                                    = mk[*float64](n)
		levelNum, trustNum, disputesWon, disputesLo = mk[*int64](n), mk[*int64](n), mk[*int64](n), mk[*int64](n)
		verified, fe                                = mk[*uint8](n), mk[*uint8](n)
	)
	for i := range vs {
		v := &vs[i]
		joinedAt[i], fromRegion[i] = clampTime(v.JoinedAt), v.ShipsFromRegion
		to[i], basis[i], toRaw[i], excluded[i] = orEmpty(v.ShipsTo), orEmpty(v.ShipsToBasis), v.ShipsToRaw, orEmpty(v.ShipsToExcluded)
		lastOnline[i], lastRaw[i], feedback[i] = clampTime(v.LastSeen), v.LastSeenRaw, v.FeedbackPercent
		level[i], levelNum[i], trust[i], trustNum[i] = v.Level, v.LevelNum, v.TrustLevel, v.TrustLevelNum
		verified[i], disputesWon[i], disputesLo[i] = boolPtrUInt8(v.Verified), v.DisputesWon, v.DisputesLost
		histMarkets[i], histSales[i], histRatings[i], histMax[i], histClaims[i] = splitHistory(v.History)
		historyRaw[i], fe[i], title[i] = v.HistoryRaw, boolPtrUInt8(v.FinalizeEarly), v.Title
		contactKinds[i], contactValues[i] = splitContacts(v.TypedContacts)
		attrKeys[i], attrTypes[i], attrValues[i] = splitAttrs(v.Attributes)
		uids[i], subkeys[i] = orEmpty(v.PGPUserIDs), orEmpty(v.PGPSubkeys)
	}
	return []column{
		{"joined_at", joinedAt}, {"ships_from_region", fromRegion}, {"ships_to", to}, {"ships_to_basis", basis},
		{"ships_to_raw", toRaw}, {"ships_to_excluded", excluded}, {"last_online", lastOnline}, {"last_online_raw", lastRaw},
		{"feedback_percent", feedback}, {"level", level}, {"level_num", levelNum}, {"trust_level", trust},
		{"trust_level_num", trustNum}, {"verified", verified}, {"disputes_won", disputesWon}, {"disputes_lost", disputesLo},
		{"history_markets", histMarkets}, {"history_sales", histSales}, {"history_ratings", histRatings},
		{"history_rating_max", histMax}, {"history_claims_raw", histClaims}, {"history_raw", historyRaw},
		{"finalize_early", fe}, {"title", title}, {"contact_kinds", contactKinds}, {"contact_values", contactValues},
		{"attr_keys", attrKeys}, {"attr_types", attrTypes}, {"attr_values", attrValues},
		{"pgp_user_ids", uids}, {"pgp_subkeys", subkeys},
	}
}

// postFieldColumns go after postColumns' in a post_obs insert.
func postFieldColumns(ps []event.Post) []column {
	n := len(ps)
	var (
		board, authorTitle, joinedRaw, signature = mk[string](n), mk[string](n), mk[string](n), mk[string](n)
		authorPosts                              = mk[*int64](n)
		authorJoined                             = mk[time.Time](n)
		contactKinds, contactValues              = mk[[]string](n), mk[[]string](n)
		postNumber                               = mk[int64](n)
		attrKeys, attrTypes, attrValues          = mk[[]string](n), mk[[]string](n), mk[[]string](n)
	)
	for i := range ps {
		p := &ps[i]
		board[i], authorTitle[i], authorPosts[i] = p.Board, p.AuthorTitle, p.AuthorPosts
		authorJoined[i], joinedRaw[i], signature[i] = clampTime(p.AuthorJoined), p.AuthorJoinedRaw, p.Signature
		contactKinds[i], contactValues[i] = splitContacts(p.Contacts)
		postNumber[i] = p.PostNumber
		attrKeys[i], attrTypes[i], attrValues[i] = splitAttrs(p.Attributes)
	}
	return []column{
		{"board", board}, {"author_title", authorTitle}, {"author_posts", authorPosts},
		{"author_joined", authorJoined}, {"author_joined_raw", joinedRaw}, {"signature", signature},
		{"contact_kinds", contactKinds}, {"contact_values", contactValues}, {"post_number", postNumber},
		{"attr_keys", attrKeys}, {"attr_types", attrTypes}, {"attr_values", attrValues},
	}
}

// threadColumns maps forum thread events to the columns of thread_obs.
func threadColumns(ts []event.Thread) []column {
	n := len(ts)
	var (
		eventID, source, mirror, url           = mk[string](n), mk[string](n), mk[string](n), mk[string](n)
		threadID, title, board, author         = mk[string](n), mk[string](n), mk[string](n), mk[string](n)
		startedRaw, lastPostRaw, lastPoster    = mk[string](n), mk[string](n), mk[string](n)
		startedAt, lastPostAt, observedAt      = mk[time.Time](n), mk[time.Time](n), mk[time.Time](n)
		replies, views, pages                  = mk[*int64](n), mk[*int64](n), mk[*int64](n)
		sticky, locked                         = mk[*uint8](n), mk[*uint8](n)
		attrKeys, attrTypes, attrValues, flags = mk[[]string](n), mk[[]string](n), mk[[]string](n), mk[[]string](n)
		captureSHA, pipeline, runID            = mk[string](n), mk[string](n), mk[string](n)
	)
	for i := range ts {
		t := &ts[i]
		eventID[i], source[i], mirror[i], url[i] = t.EventID, t.Source, t.Mirror, t.URL
		threadID[i], title[i], board[i], author[i] = t.ThreadID, t.Title, t.Board, t.Author
		startedAt[i], startedRaw[i] = clampTime(t.StartedAt), t.StartedRaw
		replies[i], views[i], pages[i] = t.Replies, t.Views, t.Pages
		lastPostAt[i], lastPostRaw[i], lastPoster[i] = clampTime(t.LastPostAt), t.LastPostRaw, t.LastPoster
		sticky[i], locked[i] = boolPtrUInt8(t.Sticky), boolPtrUInt8(t.Locked)
		attrKeys[i], attrTypes[i], attrValues[i] = splitAttrs(t.Attributes)
		flags[i], observedAt[i] = orEmpty(t.Flags), clampTime(t.ObservedAt)
		captureSHA[i], pipeline[i], runID[i] = t.CaptureSHA256, t.Pipeline, t.RunID
	}
	return []column{
		{"event_id", eventID}, {"source", source}, {"mirror", mirror}, {"url", url},
		{"thread_id", threadID}, {"title", title}, {"board", board}, {"author", author},
		{"started_at", startedAt}, {"started_raw", startedRaw}, {"replies", replies}, {"views", views},
		{"pages", pages}, {"last_post_at", lastPostAt}, {"last_post_raw", lastPostRaw}, {"last_poster", lastPoster},
		{"sticky", sticky}, {"locked", locked}, {"attr_keys", attrKeys}, {"attr_types", attrTypes},
		{"attr_values", attrValues}, {"flags", flags}, {"observed_at", observedAt},
		{"capture_sha256", captureSHA}, {"pipeline", pipeline}, {"run_id", runID},
	}
}

// splitMoney turns prices into the parallel arrays prices_amount,
// prices_currency and prices_raw.
func splitMoney(ms []event.Money) (amounts []float64, currencies, raws []string) {
	amounts, currencies, raws = make([]float64, len(ms)), make([]string, len(ms)), make([]string, len(ms))
	for i, m := range ms {
		amounts[i], currencies[i], raws[i] = m.Amount, m.Currency, m.Raw
	}
	return amounts, currencies, raws
}

// splitOptions turns shipping options into the parallel shipping_* arrays;
// an option's destinations are joined with ",".
func splitOptions(os []event.ShippingOption) (methods []string, costs []float64, currencies, durations, dests, raws []string) {
	k := len(os)
	methods, costs, currencies = make([]string, k), make([]float64, k), make([]string, k)
	durations, dests, raws = make([]string, k), make([]string, k), make([]string, k)
	for i, o := range os {
		methods[i], costs[i], currencies[i] = o.Method, o.Cost.Amount, o.Cost.Currency
		durations[i], dests[i], raws[i] = o.Duration, strings.Join(o.Destinations, ","), o.Raw
	}
	return methods, costs, currencies, durations, dests, raws
}

// splitHistory turns history claims into the parallel history_* arrays.
func splitHistory(hs []event.HistoryClaim) (markets []string, sales []int64, ratings, maxes []float64, raws []string) {
	k := len(hs)
	markets, sales, ratings, maxes, raws = make([]string, k), make([]int64, k), make([]float64, k), make([]float64, k), make([]string, k)
	for i, h := range hs {
		markets[i], sales[i], ratings[i], maxes[i], raws[i] = h.Market, h.Sales, h.Rating, h.RatingMax, h.Raw
	}
	return markets, sales, ratings, maxes, raws
}

// splitContacts turns typed contacts into contact_kinds and contact_values.
func splitContacts(cs []event.Contact) (kinds, values []string) {
	kinds, values = make([]string, len(cs)), make([]string, len(cs))
	for i, c := range cs {
		kinds[i], values[i] = c.Kind, c.Value
	}
	return kinds, values
}

// splitAttrs turns attributes into attr_keys, attr_types and attr_values.
func splitAttrs(as []event.Attr) (keys, types, values []string) {
	keys, types, values = make([]string, len(as)), make([]string, len(as)), make([]string, len(as))
	for i, a := range as {
		keys[i], types[i], values[i] = a.Key, a.Type, a.Value
	}
	return keys, types, values
}

// boolPtrUInt8 maps a shown-or-not boolean to a Nullable(UInt8) value.
func boolPtrUInt8(b *bool) *uint8 {
	if b == nil {
		return nil
	}
	v := boolUInt8(*b)
	return &v
}
