-- 0100_routes_maintained: routes reads a small table ClickHouse keeps up to date as listing
-- observations arrive, instead of recomputing every observation on every question.
--
-- routes_state holds, per route, category, week and market, the aggregate states of the routes
-- columns (the set of listings, of vendors, the price samples): an AggregatingMergeTree that
-- routes_mv feeds with every block inserted into listing_obs from the moment it exists, and
-- routes_backfill the same states for the rows stored before it (inserted at or before the
-- second routes_mv was created). The routes view merges both and answers as the view of 0062
-- did, row for row. A migration interrupted after routes_mv exists computes routes_backfill
-- again from the start (it is dropped first), so no row is missed or counted twice in it.
--
-- Listings, vendors and the basis counts are sets: a row seen twice (an event delivered again,
-- a row inserted in the second routes_mv was created) counts once. The medians and
-- gram_observations weigh every stored row, as the view did before duplicates merge; a
-- duplicate event keeps weighing twice in them after listing_obs collapses it.

-- routes_state: aggregate states of routes, one row per (source, ships_from, ships_to, category,
-- week) once merged (several before the engine merges them; read it through routes).
--   ships_from               ISO alpha-2 origin ('' when unknown)
--   ships_to                 one ISO alpha-2 destination
--   category                 taxonomy code ('' when unknown)
--   week                     Monday of the observation week (UTC)
--   source                   the market (market id)
--   listings_set             set of listing ids offered on the route that week (uniqExact state)
--   explicit_set             of those, the listing ids whose page names the destination
--   region_set               of those, the listing ids shipping there through a region they name
--   worldwide_set            of those, the listing ids shipping there through a worldwide term
--   vendors_set              set of vendor handles offering them (uniqExact state)
--   priced                   count of that week's observations with a known price
--   price_sample             quantile state of their USD prices
--   gram_priced              count of observations with a gram quantity and a known price
--   gram_sample              quantile state of their USD prices per gram
CREATE TABLE IF NOT EXISTS routes_state
(
    ships_from String,
    ships_to String,
    category String,
    week Date,
    source String,
    listings_set AggregateFunction(uniqExact, String),
    explicit_set AggregateFunction(uniqExactIf, String, UInt8),
    region_set AggregateFunction(uniqExactIf, String, UInt8),
    worldwide_set AggregateFunction(uniqExactIf, String, UInt8),
    vendors_set AggregateFunction(uniqExact, String),
    priced AggregateFunction(countIf, UInt8),
    price_sample AggregateFunction(quantileIf(0.5), Float64, UInt8),
    gram_priced AggregateFunction(countIf, UInt8),
    gram_sample AggregateFunction(quantileIf(0.5), Float64, UInt8)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(week)
ORDER BY (source, ships_from, ships_to, category, week);

-- routes_mv: turns every block inserted into listing_obs into rows of routes_state, its columns
-- as in routes_state.
CREATE MATERIALIZED VIEW IF NOT EXISTS routes_mv TO routes_state AS
SELECT
    ships_from, ships_to, category, toMonday(observed_at) AS week, source,
    uniqExactState(listing_id) AS listings_set,
    uniqExactIfState(listing_id, basis = 'explicit') AS explicit_set,
    uniqExactIfState(listing_id, basis = 'region') AS region_set,
    uniqExactIfState(listing_id, basis = 'worldwide') AS worldwide_set,
    uniqExactState(vendor) AS vendors_set,
    countIfState(price_usd > 0) AS priced,
    quantileIfState(0.5)(price_usd, price_usd > 0) AS price_sample,
    countIfState(price_usd > 0 AND (multiIf(unit = 'g', quantity, unit = 'kg', quantity * 1000, unit = 'mg', quantity / 1000,
        unit = 'oz', quantity * 28.349523125, 0) AS grams) > 0) AS gram_priced,
    quantileIfState(0.5)(price_usd / grams, price_usd > 0 AND grams > 0) AS gram_sample
FROM listing_obs
ARRAY JOIN ships_to, arrayResize(ships_to_basis, length(ships_to), '') AS basis
GROUP BY ships_from, ships_to, category, week, source;

-- routes_backfill: the routes_state rows of the listing observations stored before routes_mv
-- existed (inserted at or before the second it was created), its columns as in routes_state.
DROP TABLE IF EXISTS routes_backfill;
CREATE TABLE IF NOT EXISTS routes_backfill
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(week)
ORDER BY (source, ships_from, ships_to, category, week)
AS SELECT
    ships_from, ships_to, category, toMonday(observed_at) AS week, source,
    uniqExactState(listing_id) AS listings_set,
    uniqExactIfState(listing_id, basis = 'explicit') AS explicit_set,
    uniqExactIfState(listing_id, basis = 'region') AS region_set,
    uniqExactIfState(listing_id, basis = 'worldwide') AS worldwide_set,
    uniqExactState(vendor) AS vendors_set,
    countIfState(price_usd > 0) AS priced,
    quantileIfState(0.5)(price_usd, price_usd > 0) AS price_sample,
    countIfState(price_usd > 0 AND (multiIf(unit = 'g', quantity, unit = 'kg', quantity * 1000, unit = 'mg', quantity / 1000,
        unit = 'oz', quantity * 28.349523125, 0) AS grams) > 0) AS gram_priced,
    quantileIfState(0.5)(price_usd / grams, price_usd > 0 AND grams > 0) AS gram_sample
FROM listing_obs
ARRAY JOIN ships_to, arrayResize(ships_to_basis, length(ships_to), '') AS basis
WHERE inserted_at <= (SELECT max(metadata_modification_time) FROM system.tables WHERE database = currentDatabase() AND name = 'routes_mv')
GROUP BY ships_from, ships_to, category, week, source;

-- routes: trafficking routes by week, read from routes_state and routes_backfill. One row per
-- (ships_from, ships_to, category, week, source); a listing that ships to several countries
-- counts on each route, whatever the basis of the destination; listings without a destination
-- are not on any route.
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
-- listings over a period from listing_destinations instead. Medians are approximate above 8192
-- observations.
DROP TABLE IF EXISTS routes;
CREATE VIEW IF NOT EXISTS routes AS
SELECT
    ships_from, ships_to, category, week, source,
    uniqExactMerge(l) AS listings,
    uniqExactIfMerge(le) AS listings_explicit,
    uniqExactIfMerge(lr) AS listings_region,
    uniqExactIfMerge(lw) AS listings_worldwide,
    uniqExactMerge(v) AS vendors,
    if(countIfMerge(pc) = 0, 0, quantileIfMerge(0.5)(ps)) AS median_price_usd,
    if(countIfMerge(gc) = 0, 0, quantileIfMerge(0.5)(gs)) AS median_price_per_gram_usd,
    countIfMerge(gc) AS gram_observations
FROM
(
    SELECT ships_from, ships_to, category, week, source, listings_set AS l, explicit_set AS le, region_set AS lr,
        worldwide_set AS lw, vendors_set AS v, priced AS pc, price_sample AS ps, gram_priced AS gc, gram_sample AS gs
    FROM routes_state
    UNION ALL
    SELECT ships_from, ships_to, category, week, source, listings_set AS l, explicit_set AS le, region_set AS lr,
        worldwide_set AS lw, vendors_set AS v, priced AS pc, price_sample AS ps, gram_priced AS gc, gram_sample AS gs
    FROM routes_backfill
)
GROUP BY ships_from, ships_to, category, week, source;
