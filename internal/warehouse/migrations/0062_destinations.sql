-- 0062_destinations: routes count every destination with its basis, and listing_destinations
-- gives one row per listing observation and destination, so an analyst can filter on the basis.
--
-- ships_to holds every destination of a listing and ships_to_basis why (see 0060): a listing
-- shipping "Worldwide except AU, SE" is on the route to every other country, with basis worldwide.
-- So counting the listings offered into DE, on routes or in listing_destinations, includes it:
--
--     SELECT basis, uniqExact(source, listing_id) AS listings
--     FROM listing_destinations WHERE destination = 'DE' GROUP BY basis;
--
-- gives one row per basis (explicit, region, worldwide), and adding WHERE basis = 'explicit'
-- keeps only listings whose page names Germany. Rows stored before bases were kept have basis ''.

-- listing_destinations: one row per listing observation and destination country (duplicates of
-- an event not yet merged give two rows: count with uniqExact).
--   source          market id
--   listing_id      the market's own id of the listing
--   observed_at     capture time of the observation
--   event_id        the observation's event id
--   vendor          vendor handle
--   category        taxonomy code
--   category_raw    category as the market names it
--   title           listing title at that time
--   ships_from      ISO alpha-2 origin ('' when unknown)
--   destination     one ISO alpha-2 destination country
--   basis           why it is a destination: explicit, region or worldwide ('' in rows stored before bases were kept)
--   price_usd       price in USD at observation time (0 when unknown)
--   quantity        amount offered, in unit
--   unit            unit of quantity (g, kg, ml, pills, ...)
--   capture_sha256  SHA-256 of the page (evidence)
DROP TABLE IF EXISTS listing_destinations;
CREATE VIEW IF NOT EXISTS listing_destinations AS
SELECT
    source, listing_id, observed_at, event_id, vendor, category, category_raw, title, ships_from,
    destination, basis, price_usd, quantity, unit, capture_sha256
FROM
(
    SELECT source, listing_id, observed_at, event_id, vendor, category, category_raw, title, ships_from,
        ships_to, arrayResize(ships_to_basis, length(ships_to), '') AS bases,
        price_usd, quantity, unit, capture_sha256
    FROM listing_obs
)
ARRAY JOIN ships_to AS destination, bases AS basis;

-- routes: trafficking routes by week. One row per (ships_from, ships_to, category, week, source);
-- a listing that ships to several countries counts on each route, whatever the basis of the
-- destination; listings without a destination are not on any route.
--   ships_from                 ISO alpha-2 origin ('' when unknown)
--   ships_to                   one ISO alpha-2 destination
--   category                   taxonomy code ('' when unknown)
--   week                       Monday of the observation week (UTC)
--   source                     the market (market id)
--   listings                   distinct listings offered on the route that week, on any basis
--   listings_explicit          of those, listings whose page names the destination country
--   listings_region            of those, listings shipping there because a region they name covers it
--   listings_worldwide         of those, listings shipping there because a worldwide term covers it
--   vendors                    distinct vendor handles offering them
--   median_price_usd           median USD price over that week's observations with a known
--                              price (price_usd > 0); 0 when none had one
--   median_price_per_gram_usd  median USD price per gram over that week's observations with a
--                              gram quantity and a known price; 0 when none had one
--   gram_observations          observations the per-gram median is over
-- A listing whose basis for one destination changed within a week counts under both bases that
-- week. Summing listings over weeks counts a listing once per week it was seen; count distinct
-- listings over a period from listing_destinations instead.
DROP TABLE IF EXISTS routes;
CREATE VIEW IF NOT EXISTS routes AS
SELECT
    ships_from,
    ships_to,
    category,
    toMonday(observed_at) AS week,
    source,
    uniqExact(listing_id) AS listings,
    uniqExactIf(listing_id, basis = 'explicit') AS listings_explicit,
    uniqExactIf(listing_id, basis = 'region') AS listings_region,
    uniqExactIf(listing_id, basis = 'worldwide') AS listings_worldwide,
    uniqExact(vendor) AS vendors,
    if(countIf(price_usd > 0) = 0, 0, quantileIf(0.5)(price_usd, price_usd > 0)) AS median_price_usd,
    if(countIf(ppg > 0) = 0, 0, quantileIf(0.5)(ppg, ppg > 0)) AS median_price_per_gram_usd,
    countIf(ppg > 0) AS gram_observations
FROM
(
    SELECT
        ships_from, ships_to, arrayResize(ships_to_basis, length(ships_to), '') AS bases,
        category, observed_at, source, listing_id, vendor, price_usd,
        multiIf(unit = 'g', quantity, unit = 'kg', quantity * 1000, unit = 'mg', quantity / 1000, unit = 'oz', quantity * 28.349523125, 0) AS grams,
        if(grams > 0 AND price_usd > 0, price_usd / grams, 0) AS ppg
    FROM listing_obs
)
ARRAY JOIN ships_to, bases AS basis
GROUP BY ships_from, ships_to, category, week, source;
