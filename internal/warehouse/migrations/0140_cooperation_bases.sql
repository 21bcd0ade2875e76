-- 0140_cooperation_bases: the cooperation view gives the legal bases of the export's draft request.
--
-- The view applied rules of its own (0007), older than reference.LegalBases, so a query and the
-- draft request could name different instruments between the same two countries. It now reads
-- cooperation_pairs and cooperation_texts, which LoadReference fills from
-- reference.CooperationTable: the rules of LegalBases, computed once in Go for every ordered pair
-- of countries. A basis that applies only where the partner holds the data sought (Budapest
-- expedited preservation) is marked data_held_only rather than asserted for every pair.
-- cooperation_channels is re-created with the ids of LegalBases, and countries gains common_name,
-- the name the texts put in a sentence. Views replaced by DROP TABLE IF EXISTS + CREATE VIEW (see 0002).

-- countries, new column:
--   common_name   the country's name as written in a sentence ("the Netherlands"); '' before 0140
ALTER TABLE countries ADD COLUMN common_name String DEFAULT '';

-- cooperation_channels: the catalog of the legal bases the cooperation view
-- can name (reference.Catalog), in the order the draft request lists them.
--   channel           basis id: eio, eu_uk_tca, coe_mla_1959, vienna1988_art7,
--                     budapest_preservation, bilateral_treaty, untoc_art18,
--                     letters_rogatory, coordination
--   rank              order the draft request lists it in, from 1
--   name              the basis's name
--   legal_basis       instrument and articles, in general
--   condition         when it applies, in words
--   dual_criminality  what the instrument says about dual criminality; marked
--                     "[recall, not in the reference data: verify]" where the
--                     reference data does not cover it
--   loaded_at         when the reference data was loaded
DROP TABLE IF EXISTS cooperation_channels;
CREATE TABLE IF NOT EXISTS cooperation_channels
(
    channel String,
    rank UInt8,
    name String,
    legal_basis String,
    condition String,
    dual_criminality String,
    loaded_at DateTime
)
ENGINE = MergeTree
ORDER BY channel;

-- cooperation_pairs: one row per ordered pair of distinct countries and
-- legal basis from the first to the second (reference.CooperationTable).
--   requesting      alpha-2 code of the requesting country
--   partner         alpha-2 code of the requested (partner) country
--   channel         basis id (see cooperation_channels)
--   rank            its rank in cooperation_channels
--   is_primary      1 for the instrument the request is made under
--   gap             1 for a basis the reference data cannot name (a bilateral treaty to fill in)
--   uncertain       1 when it rests on facts the reference data does not verify, or is a gap
--   data_held_only  1 when it applies only where the partner holds the data sought
--   text_id         its texts (cooperation_texts)
--   loaded_at       when the reference data was loaded
CREATE TABLE IF NOT EXISTS cooperation_pairs
(
    requesting String,
    partner String,
    channel String,
    rank UInt8,
    is_primary UInt8,
    gap UInt8,
    uncertain UInt8,
    data_held_only UInt8,
    text_id UInt32,
    loaded_at DateTime
)
ENGINE = MergeTree
ORDER BY (requesting, partner, rank);

-- cooperation_texts: the texts of the legal bases, each once, with
-- {requesting} and {requested} where the two countries' names go.
--   text_id      id (cooperation_pairs.text_id)
--   instrument   the instrument to cite
--   provisions   its provisions
--   serves       what it serves in the request
--   reason       why it applies between the two
--   sources      the reference files and sources it rests on
--   unverified   the facts it rests on that the reference data does not verify
--   loaded_at    when the reference data was loaded
CREATE TABLE IF NOT EXISTS cooperation_texts
(
    text_id UInt32,
    instrument String,
    provisions String,
    serves String,
    reason String,
    sources String,
    unverified Array(String),
    loaded_at DateTime
)
ENGINE = MergeTree
ORDER BY text_id;

-- cooperation: for every ordered pair of distinct countries (requesting,
-- partner), one row per legal basis of a drug-trafficking request from the
-- first to the second, in the order of the draft request: the rows of
-- reference.Channels, which are those of reference.LegalBases (a test
-- compares them for every pair). Filter data_held_only = 0 where the
-- partner holds none of the data sought.
--   requesting        alpha-2 code of the requesting country
--   requesting_name   ISO name of the requesting country
--   partner           alpha-2 code of the partner (requested) country
--   partner_name      ISO name of the partner country
--   channel           basis id (see cooperation_channels)
--   rank              order the draft request lists it in
--   channel_name      the basis's name
--   legal_basis       instrument and provisions, in one text
--   instrument        the instrument to cite
--   provisions        its provisions ('-' for coordination without a treaty article)
--   serves            what it serves in the request
--   reason            why it applies to this pair
--   sources           the reference files and sources it rests on
--   unverified        the facts it rests on that the reference data does not verify
--   uncertain         1 when unverified is not empty or the basis is a gap
--   is_primary        1 for the instrument the request is made under
--   gap               1 for a basis the reference data cannot name: the person completing
--                     the request fills it in (a bilateral treaty)
--   data_held_only    1 when it applies only where the partner holds the data sought
--                     (Budapest expedited preservation); 0 when it applies whatever the data
--   dual_criminality  what the instrument says about dual criminality (see cooperation_channels)
DROP TABLE IF EXISTS cooperation;
CREATE VIEW IF NOT EXISTS cooperation AS
SELECT
    requesting, requesting_name, partner, partner_name, channel, rank, channel_name,
    if(provisions IN ('', '-'), instrument, concat(instrument, ': ', provisions)) AS legal_basis,
    instrument, provisions, serves, reason, sources,
    if(u_unverified = '', emptyArrayString(), splitByString('\n', u_unverified)) AS unverified,
    uncertain, is_primary, gap, data_held_only, dual_criminality
