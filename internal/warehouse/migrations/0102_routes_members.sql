-- 0102_routes_members: routes counts listings and vendors from rows kept once per route, week and
-- listing, and reads its medians from a table one row per route and week, instead of merging a set
-- of every listing id of every route and week (routes_state of 0100) on every question.
--
-- A route is (source, ships_from, ships_to, category); route_sip and route_city are two 64-bit
-- hashes of it (sipHash64 and cityHash64 of the four strings), so the counts group on two numbers
-- instead of four strings. Two routes are mixed up only if both hashes agree (one chance in
-- 2^128, the same as the 128-bit hash uniqExact keeps of every listing id).
--
-- routes_members holds one row per (route, week, kind, id): the listing ids on the route that week
-- (kind 0), those on it by an explicit, region or worldwide destination (kinds 1, 2, 3) and the
-- vendor handles offering them (kind 4). routes_members_mv groups every block inserted into
-- listing_obs before writing it, so no part holds a row twice; a row held by two parts (the same
-- listing seen in two inserts) is one row once the engine merges them (ReplacingMergeTree).
-- routes_members_backfill holds the same rows for the observations stored before the view existed
-- (inserted at or before the second it was created), computed by one GROUP BY, so it holds no row
-- twice either. routes therefore counts a group's rows with count() when they all come from one
-- part (or all from the backfill), and counts its distinct ids (uniqExact) only when they come
-- from several: groups of weeks at or after the earliest week of a partition (month) whose rows
-- are in several parts (routes_members parts, the backfill counting as one, as system.parts lists
-- them). Once the engine has merged a month into one part, its routes are counted without hashing a
-- listing id.
--
-- routes_prices holds the aggregate states of the medians per route and week, weighing every
-- stored observation as the view of 0062 did (a duplicate event not yet merged weighs twice);
-- routes_prices_mv and routes_prices_backfill fill it as routes_members. routes no longer reads
-- routes_state and routes_backfill of 0100; routes_mv still fills routes_state, which the route
-- watches read (internal/cases), until they read routes_prices (same route columns) instead.

