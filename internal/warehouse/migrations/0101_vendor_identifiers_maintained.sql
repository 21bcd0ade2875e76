-- 0101_vendor_identifiers_maintained: the identifiers of each vendor identity are computed once,
-- as observations arrive, so vendor_identifiers, vendor_links, vendor_link_pairs and the vendor
-- clusters read a small table instead of every listing and profile observation.
--
-- vendor_identifiers_state holds, per (kind, value, source, handle), the states of first_seen,
-- last_seen and the latest capture: an AggregatingMergeTree fed by two materialized views, one on
-- vendor_obs (vendor_identifiers_profiles_mv: fingerprints, addresses, the handle and its similar
-- form) and one on listing_obs (vendor_identifiers_listings_mv: addresses and the vendor handle),
-- and vendor_identifiers_backfill the same states for the rows stored before those views existed
-- (inserted at or before the second each was created). Every state is a minimum, maximum or
-- latest value, so a row seen twice changes nothing. vendor_identifiers merges both and answers
-- as the view of 0009 did, row for row; vendor_links and the views reading it are unchanged and
-- find it by name.

-- vendor_identifiers_state: identifier states, one row per (kind, value, source, handle) once
-- merged (several before the engine merges them; read it through vendor_identifiers).
--   source          market id
--   handle          vendor handle on that market (from profiles and listings)
--   kind            pgp_fingerprint, crypto_address, handle or similar_handle (see vendor_identifiers)
--   value           the fingerprint, address or normalized handle
--   first_state     state of the earliest observation showing it (min)
--   last_state      state of the latest observation showing it (max)
--   capture_state   state of the SHA-256 of the latest page showing it (argMax by observation time)
CREATE TABLE IF NOT EXISTS vendor_identifiers_state
(
    source String,
    handle String,
    kind String,
    value String,
    first_state AggregateFunction(min, DateTime),
    last_state AggregateFunction(max, DateTime),
    capture_state AggregateFunction(argMax, String, DateTime)
)
ENGINE = AggregatingMergeTree
ORDER BY (kind, value, source, handle);

-- vendor_identifiers_profiles_mv: turns every block inserted into vendor_obs into rows of
-- vendor_identifiers_state, its columns as in vendor_identifiers_state.
CREATE MATERIALIZED VIEW IF NOT EXISTS vendor_identifiers_profiles_mv TO vendor_identifiers_state AS
SELECT
    source, handle, tupleElement(k, 1) AS kind, tupleElement(k, 2) AS value,
    minState(observed_at) AS first_state,
    maxState(observed_at) AS last_state,
    argMaxState(capture_sha256, observed_at) AS capture_state
FROM vendor_obs
ARRAY JOIN arrayConcat(
    arrayMap(x -> ('pgp_fingerprint', x), pgp_fingerprints),
    arrayMap(x -> ('crypto_address', x), crypto_addresses),
    [('handle', lower(handle)), ('similar_handle', replaceRegexpAll(lower(handle), '[0-9_.-]', ''))]) AS k
WHERE handle != '' AND value != '' AND NOT (kind = 'similar_handle' AND lengthUTF8(value) < 4)
GROUP BY source, handle, kind, value;

-- vendor_identifiers_listings_mv: turns every block inserted into listing_obs into rows of
-- vendor_identifiers_state, its columns as in vendor_identifiers_state.
CREATE MATERIALIZED VIEW IF NOT EXISTS vendor_identifiers_listings_mv TO vendor_identifiers_state AS
SELECT
    source, vendor AS handle, tupleElement(k, 1) AS kind, tupleElement(k, 2) AS value,
    minState(observed_at) AS first_state,
    maxState(observed_at) AS last_state,
    argMaxState(capture_sha256, observed_at) AS capture_state
FROM listing_obs
ARRAY JOIN arrayConcat(
    arrayMap(x -> ('crypto_address', x), crypto_addresses),
    [('handle', lower(vendor)), ('similar_handle', replaceRegexpAll(lower(vendor), '[0-9_.-]', ''))]) AS k
WHERE handle != '' AND value != '' AND NOT (kind = 'similar_handle' AND lengthUTF8(value) < 4)
GROUP BY source, handle, kind, value;

