-- 0006_analyst_views: the views that answer an analyst's first questions.
--
-- routes is replaced (DROP + CREATE); the views new here are only created
-- (IF NOT EXISTS), because some read others and a concurrent migrator's
-- DROP would leave a reader without its source for a moment.
--
-- Every view reads the observation tables directly, so it is current the
-- moment a batch lands; none keeps state of its own. Inner queries rename
-- the columns they aggregate (at, cap, ...) because ClickHouse 18.16
-- substitutes an output alias into any expression that names a column of
-- the same name. Counts use uniqExact over natural keys, so a duplicate
-- event not yet merged does not count twice; medians (quantile) are
-- approximate above 8192 values and a duplicate event not yet merged weighs
-- twice in them.
--
-- Grams: quantity converted by unit: g as is, kg x 1000, mg / 1000,
-- oz x 28.349523125; other units (pills, ml, blotters) have no gram price.

-- price_history: one row per observation of a listing (duplicates of an
-- event collapse): how its price moved.
--   source               market id
--   listing_id           the market's own id of the listing
--   observed_at          capture time of the observation
--   event_id             the observation's event id
--   vendor               vendor handle
--   title                listing title at that time
--   category             taxonomy code
--   price_amount         price as shown, in price_currency
--   price_currency       ISO 4217 code or crypto ticker
--   price_usd            price in USD at observation time (0 when unknown)
--   quantity             amount offered per unit of sale, in unit
--   unit                 unit of quantity (g, kg, ml, pills, ...)
--   price_per_gram_usd   price_usd per gram (0 when the unit has no gram price or the price is unknown)
--   capture_sha256       SHA-256 of the page (evidence)
CREATE VIEW IF NOT EXISTS price_history AS
SELECT
    source,
    listing_id,
    observed_at,
    event_id,
    any(l_vendor) AS vendor,
    any(l_title) AS title,
    any(l_category) AS category,
    any(l_amount) AS price_amount,
    any(l_currency) AS price_currency,
    any(l_usd) AS price_usd,
    any(l_quantity) AS quantity,
    any(l_unit) AS unit,
    any(ppg) AS price_per_gram_usd,
    any(l_capture) AS capture_sha256
FROM
(
    SELECT
        source, listing_id, observed_at, event_id,
        vendor AS l_vendor, title AS l_title, category AS l_category,
        price_amount AS l_amount, price_currency AS l_currency, price_usd AS l_usd,
        quantity AS l_quantity, unit AS l_unit, capture_sha256 AS l_capture,
        multiIf(unit = 'g', quantity, unit = 'kg', quantity * 1000, unit = 'mg', quantity / 1000, unit = 'oz', quantity * 28.349523125, 0) AS grams,
        if(grams > 0 AND price_usd > 0, price_usd / grams, 0) AS ppg
    FROM listing_obs
)
GROUP BY source, listing_id, observed_at, event_id;

-- routes: trafficking routes by week. One row per (ships_from, ships_to,
-- category, week, source); a listing that ships to several countries counts
-- on each route; listings without a destination are not on any route.
--   ships_from                 ISO alpha-2 origin ('' when unknown)
--   ships_to                   one ISO alpha-2 destination
--   category                   taxonomy code ('' when unknown)
--   week                       Monday of the observation week (UTC)
--   source                     the market (market id)
--   listings                   distinct listings offered on the route that week
--   vendors                    distinct vendor handles offering them
--   median_price_usd           median USD price over that week's observations with a
--                              known price (price_usd > 0); 0 when none had one
--   median_price_per_gram_usd  median USD price per gram over that week's observations
--                              with a gram quantity and a known price; 0 when none had one
--   gram_observations          observations the per-gram median is over
-- Summing listings over weeks counts a listing once per week it was seen;
-- count distinct listings over a period from listing_obs instead.
DROP TABLE IF EXISTS routes;
CREATE VIEW IF NOT EXISTS routes AS
SELECT
    ships_from,
    ships_to,
    category,
    toMonday(observed_at) AS week,
    source,
    uniqExact(listing_id) AS listings,
    uniqExact(vendor) AS vendors,
    if(countIf(price_usd > 0) = 0, 0, quantileIf(0.5)(price_usd, price_usd > 0)) AS median_price_usd,
    if(countIf(ppg > 0) = 0, 0, quantileIf(0.5)(ppg, ppg > 0)) AS median_price_per_gram_usd,
    countIf(ppg > 0) AS gram_observations