FROM
(
    SELECT
        requesting, requesting_name, partner, partner_name, channel, rank, uncertain, is_primary, gap, data_held_only,
        arrayStringConcat(arrayMap((x, i, n) -> concat(if(i = 1, '', n), x),
            splitByString('{requested}', s_instrument), arrayEnumerate(splitByString('{requested}', s_instrument)), replicate(p_common, splitByString('{requested}', s_instrument)))) AS instrument,
        arrayStringConcat(arrayMap((x, i, n) -> concat(if(i = 1, '', n), x),
            splitByString('{requested}', s_provisions), arrayEnumerate(splitByString('{requested}', s_provisions)), replicate(p_common, splitByString('{requested}', s_provisions)))) AS provisions,
        arrayStringConcat(arrayMap((x, i, n) -> concat(if(i = 1, '', n), x),
            splitByString('{requested}', s_serves), arrayEnumerate(splitByString('{requested}', s_serves)), replicate(p_common, splitByString('{requested}', s_serves)))) AS serves,
        arrayStringConcat(arrayMap((x, i, n) -> concat(if(i = 1, '', n), x),
            splitByString('{requested}', s_reason), arrayEnumerate(splitByString('{requested}', s_reason)), replicate(p_common, splitByString('{requested}', s_reason)))) AS reason,
        arrayStringConcat(arrayMap((x, i, n) -> concat(if(i = 1, '', n), x),
            splitByString('{requested}', s_sources), arrayEnumerate(splitByString('{requested}', s_sources)), replicate(p_common, splitByString('{requested}', s_sources)))) AS sources,
        arrayStringConcat(arrayMap((x, i, n) -> concat(if(i = 1, '', n), x),
            splitByString('{requested}', s_unverified), arrayEnumerate(splitByString('{requested}', s_unverified)), replicate(p_common, splitByString('{requested}', s_unverified)))) AS u_unverified
    FROM
    (
        SELECT
            requesting, requesting_name, partner, channel, rank, uncertain, is_primary, gap, data_held_only,
            arrayStringConcat(arrayMap((x, i, n) -> concat(if(i = 1, '', n), x),
            splitByString('{requesting}', t_instrument), arrayEnumerate(splitByString('{requesting}', t_instrument)), replicate(r_common, splitByString('{requesting}', t_instrument)))) AS s_instrument,
        arrayStringConcat(arrayMap((x, i, n) -> concat(if(i = 1, '', n), x),
            splitByString('{requesting}', t_provisions), arrayEnumerate(splitByString('{requesting}', t_provisions)), replicate(r_common, splitByString('{requesting}', t_provisions)))) AS s_provisions,
        arrayStringConcat(arrayMap((x, i, n) -> concat(if(i = 1, '', n), x),
            splitByString('{requesting}', t_serves), arrayEnumerate(splitByString('{requesting}', t_serves)), replicate(r_common, splitByString('{requesting}', t_serves)))) AS s_serves,
        arrayStringConcat(arrayMap((x, i, n) -> concat(if(i = 1, '', n), x),
            splitByString('{requesting}', t_reason), arrayEnumerate(splitByString('{requesting}', t_reason)), replicate(r_common, splitByString('{requesting}', t_reason)))) AS s_reason,
        arrayStringConcat(arrayMap((x, i, n) -> concat(if(i = 1, '', n), x),
            splitByString('{requesting}', t_sources), arrayEnumerate(splitByString('{requesting}', t_sources)), replicate(r_common, splitByString('{requesting}', t_sources)))) AS s_sources,
        arrayStringConcat(arrayMap((x, i, n) -> concat(if(i = 1, '', n), x),
            splitByString('{requesting}', t_unverified), arrayEnumerate(splitByString('{requesting}', t_unverified)), replicate(r_common, splitByString('{requesting}', t_unverified)))) AS s_unverified
        FROM
        (
            SELECT requesting, partner, channel, rank, uncertain, is_primary, gap, data_held_only,
                t_instrument, t_provisions, t_serves, t_reason, t_sources, t_unverified
            FROM cooperation_pairs
            ANY LEFT JOIN
            (
                SELECT text_id, instrument AS t_instrument, provisions AS t_provisions, serves AS t_serves,
                    reason AS t_reason, sources AS t_sources, arrayStringConcat(unverified, '\n') AS t_unverified
                FROM cooperation_texts
            ) USING text_id
        )
        ANY LEFT JOIN
        (
            SELECT iso2 AS requesting, name AS requesting_name, common_name AS r_common FROM countries
        ) USING requesting
    )
    ANY LEFT JOIN
    (
        SELECT iso2 AS partner, name AS partner_name, common_name AS p_common FROM countries
    ) USING partner
)
ANY LEFT JOIN
(
    SELECT channel, name AS channel_name, dual_criminality FROM cooperation_channels
) USING channel;