-- vendor_identifiers_backfill: the vendor_identifiers_state rows of the observations stored
-- before the two materialized views existed (inserted at or before the second each was
-- created), its columns as in vendor_identifiers_state. The regular expression of the similar
-- handle runs once per identity here, not once per observation.
DROP TABLE IF EXISTS vendor_identifiers_backfill;
CREATE TABLE IF NOT EXISTS vendor_identifiers_backfill
ENGINE = AggregatingMergeTree
ORDER BY (kind, value, source, handle)
AS SELECT
    source, handle, tupleElement(k, 1) AS kind, tupleElement(k, 2) AS value,
    minState(first) AS first_state,
    maxState(last) AS last_state,
    argMaxState(cap, last) AS capture_state
FROM
(
    SELECT source, handle, min(at) AS first, max(at) AS last, argMax(c, at) AS cap,
        [('handle', lower(handle)), ('similar_handle', replaceRegexpAll(lower(handle), '[0-9_.-]', ''))] AS ks
    FROM
    (
        SELECT source, handle, observed_at AS at, capture_sha256 AS c FROM vendor_obs
        WHERE inserted_at <= (SELECT max(metadata_modification_time) FROM system.tables
            WHERE database = currentDatabase() AND name = 'vendor_identifiers_profiles_mv')
        UNION ALL
        SELECT source, vendor AS handle, observed_at AS at, capture_sha256 AS c FROM listing_obs
        WHERE inserted_at <= (SELECT max(metadata_modification_time) FROM system.tables
            WHERE database = currentDatabase() AND name = 'vendor_identifiers_listings_mv')
    )
    GROUP BY source, handle
    UNION ALL
    SELECT source, handle, min(at) AS first, max(at) AS last, argMax(c, at) AS cap, [k0] AS ks
    FROM
    (
        SELECT source, handle, k0, observed_at AS at, capture_sha256 AS c
        FROM vendor_obs
        ARRAY JOIN arrayConcat(
            arrayMap(x -> ('pgp_fingerprint', x), pgp_fingerprints),
            arrayMap(x -> ('crypto_address', x), crypto_addresses)) AS k0
        WHERE inserted_at <= (SELECT max(metadata_modification_time) FROM system.tables
            WHERE database = currentDatabase() AND name = 'vendor_identifiers_profiles_mv')
        UNION ALL
        SELECT source, vendor AS handle, ('crypto_address', addr) AS k0, observed_at AS at, capture_sha256 AS c
        FROM listing_obs
        ARRAY JOIN crypto_addresses AS addr
        WHERE inserted_at <= (SELECT max(metadata_modification_time) FROM system.tables
            WHERE database = currentDatabase() AND name = 'vendor_identifiers_listings_mv')
    )
    GROUP BY source, handle, k0
)
ARRAY JOIN ks AS k
WHERE handle != '' AND value != '' AND NOT (kind = 'similar_handle' AND lengthUTF8(value) < 4)
GROUP BY source, handle, kind, value;

-- vendor_identifiers: what identifies each vendor identity (market, handle), read from
-- vendor_identifiers_state and vendor_identifiers_backfill: one row per (source, handle, kind, value).
--   source          market id
--   handle          vendor handle on that market (from profiles and listings)
--   kind            pgp_fingerprint (profile), crypto_address (profile or listing),
--                   handle (the handle lower-cased), similar_handle (lower-cased with
--                   digits, '_', '-' and '.' removed; kept only when 4 or more characters remain)
--   value           the fingerprint, address or normalized handle
--   first_seen      earliest observation showing it
--   last_seen       latest observation showing it
--   capture_sha256  SHA-256 of the latest page showing it (evidence)
DROP TABLE IF EXISTS vendor_identifiers;
CREATE VIEW IF NOT EXISTS vendor_identifiers AS
SELECT
    source, handle, kind, value,
    minMerge(f) AS first_seen,
    maxMerge(l) AS last_seen,
    argMaxMerge(c) AS capture_sha256
FROM
(
    SELECT source, handle, kind, value, first_state AS f, last_state AS l, capture_state AS c
    FROM vendor_identifiers_state
    UNION ALL
    SELECT source, handle, kind, value, first_state AS f, last_state AS l, capture_state AS c
    FROM vendor_identifiers_backfill
)
GROUP BY source, handle, kind, value;
