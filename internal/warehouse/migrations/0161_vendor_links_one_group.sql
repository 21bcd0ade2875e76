-- 0161_vendor_links_one_group: vendor_links groups the identifier rows once, by (kind, value),
-- instead of merging them by (source, handle, kind, value) first (through vendor_identifiers) and
-- grouping the result again by (kind, value).
--
-- It reads the rows of vendor_identifiers_state and vendor_identifiers_backfill as they are
-- stored, each state finalized on its own, and merges the rows of one vendor identity inside the
-- arrays of its (kind, value): the holders are sorted by (source, handle) and the first of each
-- run of equal holders kept, with the earliest first_seen of the run and, from the run sorted by
-- last_seen, the latest last_seen and the capture of that row. Every state is a minimum, a
-- maximum or the latest value, so this is what merging the states gives (vendor_identifiers).
--
-- Within one part of vendor_identifiers_state, and within the backfill, an identity holds a
-- (kind, value) once (each insert's materialized view groups its block; merges collapse equal
-- keys), so a (kind, value) stored in u parts has at least rows / u distinct holders: a group of
-- more than 50 rows per part it touches holds more than 50 identities and is dropped before its
-- arrays are sorted (the HAVING below; u is bounded by the spread of the parts' indexes). The
-- bound of 2 to 50 holders is then applied exactly, after the merge.
--
-- The identifiers are grouped in two halves (by a hash of the value), one UNION ALL branch each:
-- ClickHouse 18.16 runs the branches side by side, and a single grouping of them all took either
-- about 0.3 s or about 0.65 s for the same data from one run to the next (647 MB and 4 threads in
-- the slow runs against 107 MB and 6), while the halves take 0.26 to 0.37 s every time.
--
-- The loader merges vendor_identifiers_state into one part every load.compact_interval
-- (warehouse.DB.Compact), so that few holders have rows to merge. Over the views benchmark's 10
-- million listings (860,000 identifier rows in three parts) this answers in about half the time of
-- 0104's view, and in about 0.3 s once the table is merged. Same rows as the view of 0009
-- (TestMaintainedViewsEqualOld); vendor_link_pairs and the views reading vendor_links find it by
-- name.

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
    s[i] AS source_a, h[i] AS handle_a, s[j] AS source_b, h[j] AS handle_b,
    kind, evidence,
    multiIf(kind IN ('pgp_fingerprint', 'crypto_address'), 'strong', kind = 'handle', 'medium', 'weak') AS strength,
    c[i] AS capture_a, c[j] AS capture_b,
    f[i] AS first_seen_a, l[i] AS last_seen_a, f[j] AS first_seen_b, l[j] AS last_seen_b
FROM
(
    SELECT kind, evidence, s, h, c, f, l, i, arrayJoin(arraySlice(arrayEnumerate(s), i + 1)) AS j
    FROM
    (
        SELECT kind, evidence, s, h, c, f, l
        FROM
        (
            SELECT kind, value AS evidence,
                groupArray(source) AS s0, groupArray(handle) AS h0,
                groupArray(fv) AS f0, groupArray(lv) AS l0, groupArray(cv) AS c0,
                arraySort((x, a, b) -> (a, b, x), s0, s0, h0) AS sorted_s,
                arraySort((x, a, b) -> (a, b, x), h0, s0, h0) AS sorted_h,
                arrayEnumerateUniq(sorted_s, sorted_h) AS nth,
                arrayFilter((x, k) -> k = 1, sorted_s, nth) AS s,
                arrayFilter((x, k) -> k = 1, sorted_h, nth) AS h,
                arrayFilter((x, k) -> k = 1, arraySort((x, a, b) -> (a, b, x), f0, s0, h0), nth) AS f,
                arrayFilter((x, k) -> k = 1, arraySort((x, a, b, y) -> (a, b, -toInt64(toUInt32(y))), l0, s0, h0, l0), nth) AS l,
                arrayFilter((x, k) -> k = 1, arraySort((x, a, b, y) -> (a, b, -toInt64(toUInt32(y))), c0, s0, h0, l0), nth) AS c
            FROM
            (
                SELECT kind, value, source, handle, finalizeAggregation(first_state) AS fv,
                    finalizeAggregation(last_state) AS lv, finalizeAggregation(capture_state) AS cv, _part_index + 1 AS u
                FROM vendor_identifiers_state
                WHERE cityHash64(value) % 2 = 0
                UNION ALL
                SELECT kind, value, source, handle, finalizeAggregation(first_state) AS fv,
                    finalizeAggregation(last_state) AS lv, finalizeAggregation(capture_state) AS cv, toUInt64(0) AS u
                FROM vendor_identifiers_backfill
                WHERE cityHash64(value) % 2 = 0
            )
            GROUP BY kind, value
            HAVING count() >= 2 AND count() <= 50 * (max(u) - min(u) + 1)
        )
        WHERE length(s) BETWEEN 2 AND 50
        UNION ALL
        SELECT kind, evidence, s, h, c, f, l
        FROM
        (
            SELECT kind, value AS evidence,
                groupArray(source) AS s0, groupArray(handle) AS h0,
                groupArray(fv) AS f0, groupArray(lv) AS l0, groupArray(cv) AS c0,
                arraySort((x, a, b) -> (a, b, x), s0, s0, h0) AS sorted_s,
                arraySort((x, a, b) -> (a, b, x), h0, s0, h0) AS sorted_h,
                arrayEnumerateUniq(sorted_s, sorted_h) AS nth,
                arrayFilter((x, k) -> k = 1, sorted_s, nth) AS s,
                arrayFilter((x, k) -> k = 1, sorted_h, nth) AS h,
                arrayFilter((x, k) -> k = 1, arraySort((x, a, b) -> (a, b, x), f0, s0, h0), nth) AS f,
                arrayFilter((x, k) -> k = 1, arraySort((x, a, b, y) -> (a, b, -toInt64(toUInt32(y))), l0, s0, h0, l0), nth) AS l,
                arrayFilter((x, k) -> k = 1, arraySort((x, a, b, y) -> (a, b, -toInt64(toUInt32(y))), c0, s0, h0, l0), nth) AS c
            FROM
            (
                SELECT kind, value, source, handle, finalizeAggregation(first_state) AS fv,
                    finalizeAggregation(last_state) AS lv, finalizeAggregation(capture_state) AS cv, _part_index + 1 AS u
                FROM vendor_identifiers_state
                WHERE cityHash64(value) % 2 = 1
                UNION ALL
                SELECT kind, value, source, handle, finalizeAggregation(first_state) AS fv,
                    finalizeAggregation(last_state) AS lv, finalizeAggregation(capture_state) AS cv, toUInt64(0) AS u
                FROM vendor_identifiers_backfill
                WHERE cityHash64(value) % 2 = 1
            )
            GROUP BY kind, value
            HAVING count() >= 2 AND count() <= 50 * (max(u) - min(u) + 1)
        )
        WHERE length(s) BETWEEN 2 AND 50
    )
    ARRAY JOIN arrayEnumerate(s) AS i
)
WHERE NOT (kind = 'handle' AND source_a = source_b)
    AND NOT (kind = 'similar_handle' AND lower(handle_a) = lower(handle_b));