FROM
(
    SELECT
        ships_from, ships_to, category, observed_at, source, listing_id, vendor, price_usd,
        multiIf(unit = 'g', quantity, unit = 'kg', quantity * 1000, unit = 'mg', quantity / 1000, unit = 'oz', quantity * 28.349523125, 0) AS grams,
        if(grams > 0 AND price_usd > 0, price_usd / grams, 0) AS ppg
    FROM listing_obs
)
ARRAY JOIN ships_to
GROUP BY ships_from, ships_to, category, week, source;

-- crypto_addresses_seen: every crypto address seen, one row per (address,
-- chain, source, kind, ref, actor): where it was shown and by whom.
--   address              the address
--   chain                btc, xmr, eth, ltc
--   source               market or forum id
--   kind                 listing, vendor (profile) or post
--   ref                  listing_id, vendor handle, or thread_id/post_id
--   actor                vendor handle of the listing or profile, author of the post
--   first_seen           earliest observation showing it there
--   last_seen            latest observation showing it there
--   observations         distinct observation events showing it there
--   last_capture_sha256  SHA-256 of the latest page showing it (evidence)
CREATE VIEW IF NOT EXISTS crypto_addresses_seen AS
SELECT
    address, chain, source, kind, ref, actor,
    min(at) AS first_seen,
    max(at) AS last_seen,
    uniqExact(eid) AS observations,
    argMax(cap, at) AS last_capture_sha256
FROM
(
    SELECT address, chain, source, 'listing' AS kind, listing_id AS ref, vendor AS actor,
        observed_at AS at, event_id AS eid, capture_sha256 AS cap
    FROM listing_obs ARRAY JOIN crypto_addresses AS address, crypto_chains AS chain
    UNION ALL
    SELECT address, chain, source, 'vendor' AS kind, handle AS ref, handle AS actor,
        observed_at AS at, event_id AS eid, capture_sha256 AS cap
    FROM vendor_obs ARRAY JOIN crypto_addresses AS address, crypto_chains AS chain
    UNION ALL
    SELECT address, chain, source, 'post' AS kind, concat(thread_id, '/', post_id) AS ref, author AS actor,
        observed_at AS at, event_id AS eid, capture_sha256 AS cap
    FROM post_obs ARRAY JOIN crypto_addresses AS address, crypto_chains AS chain
)
GROUP BY address, chain, source, kind, ref, actor;

-- pgp_keys_seen: every PGP key fingerprint seen, one row per (fingerprint,
-- source, kind, ref, actor).
--   fingerprint          upper-case hex fingerprint
--   source               market or forum id
--   kind                 vendor (profile) or post
--   ref                  vendor handle, or thread_id/post_id
--   actor                vendor handle or post author
--   first_seen           earliest observation showing it there
--   last_seen            latest observation showing it there
--   observations         distinct observation events showing it there
--   last_capture_sha256  SHA-256 of the latest page showing it
CREATE VIEW IF NOT EXISTS pgp_keys_seen AS
SELECT
    fingerprint, source, kind, ref, actor,
    min(at) AS first_seen,
    max(at) AS last_seen,
    uniqExact(eid) AS observations,
    argMax(cap, at) AS last_capture_sha256
FROM
(
    SELECT fingerprint, source, 'vendor' AS kind, handle AS ref, handle AS actor,
        observed_at AS at, event_id AS eid, capture_sha256 AS cap
    FROM vendor_obs ARRAY JOIN pgp_fingerprints AS fingerprint
    UNION ALL
    SELECT fingerprint, source, 'post' AS kind, concat(thread_id, '/', post_id) AS ref, author AS actor,
        observed_at AS at, event_id AS eid, capture_sha256 AS cap
    FROM post_obs ARRAY JOIN pgp_fingerprints AS fingerprint
)
GROUP BY fingerprint, source, kind, ref, actor;

