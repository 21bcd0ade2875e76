-- 0160_routes_ids: routes counts listings and vendors by 64-bit hashes of their ids instead of the
-- ids themselves, and the loader merges each closed month of those rows into one part.
--
-- routes_ids replaces routes_members of 0102: the same rows, one per (route, week, kind, id), with
-- id the cityHash64 of the listing id (kinds 0-3) or of the vendor handle (kind 4) instead of the
-- string. Grouping and counting distinct 64-bit numbers costs half of what strings cost, on insert
-- (routes_ids_mv) and on every question asked while a month's rows are in several parts. Two
-- listings (or vendors) of one route and week are counted as one only if their ids' 64-bit hashes
-- are equal: for a route-week of n ids the chance is about n^2 / 2^65 (1 in 37 million for a
-- million listings on one route in one week).
--
-- The engine's background merges leave a month's rows in a few parts (3 to 5 on the views
-- benchmark's 10 million listings, however long it waits), and routes counts distinct ids for
-- every week of a month in several parts. The loader therefore merges each month of routes_ids in
-- several parts whose weeks are all past (warehouse.DB.Compact, every load.compact_interval),
-- so only the weeks still being written are counted by id.
--
-- routes_ids_backfill holds the rows of the observations stored before routes_ids_mv existed,
-- computed from listing_obs, not copied from routes_members, which this migration drops with its
-- backfill and materialized view.

DROP TABLE IF EXISTS routes_members_mv;

-- routes_ids: one row per route, week, kind and hashed listing id or vendor handle (several
-- copies of a row before the engine merges them; read it through routes).
--   route_sip   sipHash64(source, ships_from, ships_to, category) of the route
--   route_city  cityHash64(source, ships_from, ships_to, category) of the route
--   week        Monday of the observation week (UTC)
--   kind        0 listing on the route, 1 listing on it by an explicit destination, 2 by a
--               region, 3 by a worldwide term, 4 vendor handle offering a listing on it
--   id          cityHash64 of the listing id (kinds 0-3) or of the vendor handle (kind 4)
CREATE TABLE IF NOT EXISTS routes_ids
(
    route_sip UInt64,
    route_city UInt64,
    week Date,
    kind UInt8,
    id UInt64
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(week)
ORDER BY (route_sip, route_city, week, kind, id);

-- routes_ids_mv: turns every block inserted into listing_obs into rows of routes_ids, each once
-- (grouped), its columns as in routes_ids.
CREATE MATERIALIZED VIEW IF NOT EXISTS routes_ids_mv TO routes_ids AS
SELECT
    sipHash64(source, ships_from, tupleElement(m, 1), category) AS route_sip,
    cityHash64(source, ships_from, tupleElement(m, 1), category) AS route_city,
    toMonday(observed_at) AS week, tupleElement(m, 2) AS kind, tupleElement(m, 3) AS id
FROM listing_obs
ARRAY JOIN arrayConcat(
    arrayMap((d, x) -> (d, toUInt8(0), x), ships_to, arrayResize(emptyArrayUInt64(), length(ships_to), cityHash64(listing_id))),
    arrayMap((d, x) -> (d, toUInt8(4), x), ships_to, arrayResize(emptyArrayUInt64(), length(ships_to), cityHash64(vendor))),
    arrayFilter(t -> tupleElement(t, 2) != 0, arrayMap((d, b, x) -> (d, toUInt8(multiIf(b = 'explicit', 1, b = 'region', 2, b = 'worldwide', 3, 0)), x),
        ships_to, arrayResize(ships_to_basis, length(ships_to), ''), arrayResize(emptyArrayUInt64(), length(ships_to), cityHash64(listing_id))))) AS m
GROUP BY route_sip, route_city, week, kind, id;

-- routes_ids_backfill: the routes_ids rows of the listing observations stored before
-- routes_ids_mv existed (inserted at or before the second it was created), each once, its
-- columns as in routes_ids.
DROP TABLE IF EXISTS routes_ids_backfill;
CREATE TABLE IF NOT EXISTS routes_ids_backfill
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(week)
ORDER BY (route_sip, route_city, week, kind, id)
AS SELECT
    sipHash64(source, ships_from, tupleElement(m, 1), category) AS route_sip,
    cityHash64(source, ships_from, tupleElement(m, 1), category) AS route_city,
    toMonday(observed_at) AS week, tupleElement(m, 2) AS kind, tupleElement(m, 3) AS id
FROM listing_obs
ARRAY JOIN arrayConcat(
    arrayMap((d, x) -> (d, toUInt8(0), x), ships_to, arrayResize(emptyArrayUInt64(), length(ships_to), cityHash64(listing_id))),
    arrayMap((d, x) -> (d, toUInt8(4), x), ships_to, arrayResize(emptyArrayUInt64(), length(ships_to), cityHash64(vendor))),
    arrayFilter(t -> tupleElement(t, 2) != 0, arrayMap((d, b, x) -> (d, toUInt8(multiIf(b = 'explicit', 1, b = 'region', 2, b = 'worldwide', 3, 0)), x),
        ships_to, arrayResize(ships_to_basis, length(ships_to), ''), arrayResize(emptyArrayUInt64(), length(ships_to), cityHash64(listing_id))))) AS m
WHERE inserted_at <= (SELECT max(metadata_modification_time) FROM system.tables WHERE database = currentDatabase() AND name = 'routes_ids_mv')
GROUP BY route_sip, route_city, week, kind, id;

-- routes: trafficking routes by week, read from routes_prices, routes_ids and their
-- backfills. One row per (ships_from, ships_to, category, week, source); a listing that ships to
-- several countries counts on each route, whatever the basis of the destination; listings
-- without a destination are not on any route.
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
-- observations. A question asked while a new part lands in a month that had one part may, rarely,
-- fail (throwIf) rather than count its rows twice: ask it again.
-- Listings and vendors are told apart by 64-bit hashes of their ids (see the head of this file).
DROP TABLE IF EXISTS routes;
CREATE VIEW IF NOT EXISTS routes AS
SELECT
    ships_from, ships_to, category, week, source,
    if(split, hl, cl) AS listings,
    if(split, he, ce) AS listings_explicit,
    if(split, hr, cr) AS listings_region,
    if(split, hw, cw) AS listings_worldwide,
    if(split, hv, cv) AS vendors,
    median_price_usd, median_price_per_gram_usd, gram_observations
FROM
(
    SELECT source, ships_from, ships_to, category, week, route_sip, route_city,
        median_price_usd, median_price_per_gram_usd, gram_observations, cl, ce, cr, cw, cv, split
    FROM
    (
        SELECT source, ships_from, ships_to, category, week, route_sip, route_city,
            if(countIfMerge(pc) = 0, 0, quantileIfMerge(0.5)(ps)) AS median_price_usd,
            if(countIfMerge(gc) = 0, 0, quantileIfMerge(0.5)(gs)) AS median_price_per_gram_usd,
            countIfMerge(gc) AS gram_observations
        FROM
        (
            SELECT source, ships_from, ships_to, category, week, route_sip, route_city,
                priced AS pc, price_sample AS ps, gram_priced AS gc, gram_sample AS gs
            FROM routes_prices
            UNION ALL
            SELECT source, ships_from, ships_to, category, week, route_sip, route_city,
                priced AS pc, price_sample AS ps, gram_priced AS gc, gram_sample AS gs
            FROM routes_prices_backfill
        )
        GROUP BY source, ships_from, ships_to, category, week, route_sip, route_city
    )
    ANY LEFT JOIN
    (
        SELECT route_sip, route_city, week,
            countIf(kind = 0) AS cl, countIf(kind = 1) AS ce, countIf(kind = 2) AS cr,
            countIf(kind = 3) AS cw, countIf(kind = 4) AS cv, min(u) != max(u) AS split
        FROM
        (
            SELECT route_sip, route_city, week, kind, _part_index + 1 AS u FROM routes_ids
            UNION ALL
            SELECT route_sip, route_city, week, kind, toUInt64(0) AS u FROM routes_ids_backfill
        )
        GROUP BY route_sip, route_city, week
    ) USING (route_sip, route_city, week)
)
ANY LEFT JOIN
(
    SELECT route_sip, route_city, week,
        sumIf(h, kind = 0) AS hl, sumIf(h, kind = 1) AS he, sumIf(h, kind = 2) AS hr,
        sumIf(h, kind = 3) AS hw, sumIf(h, kind = 4) AS hv, toUInt8(1) AS hashed
    FROM
    (
        SELECT route_sip, route_city, week, kind, uniqExact(id) AS h
        FROM
        (
            SELECT route_sip, route_city, week, kind, id FROM routes_ids
            WHERE week >= (SELECT if(count() = 0, toDate('2105-12-31'), min(d)) FROM (
                SELECT partition, min(min_date) AS d,
                    countIf(table = 'routes_ids') + (countIf(table = 'routes_ids_backfill') > 0) AS units
                FROM system.parts
                WHERE database = currentDatabase() AND table IN ('routes_ids', 'routes_ids_backfill') AND active
                GROUP BY partition HAVING units > 1))
            UNION ALL
            SELECT route_sip, route_city, week, kind, id FROM routes_ids_backfill
            WHERE week >= (SELECT if(count() = 0, toDate('2105-12-31'), min(d)) FROM (
                SELECT partition, min(min_date) AS d,
                    countIf(table = 'routes_ids') + (countIf(table = 'routes_ids_backfill') > 0) AS units
                FROM system.parts
                WHERE database = currentDatabase() AND table IN ('routes_ids', 'routes_ids_backfill') AND active
                GROUP BY partition HAVING units > 1))
        )
        GROUP BY route_sip, route_city, week, kind
    )
    GROUP BY route_sip, route_city, week
) USING (route_sip, route_city, week)
WHERE throwIf(split AND hashed = 0) = 0;

DROP TABLE IF EXISTS routes_members;
DROP TABLE IF EXISTS routes_members_backfill;
