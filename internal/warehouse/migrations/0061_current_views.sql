-- 0061_current_views: the latest-state views carry every column of their observation table,
-- the columns added since they were first made included, and forum threads get one.
--
-- Replaced by DROP TABLE IF EXISTS + CREATE VIEW IF NOT EXISTS (see 0002). A Nullable column is
-- taken from the most recent observation through a one-element tuple, so that a value the latest
-- page no longer shows reads NULL rather than an older observation's value (argMax skips NULLs).

-- listing_current: the latest observation of each listing, one row per (source, listing_id).
-- Every column but the three below is the value of the most recent observation (argMax by
-- observed_at), with the meaning it has in listing_obs.
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
    argMax(ships_to_excluded, observed_at) AS ships_to_excluded,
    argMax(price_per_unit, observed_at) AS price_per_unit,
    argMax(price_per_unit_usd, observed_at) AS price_per_unit_usd,
    argMax(prices_amount, observed_at) AS prices_amount,
    argMax(prices_currency, observed_at) AS prices_currency,
    argMax(prices_raw, observed_at) AS prices_raw,
    argMax(price_max, observed_at) AS price_max,
    argMax(price_usd_basis, observed_at) AS price_usd_basis,
    argMax(price_usd_rate, observed_at) AS price_usd_rate,
    argMax(ships_to_basis, observed_at) AS ships_to_basis,
    argMax(ships_from_region, observed_at) AS ships_from_region,
    argMax(listed_at, observed_at) AS listed_at,
    argMax(listed_raw, observed_at) AS listed_raw,
    tupleElement(argMax(tuple(stock), observed_at), 1) AS stock,
    tupleElement(argMax(tuple(views), observed_at), 1) AS views,
    tupleElement(argMax(tuple(sold), observed_at), 1) AS sold,
    argMax(product_class, observed_at) AS product_class,
    argMax(product_class_raw, observed_at) AS product_class_raw,
    tupleElement(argMax(tuple(finalize_early), observed_at), 1) AS finalize_early,
    argMax(escrow_known, observed_at) AS escrow_known,
    argMax(shipping_methods, observed_at) AS shipping_methods,
    argMax(shipping_costs, observed_at) AS shipping_costs,
    argMax(shipping_currencies, observed_at) AS shipping_currencies,
    argMax(shipping_durations, observed_at) AS shipping_durations,
    argMax(shipping_destinations, observed_at) AS shipping_destinations,
    argMax(shipping_raw, observed_at) AS shipping_raw,
    tupleElement(argMax(tuple(vendor_rating), observed_at), 1) AS vendor_rating,
    tupleElement(argMax(tuple(vendor_sales), observed_at), 1) AS vendor_sales,
    argMax(vendor_level, observed_at) AS vendor_level,
    tupleElement(argMax(tuple(vendor_feedback_percent), observed_at), 1) AS vendor_feedback_percent,
    argMax(attr_keys, observed_at) AS attr_keys,
    argMax(attr_types, observed_at) AS attr_types,
    argMax(attr_values, observed_at) AS attr_values,
    min(observed_at) AS first_seen,
    max(observed_at) AS last_seen,
    uniqExact(obs_event_id) AS observations
FROM (SELECT *, event_id AS obs_event_id FROM listing_obs)
GROUP BY source, listing_id;