-- crypto_address_reuse: addresses shown by two or more vendors, or on two or
-- more markets. Forum posts count as sightings, not as vendors or markets.
--   address        the address
--   chain          its chain
--   vendors        distinct (market, vendor handle) that showed it on a listing or profile
--   markets        distinct markets it was shown on
--   forums         distinct forums whose posts carried it
--   vendor_list    market:handle of each such vendor, sorted
--   market_list    those markets, sorted
--   kinds          listing, vendor, post: where it was seen, sorted
--   first_seen     earliest sighting
--   last_seen      latest sighting
CREATE VIEW IF NOT EXISTS crypto_address_reuse AS
SELECT
    address,
    any(c) AS chain,
    uniqExactIf(s, a, k != 'post' AND a != '') AS vendors,
    uniqExactIf(s, k != 'post') AS markets,
    uniqExactIf(s, k = 'post') AS forums,
    arraySort(groupUniqArrayIf(concat(s, ':', a), k != 'post' AND a != '')) AS vendor_list,
    arraySort(groupUniqArrayIf(s, k != 'post')) AS market_list,
    arraySort(groupUniqArray(k)) AS kinds,
    min(fs) AS first_seen,
    max(ls) AS last_seen
FROM
(
    SELECT address, chain AS c, source AS s, kind AS k, actor AS a, first_seen AS fs, last_seen AS ls
    FROM crypto_addresses_seen
)
GROUP BY address
HAVING vendors >= 2 OR markets >= 2;

-- vendor_identifiers: what identifies each vendor identity (market, handle):
-- one row per (source, handle, kind, value).
--   source          market id
--   handle          vendor handle on that market (from profiles and listings)
--   kind            pgp_fingerprint (profile), crypto_address (profile or listing),
--                   handle (the handle lower-cased), similar_handle (lower-cased with
--                   digits, '_', '-' and '.' removed; kept only when 4 or more characters remain)
--   value           the fingerprint, address or normalized handle
--   first_seen      earliest observation showing it
--   last_seen       latest observation showing it
--   capture_sha256  SHA-256 of the latest page showing it (evidence)
CREATE VIEW IF NOT EXISTS vendor_identifiers AS
SELECT
    source, handle, kind, value,
    min(at) AS first_seen,
    max(at) AS last_seen,
    argMax(cap, at) AS capture_sha256
FROM
(
    SELECT source, handle, 'pgp_fingerprint' AS kind, fp AS value, observed_at AS at, capture_sha256 AS cap
    FROM vendor_obs ARRAY JOIN pgp_fingerprints AS fp
    UNION ALL
    SELECT source, handle, 'crypto_address' AS kind, addr AS value, observed_at AS at, capture_sha256 AS cap
    FROM vendor_obs ARRAY JOIN crypto_addresses AS addr
    UNION ALL
    SELECT source, vendor AS handle, 'crypto_address' AS kind, addr AS value, observed_at AS at, capture_sha256 AS cap
    FROM listing_obs ARRAY JOIN crypto_addresses AS addr
    WHERE vendor != ''
    UNION ALL
    SELECT source, handle, 'handle' AS kind, lower(handle) AS value, observed_at AS at, capture_sha256 AS cap
    FROM vendor_obs
    UNION ALL
    SELECT source, vendor AS handle, 'handle' AS kind, lower(vendor) AS value, observed_at AS at, capture_sha256 AS cap
    FROM listing_obs
    WHERE vendor != ''
    UNION ALL
    SELECT source, handle, 'similar_handle' AS kind, replaceRegexpAll(lower(handle), '[0-9_.-]', '') AS value, observed_at AS at, capture_sha256 AS cap
    FROM vendor_obs
    UNION ALL
    SELECT source, vendor AS handle, 'similar_handle' AS kind, replaceRegexpAll(lower(vendor), '[0-9_.-]', '') AS value, observed_at AS at, capture_sha256 AS cap
    FROM listing_obs
    WHERE vendor != ''
)
WHERE handle != '' AND value != '' AND NOT (kind = 'similar_handle' AND lengthUTF8(value) < 4)
GROUP BY source, handle, kind, value;

