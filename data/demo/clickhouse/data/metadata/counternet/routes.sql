ATTACH VIEW routes
(
    ships_from String, 
    ships_to String, 
    category String, 
    week Date, 
    source String, 
    listings UInt64, 
    vendors UInt64, 
    median_price_usd Float64
) AS
SELECT 
    ships_from, 
    ships_to, 
    category, 
    toMonday(observed_at) AS week, 
    source, 
    uniqExact(listing_id) AS listings, 
    uniqExact(vendor) AS vendors, 
    if(countIf(price_usd > 0) = 0, 0, quantileIf(0.5)(price_usd, price_usd > 0)) AS median_price_usd
FROM counternet.listing_obs 
ARRAY JOIN ships_to
GROUP BY 
    ships_from, 
    ships_to, 
    category, 
    week, 
    source
