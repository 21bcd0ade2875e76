-- 0022_listing_units: what a listing costs per gram (or millilitre, or unit) and where a "Worldwide except ..."
-- listing does not ship.
--
-- listing_obs, new columns:
--   ships_to_excluded    countries a "Worldwide except ..." term leaves out (ships_to then lists every
--                        other country, each with basis worldwide)
--   price_per_unit       price of one g, ml or unit (see unit) in price_currency; 0 when unknown
--   price_per_unit_usd   the same in US dollars; 0 when the quantity or the rate is unknown
ALTER TABLE listing_obs ADD COLUMN ships_to_excluded Array(String) DEFAULT [];
ALTER TABLE listing_obs ADD COLUMN price_per_unit Float64 DEFAULT 0;
ALTER TABLE listing_obs ADD COLUMN price_per_unit_usd Float64 DEFAULT 0;
