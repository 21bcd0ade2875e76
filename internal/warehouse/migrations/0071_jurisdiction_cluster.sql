-- 0071_jurisdiction_cluster: jurisdiction_exposure answers on a cluster as on one node.
--
-- 0063 read the newest observation with a scalar subquery in every row of a query over the
-- observation tables; over Distributed tables ClickHouse 18.16 fails it ("Cannot convert column
-- latest because it is non constant in source stream but must be constant in result"). The newest
-- observation is now one row joined to every row (ANY LEFT JOIN on a key that is 1 everywhere), which
-- reads the same on one server and on a cluster. The key is materialize(toUInt8(1)): a constant
-- column read through Distributed tables fails in the same way. Columns and meanings are those of
-- 0063. Replaced by DROP TABLE IF EXISTS + CREATE VIEW (see 0002).

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
--   listings_to        distinct listings shipping to it, on any basis
--   listings_to_explicit  of those, listings whose page names the country
--   listings_to_region    of those, listings shipping there because a region they name covers it
--   listings_to_worldwide  of those, listings shipping there because a worldwide term covers it
--   markets            distinct markets with a listing or vendor touching it
--   categories         taxonomy codes of the listings touching it, sorted
--   first_seen         earliest observation touching it
--   last_seen          latest observation touching it
--   listings_recent    distinct listings from or to it observed in the 28 days up to the
--                      newest observation in listing_obs
--   listings_previous  the same for the 28 days before those
--   trend              listings_recent - listings_previous
DROP TABLE IF EXISTS jurisdiction_exposure;
CREATE VIEW IF NOT EXISTS jurisdiction_exposure AS
SELECT
    country, name, region, eu_member, budapest,
    vendors_from, listings_from, listings_to, listings_to_explicit, listings_to_region, listings_to_worldwide,
    markets, categories, first_seen, last_seen,
    listings_recent, listings_previous, toInt64(listings_recent) - toInt64(listings_previous) AS trend
FROM
(
    SELECT
        country,
        uniqExactIf(s, a, role IN ('from', 'vendor_from') AND a != '') AS vendors_from,
        uniqExactIf(s, r, role = 'from') AS listings_from,
        uniqExactIf(s, r, role = 'to') AS listings_to,
        uniqExactIf(s, r, role = 'to' AND basis = 'explicit') AS listings_to_explicit,
        uniqExactIf(s, r, role = 'to' AND basis = 'region') AS listings_to_region,
        uniqExactIf(s, r, role = 'to' AND basis = 'worldwide') AS listings_to_worldwide,
        uniqExact(s) AS markets,
        arraySort(groupUniqArrayIf(cat, cat != '')) AS categories,
        min(at) AS first_seen,
        max(at) AS last_seen,
        uniqExactIf(s, r, role != 'vendor_from' AND at > latest - 28 * 86400) AS listings_recent,
        uniqExactIf(s, r, role != 'vendor_from' AND at <= latest - 28 * 86400 AND at > latest - 56 * 86400) AS listings_previous
    FROM
    (
    SELECT *
    FROM
    (
        SELECT ships_from AS country, 'from' AS role, '' AS basis, source AS s, listing_id AS r, vendor AS a, category AS cat,
            observed_at AS at, materialize(toUInt8(1)) AS k
        FROM listing_obs
        WHERE ships_from != ''
        UNION ALL
        SELECT dest AS country, 'to' AS role, b AS basis, source AS s, listing_id AS r, vendor AS a, category AS cat,
            observed_at AS at, materialize(toUInt8(1)) AS k
        FROM
        (
            SELECT ships_to, arrayResize(ships_to_basis, length(ships_to), '') AS bases, source, listing_id, vendor,
                category, observed_at
            FROM listing_obs
        )
        ARRAY JOIN ships_to AS dest, bases AS b
        UNION ALL
        SELECT ships_from AS country, 'vendor_from' AS role, '' AS basis, source AS s, handle AS r, handle AS a, '' AS cat,
            observed_at AS at, materialize(toUInt8(1)) AS k
        FROM vendor_obs
        WHERE ships_from != ''
    )
    ANY LEFT JOIN
    (
        SELECT materialize(toUInt8(1)) AS k, max(observed_at) AS latest FROM listing_obs
    ) USING k
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
--   listings_to    distinct listings shipping to it that week, on any basis
--   listings_to_explicit  of those, listings whose page names the country
--   vendors_from   distinct (market, vendor) with a listing shipping from it that week
--   markets        distinct markets
