-- 0002_current_views: latest-state and route views over the observation tables.
--
-- Views are replaced by DROP TABLE IF EXISTS + CREATE VIEW IF NOT EXISTS (the
-- form both ClickHouse 18.16 and current releases accept; 18.16 has neither
-- DROP VIEW nor CREATE OR REPLACE VIEW). The inner query is stored with the
-- database name of the session that created it. The current views count
-- observations over a renamed copy of event_id (obs_event_id) because the
-- output column event_id is an alias that would otherwise be substituted
-- into the count.

-- listing_current: the latest observation of each listing, one row per
-- (source, listing_id). Every column but the three below is the value of
-- the most recent observation (argMax by observed_at), with the meaning it
-- has in listing_obs.
--   first_seen    earliest observed_at of the listing
--   last_seen     latest observed_at of the listing (the observation shown)
--   observations  distinct observation events (duplicates of an event count once)
DROP TABLE IF EXISTS listing_current;
CREATE VIEW IF NOT EXISTS listing_current AS
SELECT
    source,
    listing_id,
    argMax(event_id, observed_at) AS event_id,
    argMax(mirror, observed_at) AS mirror,
    argMax(url, observed_at) AS url,
    argMax(title, observed_at) AS title,
    argMax(description, observed_at) AS description,
    argMax(category_raw, observed_at) AS category_raw,
    argMax(category, observed_at) AS category,
    argMax(vendor, observed_at) AS vendor,
    argMax(price_amount, observed_at) AS price_amount,
    argMax(price_currency, observed_at) AS price_currency,
    argMax(price_raw, observed_at) AS price_raw,
    argMax(price_usd, observed_at) AS price_usd,
    argMax(quantity, observed_at) AS quantity,
    argMax(unit, observed_at) AS unit,
    argMax(ships_from, observed_at) AS ships_from,
    argMax(ships_from_raw, observed_at) AS ships_from_raw,
    argMax(ships_to, observed_at) AS ships_to,
    argMax(ships_to_raw, observed_at) AS ships_to_raw,
    argMax(payment_methods, observed_at) AS payment_methods,
    argMax(escrow, observed_at) AS escrow,
    argMax(crypto_chains, observed_at) AS crypto_chains,
    argMax(crypto_addresses, observed_at) AS crypto_addresses,
    argMax(flags, observed_at) AS flags,
    argMax(capture_sha256, observed_at) AS capture_sha256,
    argMax(pipeline, observed_at) AS pipeline,
    argMax(run_id, observed_at) AS run_id,
    min(observed_at) AS first_seen,
    max(observed_at) AS last_seen,
    uniqExact(obs_event_id) AS observations
FROM (SELECT *, event_id AS obs_event_id FROM listing_obs)
GROUP BY source, listing_id;

-- vendor_current: the latest observation of each vendor profile, one row per
-- (source, handle); columns as in vendor_obs, taken from the most recent
-- observation.
--   first_seen    earliest observed_at of the profile
--   last_seen     latest observed_at of the profile (the observation shown)
--   observations  distinct observation events
DROP TABLE IF EXISTS vendor_current;
CREATE VIEW IF NOT EXISTS vendor_current AS
SELECT
    source,
    handle,
    argMax(event_id, observed_at) AS event_id,
    argMax(mirror, observed_at) AS mirror,
    argMax(url, observed_at) AS url,
    argMax(profile_url, observed_at) AS profile_url,
    argMax(pgp_fingerprints, observed_at) AS pgp_fingerprints,
    argMax(rating, observed_at) AS rating,
    argMax(sales, observed_at) AS sales,
    argMax(joined, observed_at) AS joined,
    argMax(ships_from, observed_at) AS ships_from,
    argMax(ships_from_raw, observed_at) AS ships_from_raw,
    argMax(contacts, observed_at) AS contacts,
    argMax(crypto_chains, observed_at) AS crypto_chains,
    argMax(crypto_addresses, observed_at) AS crypto_addresses,
    argMax(flags, observed_at) AS flags,
    argMax(capture_sha256, observed_at) AS capture_sha256,
    argMax(pipeline, observed_at) AS pipeline,
    argMax(run_id, observed_at) AS run_id,
    min(observed_at) AS first_seen,
    max(observed_at) AS last_seen,
    uniqExact(obs_event_id) AS observations
FROM (SELECT *, event_id AS obs_event_id FROM vendor_obs)
GROUP BY source, handle;

-- routes: trafficking routes by week. One row per (ships_from, ships_to,
-- category, week, source); a listing that ships to several countries counts
-- on each route; listings without a destination are not on any route.
--   ships_from        ISO alpha-2 origin ('' when unknown)
--   ships_to          one ISO alpha-2 destination
--   category          taxonomy code ('' when unknown)
--   week              Monday of the observation week (UTC)
--   source            market id
--   listings          distinct listings offered on the route that week
--   vendors           distinct vendor handles offering them
--   median_price_usd  median USD price over that week's observations with a
--                     known price (price_usd > 0); 0 when none had one.
--                     Approximate (ClickHouse quantile), and a duplicate event
--                     not yet merged counts twice.
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
    if(countIf(price_usd > 0) = 0, 0, quantileIf(0.5)(price_usd, price_usd > 0)) AS median_price_usd
FROM listing_obs
ARRAY JOIN ships_to
GROUP BY ships_from, ships_to, category, week, source;
