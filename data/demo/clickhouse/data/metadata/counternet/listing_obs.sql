ATTACH TABLE listing_obs
(
    event_id String, 
    source String, 
    mirror String, 
    url String, 
    listing_id String, 
    title String, 
    description String, 
    category_raw String, 
    category String, 
    vendor String, 
    price_amount Float64, 
    price_currency String, 
    price_raw String, 
    price_usd Float64, 
    quantity Float64, 
    unit String, 
    ships_from String, 
    ships_from_raw String, 
    ships_to Array(String), 
    ships_to_raw String, 
    payment_methods Array(String), 
    escrow UInt8, 
    crypto_chains Array(String), 
    crypto_addresses Array(String), 
    flags Array(String), 
    observed_at DateTime, 
    capture_sha256 String, 
    pipeline String, 
    run_id String, 
    inserted_at DateTime DEFAULT now()
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(observed_at)
ORDER BY (source, listing_id, observed_at, event_id)
SETTINGS index_granularity = 8192
