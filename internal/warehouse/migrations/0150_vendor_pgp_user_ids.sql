-- 0150_vendor_pgp_user_ids: the user ids and subkeys of the PGP keys a vendor profile shows.
--
-- Vendors who change keys between markets often keep their name and e-mail in the new key's user id,
-- or carry a subkey over; links (internal/links) reads both as evidence that two accounts whose
-- fingerprints differ are one vendor. Rows loaded before 0150 hold empty arrays.

-- vendor_obs, new columns:
--   pgp_user_ids  user id of each armored key the profile shows, "name (comment) <email>" as in the
--                 key, trimmed, the e-mail part lower-cased
--   pgp_subkeys   fingerprint of each subkey of those keys, upper-case hex
ALTER TABLE vendor_obs ADD COLUMN pgp_user_ids Array(String) DEFAULT [];
ALTER TABLE vendor_obs ADD COLUMN pgp_subkeys Array(String) DEFAULT [];