-- vendor_links: pairs of distinct vendor identities that share an
-- identifier, one row per (pair, kind, evidence); the pair is ordered so
-- that (source_a, handle_a) sorts before (source_b, handle_b).
--   source_a             market of one vendor identity (a)
--   handle_a             vendor handle of identity a
--   source_b             market of the other vendor identity (b)
--   handle_b             vendor handle of identity b
--   kind                 pgp_fingerprint, crypto_address, handle (same handle on two
--                        markets, case-insensitive), similar_handle (handles equal once
--                        digits and separators are removed, but not the same handle)
--   evidence             the shared fingerprint, address or normalized handle
--   strength             strong (pgp_fingerprint, crypto_address), medium (handle),
--                        weak (similar_handle)
--   capture_a            SHA-256 of the latest page showing the identifier for (source_a, handle_a)
--   capture_b            SHA-256 of the latest page showing it for (source_b, handle_b)
--   first_seen_a         when side a first showed it
--   last_seen_a          when side a last showed it
--   first_seen_b         when side b first showed it
--   last_seen_b          when side b last showed it
-- Only identifiers held by 2 to 50 vendor identities link: a value shared
-- by more is noise, not evidence (a market-wide deposit address every
-- listing carries, a generic handle stem like "shop"), and joining it would
-- make pairs by the thousand; crypto_address_reuse still lists such
-- addresses.
CREATE VIEW IF NOT EXISTS vendor_links AS
SELECT
    source_a, handle_a, source_b, handle_b, kind, evidence,
    multiIf(kind IN ('pgp_fingerprint', 'crypto_address'), 'strong', kind = 'handle', 'medium', 'weak') AS strength,
    capture_a, capture_b, first_seen_a, last_seen_a, first_seen_b, last_seen_b
FROM
(
    SELECT source AS source_a, handle AS handle_a, kind, value AS evidence,
        capture_sha256 AS capture_a, first_seen AS first_seen_a, last_seen AS last_seen_a
    FROM vendor_identifiers
    WHERE (kind, value) IN (SELECT kind, value FROM vendor_identifiers GROUP BY kind, value HAVING count() BETWEEN 2 AND 50)
)
ALL INNER JOIN
(
    SELECT source AS source_b, handle AS handle_b, kind, value AS evidence,
        capture_sha256 AS capture_b, first_seen AS first_seen_b, last_seen AS last_seen_b
    FROM vendor_identifiers
    WHERE (kind, value) IN (SELECT kind, value FROM vendor_identifiers GROUP BY kind, value HAVING count() BETWEEN 2 AND 50)
) USING (kind, evidence)
WHERE (source_a < source_b OR (source_a = source_b AND handle_a < handle_b))
    AND NOT (kind = 'handle' AND source_a = source_b)
    AND NOT (kind = 'similar_handle' AND lower(handle_a) = lower(handle_b));

-- vendor_link_pairs: one row per linked pair of vendor identities with all
-- its evidence and a confidence grade.
--   source_a         market of the first identity of the pair (ordered as in vendor_links)
--   handle_a         vendor handle of the first identity
--   source_b         market of the second identity
--   handle_b         vendor handle of the second identity
--   kinds            link kinds between them, sorted
--   evidence_list    kind:evidence of every link, sorted
--   pgp_links        shared PGP fingerprints
--   crypto_links     shared crypto addresses
--   same_handle      1 when the handles are the same (case-insensitive)
--   similar_handle   1 when the handles are similar but not the same
--   confidence       high: a shared PGP key, or a shared address and the same or a
--                    similar handle; medium: a shared address, or the same handle;
--                    low: a similar handle only
CREATE VIEW IF NOT EXISTS vendor_link_pairs AS
SELECT
    source_a, handle_a, source_b, handle_b,
    arraySort(groupUniqArray(kind)) AS kinds,
    arraySort(groupUniqArray(concat(kind, ':', evidence))) AS evidence_list,
    countIf(kind = 'pgp_fingerprint') AS pgp_links,
    countIf(kind = 'crypto_address') AS crypto_links,
    max(kind = 'handle') AS same_handle,
    max(kind = 'similar_handle') AS similar_handle,
    multiIf(pgp_links > 0, 'high', crypto_links > 0 AND (same_handle = 1 OR similar_handle = 1), 'high',
        crypto_links > 0 OR same_handle = 1, 'medium', 'low') AS confidence
FROM vendor_links
GROUP BY source_a, handle_a, source_b, handle_b;

