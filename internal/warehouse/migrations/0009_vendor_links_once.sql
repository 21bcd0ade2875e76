-- 0009: the vendor-link views, same rows as 0006, less work.
-- vendor_identifiers aggregates inside each branch before the union: one
-- group per (market, handle) gives both handle kinds (the regular
-- expression runs once per handle, not once per observation), and
-- addresses and fingerprints are grouped per identity before they merge.
-- vendor_links computes vendor_identifiers once instead of four times
-- (each side of a self-join and each side's IN list read it again): the
-- identities holding each identifier are gathered into one sorted array
-- per (kind, value), and the pairs are drawn from that array. Both are
-- replaced by DROP TABLE IF EXISTS + CREATE VIEW (see 0002); the views
-- reading them (vendor_links, vendor_link_pairs, vendor_clusters) find
-- them by name.

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
DROP TABLE IF EXISTS vendor_identifiers;
CREATE VIEW IF NOT EXISTS vendor_identifiers AS
SELECT
    source, handle, kind, value,
    min(first) AS first_seen,
    max(last) AS last_seen,
    argMax(cap, last) AS capture_sha256
FROM
(
    SELECT source, handle, tupleElement(k, 1) AS kind, tupleElement(k, 2) AS value, first, last, cap
    FROM
    (
        SELECT source, handle, min(at) AS first, max(at) AS last, argMax(c, at) AS cap
        FROM
        (
            SELECT source, handle, observed_at AS at, capture_sha256 AS c FROM vendor_obs
            UNION ALL
            SELECT source, vendor AS handle, observed_at AS at, capture_sha256 AS c FROM listing_obs WHERE vendor != ''
        )
        GROUP BY source, handle
    )
    ARRAY JOIN [('handle', lower(handle)), ('similar_handle', replaceRegexpAll(lower(handle), '[0-9_.-]', ''))] AS k
    UNION ALL
    SELECT source, handle, 'pgp_fingerprint' AS kind, fp AS value,
        min(observed_at) AS first, max(observed_at) AS last, argMax(capture_sha256, observed_at) AS cap
    FROM vendor_obs ARRAY JOIN pgp_fingerprints AS fp
    GROUP BY source, handle, fp
    UNION ALL
    SELECT source, handle, 'crypto_address' AS kind, addr AS value,
        min(at) AS first, max(at) AS last, argMax(c, at) AS cap
    FROM
    (
        SELECT source, handle, addr, observed_at AS at, capture_sha256 AS c
        FROM vendor_obs ARRAY JOIN crypto_addresses AS addr
        UNION ALL
        SELECT source, vendor AS handle, addr, observed_at AS at, capture_sha256 AS c
        FROM listing_obs ARRAY JOIN crypto_addresses AS addr
        WHERE vendor != ''
    )
    GROUP BY source, handle, addr
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
DROP TABLE IF EXISTS vendor_links;
CREATE VIEW IF NOT EXISTS vendor_links AS
SELECT
    tupleElement(a, 1) AS source_a, tupleElement(a, 2) AS handle_a,
    tupleElement(b, 1) AS source_b, tupleElement(b, 2) AS handle_b,
    kind, evidence,
    multiIf(kind IN ('pgp_fingerprint', 'crypto_address'), 'strong', kind = 'handle', 'medium', 'weak') AS strength,
    tupleElement(a, 3) AS capture_a, tupleElement(b, 3) AS capture_b,
    tupleElement(a, 4) AS first_seen_a, tupleElement(a, 5) AS last_seen_a,
    tupleElement(b, 4) AS first_seen_b, tupleElement(b, 5) AS last_seen_b
FROM
(
    SELECT kind, evidence, holders[i] AS a, holders[j] AS b
    FROM
    (
        SELECT kind, evidence, holders, i, arrayJoin(arrayFilter(x -> x > i, arrayEnumerate(holders))) AS j
        FROM
        (
            SELECT kind, value AS evidence,
                arraySort(groupArray((source, handle, capture_sha256, first_seen, last_seen))) AS holders
            FROM vendor_identifiers
            GROUP BY kind, value
            HAVING length(holders) BETWEEN 2 AND 50
        )
        ARRAY JOIN arrayEnumerate(holders) AS i
    )
)
WHERE NOT (kind = 'handle' AND source_a = source_b)
    AND NOT (kind = 'similar_handle' AND lower(handle_a) = lower(handle_b));
