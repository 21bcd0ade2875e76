-- 0150_vendor_pgp_user_ids: the user ids and subkeys of the PGP keys a vendor profile shows.
--
-- Vendors who change keys between markets often keep their name and e-mail in the new key's user id,
-- or carry a subkey over; links (internal/links) reads both as evidence that two accounts whose
-- fingerprints differ are one vendor. Rows loaded before 0150 hold empty arrays. vendor_current is
-- re-created (DROP TABLE IF EXISTS + CREATE VIEW, see 0002) to carry both.

-- vendor_obs, new columns:
--   pgp_user_ids  user id of each armored key the profile shows, "name (comment) <email>" as in the
--                 key, trimmed, the e-mail part lower-cased
--   pgp_subkeys   fingerprint of each subkey of those keys, upper-case hex
ALTER TABLE vendor_obs ADD COLUMN pgp_user_ids Array(String) DEFAULT [];
ALTER TABLE vendor_obs ADD COLUMN pgp_subkeys Array(String) DEFAULT [];

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
    argMax(pgp_user_ids, observed_at) AS pgp_user_ids,
    argMax(pgp_subkeys, observed_at) AS pgp_subkeys,
    min(observed_at) AS first_seen,
    max(observed_at) AS last_seen,
    uniqExact(obs_event_id) AS observations
FROM (SELECT *, event_id AS obs_event_id FROM vendor_obs)
GROUP BY source, handle;