-- routes_members: one row per route, week, kind and listing id or vendor handle (several copies
-- of a row before the engine merges them; read it through routes).
--   route_sip   sipHash64(source, ships_from, ships_to, category) of the route
--   route_city  cityHash64(source, ships_from, ships_to, category) of the route
--   week        Monday of the observation week (UTC)
--   kind        0 listing on the route, 1 listing on it by an explicit destination, 2 by a
--               region, 3 by a worldwide term, 4 vendor handle offering a listing on it
--   id          the listing id (kinds 0-3) or the vendor handle (kind 4)
CREATE TABLE IF NOT EXISTS routes_members
(
    route_sip UInt64,
    route_city UInt64,
    week Date,
    kind UInt8,
    id String
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(week)
ORDER BY (route_sip, route_city, week, kind, id);

-- routes_members_mv: turns every block inserted into listing_obs into rows of routes_members,
-- each once, its columns as in routes_members.
CREATE MATERIALIZED VIEW IF NOT EXISTS routes_members_mv TO routes_members AS
SELECT
    sipHash64(source, ships_from, tupleElement(m, 1), category) AS route_sip,
    cityHash64(source, ships_from, tupleElement(m, 1), category) AS route_city,
    toMonday(observed_at) AS week, tupleElement(m, 2) AS kind, tupleElement(m, 3) AS id
FROM listing_obs
ARRAY JOIN arrayConcat(
    arrayMap((d, x) -> (d, toUInt8(0), x), ships_to, arrayResize(emptyArrayString(), length(ships_to), listing_id)),
    arrayMap((d, x) -> (d, toUInt8(4), x), ships_to, arrayResize(emptyArrayString(), length(ships_to), vendor)),
    arrayFilter(t -> tupleElement(t, 2) != 0, arrayMap((d, b, x) -> (d, toUInt8(multiIf(b = 'explicit', 1, b = 'region', 2, b = 'worldwide', 3, 0)), x),
        ships_to, arrayResize(ships_to_basis, length(ships_to), ''), arrayResize(emptyArrayString(), length(ships_to), listing_id)))) AS m
GROUP BY route_sip, route_city, week, kind, id;

-- routes_members_backfill: the routes_members rows of the listing observations stored before
-- routes_members_mv existed (inserted at or before the second it was created), each once, its
-- columns as in routes_members.
DROP TABLE IF EXISTS routes_members_backfill;
CREATE TABLE IF NOT EXISTS routes_members_backfill
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(week)
ORDER BY (route_sip, route_city, week, kind, id)
AS SELECT
    sipHash64(source, ships_from, tupleElement(m, 1), category) AS route_sip,
    cityHash64(source, ships_from, tupleElement(m, 1), category) AS route_city,
    toMonday(observed_at) AS week, tupleElement(m, 2) AS kind, tupleElement(m, 3) AS id
FROM listing_obs
ARRAY JOIN arrayConcat(
    arrayMap((d, x) -> (d, toUInt8(0), x), ships_to, arrayResize(emptyArrayString(), length(ships_to), listing_id)),
    arrayMap((d, x) -> (d, toUInt8(4), x), ships_to, arrayResize(emptyArrayString(), length(ships_to), vendor)),
    arrayFilter(t -> tupleElement(t, 2) != 0, arrayMap((d, b, x) -> (d, toUInt8(multiIf(b = 'explicit', 1, b = 'region', 2, b = 'worldwide', 3, 0)), x),
        ships_to, arrayResize(ships_to_basis, length(ships_to), ''), arrayResize(emptyArrayString(), length(ships_to), listing_id)))) AS m
WHERE inserted_at <= (SELECT max(metadata_modification_time) FROM system.tables WHERE database = currentDatabase() AND name = 'routes_members_mv')
GROUP BY route_sip, route_city, week, kind, id;

-- routes_prices: aggregate states of the medians of routes, one row per (source, ships_from,
-- ships_to, category, week) once merged (several before the engine merges them; read it
-- through routes).
--   source        the market (market id)
--   ships_from    ISO alpha-2 origin ('' when unknown)
--   ships_to      one ISO alpha-2 destination
--   category      taxonomy code ('' when unknown)
--   week          Monday of the observation week (UTC)
--   route_sip     sipHash64(source, ships_from, ships_to, category), as in routes_members
--   route_city    cityHash64(source, ships_from, ships_to, category), as in routes_members
--   priced        count of that week's observations with a known price
--   price_sample  quantile state of their USD prices
--   gram_priced   count of observations with a gram quantity and a known price
--   gram_sample   quantile state of their USD prices per gram
CREATE TABLE IF NOT EXISTS routes_prices
(
    source String,
    ships_from String,
    ships_to String,
    category String,
    week Date,
    route_sip UInt64,
    route_city UInt64,
    priced AggregateFunction(countIf, UInt8),
    price_sample AggregateFunction(quantileIf(0.5), Float64, UInt8),
    gram_priced AggregateFunction(countIf, UInt8),
    gram_sample AggregateFunction(quantileIf(0.5), Float64, UInt8)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(week)
ORDER BY (source, ships_from, ships_to, category, week, route_sip, route_city);

-- routes_prices_mv: turns every block inserted into listing_obs into rows of routes_prices, its
-- columns as in routes_prices.
CREATE MATERIALIZED VIEW IF NOT EXISTS routes_prices_mv TO routes_prices AS
SELECT
    source, ships_from, ships_to, category, toMonday(observed_at) AS week,
    sipHash64(source, ships_from, ships_to, category) AS route_sip,
    cityHash64(source, ships_from, ships_to, category) AS route_city,
    countIfState(price_usd > 0) AS priced,
    quantileIfState(0.5)(price_usd, price_usd > 0) AS price_sample,
    countIfState(price_usd > 0 AND (multiIf(unit = 'g', quantity, unit = 'kg', quantity * 1000, unit = 'mg', quantity / 1000,
        unit = 'oz', quantity * 28.349523125, 0) AS grams) > 0) AS gram_priced,
    quantileIfState(0.5)(price_usd / grams, price_usd > 0 AND grams > 0) AS gram_sample
FROM listing_obs
ARRAY JOIN ships_to
GROUP BY source, ships_from, ships_to, category, week;

-- routes_prices_backfill: the routes_prices rows of the listing observations stored before
-- routes_prices_mv existed (inserted at or before the second it was created), its columns as in
-- routes_prices.
DROP TABLE IF EXISTS routes_prices_backfill;
CREATE TABLE IF NOT EXISTS routes_prices_backfill
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(week)
ORDER BY (source, ships_from, ships_to, category, week, route_sip, route_city)
AS SELECT
    source, ships_from, ships_to, category, toMonday(observed_at) AS week,
    sipHash64(source, ships_from, ships_to, category) AS route_sip,
    cityHash64(source, ships_from, ships_to, category) AS route_city,
    countIfState(price_usd > 0) AS priced,
    quantileIfState(0.5)(price_usd, price_usd > 0) AS price_sample,
    countIfState(price_usd > 0 AND (multiIf(unit = 'g', quantity, unit = 'kg', quantity * 1000, unit = 'mg', quantity / 1000,
        unit = 'oz', quantity * 28.349523125, 0) AS grams) > 0) AS gram_priced,
    quantileIfState(0.5)(price_usd / grams, price_usd > 0 AND grams > 0) AS gram_sample
FROM listing_obs
ARRAY JOIN ships_to
WHERE inserted_at <= (SELECT max(metadata_modification_time) FROM system.tables WHERE database = currentDatabase() AND name = 'routes_prices_mv')
GROUP BY source, ships_from, ships_to, category, week;

-- routes: trafficking routes by week, read from routes_prices, routes_members and their
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
            SELECT route_sip, route_city, week, kind, _part_index + 1 AS u FROM routes_members
            UNION ALL
            SELECT route_sip, route_city, week, kind, toUInt64(0) AS u FROM routes_members_backfill
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
            SELECT route_sip, route_city, week, kind, id FROM routes_members
            WHERE week >= (SELECT if(count() = 0, toDate('2105-12-31'), min(d)) FROM (
                SELECT partition, min(min_date) AS d,
                    countIf(table = 'routes_members') + (countIf(table = 'routes_members_backfill') > 0) AS units
                FROM system.parts
                WHERE database = currentDatabase() AND table IN ('routes_members', 'routes_members_backfill') AND active
                GROUP BY partition HAVING units > 1))
            UNION ALL
            SELECT route_sip, route_city, week, kind, id FROM routes_members_backfill
            WHERE week >= (SELECT if(count() = 0, toDate('2105-12-31'), min(d)) FROM (
                SELECT partition, min(min_date) AS d,
                    countIf(table = 'routes_members') + (countIf(table = 'routes_members_backfill') > 0) AS units
                FROM system.parts
                WHERE database = currentDatabase() AND table IN ('routes_members', 'routes_members_backfill') AND active
                GROUP BY partition HAVING units > 1))
        )
        GROUP BY route_sip, route_city, week, kind
    )
    GROUP BY route_sip, route_city, week
) USING (route_sip, route_city, week)
WHERE throwIf(split AND hashed = 0) = 0;
