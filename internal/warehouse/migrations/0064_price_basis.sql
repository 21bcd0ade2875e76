-- 0064_price_basis: price_history says where each US dollar price came from (the page's own USD
-- price, a rate the page states, a rate valid on the capture date, or none: not converted) and
-- carries every price the page showed. Replaced by DROP TABLE IF EXISTS + CREATE VIEW (see 0002).

-- price_history: one row per observation of a listing (duplicates of an
-- event collapse): how its price moved.
--   source               market id
--   listing_id           the market's own id of the listing
--   observed_at          capture time of the observation
--   event_id             the observation's event id
--   vendor               vendor handle
--   title                listing title at that time
--   category             taxonomy code
--   price_amount         price as shown, in price_currency
--   price_currency       ISO 4217 code or crypto ticker
--   price_usd            price in USD at observation time (0 when unknown)
--   price_usd_basis      where price_usd came from: page_price, page_rate, capture_rate or none
--                        ('' in rows stored before it was kept)
--   price_usd_rate       US dollars per unit of price_currency applied (0 when none was)
--   price_max            upper end of a price range, in price_currency (0 for a single price)
--   prices_amount        amount of every price the page showed, parallel to prices_currency
--   prices_currency      currency of each of those prices
--   quantity             amount offered per unit of sale, in unit
--   unit                 unit of quantity (g, kg, ml, pills, ...)
--   price_per_gram_usd   price_usd per gram (0 when the unit has no gram price or the price is unknown)
--   capture_sha256       SHA-256 of the page (evidence)
DROP TABLE IF EXISTS price_history;
CREATE VIEW IF NOT EXISTS price_history AS
SELECT
    source,
    listing_id,
    observed_at,
    event_id,
    any(l_vendor) AS vendor,
    any(l_title) AS title,
    any(l_category) AS category,
    any(l_amount) AS price_amount,
    any(l_currency) AS price_currency,
    any(l_usd) AS price_usd,
    any(l_basis) AS price_usd_basis,
    any(l_rate) AS price_usd_rate,
    any(l_max) AS price_max,
    any(l_amounts) AS prices_amount,
    any(l_currencies) AS prices_currency,
    any(l_quantity) AS quantity,
    any(l_unit) AS unit,
    any(ppg) AS price_per_gram_usd,
    any(l_capture) AS capture_sha256
FROM
(
    SELECT
        source, listing_id, observed_at, event_id,
        vendor AS l_vendor, title AS l_title, category AS l_category,
        price_amount AS l_amount, price_currency AS l_currency, price_usd AS l_usd,
        price_usd_basis AS l_basis, price_usd_rate AS l_rate, price_max AS l_max,
        prices_amount AS l_amounts, prices_currency AS l_currencies,
        quantity AS l_quantity, unit AS l_unit, capture_sha256 AS l_capture,
        multiIf(unit = 'g', quantity, unit = 'kg', quantity * 1000, unit = 'mg', quantity / 1000, unit = 'oz', quantity * 28.349523125, 0) AS grams,
        if(grams > 0 AND price_usd > 0, price_usd / grams, 0) AS ppg
    FROM listing_obs
)
GROUP BY source, listing_id, observed_at, event_id;
