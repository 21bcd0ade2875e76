package query

// Shared SQL fragments of the saved queries.
const (
	// matchSubstance is true for a listing whose category, category text
	// or title contains @substance, case-insensitively.
	matchSubstance = `(positionCaseInsensitive(category, @substance) > 0
        OR positionCaseInsensitive(category_raw, @substance) > 0
        OR positionCaseInsensitive(title, @substance) > 0)`
	// matchBasis keeps destination rows of the chosen basis (pBasis).
	matchBasis = `(@basis = 'any' OR basis = @basis)`
	// sinceDays is true for observations in the last @days days (computed
	// in signed seconds, so a large @days cannot wrap DateTime around).
	sinceDays = `observed_at >= ` + cutoff
	// cutoff is now minus @days days, no earlier than 1970.
	cutoff = `toDateTime(greatest(toInt64(toUnixTimestamp(now())) - toInt64(@days) * 86400, toInt64(0)))`
	// gramsExpr converts quantity and unit to grams, as the views do.
	gramsExpr = `multiIf(unit = 'g', quantity, unit = 'kg', quantity * 1000, unit = 'mg', quantity / 1000, unit = 'oz', quantity * 28.349523125, 0)`
)

// Bounds of integer parameters.
const (
	maxDays  = 36500     // a century back
	maxRows  = 1_000_000 // rows of one answer
	maxCount = 1_000_000 // members, vendors or markets
)

var (
	pDays = func(def string) Param {
		return Param{Name: "days", Type: Int, Default: def, Min: 1, Max: maxDays, Doc: "look back this many days from now"}
	}
	pSubstance = func(def string) Param {
		return Param{Name: "substance", Type: String, Default: def, Doc: "text matched in category code, category text or title"}
	}
	pLimit = Param{Name: "limit", Type: Int, Default: "50", Min: 1, Max: maxRows, Doc: "rows at most"}
	// pBasis filters destinations by why a listing ships there: the page
	// names the country (explicit), a region it names covers it (region),
	// or a worldwide term does (worldwide, also "worldwide except ...").
	pBasis = Param{Name: "basis", Type: String, Default: "any", Choices: []string{"any", "explicit", "region", "worldwide"},
		Doc: "why a listing ships there: explicit, region, worldwide, or any"}
)