-- jurisdiction_exposure: per country, what the warehouse holds that touches
-- it, over all time, with a four-week trend. Countries without any listing
-- or vendor are absent.
--   country            ISO alpha-2 code
--   name               ISO name ('' when the code is not in countries)
--   region             UN M49 region
--   eu_member          1 for the EU-27
--   budapest           Budapest Convention status (party, signatory, '')
--   vendors_from       distinct (market, vendor) shipping from it (listings and profiles)
--   listings_from      distinct listings shipping from it
--   listings_to        distinct listings shipping to it
--   markets            distinct markets with a listing or vendor touching it
--   categories         taxonomy codes of the listings touching it, sorted
--   first_seen         earliest observation touching it
--   last_seen          latest observation touching it
--   listings_recent    distinct listings from or to it observed in the 28 days up to the
--                      newest observation in listing_obs
--   listings_previous  the same for the 28 days before those
--   trend              listings_recent - listings_previous
CREATE VIEW IF NOT EXISTS jurisdiction_exposure AS
SELECT
    country, name, region, eu_member, budapest,
    vendors_from, listings_from, listings_to, markets, categories, first_seen, last_seen,
    listings_recent, listings_previous, toInt64(listings_recent) - toInt64(listings_previous) AS trend
FROM
(
    SELECT
        country,
        uniqExactIf(s, a, role IN ('from', 'vendor_from') AND a != '') AS vendors_from,
        uniqExactIf(s, r, role = 'from') AS listings_from,
        uniqExactIf(s, r, role = 'to') AS listings_to,
        uniqExact(s) AS markets,
        arraySort(groupUniqArrayIf(cat, cat != '')) AS categories,
        min(at) AS first_seen,
        max(at) AS last_seen,
        uniqExactIf(s, r, role != 'vendor_from' AND at > latest - 28 * 86400) AS listings_recent,
        uniqExactIf(s, r, role != 'vendor_from' AND at <= latest - 28 * 86400 AND at > latest - 56 * 86400) AS listings_previous
    FROM
    (
        SELECT ships_from AS country, 'from' AS role, source AS s, listing_id AS r, vendor AS a, category AS cat, observed_at AS at,
            (SELECT max(observed_at) FROM listing_obs) AS latest
        FROM listing_obs
        WHERE ships_from != ''
        UNION ALL
        SELECT dest AS country, 'to' AS role, source AS s, listing_id AS r, vendor AS a, category AS cat, observed_at AS at,
            (SELECT max(observed_at) FROM listing_obs) AS latest
        FROM listing_obs ARRAY JOIN ships_to AS dest
        UNION ALL
        SELECT ships_from AS country, 'vendor_from' AS role, source AS s, handle AS r, handle AS a, '' AS cat, observed_at AS at,
            (SELECT max(observed_at) FROM listing_obs) AS latest
        FROM vendor_obs
        WHERE ships_from != ''
    )
    GROUP BY country
)
ANY LEFT JOIN
(
    SELECT iso2 AS country, name, region, eu_member, budapest FROM countries
) USING country;

-- jurisdiction_weekly: per country and week, listings shipping from and to
-- it and the vendors shipping from it.
--   country        ISO alpha-2 code
--   week           Monday of the observation week (UTC)
--   listings_from  distinct listings shipping from it that week
--   listings_to    distinct listings shipping to it that week
--   vendors_from   distinct (market, vendor) with a listing shipping from it that week
--   markets        distinct markets
CREATE VIEW IF NOT EXISTS jurisdiction_weekly AS
SELECT
    country,
    toMonday(at) AS week,
    uniqExactIf(s, r, role = 'from') AS listings_from,
    uniqExactIf(s, r, role = 'to') AS listings_to,
    uniqExactIf(s, a, role = 'from' AND a != '') AS vendors_from,
    uniqExact(s) AS markets
FROM
(
    SELECT ships_from AS country, 'from' AS role, source AS s, listing_id AS r, vendor AS a, observed_at AS at
    FROM listing_obs
    WHERE ships_from != ''
    UNION ALL
    SELECT dest AS country, 'to' AS role, source AS s, listing_id AS r, vendor AS a, observed_at AS at
    FROM listing_obs ARRAY JOIN ships_to AS dest
)
GROUP BY country, week;