-- vendor_current: the latest observation of each vendor profile, one row per (source, handle).
-- Every column but the three below is the value of the most recent observation, with the meaning
-- it has in vendor_obs.
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
    argMax(joined_at, observed_at) AS joined_at,
    argMax(ships_from_region, observed_at) AS ships_from_region,
    argMax(ships_to, observed_at) AS ships_to,
    argMax(ships_to_basis, observed_at) AS ships_to_basis,
    argMax(ships_to_raw, observed_at) AS ships_to_raw,
    argMax(ships_to_excluded, observed_at) AS ships_to_excluded,
    argMax(last_online, observed_at) AS last_online,
    argMax(last_online_raw, observed_at) AS last_online_raw,
    tupleElement(argMax(tuple(feedback_percent), observed_at), 1) AS feedback_percent,
    argMax(level, observed_at) AS level,
    tupleElement(argMax(tuple(level_num), observed_at), 1) AS level_num,
    argMax(trust_level, observed_at) AS trust_level,
    tupleElement(argMax(tuple(trust_level_num), observed_at), 1) AS trust_level_num,
    tupleElement(argMax(tuple(verified), observed_at), 1) AS verified,
    tupleElement(argMax(tuple(disputes_won), observed_at), 1) AS disputes_won,
    tupleElement(argMax(tuple(disputes_lost), observed_at), 1) AS disputes_lost,
    argMax(history_markets, observed_at) AS history_markets,
    argMax(history_sales, observed_at) AS history_sales,
    argMax(history_ratings, observed_at) AS history_ratings,
    argMax(history_rating_max, observed_at) AS history_rating_max,
    argMax(history_claims_raw, observed_at) AS history_claims_raw,
    argMax(history_raw, observed_at) AS history_raw,
    tupleElement(argMax(tuple(finalize_early), observed_at), 1) AS finalize_early,
    argMax(title, observed_at) AS title,
    argMax(contact_kinds, observed_at) AS contact_kinds,
    argMax(contact_values, observed_at) AS contact_values,
    argMax(attr_keys, observed_at) AS attr_keys,
    argMax(attr_types, observed_at) AS attr_types,
    argMax(attr_values, observed_at) AS attr_values,
    min(observed_at) AS first_seen,
    max(observed_at) AS last_seen,
    uniqExact(obs_event_id) AS observations
FROM (SELECT *, event_id AS obs_event_id FROM vendor_obs)
GROUP BY source, handle;

-- thread_current: the latest observation of each forum thread, one row per (source, thread_id).
-- Every column but the three below is the value of the most recent observation, with the meaning
-- it has in thread_obs.
--   first_seen    earliest observed_at of the thread
--   last_seen     latest observed_at of the thread (the observation shown)
--   observations  distinct observation events
DROP TABLE IF EXISTS thread_current;
CREATE VIEW IF NOT EXISTS thread_current AS
SELECT
    source,
    thread_id,
    argMax(event_id, observed_at) AS event_id,
    argMax(mirror, observed_at) AS mirror,
    argMax(url, observed_at) AS url,
    argMax(title, observed_at) AS title,
    argMax(board, observed_at) AS board,
    argMax(author, observed_at) AS author,
    argMax(started_at, observed_at) AS started_at,
    argMax(started_raw, observed_at) AS started_raw,
    tupleElement(argMax(tuple(replies), observed_at), 1) AS replies,
    tupleElement(argMax(tuple(views), observed_at), 1) AS views,
    tupleElement(argMax(tuple(pages), observed_at), 1) AS pages,
    argMax(last_post_at, observed_at) AS last_post_at,
    argMax(last_post_raw, observed_at) AS last_post_raw,
    argMax(last_poster, observed_at) AS last_poster,
    tupleElement(argMax(tuple(sticky), observed_at), 1) AS sticky,
    tupleElement(argMax(tuple(locked), observed_at), 1) AS locked,
    argMax(attr_keys, observed_at) AS attr_keys,
    argMax(attr_types, observed_at) AS attr_types,
    argMax(attr_values, observed_at) AS attr_values,
    argMax(flags, observed_at) AS flags,
    argMax(capture_sha256, observed_at) AS capture_sha256,
    argMax(pipeline, observed_at) AS pipeline,
    argMax(run_id, observed_at) AS run_id,
    min(observed_at) AS first_seen,
    max(observed_at) AS last_seen,
    uniqExact(obs_event_id) AS observations
FROM (SELECT *, event_id AS obs_event_id FROM thread_obs)
GROUP BY source, thread_id;