// saved are the saved queries; All sorts them by name.
var saved = []Query{
	{
		Name:        "vendors-shipping-into",
		Description: "vendors offering a substance that ships into a country, in the last N days",
		Params: []Param{pSubstance("fentanyl"), {Name: "country", Type: Country, Default: "DE", Doc: "destination country"},
			pDays("90"), pBasis},
		SQL: `SELECT source AS market, vendor, uniqExact(listing_id) AS listings,
    arraySort(groupUniqArray(basis)) AS bases,
    arraySort(groupUniqArray(ships_from)) AS origins,
    round(quantileIf(0.5)(price_usd, price_usd > 0), 2) AS median_price_usd,
    max(observed_at) AS last_seen
FROM listing_destinations
WHERE destination = @country AND ` + matchBasis + ` AND ` + sinceDays + ` AND ` + matchSubstance + `
GROUP BY market, vendor
ORDER BY listings DESC, market, vendor`,
	},
	{
		Name:        "new-routes",
		Description: "routes (origin to destination) first seen in the last N days",
		Params:      []Param{pDays("30")},
		SQL: `SELECT ships_from AS origin, dest AS destination, min(observed_at) AS first_seen,
    uniqExact(source, listing_id) AS listings, uniqExact(source, vendor) AS vendors,
    arraySort(groupUniqArray(source)) AS markets
FROM listing_obs ARRAY JOIN ships_to AS dest
GROUP BY origin, destination
HAVING first_seen >= ` + cutoff + `
ORDER BY first_seen DESC, listings DESC, origin, destination`,
	},
	{
		Name:        "top-routes",
		Description: "busiest routes by distinct listings in the last N days, with the median price per gram; listings split by why they ship there (the page names the country, a region it names covers it, a worldwide term does)",
		Params:      []Param{pDays("30"), pLimit, pBasis},
		SQL: `SELECT ships_from AS origin, destination, uniqExact(source, listing_id) AS listings,
    uniqExactIf(source, listing_id, basis = 'explicit') AS explicit,
    uniqExactIf(source, listing_id, basis = 'region') AS region,
    uniqExactIf(source, listing_id, basis = 'worldwide') AS worldwide,
    uniqExact(source, vendor) AS vendors, uniqExact(source) AS markets,
    round(if(countIf(ppg > 0) = 0, 0, quantileIf(0.5)(ppg, ppg > 0)), 2) AS median_usd_per_gram
FROM
(
    SELECT ships_from, destination, basis, source, listing_id, vendor, observed_at,
        ` + gramsExpr + ` AS grams,
        if(grams > 0 AND price_usd > 0, price_usd / grams, 0) AS ppg
    FROM listing_destinations
)
WHERE ` + sinceDays + ` AND ` + matchBasis + `
GROUP BY origin, destination
ORDER BY listings DESC, origin, destination
LIMIT @limit`,
	},
	{
		Name:        "route-prices",
		Description: "weekly listings and median price per gram on one route, by market and category",
		Params: []Param{{Name: "from", Type: Country, Default: "NL", Doc: "origin country"},
			{Name: "to", Type: Country, Default: "DE", Doc: "destination country"}},
		SQL: `SELECT week, source AS market, category, listings, vendors,
    round(median_price_usd, 2) AS median_usd, round(median_price_per_gram_usd, 2) AS median_usd_per_gram
FROM routes
WHERE ships_from = @from AND ships_to = @to
ORDER BY week, market, category`,
	},
	{
		Name:        "price-per-gram-by-origin",
		Description: "median price per gram (USD) of a substance by origin country, in the last N days",
		Params:      []Param{pSubstance("cocaine"), pDays("365")},
		SQL: `SELECT ships_from AS origin, count() AS observations, uniqExact(source, listing_id) AS listings,
    round(quantile(0.5)(ppg), 2) AS median_usd_per_gram,
    round(min(ppg), 2) AS min_usd_per_gram, round(max(ppg), 2) AS max_usd_per_gram
FROM
(
    SELECT ships_from, source, listing_id,
        ` + gramsExpr + ` AS grams,
        if(grams > 0 AND price_usd > 0, price_usd / grams, 0) AS ppg
    FROM listing_obs
    WHERE ` + sinceDays + ` AND ` + matchSubstance + `
)
WHERE ppg > 0
GROUP BY origin
ORDER BY median_usd_per_gram, origin`,
	},
	{
		Name:        "multi-market-vendors",
		Description: "vendor handles seen on N or more markets (same handle, case-insensitive)",
		Params:      []Param{{Name: "min_markets", Type: Int, Default: "2", Min: 1, Max: maxCount, Doc: "markets at least"}},
		SQL: `SELECT value AS handle_key, uniqExact(source) AS markets, arraySort(groupUniqArray(source)) AS market_list,
    arraySort(groupUniqArray(handle)) AS spellings, min(first_seen) AS since, max(last_seen) AS until
FROM vendor_identifiers
WHERE kind = 'handle'
GROUP BY handle_key
HAVING markets >= @min_markets
ORDER BY markets DESC, handle_key`,
	},
	{
		Name:        "vendor-links",
		Description: "every link of a vendor handle to other vendor identities, with its evidence",
		Params:      []Param{{Name: "handle", Type: String, Required: true, Doc: "vendor handle (case-insensitive)"}},
		SQL: `SELECT source_a, handle_a, source_b, handle_b, kind, strength, evidence, capture_a, capture_b
FROM vendor_links
WHERE lower(handle_a) = lower(@handle) OR lower(handle_b) = lower(@handle)
ORDER BY strength = 'strong' DESC, kind, source_a, handle_a, source_b, handle_b`,
	},
	{
		Name:        "linked-vendors",
		Description: "pairs of vendor identities that are probably the same actor, at a minimum confidence",
		Params: []Param{{Name: "min_confidence", Type: String, Default: "medium", Doc: "high, medium or low",
			Choices: []string{"high", "medium", "low"}},
			pLimit},
		SQL: `SELECT source_a, handle_a, source_b, handle_b, confidence, kinds, evidence_list
FROM vendor_link_pairs
WHERE multiIf(confidence = 'high', 3, confidence = 'medium', 2, 1)
    >= multiIf(@min_confidence = 'high', 3, @min_confidence = 'medium', 2, 1)
ORDER BY multiIf(confidence = 'high', 3, confidence = 'medium', 2, 1) DESC, source_a, handle_a, source_b, handle_b
LIMIT @limit`,
	},
	{
		Name:            "vendor-clusters",
		Description:     "vendor identity clusters (connected over shared PGP keys and crypto addresses), recomputed first",
		Params:          []Param{{Name: "min_size", Type: Int, Default: "2", Min: 1, Max: maxCount, Doc: "members at least"}},
		RefreshClusters: true,
		SQL: `SELECT cluster_id, size, markets, links, arraySort(groupArray(concat(source, ':', handle))) AS members
FROM vendor_clusters
WHERE size >= @min_size
GROUP BY cluster_id, size, markets, links
ORDER BY size DESC, cluster_id`,
	},
	{
		Name:        "crypto-reuse",
		Description: "crypto addresses shown by several vendors or on several markets",
		Params:      []Param{{Name: "min_vendors", Type: Int, Default: "1", Min: 0, Max: maxCount, Doc: "vendors at least"}, pLimit},
		SQL: `SELECT address, chain, vendors, markets, forums, vendor_list, kinds, first_seen, last_seen
FROM crypto_address_reuse
WHERE vendors >= @min_vendors
ORDER BY vendors DESC, markets DESC, address
LIMIT @limit`,
	},
	{
		Name:        "address-sightings",
		Description: "everywhere one crypto address was seen: market or forum, page kind, actor, when",
		Params:      []Param{{Name: "address", Type: String, Required: true, Doc: "the crypto address"}},
		SQL: `SELECT address, chain, source, kind, ref, actor, first_seen, last_seen, observations, last_capture_sha256
FROM crypto_addresses_seen
WHERE address = @address
ORDER BY first_seen, source, kind, ref`,
	},
	{
		Name:        "pgp-sightings",
		Description: "everywhere a PGP key was seen, by fingerprint or its last 16 hex digits (long key id)",
		Params:      []Param{{Name: "fingerprint", Type: String, Required: true, Doc: "fingerprint or long key id"}},
		SQL: `SELECT fingerprint, source, kind, ref, actor, first_seen, last_seen, observations, last_capture_sha256
FROM pgp_keys_seen
WHERE fingerprint = upper(@fingerprint) OR (length(@fingerprint) >= 16 AND endsWith(fingerprint, upper(@fingerprint)))
ORDER BY first_seen, source, kind, ref`,
	},
	{
		Name:        "jurisdiction",
		Description: "exposure of one country (or all, with country empty): vendors from it, listings from and to it, trend",
		Params:      []Param{{Name: "country", Type: Country, Default: "", Doc: "country; empty for all"}, pLimit},
		SQL: `SELECT country, name, eu_member, budapest, vendors_from, listings_from, listings_to, markets,
    categories, listings_recent, listings_previous, trend
FROM jurisdiction_exposure
WHERE @country = '' OR country = @country
ORDER BY listings_from + listings_to DESC, country
LIMIT @limit`,
	},
	{
		Name:        "cooperation",
		Description: "legal bases of a request from a requesting to a partner country (those of the export's draft request), and why",
		Params: []Param{{Name: "requesting", Type: Country, Default: "DE", Doc: "requesting country"},
			{Name: "partner", Type: Country, Default: "US", Doc: "partner (requested) country"},
			{Name: "data_held", Type: String, Default: "yes", Choices: []string{"yes", "no"},
				Doc: "whether the partner holds data sought; no leaves out bases that need it (expedited preservation)"}},
		SQL: `SELECT rank, channel, channel_name, is_primary, legal_basis, reason, uncertain, unverified, data_held_only, dual_criminality
FROM cooperation
WHERE requesting = @requesting AND partner = @partner AND (@data_held = 'yes' OR data_held_only = 0)
ORDER BY rank`,
	},
	{
		Name:        "listing-history",
		Description: "price history of one listing",
		Params: []Param{{Name: "market", Type: String, Required: true, Doc: "market id"},
			{Name: "listing_id", Type: String, Required: true, Doc: "the market's listing id"}},
		SQL: `SELECT observed_at, vendor, title, price_amount, price_currency, price_usd, quantity, unit,
    round(price_per_gram_usd, 2) AS usd_per_gram, capture_sha256
FROM price_history
WHERE source = @market AND listing_id = @listing_id
ORDER BY observed_at`,
	},
	{
		Name:        "vendor-profile",
		Description: "a vendor's current listings on every market (handle case-insensitive)",
		Params:      []Param{{Name: "handle", Type: String, Required: true, Doc: "vendor handle"}},
		SQL: `SELECT source AS market, vendor, listing_id, title, category, price_usd, quantity, unit,
    ships_from, ships_to_raw, length(ships_to) AS destinations, last_seen
FROM listing_current
WHERE lower(vendor) = lower(@handle)
ORDER BY market, listing_id`,
	},
	{
		Name:        "eu-inbound",
		Description: "listings shipping into EU member states from outside the EU, in the last N days",
		Params:      []Param{pDays("90"), pLimit},
		SQL: `SELECT dest AS destination, ships_from AS origin, uniqExact(source, listing_id) AS listings,
    uniqExact(source, vendor) AS vendors, arraySort(groupUniqArray(category)) AS categories
FROM listing_obs ARRAY JOIN ships_to AS dest
WHERE ` + sinceDays + ` AND ships_from != ''
    AND dest IN (SELECT iso2 FROM countries WHERE eu_member = 1)
    AND ships_from NOT IN (SELECT iso2 FROM countries WHERE eu_member = 1)
GROUP BY destination, origin
ORDER BY listings DESC, destination, origin
LIMIT @limit`,
	},
	{
		Name:        "categories-into",
		Description: "what is offered into one country: listings and vendors by category, in the last N days",
		Params:      []Param{{Name: "country", Type: Country, Default: "DE", Doc: "destination country"}, pDays("90"), pBasis},
		SQL: `SELECT category, uniqExact(source, listing_id) AS listings, uniqExact(source, vendor) AS vendors,
    arraySort(groupUniqArray(basis)) AS bases, arraySort(groupUniqArray(ships_from)) AS origins
FROM listing_destinations
WHERE destination = @country AND ` + matchBasis + ` AND ` + sinceDays + `
GROUP BY category
ORDER BY listings DESC, category`,
	},
	{
		Name:        "forum-mentions",
		Description: "forum posts that mention a vendor handle (tagged or in the text)",
		Params:      []Param{{Name: "handle", Type: String, Required: true, Doc: "vendor handle"}, pLimit},
		SQL: `SELECT source AS forum_site, board, thread_title, post_id, author, posted_at, markets, vendors,
    substring(body, 1, 200) AS excerpt, capture_sha256
FROM post_obs FINAL
WHERE has(arrayMap(x -> lower(x), vendors), lower(@handle)) OR positionCaseInsensitive(body, @handle) > 0
ORDER BY posted_at DESC
LIMIT @limit`,
	},
	{
		Name:        "market-activity",
		Description: "listings, vendors and median price per market and week, in the last N days",
		Params:      []Param{pDays("90")},
		SQL: `SELECT source AS market, toMonday(observed_at) AS week, uniqExact(listing_id) AS listings,
    uniqExact(vendor) AS vendors, round(quantileIf(0.5)(price_usd, price_usd > 0), 2) AS median_price_usd
FROM listing_obs
WHERE ` + sinceDays + `
GROUP BY market, week
ORDER BY market, week`,
	},
	{
		Name:        "crawl-health",
		Description: "crawl runs per source in the last N days: outcomes, pages and failures",
		Params:      []Param{pDays("7")},
		SQL: `SELECT source, count() AS runs, countIf(outcome = 'ok') AS ok, countIf(outcome = 'partial') AS partial,
    countIf(outcome = 'failed') AS failed, sum(pages) AS pages, sum(pages_failed) AS pages_failed,
    sum(listings) AS listings, max(finished_at) AS last_run
FROM runs FINAL
WHERE started_at >= ` + cutoff + `
GROUP BY source
ORDER BY source`,
	},
	{
		Name:        "listing-evidence",
		Description: "the captured pages behind one listing, with their SHA-256",
		Params: []Param{{Name: "market", Type: String, Required: true, Doc: "market id"},
			{Name: "listing_id", Type: String, Required: true, Doc: "the market's listing id"}},
		SQL: `SELECT observed_at, url, capture_sha256, pipeline, run_id
FROM price_history ANY LEFT JOIN
(
    SELECT source, listing_id, event_id, any(url) AS url, any(pipeline) AS pipeline, any(run_id) AS run_id
    FROM listing_obs
    WHERE source = @market AND listing_id = @listing_id
    GROUP BY source, listing_id, event_id
) USING (source, listing_id, event_id)
WHERE source = @market AND listing_id = @listing_id
ORDER BY observed_at`,
	},
	{
		Name:        "export-audit",
		Description: "exports and refusals in the last N days",
		Params:      []Param{pDays("30")},
		SQL: `SELECT at, who, partner, partner_country, tlp, outcome, reason, purpose, legal_basis, case_ref,
    count_names, count_values, package_sha256
FROM export_audit
WHERE at >= ` + cutoff + `
ORDER BY at DESC`,
	},
}
